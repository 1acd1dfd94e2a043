"""Must-visit time windows and dosage periods, turned into real intervals for the solver.

Pure: no clock, no database. A grid or hot spot may carry weekly time windows in which a
patrol must be present (school gates 07:30-08:15 on school days, a night market on
weekends); the planner asks which concrete intervals of one shift they cover, and in which
periods a hot-spot cell is owed a dose (the Koper curve).

Decisions
---------
- A :class:`Window` is a set of weekdays (0 = Monday ... 6 = Sunday, as
  ``date.weekday()``) and wall-clock ``start``/``end``. ``end <= start`` crosses midnight
  into the next day; ``end == start`` is 24 hours; ``"24:00"`` is accepted as an end.
- **A window belongs to the weekday on which it starts.** ``{"weekdays": "sun", "start":
  "23:00", "end": "01:00"}`` covers Sunday 23:00 to Monday 01:00, so it reaches into a
  night shift starting Monday 00:00 (as 00:00-01:00). A window with the same times but
  ``"weekdays": "mon"`` starts Monday 23:00 and does not touch that shift's first hour.
- Wall times become instants in the zone of the shift's ``start`` by the DST rules of
  :mod:`patrol.shifts` (a skipped wall time moves later by the gap; a repeated
  one means its first occurrence).
- No windows means "any time": the whole shift is one interval.
- Intervals are half-open ``[start, end)``; touching or overlapping ones are merged.
- Dose periods (:func:`dose_windows`) count real minutes from the shift's start. A short
  trailing period is kept, ending at the shift's end, if a whole dose fits in it, else
  dropped: with the defaults an 8-hour shift has four 2-hour periods, a 7-hour one (a
  London night when clocks go forward) 2+2+2+1 hours, a 6 h 05 min one three periods.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from patrol.errors import InvalidDoseSpec as InvalidDoseSpec  # re-exported
from patrol.errors import InvalidInterval as InvalidInterval
from patrol.errors import InvalidWindow as InvalidWindow
from patrol.shifts import (
    InvalidClockTime,
    custom_interval,
    format_clock,
    parse_clock,
    to_utc,
)

DAY_NAMES_EN = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_ALL = frozenset(range(7))
_GROUPS: Mapping[str, frozenset[int]] = {
    **dict.fromkeys(("daily", "every day", "everyday", "all", "每天", "每日", "天天"), _ALL),
    **dict.fromkeys(("weekdays", "weekday", "workdays", "工作日"), frozenset(range(5))),
    **dict.fromkeys(("weekend", "weekends", "周末", "双休日"), frozenset({5, 6})),
}
_EN_DAYS: Mapping[str, int] = {
    **{name: day for day, name in enumerate(DAY_NAMES_EN)},
    **{f"{name}day": day for day, name in enumerate(
        ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun"))},
    "tues": 1, "thur": 3, "thurs": 3,
}
_ZH_NUMERALS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_ZH_DAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天七])")
_RANGE = re.compile(r"(.+?)\s*(?:-|–|—|~|～|至|到)\s*(.+)")
_LIST_SEPARATORS = re.compile(r"\s*[,，、;；/]\s*|\s+")
WEEKDAY_HELP = ("use mon..sun, 0-6 (0 = Monday), mon-fri, weekdays, weekend, daily, "
                "周一..周日, 周一至周五, 工作日, 周末 or 每天")


@dataclass(frozen=True)
class Window:
    """A weekly must-visit window.

    Attributes
    ----------
    weekdays : frozenset of int
        The weekdays the window *starts* on, 0 = Monday ... 6 = Sunday; not empty.
    start : datetime.time
        Naive wall-clock start.
    end : datetime.time
        Naive wall-clock end; ``end <= start`` ends on the next day, ``time(0)`` is 24:00.
    """

    weekdays: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.weekdays or any(
                isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6
                for day in self.weekdays):
            raise InvalidWindow(["weekdays must be a non-empty set of 0-6 (0 = Monday)"])
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidWindow([f"{name} must be a naive time"])

    def __str__(self) -> str:
        return f"{describe_weekdays(self.weekdays)} {format_window(self.start, self.end)}"


def parse_weekdays(value: object) -> frozenset[int]:
    """Read a weekday set.

    Parameters
    ----------
    value : str, int or list of them
        An int 0-6 (0 = Monday); an English day (``"mon"``, ``"Monday"``) or Chinese one
        (``"周一"``, ``"星期一"``, ``"礼拜天"``); a range ``"mon-fri"``, ``"fri-mon"``
        (wrapping), ``"周一至周五"`` or ``"周一至五"``; a group ``"weekdays"``,
        ``"weekend"``, ``"daily"``, ``"工作日"``, ``"周末"``, ``"每天"``; a string listing
        several (``"mon,wed,fri"``, ``"周一、周三"``); or a list of any of these. Digit
        strings are refused: ``"1"`` could mean Monday (ISO) or Tuesday.

    Raises
    ------
    ValueError
        When a part names no weekday or the set is empty; the message quotes the part.
    """
    items: Iterable[object] = value if isinstance(value, list | tuple) else [value]
    days: set[int] = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item <= 6:
                raise ValueError(f"{item!r} is not a weekday (0-6, 0 = Monday)")
            days.add(item)
        elif isinstance(item, str):
            for part in _LIST_SEPARATORS.split(item.strip()):
                if part:
                    days |= _weekday_part(part)
        else:
            raise ValueError(f"{item!r} is not a weekday; {WEEKDAY_HELP}")
    if not days:
        raise ValueError(f"no weekdays given; {WEEKDAY_HELP}")
    return frozenset(days)


def _weekday_part(part: str) -> frozenset[int]:
    key = part.casefold()
    if key in _GROUPS:
        return _GROUPS[key]
    single = _one_day(key)
    if single is not None:
        return frozenset({single})
    match = _RANGE.fullmatch(key)
    if match is not None:
        first = _one_day(match[1])
        last = _one_day(match[2])
        if last is None and match[1].startswith(("周", "星期", "礼拜")):
            last = _ZH_NUMERALS.get(match[2])  # 周一至五
        if first is not None and last is not None:
            return frozenset((first + step) % 7 for step in range((last - first) % 7 + 1))
    raise ValueError(f"{part!r} is not a weekday; {WEEKDAY_HELP}")


def _one_day(key: str) -> int | None:
    if key in _EN_DAYS:
        return _EN_DAYS[key]
    match = _ZH_DAY.fullmatch(key)
    return _ZH_NUMERALS[match[1]] if match else None


def parse_windows(value: str | Sequence[object] | None) -> tuple[Window, ...]:
    """Read must-visit windows from JSON text or the list it decodes to.

    Parameters
    ----------
    value : str, list or None
        ``[{"weekdays": "mon-fri", "start": "07:30", "end": "08:15"}, ...]`` or its JSON
        text. ``weekdays`` takes anything :func:`parse_weekdays` reads and defaults to
        daily; ``start`` and ``end`` are ``HH:MM`` (``end`` may be ``24:00``). Items may
        also be :class:`Window` objects. None, ``""`` and ``[]`` mean no windows.

    Returns
    -------
    tuple of Window
        In the order given.

    Raises
    ------
    InvalidWindow
        Listing every problem by index and field, e.g.
        ``windows[1].start: '7:75' is not a time (use HH:MM, 00:00-23:59)``; unknown fields
        are problems too.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidWindow([f"windows: not JSON ({exc.msg} at character {exc.pos})"]
                                ) from None
    if not isinstance(value, list | tuple):
        raise InvalidWindow(["windows: expected a list of {weekdays, start, end} objects"])
    windows: list[Window] = []
    problems: list[str] = []
    for index, item in enumerate(value):
        path = f"windows[{index}]"
        if isinstance(item, Window):
            windows.append(item)
            continue
        if not isinstance(item, Mapping):
            problems.append(f"{path}: expected an object with weekdays, start and end")
            continue
        found = len(problems)
        problems.extend(f"{path}.{key}: unknown field (use weekdays, start, end)"
                        for key in item if key not in ("weekdays", "start", "end"))
        try:
            weekdays = parse_weekdays(item.get("weekdays", "daily"))
        except ValueError as exc:
            problems.append(f"{path}.weekdays: {exc}")
        clocks: dict[str, time] = {}
        for name in ("start", "end"):
            raw = item.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                problems.append(f"{path}.{name}: required")
                continue
            try:
                clocks[name] = parse_clock(raw, allow_24=name == "end")
            except InvalidClockTime as exc:
                problems.append(f"{path}.{name}: {exc}")
        if len(problems) == found:
            windows.append(Window(weekdays, clocks["start"], clocks["end"]))
    if problems:
        raise InvalidWindow(problems)
    return tuple(windows)


