"""Patrol rosters (排班表): which unit works which shift on which date, over which grids.

Pure: bytes or decoded JSON in, validated rows and per-row errors out. The service layer
stores the good rows and shows the errors; nothing here touches a database.

A roster row is one unit (a callsign, 呼号/警号) on one shift of one date, with its patrol
grids, home station and an optional elastic start and end (弹性错时) overriding the
shift's. The same validation serves CSV import (:func:`parse_roster_csv`) and the API
(:func:`parse_roster_json`); errors are :class:`dispatch.tabular.RowError`, whose ``row``
is the CSV line (or the JSON list index) and whose ``field`` names the roster field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import TypeVar

from dispatch.tabular import RowError, UnreadableText, decode_text, heading_key, read_heading
from patrol.shifts import (
    DEFAULT_SHIFTS,
    InvalidShiftSpec,
    ShiftDef,
    check_shifts,
    custom_interval,
    format_clock,
    parse_clock,
    shift_named,
)

__all__ = ["COLUMN_ALIASES", "RosterResult", "RosterRow", "RowError", "parse_roster_csv",
           "parse_roster_json", "roster_interval"]


@dataclass(frozen=True)
class RosterRow:
    """One unit on one shift of one date.

    Attributes
    ----------
    day : datetime.date
        The date the shift starts on (a night shift belongs to the date it starts).
    shift : str
        The shift's code (``"day"``), whatever label the file used (``"白班"``).
    unit : str
        The unit's callsign or officer number, as written (trimmed).
    grids : tuple of str
        Patrol grid IDs in the order given, without repeats; empty for a unit without
        assigned grids (a reserve the planner may place).
    station : str or None
        Home station or police station (驻地/派出所).
    start, end : datetime.time or None
        An elastic shift's own wall-clock start and end, both or neither; ``end <= start``
        crosses midnight and ``time(0)`` as an end is 24:00.
    note : str or None
        Free text.
    """

    day: date
    shift: str
    unit: str
    grids: tuple[str, ...] = ()
    station: str | None = None
    start: time | None = None
    end: time | None = None
    note: str | None = None


@dataclass(frozen=True)
class RosterResult:
    """What :func:`parse_roster_csv` or :func:`parse_roster_json` read.

    Attributes
    ----------
    rows : list of RosterRow
        The good rows, in input order.
    lines : list of int
        The CSV line (or JSON index) of each good row, in the same order.
    errors : list of RowError
        Rows, columns or a file that could not be used; nothing of an erroneous row is kept.
    warnings : list of RowError
        Ignored columns and repeated grids; the rows concerned are kept.
    encoding : str or None
        ``"utf-8"``, ``"utf-16"`` or ``"gb18030"`` for CSV; None for JSON or undecodable
        bytes.
    """

    rows: list[RosterRow] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    encoding: str | None = None


COLUMN_ALIASES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(("date", "day", "日期", "值班日期", "勤务日期"), "date"),
    **dict.fromkeys(("shift", "班次", "班别"), "shift"),
    **dict.fromkeys(("unit", "callsign", "call_sign", "单位", "呼号", "警号"), "unit"),
    **dict.fromkeys(("grids", "grid", "网格", "巡逻网格", "责任网格"), "grids"),
    **dict.fromkeys(("station", "base", "驻地", "派出所"), "station"),
    **dict.fromkeys(("start", "start_time", "开始", "开始时间"), "start"),
    **dict.fromkeys(("end", "end_time", "结束", "结束时间"), "end"),
    **dict.fromkeys(("note", "notes", "remark", "remarks", "备注"), "note"),
})
"""Column headings and JSON keys accepted (trimmed, lower-cased, spaces and ``-`` to ``_``)."""

REQUIRED_COLUMNS = ("date", "shift", "unit")
_DATE = re.compile(
    r"([0-9]{4})(?:([-/])([0-9]{1,2})\2([0-9]{1,2})|年([0-9]{1,2})月([0-9]{1,2})日?)")
_GRID_SEPARATORS = re.compile(r"[;；、|,，\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_LENGTH = {"unit": 64, "grids": 64, "station": 200, "note": 500}
_T = TypeVar("_T")
_Booked = dict[str, list[tuple[datetime, datetime, int]]]


def parse_roster_csv(data: bytes | str, *,
                     shifts: Sequence[ShiftDef] = DEFAULT_SHIFTS) -> RosterResult:
    """Read a roster from a CSV file, keeping every good row and reporting every bad one.

    Parameters
    ----------
    data : bytes or str
        The file. Bytes are decoded by :func:`~dispatch.tabular.decode_text`: UTF-16 with
        or without a byte-order mark, UTF-8 (a BOM is ignored), else GB18030 (exports from
        Chinese spreadsheets); a binary file is one error. The delimiter is the most
        frequent of ``;``, tab and ``,`` in the heading line (comma on a tie).
    shifts : sequence of ShiftDef, keyword-only
        The shift set rows name, by code or label (``day``/``Day``/``白班``).

    Returns
    -------
    RosterResult
        Good rows with their lines, errors and warnings.

    Raises
    ------
    InvalidShiftSpec
        When ``shifts`` fails :func:`~patrol.shifts.check_shifts`.

    Notes
    -----
    - Headings in English or Chinese (:data:`COLUMN_ALIASES`): date/日期, shift/班次,
      unit/callsign/单位/呼号/警号 (required); grids/网格, station/驻地/派出所,
      start/开始, end/结束, note/备注. An unknown heading is a warning and its cells are
      ignored; a missing required column, or two columns giving one field, is an error per
      field on the heading's line and no rows are read.
    - Blank lines are skipped; empty cells mean "not given". A row with more non-empty
      cells than headings is an error.
    - Dates are ``YYYY-MM-DD``, ``YYYY/MM/DD`` (one-digit month and day allowed) or
      ``YYYY年M月D日``. Grids are separated by ``;``, ``、``, ``|``, commas or spaces.
      ``start`` and ``end`` (``HH:MM``, end up to ``24:00``) come together or not at all.
    - A unit on two rows whose times overlap (the shift's times, or the row's own) is an
      error on the later row naming the earlier line; shifts that only touch (day then
      evening) are a double shift and accepted. Overlap is judged on the wall clock,
      across dates, so a night shift running past midnight clashes with the next
      morning's early shift.
    """
    check_shifts(shifts)
    if isinstance(data, bytes):
        try:
            text, encoding = decode_text(data)
        except UnreadableText as exc:
            return RosterResult(errors=[RowError(1, None, str(exc))])
    else:
        text, encoding = data.removeprefix("\ufeff"), "utf-8"
    result = RosterResult(encoding=encoding)
    heading = read_heading(text)
    if isinstance(heading, RowError):
        result.errors.append(heading)
        return result
    header, line = heading.cells, heading.line
    columns = _map_columns(header, line, result)
    if columns is None:
        return result
    booked: _Booked = {}
    for start, record in heading.rows(result.errors):
        if any(cell.strip() for cell in record[len(header):]):
            result.errors.append(RowError(
                start, None, f"row has {len(record)} cells but the heading has {len(header)}"))
            continue
        values = {name: record[index].strip() for index, name in columns.items()
                  if index < len(record) and record[index].strip()}
        _read_row(values, start, "line", shifts, booked, result)
    return result


def _map_columns(header: list[str], line: int, result: RosterResult) -> dict[int, str] | None:
    columns: dict[int, str] = {}
    headings_of: dict[str, list[str]] = {}
    for index, heading in enumerate(header):
        name = COLUMN_ALIASES.get(heading_key(heading))
        if name is None:
            shown = heading.strip()
            result.warnings.append(RowError(line, shown or None, (
                f"unknown column {shown!r} ignored" if shown
                else f"column {index + 1} has no heading; ignored")))
            continue
        columns[index] = name
        headings_of.setdefault(name, []).append(heading.strip())
    found = ", ".join(h.strip() for h in header if h.strip()) or "none"
    errors = [RowError(line, name, f"missing required column {name} (found: {found})")
              for name in REQUIRED_COLUMNS if name not in headings_of]
    errors += [RowError(line, name, f"columns {', '.join(map(repr, headings))} all give {name}")
               for name, headings in headings_of.items() if len(headings) > 1]
    result.errors.extend(errors)
    return None if errors else columns


def parse_roster_json(items: object, *,
                      shifts: Sequence[ShiftDef] = DEFAULT_SHIFTS) -> RosterResult:
    """Read a roster from decoded JSON: a list of objects, validated as CSV rows are.

    Parameters
    ----------
    items : list of dict
        Keys as :data:`COLUMN_ALIASES` (``{"date": "2024-03-04", "shift": "day",
        "unit": "P-101", "grids": ["G1", "G2"]}``). Values are strings; ``grids`` may also
        be a list of strings, ``unit`` an integer (an officer number), ``date`` a
        ``datetime.date`` and ``start``/``end`` ``datetime.time`` objects. ``null`` and
        blank strings mean "not given"; two keys for one field (``unit`` and ``呼号``) are
        an error.
    shifts : sequence of ShiftDef, keyword-only
        As :func:`parse_roster_csv`.

    Returns
    -------
    RosterResult
        As :func:`parse_roster_csv`, with ``RowError.row`` the 0-based index in ``items``
        (``lines`` likewise). Unknown keys are errors, not warnings: an API caller can fix
        them. A non-list is one error on row 0.
    """
    check_shifts(shifts)
    result = RosterResult()
    if not isinstance(items, list | tuple):
        result.errors.append(RowError(0, None, "expected a list of roster rows"))
        return result
    booked: _Booked = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            result.errors.append(RowError(index, None, "expected an object"))
            continue
        values: dict[str, object] = {}
        errors: list[RowError] = []
        seen: set[str] = set()
        for key, value in item.items():
            name = COLUMN_ALIASES.get(heading_key(str(key)))
            if name is None:
                errors.append(RowError(index, str(key), f"unknown field {str(key)!r}"))
            elif name in seen:
                errors.append(RowError(index, name, f"{name} is given twice"))
            elif value is not None and not (isinstance(value, str) and not value.strip()):
                values[name] = value.strip() if isinstance(value, str) else value
            seen.add(name or "")
        _read_row(values, index, "item", shifts, booked, result, errors)
    return result


def _read_row(values: Mapping[str, object], line: int, noun: str,
              shifts: Sequence[ShiftDef], booked: _Booked, result: RosterResult,
              errors: list[RowError] | None = None) -> None:
    errors = [] if errors is None else errors

    def problem(name: str, message: str) -> None:
        errors.append(RowError(line, name, message))

    day = _field(values, "date", _parse_date, problem)
    shift = _field(values, "shift", lambda v: _parse_shift(v, shifts), problem)
    unit = _field(values, "unit", lambda v: _text(v, "unit", allow_int=True), problem)
    for name in REQUIRED_COLUMNS:
        if name not in values:
            problem(name, "required, but empty")
    grids = _field(values, "grids", _parse_grids, problem) or ()
    station = _field(values, "station", lambda v: _text(v, "station"), problem)
    note = _field(values, "note", lambda v: _text(v, "note"), problem)
    start = _field(values, "start", lambda v: parse_clock(v), problem)
    end = _field(values, "end", lambda v: parse_clock(v, allow_24=True), problem)
    for given, missing in (("start", "end"), ("end", "start")):
        if given in values and missing not in values:
            problem(missing, f"required when {given} is given (an elastic shift needs both)")
    if errors or day is None or shift is None or unit is None:
        result.errors.extend(errors)
        return
    repeated = sorted({g for g in grids if grids.count(g) > 1})
    if repeated:
        result.warnings.append(RowError(line, "grids", f"repeated grids {', '.join(repeated)}"
                                        " counted once"))
    row = RosterRow(day, shift.code, unit, tuple(dict.fromkeys(grids)), station,
                    start, end, note)
    wall_start, wall_end = _wall_interval(row, shift)
    for other_start, other_end, other_line in booked.get(unit.casefold(), []):
        if wall_start < other_end and other_start < wall_end:
            result.errors.append(RowError(line, "unit", (
                f"unit {unit} is already on duty {_span(other_start, other_end)} on {noun} "
                f"{other_line}; this row's {_span(wall_start, wall_end)} overlaps it")))
            return
    booked.setdefault(unit.casefold(), []).append((wall_start, wall_end, line))
    result.rows.append(row)
    result.lines.append(line)


def _field(values: Mapping[str, object], name: str, parse: Callable[[object], _T],
           problem: Callable[[str, str], None]) -> _T | None:
    if name not in values:
        return None
    raw = values[name]
    try:
        return parse(raw)
    except ValueError as exc:  # InvalidClockTime included
        problem(name, str(exc))
        return None


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is not None:
        year = int(match[1])
        month, day = (int(match[3]), int(match[4])) if match[2] else (
            int(match[5]), int(match[6]))
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or YYYY/MM/DD)")


def _parse_shift(value: object, shifts: Sequence[ShiftDef]) -> ShiftDef:
    shift = shift_named(value, shifts) if isinstance(value, str) else None
    if shift is None:
        known = ", ".join(f"{s.code} ({s.label_zh})" for s in shifts)
        raise ValueError(f"unknown shift {value!r}; use {known}")
    return shift


def _text(value: object, name: str, *, allow_int: bool = False) -> str:
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {type(value).__name__}")
    text = value.strip()
    if _CONTROL.search(text):
        raise ValueError("contains a control character")
    if len(text) > _MAX_LENGTH[name]:
        raise ValueError(f"longer than {_MAX_LENGTH[name]} characters")
    return text


def _parse_grids(value: object) -> tuple[str, ...]:
    parts = _GRID_SEPARATORS.split(value) if isinstance(value, str) else value
    if not isinstance(parts, list | tuple):
        raise ValueError(f"must be text or a list of grid IDs, not {type(value).__name__}")
    return tuple(text for part in parts if (text := _text(part, "grids")))


def _wall_interval(row: RosterRow, shift: ShiftDef) -> tuple[datetime, datetime]:
    start, end = shift.start, shift.end
    if row.start is not None and row.end is not None:
        start, end = row.start, row.end
    end_day = row.day + timedelta(days=1) if end <= start else row.day
    return datetime.combine(row.day, start), datetime.combine(end_day, end)


def _span(start: datetime, end: datetime) -> str:
    return (f"{start.date().isoformat()} {format_clock(start.time())}–"
            f"{format_clock(end.time(), end=True)}")


def roster_interval(row: RosterRow, tz: tzinfo, *,
                    shifts: Sequence[ShiftDef] = DEFAULT_SHIFTS) -> tuple[datetime, datetime]:
    """Return the instants a roster row's unit is on duty.

    Parameters
    ----------
    row : RosterRow
        A row from :func:`parse_roster_csv` or :func:`parse_roster_json`.
    tz : tzinfo
        The zone the roster is worked in, e.g. ``ZoneInfo("Asia/Shanghai")``.
    shifts : sequence of ShiftDef, keyword-only
        The shift set the row was read with.

    Returns
    -------
    (datetime, datetime)
        Aware, in ``tz``: the row's own start and end when given (an elastic shift), else
        its shift's, on ``row.day`` (DST rules of :mod:`patrol.shifts`).

    Raises
    ------
    InvalidShiftSpec
        When ``row.shift`` is not a code in ``shifts``.
    """
    if row.start is not None and row.end is not None:
        return custom_interval(row.day, row.start, row.end, tz)
    shift = next((s for s in shifts if s.code == row.shift), None)
    if shift is None:
        raise InvalidShiftSpec(f"shift {row.shift!r} is not in the shift set")
    return custom_interval(row.day, shift.start, shift.end, tz)
