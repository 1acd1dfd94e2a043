"""Red-alert call-up and unit recommendation on Heidelberg: API latency, and the coverage
query against a brute-force shapely loop.

Set-up (not timed): Heidelberg imported; 2,504 cameras at real positions along its roads
(a seeded random point on a random drivable edge, a few metres off the kerb; azimuth,
field of view and range drawn from plausible ranges, one in five of unknown direction);
300 units along the roads (10 % plainclothes, a fifth committed-but-available), each with
a fresh fix. Then 200 alerts at random road positions go through ``POST /api/v1/alerts``
(Flask test client in this process, real PostGIS, no snapshots: no stream URLs). Printed:

* API latency p50/p95 (target p95 <= 300 ms) and the spatial part (the camera call-up plus
  the escape cameras from the 3-minute isochrone; target <= 50 ms at p95);
* the same ``cameras`` answer computed by a brute-force loop over every camera with
  :func:`gis.coverage.sees` (shapely/pyproj, the obvious implementation): identical sets,
  and the ratio of times;
* then the same with 100,000 cameras (target p95 <= 500 ms).

Run: ``cd benchmarks && ../.venv/bin/python alerts.py`` (a few minutes).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import HEIDELBERG, bench_database, percentile, table  # noqa: E402

from app.auth import users  # noqa: E402
from app.cameras.coverage import default_range_m, refresh_coverage  # noqa: E402
from app.db import get_session  # noqa: E402
from app.db.bulk import raw_cursor  # noqa: E402
from app.geography.graph import road_graph  # noqa: E402
from app.geography.import_osm import import_osm  # noqa: E402
from gis.coverage import sees  # noqa: E402


def road_points(edges: gpd.GeoDataFrame, count: int, rng: np.random.Generator,
                *, off_m: float) -> np.ndarray:
    """``count`` lon/lat points on random drivable edges, moved ``off_m`` sideways."""
    picks = rng.integers(0, len(edges), count)
    lines = edges.geometry.to_numpy()[picks]
    points = shapely.line_interpolate_point(lines, rng.uniform(0, 1, count), normalized=True)
    xy = shapely.get_coordinates(points)
    metres_per_deg = 111_320.0
    angle = rng.uniform(0, 2 * np.pi, count)
    xy[:, 0] += off_m * np.cos(angle) / (metres_per_deg * np.cos(np.radians(xy[:, 1])))
    xy[:, 1] += off_m * np.sin(angle) / metres_per_deg
    return xy


def add_cameras(session: Any, xy: np.ndarray, rng: np.random.Generator, first: int) -> None:
    count = len(xy)
    unknown = rng.uniform(0, 1, count) < 0.2
    frame = pd.DataFrame({
        "name": [f"bench-{first + i}" for i in range(count)],
        "source": "bench",
        "kind": rng.choice(["fixed", "dome", "ptz", "checkpoint"], count),
        "azimuth_deg": np.where(unknown, np.nan, rng.uniform(0, 360, count).round(1)),
        "fov_deg": np.where(unknown, np.nan, rng.uniform(50, 120, count).round(1)),
        "range_m": rng.uniform(30, 150, count).round(0),
        "geom": [f"SRID=4326;POINT({x} {y})" for x, y in xy]})
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False, na_rep="")
    with raw_cursor(session) as cur, cur.copy(
            "COPY cameras (name, source, kind, azimuth_deg, fov_deg, range_m, geom) "
            "FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def add_units(session: Any, xy: np.ndarray, rng: np.random.Generator) -> None:
    kinds = rng.choice(np.array(["patrol_car", "motorcycle", "foot", "traffic", "special"],
                                dtype=object), len(xy))
    kinds[rng.uniform(0, 1, len(xy)) < 0.1] = "plainclothes"
    statuses = np.where(rng.uniform(0, 1, len(xy)) < 0.2, "committed_available", "available")
    with raw_cursor(session) as cur:
        cur.executemany(
            "INSERT INTO units (callsign, kind, status, fix_at, geom) VALUES "
            "(%s, %s, %s, now(), ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            [(f"U{i:03d}", str(k), str(s), float(x), float(y))
             for i, (k, s, (x, y)) in enumerate(zip(kinds, statuses, xy, strict=True))])


def brute_force(cameras: gpd.GeoDataFrame, buildings: list[Any], lon: float,
                lat: float) -> set[int]:
    seen = set()
    for row in cameras.itertuples():
        view = sees(lon, lat, camera_lon=row.lon, camera_lat=row.lat,
                    azimuth_deg=None if np.isnan(row.azimuth_deg) else row.azimuth_deg,
                    fov_deg=None if np.isnan(row.fov_deg) else row.fov_deg,
                    range_m=row.range_m if row.range_m == row.range_m
                    else default_range_m(row.kind),
                    obstacles=buildings or None)
        if view.visible:
            seen.add(int(row.id))
    return seen


def run_alerts(client: Any, headers: dict[str, str], places: np.ndarray) -> list[dict[str, Any]]:
    results = []
    for lon, lat in places:
        start = time.perf_counter()
        response = client.post("/api/v1/alerts", json={
            "lon": float(lon), "lat": float(lat), "level": "red"}, headers=headers)
        elapsed = time.perf_counter() - start
        if response.status_code != 201:
            raise SystemExit(f"alert failed: {response.status_code} {response.json}")
        body = response.json
        results.append({"ms": 1000 * elapsed, "spatial_ms": body["timings_ms"]["cameras"]
                        + body["timings_ms"]["escape"], "cameras_ms": body["timings_ms"]["cameras"],
                        "units_ms": body["timings_ms"]["units"],
                        "cameras": {c["id"] for c in body["cameras"]},
                        "escape": len(body["escape_cameras"]), "units": len(body["units"])})
    return results


def summary(label: str, results: list[dict[str, Any]]) -> list[Any]:
    ms = [r["ms"] for r in results]
    spatial = [r["spatial_ms"] for r in results]
    units = [r["units_ms"] for r in results]
    return [label, f"{percentile(ms, 50):.1f}", f"{percentile(ms, 95):.1f}",
            f"{percentile(spatial, 50):.1f}", f"{percentile(spatial, 95):.1f}",
            f"{percentile(units, 95):.1f}",
            f"{np.mean([len(r['cameras']) for r in results]):.1f}",
            f"{np.mean([r['escape'] for r in results]):.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--brute", type=int, default=50,
                        help="alerts also answered by the brute-force loop")
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20261123)
    with bench_database("gridpatrol_bench_alerts") as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            import_osm(session, HEIDELBERG, reason="benchmark")
            session.commit()
            served = road_graph(session)
            edges = served.edges
            drivable = edges[edges["length_m"] > 5]
            add_cameras(session, road_points(drivable, 2504, rng, off_m=8), rng, 0)
            add_units(session, road_points(drivable, 300, rng, off_m=3), rng)
            started = time.perf_counter()
            refresh_coverage(session)
            coverage_s = time.perf_counter() - started
            user = users.create_user(session, "bench-dispatcher", "bench password 1",
                                     "dispatcher")
            token = users.issue_token(session, user, label="bench")
            session.commit()
            served.graph.travel_times_to_point(8.69, 49.41, np.array([8.7]), np.array([49.4]))
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        places = road_points(drivable, args.alerts, rng, off_m=0)
        run_alerts(client, headers, places[:5])  # warm caches
        small = run_alerts(client, headers, places)

        with app.app_context():
            cameras = gpd.read_postgis(
                "SELECT id, kind, azimuth_deg, fov_deg, range_m, ST_X(geom) AS lon, "
                "ST_Y(geom) AS lat, geom FROM cameras", get_session().connection(),
                geom_col="geom")
            buildings = list(gpd.read_postgis("SELECT geom FROM buildings",
                                              get_session().connection(),
                                              geom_col="geom").geometry)
        cameras[["azimuth_deg", "fov_deg", "range_m"]] = cameras[
            ["azimuth_deg", "fov_deg", "range_m"]].astype(float)
        brute_ms, ours_ms, mismatches = [], [], 0
        for (lon, lat), result in list(zip(places, small, strict=True))[:args.brute]:
            start = time.perf_counter()
            expected = brute_force(cameras, buildings, float(lon), float(lat))
            brute_ms.append(1000 * (time.perf_counter() - start))
            ours_ms.append(result["cameras_ms"])
            if expected != result["cameras"]:
                mismatches += 1
                print(f"differ at {lon:.6f},{lat:.6f}: brute-force only "
                      f"{sorted(expected - result['cameras'])}, ours only "
                      f"{sorted(result['cameras'] - expected)}")

        with app.app_context():
            session = get_session()
            add_cameras(session, road_points(drivable, args.large - 2504, rng, off_m=8), rng,
                        2504)
            started = time.perf_counter()
            refresh_coverage(session)
            large_coverage_s = time.perf_counter() - started
            session.commit()
            session.execute(__import__("sqlalchemy").text("ANALYZE cameras"))
            session.commit()
        run_alerts(client, headers, places[:5])
        large = run_alerts(client, headers, places)

    header = ["cameras", "API p50 ms", "API p95 ms", "spatial p50 ms", "spatial p95 ms",
              "units p95 ms", "seeing (mean)", "escape (mean)"]
    print(f"\nHeidelberg, {args.alerts} red alerts, 300 units (coverage set-up: "
          f"{coverage_s:.1f} s for 2,504 cameras, {large_coverage_s:.1f} s for "
          f"{args.large:,})\n")
    print(table([summary("2,504", small), summary(f"{args.large:,}", large)], header))
    ratio = np.median(brute_ms) / max(np.median(ours_ms), 1e-9)
    print(f"\ncameras that see the place, {len(brute_ms)} alerts, 2,504 cameras:")
    print(table([["PostGIS sector index + exact sight lines (ours)",
                  f"{np.median(ours_ms):.2f}", f"{percentile(ours_ms, 95):.2f}", "1.0"],
                 ["brute-force shapely loop over every camera", f"{np.median(brute_ms):.1f}",
                  f"{percentile(brute_ms, 95):.1f}", f"{ratio:.0f}x slower"]],
                ["method", "p50 ms", "p95 ms", "ratio"]))
    print(f"answers identical: {mismatches == 0} ({mismatches} of {len(brute_ms)} differ)")
    targets = [("p95 <= 300 ms (2,504 cameras)", percentile([r['ms'] for r in small], 95) <= 300),
               ("spatial p95 <= 50 ms", percentile([r['spatial_ms'] for r in small], 95) <= 50),
               (f"p95 <= 500 ms ({args.large:,} cameras)",
                percentile([r['ms'] for r in large], 95) <= 500),
               ("same answers as brute force", mismatches == 0)]
    for name, met in targets:
        print(f"target {name}: {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
