"""Patrol planning through the API on London: stations, units, must-visit points with
windows, a roster, a plan whose every stop is inside its window for its dwell, an
impossible window reported by name, exports, locking and publishing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pyproj import Geod

from dispatch.nmea import parse_log
from gis.tracks import shift_track
from tests.conftest import SHARED_DATA, Accounts, bearer

GEOD = Geod(ellps="WGS84")

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
DAY = date(2026, 11, 18)  # a Wednesday, in the past (positions cannot be in the future)
STATION = (-0.0985, 51.5155)  # near Wood Street, City of London
POINTS = {  # name: lon, lat, windows, dwell
    "St Paul's school gate": (-0.0990, 51.5138,
                              [{"weekdays": "mon-fri", "start": "08:00", "end": "09:00"}], 10),
    "Cheapside": (-0.0935, 51.5140, [], 5),
    "Smithfield market": (-0.1010, 51.5190,
                          [{"weekdays": "daily", "start": "10:00", "end": "12:00"}], 15),
    "Guildhall": (-0.0919, 51.5156,
                  [{"weekdays": "mon-fri", "start": "13:00", "end": "15:00"}], 10),
    "Too short": (-0.0950, 51.5125,
                  [{"weekdays": "wed", "start": "09:00", "end": "09:05"}], 10),
}


@pytest.fixture
def scene(client: FlaskClient, runner: FlaskCliRunner, accounts: Accounts) -> dict[str, Any]:
    assert runner.invoke(args=["import", "osm", str(LONDON)]).exit_code == 0
    assert runner.invoke(args=["grids", "build", "--cell-m", "2000"]).exit_code == 0
    supervisor = bearer(accounts.create("supervisor"))
    for callsign, kind in (("P-1", "patrol_car"), ("P-2", "patrol_car"), ("B-1", "plainclothes")):
        response = client.post("/api/v1/units", json={"callsign": callsign, "kind": kind},
                               headers=supervisor)
        assert response.status_code == 201, response.json
    station = client.post("/api/v1/stations", json={
        "name": "Wood Street", "lon": STATION[0], "lat": STATION[1],
        "units": ["P-1", "P-2", "B-1"]}, headers=supervisor)
    assert station.status_code == 201, station.json
    ids = {}
    for name, (lon, lat, windows, dwell) in POINTS.items():
        response = client.post("/api/v1/must-visit-points", json={
            "name": name, "lon": lon, "lat": lat, "windows": windows, "dwell_min": dwell},
            headers=supervisor)
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    grids = client.get("/api/v1/grids", headers=supervisor).json["features"]
    codes = [g["properties"]["code"] for g in grids]
    roster = client.post("/api/v1/roster", json=[
        {"date": DAY.isoformat(), "shift": "day", "unit": unit, "grids": codes}
        for unit in ("P-1", "P-2")], headers=supervisor)
    assert roster.status_code == 200 and roster.json == {"written": 2, "errors": []}
    return {"supervisor": supervisor, "ids": ids, "codes": codes}


def test_plan_honours_every_window_and_dwell(client: FlaskClient, scene: dict[str, Any],
                                             connection: sa.Connection) -> None:
    response = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                         "shift": "day"},
                           headers=scene["supervisor"])
    assert response.status_code == 200, response.json
    answer = response.json
    routes = answer["routes"]["features"]
    assert {r["properties"]["unit"] for r in routes} <= {"P-1", "P-2"}
    visited = {}
    for route in routes:
        props = route["properties"]
        assert props["shift"] == "day" and props["stops"][0]["kind"] == "station"
        assert route["geometry"]["type"] == "MultiLineString"
        for stop in props["stops"]:
            if stop["kind"] != "point":
                continue
            start, depart = (datetime.fromisoformat(stop[k]) for k in ("start", "depart"))
            name = stop["name"]
            lon, lat, windows, dwell = POINTS[name]
            assert depart - start == timedelta(minutes=dwell), name
            assert datetime.fromisoformat(stop["arrive"]) <= start
            for window in windows:  # every dwell lies inside its window
                assert start.strftime("%H:%M") >= window["start"], name
                assert depart.strftime("%H:%M") <= window["end"], name
            visited[name] = stop["point_id"]
    assert set(visited) == set(POINTS) - {"Too short"}
    unserved = {u["name"]: u for u in answer["unserved"]}
    assert set(unserved) == {"Too short"}
    assert unserved["Too short"]["reason"] == "window_too_short"
    assert "09:00" in unserved["Too short"]["message"]
    again = client.get(f"/api/v1/patrol-plans?date={DAY.isoformat()}&shift=day",
                       headers=scene["supervisor"]).json
    assert again["routes"] == answer["routes"]  # stored as planned
    assert connection.execute(sa.text(
        "SELECT count(*) FROM audit_log WHERE action = 'patrol_plan.plan'")).scalar_one() == 1


def test_exports_lock_and_publish(client: FlaskClient, scene: dict[str, Any], app: Flask,
                                  tmp_path: Path, connection: sa.Connection) -> None:
    app.config["RADIO_GATEWAY"] = f"file:{tmp_path / 'outbox.jsonl'}"
    answer = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                       "shift": "day"},
                         headers=scene["supervisor"]).json
    route = answer["routes"]["features"][0]
    gpx = client.get(f"/api/v1/patrol-plans/routes/{route['id']}.gpx",
                     headers=scene["supervisor"])
    assert gpx.status_code == 200
    tree = ElementTree.fromstring(gpx.data)  # noqa: S314 - our own GPX, in a test
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(tree.findall("g:wpt", ns)) == sum(1 for s in route["properties"]["stops"]
                                                 if "lon" in s)
    assert len(tree.findall("g:trk/g:trkseg/g:trkpt", ns)) > 10
    # a locked route survives re-planning untouched
    lock = client.post(f"/api/v1/patrol-plans/routes/{route['id']}/lock",
                       json={"locked": True}, headers=scene["supervisor"])
    assert lock.status_code == 200
    replanned = client.post("/api/v1/patrol-plans", json={
        "date": DAY.isoformat(), "shift": "day", "seed": 99}, headers=scene["supervisor"]).json
    kept = next(f for f in replanned["routes"]["features"] if f["id"] == route["id"])
    assert kept["properties"]["stops"] == route["properties"]["stops"]
    locked_points = {s["point_id"] for s in route["properties"]["stops"] if "point_id" in s}
    others = {s["point_id"] for f in replanned["routes"]["features"] if f["id"] != route["id"]
              for s in f["properties"]["stops"] if "point_id" in s}
    assert not locked_points & others  # nobody else is sent to the locked route's points
    plan_id = replanned["plans"][0]["id"]
    published = client.post(f"/api/v1/patrol-plans/{plan_id}/publish",
                            headers=scene["supervisor"])
    assert published.status_code == 200, published.json
    messages = published.json["messages"]
    assert len(messages) == len(replanned["routes"]["features"])
    assert all(m["delivery"] == "sent" for m in messages)  # taken by the outbox file
    lines = [json.loads(x) for x in (tmp_path / "outbox.jsonl").read_text().splitlines()]
    assert {line["callsign"] for line in lines} == {
        f["properties"]["unit"] for f in replanned["routes"]["features"]}
    assert all(line["kind"] == "text" and "patrol route" in line["text"] for line in lines)


def test_bad_requests_are_named(client: FlaskClient, scene: dict[str, Any]) -> None:
    sup = scene["supervisor"]
    bad_window = client.post("/api/v1/must-visit-points", json={
        "name": "x", "lon": 0, "lat": 0, "windows": [{"weekdays": "mon", "start": "7:75",
                                                      "end": "08:00"}]}, headers=sup)
    assert bad_window.status_code == 422 and "windows" in bad_window.json["field"]
    unknown_shift = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                               "shift": "brunch"}, headers=sup)
    assert unknown_shift.status_code == 422 and unknown_shift.json["field"] == "shift"
    roster = client.post("/api/v1/roster", json=[
        {"date": DAY.isoformat(), "shift": "night", "unit": "NOPE", "grids": scene["codes"]},
        {"date": DAY.isoformat(), "shift": "night", "unit": "B-1", "grids": ["no-such-cell"]},
        {"date": DAY.isoformat(), "shift": "night", "unit": "P-1", "grids": scene["codes"]}],
        headers=sup)
    assert roster.json["written"] == 1
    assert len(roster.json["errors"]) == 2
    assert "NOPE" in roster.json["errors"][0] and "no-such-cell" in roster.json["errors"][1]


NMEA = SHARED_DATA / "radio" / "nmea"
WALK_START = (-0.0960, 51.5150)  # the walk is moved so that it starts here


def walk_track() -> gpd.GeoDataFrame:
    """gpsd's haicom-305N capture (a walk), one fix per instant, moved into the City."""
    fixes, _, _ = parse_log((NMEA / "haicom-305N.log").read_text(
        encoding="utf-8", errors="replace").splitlines())
    first: dict[datetime, Any] = {}
    for fix in fixes:
        if fix.at is not None and fix.at not in first:
            first[fix.at] = fix
    track = gpd.GeoDataFrame({"at": list(first)}, geometry=gpd.points_from_xy(
        [f.lon for f in first.values()], [f.lat for f in first.values()]), crs=4326)
    return shift_track(track.sort_values("at").reset_index(drop=True),
                       to_lon=WALK_START[0], to_lat=WALK_START[1])


