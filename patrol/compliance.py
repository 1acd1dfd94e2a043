"""Plan versus actual: were the planned stops made, were hot spots dosed, what to alert.

Pure decisions on tables the spatial side has already made: visits to must-visit points
(:func:`gis.tracks.point_visits`) and stays in cells (:func:`gis.tracks.stays_in_cells`).
Nothing here reads a clock, a track or a database; "now" is always passed in.

The decisions are split by concept: planned stops versus visits in
:mod:`patrol.compliance_stops`, dose minutes in hot-spot cells in
:mod:`patrol.compliance_dosage`; this module summarises their checks and decides
the overdue alerts, and re-exports the public names of both.

Decisions
---------
Overdue alerts (:func:`overdue_points`): a planned stop whose window closes within
``warn_before_min`` minutes, that is not yet done. Each (point, window end) is alerted at
most once: keys already alerted are passed in and skipped.

All datetimes must be timezone-aware; they are compared in UTC, so a shift across a DST
change measures real minutes. Times returned keep the zone they came in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from patrol.compliance_dosage import DoseCheck, DoseStatus, dosage_compliance
from patrol.compliance_stops import (
    VISIT_COLUMNS,
    InvalidComplianceInput,
    PlannedStop,
    PointId,
    StopCheck,
    StopStatus,
    aware_utc,
    check_minutes,
    minutes_of,
    stop_compliance,
)

__all__ = [
    "SUMMARY_KEYS", "VISIT_COLUMNS", "DoseCheck", "DoseStatus", "InvalidComplianceInput",
    "Overdue", "OverdueReason", "PlannedStop", "PointId", "StopCheck", "StopStatus",
    "dosage_compliance", "overdue_points", "stop_compliance", "summarise",
]

SUMMARY_KEYS = ("unit", "grid", "shift", "code", "point_id")
"""Attributes :func:`summarise` can group by."""


class OverdueReason(StrEnum):
    """Why a point is about to be overdue."""

    NOT_VISITED = "not_visited"
    """No visit to the point overlaps the window yet."""
    DWELL_SHORT = "dwell_short"
    """The point was (or is being) visited in the window, not yet for the dwell asked."""


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
    now_utc = aware_utc(now, "now")
    warn = check_minutes(warn_before_min, "warn_before_min")
    seen = {(point_id, aware_utc(end, "already window_end")) for point_id, end in already}
    alerts = []
    for check in checks:
        end = check.stop.window_end
        key = (check.point_id, aware_utc(end, "window_end"))
        minutes_left = minutes_of(key[1] - now_utc)
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
