"""The vroom (pyvroom) engine of the patrol route solver: it chooses each unit's order.

How the request maps onto vroom:

- one profile, ``"car"``: the *durations* matrix is the true travel time, the *costs*
  matrix the seeded, perturbed one (vroom minimises cost and checks windows on durations);
- a stop is a job (dwell as service, its start windows, its priority); a stop restricted to
  some vehicles gets a skill held by exactly those vehicles (one skill per distinct set);
- a unit is a vehicle with its shift as time window and its breaks, which vroom places
  natively (a break may fall part-way along a drive);
- ``max_work_s`` (driving plus dwell) and balancing use one capacity dimension, each
  stop's *estimated work* (:func:`~patrol.solver_model.estimated_work`: its
  dwell plus half of its nearest arrival and departure drives). ``max_work_s`` also caps
  driving alone (vroom's ``max_travel_time``). After a solve each capped unit's true work
  is measured; a unit over its cap gets its capacity cut by the excess and vroom solves
  again (up to :data:`_FIT_ROUNDS` times), then stops are cut from any route still over,
  lowest priority first.
- Balancing: vroom minimises total cost, so left alone it gives one unit everything it
  can reach (the cheapest plan). Each unit's capacity is capped at its fair share of the
  estimated work (:func:`~patrol.solver_model.work_targets`) plus a slack of
  5 %; a plan serving every stop is kept at once (one solve, the usual case). Otherwise
  vroom also solves without caps, and the capped plan is kept if it serves as much (by
  priority, then count); if not the slack grows to 15, 30, 60 % and, failing all, the
  uncapped plan is kept. On the Heidelberg benchmark this gave work max/min 1.13-1.35
  per shift for 2.4 % more cost than the uncapped plans (max/min 4.4-33), in one solve
  a shift, and faster than them (capacities prune vroom's search).
- Exploration level 5 (vroom's most thorough) with up to 4 threads.

PITFALL: pyvroom 1.15 reads a Fortran-ordered numpy matrix as if it were transposed,
silently; matrices are handed over as C-contiguous ``uint32`` arrays.

vroom is deterministic for a given input unless its timeout cuts a search short.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import vroom

from patrol.solver_model import (
    Item,
    Problem,
    estimated_work,
    schedule_route,
    work_targets,
)

_FIT_ROUNDS = 5
_SLACKS = (0.05, 0.15, 0.3, 0.6)
_EXPLORATION = 5
_PROFILE = "car"
_Plan = list[list[Item]]


def order_with_vroom(problem: Problem, costs: npt.NDArray[np.int64], candidates: Sequence[int],
                     *, time_limit_s: float, balance: bool) -> _Plan:
    """Each vehicle's order of stops (positions in ``problem.stops``) and breaks.

    Parameters
    ----------
    problem : Problem
    costs : numpy.ndarray of int64
        Perturbed arc costs over ``problem.travel``'s locations.
    candidates : sequence of int
        The stops to plan, in the (seeded) order handed to vroom.
    time_limit_s : float, keyword-only
        Budget for all solves together, seconds.
    balance : bool, keyword-only
        Balance the estimated work between units (module docstring).
    """
    deadline = time.monotonic() + time_limit_s
    load = estimated_work(problem)
    caps: list[int | None] = [v.max_work_s for v in problem.vehicles]
    if not balance or not candidates:
        return _fit_work(problem, costs, candidates, load, caps, deadline)
    targets = work_targets(problem, load, candidates)
    unbalanced: _Plan = []
    for slack in _SLACKS:
        capped: list[int | None] = [
            math.ceil(target * (1 + slack)) if cap is None
            else min(math.ceil(target * (1 + slack)), cap)
            for target, cap in zip(targets, caps, strict=True)]
        trial = _fit_work(problem, costs, candidates, load, capped, deadline)
        if _served(problem, trial)[1] == len(candidates):
            return trial
        if not unbalanced:
            unbalanced = _fit_work(problem, costs, candidates, load, caps, deadline)
        if _served(problem, trial) >= _served(problem, unbalanced):
            return trial
        if time.monotonic() >= deadline:
            break
    return unbalanced


def _served(problem: Problem, plan: _Plan) -> tuple[int, int]:
    stops = [i for items in plan for kind, i in items if kind == "stop"]
    return sum(problem.stops[i].priority for i in stops), len(stops)


def _fit_work(problem: Problem, costs: npt.NDArray[np.int64], candidates: Sequence[int],
              load: npt.NDArray[np.int64], caps: Sequence[int | None],
              deadline: float) -> _Plan:
    """Solve, then tighten capacities until every unit keeps to ``max_work_s``."""
    caps = list(caps)
    plan: _Plan = []
    for _ in range(_FIT_ROUNDS):
        plan = _solve(problem, costs, candidates, load, caps, deadline)
        routes = [schedule_route(problem, v, items)[0] for v, items in enumerate(plan)]
        carried = [sum(int(load[i]) for kind, i in items if kind == "stop") for items in plan]
        # The estimate runs below true work; scale every capped unit's capacity by how far
        # (so the units not over now do not overflow next), and cut the ones over by
        # their excess.
        ratio = min(1.0, sum(carried) / max(1, sum(r.work_s for r in routes)))
        over = False
        for v, vehicle in enumerate(problem.vehicles):
            if vehicle.max_work_s is None:
                continue
            excess = routes[v].work_s - vehicle.max_work_s
            if excess > 0:
                over = True
            cap = caps[v]
            caps[v] = min(cap if cap is not None else vehicle.max_work_s,
                          math.floor(vehicle.max_work_s * ratio),
                          max(0, carried[v] - excess) if excess > 0 else vehicle.max_work_s)
        if not over or time.monotonic() >= deadline:
            break
    for v, vehicle in enumerate(problem.vehicles):
        if vehicle.max_work_s is not None:
            plan[v] = _trim(problem, v, plan[v], vehicle.max_work_s)
    return plan


def _trim(problem: Problem, v: int, items: list[Item], max_work_s: int) -> list[Item]:
    """Cut stops, lowest priority (then latest) first, until the route keeps to the cap."""
    while schedule_route(problem, v, items)[0].work_s > max_work_s:
        stops = [(problem.stops[i].priority, -n, (kind, i))
                 for n, (kind, i) in enumerate(items) if kind == "stop"]
        items = [item for item in items if item != min(stops)[2]]
    return items


def _solve(problem: Problem, costs: npt.NDArray[np.int64], candidates: Sequence[int],
           load: npt.NDArray[np.int64], caps: Sequence[int | None],
           deadline: float) -> _Plan:
    with_capacity = any(cap is not None for cap in caps)
    plan: _Plan = [[] for _ in problem.vehicles]
    if not candidates or not problem.vehicles:
        return plan
    request = vroom.Input()
    # C order and the engine's dtype, or pyvroom silently reads the matrix transposed.
    request.set_durations_matrix(_PROFILE, np.ascontiguousarray(problem.travel, np.uint32))
    request.set_costs_matrix(_PROFILE, np.ascontiguousarray(costs, np.uint32))
    skill_of = _skills(problem, candidates)
    for v, vehicle in enumerate(problem.vehicles):
        options: dict[str, Any] = {}
        if with_capacity:
            options["capacity"] = [caps[v] if caps[v] is not None else int(load.sum()) + 1]
        if vehicle.max_work_s is not None:
            options["max_travel_time"] = vehicle.max_work_s
        request.add_vehicle(vroom.Vehicle(
            v, start=problem.start_loc[v], end=problem.end_loc[v], profile=_PROFILE,
            time_window=vroom.TimeWindow(vehicle.shift_start_s, vehicle.shift_end_s),
            skills={skill for group, skill in skill_of.items() if v in group},
            breaks=[vroom.Break(b, time_windows=[vroom.TimeWindow(a, e) for a, e in windows],
                                service=vehicle.breaks[b].duration_s)
                    for b, windows in enumerate(problem.break_windows[v])],
            **options))
    for i in candidates:
        stop = problem.stops[i]
        group = problem.allowed[i]
        request.add_job(vroom.Job(
            i, location=problem.stop_loc[i], default_service=stop.service_s,
            priority=stop.priority,
            time_windows=[vroom.TimeWindow(a, b) for a, b in problem.start_windows[i]],
            skills={skill_of[group]} if group in skill_of else None,
            delivery=[int(load[i])] if with_capacity else ()))
    left_s = max(0.1, deadline - time.monotonic())
    solution = request.solve(exploration_level=_EXPLORATION,
                             nb_threads=min(4, os.cpu_count() or 1),
                             timeout=timedelta(seconds=left_s))
    steps = solution.routes
    if "id" not in steps:  # pyvroom drops the column when no step has an id (no routes)
        return plan
    for vehicle_id, kind, step_id in zip(steps["vehicle_id"], steps["type"], steps["id"],
                                         strict=True):
        if kind == "job":
            plan[int(vehicle_id)].append(("stop", int(step_id)))
        elif kind == "break":
            plan[int(vehicle_id)].append(("break", int(step_id)))
    return plan


def _skills(problem: Problem, candidates: Sequence[int]) -> dict[tuple[int, ...], int]:
    """One skill per distinct set of allowed vehicles smaller than the whole fleet."""
    groups = sorted({problem.allowed[i] for i in candidates
                     if len(problem.allowed[i]) < len(problem.vehicles)})
    return {group: n for n, group in enumerate(groups, start=1)}
