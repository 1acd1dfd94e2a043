"""The patrol route solver on small hand-made instances, with both engines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pytest

from patrol.solver import (
    Break,
    InvalidPlanInput,
    PlanSolution,
    Stop,
    UnservedReason,
    Vehicle,
    diagnose_unserved,
    solve_plan,
)
from patrol.solver_model import build_problem
from patrol.solver_vroom import order_with_vroom

Engine = Literal["vroom", "ortools"]
ENGINES: list[Engine] = ["vroom", "ortools"]
H = 3600
QUICK = {"vroom": 10.0, "ortools": 1.0}  # OR-Tools searches until its limit


def plane(points: Sequence[tuple[float, float]], *, speed_m_s: float = 10.0) -> np.ndarray:
    """Travel seconds between points (metres) in a straight line, rounded."""
    xy = np.asarray(points, dtype=float)
    gaps = xy[:, None, :] - xy[None, :, :]
    seconds: np.ndarray = np.rint(np.hypot(gaps[..., 0], gaps[..., 1]) / speed_m_s)
    return seconds


def check_plan(solution: PlanSolution, matrix: np.ndarray, vehicles: list[Vehicle],
               stops: list[Stop]) -> set[str]:
    """Assert every time of the plan against the true matrix; return the served stop ids."""
    by_id = {s.id: s for s in stops}
    assert [r.vehicle_id for r in solution.routes] == [v.id for v in vehicles]
    served: list[str] = []
    for vehicle, route in zip(vehicles, solution.routes, strict=True):
        if not route.visits:
            assert route.travel_s == route.service_s == 0 and not route.breaks
            continue
        assert vehicle.shift_start_s <= route.start_s <= route.end_s <= vehicle.shift_end_s
        here, free_s, travel = vehicle.start_index, route.start_s, 0
        for visit in route.visits:
            stop = by_id[visit.stop_id]
            assert stop.vehicles is None or vehicle.id in stop.vehicles
            leg = int(matrix[here, stop.index])
            if not route.breaks:
                assert visit.arrive_s == free_s + leg
            assert visit.arrive_s >= free_s + leg
            assert visit.start_s >= visit.arrive_s
            assert visit.depart_s - visit.start_s == stop.service_s
            assert not stop.windows or any(
                a <= visit.start_s and visit.depart_s <= b for a, b in stop.windows)
            here, free_s, travel = stop.index, visit.depart_s, travel + leg
            served.append(stop.id)
        back = int(matrix[here, vehicle.end_index])
        assert route.end_s >= free_s + back
        if not route.breaks:
            assert route.end_s == free_s + back
        assert route.travel_s == travel + back
        assert route.service_s == sum(by_id[v.stop_id].service_s for v in route.visits)
        resting = sum(b.depart_s - b.start_s for b in route.breaks)
        assert route.waiting_s == route.end_s - route.start_s - route.travel_s \
            - route.service_s - resting >= 0
    assert len(served) == len(set(served))
    unserved = {u.stop_id for u in solution.unserved}
    assert unserved.isdisjoint(served) and unserved | set(served) == set(by_id)
    assert solution.travel_s == sum(r.travel_s for r in solution.routes)
    return set(served)


def reasons(solution: PlanSolution) -> dict[str, str]:
    return {u.stop_id: u.reason for u in solution.unserved}


# -- the matrix is read the right way round --------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_asymmetric_two_by_two_is_not_read_transposed(engine: Engine) -> None:
    # Out 100 s, back 300 s; read transposed (pyvroom does that to a Fortran-ordered array)
    # the unit would arrive at 300 s, past the window, and the stop would be unserved.
    matrix = np.asfortranarray(np.array([[0.0, 100.0], [300.0, 0.0]]))
    vehicles = [Vehicle("P1", 0, 0, 0, 1000)]
    stops = [Stop("A", 1, 50, windows=((0, 200),))]
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine])
    (route,) = solution.routes
    assert solution.unserved == ()
    assert [(v.arrive_s, v.start_s, v.depart_s) for v in route.visits] == [(100, 100, 150)]
    assert (route.start_s, route.end_s, route.travel_s) == (0, 450, 400)
    check_plan(solution, matrix, vehicles, stops)


def test_the_vroom_adapter_reads_a_fortran_ordered_matrix_the_right_way_round() -> None:
    problem = build_problem(np.array([[0.0, 100.0], [300.0, 0.0]]),
                            [Vehicle("P1", 0, 0, 0, 1000)],
                            [Stop("A", 1, 50, windows=((0, 200),))])
    travel = np.asfortranarray(problem.travel)
    plan = order_with_vroom(replace(problem, travel=travel), travel, [0], time_limit_s=10,
                            balance=False)
    assert plan == [[("stop", 0)]]


def test_nothing_to_plan_gives_idle_routes_and_no_units_leave_every_stop_unserved() -> None:
    matrix, vehicles, stops = town()
    idle = solve_plan(matrix, vehicles, [])
    assert [(r.start_s, r.end_s, r.visits) for r in idle.routes] == [(6 * H, 6 * H, ())] * 2
    assert (idle.unserved, idle.travel_s, idle.cost) == ((), 0, 0)
    alone = solve_plan(matrix, [], stops)
    assert alone.routes == () and {u.reason for u in alone.unserved} == {"no_suitable_unit"}
    assert alone.unserved[0].message == "there is no unit on this plan"


# -- windows and dwells ------------------------------------------------------------------

def town() -> tuple[np.ndarray, list[Vehicle], list[Stop]]:
    """Two stations and ten stops on a 6 km square, windows of all kinds, 06:00-14:00."""
    points = [(0, 0), (6000, 6000), (1000, 500), (2500, 1200), (4000, 800), (5200, 2500),
              (3000, 3000), (800, 4200), (2000, 5500), (4500, 5000), (5800, 4300), (300, 2200)]
    vehicles = [Vehicle("P1", 0, 0, 6 * H, 14 * H), Vehicle("P2", 1, 1, 6 * H, 14 * H)]
    stops = [
        Stop("school", 2, 900, windows=((7 * H + 1800, 8 * H + 900),), priority=90),
        Stop("market", 3, 600, windows=((9 * H, 9 * H + 1800), (12 * H, 12 * H + 1800))),
        Stop("dose-a1", 4, 720, windows=((6 * H, 8 * H),)),
        Stop("dose-a2", 4, 720, windows=((8 * H, 10 * H),)),
        Stop("dose-a3", 4, 720, windows=((10 * H, 12 * H),)),
        Stop("bank", 5, 300, windows=((10 * H, 10 * H + 900),)),
        Stop("park", 6, 1200),
        Stop("station-sq", 7, 600, windows=((6 * H, 7 * H),)),
        Stop("mall", 8, 900, windows=((11 * H, 13 * H),)),
        Stop("bridge", 9, 600, windows=((13 * H, 13 * H + 1800),)),
        Stop("club", 10, 600, windows=((8 * H, 9 * H),)),
        Stop("gate", 11, 450, windows=((6 * H, 6 * H + 1200),), vehicles=frozenset({"P1"})),
    ]
    return plane(points), vehicles, stops


@pytest.mark.parametrize("engine", ENGINES)
def test_every_window_and_dwell_is_honoured(engine: Engine) -> None:
    matrix, vehicles, stops = town()
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine])
    assert check_plan(solution, matrix, vehicles, stops) == {s.id for s in stops}
    assert solution.engine == engine


@pytest.mark.parametrize("engine", ENGINES)
def test_a_later_window_is_used_when_the_first_cannot_be_reached(engine: Engine) -> None:
    matrix = np.array([[0.0, 1800.0], [1800.0, 0.0]])
    vehicles = [Vehicle("P1", 0, 0, 6 * H, 14 * H)]
    stops = [Stop("far-gate", 1, 600, windows=((6 * H, 6 * H + 1200), (9 * H, 9 * H + 900)))]
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine])
    check_plan(solution, matrix, vehicles, stops)
    (visit,) = solution.routes[0].visits
    assert (visit.start_s, visit.depart_s) == (9 * H, 9 * H + 600)
    assert solution.routes[0].start_s == 9 * H - 1800  # leaves late rather than waits


# -- unserved stops, named, with their reasons --------------------------------------------

def test_an_impossible_window_is_reported_by_name() -> None:
    matrix, vehicles, stops = town()
    stops.append(Stop("kiosk", 6, 600, windows=((7 * H + 1800, 7 * H + 2100),)))
    solution = solve_plan(matrix, vehicles, stops, time_limit_s=10)
    (unserved,) = solution.unserved
    assert (unserved.stop_id, unserved.reason) == ("kiosk", UnservedReason.WINDOW_TOO_SHORT)
    assert unserved.reason == "window_too_short"
    assert unserved.message == "window 07:30–07:35 is 5 min, the dwell is 10 min"
    assert check_plan(solution, matrix, vehicles, stops) == {s.id for s in stops} - {"kiosk"}


def test_a_window_outside_every_shift_is_too_short() -> None:
    matrix, vehicles, stops = town()
    stops.append(Stop("night-bar", 6, 600, windows=((22 * H, 23 * H),)))
    stops.append(Stop("all-day", 6, 9 * H))
    solution = solve_plan(matrix, vehicles, stops, time_limit_s=10)
    assert reasons(solution) == {"night-bar": "window_too_short", "all-day": "window_too_short"}
    messages = {u.stop_id: u.message for u in solution.unserved}
    assert messages == {
        "night-bar": "the 10 min dwell fits in window 22:00–23:00 within no shift of the "
                     "units allowed (06:00–14:00)",
        "all-day": "the 9 h 00 min dwell is longer than every shift of the units allowed "
                   "(06:00–14:00)"}


def test_a_stop_too_far_for_its_window_is_too_far() -> None:
    matrix = np.array([[0.0, 100.0, 5 * H], [100.0, 0.0, 5 * H], [5 * H, 5 * H, 0.0]])
    vehicles = [Vehicle("P1", 0, 0, 6 * H, 14 * H)]
    stops = [Stop("near", 1, 600), Stop("outpost", 2, 600),
             Stop("island", 2, 600, windows=((6 * H, 10 * H),))]
    inf = matrix.copy()
    inf[:, 2] = inf[2, :] = np.inf
    inf[2, 2] = 0
    for m in (matrix, inf):
        solution = solve_plan(m, vehicles, stops, time_limit_s=10)
        assert reasons(solution) == {"outpost": "too_far", "island": "too_far"}
        assert check_plan(solution, m, vehicles, stops) == {"near"}
    island = next(u for u in solve_plan(matrix, vehicles, stops).unserved
                  if u.stop_id == "island")
    assert island.message == ("the nearest unit allowed, P1 (shift 06:00–14:00), needs "
                              "5 h 00 min there and 5 h 00 min back: with the 10 min dwell it "
                              "cannot serve it in window 06:00–10:00 and be back by 14:00")
    (unreachable,) = diagnose_unserved(inf, vehicles, stops, ["island"])
    assert unreachable.message == "no road links it with the station of any unit allowed"


def test_a_covert_stop_without_a_plainclothes_unit_has_no_suitable_unit() -> None:
    matrix, vehicles, stops = town()
    stops.append(Stop("covert", 6, 900, vehicles=frozenset({"C7"})))
    stops.append(Stop("nobody", 6, 900, vehicles=frozenset()))
    solution = solve_plan(matrix, vehicles, stops, time_limit_s=10)
    assert reasons(solution) == {"covert": "no_suitable_unit", "nobody": "no_suitable_unit"}
    messages = {u.stop_id: u.message for u in solution.unserved}
    assert messages["covert"] == "only C7 may serve it, and none of them is on this plan"
    assert messages["nobody"] == "no unit is allowed to serve it"


@pytest.mark.parametrize("engine", ENGINES)
def test_two_stops_in_one_narrow_window_leave_the_lower_priority_one_out(engine: Engine) -> None:
    matrix = plane([(0, 0), (3000, 0), (0, 3000)])
    vehicles = [Vehicle("P1", 0, 0, 6 * H, 14 * H)]
    window = ((8 * H, 8 * H + 600),)
    stops = [Stop("low", 1, 600, windows=window, priority=20),
             Stop("high", 2, 600, windows=window, priority=80)]
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine])
    assert check_plan(solution, matrix, vehicles, stops) == {"high"}
    (unserved,) = solution.unserved
    assert (unserved.stop_id, unserved.reason) == ("low", "no_time_left")
    assert unserved.message.startswith("P1 could serve it alone at 08:00–08:10")
    assert diagnose_unserved(matrix, vehicles, stops, ["low"]) == solution.unserved


@pytest.mark.parametrize("engine", ENGINES)
def test_work_caps_are_kept(engine: Engine) -> None:
    matrix, vehicles, stops = town()
    vehicles[1] = Vehicle("P2", 1, 1, 6 * H, 14 * H, max_work_s=H)
    vehicles[0] = Vehicle("P1", 0, 0, 6 * H, 14 * H, max_work_s=2 * H)
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine])
    served = check_plan(solution, matrix, vehicles, stops)
    for vehicle, route in zip(vehicles, solution.routes, strict=True):
        assert vehicle.max_work_s is not None and 0 < route.work_s <= vehicle.max_work_s
    assert solution.unserved and all(u.reason == "no_time_left" for u in solution.unserved)
    assert "school" in served  # priority 90


# -- breaks -----------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_breaks_are_taken_inside_their_windows(engine: Engine) -> None:
    matrix, vehicles, stops = town()
    lunch = Break(((11 * H, 12 * H + 1800),), 1800, id="lunch")
    tea = Break(((8 * H, 9 * H), (13 * H, 14 * H)), 900, id="tea")
    vehicles = [Vehicle(v.id, v.start_index, v.end_index, v.shift_start_s, v.shift_end_s,
                        breaks=(lunch, tea)) for v in vehicles]
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine])
    check_plan(solution, matrix, vehicles, stops)
    for vehicle, route in zip(vehicles, solution.routes, strict=True):
        if not route.visits:
            continue
        assert sorted(b.stop_id for b in route.breaks) == ["lunch", "tea"]
        spec = {b.id: b for b in vehicle.breaks}
        for taken in route.breaks:
            assert taken.depart_s - taken.start_s == spec[taken.stop_id].duration_s
            assert any(a <= taken.start_s and taken.depart_s <= b
                       for a, b in spec[taken.stop_id].windows)
        busy = sorted([(v.start_s, v.depart_s) for v in (*route.visits, *route.breaks)])
        assert all(first[1] <= second[0] for first, second in zip(busy, busy[1:], strict=False))
        assert route.start_s <= busy[0][0] and busy[-1][1] <= route.end_s


# -- variation: reproducible per seed, different between seeds ------------------------------

def city(count: int = 40, *, seed: int = 7) -> tuple[np.ndarray, list[Vehicle], list[Stop]]:
    rng = np.random.default_rng(seed)
    points = [(0.0, 0.0), (8000.0, 8000.0), (0.0, 8000.0)] + [
        (float(x), float(y)) for x, y in rng.uniform(0, 8000, (count, 2))]
    vehicles = [Vehicle(f"P{k}", k, k, 6 * H, 14 * H) for k in range(3)]
    stops = [Stop(f"s{i}", 3 + i, 600) for i in range(count)]
    return plane(points), vehicles, stops


def orders(solution: PlanSolution) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(v.stop_id for v in r.visits) for r in solution.routes)


def test_a_seed_gives_the_same_plan_and_other_seeds_other_orders() -> None:
    matrix, vehicles, stops = city()
    first = solve_plan(matrix, vehicles, stops, seed=11)
    again = solve_plan(matrix, vehicles, stops, seed=11)
    assert (first.routes, first.cost) == (again.routes, again.cost)
    check_plan(first, matrix, vehicles, stops)
    plans = {orders(solve_plan(matrix, vehicles, stops, seed=seed)) for seed in range(6)}
    assert len(plans) >= 4
    plain = solve_plan(matrix, vehicles, stops, seed=11, variation=0.0)
    assert plain.cost == plain.travel_s  # no variation: the optimiser sees true times


# -- balance -----------------------------------------------------------------------------

def ring() -> tuple[np.ndarray, list[Vehicle], list[Stop]]:
    """Four units at a central station, eight stops on a 3 km ring (neighbours 2.3 km apart):
    one unit driving round the ring is the cheapest plan, and the most lopsided."""
    angles = np.arange(8) * np.pi / 4
    points = [(0.0, 0.0)] + [(3000 * math.cos(a), 3000 * math.sin(a)) for a in angles]
    vehicles = [Vehicle(f"P{k}", 0, 0, 6 * H, 14 * H) for k in range(4)]
    stops = [Stop(f"r{i}", 1 + i, 600) for i in range(8)]
    return plane(points), vehicles, stops


@pytest.mark.parametrize("engine", ENGINES)
def test_balanced_workloads_are_within_a_ratio_of_1_5(engine: Engine) -> None:
    matrix, vehicles, stops = ring()
    solution = solve_plan(matrix, vehicles, stops, engine=engine,
                          time_limit_s=QUICK[engine] * 2)
    assert check_plan(solution, matrix, vehicles, stops) == {s.id for s in stops}
    work = [r.work_s for r in solution.routes]
    assert min(work) > 0 and max(work) / min(work) <= 1.5


def test_without_balance_vroom_gives_one_unit_most_of_the_ring() -> None:
    matrix, vehicles, stops = ring()
    solution = solve_plan(matrix, vehicles, stops, balance=False)
    assert max(len(r.visits) for r in solution.routes) >= 6


# -- both engines -------------------------------------------------------------------------

def test_both_engines_serve_the_same_stops_feasibly() -> None:
    matrix, vehicles, stops = town()
    stops += [Stop("kiosk", 6, 600, windows=((7 * H + 1800, 7 * H + 2100),)),
              Stop("covert", 6, 900, vehicles=frozenset({"C7"}))]
    vroom_plan = solve_plan(matrix, vehicles, stops, engine="vroom", seed=3)
    ortools_plan = solve_plan(matrix, vehicles, stops, engine="ortools", seed=3,
                              time_limit_s=2)
    served = check_plan(vroom_plan, matrix, vehicles, stops)
    assert check_plan(ortools_plan, matrix, vehicles, stops) == served
    assert len(served) == len(stops) - 2
    assert reasons(vroom_plan) == reasons(ortools_plan)


# -- bad requests -------------------------------------------------------------------------

@pytest.mark.parametrize("change", [
    {"matrix": np.zeros((2, 3))},
    {"matrix": np.array([[0.0, -1.0], [1.0, 0.0]])},
    {"stops": [Stop("A", 1, 60), Stop("A", 1, 60)]},
    {"stops": [Stop("A", 1, 60, priority=101)]},
    {"stops": [Stop("A", 2, 60)]},
    {"stops": [Stop("A", 1, 60, windows=((500, 400),))]},
    {"vehicles": [Vehicle("P1", 0, 0, 1000, 0)]},
    {"vehicles": [Vehicle("P1", 0, 0, 0, 1000, breaks=(Break(((0, 100),), 200),))]},
    {"options": {"variation": 1.0}},
    {"options": {"engine": "osrm"}},
    {"options": {"seed": -1}},
])
def test_bad_requests_are_refused(change: dict[str, Any]) -> None:
    matrix = change.get("matrix", np.array([[0.0, 60.0], [60.0, 0.0]]))
    vehicles = change.get("vehicles", [Vehicle("P1", 0, 0, 0, 1000)])
    stops = change.get("stops", [Stop("A", 1, 60)])
    options = change.get("options", {})
    with pytest.raises(InvalidPlanInput):
        solve_plan(matrix, vehicles, stops, **options)


def test_diagnosing_an_unknown_stop_is_refused() -> None:
    matrix, vehicles, stops = town()
    with pytest.raises(InvalidPlanInput, match="not one of the stops"):
        diagnose_unserved(matrix, vehicles, stops, ["nowhere"])
