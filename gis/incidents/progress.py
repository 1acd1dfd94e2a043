"""How far reading incident exports got.

:func:`~gis.incidents.reader.read_incidents` reports ``progress(fraction, message)``: the
files by their size in bytes, then the checks over all rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runtime.notes import Note

Progress = Callable[[float, str], None]
"""``progress(fraction 0-1, message)``; it may raise to stop the work."""

#: Shares of the reading progress: parsing the files (by their size), then the area check
#: and the repeated ids over all rows.
_FILES_SHARE, _AREAS_SHARE = 0.9, 0.06


class FileProgress:
    """The ``progress(fraction, message)`` of :func:`~gis.incidents.reader.read_incidents`.

    Each file's share is its size in bytes (a Shapefile's with its sidecars), so one large
    file among small ones moves the bar as long as it takes.
    """

    def __init__(self, progress: Progress | None, files: list[Path]) -> None:
        self.progress = progress
        self.sizes = [file_bytes(file) for file in files]
        self.total = float(sum(self.sizes)) or 1.0
        self.index = 0
        self.before = 0.0
        self.rows = 0

    def _say(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(1.0, fraction), message)

    def file(self, part: float, message: str) -> None:
        """``part`` (0-1) of the current file is read."""
        size = self.sizes[self.index] if self.index < len(self.sizes) else 0
        self._say(_FILES_SHARE * (self.before + part * size) / self.total, message)

    def done(self, rows: int) -> None:
        """The current file is read: ``rows`` more rows."""
        self.rows += rows
        self.before += self.sizes[self.index]
        self.index += 1
        self._say(_FILES_SHARE * self.before / self.total,
                  Note("rows read: %(rows)s (file %(number)s of %(files)s)", rows=self.rows,
                       number=self.index, files=len(self.sizes)))

    def after_files(self, part: float, message: str) -> None:
        """``part`` of the checks over all rows is done."""
        self._say(_FILES_SHARE + _AREAS_SHARE * part, message)


def file_bytes(file: Path) -> int:
    """A file's size, with its Shapefile sidecars; 1 when it cannot be told."""
    try:
        if file.suffix.lower() == ".shp":
            return sum(f.stat().st_size for f in file.parent.glob(file.stem + ".*"))
        return max(1, file.stat().st_size)
    except OSError:
        return 1
