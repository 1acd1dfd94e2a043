"""The unit status model: statuses, the changes allowed between them, and status timers.

Pure decisions only: nothing here reads a clock, a database or a radio. The service layer
loads a unit's status and the time it entered it, asks this module, then commits.

Statuses are named after the APCO ANS 1.116.2 common status codes, each with a Chinese
label for the zh-CN console:

=====================  =================  ==================================================
status                 label (zh)         meaning
=====================  =================  ==================================================
available              空闲               in service, on patrol or at base, free for calls
dispatched             已派遣             assigned to an incident, not yet moving to it
en_route               途中               moving to the incident
on_scene               到场               at the incident
committed_available    任务中可调派       on a low-priority task (a must-visit dosage stay,
                                          report writing, a traffic post) but may be pulled
                                          off it for a new alert
out_of_service         不在岗             not assignable: meal break, vehicle repair,
                                          prisoner transport, end of shift
=====================  =================  ==================================================

Same-status changes are accepted as a no-op (``can_change(s, s)`` is true). Radios and
mobile terminals repeat status messages (a second button press, a gateway retry); such a
repeat must not fail, and the caller must keep the original ``since`` so that pressing the
same status button again cannot reset an overdue timer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from dispatch.errors import IllegalStatusChange as IllegalStatusChange  # re-exported
from dispatch.errors import InvalidStatusTime as InvalidStatusTime
from dispatch.labels import LabelledEnum


class UnitStatus(LabelledEnum):
    """A unit's status; the value is the stable code stored and sent over the API."""

    AVAILABLE = "available", "Available", "空闲"
    DISPATCHED = "dispatched", "Dispatched", "已派遣"
    EN_ROUTE = "en_route", "En route", "途中"
    ON_SCENE = "on_scene", "On scene", "到场"
    COMMITTED_AVAILABLE = "committed_available", "Committed, available", "任务中可调派"
    OUT_OF_SERVICE = "out_of_service", "Out of service", "不在岗"


_S = UnitStatus

ALLOWED_CHANGES: Mapping[UnitStatus, frozenset[UnitStatus]] = MappingProxyType({
    _S.AVAILABLE: frozenset({
        _S.DISPATCHED, _S.ON_SCENE, _S.COMMITTED_AVAILABLE, _S.OUT_OF_SERVICE,
    }),
    _S.DISPATCHED: frozenset({
        _S.EN_ROUTE, _S.ON_SCENE, _S.AVAILABLE, _S.OUT_OF_SERVICE,
    }),
    _S.EN_ROUTE: frozenset({
        _S.ON_SCENE, _S.DISPATCHED, _S.AVAILABLE, _S.OUT_OF_SERVICE,
    }),
    _S.ON_SCENE: frozenset({
        _S.AVAILABLE, _S.COMMITTED_AVAILABLE, _S.OUT_OF_SERVICE,
    }),
    _S.COMMITTED_AVAILABLE: frozenset({
        _S.DISPATCHED, _S.ON_SCENE, _S.AVAILABLE, _S.OUT_OF_SERVICE,
    }),
    _S.OUT_OF_SERVICE: frozenset({_S.AVAILABLE}),
})
"""The status changes a unit may make, as ``current -> {next, ...}`` (self-changes aside).

Decided the way CAD systems (Hexagon OnCall, Motorola PremierOne, Resgrid) run a unit:

- ``available`` -> ``dispatched`` (assigned by the dispatcher); ``on_scene`` (an on-view
  incident: the patrol is flagged down or comes upon it, 自主发现); ``committed_available``
  (starts a low-priority task such as a must-visit stay); ``out_of_service``.
  Not ``en_route``: moving to an incident requires an assignment first.
- ``dispatched`` -> ``en_route`` (acknowledged and moving); ``on_scene`` (arrived without
  pressing en route, common when the incident is around the corner); ``available``
  (assignment cancelled); ``out_of_service``.
- ``en_route`` -> ``on_scene``; ``dispatched`` (diverted to a higher-priority incident: the
  new assignment restarts the dispatch timer); ``available`` (cancelled on the way);
  ``out_of_service``.
- ``on_scene`` -> ``available`` (cleared); ``committed_available`` (scene under control,
  follow-up work that can be interrupted); ``out_of_service`` (e.g. prisoner transport).
  Not ``dispatched``: a unit engaged at a scene is not pulled away by the console; the
  officer first declares the scene safe to leave (``committed_available``) or clears it.
- ``committed_available`` -> ``dispatched`` (pulled off its task for an alert, which is
  what the status is for); ``on_scene`` (on-view incident, as from ``available``);
  ``available`` (task done); ``out_of_service``.
- ``out_of_service`` -> ``available`` only: a unit returns to service before it is
  assigned, so the board shows it free and the roster check happens once.

``out_of_service`` is reachable from every status (breakdown, collision, injury): the
console must never offer a unit that cannot move. Leaving an incident that way is the
service layer's cue to reassign the incident.
"""


