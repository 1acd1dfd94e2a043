"""Patrol shifts: shift definitions, the three-shift day (三班倒) and shifts as real intervals.

Pure: nothing here reads a clock, a database or a file. The planner asks which instants a
shift covers; the console asks which shift a moment falls in.

Decisions
---------
- A shift is a pair of wall-clock times. ``end <= start`` means the shift crosses midnight
  and ends on the next day; ``end == start`` is a 24-hour shift. ``"24:00"`` is accepted as
  an end and stored as ``time(0)`` (midnight at the end of the day), so ``16:00-24:00``
  ends at 00:00 on the next date.
- **A shift belongs to the date on which it starts.** The night shift of 4 March runs from
  its start on 4 March: ``00:00-08:00`` on 4 March with the default shifts, or
  ``22:00-06:00`` from 4 March into 5 March with a 22:00 night shift.
- Wall times become instants in the zone the caller names (a PEP 495 zone such as
  ``ZoneInfo("Asia/Shanghai")`` or ``ZoneInfo("Europe/London")``), by the rules of
  ``java.time.ZonedDateTime.of``:

  * a wall time skipped when clocks go forward (01:30 on 31 March 2024 in London) is moved
    later by the length of the gap (02:30 BST): the instant it would have been had the
    clocks not changed;
  * a wall time that occurs twice when clocks go back (01:30 on 27 October 2024 in London)
    means its first occurrence (01:30 BST).

  So a London night shift ``00:00-08:00`` lasts 7 hours on 31 March 2024 and 9 hours on
  27 October 2024; the officers work what the clock on the wall says.
- Returned datetimes carry the caller's zone, for display. Python compares and subtracts
  two datetimes *sharing one tzinfo* by wall clock, ignoring DST; measure with
  :func:`elapsed` (or convert to UTC first), as every function in this package does.
- Shift sets must not overlap on the 24-hour clock (:func:`check_shifts`), so that every
  moment falls in at most one shift. They need not cover the whole day.
- Staggered or elastic shifts (弹性错时) are roster rows with their own start and end; see
  :func:`custom_interval`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from patrol.errors import InvalidClockTime as InvalidClockTime  # re-exported
from patrol.errors import InvalidShiftSpec as InvalidShiftSpec
from patrol.errors import NaiveDatetime as NaiveDatetime

_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_CLOCK = re.compile(r"([0-9]{1,2})[:：]([0-9]{2})")


@dataclass(frozen=True)
class ShiftDef:
    """One shift of the patrol day.

    Attributes
    ----------
    code : str
        Stable code stored in rosters: a letter then letters, digits, ``_`` or ``-``
        (at most 32 characters), e.g. ``"day"``.
    start : datetime.time
        Wall-clock start, naive.
    end : datetime.time
        Wall-clock end, naive; ``end <= start`` crosses midnight, ``time(0)`` is 24:00.
    label_en : str
        English label shown on the console.
    label_zh : str
        Chinese (zh-CN) label shown on the console.
    """

    code: str
    start: time
    end: time
    label_en: str
    label_zh: str

    def __post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise InvalidShiftSpec(
                f"shift code {self.code!r} must be a letter then letters, digits, _ or - "
                "(at most 32 characters)")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidShiftSpec(f"shift {self.code}: {name} must be a naive time")
        if not self.label_en.strip() or not self.label_zh.strip():
            raise InvalidShiftSpec(f"shift {self.code}: labels must not be empty")

    @property
    def crosses_midnight(self) -> bool:
        """True when the shift ends on the date after the one it starts on."""
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.code} {format_clock(self.start)}–{format_clock(self.end, end=True)}"


DEFAULT_SHIFTS: tuple[ShiftDef, ...] = (
    ShiftDef("day", time(8), time(16), "Day", "白班"),
    ShiftDef("evening", time(16), time(0), "Evening", "中班"),
    ShiftDef("night", time(0), time(8), "Night", "夜班"),
)
"""The three-shift day (三班倒): day 08-16 (白班), evening 16-24 (中班), night 00-08 (夜班).

