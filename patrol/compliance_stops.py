"""Plan versus actual, planned stops: were the must-visit points visited in their windows.

Pure decisions on the visits to must-visit points the spatial side has already found in
the GNSS tracks (:func:`gis.tracks.point_visits`). Nothing here reads a clock, a track or a
database; "now" is always passed in. Also holds what the other compliance modules share:
the point id type, :class:`InvalidComplianceInput` and the checks of times, minutes and
tables.

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

All datetimes must be timezone-aware; they are compared in UTC, so a shift across a DST
change measures real minutes. Times returned keep the zone they came in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeAlias

import pandas as pd

from patrol.errors import InvalidComplianceInput as InvalidComplianceInput  # re-exported
from patrol.shifts import to_utc

PointId: TypeAlias = str | int
"""A must-visit point's identifier, as in the ``id`` of the points and the visits table."""

VISIT_COLUMNS = ("point_id", "arrive", "depart", "dwell_s")
"""Columns a visits table must have (``unit`` is optional)."""


class StopStatus(StrEnum):
    """What became of a planned stop; the value is the stable code sent to the console."""

    DONE = "done"
    LATE = "late"
    SHORT = "short"
    MISSED = "missed"
    PENDING = "pending"


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
        start = aware_utc(self.window_start, "window_start")
        if aware_utc(self.window_end, "window_end") <= start:
            raise InvalidComplianceInput(
                f"the window of point {self.point_id!r} ends "
                f"({self.window_end.isoformat()}) before it starts "
                f"({self.window_start.isoformat()})")
        if self.planned_arrive is not None:
            aware_utc(self.planned_arrive, "planned_arrive")
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


# -- helpers ---------------------------------------------------------------------------

def aware_utc(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC; naive raises InvalidComplianceInput."""
    if not isinstance(moment, datetime):
        raise InvalidComplianceInput(f"{name} must be a datetime, not {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidComplianceInput(f"{name}={moment.isoformat()} has no timezone")
    return to_utc(moment, name)


def minutes_of(delta: timedelta) -> float:
    """``delta`` in minutes."""
    return delta / timedelta(minutes=1)


def check_minutes(value: float, name: str, *, positive: bool = True) -> float:
    """Check an option given in minutes.

    ``value`` as a float; raises InvalidComplianceInput (naming ``name``) unless it is a
    finite number of minutes > 0 (>= 0 when not ``positive``).

    Parameters
    ----------
    value : float
        The option, minutes; an ``int`` is accepted, a bool is not.
    name : str
        The option's name, for the error.
    positive : bool, keyword-only
        True to require > 0; False to accept 0 too.

    Returns
    -------
    float
        ``value`` in minutes.

    Raises
    ------
    InvalidComplianceInput
        When ``value`` is not a finite number in range.
    """
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


def require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise InvalidComplianceInput when the ``what`` table lacks one of ``columns``."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InvalidComplianceInput(f"the {what} table lacks column(s) {missing}")


def aware_times(table: pd.DataFrame, column: str, what: str) -> list[datetime]:
    """Read a column of timezone-aware times.

    ``column`` of the ``what`` table as timezone-aware datetimes (to the microsecond);
    naive or missing times raise InvalidComplianceInput.

    Parameters
    ----------
    table : pandas.DataFrame
        The visits or stays table.
    column : str
        A column of ``table`` holding timezone-aware timestamps.
    what : str
        The table's name, for the error (``"visits"``, ``"stays"``).

    Returns
    -------
    list of datetime
        One aware datetime per row, in the column's own zone, rounded to the microsecond.

    Raises
    ------
    InvalidComplianceInput
        When the column is not of a timezone-aware datetime type or has missing times.
    """
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
    require_columns(visits, VISIT_COLUMNS, "visits")
    by_unit = "unit" in visits.columns
    arrives = aware_times(visits, "arrive", "visits")
    departs = aware_times(visits, "depart", "visits")
    grouped: dict[Any, list[_Visit]] = {}
    units = visits["unit"].tolist() if by_unit else [None] * len(visits)
    for point_id, unit, arrive, depart, dwell in zip(
            visits["point_id"].tolist(), units, arrives, departs,
            visits["dwell_s"].tolist(), strict=True):
        key = (point_id, unit) if by_unit else point_id
        grouped.setdefault(key, []).append(
            _Visit(arrive, depart, aware_utc(arrive, "arrive"), aware_utc(depart, "depart"),
                   float(dwell)))
    for found in grouped.values():
        found.sort(key=lambda visit: visit.arrive_utc)
    return grouped, by_unit


# -- planned stops ---------------------------------------------------------------------

def _check_stop(stop: PlannedStop, visits: Sequence[_Visit], *, now_utc: datetime | None,
               late_within: timedelta) -> StopCheck:
    """Decide one stop against the visits of its point (and unit), sorted by arrival."""
    start = aware_utc(stop.window_start, "window_start")
    end = aware_utc(stop.window_end, "window_end")
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
        planned = aware_utc(stop.planned_arrive, "planned_arrive") \
            if stop.planned_arrive is not None else start
        late_min = max(0.0, minutes_of(reported.arrive_utc - planned))
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
    late_within = timedelta(minutes=check_minutes(late_within_min, "late_within_min",
                                                  positive=False))
    now_utc = aware_utc(now, "now") if now is not None else None
    grouped, by_unit = _visits_by_key(visits)
    return [_check_stop(stop, grouped.get((stop.point_id, stop.unit) if by_unit
                                         else stop.point_id, []),
                       now_utc=now_utc, late_within=late_within)
            for stop in planned]
