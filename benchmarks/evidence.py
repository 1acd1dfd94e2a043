"""Evidence plans on Heidelberg: a 10 km path, 2,504 cameras, against a brute-force loop.

Set-up (not timed): Heidelberg imported; 2,504 cameras at real positions along its roads
as in benchmarks/alerts.py (a seeded random point on a random drivable edge, 8 m off the
kerb; azimuth, field of view and range drawn from plausible ranges, one in five of
unknown direction), their coverage cut by buildings. Paths: the fastest routes between
seeded random road points whose length is 9.5-10.5 km.

Timed: the pure core (`gis.evidence.watch_passages` over every camera's coverage, no
database) against the reference below, and ``POST /api/v1/evidence-plans`` (Flask test
client in this process, real PostGIS) with each path drawn (``path``: the route's line
as GeoJSON) and routed (``to``), both stored, filed and audited as in service; target
p95 <= 300 ms. The reference: every camera's coverage intersected with the path one by
one in a shapely loop (the obvious implementation: no index), giving the set of cameras
that see at least 1 m of it; the sets must agree, and the ratio of times is printed.

Run: ``cd benchmarks && ../.venv/bin/python evidence.py`` (two or three minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from alerts import add_cameras, road_points  # noqa: E402
from common import HEIDELBERG, bench_database, percentile, table  # noqa: E402

from app.auth import users  # noqa: E402
from app.cameras.coverage import refresh_coverage  # noqa: E402
from app.db import get_session  # noqa: E402
from app.geography.graph import road_graph  # noqa: E402
from app.geography.import_osm import import_osm  # noqa: E402
from gis.evidence import CoverageRecord, Mode, path_from_line, watch_passages  # noqa: E402

GEOD = pyproj.Geod(ellps="WGS84")
START = "2025-03-01T21:14:00+00:00"


def ten_km_routes(graph: Any, edges: gpd.GeoDataFrame, rng: np.random.Generator,
                  count: int) -> list[tuple[tuple[float, float], tuple[float, float], Any]]:
    found = []
    while len(found) < count:
        a, b = road_points(edges, 2, rng, off_m=0)
        try:
            route = graph.route_between_points(*a, *b)
        except ValueError:
            continue
        if 9_500 <= route.distance_m <= 10_500:
            found.append(((float(a[0]), float(a[1])), (float(b[0]), float(b[1])),
                          route.geometry))
    return found


def brute_force(cameras: gpd.GeoDataFrame, line: Any) -> set[int]:
    seen = set()
    for camera_id, coverage in zip(cameras["id"], cameras.geometry, strict=True):
        if coverage is None:
            continue
        cut = coverage.intersection(line)
        if cut.is_empty:
            continue
        metres = sum(GEOD.geometry_length(part) for part in getattr(cut, "geoms", [cut])
                     if part.geom_type == "LineString")
        if metres >= 1.0:
            seen.add(int(camera_id))
    return seen


def post(client: Any, headers: dict[str, str], body: dict[str, Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    response = client.post("/api/v1/evidence-plans", json=body, headers=headers)
    elapsed = 1000 * (time.perf_counter() - start)
    if response.status_code != 201:
        raise SystemExit(f"plan failed: {response.status_code} {response.json}")
    return elapsed, response.json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(20270110)
    with bench_database("gridpatrol_bench_evidence") as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            import_osm(session, HEIDELBERG, reason="benchmark")
            session.commit()
            served = road_graph(session)
            drivable = served.edges[served.edges["length_m"] > 5]
            add_cameras(session, road_points(drivable, 2504, rng, off_m=8), rng, 0)
            refresh_coverage(session)
            user = users.create_user(session, "bench-analyst", "bench password 1", "analyst")
            token = users.issue_token(session, user, label="bench")
            session.commit()
            routes = ten_km_routes(served.graph, drivable, rng, args.paths)
            cameras = gpd.read_postgis("SELECT id, coverage FROM cameras",
                                       session.connection(), geom_col="coverage")
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        base = {"at": START, "mode": "car", "reason": "benchmark"}
        records = [CoverageRecord(int(i), g) for i, g in zip(cameras["id"], cameras.geometry,
                                                               strict=True) if g is not None]
        drawn_ms, routed_ms, brute_ms, core_cameras, mismatches = [], [], [], [], 0
        core_ms = []
        for a, _, line in routes[:3]:  # warm caches
            post(client, headers, base | {"lon": a[0], "lat": a[1], "path": shapely.geometry
                                          .mapping(line)})
        for a, b, line in routes:
            path = {"type": "LineString", "coordinates": [list(c) for c in line.coords]}
            ms, answer = post(client, headers, base | {"lon": a[0], "lat": a[1], "path": path})
            drawn_ms.append(ms)
            ours = {c["camera_id"] for c in answer["cameras"]}
            core_cameras.append(len(ours))
            ms, _ = post(client, headers, base | {"lon": a[0], "lat": a[1],
                                                  "to": {"lon": b[0], "lat": b[1]}})
            routed_ms.append(ms)
            start = time.perf_counter()
            core = {p.camera_id for p in watch_passages(path_from_line(line, mode=Mode.CAR),
                                                        records)}
            core_ms.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            expected = brute_force(cameras, line)
            brute_ms.append(1000 * (time.perf_counter() - start))
            if expected != ours or core != ours:
                mismatches += 1
                print(f"differ: brute-force only {sorted(expected - ours)}, "
                      f"ours only {sorted(ours - expected)}")
    rows = [
        ["drawn path (API)", f"{percentile(drawn_ms, 50):.0f}",
         f"{percentile(drawn_ms, 95):.0f}", "300"],
        ["route to a place (API)", f"{percentile(routed_ms, 50):.0f}",
         f"{percentile(routed_ms, 95):.0f}", "300"],
        ["core: every camera, no database", f"{percentile(core_ms, 50):.1f}",
         f"{percentile(core_ms, 95):.1f}", "-"],
        ["brute-force loop: every camera", f"{percentile(brute_ms, 50):.1f}",
         f"{percentile(brute_ms, 95):.1f}", "-"],
    ]
    print(f"{len(routes)} paths of 9.5-10.5 km, 2,504 cameras; "
          f"{np.mean(core_cameras):.1f} cameras per plan on average")
    print(table(rows, ["what", "p50 ms", "p95 ms", "target p95 ms"]))
    print(f"brute-force loop / core at p50: "
          f"{percentile(brute_ms, 50) / percentile(core_ms, 50):.1f}x (the API adds the "
          "candidate query, the graph's road speeds, storing, auditing and JSON); "
          f"camera sets differing: {mismatches} of {len(routes)}")


if __name__ == "__main__":
    main()