def windows_in_interval(windows: Sequence[Window], start: datetime,
                        end: datetime) -> list[tuple[datetime, datetime]]:
    """Return the concrete must-visit intervals inside one shift.

    Parameters
    ----------
    windows : sequence of Window
        Weekly windows; empty means "any time".
    start, end : datetime
        The shift, aware; wall times are read in ``start``'s zone.

    Returns
    -------
    list of (datetime, datetime)
        Half-open intervals in ``start``'s zone, clipped to ``[start, end)``, merged where
        they touch or overlap, in time order. A window counts on the weekdays it starts
        on, including the day before the shift starts (see the module docstring).

    Raises
    ------
    NaiveDatetime
        When ``start`` or ``end`` has no timezone.
    InvalidInterval
        When ``end`` is not after ``start``.
    """
    lo, hi = _interval_utc(start, end)
    tz = start.tzinfo or UTC  # never naive after _interval_utc
    if not windows:
        return [(lo.astimezone(tz), hi.astimezone(tz))]
    first = lo.astimezone(tz).date() - timedelta(days=1)
    days = (hi.astimezone(tz).date() - first).days + 1
    pieces: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day: date = first + timedelta(days=offset)
        for window in windows:
            if day.weekday() not in window.weekdays:
                continue
            w_start, w_end = custom_interval(day, window.start, window.end, tz)
            a, b = max(lo, w_start.astimezone(UTC)), min(hi, w_end.astimezone(UTC))
            if a < b:
                pieces.append((a, b))
    return [(a.astimezone(tz), b.astimezone(tz)) for a, b in _merge(pieces)]


