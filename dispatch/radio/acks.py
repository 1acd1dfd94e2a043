"""Inbound acknowledgements: a unit's text reply confirming an order.

:func:`parse_ack` reads the line (pure; raises :class:`RadioFormatError` naming the part);
:func:`format_ack` writes the canonical form.

Acknowledgement text protocol
-----------------------------
One line, ``<keyword> <reference> <callsign> [note]``:

- keyword: ``ACK`` (any case), ``确认`` or ``收到``;
- reference: the alert number from the order, digits, optionally written ``#41``;
- callsign: the acknowledging unit, letters, digits, CJK characters, ``-``, ``_``, ``.``,
  ``/`` (at most 32; ASCII letters are upper-cased);
- note: any free text after it, e.g. ``ETA 5 min``.

Tokens are separated by spaces or commas; between a Chinese keyword and the number the
separator may be left out (``确认41 P-12``). Full-width characters typed with a Chinese input
method (``ＡＣＫ　４１　Ｐ－１２``, ``＃``, ``，``) are read as their ASCII forms (NFKC).
``ACK 41 P-12`` and ``确认 #41 P-12 已出发`` both mean: unit P-12 acknowledges the order for
alert 41. :func:`format_ack` writes the canonical form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from dispatch.radio.fields import RadioFormatError

ACK_KEYWORDS: Final = ("ACK", "确认", "收到")


@dataclass(frozen=True)
class Ack:
    """An acknowledgement: ``callsign`` acknowledges the order for alert ``reference``."""

    reference: int
    callsign: str
    note: str = ""


_ACK_KEYWORD = re.compile(r"(?i:ACK)(?![A-Za-z])|确认|收到")
_ACK_REFERENCE = re.compile(r"[\s,:]*#?([0-9]{1,9})(?![0-9A-Za-z])")
_ACK_CALLSIGN = re.compile(r"[\s,]+([A-Za-z0-9\u3400-\u9fff][A-Za-z0-9\u3400-\u9fff._/-]{0,31})"
                           r"(?=[\s,]|$)")


def parse_ack(text: str) -> Ack:
    """Parse an acknowledgement line (protocol in the module docstring).

    Parameters
    ----------
    text : str
        E.g. ``"ACK 41 P-12"``, ``"确认 #41 P-12 已出发"``.

    Returns
    -------
    Ack

    Raises
    ------
    RadioFormatError
        ``field`` is ``"text"`` (not text, empty), ``"keyword"``, ``"reference"`` or
        ``"callsign"``.
    """
    if not isinstance(text, str):
        raise RadioFormatError("text", "expected text")
    line = unicodedata.normalize("NFKC", text).strip()
    if not line:
        raise RadioFormatError("text", "empty")
    keyword = _ACK_KEYWORD.match(line)
    if keyword is None:
        raise RadioFormatError("keyword", f"expected one of {', '.join(ACK_KEYWORDS)} first")
    reference = _ACK_REFERENCE.match(line, keyword.end())
    if reference is None or int(reference[1]) == 0:
        raise RadioFormatError("reference", "expected the alert number after the keyword")
    callsign = _ACK_CALLSIGN.match(line, reference.end())
    if callsign is None:
        raise RadioFormatError("callsign", "expected the unit's callsign after the number")
    note = line[callsign.end():].strip(" \t,")
    return Ack(int(reference[1]), callsign[1].upper(), note)


def format_ack(reference: int, callsign: str) -> str:
    """Return the canonical acknowledgement line, e.g. ``"ACK 41 P-12"``."""
    return f"ACK {reference} {callsign}"
