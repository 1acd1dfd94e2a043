"""The status code table: what a radio or terminal says, and the unit status it means.

A deployment's radios speak APCO 10-codes (``10-97``), Chinese phrases (``到达现场``) or
the short-data codes its PDT/TETRA terminals were programmed with. The table maps each
to a :class:`~dispatch.status.UnitStatus` (or to acknowledging the current order); the
service asks :meth:`StatusCodeTable.lookup` and then goes through the status model, which
may still refuse the change. ``data/radio_status_codes.json`` holds the defaults.

Decisions
---------
- Codes are compared after normalising: Unicode NFKC (full-width ``１０－９７`` is
  ``10-97``), case-folded, inner whitespace collapsed, trailing punctuation (``.``, ``!``,
  ``。``, ``！``) dropped, and a 10-code written ``10 97``, ``1097`` or ``10-097`` read as
  ``10-97``.
- The status values themselves (``en_route``) and their English and Chinese labels
  (``En route``, ``途中``) are always in the table, after the entries given, which win.
- A later table given with :meth:`StatusCodeTable.overridden_by` replaces entries of the
  same code: a deployment changes a default without copying the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from dispatch.errors import InvalidStatusCodeTable
from dispatch.status import UnitStatus

FORMAT: Final = "gridpatrol.status-codes/1"
"""Value of the ``format`` key of a status code file."""

Action = Literal["status", "acknowledge"]

_TEN_CODE = re.compile(r"10[\s\-]?0*([0-9]{1,3})")
_TRAILING = ".!。！,，;；"


@dataclass(frozen=True)
class StatusCode:
    """One entry of the table.

    Attributes
    ----------
    code : str
        As written in the table (``"10-97"``, ``"到达现场"``).
    action : {"status", "acknowledge"}
        ``status``: change the unit to ``status``; ``acknowledge``: confirm its order.
    status : UnitStatus or None
        The status meant; None for ``acknowledge``.
    meaning : str
        What the code says, for people (the radio log, the review of illegal changes).
    source : str
        Where the entry comes from (``apco``, ``zh``, ``builtin``, a deployment's name).
    """

    code: str
    action: Action
    status: UnitStatus | None
    meaning: str = ""
    source: str = ""


def normalise_code(text: str) -> str:
    """Return the comparison form of a code (see the module's decisions).

    Parameters
    ----------
    text : str
        A code as sent or as written in the table.

    Returns
    -------
    str
        E.g. ``"10-97"`` for ``"１０－９７"``, ``"10 97"`` or ``"1097"``.
    """
    value = unicodedata.normalize("NFKC", text).casefold()
    value = " ".join(value.split()).rstrip(_TRAILING).strip()
    match = _TEN_CODE.fullmatch(value)
    if match:
        return f"10-{int(match[1])}"
    return value


class StatusCodeTable:
    """Codes to statuses, looked up by :func:`normalise_code` form.

    Parameters
    ----------
    entries : iterable of StatusCode
        Earlier entries win over later ones of the same normalised code; the status
        values and labels are appended as ``builtin`` entries.
    """

    def __init__(self, entries: Iterable[StatusCode]) -> None:
        self._entries: dict[str, StatusCode] = {}
        for entry in [*entries, *_builtin_entries()]:
            self._entries.setdefault(normalise_code(entry.code), entry)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, name: str = "table") -> StatusCodeTable:
        """Read a status code file's JSON (``{"format", "codes": [...]}``).

        Parameters
        ----------
        data : Mapping
            The decoded file: ``codes`` is a list of ``{"code", "status" | "action",
            "meaning"?, "source"?}``.
        name : str, keyword-only
            Default ``source`` of its entries.

        Returns
        -------
        StatusCodeTable

        Raises
        ------
        InvalidStatusCodeTable
            Naming the entry at fault (``codes[3].status``).
        """
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise InvalidStatusCodeTable("format", f"expected {FORMAT!r}")
        codes = data.get("codes")
        if not isinstance(codes, list):
            raise InvalidStatusCodeTable("codes", "expected a list")
        return cls(_read_entry(item, f"codes[{i}]", name) for i, item in enumerate(codes))

    def overridden_by(self, other: StatusCodeTable) -> StatusCodeTable:
        """A table with ``other``'s entries first, then this one's."""
        return StatusCodeTable([*other.entries(), *self.entries()])

    def entries(self) -> list[StatusCode]:
        """Every entry, in table order (the built-in ones last)."""
        return list(self._entries.values())

    def lookup(self, text: str) -> StatusCode | None:
        """The entry a sent code means, or None when the table does not know it.

        Parameters
        ----------
        text : str
            The code or phrase as sent.

        Returns
        -------
        StatusCode or None
        """
        return self._entries.get(normalise_code(text))


def _read_entry(item: object, path: str, name: str) -> StatusCode:
    if not isinstance(item, Mapping):
        raise InvalidStatusCodeTable(path, "expected an object")
    code = item.get("code")
    if not isinstance(code, str) or not normalise_code(code):
        raise InvalidStatusCodeTable(f"{path}.code", "expected non-empty text")
    meaning = item.get("meaning", "")
    source = item.get("source", name)
    if not isinstance(meaning, str) or not isinstance(source, str):
        raise InvalidStatusCodeTable(path, "meaning and source must be text")
    if item.get("action") == "acknowledge":
        if "status" in item:
            raise InvalidStatusCodeTable(f"{path}.status", "an acknowledge entry has none")
        return StatusCode(code, "acknowledge", None, meaning, source)
    if item.get("action", "status") != "status":
        raise InvalidStatusCodeTable(f"{path}.action", "expected status or acknowledge")
    try:
        status = UnitStatus(str(item.get("status")))
    except ValueError:
        raise InvalidStatusCodeTable(
            f"{path}.status", f"expected one of {', '.join(s.value for s in UnitStatus)}"
        ) from None
    return StatusCode(code, "status", status, meaning, source)


def _builtin_entries() -> list[StatusCode]:
    entries = []
    for status in UnitStatus:
        for spelling in (status.value, status.label_en, status.label_zh):
            entries.append(StatusCode(spelling, "status", status, status.label_en, "builtin"))
    return entries
