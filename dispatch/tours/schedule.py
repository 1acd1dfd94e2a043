"""When a tour runs: weekly time windows, a date range (a holiday), both, or neither.

Pure: no clock, no database; moments are the jurisdiction's naive local wall time.

Decisions
---------
- Windows are those of must-visit points (:class:`patrol.windows.Window`): weekdays
  (0 = Monday), ``start`` and ``end`` as ``HH:MM``; ``end <= start`` crosses midnight
  and a window belongs to the weekday it starts on (Friday 22:00–02:00 runs into
  Saturday's first two hours).
- ``dates`` (``from``/``to``, inclusive local dates) limits the tour to a period, such
  as the National Day week. A date range without windows runs all day on those dates;
  windows without dates run every week. Neither: the tour runs whenever it is started
  (on demand).
- A schedule never stops an operator from starting a tour by hand: it says when the
  tour is *due* (the tour list shows due tours first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from dispatch.errors import InvalidTour
from patrol.shifts import InvalidClockTime, format_clock, parse_clock
from patrol.windows import Window, describe_weekdays, format_window, parse_weekdays

MAX_WINDOWS = 20
MAX_DAYS = 366
_ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True)
class DateRange:
    """Inclusive local dates: ``first`` to ``last``."""

    first: date
    last: date

    def holds(self, day: date) -> bool:
        """Whether ``day`` lies in the range."""
        return self.first <= day <= self.last


@dataclass(frozen=True)
class TourSchedule:
    """When a tour is due.

    Attributes
    ----------
    windows : tuple of Window
        Weekly windows; empty means all day.
    dates : DateRange or None
        The period the tour is limited to; None means every week.
    """

    windows: tuple[Window, ...] = ()
    dates: DateRange | None = None

    @property
    def on_demand(self) -> bool:
        """Whether the schedule says nothing (the tour runs when started)."""
        return not self.windows and self.dates is None

    def runs_at(self, moment: datetime) -> bool:
        """Whether the tour is due at ``moment``.

        Parameters
        ----------
        moment : datetime.datetime
            Naive local wall time of the jurisdiction (an aware one is read as its wall
            time).

        Returns
        -------
        bool
            False for an on-demand schedule (it is never *due*, only started).
        """
        if self.on_demand:
            return False
        day, clock = moment.date(), moment.time().replace(tzinfo=None)
        if not self.windows:
            return self.dates is not None and self.dates.holds(day)
        return any(self._inside(window, day, clock) for window in self.windows)

    def _inside(self, window: Window, day: date, clock: time) -> bool:
        start, end = window.start, window.end
        crosses = end <= start
        started_today = (day.weekday() in window.weekdays and clock >= start
                         and (crosses or clock < end))
        if started_today:
            return self._dated(day)
        yesterday = day - timedelta(days=1)
        started_yesterday = crosses and yesterday.weekday() in window.weekdays and clock < end
        return started_yesterday and self._dated(yesterday)

    def _dated(self, start_day: date) -> bool:
        return self.dates is None or self.dates.holds(start_day)

    def describe(self, *, lang: Literal["en", "zh"] = "en") -> str:
        """The schedule in words: ``"mon-fri 18:00–21:00; 2025-10-01 – 2025-10-07"``."""
        parts = [f"{describe_weekdays(w.weekdays, lang=lang)} {format_window(w.start, w.end)}"
                 for w in self.windows]
        if self.dates is not None:
            dash = " – " if lang == "en" else "至"
            parts.append(f"{self.dates.first.isoformat()}{dash}{self.dates.last.isoformat()}")
        if not parts:
            return "on demand" if lang == "en" else "按需"
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The schedule as the API writes it (what :func:`parse_schedule` reads)."""
        return {"windows": [{"weekdays": sorted(w.weekdays), "start": format_clock(w.start),
                             "end": format_clock(w.end, end=True)} for w in self.windows],
                "dates": None if self.dates is None else {
                    "from": self.dates.first.isoformat(), "to": self.dates.last.isoformat()}}


def parse_schedule(value: Mapping[str, Any] | None, *, field: str = "schedule"
                   ) -> TourSchedule:
    """Read a schedule.

    Parameters
    ----------
    value : mapping or None
        ``{"windows": [{"weekdays": [4, 5], "start": "18:00", "end": "21:00"}],
        "dates": {"from": "2025-10-01", "to": "2025-10-07"}}``; each part may be left
        out or null. ``weekdays`` takes what :func:`patrol.windows.parse_weekdays` reads
        (default: every day); ``end`` may be ``24:00``.
    field : str, keyword-only
        The path of ``value`` in the request, for error messages.

    Returns
    -------
    TourSchedule

    Raises
    ------
    InvalidTour
        Naming the first field at fault (``schedule.windows.0.start``,
        ``schedule.dates.to``).
    """
    if value is None:
        return TourSchedule()
    if not isinstance(value, Mapping):
        raise InvalidTour(field, "expected an object {windows?, dates?}")
    unknown = sorted(set(value) - {"windows", "dates"})
    if unknown:
        raise InvalidTour(f"{field}.{unknown[0]}", "unknown field (use windows, dates)")
    return TourSchedule(_windows(value.get("windows"), f"{field}.windows"),
                        _dates(value.get("dates"), f"{field}.dates"))


def _windows(value: Any, field: str) -> tuple[Window, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InvalidTour(field, "expected a list of {weekdays, start, end}")
    if len(value) > MAX_WINDOWS:
        raise InvalidTour(field, f"at most {MAX_WINDOWS} windows")
    windows = []
    for index, item in enumerate(value):
        path = f"{field}.{index}"
        if not isinstance(item, Mapping):
            raise InvalidTour(path, "expected an object {weekdays, start, end}")
        unknown = sorted(set(item) - {"weekdays", "start", "end"})
        if unknown:
            raise InvalidTour(f"{path}.{unknown[0]}", "unknown field (use weekdays, start, end)")
        try:
            weekdays = (_ALL_DAYS if item.get("weekdays") in (None, "", [])
                        else parse_weekdays(item["weekdays"]))
        except ValueError as exc:
            raise InvalidTour(f"{path}.weekdays", str(exc)) from None
        clocks = []
        for name in ("start", "end"):
            if item.get(name) in (None, ""):
                raise InvalidTour(f"{path}.{name}", "missing (HH:MM)")
            try:
                clocks.append(parse_clock(item[name], allow_24=name == "end"))
            except InvalidClockTime as exc:
                raise InvalidTour(f"{path}.{name}", str(exc)) from None
        windows.append(Window(weekdays, clocks[0], clocks[1]))
    return tuple(windows)


def _dates(value: Any, field: str) -> DateRange | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidTour(field, "expected an object {from, to}")
    unknown = sorted(set(value) - {"from", "to"})
    if unknown:
        raise InvalidTour(f"{field}.{unknown[0]}", "unknown field (use from, to)")
    days = []
    for name in ("from", "to"):
        raw = value.get(name)
        if not isinstance(raw, str) or not raw.strip():
            raise InvalidTour(f"{field}.{name}", "missing (YYYY-MM-DD)")
        try:
            days.append(date.fromisoformat(raw.strip()))
        except ValueError:
            raise InvalidTour(f"{field}.{name}", f"{raw!r} is not a date (YYYY-MM-DD)"
                              ) from None
    first, last = days
    if last < first:
        raise InvalidTour(f"{field}.to", "'to' comes before 'from'")
    if (last - first).days >= MAX_DAYS:
        raise InvalidTour(f"{field}.to", f"a period of at most {MAX_DAYS} days")
    return DateRange(first, last)
