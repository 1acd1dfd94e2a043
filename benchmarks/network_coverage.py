"""Coverage of the camera network on Heidelberg: every grid cell, then one camera moved.

Set-up (not timed): Heidelberg imported, a 500 m grid built, 2,504 cameras as in
benchmarks/alerts.py with their coverage cut by buildings.

Timed:
* the figures of every grid cell (``refresh_figures`` after every cell is marked: the
  zones of cells and areas, the cameras and roads read from PostGIS, measured in
  `gis.network_coverage`, stored); target <= 5 s;
* one camera moved 300 m (its coverage refreshed, not timed) and the figures brought up
  to date (only the cells the triggers marked); target <= 200 ms, 20 moves, p95;
* the peer: PostGIS computing the same per-cell seen road length in one SQL statement
  (``ST_Union`` of the coverage per cell, ``ST_Intersection`` with the roads,
  geography lengths), the obvious database-side implementation; the totals must agree
  within 1 %.

Run: ``cd benchmarks && ../.venv/bin/python network_coverage.py`` (a few minutes).
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
from common import HEIDELBERG, bench_database, percentile, table  # noqa: E402

from app.cameras.coverage import refresh_coverage  # noqa: E402
from app.db import get_session  # noqa: E402
from app.evidence.coverage import refresh_figures  # noqa: E402
from app.geography.graph import road_graph  # noqa: E402
from app.geography.import_grids import build_grids  # noqa: E402
from app.geography.import_osm import import_osm  # noqa: E402

PEER_SQL = """
WITH seen AS (
  SELECT g.id, ST_Intersection(ST_Union(c.coverage), g.geom) AS geom
  FROM grid_cells g JOIN cameras c ON ST_Intersects(c.coverage, g.geom) GROUP BY g.id, g.geom)
SELECT sum(ST_Length(ST_Intersection(r.geom, s.geom)::geography)) / 1000
FROM seen s JOIN roads r ON ST_Intersects(r.geom, s.geom)
"""


def main() -> None:
    rng = np.random.default_rng(20270111)
    with bench_database("gridpatrol_bench_coverage") as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            import_osm(session, HEIDELBERG, reason="benchmark")
            session.commit()
            build_grids(session, shape="square", cell_m=500.0)
            session.commit()
            drivable = road_graph(session).edges
            drivable = drivable[drivable["length_m"] > 5]
            add_cameras(session, road_points(drivable, 2504, rng, off_m=8), rng, 0)
            refresh_coverage(session)
            session.commit()
            cells = session.execute(sa.text("SELECT count(*) FROM grid_cells")).scalar_one()
            session.execute(sa.text("INSERT INTO coverage_dirty SELECT id FROM grid_cells "
                                    "ON CONFLICT DO NOTHING"))
            started = time.perf_counter()
            done = refresh_figures(session)
            session.commit()
            full_s = time.perf_counter() - started
            ours_km = session.execute(sa.text(
                "SELECT sum(value::float) / 1000 FROM coverage_zones, "
                "jsonb_each_text(seen_road_m)")).scalar_one()
            started = time.perf_counter()
            peer_km = session.execute(sa.text(PEER_SQL)).scalar_one()
            peer_s = time.perf_counter() - started
            ids = session.execute(sa.text("SELECT id FROM cameras ORDER BY random() "
                                          "LIMIT 20")).scalars().all()
            move_ms, recomputed = [], []
            for camera_id in ids:
                session.execute(sa.text(
                    "UPDATE cameras SET geom = ST_Project(geom::geography, 300, radians(45))"
                    "::geometry WHERE id = :id"), {"id": camera_id})
                refresh_coverage(session, camera_ids=[camera_id])
                session.commit()
                started = time.perf_counter()
                recomputed.append(refresh_figures(session))
                session.commit()
                move_ms.append(1000 * (time.perf_counter() - started))
    rows = [["every cell (gridpatrol)", f"{done} cells", f"{full_s:.2f} s", "5 s"],
            ["every cell, seen road only (PostGIS SQL)", f"{cells} cells", f"{peer_s:.2f} s",
             "-"],
            ["one camera moved: p50 / p95",
             f"{np.median(recomputed):.0f} cells",
             f"{percentile(move_ms, 50):.0f} / {percentile(move_ms, 95):.0f} ms", "200 ms"]]
    print("Heidelberg, 500 m grid, 2,504 cameras")
    print(table(rows, ["what", "cells", "time", "target"]))
    print(f"seen road: {ours_km:.2f} km (gridpatrol) vs {peer_km:.2f} km (PostGIS); "
          f"PostGIS / gridpatrol time: {peer_s / full_s:.1f}x")


if __name__ == "__main__":
    main()
