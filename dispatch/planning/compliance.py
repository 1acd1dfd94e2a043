"""Plan versus actual: were the planned stops made, were hot spots dosed, what to alert.

Pure decisions on tables the spatial side has already made: visits to must-visit points
(:func:`gis.tracks.point_visits`) and stays in cells (:func:`gis.tracks.stays_in_cells`).
Nothing here reads a clock, a track or a database; "now" is always passed in.

Decisions
---------
Planned stops (:func:`stop_compliance`):

- A visit *counts for a window* when it overlaps it (``arrive <= window_end`` and
  ``depart >= window_start``, both ends closed), and *has the dwell* when its ``dwell_s``
  is at least the stop's ``dwell_s``. Only visits of the stop's point are looked at, and,
  when the visits table has a ``unit`` column, only those of the stop's unit.
- The status is the first that applies:

  1. ``done``: a visit with the dwell counts for the window (``on_time``);
  2. ``pending``: the window is not over at ``now`` (``now < window_end``), so the unit
     may still make it (``now=None`` judges every window as over: the end-of-shift
     report);
  3. ``late``: a visit with the dwell arrived after the window closed, within
     ``late_within_min`` of its end;
  4. ``short``: visits counted for the window, none long enough;
  5. ``missed``: none of the above.
- The visit reported (``arrived``, ``dwell_s``) is the first with the dwell for ``done``
  and ``late``, and the longest counted for the window for ``short`` and ``pending``.
  ``late_min`` is how many minutes that arrival came after ``planned_arrive`` (the
  window's start when there is none), 0 when it came on time or early.

Dosage (:func:`dosage_compliance`), after the Koper curve (a 10-16 minute stop deters
longest; a stop every couple of hours keeps the effect):

- The shift is cut into the periods of :func:`dispatch.planning.windows.dose_windows`,
  the same ones the planner owes doses in (``revisit_min`` long from the shift's start,
  the trailing one shortened, dropped when shorter than a dose).
- A stay is cut to the shift and then belongs, whole, to the period in which it begins: a
  14-minute stop begun five minutes before a period ends doses that period, as the
  planner meant it to.
- A period is *dosed* when one stay in it lasts ``dose_min`` minutes or more: passes
  through a cell do not add up to a dose. It is *over* when a stay lasts more than
  ``dose_max`` minutes (time the Koper curve says is wasted there). ``minutes`` is the
  total of the period's stays.

Overdue alerts (:func:`overdue_points`): a planned stop whose window closes within
``warn_before_min`` minutes, that is not yet done. Each (point, window end) is alerted at
most once: keys already alerted are passed in and skipped.

All datetimes must be timezone-aware; they are compared in UTC, so a shift across a DST
change measures real minutes. Times returned keep the zone they came in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeAlias

import pandas as pd

from dispatch.planning.shifts import to_utc
from dispatch.planning.windows import dose_windows

PointId: TypeAlias = str | int
"""A must-visit point's identifier, as in the ``id`` of the points and the visits table."""

VISIT_COLUMNS = ("point_id", "arrive", "depart", "dwell_s")
"""Columns a visits table must have (``unit`` is optional)."""

SUMMARY_KEYS = ("unit", "grid", "shift", "code", "point_id")
"""Attributes :func:`summarise` can group by."""


class InvalidComplianceInput(ValueError):
    """A planned stop, a visits or stays table, or an option is unusable (a window that
    ends before it starts, a negative dwell, a missing column, a naive time)."""


class StopStatus(StrEnum):
    """What became of a planned stop; the value is the stable code sent to the console."""

    DONE = "done"
    LATE = "late"
    SHORT = "short"
    MISSED = "missed"
    PENDING = "pending"


class DoseStatus(StrEnum):
    """Whether a cell got its dose in a period."""

    DOSED = "dosed"
    UNDOSED = "undosed"
    PENDING = "pending"


class OverdueReason(StrEnum):
    """Why a point is about to be overdue."""

    NOT_VISITED = "not_visited"
    """No visit to the point overlaps the window yet."""
    DWELL_SHORT = "dwell_short"
    """The point was (or is being) visited in the window, not yet for the dwell asked."""