def runs_within(track: gpd.GeoDataFrame, lon: float, lat: float,
                radius_m: float) -> list[tuple[float, float]]:
    """Brute force: for each run of consecutive fixes within the radius, the shortest and
    longest possible stay (first to last fix inside; last fix before to first fix after)."""
    inside = [GEOD.inv(lon, lat, p.x, p.y)[2] <= radius_m for p in track.geometry]
    seconds = [(t - track["at"].iloc[0]).total_seconds() for t in track["at"]]
    runs, start = [], None
    for i, flag in enumerate([*inside, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            before = seconds[max(start - 1, 0)]
            after = seconds[min(i, len(seconds) - 1)]
            runs.append((seconds[i - 1] - seconds[start], after - before))
            start = None
    return runs


def test_a_replayed_gnss_track_gives_visits_and_dosage(
        client: FlaskClient, scene: dict[str, Any], app: Flask, accounts: Accounts,
        connection: sa.Connection) -> None:
    sup = scene["supervisor"]
    track = walk_track()
    # the must-visit point sits where the walk lingers longest (most fixes within 10 m)
    xy = track.to_crs(32630).geometry
    crowd = [int((xy.distance(p) <= 10).sum()) for p in xy]
    spot = track.geometry.iloc[int(np.argmax(crowd))]
    point = client.post("/api/v1/must-visit-points", json={
        "name": "Walk spot", "lon": spot.x, "lat": spot.y, "dwell_min": 0.1,
        "windows": [{"weekdays": "daily", "start": "09:00", "end": "12:00"}]}, headers=sup)
    assert point.status_code == 201, point.json
    # a patrol hot-spot cell around the whole walk
    west, south, east, north = track.total_bounds
    connection.execute(sa.text(
        "INSERT INTO patrol_hotspots (code, geom) VALUES ('HS-WALK', ST_Multi(ST_Expand("
        "ST_MakeEnvelope(:w, :s, :e, :n, 4326), 0.001)))"),
        {"w": west, "s": south, "e": east, "n": north})
    plan = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                     "shift": "day"}, headers=sup).json
    owner = next(f["properties"] for f in plan["routes"]["features"]
                 if any(s.get("name") == "Walk spot" for s in f["properties"]["stops"]))
    # replayed through the positions API at 10:00 on the plan's day
    device = bearer(accounts.create("device"))
    offset = datetime(DAY.year, DAY.month, DAY.day, 10, 0, tzinfo=UTC) - track["at"].iloc[0]
    for at, geom in zip(track["at"], track.geometry, strict=True):
        sent = client.post(f"/api/v1/units/{owner['unit_id']}/position", json={
            "lon": geom.x, "lat": geom.y, "at": (at + offset).isoformat()}, headers=device)
        assert sent.status_code in (200, 201), sent.json
    app.config["VISIT_RADIUS_M"] = 10.0
    plan_id = plan["plans"][0]["id"]
    report = client.get(f"/api/v1/patrol-plans/{plan_id}/compliance"
                        f"?now={DAY.isoformat()}T17:00:00%2B00:00", headers=sup)
    assert report.status_code == 200, report.json
    stops = {(s["name"], s["unit"]): s for s in report.json["stops"]}
    walk = stops[("Walk spot", owner["unit"])]
    assert walk["status"] == "done" and walk["on_time"]
    runs = runs_within(track, spot.x, spot.y, 10.0)  # the walk passes the spot 3 times
    assert len(runs) >= 2 and walk["dwell_s"] >= 6
    assert any(shortest <= walk["dwell_s"] <= longest for shortest, longest in runs)
    others = [s for key, s in stops.items() if key[0] != "Walk spot"]
    assert others and all(s["status"] == "missed" for s in others)  # nobody went there
    ten = datetime(DAY.year, DAY.month, DAY.day, 10, 0, 30, tzinfo=UTC)
    dose = next(d for d in report.json["dosage"] if d["code"] == "HS-WALK"
                and datetime.fromisoformat(d["period"][0]) <= ten
                < datetime.fromisoformat(d["period"][1]))
    duration_min = (track["at"].iloc[-1] - track["at"].iloc[0]).total_seconds() / 60
    assert dose["minutes"] == pytest.approx(duration_min, abs=0.01)
    assert not dose["dosed"]  # a one-minute walk is no ten-minute dose
    by_unit = {row["unit"]: row for row in report.json["by_unit"]}
    assert by_unit[owner["unit"]]["compliant"] == 1


