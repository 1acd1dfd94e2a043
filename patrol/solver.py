"""The patrol route solver: each unit's route from its station and back, for one shift.

The numeric core of three-shift patrol planning. The caller turns must-visit points and
hot-spot doses (10-16 min at least every 2 h, the Koper curve) into :class:`Stop` s with
windows, resolves unit kinds, skills and grids into each stop's allowed vehicles, and hands
over a travel-time matrix from the road graph; :func:`solve_plan` answers with a
:class:`Route` per unit and every stop it could not serve, named, with the reason.

Decisions
---------
- **Clock and matrix.** All times are integer seconds on one clock (e.g. since the plan
  day's midnight). ``matrix_s[i, j]`` is the drive from location i to j, asymmetric as on
  roads; ``inf`` or anything from :data:`UNREACHABLE_S` up means no road. Times are rounded
  to whole seconds. The matrix is assumed to hold shortest times (the triangle inequality),
  which makes the single-stop checks below exact reasons.
- **Windows** hold the whole dwell (or break): start at or after the window's start, end
  by its end. No windows means any time in the serving unit's shift.
- **Engines.** ``"vroom"`` (default, :mod:`~patrol.solver_vroom`) or
  ``"ortools"`` (:mod:`~patrol.solver_ortools`) only choose each unit's order
  of stops and breaks; every reported time is recomputed on the true matrix by
  :func:`patrol.solver_model.schedule_route`.
- **Variation.** Patrols must not be predictable, so the optimiser sees seeded costs: each
  arc's time times a factor drawn uniformly from ``[1 - variation, 1 + variation]``, and
  the stops are handed over in a seeded order (which breaks the engines' ties). The same
  seed gives the same plan (vroom; OR-Tools stops on its clock); another seed (another
  day) usually another order. Reported times always use the true matrix; ``cost`` is the
  perturbed total of the arcs driven (balancing costs aside).
- **Priorities.** When not everything fits, higher ``priority`` stops are kept first,
  then as many stops as possible, then the cheaper routes.
- **Balance** (``balance=True``) spreads work (driving plus dwell, :attr:`Route.work_s`)
  between units in proportion to the time each has: vroom by capping each unit's share
  and relaxing the caps when stops would be lost, OR-Tools by costs on work over a unit's
  share and on the busiest unit (see the engine modules).
- **Unserved stops** get the first reason that applies (:func:`diagnose_unserved`):

  1. ``no_suitable_unit``: no vehicle of the plan is allowed to serve it;
  2. ``window_too_short``: every window is shorter than the dwell, or no window holds the
     dwell inside the shift of an allowed unit;
  3. ``too_far``: no allowed unit can drive from its station, dwell inside a window and be
     back by the end of its shift (nor within its ``max_work_s``);
  4. ``no_time_left``: it would fit alone, but not with the rest of the plan.

  Stops failing 1-3 are never handed to an engine.

Engine choice (``benchmarks/patrol_solvers.py``: Heidelberg road graph, 3 shifts x 10 units
x 140 stops with windows, breaks and work caps): vroom, the default, planned the day in
8.4 s (target 15 s), served all 420 stops with work max/min 1.13-1.35 per shift, and gives
the same plan for the same seed. OR-Tools given 30 s a shift (10.7x the time) served the
same stops with tighter balance (1.06-1.13) but 8.4 % more route cost; without balancing
it found routes 3 % cheaper than vroom's. Use OR-Tools when a plan can take minutes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from patrol.solver_model import (
    UNREACHABLE_S,
    Break,
    InvalidPlanInput,
    PlanSolution,
    Problem,
    Route,
    Stop,
    Unserved,
    UnservedReason,
    Vehicle,
    Visit,
    build_problem,
    clock,
    earliest_start,
    schedule_route,
    span,
)
from patrol.solver_ortools import order_with_ortools
from patrol.solver_vroom import order_with_vroom
from runtime.notes import Note

__all__ = [
    "UNREACHABLE_S", "Break", "InvalidPlanInput", "PlanSolution", "Route", "Stop",
    "Unserved", "UnservedReason", "Vehicle", "Visit", "diagnose_unserved", "solve_plan",
]

logger = logging.getLogger(__name__)

_ENGINES = {"vroom": order_with_vroom, "ortools": order_with_ortools}


def solve_plan(matrix_s: npt.ArrayLike, vehicles: Sequence[Vehicle], stops: Sequence[Stop], *,
               engine: Literal["vroom", "ortools"] = "vroom", seed: int = 0,
               time_limit_s: float = 30.0, variation: float = 0.1,
               balance: bool = True) -> PlanSolution:
    """Plan every unit's route for one shift.

    Parameters
    ----------
    matrix_s : array-like of float, shape (n, n)
        Driving seconds between locations; ``inf`` or >= ``UNREACHABLE_S`` for no road.
    vehicles : sequence of Vehicle
        The units, each once.
    stops : sequence of Stop
        The stops, each once.
    engine : {"vroom", "ortools"}, keyword-only
    seed : int, keyword-only
        Seeds the variation (e.g. a number per plan day); non-negative.
    time_limit_s : float, keyword-only
        Budget for the engine, seconds (OR-Tools searches until it; vroom usually stops
        well before).
    variation : float, keyword-only
        Relative spread of the seeded arc costs, in ``[0, 1)``; 0 plans on true times
        (the stops are still handed over in seeded order).
    balance : bool, keyword-only
        Spread work between the units.

    Returns
    -------
    PlanSolution
        A route per vehicle (in the order given) and the unserved stops (in the order
        given) with their reasons.

    Raises
    ------
    InvalidPlanInput
        On a non-square, negative or NaN matrix, an index outside it, a duplicate vehicle
        or stop id, a reversed window or shift, a priority outside 0-100, a break that fits
        in no window of its shift, or an option out of range.
    """
    started = time.perf_counter()
    if engine not in _ENGINES:
        raise InvalidPlanInput(f"engine must be 'vroom' or 'ortools', got {engine!r}")
    if not 0 <= variation < 1:
        raise InvalidPlanInput(f"variation must be in [0, 1), got {variation}")
    if not time_limit_s > 0:
        raise InvalidPlanInput(f"time_limit_s must be positive, got {time_limit_s}")
    if seed < 0:
        raise InvalidPlanInput(f"seed must be non-negative, got {seed}")
    problem = build_problem(matrix_s, vehicles, stops)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - variation, 1 + variation, problem.travel.shape)
    costs = np.where(problem.travel < UNREACHABLE_S, np.rint(problem.travel * factors),
                     UNREACHABLE_S).astype(np.int64)
    reasons = {i: reason for i in range(len(problem.stops))
               if (reason := _pure_reason(problem, i)) is not None}
    candidates = [int(i) for i in rng.permutation(len(problem.stops)) if i not in reasons]

    plan = _ENGINES[engine](problem, costs, candidates, time_limit_s=time_limit_s,
                            balance=balance)
    routes = []
    served: set[int] = set()
    cost = 0
    for v, items in enumerate(plan):
        route, dropped = schedule_route(problem, v, items)
        if dropped:
            logger.warning("%s: engine order for %s broke a window; dropped %d stop(s)",
                           engine, route.vehicle_id, len(dropped))
        routes.append(route)
        kept = [i for kind, i in items if kind == "stop" and i not in dropped]
        served.update(kept)
        if kept:
            path = [problem.start_loc[v], *(problem.stop_loc[i] for i in kept),
                    problem.end_loc[v]]
            cost += int(costs[path[:-1], path[1:]].sum())
    unserved = tuple(reasons.get(i) or _no_time_left(problem, i)
                     for i in range(len(problem.stops)) if i not in served)
    return PlanSolution(routes=tuple(routes), unserved=unserved, engine=engine,
                        solve_s=time.perf_counter() - started,
                        travel_s=sum(r.travel_s for r in routes), cost=cost)


def diagnose_unserved(matrix_s: npt.ArrayLike, vehicles: Sequence[Vehicle],
                      stops: Sequence[Stop], unserved_ids: Iterable[str]) -> tuple[Unserved, ...]:
    """Say why each of some stops is not served, by the checks in the module docstring.

    Parameters
    ----------
    matrix_s, vehicles, stops
        As for :func:`solve_plan`.
    unserved_ids : iterable of str
        Ids of stops a plan left out.

    Returns
    -------
    tuple of Unserved
        One per id, in the order given; ``no_time_left`` when no single-stop check fails.

    Raises
    ------
    InvalidPlanInput
        On an invalid request (as :func:`solve_plan`) or an id that is not a stop.
    """
    problem = build_problem(matrix_s, vehicles, stops)
    position = {stop.id: i for i, stop in enumerate(problem.stops)}
    answers = []
    for stop_id in unserved_ids:
        if stop_id not in position:
            raise InvalidPlanInput(f"{stop_id!r} is not one of the stops")
        i = position[stop_id]
        answers.append(_pure_reason(problem, i) or _no_time_left(problem, i))
    return tuple(answers)


def _pure_reason(problem: Problem, i: int) -> Unserved | None:
    """The first of no_suitable_unit, window_too_short and too_far that applies."""
    stop = problem.stops[i]
    allowed = problem.allowed[i]
    if not allowed:
        return Unserved(stop.id, UnservedReason.NO_SUITABLE_UNIT, _no_unit(problem, stop))
    starts = problem.start_windows[i]
    if stop.windows and not starts:
        a, b = max(stop.windows, key=lambda w: (w[1] - w[0], -w[0]))
        facts: dict[str, str] = {"window": f"{clock(a)}–{clock(b)}", "length": span(b - a),
                                 "dwell": span(stop.service_s)}
        return Unserved(stop.id, UnservedReason.WINDOW_TOO_SHORT, Note(
            "window %(window)s is %(length)s, the dwell is %(dwell)s", **facts)
            if len(stop.windows) == 1 else Note(
            "the longest of its %(count)s windows, %(window)s is %(length)s, the dwell is "
            "%(dwell)s", count=len(stop.windows), **facts))
    inside = [v for v in allowed if _fits_shift(problem, i, v)]
    if not inside:
        shifts = ", ".join(sorted({f"{clock(problem.vehicles[v].shift_start_s)}–"
                                   f"{clock(problem.vehicles[v].shift_end_s)}"
                                   for v in allowed}))
        message = (Note("the %(dwell)s dwell fits %(when)s within no shift of the units "
                        "allowed (%(shifts)s)", dwell=span(stop.service_s),
                        when=_windows_text(stop), shifts=shifts) if stop.windows else
                   Note("the %(dwell)s dwell is longer than every shift of the units allowed "
                        "(%(shifts)s)", dwell=span(stop.service_s), shifts=shifts))
        return Unserved(stop.id, UnservedReason.WINDOW_TOO_SHORT, message)
    if any(_alone(problem, i, v) is not None for v in inside):
        return None
    return Unserved(stop.id, UnservedReason.TOO_FAR, _too_far(problem, i, inside))


def _no_unit(problem: Problem, stop: Stop) -> Note:
    if stop.vehicles is not None and not stop.vehicles:
        return Note("no unit is allowed to serve it")
    if not problem.vehicles:
        return Note("there is no unit on this plan")
    return Note("only %(units)s may serve it, and none of them is on this plan",
                units=", ".join(sorted(stop.vehicles or ())))


def _fits_shift(problem: Problem, i: int, v: int) -> bool:
    vehicle, dwell = problem.vehicles[v], problem.stops[i].service_s
    latest = vehicle.shift_end_s - dwell
    starts = problem.start_windows[i] or ((vehicle.shift_start_s, latest),)
    return any(max(a, vehicle.shift_start_s) <= min(b, latest) for a, b in starts)


def _alone(problem: Problem, i: int, v: int) -> int | None:
    """When unit v could start the dwell visiting only this stop, or None."""
    vehicle, stop = problem.vehicles[v], problem.stops[i]
    out = int(problem.travel[problem.start_loc[v], problem.stop_loc[i]])
    back = int(problem.travel[problem.stop_loc[i], problem.end_loc[v]])
    if max(out, back) >= UNREACHABLE_S:
        return None
    if vehicle.max_work_s is not None and out + stop.service_s + back > vehicle.max_work_s:
        return None
    begin = earliest_start(problem.start_windows[i], vehicle.shift_start_s + out)
    if begin is None or begin + stop.service_s + back > vehicle.shift_end_s:
        return None
    return begin


def _too_far(problem: Problem, i: int, allowed: list[int]) -> Note:
    stop = problem.stops[i]

    def legs(v: int) -> tuple[int, int]:
        return (int(problem.travel[problem.start_loc[v], problem.stop_loc[i]]),
                int(problem.travel[problem.stop_loc[i], problem.end_loc[v]]))

    v = min(allowed, key=lambda u: (sum(legs(u)), u))
    vehicle, (out, back) = problem.vehicles[v], legs(v)
    if max(out, back) >= UNREACHABLE_S:
        return Note("no road links it with the station of any unit allowed")
    trip = Note("%(there)s there and %(back)s back", there=span(out), back=span(back))
    work = out + stop.service_s + back
    if vehicle.max_work_s is not None and work > vehicle.max_work_s and \
            _alone(problem, i, v) is None and _fits_in_time(problem, i, v, out, back):
        return Note("the nearest unit allowed, %(unit)s, would work %(work)s for it "
                    "(%(trip)s, the dwell %(dwell)s), over its cap of %(cap)s",
                    unit=vehicle.id, work=span(work), trip=trip,
                    dwell=span(stop.service_s), cap=span(vehicle.max_work_s))
    return Note("the nearest unit allowed, %(unit)s (shift %(start)s–%(end)s), needs "
                "%(trip)s: with the %(dwell)s dwell it cannot serve it %(when)s and be back "
                "by %(end)s", unit=vehicle.id, start=clock(vehicle.shift_start_s),
                end=clock(vehicle.shift_end_s), trip=trip, dwell=span(stop.service_s),
                when=_windows_text(stop))


def _fits_in_time(problem: Problem, i: int, v: int, out: int, back: int) -> bool:
    vehicle, stop = problem.vehicles[v], problem.stops[i]
    begin = earliest_start(problem.start_windows[i], vehicle.shift_start_s + out)
    return begin is not None and begin + stop.service_s + back <= vehicle.shift_end_s


def _windows_text(stop: Stop) -> Note:
    if not stop.windows:
        return Note("at any time")
    listed = ", ".join(f"{clock(a)}–{clock(b)}" for a, b in sorted(stop.windows))
    if len(stop.windows) == 1:
        return Note("in window %(windows)s", windows=listed)
    return Note("in windows %(windows)s", windows=listed)


def _no_time_left(problem: Problem, i: int) -> Unserved:
    stop = problem.stops[i]
    options = [(begin, v) for v in problem.allowed[i]
               if (begin := _alone(problem, i, v)) is not None]
    if not options:  # a stop that fails a single-stop check
        reason = _pure_reason(problem, i)
        if reason is not None:
            return reason
    begin, v = min(options)
    where = _windows_text(stop) if stop.windows else Note("in its shift")
    return Unserved(stop.id, UnservedReason.NO_TIME_LEFT, Note(
        "%(unit)s could serve it alone at %(start)s–%(end)s, but no unit allowed has "
        "%(dwell)s free %(when)s once the other stops, breaks and work caps are placed (its "
        "priority is %(priority)s)", unit=problem.vehicles[v].id, start=clock(begin),
        end=clock(begin + stop.service_s), dwell=span(stop.service_s), when=where,
        priority=str(stop.priority)))
