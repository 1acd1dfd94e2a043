"""Camera placement on Heidelberg: k = 50, candidates at every junction x 4 directions.

Set-up (not timed): Heidelberg imported; 2,504 cameras as in benchmarks/alerts.py with
their coverage; the placement problem of the whole extract built as the service builds
it (`app.evidence.placement`): every junction of the road graph with a fixed camera in
four directions (and a dome), road demand every 25 m, weighted by road class, and what
the existing cameras see counted as served.

Timed: HiGHS (`gis.placement.solve_mclp`) to a proven relative gap of 1 % within 60 s
(target), beside the greedy pick (the baseline the issue names). Printed: coverage of
the demand before, after greedy, after HiGHS, HiGHS's proven bound, the gap and times.

Run: ``cd benchmarks && ../.venv/bin/python placement.py`` (a few minutes).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from alerts import add_cameras, road_points  # noqa: E402
from common import HEIDELBERG, bench_database, table  # noqa: E402

from app.cameras.coverage import refresh_coverage  # noqa: E402
from app.db import get_session  # noqa: E402
from app.evidence.placement import PlacementBody, _problem, _region  # noqa: E402
from app.geography.graph import road_graph  # noqa: E402
from app.geography.import_osm import import_osm  # noqa: E402
from gis.placement import greedy_mclp, solve_mclp  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(20270112)
    with bench_database("gridpatrol_bench_placement") as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            import_osm(session, HEIDELBERG, reason="benchmark")
            session.commit()
            drivable = road_graph(session).edges
            drivable = drivable[drivable["length_m"] > 5]
            add_cameras(session, road_points(drivable, 2504, rng, off_m=8), rng, 0)
            refresh_coverage(session)
            session.commit()
            area = session.execute(sa.text("SELECT name FROM areas LIMIT 1")).scalar_one()
            body = PlacementBody(area=area, k=20, demand="roads")
            started = time.perf_counter()
            problem = _problem(session, body, _region(session, body))
            build_s = time.perf_counter() - started
    k = 50
    sites = problem.candidates["site"].to_numpy()
    started = time.perf_counter()
    greedy = greedy_mclp(problem.cover, problem.weights, k=k, site_of=sites)
    greedy_s = time.perf_counter() - started
    solved = solve_mclp(problem.cover, problem.weights, k=k, site_of=sites,
                        time_limit_s=60.0, gap=0.01)
    total, before = problem.total_weight, problem.served_weight
    rows = [["served before", f"{before / total:.4f}", "-", "-"],
            ["greedy", f"{(before + greedy.covered) / total:.4f}", f"{greedy_s:.2f} s", "-"],
            ["HiGHS", f"{(before + solved.covered) / total:.4f}", f"{solved.seconds:.1f} s",
             f"{solved.gap:.4%} ({solved.status})"],
            ["HiGHS bound", f"{(before + solved.bound) / total:.4f}", "-", "-"]]
    print(f"Heidelberg: {problem.cover.shape[0]:,} candidates at "
          f"{len(np.unique(sites)):,} junctions, {problem.cover.shape[1]:,} demand points, "
          f"k = {k}; problem built in {build_s:.1f} s")
    print(table(rows, ["pick", "demand covered", "time", "gap"]))
    print(f"HiGHS / greedy new coverage: {solved.covered / greedy.covered:.4f}x "
          f"(target: gap <= 1 % within 60 s)")


if __name__ == "__main__":
    main()
