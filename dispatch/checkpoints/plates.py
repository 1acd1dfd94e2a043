"""Number plates (号牌号码) as checkpoints read them, and plate queries with wildcards; pure.

Decisions
---------
- A plate is stored *normalised* (:func:`normalise_plate`): Unicode NFKC (full-width
  ``粤Ｂ１２３４５`` becomes ``粤B12345``; the ideographic space a plain one), separators
  dropped (spaces, ``·`` ``•`` ``・`` ``-`` ``.``: ``粤B·12345``, ``粤B-12345``), letters
  upper-cased. What remains must be 2 to 12 characters, each an ASCII letter or digit or
  a CJK ideograph (province abbreviations 粤 京 …; 警 学 挂 港 澳 使 领 应急); anything
  else is not a plate.
- Checkpoints export unread plates with a marker instead of a number: ``未识别``,
  ``无牌``, ``无车牌``, ``车牌``, ``未知``, ``无``, ``unknown``, ``none``, ``-`` and the like
  (:data:`UNREAD_MARKERS`); :func:`read_plate` answers None for them (a passage without a
  plate cannot be searched: importers count and skip them).
- A query (:func:`plate_query`) is normalised the same way and may hold wildcards: ``*``
  for any run of characters (none included) and ``?`` for exactly one; full-width ``＊``
  ``？`` and SQL's ``%`` ``_`` are read as the same two. Without wildcards it is an exact
  plate. A partial plate needs at least :data:`MIN_LITERALS` characters that are not
  wildcards (``*`` alone would list every vehicle).
- Since a plate holds only letters, digits and ideographs, the SQL ``LIKE`` pattern of a
  query needs no escaping: ``*`` becomes ``%`` and ``?`` becomes ``_``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

MIN_LITERALS: Final = 3
"""Characters other than wildcards a partial plate query must hold."""

MAX_PLATE: Final = 12
"""Longest plate, in characters, after normalisation."""

UNREAD_MARKERS: Final = frozenset({
    "", "未识别", "无牌", "无车牌", "车牌", "未知", "无", "无号牌", "未识别车牌", "车牌未识别",
    "识别失败", "UNKNOWN", "NONE", "NOPLATE", "NULL", "N/A", "NA", "0", "00000000"})
"""What checkpoint systems write for a plate they could not read (after normalisation)."""

_SEPARATORS = re.compile(r"[\s·•・‧∙\-.]+")
_PLATE = re.compile(r"[0-9A-Z\u3400-\u4dbf\u4e00-\u9fff]{2,12}")  # MAX_PLATE
_QUERY = re.compile(r"[0-9A-Z\u3400-\u4dbf\u4e00-\u9fff*?]+")
_WILDCARDS = str.maketrans({"%": "*", "_": "?"})


class InvalidPlate(ValueError):
    """A plate or plate query that cannot be read.

    Attributes
    ----------
    field : str
        The field at fault (``"plate"`` unless the caller names another).
    """

    def __init__(self, message: str, *, field: str = "plate") -> None:
        super().__init__(message)
        self.field = field


def normalise_plate(text: str) -> str:
    """A plate as stored and compared: NFKC, separators dropped, upper case.

    Parameters
    ----------
    text : str
        A plate as read or typed (``"粤b·12345"``, ``"粤Ｂ１２３４５"``).

    Returns
    -------
    str
        ``"粤B12345"``; not checked (see :func:`read_plate`).
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def read_plate(text: str, *, field: str = "plate") -> str | None:
    """A plate read from a record, or None when the record says it was not read.

    Parameters
    ----------
    text : str
        The plate cell as exported.
    field : str, keyword-only
        Field named by the error.

    Returns
    -------
    str or None
        The normalised plate; None for an unread-plate marker (:data:`UNREAD_MARKERS`).

    Raises
    ------
    InvalidPlate
        Characters other than letters, digits and CJK ideographs, or a length outside
        2 to :data:`MAX_PLATE`.
    """
    plate = normalise_plate(text)
    if plate in UNREAD_MARKERS:
        return None
    if not _PLATE.fullmatch(plate):
        shown = text if len(text) <= 24 else text[:21] + "..."
        raise InvalidPlate(f"{shown!r} is not a number plate (2 to {MAX_PLATE} letters, "
                           "digits or Chinese characters)", field=field)
    return plate


@dataclass(frozen=True)
class PlateQuery:
    """A plate query read by :func:`plate_query`.

    Attributes
    ----------
    text : str
        The query normalised, wildcards as ``*`` and ``?``.
    exact : bool
        True when it holds no wildcard: one plate.
    like : str
        The SQL ``LIKE`` pattern (``%`` and ``_``); the plate itself when exact.
    literals : int
        Characters that are not wildcards.
    """

    text: str
    exact: bool
    like: str
    literals: int


def plate_query(text: str, *, min_literals: int = MIN_LITERALS,
                field: str = "plate") -> PlateQuery:
    """Read a full or partial plate query.

    Parameters
    ----------
    text : str
        ``"粤B12345"`` (exact), ``"粤B*45"``, ``"*2345"``, ``"粤B1?3?5"`` (partial).
    min_literals : int, keyword-only
        Characters other than wildcards a partial query must hold.
    field : str, keyword-only
        Field named by the error.

    Returns
    -------
    PlateQuery

    Raises
    ------
    InvalidPlate
        An empty query, a character that no plate holds, a partial query with fewer than
        ``min_literals`` known characters, or one longer than a plate can be.
    """
    query = normalise_plate(text.translate(_WILDCARDS)).translate(_WILDCARDS)
    query = re.sub(r"\*+", "*", query)
    if not query:
        raise InvalidPlate("give a plate, whole or in part (* any characters, ? one)",
                           field=field)
    if not _QUERY.fullmatch(query):
        bad = next(c for c in query if not _QUERY.fullmatch(c))
        raise InvalidPlate(f"{bad!r} cannot be in a plate: use letters, digits, Chinese "
                           "characters and the wildcards * and ?", field=field)
    literals = sum(1 for c in query if c not in "*?")
    if literals + query.count("?") > MAX_PLATE:
        raise InvalidPlate(f"a plate has at most {MAX_PLATE} characters", field=field)
    exact = "*" not in query and "?" not in query
    if exact:
        if len(query) < 2:
            raise InvalidPlate("a whole plate has at least 2 characters", field=field)
        return PlateQuery(query, True, query, literals)
    if literals < min_literals:
        raise InvalidPlate(f"a partial plate needs at least {min_literals} known characters "
                           f"besides the wildcards (got {literals})", field=field)
    return PlateQuery(query, False, query.replace("*", "%").replace("?", "_"), literals)


def matches(query: PlateQuery, plate: str) -> bool:
    """Tell whether a normalised plate matches a query (what ``LIKE`` answers).

    Parameters
    ----------
    query : PlateQuery
        A query read by :func:`plate_query`.
    plate : str
        A normalised plate.

    Returns
    -------
    bool
    """
    if query.exact:
        return plate == query.text
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                      for c in query.text)
    return re.fullmatch(pattern, plate, flags=re.DOTALL) is not None