@dataclass(frozen=True)
class PlannedStop:
    """A stop a unit's plan asks for.

    Attributes
    ----------
    point_id : str or int
        The must-visit point.
    unit : str or int
        The unit that should make the stop.
    window_start, window_end : datetime
        When the stop must be made, timezone-aware; ``window_end > window_start``.
    dwell_s : float
        Seconds the unit must stay, >= 0.
    planned_arrive : datetime or None
        The arrival the plan scheduled, timezone-aware; None means the window's start.
    grid, shift : str or None
        Labels for :func:`summarise` (the patrol grid of the point, the shift's name).
    """

    point_id: PointId
    unit: str | int
    window_start: datetime
    window_end: datetime
    dwell_s: float
    planned_arrive: datetime | None = None
    grid: str | None = None
    shift: str | None = None

    def __post_init__(self) -> None:
        start = _utc(self.window_start, "window_start")
        if _utc(self.window_end, "window_end") <= start:
            raise InvalidComplianceInput(
                f"the window of point {self.point_id!r} ends "
                f"({self.window_end.isoformat()}) before it starts "
                f"({self.window_start.isoformat()})")
        if self.planned_arrive is not None:
            _utc(self.planned_arrive, "planned_arrive")
        if isinstance(self.dwell_s, bool) or not math.isfinite(self.dwell_s) \
                or self.dwell_s < 0:
            raise InvalidComplianceInput(f"dwell_s of point {self.point_id!r} must be a "
                                         f"finite number of seconds >= 0, not {self.dwell_s!r}")


@dataclass(frozen=True)
class StopCheck:
    """A planned stop and what became of it.

    Attributes
    ----------
    stop : PlannedStop
    status : StopStatus
    visited : bool
        A visit is reported (``arrived`` is set): in the window, or late.
    arrived : datetime or None
        Arrival of the visit reported (see the module docstring).
    dwell_s : float or None
        Its dwell, seconds.
    on_time : bool
        A visit with the dwell overlaps the window.
    late_min : float or None
        Minutes ``arrived`` came after the planned arrival; 0 when on time or early.
    """

    stop: PlannedStop
    status: StopStatus
    visited: bool
    arrived: datetime | None
    dwell_s: float | None
    on_time: bool
    late_min: float | None

    @property
    def point_id(self) -> PointId:
        """The stop's point."""
        return self.stop.point_id

    @property
    def unit(self) -> str | int:
        """The stop's unit."""
        return self.stop.unit

    @property
    def grid(self) -> str | None:
        """The stop's grid label."""
        return self.stop.grid

    @property
    def shift(self) -> str | None:
        """The stop's shift label."""
        return self.stop.shift

    @property
    def compliant(self) -> bool | None:
        """True when done, None while pending, else False."""
        if self.status is StopStatus.PENDING:
            return None
        return self.status is StopStatus.DONE


@dataclass(frozen=True)
class DoseCheck:
    """Whether one cell got its dose in one period.

    Attributes
    ----------
    code : str
        The cell.
    period_start, period_end : datetime
        The period, half-open, in the zone of ``shift_start``.
    minutes : float
        Total minutes of the stays begun in the period.
    longest_min : float
        The longest of them, minutes (0 without any).
    stays : int
        How many stays began in the period.
    dosed : bool
        ``longest_min >= dose_min``.
    over : bool
        ``longest_min > dose_max``.
    status : DoseStatus
        ``pending`` when not dosed and the period is not over at ``now``.
    unit, shift : str, int or None
        Labels passed to :func:`dosage_compliance`, for :func:`summarise`.
    """

    code: str
    period_start: datetime
    period_end: datetime
    minutes: float
    longest_min: float
    stays: int
    dosed: bool
    over: bool
    status: DoseStatus
    unit: str | int | None = None
    shift: str | None = None

    @property
    def grid(self) -> str:
        """The cell, for grouping by grid in :func:`summarise`."""
        return self.code

    @property
    def compliant(self) -> bool | None:
        """True when dosed, None while pending, else False."""
        return None if self.status is DoseStatus.PENDING else self.dosed


@dataclass(frozen=True)
class Overdue:
    """A point to alert about: its window closes soon and it has not been done.

    Attributes
    ----------
    point_id : str or int
    window_end : datetime
    minutes_left : float
        Minutes from ``now`` to ``window_end``, > 0.
    reason : OverdueReason
    unit : str or int
        The unit the stop is planned for.
    """

    point_id: PointId
    window_end: datetime
    minutes_left: float
    reason: OverdueReason
    unit: str | int

    @property
    def key(self) -> tuple[PointId, datetime]:
        """``(point_id, window_end)``: what is alerted at most once."""
        return (self.point_id, self.window_end)


# -- helpers ---------------------------------------------------------------------------

