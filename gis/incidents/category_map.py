"""An analyst's category map: which common category a source's own category values go to.

Written as a CSV file with a header (``source_category,category``; the Chinese headers
``源类别,类别`` work too), UTF-8 (with or without BOM) or GB18030, comma, semicolon or tab
separated. Further columns (a ``count`` column, as in the unmapped-categories file an
import writes) are ignored, and so are rows whose category is empty: the file an import
writes can be filled in where the analyst knows the answer and handed back as it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from gis.errors import CategoryTableError
from gis.incidents.categories import CategoryTable, load_category_table, normalise_key

SOURCE_HEADERS = ("source_category", "源类别", "source category")
CATEGORY_HEADERS = ("category", "类别", "common category")


def read_category_map(path: str | Path, *, categories: CategoryTable | None = None,
                      ) -> dict[str, str]:
    """Read a category map file.

    Parameters
    ----------
    path : str or pathlib.Path
    categories : CategoryTable, optional
        The codes allowed; the project's table by default.

    Returns
    -------
    dict of str to str
        Source value (as written, trimmed) → common code, in file order.

    Raises
    ------
    CategoryTableError
        The file cannot be read, lacks the two columns, names an unknown category, or
        maps one source value to two categories; the message gives the line.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CategoryTableError(f"cannot read {file}: {exc.strerror}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CategoryTableError(f"{file.name} is neither UTF-8 nor GB18030 text")
    return parse_category_map(text, name=file.name, categories=categories)


def parse_category_map(text: str, *, name: str = "category map",
                       categories: CategoryTable | None = None) -> dict[str, str]:
    """Read a category map from CSV text (see :func:`read_category_map`).

    Raises
    ------
    CategoryTableError
        As :func:`read_category_map`.
    """
    table = categories or load_category_table()
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().casefold() for cell in next(rows, [])]
    source_at = _column(header, SOURCE_HEADERS, name)
    code_at = _column(header, CATEGORY_HEADERS, name)
    chosen: dict[str, str] = {}
    seen: dict[str, tuple[str, int]] = {}
    for number, row in enumerate(rows, start=2):
        cells = row + [""] * (max(source_at, code_at) + 1 - len(row))
        value, code = cells[source_at].strip(), cells[code_at].strip()
        if not value or not code:
            continue
        try:
            code = table.check_code(code)
        except CategoryTableError as exc:
            raise CategoryTableError(f"{name} line {number}: {exc}") from None
        key = normalise_key(value)
        if key in seen and seen[key][0] != code:
            raise CategoryTableError(
                f"{name} line {number}: {value!r} is mapped to {seen[key][0]!r} on line "
                f"{seen[key][1]} and to {code!r} here")
        seen[key] = (code, number)
        chosen[value] = code
    return chosen


def _column(header: list[str], names: tuple[str, ...], file: str) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise CategoryTableError(
        f"{file} needs a header with the columns source_category and category; found "
        f"{', '.join(repr(h) for h in header) or 'none'}")


def category_map_csv(unmapped: Mapping[str, int]) -> str:
    """CSV text listing unmapped source values with their counts and an empty category.

    Parameters
    ----------
    unmapped : Mapping of str to int
        Source value → number of rows, e.g. :attr:`IncidentReadResult.unknown_categories`.

    Returns
    -------
    str
        ``source_category,count,category`` rows, most frequent first; fill in ``category``
        and read it back with :func:`read_category_map`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["source_category", "count", "category"])
    for value, count in sorted(unmapped.items(), key=lambda item: (-item[1], item[0])):
        writer.writerow([value, count, ""])
    return buffer.getvalue()
