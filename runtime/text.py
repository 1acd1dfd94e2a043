"""Which UTF-16 a file is in, if any: spreadsheets save "Unicode text" as UTF-16.

Shared by the importers of the pure packages (:func:`dispatch.tabular.decode_text`,
:mod:`gis.incidents.sources`), which decode the text themselves.
"""

from __future__ import annotations

import codecs

SNIFFED_BYTES = 4000


def utf16_codec(data: bytes) -> str | None:
    """The codec to read ``data`` with when it is UTF-16 text, else None.

    Parameters
    ----------
    data : bytes
        The start of a file, or all of it.

    Returns
    -------
    str or None
        ``"utf-16"`` when it starts with a UTF-16 byte-order mark; ``"utf-16-le"`` or
        ``"utf-16-be"`` without one, when at least a third of the bytes on one side of
        each pair are NUL and under a quarter as many on the other (Latin text has a NUL
        in every pair, on the high side; Chinese text rarely, so mixed text shows the
        pattern in its Latin part); None otherwise, whatever else the bytes are.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:SNIFFED_BYTES]
    head = head[:len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    pairs = len(head) // 2
    even, odd = head[0::2].count(0) / pairs, head[1::2].count(0) / pairs
    if odd >= 1 / 3 and even < odd / 4:
        return "utf-16-le"
    if even >= 1 / 3 and odd < even / 4:
        return "utf-16-be"
    return None
