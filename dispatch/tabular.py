"""Shared parts of the dispatch domain's CSV importers (cameras, roster).

What every CSV importer of the dispatch domain shares: the error of one row, heading
keys that ignore case, spaces and dashes, the delimiter of a spreadsheet export, and the
text of a file whatever its encoding (:func:`decode_text`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runtime.text import utf16_codec

TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order for files without a byte-order mark: UTF-8 (a BOM is dropped), then
GB18030 (what Chinese desktop software exports; a superset of GBK and GB2312)."""

_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UnreadableText(ValueError):
    """A file given as text is not text: binary, or in no encoding tried.

    Attributes
    ----------
    field : str
        ``"file"``: the whole file is at fault, not one of its fields.
    """

    field = "file"


def decode_text(data: bytes, *, encodings: tuple[str, ...] = TEXT_ENCODINGS
                ) -> tuple[str, str]:
    """The text of a file, and the encoding it was read in.

    Parameters
    ----------
    data : bytes
        The whole file.
    encodings : tuple of str, keyword-only
        Encodings tried in order when the file has no UTF-16 byte-order mark.

    Returns
    -------
    tuple of (str, str)
        The text (without a byte-order mark) and the encoding used: ``"utf-16"`` for
        UTF-16 with a byte-order mark, or without one when every other byte of the start
        is NUL (spreadsheets' "Unicode text" exports), else the first of ``encodings``
        that decodes it.

    Raises
    ------
    UnreadableText
        NUL bytes outside UTF-16, or control characters in more than 1 % of the text (a
        binary file: a spreadsheet's ``.xlsx``, an image, garbage), or no encoding decodes
        it. The message names the encodings tried.
    """
    if (utf16 := utf16_codec(data)) is not None:
        text, used = _decode_utf16(data, utf16), "utf-16"
    else:
        if b"\x00" in data:
            raise UnreadableText("the file is binary, not text (it holds NUL bytes)")
        for encoding in encodings:
            try:
                text, used = data.decode(encoding), encoding
                break
            except UnicodeDecodeError:
                continue
        else:
            tried = " nor ".join(_NAMES.get(e, e) for e in encodings)
            raise UnreadableText(f"the file is neither {tried} nor UTF-16 text")
    text = text.removeprefix("\ufeff").removesuffix("\x1a")  # a DOS end-of-file mark
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):  # a stray one is a cell's
        raise UnreadableText(f"the file is binary, not text (it holds control characters "
                             f"when read as {_NAMES.get(used, used)})")
    return text, used.removesuffix("-sig")


def _decode_utf16(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableText("the file starts as UTF-16 text but is not valid UTF-16") from None


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
    """``" Grid-Codes "`` → ``"grid_codes"``: the key a column heading is looked up by.

    Parameters
    ----------
    heading : str
        A column heading as written in the file.

    Returns
    -------
    str
        The heading trimmed and case-folded, each run of spaces and dashes made one ``_``.
    """
    return re.sub(r"[\s\-]+", "_", heading.strip().casefold())


def sniff_delimiter(header: str) -> str:
    """The most frequent of ``;``, tab and ``,`` in the heading line (comma on a tie).

    Parameters
    ----------
    header : str
        The heading line of the file.

    Returns
    -------
    str
        ``";"``, a tab or ``","``.
    """
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


@dataclass
class Heading:
    """What :func:`read_heading` returns for a file with a readable heading.

    An opened CSV text at its heading: the reader (positioned after it), the heading's
    cells, the line it is on and the delimiter.

    Attributes
    ----------
    reader : csv reader
        Iterate for the rows after the heading; ``line_num`` is the line read last.
    cells : list of str
        The heading's cells, as written.
    line : int
        1-based line the heading is on.
    delimiter : str
        The delimiter found by :func:`sniff_delimiter`.
    """

    reader: Any  # csv.reader: iterate for rows; ``line_num`` is the line read last
    cells: list[str]
    line: int
    delimiter: str

    def rows(self, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
        """Yield the rows after the heading.

        The non-blank rows after the heading with the line each starts on; a CSV
        error ends them, reported in ``errors`` with its line.

        Parameters
        ----------
        errors : list of RowError
            Receives the CSV error that ends the rows, if any.

        Yields
        ------
        tuple of (int, list of str)
            The 1-based line a record starts on, and its cells.
        """
        while True:
            start = self.reader.line_num + 1
            try:
                record = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                errors.append(RowError(start, None, f"unreadable CSV: {exc}"))
                return
            if any(cell.strip() for cell in record):
                yield start, record


def read_heading(text: str) -> Heading | RowError:
    """Open ``text`` (a BOM is dropped) at its first non-blank line, or say why not.

    Parameters
    ----------
    text : str
        The whole CSV file, decoded.

    Returns
    -------
    Heading or RowError
        The file opened at its heading; a :class:`RowError` when the file is empty or its
        heading cannot be read.
    """
    text = text.removeprefix("\ufeff")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        return RowError(1, None, "the file is empty")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                return Heading(reader, record, line, delimiter)
            line = reader.line_num + 1
    except csv.Error as exc:
        return RowError(line, None, f"unreadable CSV heading: {exc}")
    return RowError(1, None, "the file is empty")
