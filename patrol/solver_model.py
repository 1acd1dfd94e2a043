"""The patrol route solver's data model: requests, answers, checks and the true timeline.

Shared by :mod:`patrol.solver` and its two engine adapters. Everything here is
pure and engine-free: the types the app builds and reads, the validation of a request into
a :class:`Problem` (integer seconds, a compact matrix over the locations used), and
:func:`schedule_route`, which turns an engine's order of stops and breaks into times on the
*true* travel matrix. The engines only ever choose the order; every reported time comes
from here, so both engines answer in the same terms.

Timeline rules (the same for both engines):

- A stop's dwell lies wholly inside one of its windows: ``start_s >= a`` and
  ``start_s + service_s <= b``. A break's whole duration lies inside one of its windows.
- A unit starts service as soon as it arrives and the window allows (waiting otherwise).
- A break is taken on the way to the next place: the unit drives until the break's window
  opens (or all the way) and pauses there, which is what both vroom and OR-Tools allow.
- A route leaves its station at the shift's start, or later by the wait it would otherwise
  have at its first stop; it ends on arrival back at the station (after any break left).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from patrol.errors import InvalidPlanInput as InvalidPlanInput  # re-exported
from runtime.notes import Note

UNREACHABLE_S = 1_000_000
"""Travel times at or above this (or infinite) mean "no road": about 11.6 days."""

_IntArray = npt.NDArray[np.int64]


class UnservedReason(StrEnum):
    """Why a stop is left out of the plan; the value is the stable code sent to the app.

    ``grid_not_rostered`` and ``route_locked`` are decided before solving, by the caller:
    the stop lies in grid cells (or in none) that no unit is rostered for on the shift, or
    only in the cells of a locked route that does not visit it, so no vehicle is offered.
    """

    NO_SUITABLE_UNIT = "no_suitable_unit"
    WINDOW_TOO_SHORT = "window_too_short"
    TOO_FAR = "too_far"
    NO_TIME_LEFT = "no_time_left"
    GRID_NOT_ROSTERED = "grid_not_rostered"
    ROUTE_LOCKED = "route_locked"


@dataclass(frozen=True)
class Break:
    """A break a unit must take on its shift.

    Attributes
    ----------
    windows : tuple of (int, int)
        Intervals, seconds on the plan's clock, the whole break must lie in; empty for any
        time in the shift.
    duration_s : int
        Length of the break, seconds.
    id : str
        Name reported in :attr:`Route.breaks`; unique within one vehicle.
    """

    windows: tuple[tuple[int, int], ...]
    duration_s: int
    id: str = "break"


@dataclass(frozen=True)
class Vehicle:
    """A unit on the shift being planned.

    Attributes
    ----------
    id : str
    start_index, end_index : int
        Rows of the travel matrix for the station it leaves from and returns to.
    shift_start_s, shift_end_s : int
        The shift, seconds on the plan's clock: the route lies within it.
    kind : str
        Unit kind (informational: the caller resolves kinds into :attr:`Stop.vehicles`).
    skills : frozenset of str
        Informational, as ``kind``.
    breaks : tuple of Break
    max_work_s : int or None
        Most planned work (driving plus dwell; breaks and waiting excluded) the unit may be
        given, keeping the rest of its shift free for calls; None for no cap.
    """

    id: str
    start_index: int
    end_index: int
    shift_start_s: int
    shift_end_s: int
    kind: str = "patrol_car"
    skills: frozenset[str] = frozenset()
    breaks: tuple[Break, ...] = ()
    max_work_s: int | None = None


@dataclass(frozen=True)
class Stop:
    """A place a unit should visit and stay at: a must-visit point or one hot-spot dose.

    Attributes
    ----------
    id : str
    index : int
        Row of the travel matrix.
    service_s : int
        Dwell, seconds.
    windows : tuple of (int, int)
        Intervals the whole dwell must lie in, seconds on the plan's clock; empty for any
        time in the serving unit's shift.
    priority : int
        0 to 100; higher is served first when not everything fits.
    vehicles : frozenset of str or None
        Ids of the vehicles allowed to serve it; None for any.
    """

    id: str
    index: int
    service_s: int
    windows: tuple[tuple[int, int], ...] = ()
    priority: int = 50
    vehicles: frozenset[str] | None = None


@dataclass(frozen=True)
class Visit:
    """When a unit is at a stop, or on a break (then ``stop_id`` is the break's id).

    ``arrive_s <= start_s`` (the difference is waiting for a window); ``depart_s`` is
    ``start_s`` plus the dwell or break.
    """

    stop_id: str
    arrive_s: int
    start_s: int
    depart_s: int


@dataclass(frozen=True)
class Route:
    """One unit's plan.

    Attributes
    ----------
    vehicle_id : str
    start_s, end_s : int
        Leaving the station and back at it; both the shift's start for an idle unit.
    visits : tuple of Visit
        The stops in order.
    breaks : tuple of Visit
        The breaks taken, in order (empty for an idle unit).
    travel_s, service_s, waiting_s : int
        Driving, dwell, and idle time between ``start_s`` and ``end_s`` (break time is the
        rest).
    """

    vehicle_id: str
    start_s: int
    end_s: int
    visits: tuple[Visit, ...]
    breaks: tuple[Visit, ...]
    travel_s: int
    service_s: int
    waiting_s: int

    @property
    def work_s(self) -> int:
        """Driving plus dwell, the measure of workload (``max_work_s``, balancing)."""
        return self.travel_s + self.service_s


@dataclass(frozen=True)
class Unserved:
    """A stop left out, with the first reason that applies and a message.

    The message is English text that is also a :class:`~runtime.notes.Note` (template and
    arguments), so the app can word it in its reader's language.
    """

    stop_id: str
    reason: UnservedReason
    message: str


@dataclass(frozen=True)
class PlanSolution:
    """The answer of :func:`patrol.solver.solve_plan`.

    Attributes
    ----------
    routes : tuple of Route
        One per vehicle, in the order given.
    unserved : tuple of Unserved
        In the order the stops were given.
    engine : str
        ``"vroom"`` or ``"ortools"``.
    solve_s : float
        Wall time of the whole call, seconds.
    travel_s : int
        Total driving of all routes, seconds, on the true matrix.
    cost : int
        Total of the seeded, perturbed arc costs the optimiser saw along the routes (what
        both engines minimise; compare engines on the same seed).
    """

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    engine: str
    solve_s: float
    travel_s: int
    cost: int


Item = tuple[Literal["stop", "break"], int]
"""One step of an engine's order: a stop (position in ``Problem.stops``) or a break
(position in the vehicle's ``breaks``)."""


@dataclass(frozen=True)
class Problem:
    """A validated request over a compact matrix of the locations it uses.

    Attributes
    ----------
    travel : numpy.ndarray of int64
        Seconds between used locations, ``UNREACHABLE_S`` where there is no road.
    stops, vehicles : tuple
        As given.
    stop_loc, start_loc, end_loc : tuple of int
        Compact locations of each stop, and of each vehicle's start and end.
    start_windows : tuple of tuple of (int, int)
        Per stop, the sorted, merged intervals its dwell may *start* in (``(a, b - s)``);
        empty when the stop has no windows (any time).
    break_windows : tuple of tuple of tuple of (int, int)
        Per vehicle and break, the intervals the break may start in, clipped to the shift.
    allowed : tuple of tuple of int
        Per stop, the positions of the vehicles allowed to serve it.
    """

    travel: _IntArray
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    stop_loc: tuple[int, ...]
    start_loc: tuple[int, ...]
    end_loc: tuple[int, ...]
    start_windows: tuple[tuple[tuple[int, int], ...], ...]
    break_windows: tuple[tuple[tuple[tuple[int, int], ...], ...], ...]
    allowed: tuple[tuple[int, ...], ...]


def build_problem(matrix_s: npt.ArrayLike, vehicles: Sequence[Vehicle],
                  stops: Sequence[Stop]) -> Problem:
    """Check a request and put it in solver terms; raise :class:`InvalidPlanInput`."""
    matrix = np.asarray(matrix_s, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise InvalidPlanInput(f"matrix_s must be square and non-empty, got {matrix.shape}")
    if np.isnan(matrix).any() or (matrix < 0).any():
        raise InvalidPlanInput("matrix_s holds NaN or negative travel times")
    size = matrix.shape[0]
    _check_vehicles(vehicles, size)
    _check_stops(stops, size)
    used = sorted({s.index for s in stops} | {v.start_index for v in vehicles}
                  | {v.end_index for v in vehicles})
    compact = {location: i for i, location in enumerate(used)}
    picked = matrix[np.ix_(used, used)]
    travel = np.where(np.isfinite(picked) & (picked < UNREACHABLE_S),
                      np.rint(np.minimum(picked, UNREACHABLE_S)), UNREACHABLE_S)
    position = {v.id: i for i, v in enumerate(vehicles)}
    return Problem(
        travel=np.ascontiguousarray(travel, dtype=np.int64),
        stops=tuple(stops), vehicles=tuple(vehicles),
        stop_loc=tuple(compact[s.index] for s in stops),
        start_loc=tuple(compact[v.start_index] for v in vehicles),
        end_loc=tuple(compact[v.end_index] for v in vehicles),
        start_windows=tuple(_start_windows(s.windows, s.service_s) for s in stops),
        break_windows=tuple(tuple(_break_windows(v, b) for b in v.breaks) for v in vehicles),
        allowed=tuple(tuple(range(len(vehicles))) if s.vehicles is None else
                      tuple(sorted(position[i] for i in s.vehicles if i in position))
                      for s in stops))


def _check_vehicles(vehicles: Sequence[Vehicle], size: int) -> None:
    seen: set[str] = set()
    for v in vehicles:
        if v.id in seen:
            raise InvalidPlanInput(f"vehicle {v.id!r} is given twice")
        seen.add(v.id)
        for name, index in (("start_index", v.start_index), ("end_index", v.end_index)):
            if not 0 <= index < size:
                raise InvalidPlanInput(f"vehicle {v.id!r}: {name} {index} is not a matrix row")
        if not 0 <= v.shift_start_s <= v.shift_end_s < UNREACHABLE_S:
            raise InvalidPlanInput(f"vehicle {v.id!r}: shift {v.shift_start_s}-"
                                   f"{v.shift_end_s} s is reversed, negative or too long")
        if v.max_work_s is not None and v.max_work_s < 0:
            raise InvalidPlanInput(f"vehicle {v.id!r}: max_work_s is negative")
        if len({b.id for b in v.breaks}) != len(v.breaks):
            raise InvalidPlanInput(f"vehicle {v.id!r}: two breaks share an id")
        for b in v.breaks:
            _check_windows(f"vehicle {v.id!r} break {b.id!r}", b.windows)
            if b.duration_s < 0:
                raise InvalidPlanInput(f"vehicle {v.id!r} break {b.id!r}: negative duration")
            if not _break_windows(v, b):
                raise InvalidPlanInput(
                    f"vehicle {v.id!r} break {b.id!r} ({b.duration_s} s) fits in no window "
                    f"inside the shift {clock(v.shift_start_s)}–{clock(v.shift_end_s)}")


def _check_stops(stops: Sequence[Stop], size: int) -> None:
    seen: set[str] = set()
    for s in stops:
        if s.id in seen:
            raise InvalidPlanInput(f"stop {s.id!r} is given twice")
        seen.add(s.id)
        if not 0 <= s.index < size:
            raise InvalidPlanInput(f"stop {s.id!r}: index {s.index} is not a matrix row")
        if s.service_s < 0:
            raise InvalidPlanInput(f"stop {s.id!r}: negative service_s")
        if not 0 <= s.priority <= 100:
            raise InvalidPlanInput(f"stop {s.id!r}: priority {s.priority} is not in 0..100")
        _check_windows(f"stop {s.id!r}", s.windows)


def _check_windows(what: str, windows: tuple[tuple[int, int], ...]) -> None:
    for a, b in windows:
        if not 0 <= a <= b < UNREACHABLE_S:
            raise InvalidPlanInput(f"{what}: window {a}-{b} s is reversed or out of range")


def _start_windows(windows: tuple[tuple[int, int], ...],
                   duration_s: int) -> tuple[tuple[int, int], ...]:
    """Intervals a dwell may start in, sorted and merged; () when there are no windows."""
    starts = sorted((a, b - duration_s) for a, b in windows if b - a >= duration_s)
    merged: list[tuple[int, int]] = []
    for a, b in starts:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _break_windows(v: Vehicle, b: Break) -> tuple[tuple[int, int], ...]:
    shift = ((v.shift_start_s, v.shift_end_s),)
    windows = tuple((max(a, v.shift_start_s), min(e, v.shift_end_s))
                    for a, e in b.windows or shift)
    return _start_windows(tuple(w for w in windows if w[0] <= w[1]), b.duration_s)


def estimated_work(problem: Problem) -> _IntArray:
    """Estimate the work each stop adds to a route, in seconds.

    Per stop, the work it adds to a route: its dwell plus half of its nearest arrival
    and departure drives (what the engines balance before the true drives are known).

    Parameters
    ----------
    problem : Problem
        The validated request.

    Returns
    -------
    numpy.ndarray of int64
        Per stop, in the order of ``problem.stops``: seconds, rounded up. When the mean of
        its two nearest drives is ``UNREACHABLE_S`` or more (no road either way), a stop
        counts its dwell only.
    """
    if not problem.stops:
        return np.zeros(0, dtype=np.int64)
    travel = problem.travel.astype(np.float64)
    np.fill_diagonal(travel, np.inf)
    locs = list(problem.stop_loc)
    near = (np.min(travel[:, locs], axis=0) + np.min(travel[locs, :], axis=1)) / 2
    near = np.where(near < UNREACHABLE_S, near, 0.0)
    dwell = np.array([s.service_s for s in problem.stops], dtype=np.float64)
    return np.ceil(dwell + near).astype(np.int64)


def work_targets(problem: Problem, load: _IntArray, candidates: Sequence[int]) -> list[float]:
    """Share the estimated work of the stops to serve among the units.

    Each unit's fair share of the candidates' estimated work, in proportion to the time
    it has (its shift, or its ``max_work_s`` if less).

    Parameters
    ----------
    problem : Problem
        The validated request.
    load : numpy.ndarray of int64
        Per stop, its estimated work in seconds (:func:`estimated_work`).
    candidates : Sequence of int
        Positions in ``problem.stops`` of the stops to share out.

    Returns
    -------
    list of float
        Per vehicle, in the order of ``problem.vehicles``: its target work, seconds. The
        targets add up to the candidates' total load (all 0 when no unit has any time).
    """
    have = [float(v.shift_end_s - v.shift_start_s) if v.max_work_s is None
            else float(min(v.max_work_s, v.shift_end_s - v.shift_start_s))
            for v in problem.vehicles]
    wanted = float(sum(int(load[i]) for i in candidates))
    total = sum(have) or 1.0
    return [wanted * h / total for h in have]


def earliest_start(windows: tuple[tuple[int, int], ...], ready_s: int) -> int | None:
    """The first start at or after ``ready_s`` in the start windows; () means any time."""
    if not windows:
        return ready_s
    for a, b in windows:
        if ready_s <= b:
            return max(ready_s, a)
    return None


def schedule_route(problem: Problem, vehicle: int,
                   items: Sequence[Item]) -> tuple[Route, list[int]]:
    """Time an engine's order on the true matrix, as early as each step allows.

    Returns the route and the stops that could not be kept (none when the engine's order is
    feasible; a stop whose window has passed is skipped, and stops are cut from the end
    until the unit is back before its shift ends).
    """
    kept = list(items)
    dropped: list[int] = []
    while True:
        route, late = _timeline(problem, vehicle, kept)
        if route is not None:
            return route, dropped
        if late is None:  # back too late: cut the last stop
            late = next(item[1] for item in reversed(kept) if item[0] == "stop")
        dropped.append(late)
        kept.remove(("stop", late))


def _timeline(problem: Problem, vehicle: int,
              items: Sequence[Item]) -> tuple[Route | None, int | None]:
    """The route, or None and the first stop whose windows have passed (None: back late)."""
    v = problem.vehicles[vehicle]
    if not any(kind == "stop" for kind, _ in items):
        return Route(v.id, v.shift_start_s, v.shift_start_s, (), (), 0, 0, 0), None
    t, here, start_s = v.shift_start_s, problem.start_loc[vehicle], v.shift_start_s
    visits: list[Visit] = []
    breaks: list[Visit] = []
    pending: list[int] = []
    travel = service = 0
    for kind, index in [*items, ("stop", -1)]:
        if kind == "break":
            pending.append(index)
            continue
        there = problem.end_loc[vehicle] if index < 0 else problem.stop_loc[index]
        left = int(problem.travel[here, there])
        for b in pending:
            duration = v.breaks[b].duration_s
            for a, e in problem.break_windows[vehicle][b]:
                driven = min(left, max(0, a - t))
                if max(t + driven, a) <= e:
                    break
            else:  # the engine's order cannot be kept: take it now, past its window
                driven, a = 0, t
            begin = max(t + driven, a)
            breaks.append(Visit(v.breaks[b].id, t + driven, begin, begin + duration))
            t, left = begin + duration, left - driven
        pending = []
        if index < 0:
            travel += int(problem.travel[here, there])
            t += left
            break
        stop = problem.stops[index]
        begin_or_none = earliest_start(problem.start_windows[index], t + left)
        if begin_or_none is None:
            return None, index
        travel += int(problem.travel[here, there])
        if not visits and not breaks:
            start_s = begin_or_none - left  # leave later rather than wait at the first stop
        visits.append(Visit(stop.id, t + left if visits or breaks else begin_or_none,
                            begin_or_none, begin_or_none + stop.service_s))
        t, here = begin_or_none + stop.service_s, there
        service += stop.service_s
    if t > v.shift_end_s or any(b.depart_s > v.shift_end_s for b in breaks):
        return None, None
    resting = sum(b.depart_s - b.start_s for b in breaks)
    return Route(v.id, start_s, t, tuple(visits), tuple(breaks), travel, service,
                 t - start_s - travel - service - resting), None


def clock(seconds: int) -> str:
    """Seconds on the plan's clock as ``HH:MM`` (``+1d`` and so on past midnight)."""
    days, rest = divmod(int(seconds), 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return text if days == 0 else f"{text} (+{days}d)"


def span(seconds: float) -> Note:
    """A duration for a message: ``45 s``, ``10 min``, ``7.5 min``, ``2 h 05 min``.

    A :class:`~runtime.notes.Note`, worded again in the reader's language.
    """
    if not math.isfinite(seconds) or seconds >= UNREACHABLE_S:
        return Note("no road")
    if seconds < 60:
        whole = f"{seconds:.0f}"
        return Note("%(seconds)s s", seconds=whole)
    if seconds < 3600:
        minutes = f"{seconds / 60:.0f}" if seconds % 60 == 0 else f"{seconds / 60:.1f}"
        return Note("%(minutes)s min", minutes=minutes)
    hours, rest = divmod(round(seconds / 60), 60)
    two_digits = f"{rest:02d}"
    return Note("%(hours)s h %(minutes)s min", hours=str(hours), minutes=two_digits)