def _utc(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC; naive raises InvalidComplianceInput."""
    if not isinstance(moment, datetime):
        raise InvalidComplianceInput(f"{name} must be a datetime, not {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidComplianceInput(f"{name}={moment.isoformat()} has no timezone")
    return to_utc(moment, name)


def _minutes(delta: timedelta) -> float:
    return delta / timedelta(minutes=1)


def _check_minutes(value: float, name: str, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or (value <= 0 if positive else value < 0):
        bound = "> 0" if positive else ">= 0"
        raise InvalidComplianceInput(f"{name} must be a finite number of minutes {bound}, "
                                     f"not {value!r}")
    return float(value)


@dataclass(frozen=True)
class _Visit:
    arrive: datetime
    depart: datetime
    arrive_utc: datetime
    depart_utc: datetime
    dwell_s: float


def _require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InvalidComplianceInput(f"the {what} table lacks column(s) {missing}")


def _aware_times(table: pd.DataFrame, column: str, what: str) -> list[datetime]:
    values = table[column]
    if len(values) and not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise InvalidComplianceInput(f"column {column!r} of the {what} table must hold "
                                     f"timezone-aware datetimes, not {values.dtype}")
    if values.isna().any():
        raise InvalidComplianceInput(f"column {column!r} of the {what} table has missing times")
    if not len(values):
        return []
    # interpolated instants carry nanoseconds; datetime holds microseconds
    return [stamp.to_pydatetime() for stamp in values.dt.round("us")]


def _visits_by_key(visits: pd.DataFrame) -> tuple[dict[Any, list[_Visit]], bool]:
    _require_columns(visits, VISIT_COLUMNS, "visits")
    by_unit = "unit" in visits.columns
    arrives = _aware_times(visits, "arrive", "visits")
    departs = _aware_times(visits, "depart", "visits")
    grouped: dict[Any, list[_Visit]] = {}
    units = visits["unit"].tolist() if by_unit else [None] * len(visits)
    for point_id, unit, arrive, depart, dwell in zip(
            visits["point_id"].tolist(), units, arrives, departs,
            visits["dwell_s"].tolist(), strict=True):
        key = (point_id, unit) if by_unit else point_id
        grouped.setdefault(key, []).append(
            _Visit(arrive, depart, _utc(arrive, "arrive"), _utc(depart, "depart"), float(dwell)))
    for found in grouped.values():
        found.sort(key=lambda visit: visit.arrive_utc)
    return grouped, by_unit


# -- planned stops ---------------------------------------------------------------------

def _check_stop(stop: PlannedStop, visits: Sequence[_Visit], *, now_utc: datetime | None,
               late_within: timedelta) -> StopCheck:
    """Decide one stop against the visits of its point (and unit), sorted by arrival."""
    start, end = _utc(stop.window_start, "window_start"), _utc(stop.window_end, "window_end")
    counted = [v for v in visits if v.arrive_utc <= end and v.depart_utc >= start]
    with_dwell = [v for v in counted if v.dwell_s >= stop.dwell_s]
    reported: _Visit | None
    if with_dwell:
        status, reported = StopStatus.DONE, with_dwell[0]
    elif now_utc is not None and now_utc < end:
        status = StopStatus.PENDING
        reported = max(counted, key=lambda v: v.dwell_s) if counted else None
    else:
        late = [v for v in visits if end < v.arrive_utc <= end + late_within
                and v.dwell_s >= stop.dwell_s]
        if late:
            status, reported = StopStatus.LATE, late[0]
        elif counted:
            status, reported = StopStatus.SHORT, max(counted, key=lambda v: v.dwell_s)
        else:
            status, reported = StopStatus.MISSED, None
    late_min: float | None = None
    if reported is not None:
        planned = _utc(stop.planned_arrive, "planned_arrive") \
            if stop.planned_arrive is not None else start
        late_min = max(0.0, _minutes(reported.arrive_utc - planned))
    return StopCheck(
        stop=stop, status=status, visited=reported is not None,
        arrived=reported.arrive if reported is not None else None,
        dwell_s=reported.dwell_s if reported is not None else None,
        on_time=bool(with_dwell), late_min=late_min)


def stop_compliance(planned: Sequence[PlannedStop], visits: pd.DataFrame, *,
                    now: datetime | None = None,
                    late_within_min: float = 60.0) -> list[StopCheck]:
    """Check each planned stop against the visits made.

    Parameters
    ----------
    planned : sequence of PlannedStop
    visits : pandas.DataFrame
        Columns ``point_id``, ``arrive``, ``depart`` (timezone-aware) and ``dwell_s``
        (seconds), as :func:`gis.tracks.point_visits` returns them; optionally ``unit``
        (then a stop only counts its own unit's visits). Compute the visits with a
        ``min_dwell_s`` of 0 (the default), or ``short`` cannot be told from ``missed``.
    now : datetime, optional, keyword-only
        Timezone-aware; windows not over at ``now`` and not yet done are ``pending``.
        None judges every window as over.
    late_within_min : float, default 60, keyword-only
        A visit arriving up to this many minutes after the window closed makes the stop
        ``late`` rather than ``missed``.

    Returns
    -------
    list of StopCheck
        One per planned stop, in the order given.

    Raises
    ------
    InvalidComplianceInput
        A missing column, a naive time, a ``late_within_min`` not >= 0.
    """
    late_within = timedelta(minutes=_check_minutes(late_within_min, "late_within_min",
                                                   positive=False))
    now_utc = _utc(now, "now") if now is not None else None
    grouped, by_unit = _visits_by_key(visits)
    return [_check_stop(stop, grouped.get((stop.point_id, stop.unit) if by_unit
                                         else stop.point_id, []),
                       now_utc=now_utc, late_within=late_within)
            for stop in planned]


# -- dosage ----------------------------------------------------------------------------

def dosage_compliance(stays: pd.DataFrame, *, shift_start: datetime, shift_end: datetime,
                      revisit_min: float = 120, dose_min: float = 10, dose_max: float = 16,
                      codes: Iterable[str] | None = None, now: datetime | None = None,
                      unit: str | int | None = None,
                      shift: str | None = None) -> list[DoseCheck]:
    """Check, per cell and revisit period, whether the cell got a Koper dose.

    Parameters
    ----------
    stays : pandas.DataFrame
        Columns ``code``, ``enter``, ``exit`` (timezone-aware) and ``seconds``, as
        :func:`gis.tracks.stays_in_cells` returns them (of one unit or several).
    shift_start, shift_end : datetime, keyword-only
        The shift, timezone-aware.
    revisit_min : float, default 120
        Length of a period, minutes.
    dose_min, dose_max : float, default 10 and 16
        A stay of at least ``dose_min`` minutes is a dose; one of more than ``dose_max``
        is longer than useful.
    codes : iterable of str, optional
        The cells owed doses, in the order to report them; cells without any stay are
        reported undosed. Default: the cells in ``stays``, in order of first appearance.
        Stays in other cells are ignored.
    now : datetime, optional
        Periods not over at ``now`` and not yet dosed are ``pending``; None judges all.
    unit, shift : optional
        Labels copied into each check, for :func:`summarise`.

    Returns
    -------
    list of DoseCheck
        By cell (in the order of ``codes``), then by period.

    Raises
    ------
    InvalidComplianceInput
        A missing column, a naive time, ``dose_max < dose_min``.
    NaiveDatetime, InvalidInterval, InvalidDoseSpec
        From :func:`dispatch.planning.windows.dose_windows`: a naive or reversed shift,
        ``revisit_min``/``dose_min`` not positive or ``dose_min > revisit_min``.
    """
    lo, hi = _utc(shift_start, "shift_start"), _utc(shift_end, "shift_end")
    dose_max_min = _check_minutes(dose_max, "dose_max")
    if isinstance(dose_min, int | float) and dose_max_min < dose_min:
        raise InvalidComplianceInput(f"dose_max={dose_max!r} is shorter than "
                                     f"dose_min={dose_min!r}")
    now_utc = _utc(now, "now") if now is not None else None
    periods = dose_windows(shift_start, shift_end, revisit_min=revisit_min, dose_min=dose_min)
    _require_columns(stays, ("code", "enter", "exit"), "stays")
    enters = _aware_times(stays, "enter", "stays")
    exits = _aware_times(stays, "exit", "stays")
    order = list(dict.fromkeys(stays["code"].tolist() if codes is None else codes))
    # Minutes of each stay (cut to the shift) by cell and period index.
    found: dict[tuple[Any, int], list[float]] = {}
    starts_utc = [_utc(start, "period start") for start, _ in periods]
    ends_utc = [_utc(end, "period end") for _, end in periods]
    for code, enter, exit_ in zip(stays["code"].tolist(), enters, exits, strict=True):
        begin, finish = max(_utc(enter, "enter"), lo), min(_utc(exit_, "exit"), hi)
        if finish <= begin:
            continue
        index = next((i for i, (a, b) in enumerate(zip(starts_utc, ends_utc, strict=True))
                      if a <= begin < b), None)
        if index is not None:
            found.setdefault((code, index), []).append(_minutes(finish - begin))
    checks = []
    for code in order:
        for index, (start, end) in enumerate(periods):
            minutes = found.get((code, index), [])
            longest = max(minutes, default=0.0)
            dosed = longest >= dose_min
            if dosed:
                status = DoseStatus.DOSED
            elif now_utc is not None and now_utc < ends_utc[index]:
                status = DoseStatus.PENDING
            else:
                status = DoseStatus.UNDOSED
            checks.append(DoseCheck(code=code, period_start=start, period_end=end,
                                    minutes=sum(minutes), longest_min=longest,
                                    stays=len(minutes), dosed=dosed,
                                    over=longest > dose_max_min, status=status,
                                    unit=unit, shift=shift))
    return checks


# -- summaries -------------------------------------------------------------------------

def summarise(checks: Iterable[StopCheck | DoseCheck], *,
              by: tuple[str, ...] = ("unit",)) -> list[dict[str, Any]]:
    """Compliance per unit, grid, shift (or cell, point) of stop or dose checks.

    Parameters
    ----------
    checks : iterable of StopCheck or DoseCheck
    by : tuple of str, keyword-only
        Attributes to group by, from :data:`SUMMARY_KEYS`; e.g. ``("unit",)``,
        ``("grid",)``, ``("shift",)`` or ``("shift", "unit")``.

    Returns
    -------
    list of dict
        One per group, ordered by the group's values (None last): the ``by`` attributes,
        ``total`` checks, ``pending`` ones (not yet decidable), ``decided`` ones,
        ``compliant`` ones (done; dosed), ``percent`` (100 * compliant / decided, None
        when nothing is decided yet) and ``statuses`` (count per status code).

    Raises
    ------
    InvalidComplianceInput
        ``by`` empty or naming an attribute not in :data:`SUMMARY_KEYS`.
    """
    if not by or any(key not in SUMMARY_KEYS for key in by):
        raise InvalidComplianceInput(f"by={by!r} must name one or more of {SUMMARY_KEYS}")
    groups: dict[tuple[Any, ...], list[StopCheck | DoseCheck]] = {}
    for check in checks:
        if not all(hasattr(check, key) for key in by):
            raise InvalidComplianceInput(f"{type(check).__name__} has no attribute in {by!r}")
        groups.setdefault(tuple(getattr(check, key) for key in by), []).append(check)

    def order(values: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
        return tuple((value is None, str(value)) for value in values)

    summary = []
    for values in sorted(groups, key=order):
        members = groups[values]
        verdicts = [check.compliant for check in members]
        decided = sum(verdict is not None for verdict in verdicts)
        compliant = sum(verdict is True for verdict in verdicts)
        summary.append({
            **dict(zip(by, values, strict=True)),
            "total": len(members),
            "pending": len(members) - decided,
            "decided": decided,
            "compliant": compliant,
            "percent": 100.0 * compliant / decided if decided else None,
            "statuses": dict(Counter(str(check.status) for check in members)),
        })
    return summary


# -- overdue alerts --------------------------------------------------------------------

def overdue_points(now: datetime, checks: Iterable[StopCheck], *,
                   warn_before_min: float = 15.0,
                   already: AbstractSet[tuple[PointId, datetime]] = frozenset(),
                   ) -> list[Overdue]:
    """Decide which points to alert about: window closing soon, stop not yet done.

    Parameters
    ----------
    now : datetime
        Timezone-aware.
    checks : iterable of StopCheck
        The stops of the shift, from :func:`stop_compliance` on the visits seen so far
        (best at the same ``now``).
    warn_before_min : float, default 15, keyword-only
        Alert when the window closes within this many minutes (``0 < minutes_left <=
        warn_before_min``); a window already closed is not alerted (it is ``missed``).
    already : set of (point_id, window_end), keyword-only
        Keys already alerted; they are never returned again. Window ends are compared as
        instants, whatever their zone.

    Returns
    -------
    list of Overdue
        At most one per (point, window end), soonest closing first, then by point id.

    Raises
    ------
    InvalidComplianceInput
        ``now`` naive or ``warn_before_min`` not > 0.
    """
    now_utc = _utc(now, "now")
    warn = _check_minutes(warn_before_min, "warn_before_min")
    seen = {(point_id, _utc(end, "already window_end")) for point_id, end in already}
    alerts = []
    for check in checks:
        end = check.stop.window_end
        key = (check.point_id, _utc(end, "window_end"))
        minutes_left = _minutes(key[1] - now_utc)
        if check.on_time or key in seen or not 0 < minutes_left <= warn:
            continue
        seen.add(key)
        counted = check.visited and check.status is not StopStatus.LATE
        alerts.append(Overdue(point_id=check.point_id, window_end=end,
                              minutes_left=minutes_left,
                              reason=OverdueReason.DWELL_SHORT if counted
                              else OverdueReason.NOT_VISITED,
                              unit=check.unit))
    alerts.sort(key=lambda alert: (alert.minutes_left, str(alert.point_id)))
    return alerts
