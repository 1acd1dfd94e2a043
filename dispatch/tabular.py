"""What every CSV importer of the dispatch domain shares: the error of one row, heading
keys that ignore case, spaces and dashes, and the delimiter of a spreadsheet export."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """A problem in a CSV file.

    Attributes
    ----------
    row : int
        1-based line of the file where the record starts; the heading is line 1 (or the
        line it is on, after blank lines). For JSON input, the 0-based index in the list.
    field : str or None
        The field at fault (``"lat"``, ``"gb_id"``, ``"shift"``), or the column heading for
        an unknown column; None when the problem is not one field's.
    message : str
        What is wrong, in English.
    """

    row: int
    field: str | None
    message: str


def heading_key(heading: str) -> str:
    """``" Grid-Codes "`` → ``"grid_codes"``: the key a column heading is looked up by."""
    return re.sub(r"[\s\-]+", "_", heading.strip().casefold())


def sniff_delimiter(header: str) -> str:
    """The most frequent of ``;``, tab and ``,`` in the heading line (comma on a tie)."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","
