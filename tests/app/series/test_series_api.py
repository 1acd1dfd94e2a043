"""Crime series through the API on real PostGIS (the City of London extract).

The constructed series: five incidents in a cross around a place near St Paul's, built in
UTM zone 30N — two 300 m either side of the centre along the bearing 60°, two 100 m
either side across it, one at the centre. With n = 5 the sums of squares along the axes
are 2·300² = 180,000 m² and 2·100² = 20,000 m², so by hand:

* ArcGIS (√2, divisor n):      long √(2·180000/5) = √72000 = 268.33 m, short √8000 = 89.44 m
* CrimeStat (√2, divisor n-2): long √(2·180000/3) = √120000 = 346.41 m, short √(40000/3)
  = 115.47 m
* rotation 60° (clockwise from north), mean centre the middle incident.

The incidents strike at night (22:15, 23:40, 01:10, 00:30, 22:50 London time, in winter:
UTC), so the hours that matter are 21:00–03:00.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

import pyproj
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from shapely.geometry import LineString, shape

from gis.series import hour_ranges
from tests.app.dispatch.support import LONDON, add_camera, offset
from tests.conftest import Accounts, bearer

UTM = pyproj.CRS.from_epsg(32630)
TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
TO_LONLAT = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
CENTRE = (-0.0960, 51.5135)
BEARING = math.radians(60.0)
ALONG = (math.sin(BEARING), math.cos(BEARING))
ACROSS = (math.sin(BEARING + math.pi / 2), math.cos(BEARING + math.pi / 2))
# in time order: metres along, metres across, local (= UTC) time
INCIDENTS = [(300, 0, "2025-01-06T22:15"), (0, 100, "2025-01-08T23:40"),
             (0, 0, "2025-01-10T01:10"), (-300, 0, "2025-01-13T00:30"),
             (0, -100, "2025-01-14T22:50")]
HOURS = {1: 22, 2: 23, 3: 1, 4: 0, 5: 22}


def place(along: float, across: float) -> tuple[float, float]:
    x0, y0 = TO_UTM.transform(*CENTRE)
    x = x0 + along * ALONG[0] + across * ACROSS[0]
    y = y0 + along * ALONG[1] + across * ACROSS[1]
    lon, lat = TO_LONLAT.transform(x, y)
    return float(lon), float(lat)


@pytest.fixture
def incident_ids(runner: FlaskCliRunner, connection: sa.Connection) -> list[int]:
    assert runner.invoke(args=["import", "osm", str(LONDON)]).exit_code == 0
    ids = []
    for n, (along, across, at) in enumerate(INCIDENTS, start=1):
        lon, lat = place(along, across)
        ids.append(connection.execute(sa.text(
            "INSERT INTO incidents (source, source_id, occurred_at, time_resolution, "
            "timezone, category, source_category, description, address, geom) VALUES "
            "('test', :sid, :at, 'minute', 'Europe/London', 'vehicle_crime', "
            "'MOTORCYCLE THEFT', :text, 'Cheapside', "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
            {"sid": f"m{n}", "at": f"{at}:00+00:00", "x": lon, "y": lat,
             "text": f"motorcycle taken from the kerb, night {n}"}).scalar_one())
    # an unrelated burglary in the middle, in the day: not part of the series
    lon, lat = place(10, 10)
    connection.execute(sa.text(
        "INSERT INTO incidents (source, source_id, occurred_at, time_resolution, timezone, "
        "category, description, geom) VALUES ('test', 'b1', '2025-01-09T10:00:00+00:00', "
        "'minute', 'Europe/London', 'burglary', 'back door forced', "
        "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"x": lon, "y": lat})
    return ids


def make_series(client: FlaskClient, headers: dict[str, str], ids: list[int]) -> int:
    response = client.post("/api/v1/series", json={
        "name": "Motorcycle thefts, Cheapside", "incident_ids": ids,
        "params": {"q": "motorcycle"}, "reason": "case 2025/17"}, headers=headers)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_the_builder_finds_incidents_by_text_category_and_box(
        client: FlaskClient, accounts: Accounts, incident_ids: list[int]) -> None:
    viewer = bearer(accounts.create("viewer"))
    found = client.get("/api/v1/series/incidents?q=MOTORCYCLE", headers=viewer).json
    assert sorted(f["properties"]["id"] for f in found["features"]) == sorted(incident_ids)
    assert found["properties"] == {"matched": 5, "listed": 5, "truncated": False}
    burglary = client.get("/api/v1/series/incidents?category=burglary", headers=viewer).json
    assert [f["properties"]["description"] for f in burglary["features"]] == [
        "back door forced"]
    x0, y0 = TO_UTM.transform(*CENTRE)
    west, south = TO_LONLAT.transform(x0 - 400, y0 - 400)
    east, north = TO_LONLAT.transform(x0 + 400, y0 + 400)
    box = f"{west},{south},{east},{north}"
    boxed = client.get(f"/api/v1/series/incidents?bbox={box}&from=2025-01-08&to=2025-01-10",
                       headers=viewer).json
    assert boxed["properties"]["matched"] == 3  # nights 2 and 3 and the burglary
    limited = client.get("/api/v1/series/incidents?limit=2", headers=viewer).json
    assert limited["properties"] == {"matched": 6, "listed": 2, "truncated": True}
    literal = client.get("/api/v1/series/incidents?q=100%25", headers=viewer).json
    assert literal["features"] == []  # % is a character, not a wildcard
    bad = client.get("/api/v1/series/incidents?bbox=1,2,0,3", headers=viewer)
    assert bad.status_code == 422 and bad.json["field"] == "bbox"


def test_ellipse_numbers_by_hand(client: FlaskClient, analyst: dict[str, str],
                                 incident_ids: list[int], connection: sa.Connection) -> None:
    series_id = make_series(client, analyst, incident_ids)
    shown = client.get(f"/api/v1/series/{series_id}", headers=analyst).json
    assert [i["n"] for i in shown["incidents"]] == [1, 2, 3, 4, 5]
    assert [i["id"] for i in shown["incidents"]] == incident_ids  # in time order
    described = shown["description"]
    cx, cy = TO_UTM.transform(described["centre"]["lon"], described["centre"]["lat"])
    x0, y0 = TO_UTM.transform(*CENTRE)
    assert math.hypot(cx - x0, cy - y0) < 0.05
    ellipse = described["ellipse"]
    assert ellipse["major_m"] == pytest.approx(math.sqrt(72000), abs=0.1)
    assert ellipse["minor_m"] == pytest.approx(math.sqrt(8000), abs=0.1)
    assert ellipse["rotation_deg"] == pytest.approx(60.0, abs=0.1)
    assert ellipse["correction"] == "arcgis" and ellipse["n"] == 5
    assert described["metric_crs"] == "EPSG:32630"
    # the drawn ellipse: its area in UTM is π·a·b
    polygon = shape(ellipse["geometry"])
    utm_ring = [TO_UTM.transform(x, y) for x, y in polygon.exterior.coords]
    area = abs(sum(a[0] * b[1] - b[0] * a[1]
                   for a, b in zip(utm_ring, utm_ring[1:], strict=False)) / 2)
    assert area == pytest.approx(math.pi * math.sqrt(72000) * math.sqrt(8000), rel=0.003)
    crimestat = client.get(f"/api/v1/series/{series_id}?correction=crimestat&std_devs=2",
                           headers=analyst).json["description"]["ellipse"]
    assert crimestat["major_m"] == pytest.approx(2 * math.sqrt(120000), abs=0.2)
    assert crimestat["minor_m"] == pytest.approx(2 * math.sqrt(40000 / 3), abs=0.2)
    # time: the line, the hour × weekday profile, the hours that matter
    assert shown["hours_that_matter"] == [[21, 3]] and shown["hours_text"] == "21:00–03:00"
    assert shown["timeline"]["gaps_days"][0] == pytest.approx(2 + 85 / 1440, abs=0.01)
    hw = shown["hour_weekday"]
    assert hw["counted"] == 5 and hw["counts"][0][22] == 1  # Monday 6 January, 22:15
    assert connection.execute(sa.text(
        "SELECT reason FROM audit_log WHERE action = 'series.create' AND object_id = :id"),
        {"id": str(series_id)}).scalar_one() == "case 2025/17"


def test_corridors_follow_the_roads(client: FlaskClient, analyst: dict[str, str],
                                    incident_ids: list[int],
                                    connection: sa.Connection) -> None:
    series_id = make_series(client, analyst, incident_ids)
    corridors = client.get(f"/api/v1/series/{series_id}",
                           headers=analyst).json["corridors"]["features"]
    assert [c["properties"]["n"] for c in corridors] == [1, 2, 3, 4]
    for corridor in corridors:
        props = corridor["properties"]
        assert props["error"] is None and corridor["geometry"]["type"] == "LineString"
        assert props["distance_m"] >= props["straight_m"] - 1.0  # roads are never shorter
        coords = corridor["geometry"]["coordinates"]
        far = connection.execute(sa.text(
            "SELECT count(*) FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) "
            "AS p(x, y) WHERE NOT EXISTS (SELECT 1 FROM road_edges e WHERE ST_DWithin("
            "e.geom::geography, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)::geography, 0.5))"),
            {"xs": [c[0] for c in coords], "ys": [c[1] for c in coords]}).scalar_one()
        assert far == 0, f"corridor {props['n']}: {far} vertices off the road"
        length = connection.execute(sa.text(
            "SELECT ST_Length(ST_GeomFromGeoJSON(:g)::geography)"),
            {"g": _json(corridor["geometry"])}).scalar_one()
        assert length == pytest.approx(props["distance_m"], rel=0.02)
        assert props["eta_s"] > 0


def test_cameras_on_the_corridors_with_the_hours_that_matter(
        client: FlaskClient, analyst: dict[str, str], supervisor: dict[str, str],
        incident_ids: list[int]) -> None:
    series_id = make_series(client, analyst, incident_ids)
    first = client.get(f"/api/v1/series/{series_id}",
                       headers=analyst).json["corridors"]["features"][0]
    line = LineString(first["geometry"]["coordinates"])
    utm = LineString([TO_UTM.transform(x, y) for x, y in line.coords])
    mid = utm.interpolate(0.5, normalized=True)
    ahead = utm.interpolate(min(utm.length, utm.project(mid) + 1.0))
    heading = math.degrees(math.atan2(ahead.x - mid.x, ahead.y - mid.y))  # along the road
    side = heading + 90.0
    lon, lat = TO_LONLAT.transform(mid.x, mid.y)
    cam_lon, cam_lat = offset(lon, lat, side, 12)
    watching = add_camera(client, supervisor, name="facing the corridor", lon=cam_lon,
                          lat=cam_lat, azimuth_deg=(side + 180.0) % 360, fov_deg=70,
                          range_m=40)
    away = add_camera(client, supervisor, name="facing away", lon=cam_lon, lat=cam_lat,
                      azimuth_deg=side % 360, fov_deg=40, range_m=25)
    far_lon, far_lat = offset(*CENTRE, 0, 2500)
    add_camera(client, supervisor, name="far away", lon=far_lon, lat=far_lat)
    shown = client.get(f"/api/v1/series/{series_id}", headers=analyst).json
    cameras = {c["camera_id"]: c for c in shown["cameras"]}
    assert watching["id"] in cameras and away["id"] not in cameras
    assert "far away" not in {c["name"] for c in shown["cameras"]}
    seen = cameras[watching["id"]]
    assert 1 in seen["corridors"] and seen["seen_m"] > 5
    ends = {n for c in seen["corridors"] for n in (c, c + 1)}
    assert seen["incidents"] == sorted(ends)
    assert seen["hours"] == [list(r) for r in hour_ranges(HOURS[n] for n in ends)]
    assert seen["hours"] and seen["hours_text"] in seen["reason"]
    assert seen["direction_known"] is True
    csv_text = client.get(f"/api/v1/series/{series_id}?format=csv",
                          headers=analyst).get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("order,camera_id,name")
    assert "facing the corridor" in csv_text


def test_temporary_points_expire_and_planning_respects_them(
        client: FlaskClient, runner: FlaskCliRunner, analyst: dict[str, str],
        supervisor: dict[str, str], accounts: Accounts, incident_ids: list[int],
        connection: sa.Connection) -> None:
    series_id = make_series(client, analyst, incident_ids)
    today = date.today()
    viewer = bearer(accounts.create("viewer"))
    body = {"until": (today + timedelta(days=1)).isoformat(), "reason": "series at night"}
    assert client.post(f"/api/v1/series/{series_id}/must-visit-points", json=body,
                       headers=viewer).status_code == 403
    made = client.post(f"/api/v1/series/{series_id}/must-visit-points", json=body,
                       headers=supervisor)
    assert made.status_code == 200, made.json
    answer = made.json
    # merged within 150 m: the centre with the two 100 m across it; the far ends alone
    groups = sorted(len(p["incidents"]) for p in answer["points"])
    assert groups == [1, 1, 3]
    assert answer["windows"] == [{"weekdays": "daily", "start": "21:00", "end": "03:00"}]
    assert datetime.fromisoformat(answer["expires_at"]) == datetime.fromisoformat(
        f"{(today + timedelta(days=2)).isoformat()}T00:00:00+00:00")
    again = client.post(f"/api/v1/series/{series_id}/must-visit-points", json=body | {
        "place": "centre", "windows": "any"}, headers=supervisor).json
    assert len(again["points"]) == 1 and len(again["retired"]) == 2  # one set per series
    assert again["points"][0]["id"] in {p["id"] for p in answer["points"]}
    past = client.post(f"/api/v1/series/{series_id}/must-visit-points",
                       json=body | {"until": (today - timedelta(days=1)).isoformat()},
                       headers=supervisor)
    assert past.status_code == 422 and past.json["error"] == "until_past"
    # planning: the point (any time of day) is planned while in effect, not after
    assert runner.invoke(args=["grids", "build", "--cell-m", "2000"]).exit_code == 0
    assert client.post("/api/v1/units", json={"callsign": "P-1", "kind": "patrol_car"},
                       headers=supervisor).status_code == 201
    assert client.post("/api/v1/stations", json={"name": "Wood Street", "lon": -0.0985,
                                                 "lat": 51.5155, "units": ["P-1"]},
                       headers=supervisor).status_code == 201
    codes = [g["properties"]["code"] for g in client.get(
        "/api/v1/grids", headers=supervisor).json["features"]]
    in_effect, expired = today + timedelta(days=1), today + timedelta(days=2)
    assert client.post("/api/v1/roster", json=[
        {"date": d.isoformat(), "shift": "day", "unit": "P-1", "grids": codes}
        for d in (in_effect, expired)], headers=supervisor).status_code == 200
    point_id = again["points"][0]["id"]

    def planned(day: date) -> set[int]:
        plan = client.post("/api/v1/patrol-plans", json={"date": day.isoformat(),
                                                         "shift": "day"},
                           headers=supervisor)
        assert plan.status_code == 200, plan.json
        return {s.get("point_id") for r in plan.json["routes"]["features"]
                for s in r["properties"]["stops"]}

    assert point_id in planned(in_effect)
    assert point_id not in planned(expired)
    actions = set(connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE object_type = 'incident_series'")).scalars())
    assert actions == {"series.create", "series.must_visit_points"}


def test_change_and_delete_are_audited_and_roles_hold(
        client: FlaskClient, analyst: dict[str, str], supervisor: dict[str, str],
        accounts: Accounts, incident_ids: list[int], connection: sa.Connection) -> None:
    viewer = bearer(accounts.create("viewer"))
    body = {"name": "x", "incident_ids": incident_ids}
    assert client.post("/api/v1/series", json=body, headers=viewer).status_code == 403
    assert client.post("/api/v1/series", json=body, headers=supervisor).status_code == 403
    unknown = client.post("/api/v1/series", json=body | {"incident_ids": [987654321]},
                          headers=analyst)
    assert unknown.status_code == 422 and unknown.json["error"] == "unknown_incidents"
    series_id = make_series(client, analyst, incident_ids)
    listed = client.get("/api/v1/series", headers=viewer).json["series"]
    assert [(s["id"], s["incidents"]) for s in listed] == [(series_id, 5)]
    changed = client.patch(f"/api/v1/series/{series_id}", json={
        "name": "Thefts, nights", "incident_ids": incident_ids[:3], "reason": "two were "
        "another thief"}, headers=analyst)
    assert changed.status_code == 200 and changed.json["incidents"] == 3
    details = connection.execute(sa.text(
        "SELECT details FROM audit_log WHERE action = 'series.update'")).scalar_one()
    assert details["removed"] == sorted(incident_ids[3:])
    two = client.get(f"/api/v1/series/{series_id}", headers=viewer).json
    assert two["name"] == "Thefts, nights" and len(two["incidents"]) == 3
    assert client.delete(f"/api/v1/series/{series_id}", headers=viewer).status_code == 403
    assert client.delete(f"/api/v1/series/{series_id}", headers=analyst).status_code == 200
    assert client.get(f"/api/v1/series/{series_id}", headers=viewer).status_code == 404


def test_a_series_of_two_has_no_ellipse(client: FlaskClient, analyst: dict[str, str],
                                        incident_ids: list[int]) -> None:
    series_id = make_series(client, analyst, incident_ids[:2])
    shown = client.get(f"/api/v1/series/{series_id}", headers=analyst).json
    assert shown["description"]["ellipse"] is None
    assert shown["description"]["centre"] is not None
    assert len(shown["corridors"]["features"]) == 1


def _json(value: Any) -> str:
    return json.dumps(value)
