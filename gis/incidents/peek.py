"""A CSV export's layout from its first bytes, before the whole file is read.

An upload that will be read later (a background job) can be refused at once when its
header already says it cannot be read: no known layout and no mapping, or a mapped
column that is not there. :func:`check_csv_layout` reads only the header line, decoded
as :func:`~gis.incidents.sources.read_source` would decode the file, and raises the same
errors :func:`~gis.incidents.reader.read_incidents` would raise for it.
"""

from __future__ import annotations

import csv

from runtime.text import utf16_codec

from gis.errors import IncidentFileError, MissingColumnError
from gis.incidents.mapping import ColumnMapping, bind_columns, detect_mapping
from gis.incidents.sources import FALLBACK_ENCODINGS

HEAD_BYTES = 256 * 1024
"""How much of a file is looked at for its header line."""


def csv_headers(data: bytes, *, name: str, encoding: str | None = None) -> tuple[str, ...]:
    """The column names of a CSV file from its first bytes.

    Parameters
    ----------
    data : bytes
        The start of the file (at least its first non-blank line), or all of it.
    name : str
        The file's name, for messages.
    encoding : str, optional
        Its text encoding; by default UTF-16 when it reads as such, else UTF-8 (with or
        without a byte-order mark), else GB18030.

    Returns
    -------
    tuple of str
        The headers, trimmed, in file order.

    Raises
    ------
    IncidentFileError
        The file is empty, binary, not text in the encoding, or has no header line
        within :data:`HEAD_BYTES`.
    """
    head = data[:HEAD_BYTES]
    text = _decoded(head, name=name, encoding=encoding, whole=len(data) <= HEAD_BYTES)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise IncidentFileError(f"{name} is empty")
    if "\n" not in text and len(data) > HEAD_BYTES:
        raise IncidentFileError(f"{name}: no line ends in its first {HEAD_BYTES:,} bytes")
    first = lines[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    delimiter = best if counts[best] > counts[","] else ","
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        raise IncidentFileError(f"{name}: unreadable header line: {exc}") from exc
    return tuple(cell.strip() for cell in header)


def check_csv_layout(data: bytes, *, name: str, mapping: ColumnMapping | None = None,
                     encoding: str | None = None) -> str | None:
    """Whether a CSV file can be read, from its header alone.

    Parameters
    ----------
    data : bytes
        The start of the file, or all of it.
    name : str
        The file's name, for messages.
    mapping : ColumnMapping, optional
        The user's mapping, as :func:`~gis.incidents.reader.read_incidents` takes it.
    encoding : str, optional
        As :func:`csv_headers`.

    Returns
    -------
    str or None
        The preset recognised (None: the user's mapping alone).

    Raises
    ------
    UnknownIncidentLayoutError
        No preset fits and the mapping is missing or incomplete.
    MissingColumnError
        The mapping names a column the file lacks.
    IncidentFileError
        As :func:`csv_headers`.
    """
    headers = csv_headers(data, name=name, encoding=encoding)
    preset, resolved = detect_mapping(headers, override=mapping, has_geometry=False)
    resolved.require_complete(has_geometry=False)
    _bound, absent = bind_columns(resolved, headers)
    if absent:
        raise MissingColumnError(
            f"{name} has no column {', '.join(map(repr, absent))}; its headers are "
            f"{', '.join(map(repr, headers))}")
    return preset


def _decoded(head: bytes, *, name: str, encoding: str | None, whole: bool) -> str:
    """Decode ``head``: its complete lines strictly, a character cut at its end dropped.

    A cut character can only be at the end when ``head`` is not the whole file.
    """
    if not encoding and (utf16 := utf16_codec(head)) is not None:
        encoding = utf16
    elif not encoding and b"\x00" in head:
        raise IncidentFileError(f"{name} is binary, not text (it holds NUL bytes)")
    cut_unit = bool(encoding) and str(encoding).lower().replace("_", "-").startswith("utf-16")
    if not whole and not cut_unit and (end := head.rfind(b"\n")) >= 0:
        head = head[:end + 1]  # a newline byte is never inside a UTF-8 or GB18030 character
    failure: UnicodeDecodeError | None = None
    for candidate in (encoding,) if encoding else FALLBACK_ENCODINGS:
        try:
            errors = "ignore" if cut_unit and not whole else "strict"
            return head.decode(candidate, errors=errors).removeprefix("\ufeff")
        except LookupError as exc:
            raise IncidentFileError(f"unknown text encoding {candidate!r}") from exc
        except UnicodeDecodeError as exc:
            failure = exc
    tried = encoding or " or ".join(FALLBACK_ENCODINGS)
    at = failure.start if failure is not None else 0
    raise IncidentFileError(f"{name} is not {tried} text: byte {at} cannot be decoded")