def _interval_utc(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    lo, hi = to_utc(start, "start"), to_utc(end, "end")
    if hi <= lo:
        raise InvalidInterval(
            f"end={end.isoformat()} is not after start={start.isoformat()}")
    return lo, hi


def _merge(pieces: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(pieces):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def dose_windows(start: datetime, end: datetime, *, revisit_min: float = 120,
                 dose_min: float = 10) -> list[tuple[datetime, datetime]]:
    """Split a shift into the periods in each of which a hot-spot cell is owed one dose.

    The Koper curve: a 10-15 minute stop at a hot spot deters longest, and a stop every
    couple of hours keeps the effect (Koper 1995; Telep, Mitchell and Weisburd 2014).

    Parameters
    ----------
    start, end : datetime
        The shift, aware.
    revisit_min : float, keyword-only
        Length of a period, in minutes of real time.
    dose_min : float, keyword-only
        Shortest stay that counts as a dose, in minutes; at most ``revisit_min``.

    Returns
    -------
    list of (datetime, datetime)
        Consecutive half-open periods from ``start``, in ``start``'s zone. The trailing
        period ends at ``end``; it is dropped when shorter than ``dose_min``. The dose must
        *begin* by ``period_end - dose_min`` to fit.

    Raises
    ------
    NaiveDatetime, InvalidInterval
        As :func:`windows_in_interval`.
    InvalidDoseSpec
        When ``revisit_min`` or ``dose_min`` is not at least one second, or is longer
        than ``revisit_min``.
    """
    for name, minutes in (("revisit_min", revisit_min), ("dose_min", dose_min)):
        if isinstance(minutes, bool) or not math.isfinite(minutes) or minutes < 1 / 60:
            raise InvalidDoseSpec(f"{name}={minutes!r} must be a positive number of minutes "
                                  "(at least one second)")
    if dose_min > revisit_min:
        raise InvalidDoseSpec(f"dose_min={dose_min!r} is longer than revisit_min={revisit_min!r}")
    lo, hi = _interval_utc(start, end)
    tz = start.tzinfo
    period, dose = timedelta(minutes=revisit_min), timedelta(minutes=dose_min)
    periods, current = [], lo
    while hi - current >= dose:
        stop = min(current + period, hi)
        periods.append((current.astimezone(tz), stop.astimezone(tz)))
        current = stop
    return periods


def to_seconds(intervals: Iterable[tuple[datetime, datetime]], *,
               epoch: datetime) -> tuple[tuple[int, int], ...]:
    """Return intervals as integer seconds since ``epoch``, for the solver.

    Parameters
    ----------
    intervals : iterable of (datetime, datetime)
        Aware half-open intervals, any zone.
    epoch : datetime, keyword-only
        Aware instant that is second 0, usually the shift's start.

    Returns
    -------
    tuple of (int, int)
        Real elapsed seconds (DST-proof), one pair per interval in order. A start is
        rounded up and an end down to a whole second, so each pair lies inside its interval.

    Raises
    ------
    NaiveDatetime
        When any datetime has no timezone.
    InvalidInterval
        When an interval is reversed or holds no whole second, or starts before ``epoch``.
    """
    zero = to_utc(epoch, "epoch")
    second = timedelta(seconds=1)
    result = []
    for index, (start, end) in enumerate(intervals):
        lo, hi = _interval_utc(start, end)
        first, last = math.ceil((lo - zero) / second), math.floor((hi - zero) / second)
        if first < 0:
            raise InvalidInterval(f"interval {index} starts {start.isoformat()}, before the "
                                  f"epoch {epoch.isoformat()}")
        if last < first:
            raise InvalidInterval(f"interval {index} holds no whole second")
        result.append((first, last))
    return tuple(result)


def describe_weekdays(weekdays: Iterable[int], *, lang: Literal["en", "zh"] = "en") -> str:
    """Write weekdays briefly: ``"mon-fri"``, ``"sat, sun"``, ``"daily"``; ``"周一至周五"``."""
    days = sorted(set(weekdays))
    if len(days) == 7:
        return "daily" if lang == "en" else "每天"
    names, dash, comma = ((DAY_NAMES_EN, "-", ", ") if lang == "en"
                          else (DAY_NAMES_ZH, "至", "、"))
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return comma.join(f"{names[run[0]]}{dash}{names[run[-1]]}" if len(run) >= 3
                      else comma.join(names[day] for day in run) for run in runs)


def format_window(start: time | datetime, end: time | datetime) -> str:
    """Write an interval as ``HH:MM–HH:MM`` for messages.

    Write an interval for messages: ``format_window(time(7, 30), time(8, 15))`` is
    ``"07:30–08:15"``; an end at midnight is ``24:00``. Datetimes are written in the start's
    zone, with ``(+1)`` when the end falls on a later date (other than at its midnight).
    ``str(window)`` adds the weekdays: ``"mon-fri 07:30–08:15"``.

    Parameters
    ----------
    start, end : datetime.time or datetime.datetime
        The interval's ends. When both are datetimes, the end is written in the start's
        zone and the days it lies after the start are counted; otherwise only their
        clock times are written.

    Returns
    -------
    str
        The interval, with an en dash between its ends.
    """
    if isinstance(start, datetime) and isinstance(end, datetime):
        local_end = end.astimezone(start.tzinfo) if start.tzinfo else end
        days = (local_end.date() - start.date()).days - (local_end.time() == time(0))
        text = f"{format_clock(start.time())}–{format_clock(local_end.time(), end=True)}"
        return text + (f" (+{days})" if days > 0 else "")
    return f"{format_clock(_clock(start))}–{format_clock(_clock(end), end=True)}"


def _clock(value: time | datetime) -> time:
    return value.time() if isinstance(value, datetime) else value
