"""Patrol route solver: vroom against OR-Tools on one synthetic day in Heidelberg.

The instance is shaped like the issue's benchmark: one day of three 8-hour shifts
(06:00-14:00, 14:00-22:00, 22:00-06:00), each with 10 units from 3 stations near the city
centre (two of them plainclothes), 60 must-visit points with windows (5 of them covert:
plainclothes only) and 20 hot-spot cells dosed every 2 hours (a 10-16 min dose in each
2-hour period: 80 dose stops per shift), a 30-minute meal break per unit in the middle of
its shift, and ``max_work_s`` of 6 hours (a quarter of the shift kept free for calls).
The travel-time matrix (83 x 83) comes from the real road graph: ``gis.osm.read_osm`` on
the Heidelberg extract, ``gis.routing.RoadGraph`` and its many-to-many table, over random
road points, 250 m cell centres and station points in 8.65-8.72 E, 49.39-49.42 N.

Each shift is planned with vroom (target: <= 15 s for the whole day), then with OR-Tools
(30 s limit per shift) on the same input and seed; printed: planning time, total route
time (station to station) and driving, stops served/unserved, work spread (max/min work
of the units used), and the cost gap in % (``PlanSolution.cost``: the seeded arc costs
both engines minimise; positive means OR-Tools is worse). Both runs with balancing on
(the app's default) and off (the pure routing objective).

Run: ``.venv/bin/python benchmarks/patrol_solvers.py`` (about three and a half minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import HEIDELBERG, table  # noqa: E402

from gis.osm import read_osm  # noqa: E402
from gis.routing import RoadGraph  # noqa: E402
from patrol.solver import Break, PlanSolution, Stop, Vehicle, solve_plan  # noqa: E402

BBOX = (8.65, 49.39, 8.72, 49.42)
H = 3600
SHIFTS = (("early", 6 * H), ("late", 14 * H), ("night", 22 * H))
UNITS_PER_SHIFT = 10
MUST_VISITS, CELLS, COVERT = 60, 20, 5


def road_matrix(rng: np.random.Generator) -> tuple[np.ndarray, int, float]:
    """Travel seconds between 3 stations, 60 points and 20 cell centres (in that order)."""
    started = time.perf_counter()
    edges = read_osm(HEIDELBERG).road_edges.reset_index(drop=True)
    graph = RoadGraph.from_edges(edges.assign(edge_id=np.arange(len(edges), dtype=np.int64)))
    lon0, lat0, lon1, lat1 = BBOX
    cell_deg = (250 / (111_320 * np.cos(np.radians(49.405))), 250 / 111_320)
    columns, rows = int((lon1 - lon0) / cell_deg[0]), int((lat1 - lat0) / cell_deg[1])
    picked = rng.choice(columns * rows, 3 * CELLS, replace=False)
    centres = [(lon0 + (c % columns + 0.5) * cell_deg[0], lat0 + (c // columns + 0.5)
                * cell_deg[1]) for c in picked]
    randoms = [tuple(p) for p in rng.uniform((lon0, lat0), (lon1, lat1), (3 * MUST_VISITS, 2))]
    stations = [(8.676, 49.409), (8.694, 49.398), (8.705, 49.413)]  # central, south, east
    groups = [stations, randoms, centres]
    nodes = [[graph.snap(lon, lat).v for lon, lat in group] for group in groups]
    every = np.unique(np.concatenate(nodes))
    times = graph.travel_time_table(every, every)
    reached = np.isfinite(times)
    hub = int(np.argmax(reached.sum(axis=0) + reached.sum(axis=1)))
    good = set(every[reached[hub] & reached[:, hub]].tolist())  # both ways via the hub
    chosen: list[int] = []
    for group, want in zip(nodes, (3, MUST_VISITS, CELLS), strict=True):
        keep = [n for n in dict.fromkeys(group) if n in good and n not in chosen][:want]
        if len(keep) < want:
            raise SystemExit("too few mutually reachable road points; change --seed")
        chosen += keep
    matrix = graph.travel_time_table(chosen, chosen)
    return matrix, graph.node_count, time.perf_counter() - started


def shift_request(start_s: int, rng: np.random.Generator) -> tuple[list[Vehicle], list[Stop]]:
    end_s = start_s + 8 * H
    meal = Break(((start_s + 3 * H, start_s + 5 * H + 1800),), 1800, id="meal")
    vehicles = [Vehicle(f"{'C' if k >= 8 else 'P'}{k + 1:02d}", k % 3, k % 3, start_s, end_s,
                        kind="plainclothes" if k >= 8 else "patrol_car", breaks=(meal,),
                        max_work_s=6 * H) for k in range(UNITS_PER_SHIFT)]
    plainclothes = frozenset(v.id for v in vehicles if v.kind == "plainclothes")
    stops = []
    for i in range(MUST_VISITS):
        length = int(rng.choice([H, 3 * H // 2, 2 * H]))
        opens = start_s + int(rng.integers(0, 8 * H - length + 1) // 300 * 300)
        stops.append(Stop(f"mv{i:02d}", 3 + i, int(rng.choice([300, 600, 900])),
                          windows=((opens, opens + length),), priority=70,
                          vehicles=plainclothes if i < COVERT else None))
    for c in range(CELLS):
        for period in range(4):
            opens = start_s + period * 2 * H
            stops.append(Stop(f"cell{c:02d}-dose{period + 1}", 3 + MUST_VISITS + c,
                              int(rng.integers(10, 17)) * 60,
                              windows=((opens, opens + 2 * H),), priority=50))
    return vehicles, stops


def spread(solution: PlanSolution) -> float:
    work = [r.work_s for r in solution.routes if r.visits]
    return max(work) / min(work) if work else float("nan")


def row(name: str, engine: str, s: PlanSolution, vroom_cost: int) -> list[str]:
    route_h = sum(r.end_s - r.start_s for r in s.routes) / H
    served = sum(len(r.visits) for r in s.routes)
    gap = "" if engine == "vroom" else f"{100 * (s.cost - vroom_cost) / vroom_cost:+.1f}"
    return [name, engine, f"{s.solve_s:.2f}", f"{route_h:.2f}", f"{s.travel_s / H:.2f}",
            f"{served}/{len(s.unserved)}", f"{spread(s):.2f}", f"{s.cost:,}", gap]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--ortools-s", type=float, default=30.0, help="OR-Tools limit a shift")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    matrix, node_count, build_s = road_matrix(rng)
    requests = [(name, *shift_request(start, rng)) for name, start in SHIFTS]
    print(f"\nHeidelberg road graph ({node_count:,} nodes) and 83 x 83 travel table in "
          f"{build_s:.1f} s; {len(requests[0][2])} stops and {UNITS_PER_SHIFT} units a "
          f"shift; drive times {np.median(matrix[matrix > 0]) / 60:.1f} min median, "
          f"{matrix.max() / 60:.1f} min max\n")
    header = ["shift", "engine", "plan s", "route h", "driving h", "served/unserved",
              "work max/min", "cost", "gap %"]
    for balance in (True, False):
        rows, totals = [], {"vroom": [0.0, 0, 0, 0], "ortools": [0.0, 0, 0, 0]}
        for day, (name, vehicles, stops) in enumerate(requests):
            first = solve_plan(matrix, vehicles, stops, engine="vroom", seed=day,
                               balance=balance)
            second = solve_plan(matrix, vehicles, stops, engine="ortools", seed=day,
                                time_limit_s=args.ortools_s, balance=balance)
            for engine, s in (("vroom", first), ("ortools", second)):
                rows.append(row(name, engine, s, first.cost))
                total = totals[engine]
                total[0] += s.solve_s
                total[1] += s.cost
                total[2] += sum(len(r.visits) for r in s.routes)
                total[3] += s.travel_s
        vroom_total, ortools_total = totals["vroom"], totals["ortools"]
        for engine, total in totals.items():
            gap = "" if engine == "vroom" else \
                f"{100 * (total[1] - vroom_total[1]) / vroom_total[1]:+.1f}"
            rows.append(["day", engine, f"{total[0]:.2f}", "", f"{total[3] / H:.2f}",
                         f"{total[2]}", "", f"{int(total[1]):,}", gap])
        print(f"balance={balance}")
        print(table(rows, header))
        verdict = ("met" if vroom_total[0] <= 15 else "NOT MET") if balance else \
            "(set for the default, balance=True)"
        print(f"OR-Tools / vroom planning time: {ortools_total[0] / vroom_total[0]:.1f}x; "
              f"vroom day {vroom_total[0]:.1f} s, target <= 15 s: {verdict}\n")


if __name__ == "__main__":
    main()