The night shift of a date is its first eight hours, so the evening shift of 4 March hands
over to the night shift of 5 March at midnight.
"""


class ShiftOccurrence(NamedTuple):
    """One shift on one date, as :func:`shift_for` finds it."""

    shift: ShiftDef
    day: date
    start: datetime
    end: datetime


def parse_clock(value: object, *, allow_24: bool = False) -> time:
    """Read a wall-clock time of day.

    Parameters
    ----------
    value : str or datetime.time
        ``"H:MM"`` or ``"HH:MM"`` (a full-width colon ``：`` is accepted; surrounding
        whitespace is ignored), or a naive ``time`` returned as is.
    allow_24 : bool, keyword-only
        Accept ``"24:00"`` (for an end), returned as ``time(0)``.

    Returns
    -------
    datetime.time
        A naive time with zero seconds.

    Raises
    ------
    InvalidClockTime
        When ``value`` is not a time; the message starts ``'7:75' is not a time``.
    """
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise InvalidClockTime(f"{value.isoformat()!r} must be a wall-clock time "
                                   "without a timezone")
        return value
    if not isinstance(value, str):
        raise InvalidClockTime(f"{value!r} is not a time (use HH:MM)")
    match = _CLOCK.fullmatch(value.strip())
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
        if allow_24 and (hour, minute) == (24, 0):
            return time(0)
    last = "24:00" if allow_24 else "23:59"
    raise InvalidClockTime(f"{value!r} is not a time (use HH:MM, 00:00-{last})")


def format_clock(value: time, *, end: bool = False) -> str:
    """Write a time of day as ``HH:MM``; with ``end=True`` midnight is written ``24:00``."""
    if end and value == time(0):
        return "24:00"
    return f"{value.hour:02d}:{value.minute:02d}"


def parse_shifts(value: str) -> tuple[ShiftDef, ...]:
    """Read shift definitions from configuration text.

    Parameters
    ----------
    value : str
        Comma-separated ``code=HH:MM-HH:MM`` items, e.g.
        ``"day=08:00-16:00,evening=16:00-24:00,night=00:00-08:00"``. Whitespace around
        items and parts is ignored; the end may be ``24:00``.

    Returns
    -------
    tuple of ShiftDef
        In the order given. Codes ``day``, ``evening`` and ``night`` take the labels of
        :data:`DEFAULT_SHIFTS` (白班, 中班, 夜班); any other code is its own label.

    Raises
    ------
    InvalidShiftSpec
        When the text is empty, an item is malformed (the message names the item by
        position and text, and the part at fault), or the shifts fail :func:`check_shifts`.
    """
    defaults = {shift.code: shift for shift in DEFAULT_SHIFTS}
    items = [item.strip() for item in value.split(",")]
    if not any(items):
        raise InvalidShiftSpec("no shifts given (use code=HH:MM-HH:MM,...)")
    shifts = []
    for number, item in enumerate(items, start=1):
        where = f"shift {number} ({item!r})"
        code, equals, span = item.partition("=")
        code = code.strip()
        if not equals:
            raise InvalidShiftSpec(f"{where}: expected code=HH:MM-HH:MM")
        if not _CODE.fullmatch(code):
            raise InvalidShiftSpec(
                f"{where}: code {code!r} must be a letter then letters, digits, _ or -")
        parts = re.split(r"\s*[-–~]\s*", span.strip())
        if len(parts) != 2:
            raise InvalidShiftSpec(f"{where}: expected HH:MM-HH:MM after '='")
        try:
            start = parse_clock(parts[0])
        except InvalidClockTime as exc:
            raise InvalidShiftSpec(f"{where}: start {exc}") from None
        try:
            end = parse_clock(parts[1], allow_24=True)
        except InvalidClockTime as exc:
            raise InvalidShiftSpec(f"{where}: end {exc}") from None
        known = defaults.get(code)
        label_en, label_zh = (known.label_en, known.label_zh) if known else (code, code)
        shifts.append(ShiftDef(code, start, end, label_en, label_zh))
    result = tuple(shifts)
    check_shifts(result)
    return result


def check_shifts(shifts: Sequence[ShiftDef]) -> None:
    """Raise unless ``shifts`` is a usable shift set.

    Parameters
    ----------
    shifts : sequence of ShiftDef
        The shifts of a patrol day.

    Raises
    ------
    InvalidShiftSpec
        When the set is empty; when a code or label names two shifts (codes and labels are
        matched case-insensitively, see :func:`shift_named`); or when two shifts overlap on
        the 24-hour clock (touching ends, such as 16:00 and 16:00, do not overlap).
    """
    if not shifts:
        raise InvalidShiftSpec("no shifts given")
    codes = [shift.code for shift in shifts]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise InvalidShiftSpec(f"shift code {twice[0]!r} is given twice")
    named: dict[str, ShiftDef] = {}
    for shift in shifts:
        for name in dict.fromkeys(_names(shift)):
            other = named.setdefault(name, shift)
            if other is not shift:
                raise InvalidShiftSpec(
                    f"{name!r} names two shifts: {other.code} and {shift.code}")
    for index, first in enumerate(shifts):
        for second in shifts[index + 1:]:
            if _arcs_overlap(_arcs(first), _arcs(second)):
                raise InvalidShiftSpec(f"shifts {first} and {second} overlap")


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _arcs(shift: ShiftDef) -> list[tuple[int, int]]:
    start, end = _seconds(shift.start), _seconds(shift.end)
    if end > start:
        return [(start, end)]
    return [(start, 86400), (0, end)]


def _arcs_overlap(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> bool:
    return any(a < d and c < b for a, b in first for c, d in second)


def shift_named(name: str, shifts: Sequence[ShiftDef] = DEFAULT_SHIFTS) -> ShiftDef | None:
    """Return the shift whose code or label is ``name`` (case-insensitive), else None.

    ``"day"``, ``"Day"`` and ``"白班"`` all name the default day shift.
    """
    key = name.strip().casefold()
    return next((shift for shift in shifts if key in _names(shift)), None)


def _names(shift: ShiftDef) -> tuple[str, str, str]:
    return (shift.code.casefold(), shift.label_en.strip().casefold(),
            shift.label_zh.strip().casefold())


def local_moment(day: date, clock: time, tz: tzinfo) -> datetime:
    """Return the instant a wall clock in ``tz`` shows ``clock`` on ``day``.

    Parameters
    ----------
    day : datetime.date
        The local date.
    clock : datetime.time
        The naive wall-clock time.
    tz : tzinfo
        A PEP 495 zone, e.g. ``ZoneInfo("Europe/London")``.

    Returns
    -------
    datetime
        Aware, in ``tz``. A skipped wall time is moved later by the gap; a repeated one
        means its first occurrence (see the module docstring).
    """
    first = datetime.combine(day, clock.replace(tzinfo=None), tzinfo=tz)
    return first.astimezone(UTC).astimezone(tz)


def custom_interval(day: date, start: time, end: time, tz: tzinfo) -> tuple[datetime, datetime]:
    """Return the instants an elastic shift (弹性错时) starting on ``day`` covers.

    Parameters
    ----------
    day : datetime.date
        The local date the shift starts on (the date it belongs to).
    start, end : datetime.time
        Naive wall-clock times; ``end <= start`` ends on the next date, ``time(0)`` is
        24:00 and ``end == start`` is 24 hours.
    tz : tzinfo
        A PEP 495 zone, e.g. ``ZoneInfo("Asia/Shanghai")``.

    Returns
    -------
    (datetime, datetime)
        Aware start and end in ``tz``, by the DST rules of the module docstring; the real
        length (:func:`elapsed`) differs from the wall-clock one on DST days.
    """
    end_day = day + timedelta(days=1) if end <= start else day
    return local_moment(day, start, tz), local_moment(end_day, end, tz)


def shift_interval(shift: ShiftDef, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Return the instants ``shift`` covers on ``day``, the local date it starts on.

    Parameters
    ----------
    shift : ShiftDef
        The shift.
    day : datetime.date
        The local date the shift starts on.
    tz : tzinfo
        A PEP 495 zone, e.g. ``ZoneInfo("Europe/London")``.

    Returns
    -------
    (datetime, datetime)
        Aware start and end in ``tz``. The London night shift ``00:00-08:00`` of
        2024-03-31 runs 00:00 GMT to 08:00 BST, 7 hours.
    """
    return custom_interval(day, shift.start, shift.end, tz)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Return the real time from ``start`` to ``end`` (aware datetimes, compared in UTC).

    Raises
    ------
    NaiveDatetime
        When either datetime has no timezone.
    """
    return to_utc(end, "end") - to_utc(start, "start")


def to_utc(moment: datetime, name: str = "moment") -> datetime:
    """Return ``moment`` in UTC, raising :class:`NaiveDatetime` (naming ``name``) if naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetime(f"{name}={moment.isoformat()} has no timezone")
    return moment.astimezone(UTC)


def shift_for(moment: datetime, shifts: Sequence[ShiftDef], tz: tzinfo) -> ShiftOccurrence | None:
    """Return the shift, and the date it belongs to, that ``moment`` falls in.

    Parameters
    ----------
    moment : datetime
        An aware instant, in any zone.
    shifts : sequence of ShiftDef
        A shift set passing :func:`check_shifts`.
    tz : tzinfo
        The zone the shifts are worked in.

    Returns
    -------
    ShiftOccurrence or None
        ``(shift, day, start, end)`` with ``start <= moment < end``; None when no shift
        covers the moment. At 23:30 on 4 March a 22:00-06:00 night shift gives day
        4 March, and so does 01:00 on 5 March.

    Raises
    ------
    NaiveDatetime
        When ``moment`` has no timezone.
    InvalidShiftSpec
        When ``shifts`` fails :func:`check_shifts`.
    """
    instant = to_utc(moment)
    check_shifts(shifts)
    today = instant.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        for shift in shifts:
            start, end = shift_interval(shift, day, tz)
            if start.astimezone(UTC) <= instant < end.astimezone(UTC):
                return ShiftOccurrence(shift, day, start, end)
    return None
