"""Tour proposals at prefecture scale: 2,504 cameras and 100,000 timed thefts over an area
of 171 km² (the box of the London extract), against a brute-force loop.

Set-up (not timed): the box as the area, a 500 m patrol grid over it; 2,504 cameras at
seeded random places (directions, angles and ranges as in benchmarks/alerts.py, one in
five of unknown direction) with a stream each, their coverage computed by the app; 100,000
thefts over 91 days through the ordinary importer — 30 % around 40 hot places (30 m
spread), the rest anywhere in the box — at hours drawn from an evening-heavy profile.

Timed:

- ``POST /api/v1/tours/propose`` (Flask test client, real PostGIS) for the whole area and
  for one patrol grid cell at 19:00 (18:00–21:00), 5 times each: p50 and p95 of the
  proposal worked out in the request (the whole area holds more incidents than a request
  may work through — ``app.tours.jobs.INLINE_INCIDENTS`` — so it is raised here to time
  the work itself), and how soon the whole area's request is answered ``202`` as the
  job it is in production;
- which cameras see which of the area's targets (the incidents of its hot cells):
  PostGIS (``cameras_seeing``, one statement) against the obvious loop — every camera's
  coverage tested against every target with shapely's prepared geometries — the sets
  must agree.

Run: ``cd benchmarks && ../.venv/bin/python tour_propose.py`` (about three minutes).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from alerts import add_cameras  # noqa: E402
from common import bench_database, median, percentile, table  # noqa: E402

from app.auth import users  # noqa: E402
from app.cameras.coverage import refresh_coverage  # noqa: E402
from app.db import get_session  # noqa: E402
from app.geography.import_grids import build_grids  # noqa: E402
from app.tours import jobs, propose  # noqa: E402
from app.tours.repository import proposals  # noqa: E402

BOX = (-0.322, 51.462, -0.045, 51.542)
AREA = "Bench box"
CAMERAS = 2_504
INCIDENTS = 100_000
HOURS = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 5, 6, 7, 9, 10, 10, 8, 5, 2],
                 dtype=float)


def write_box(path: Path) -> Path:
    west, south, east, north = BOX
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": AREA},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def write_thefts(path: Path, rng: np.random.Generator) -> Path:
    west, south, east, north = BOX
    hot = np.column_stack([rng.uniform(west + 0.01, east - 0.01, 40),
                           rng.uniform(south + 0.005, north - 0.005, 40)])
    clustered = int(INCIDENTS * 0.3)
    picks = rng.integers(0, 40, clustered)
    spread = 30 / 111_320
    near = hot[picks] + rng.normal(0, spread, (clustered, 2)) * [1 / np.cos(np.radians(51.5)),
                                                                 1]
    anywhere = np.column_stack([rng.uniform(west, east, INCIDENTS - clustered),
                                rng.uniform(south, north, INCIDENTS - clustered)])
    xy = np.vstack([near, anywhere])
    days = rng.integers(0, 91, INCIDENTS)
    hours = rng.choice(24, INCIDENTS, p=HOURS / HOURS.sum())
    minutes = rng.integers(0, 60, INCIDENTS)
    start = np.datetime64("2024-07-01T00:00")
    times = start + days * np.timedelta64(1, "D") + hours * np.timedelta64(1, "h") \
        + minutes * np.timedelta64(1, "m")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "time", "category", "lon", "lat"])
        for n in range(INCIDENTS):
            writer.writerow([f"B{n}", str(times[n]).replace("T", " "), "theft",
                             f"{xy[n, 0]:.6f}", f"{xy[n, 1]:.6f}"])
    return path


def set_up(app: Any, folder: Path, rng: np.random.Generator) -> str:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", "boundary", str(write_box(folder / "box.json"))]
                         ).exit_code == 0
    result = runner.invoke(args=["import", "incidents", str(write_thefts(
        folder / "thefts.csv", rng)), "--source", "bench", "--tz", "UTC", "--mapping",
        "id=id,datetime=time,category=category,lon=lon,lat=lat"])
    assert result.exit_code == 0, result.output
    west, south, east, north = BOX
    with app.app_context():
        session = get_session()
        xy = np.column_stack([rng.uniform(west, east, CAMERAS),
                              rng.uniform(south, north, CAMERAS)])
        add_cameras(session, xy, rng, 0)
        session.execute(sa.text("UPDATE cameras SET stream_url = 'rtsp://10.0.0.1/cam' || id"))
        refresh_coverage(session)
        session.commit()
        build_grids(session, shape="square", cell_m=500)
        session.commit()
        grid = session.execute(sa.text(
            "SELECT g.code FROM grid_cells g JOIN incidents i ON ST_Covers(g.geom, i.geom) "
            "GROUP BY g.code ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        user = users.create_user(session, "bench-operator", "correct horse battery",
                                 "video_operator")
        token = users.issue_token(session, user, label="bench")
        session.commit()
    return f"{token}\n{grid}"


def time_queueing(app: Any, token: str, area: str, runs: int = 5) -> list[float]:
    """Seconds to the ``202`` of a whole area's proposal (queued, not run: no worker)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    seconds = []
    for hour in range(runs):  # another hour each time: a new job, not the queued one
        started = time.perf_counter()
        response = client.post("/api/v1/tours/propose", json={"area": area, "hour": hour},
                               headers=headers)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 202, response.json
        client.delete(response.headers["Location"], headers=headers)
    return seconds