def test_overdue_points_are_warned_once(client: FlaskClient, scene: dict[str, Any],
                                        runner: FlaskCliRunner, app: Flask, tmp_path: Path,
                                        connection: sa.Connection) -> None:
    app.config["RADIO_GATEWAY"] = f"file:{tmp_path / 'outbox.jsonl'}"
    plan = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                     "shift": "day"},
                       headers=scene["supervisor"]).json
    gate = next(s for f in plan["routes"]["features"] for s in f["properties"]["stops"]
                if s.get("name") == "St Paul's school gate")
    # 08:50: the school gate's window (08:00-09:00) closes in 10 minutes, nobody went
    at = f"{DAY.isoformat()}T08:50:00+00:00"
    first = runner.invoke(args=["scheduler", "--once", "--now", at])
    assert first.exit_code == 0, first.output
    assert "overdue notices: 1" in first.output and "St Paul's school gate" in first.output
    again = runner.invoke(args=["scheduler", "--once", "--now", at])
    assert "overdue notices: 0" in again.output  # once per point and window
    row = connection.execute(sa.text(
        "SELECT n.point_id, r.kind, r.delivery FROM overdue_notices n JOIN radio_log r "
        "ON (r.payload->>'point_id')::int = n.point_id")).one()
    assert row == (gate["point_id"], "overdue", "sent")
    sent = json.loads((tmp_path / "outbox.jsonl").read_text().splitlines()[-1])
    assert "overdue" in sent["text"] and sent["kind"] == "text"
    # an hour earlier nothing is due yet
    early = runner.invoke(args=["scheduler", "--once", "--now",
                                f"{DAY.isoformat()}T07:50:00+00:00"])
    assert "overdue notices: 0" in early.output