def can_change(current: UnitStatus, new: UnitStatus) -> bool:
    """Tell whether a unit in ``current`` may change to ``new``.

    Parameters
    ----------
    current : UnitStatus
        The unit's status now.
    new : UnitStatus
        The status asked for.

    Returns
    -------
    bool
        True when ``new`` is in ``ALLOWED_CHANGES[current]`` or equals ``current`` (a
        repeated status message, accepted as a no-op).
    """
    return new == current or new in ALLOWED_CHANGES[current]


def check_change(current: UnitStatus, new: UnitStatus) -> None:
    """Raise unless a unit in ``current`` may change to ``new``.

    Parameters
    ----------
    current : UnitStatus
        The unit's status now.
    new : UnitStatus
        The status asked for.

    Raises
    ------
    IllegalStatusChange
        When the change is not allowed; the message names both statuses and the statuses
        allowed next.
    """
    if can_change(current, new):
        return
    allowed = ", ".join(sorted(ALLOWED_CHANGES[current]))
    raise IllegalStatusChange(
        f"a unit {current} cannot become {new}; from {current} it may become: {allowed}"
    )


def is_recommendable(status: UnitStatus) -> bool:
    """Tell whether a unit in ``status`` may be recommended for a new alert.

    Parameters
    ----------
    status : UnitStatus
        The unit's status now.

    Returns
    -------
    bool
        True for ``available`` and ``committed_available``; the ranking should still prefer
        available units, since a committed one leaves a task behind.
    """
    return status in _RECOMMENDABLE


_RECOMMENDABLE = frozenset({UnitStatus.AVAILABLE, UnitStatus.COMMITTED_AVAILABLE})

DEFAULT_LIMITS: Mapping[UnitStatus, timedelta] = MappingProxyType({
    UnitStatus.DISPATCHED: timedelta(minutes=2),
    UnitStatus.EN_ROUTE: timedelta(minutes=20),
    UnitStatus.ON_SCENE: timedelta(minutes=60),
})
"""How long a unit may stay in a status before the console prompts a check.

- ``dispatched`` 2 min: the unit has not acknowledged (gone en route); the dispatcher
  calls it on the radio or reassigns.
- ``en_route`` 20 min: longer than any drive inside a prefecture's patrol area should take;
  the unit may be lost, blocked or in trouble.
- ``on_scene`` 60 min: an officer-safety welfare check (安全确认) on a long scene.

``available``, ``committed_available`` and ``out_of_service`` have no limit by default.
A deployment passes its own mapping as ``limits=``; statuses missing from it never fall due.
"""


def time_in_status(since: datetime, now: datetime) -> timedelta:
    """Return how long a unit has been in its status.

    Parameters
    ----------
    since : datetime
        When the unit entered the status; timezone-aware.
    now : datetime
        The time to measure at; timezone-aware (any zone: compared as instants).

    Returns
    -------
    timedelta
        ``now - since``, never negative.

    Raises
    ------
    InvalidStatusTime
        When either time is naive, or ``since`` lies after ``now``.
    """
    for name, value in (("since", since), ("now", now)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidStatusTime(f"{name}={value.isoformat()} has no timezone")
    elapsed = now - since
    if elapsed < timedelta(0):
        raise InvalidStatusTime(
            f"since={since.isoformat()} lies after now={now.isoformat()}"
        )
    return elapsed


def overdue(
    status: UnitStatus,
    since: datetime,
    now: datetime,
    *,
    limits: Mapping[UnitStatus, timedelta] = DEFAULT_LIMITS,
) -> bool:
    """Tell whether a unit has stayed in ``status`` longer than its limit.

    Parameters
    ----------
    status : UnitStatus
        The unit's status now.
    since : datetime
        When the unit entered ``status``; timezone-aware. A repeated same-status message
        must not move it (see the module docstring).
    now : datetime
        The time to judge at; timezone-aware.
    limits : Mapping[UnitStatus, timedelta], keyword-only
        Longest time allowed per status; ``DEFAULT_LIMITS`` unless given.

    Returns
    -------
    bool
        True when the time in status is strictly longer than the status's limit; always
        False for a status without a limit.

    Raises
    ------
    InvalidStatusTime
        When either time is naive, or ``since`` lies after ``now``.
    """
    elapsed = time_in_status(since, now)
    limit = limits.get(status)
    return limit is not None and elapsed > limit
