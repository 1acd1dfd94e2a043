"""Make the web font the map labels use for Chinese: a subset of Debian's Noto Sans CJK SC.

    .venv/bin/python -m app.maps.label_font [OUT.woff]

Browsers on the dispatchers' desks may have no Chinese font, and nothing may come from the
internet: scripts/bootstrap.sh runs this once (fonts-noto-cjk is one of its Debian
packages) and the pages serve the result from /static/fonts/. The subset holds GB 2312's
6,763 hanzi and its symbols, the CJK punctuation and full-width forms, and every hanzi of
the traditional set Big5 level 1 (names in Hong Kong, Taiwan and older OSM tags): about
3 MB as WOFF, fetched by a browser only when a page shows Chinese (its @font-face has a
CJK unicode-range). Latin text keeps the page's own font.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUT = ROOT / "app" / "static" / "fonts" / "gridpatrol-cjk.woff"
FAMILY = "Noto Sans CJK SC"


def characters() -> set[int]:
    """Code points of GB 2312 (all of it), Big5 level 1, CJK punctuation, full-width forms."""
    wanted: set[int] = set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for encoding, rows, cols in (("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF)),
                                 ("big5", range(0xA4, 0xC7), range(0x40, 0xFF))):
        for high in rows:
            for low in cols:
                try:
                    text = bytes([high, low]).decode(encoding)
                except UnicodeDecodeError:
                    continue
                wanted.update(ord(c) for c in text)
    return wanted


def make(out: Path = OUT) -> Path:
    """Write the subset to ``out`` (WOFF) unless it is already newer than the source."""
    if out.is_file() and out.stat().st_mtime >= SOURCE.stat().st_mtime:
        return out
    collection = TTCollection(str(SOURCE))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FAMILY)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["vert", "vrt2", "kern", "palt"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    font.flavor = "woff"
    font.save(str(partial))
    partial.replace(out)
    return out


if __name__ == "__main__":
    written = make(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    sys.stdout.write(f"{written} ({written.stat().st_size // 1024} KiB)\n")