def test_the_schedule_lives_in_postgresql(database: Any) -> None:
    from app.cli.scheduler import (
        HEALTH_JOB_ID,
        JOB_ID,
        PARTITIONS_JOB_ID,
        PASSAGES_JOB_ID,
        make_scheduler,
    )
    from app.db import engine
    from tests.conftest import make_app

    app = make_app(database)
    scheduler = make_scheduler(app, interval_s=60, blocking=False)
    scheduler.start(paused=True)
    try:
        with engine(app).connect() as conn:
            stored = conn.execute(sa.text(
                "SELECT id, next_run_time IS NOT NULL FROM apscheduler_jobs ORDER BY id")
            ).all()
        assert stored == sorted([(JOB_ID, True), (PARTITIONS_JOB_ID, True),
                                 (HEALTH_JOB_ID, True), (PASSAGES_JOB_ID, True)])
        again = make_scheduler(app, interval_s=60, blocking=False)  # a second process
        again.start(paused=True)
        with engine(app).connect() as conn:  # still one job: replace_existing
            assert conn.execute(sa.text("SELECT count(*) FROM apscheduler_jobs")
                                ).scalar_one() == 4
        again.shutdown(wait=False)
    finally:
        scheduler.remove_all_jobs()
        scheduler.shutdown(wait=False)
        engine(app).dispose()


