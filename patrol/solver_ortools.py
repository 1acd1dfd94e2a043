"""The OR-Tools engine of the patrol route solver: it chooses each unit's order.

How the request maps onto the routing library:

- nodes are the stops (in the seeded order) plus a start and an end node per unit;
- the arc cost is the seeded, perturbed matrix; a ``time`` dimension carries the true
  travel time plus the dwell at the node left, with waiting allowed (slack), the shift as
  the range of each route's start and end, and the stop's start windows on its node
  (gaps between several windows removed from the domain);
- a stop restricted to some vehicles gets exactly those (and -1, unperformed) as the
  domain of its vehicle variable;
- every stop is optional: its disjunction penalty is ``big * (priority * (n + 1) + 1)``,
  ``big`` being more than adding any one stop can cost, so a stop is dropped only when it
  cannot be fitted, higher priorities win, and at equal priority more stops win — the
  order vroom applies;
- breaks are fixed-duration intervals on the time dimension
  (``SetBreakIntervalsOfVehicle``), each within its windows, kept off the dwells;
- a ``work`` dimension (travel plus dwell, no slack) carries ``max_work_s`` as each unit's
  capacity. When balancing, two costs are added to the routes', one second for one second:
  work beyond a unit's fair share of the estimated work (a soft upper bound; shares as in
  :func:`~patrol.solver_model.work_targets`) and the busiest unit's work (a
  global span cost). The span alone left a unit nearly idle on the Heidelberg benchmark
  (work max/min 4.1); with the soft bounds it was 1.1.

Search: parallel cheapest insertion, then guided local search until ``time_limit_s``.
That search stops on the clock, so unlike vroom its plan can depend on machine load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from patrol.solver_model import (
    UNREACHABLE_S,
    Item,
    Problem,
    estimated_work,
    work_targets,
)

_PER_S = 1  # cost of one second of work over a unit's fair share, or on the busiest unit

_Plan = list[list[Item]]


def order_with_ortools(problem: Problem, costs: npt.NDArray[np.int64],
                       candidates: Sequence[int], *, time_limit_s: float,
                       balance: bool) -> _Plan:
    """Each vehicle's order of stops (positions in ``problem.stops``) and breaks.

    Parameters are those of :func:`patrol.solver_vroom.order_with_vroom`.
    """
    vehicles = problem.vehicles
    plan: _Plan = [[] for _ in vehicles]
    if not candidates or not vehicles:
        return plan
    n = len(candidates)
    locs = [problem.stop_loc[i] for i in candidates]
    for v in range(len(vehicles)):
        locs += [problem.start_loc[v], problem.end_loc[v]]
    dwell = np.zeros(len(locs), dtype=np.int64)
    dwell[:n] = [problem.stops[i].service_s for i in candidates]
    manager = pywrapcp.RoutingIndexManager(
        len(locs), len(vehicles), [n + 2 * v for v in range(len(vehicles))],
        [n + 2 * v + 1 for v in range(len(vehicles))])
    routing = pywrapcp.RoutingModel(manager)

    cost_nodes = costs[np.ix_(locs, locs)]
    cost_cb = routing.RegisterTransitMatrix(cost_nodes.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    work_nodes = problem.travel[np.ix_(locs, locs)] + dwell[:, None]
    work_cb = routing.RegisterTransitMatrix(np.minimum(work_nodes, UNREACHABLE_S).tolist())
    horizon = max(v.shift_end_s for v in vehicles) + 1
    routing.AddDimension(work_cb, horizon, horizon, False, "time")
    timeline = routing.GetDimensionOrDie("time")

    for v, vehicle in enumerate(vehicles):
        for index in (routing.Start(v), routing.End(v)):
            timeline.CumulVar(index).SetRange(vehicle.shift_start_s, vehicle.shift_end_s)
    # Adding a stop costs at most a detour (two arcs) plus, when balancing, that detour and
    # its dwell twice over (over a share, and on the busiest unit).
    big = 4 * (_largest(cost_nodes) + _largest(problem.travel) + int(dwell.max())) + 1
    for node, i in enumerate(candidates):
        index = manager.NodeToIndex(node)
        _restrict(timeline.CumulVar(index), problem.start_windows[i])
        if len(problem.allowed[i]) < len(vehicles):
            # SetAllowedVehiclesForIndex rejects every Python list in OR-Tools 9.15 (its
            # absl::Span typemap); -1 keeps "unperformed" possible.
            routing.VehicleVar(index).SetValues([-1, *problem.allowed[i]])
        routing.AddDisjunction([index], big * (problem.stops[i].priority * (n + 1) + 1))

    solver = routing.solver()
    visit = [int(dwell[manager.IndexToNode(index)]) for index in range(routing.Size())]
    names: dict[str, tuple[int, int]] = {}
    for v, vehicle in enumerate(vehicles):
        intervals = []
        for b, windows in enumerate(problem.break_windows[v]):
            name = f"break-{v}-{b}"
            start = solver.IntVar(windows[0][0], windows[-1][1], f"{name}-start")
            _restrict(start, windows)
            intervals.append(solver.FixedDurationIntervalVar(
                start, vehicle.breaks[b].duration_s, name))
            names[name] = (v, b)
        if intervals:
            timeline.SetBreakIntervalsOfVehicle(intervals, v, visit)

    capped = [v.max_work_s is not None for v in vehicles]
    if balance or any(capped):
        routing.AddDimensionWithVehicleCapacity(
            work_cb, 0, [horizon if v.max_work_s is None else v.max_work_s for v in vehicles],
            True, "work")
        if balance:
            work = routing.GetDimensionOrDie("work")
            work.SetGlobalSpanCostCoefficient(_PER_S)
            targets = work_targets(problem, estimated_work(problem), candidates)
            for v, target in enumerate(targets):
                work.SetCumulVarSoftUpperBound(routing.End(v), math.ceil(target), _PER_S)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    parameters.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return plan

    taken: dict[int, list[tuple[int, int, Item]]] = {v: [] for v in range(len(vehicles))}
    for v in range(len(vehicles)):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            taken[v].append((solution.Min(timeline.CumulVar(index)), 0,
                             ("stop", candidates[node])))
            index = solution.Value(routing.NextVar(index))
    breaks = solution.IntervalVarContainer()
    for k in range(breaks.Size()):
        element = breaks.Element(k)
        if element.Var().Name() in names and element.PerformedValue():
            v, b = names[element.Var().Name()]
            taken[v].append((element.StartValue(), 1, ("break", b)))
    for v, steps in taken.items():
        if any(item[0] == "stop" for _, _, item in steps):
            plan[v] = [item for _, _, item in sorted(steps, key=lambda s: (s[0], s[1]))]
    return plan


def _largest(matrix: npt.NDArray[np.int64]) -> int:
    """The largest finite entry."""
    return int(matrix[matrix < UNREACHABLE_S].max(initial=0))


def _restrict(variable: pywrapcp.IntVar, windows: tuple[tuple[int, int], ...]) -> None:
    """Limit a time variable to the union of ``windows`` (no windows: no limit)."""
    if not windows:
        return
    variable.SetRange(windows[0][0], windows[-1][1])
    for (_, gap_from), (gap_to, _) in zip(windows, windows[1:], strict=False):
        variable.RemoveInterval(gap_from + 1, gap_to - 1)