def time_proposals(app: Any, token: str, area: str, runs: int = 5) -> tuple[list[float], Any]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    seconds, answer = [], None
    for _ in range(runs):
        started = time.perf_counter()
        response = client.post("/api/v1/tours/propose", json={"area": area, "hour": 19},
                               headers=headers)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.json
        answer = response.json
    return seconds, answer


def targets_of(app: Any) -> list[int]:
    """The area's targets at 18:00–21:00, as the proposal finds them."""
    with app.test_request_context():
        session = get_session()
        body = propose.ProposeBody.model_validate({"area": AREA, "hour": 19})
        region = {"kind": "area", "name": AREA, "area": AREA}
        since, until, _ = propose._period(session, body, region, [])
        chosen = proposals.region_incidents(session, kind="area", name=AREA, since=since,
                                            until=until, categories=[], hours=[18, 19, 20],
                                            weekday=None)
        hot, _ = propose._hot_cells(session, chosen, region, body)
        return [int(i) for i in chosen[chosen["cell"].isin(hot)]["id"]]


def compare_seeing(app: Any, targets: list[int], runs: int = 5) -> list[list[Any]]:
    """Median of ``runs`` of each way of finding who sees which target."""
    sql_times, loop_times = [], []
    with app.app_context():
        session = get_session()
        proposals.without_jit(session)  # as the proposal does
        for _ in range(runs):
            started = time.perf_counter()
            found = proposals.cameras_seeing(session, targets)
            sql_times.append(time.perf_counter() - started)
        points = session.execute(sa.text(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM incidents WHERE id = ANY(:ids)"),
            {"ids": targets}).all()
        views = session.execute(sa.text(
            "SELECT id, ST_AsBinary(coalesce(coverage, sector)) FROM cameras "
            "WHERE stream_url IS NOT NULL")).all()
    ids = np.array([p[0] for p in points])
    xy = shapely.points(np.array([[p[1], p[2]] for p in points]))
    loop: dict[int, set[int]] = {}
    for _ in range(runs):
        started = time.perf_counter()
        loop = {}
        for cid, wkb in views:
            if wkb is None:
                continue
            geom = shapely.from_wkb(bytes(wkb))
            shapely.prepare(geom)
            inside = shapely.covers(geom, xy)
            if inside.any():
                loop[cid] = {int(i) for i in ids[inside]}
        loop_times.append(time.perf_counter() - started)
    same = loop == {int(c["id"]): set(c["sees"]) for c in found}
    sql_s, loop_s = median(sql_times), median(loop_times)
    return [["cameras × targets", f"{len(views):,} × {len(targets):,}",
             f"{sql_s * 1000:.0f} ms", f"{loop_s * 1000:.0f} ms", f"{loop_s / sql_s:.1f}×",
             "yes" if same else "NO"]]


def main() -> None:
    rng = np.random.default_rng(17)
    with tempfile.TemporaryDirectory() as tmp, bench_database() as bench:
        app = bench["app"]
        started = time.perf_counter()
        token, grid = set_up(app, Path(tmp), rng).split("\n")
        print(f"set-up {time.perf_counter() - started:.0f} s: {CAMERAS:,} cameras, "
              f"{INCIDENTS:,} thefts, grid cell {grid}; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        queued = time_queueing(app, token, AREA)
        print(f"whole area as a job: 202 in p50 {percentile(queued, 50) * 1000:.0f} ms, "
              f"p95 {percentile(queued, 95) * 1000:.0f} ms\n")
        jobs.INLINE_INCIDENTS = 10**9  # the work itself, in the request
        rows = []
        for label, area in (("area (171 km²)", AREA), ("grid cell (500 m)", grid)):
            seconds, answer = time_proposals(app, token, area)
            rows.append([label, f"{answer['incidents']['at_these_hours']:,}",
                         answer["cells"]["method"], len(answer["cells"]["hot"]),
                         f"{answer['incidents']['in_hot_cells']:,}", len(answer["cameras"]),
                         f"{answer['incidents']['seen']:,}",
                         f"{percentile(seconds, 50) * 1000:.0f} ms",
                         f"{percentile(seconds, 95) * 1000:.0f} ms"])
        print(table(rows, ["proposal for", "incidents 18–21 h", "cells by", "hot cells",
                           "targets", "cameras", "seen", "p50", "p95"]))
        print()
        print(table(compare_seeing(app, targets_of(app)),
                    ["who sees what", "size", "PostGIS", "shapely loop", "loop / PostGIS",
                     "same sets"]))


if __name__ == "__main__":
    main()