def test_a_stop_moved_to_another_unit_is_rescheduled(client: FlaskClient,
                                                    scene: dict[str, Any]) -> None:
    sup = scene["supervisor"]
    plan = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                     "shift": "day"}, headers=sup).json
    routes = plan["routes"]["features"]
    assert len(routes) == 2
    source, target = sorted(routes, key=lambda f: -sum(
        s["kind"] == "point" for s in f["properties"]["stops"]))
    stop = next(s for s in source["properties"]["stops"] if s["kind"] == "point")
    moved = client.post(f"/api/v1/patrol-plans/routes/{source['id']}/move", json={
        "stop_id": stop["stop_id"], "to_route_id": target["id"], "position": 1,
        "reason": "P-2 is nearer"}, headers=sup)
    assert moved.status_code == 200, moved.json
    after = {f["id"]: f["properties"] for f in moved.json["routes"]}
    assert stop["stop_id"] not in {s.get("stop_id") for s in after[source["id"]]["stops"]}
    first = next(s for s in after[target["id"]]["stops"] if s["kind"] in ("point", "hotspot"))
    assert first["stop_id"] == stop["stop_id"]
    home = after[target["id"]]["stops"][0]
    assert datetime.fromisoformat(first["arrive"]) > datetime.fromisoformat(home["depart"])
    assert datetime.fromisoformat(first["start"]) >= datetime.fromisoformat(first["arrive"])
    lon, lat, windows, dwell = POINTS[first["name"]]
    assert (datetime.fromisoformat(first["depart"]) - datetime.fromisoformat(first["start"])
            == timedelta(minutes=dwell))
    assert first["late"] is False or windows  # only a windowed stop can be late
    previous = None
    for item in after[target["id"]]["stops"][1:]:  # times never run backwards
        moment = datetime.fromisoformat(item.get("start") or item["arrive"])
        assert previous is None or moment >= previous
        previous = datetime.fromisoformat(item.get("depart") or item["arrive"])
    client.post(f"/api/v1/patrol-plans/routes/{target['id']}/lock", json={"locked": True},
                headers=sup)
    refused = client.post(f"/api/v1/patrol-plans/routes/{target['id']}/move", json={
        "stop_id": stop["stop_id"], "position": 1}, headers=sup)
    assert refused.status_code == 409 and refused.json["error"] == "route_locked"


def test_kinds_skills_and_covert_restrict_who_may_go(client: FlaskClient,
                                                     scene: dict[str, Any]) -> None:
    sup = scene["supervisor"]
    for body in ({"name": "Foot zone", "unit_kinds": ["foot"]},
                 {"name": "Covert watch", "covert": True},
                 {"name": "Youth desk", "skills": ["youth"]}):
        made = client.post("/api/v1/must-visit-points", json={
            "lon": -0.0955, "lat": 51.5142, "dwell_min": 5} | body, headers=sup)
        assert made.status_code == 201, made.json
    bad = client.post("/api/v1/must-visit-points", json={
        "name": "x", "lon": -0.0955, "lat": 51.5142, "unit_kinds": ["tank"]}, headers=sup)
    assert bad.status_code == 422 and bad.json["field"] == "unit_kinds"
    answer = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                       "shift": "day"}, headers=sup).json
    unserved = {u["name"]: u["reason"] for u in answer["unserved"]}
    # only patrol cars without skills are rostered: none of the three can be served
    assert {k: unserved.get(k) for k in ("Foot zone", "Covert watch", "Youth desk")} == {
        "Foot zone": "no_suitable_unit", "Covert watch": "no_suitable_unit",
        "Youth desk": "no_suitable_unit"}
