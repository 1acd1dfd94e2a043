"""Sync the zh_CN catalogue with the strings in the code and merge new translations.

    .venv/bin/python scripts/translations.py [NEW.json]

Adds every extracted string to the catalogue — gettext's markers in app/ and its templates,
and the templates of notes (``Note("…")``, runtime/notes.py) in every package — drops
strings no longer used, takes translations from NEW.json ({"English": "中文"}) and lists
what is still untranslated. tests/app/test_i18n.py fails while anything is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
            "ngettext": (1, 2), "Note": None}
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2"),
           *((f"{package}/**.py", "python") for package in ("dispatch", "gis", "patrol"))]


def main() -> None:
    new = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    found: dict[str, list[tuple[str, int]]] = {}
    plurals: dict[str, tuple[str, str]] = {}  # ngettext: singular -> (singular, plural)
    for filename, lineno, message, _, _ in extract_from_dir(str(ROOT), METHODS,
                                                            keywords=KEYWORDS):
        key = message if isinstance(message, str) else message[0]
        if not isinstance(message, str):
            plurals[key] = (message[0], message[1])
        found.setdefault(key, []).append((filename, lineno))
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    forms = catalog.num_plurals
    for key, locations in found.items():
        entry = catalog.get(key)
        if entry is not None and entry.pluralizable != (key in plurals):
            catalog.delete(key)  # became (or stopped being) a plural: written anew
            entry = None
        if entry is None:
            text = new.get(key, "")
            catalog.add(plurals.get(key, key), (text,) * forms if key in plurals else text,
                        locations=locations)
        else:
            entry.locations = locations
            if key in new:
                entry.string = (new[key],) * forms if key in plurals else new[key]
    for entry in list(catalog):
        if entry.id and message_key(entry.id) not in found:
            catalog.delete(entry.id)
    with CATALOGUE.open("wb") as po:
        write_po(po, catalog, width=100)
    missing = [message_key(e.id) for e in catalog if e.id and not translated(e.string)]
    sys.stdout.write("untranslated: " + (json.dumps(missing, ensure_ascii=False)
                                          if missing else "none") + "\n")


def message_key(message_id: str | tuple[str, ...]) -> str:
    """A catalogue id as the extracted key: a plural message by its singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def translated(string: str | tuple[str, ...]) -> bool:
    """Whether a message (each form of a plural one) has a translation."""
    return all(string) if isinstance(string, tuple) else bool(string)


if __name__ == "__main__":
    main()
