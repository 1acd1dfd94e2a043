"""Cameras, units, alerts, dispatch and the radio log through the API, on real PostGIS.

The camera checks are worked out by hand: a camera looking east at 90° with a 100 m range
stands at a known point; places 40 m east, west and behind a building are asked for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pyproj import Geod

from app.cameras.coverage import refresh_coverage
from app.db import get_session
from app.geography.graph import road_graph
from dispatch.callup import MAX_ESCAPE_CAMERAS
from dispatch.nmea import parse_log
from tests.conftest import SHARED_DATA, Accounts, bearer
from tests.streams import dead_url, serve_mjpeg

GEOD = Geod(ellps="WGS84")
LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
NMEA = SHARED_DATA / "radio" / "nmea"
TRUNK = SHARED_DATA / "radio" / "trunk-recorder"
# A quiet spot in the City of London (inside the extract, near drivable roads).
CAM_LON, CAM_LAT = -0.0950, 51.5150


def offset(lon: float, lat: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, bearing_deg, metres)
    return float(x), float(y)


@pytest.fixture
def london(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def supervisor(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("supervisor"))


@pytest.fixture
def dispatcher(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("dispatcher"))


def add_camera(client: FlaskClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "east-looking", "lon": CAM_LON, "lat": CAM_LAT} | fields
    response = client.post("/api/v1/cameras", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def raise_alert(client: FlaskClient, headers: dict[str, str], lon: float, lat: float,
                **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/alerts", json={"lon": lon, "lat": lat, "level": "red"}
                           | fields, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


# -- cameras ---------------------------------------------------------------------------

def test_camera_is_created_with_its_coverage_and_audited(
        client: FlaskClient, supervisor: dict[str, str], connection: sa.Connection) -> None:
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100,
                        kind="dome", gb_id="34020000001320000001")
    assert camera["coverage"]["type"] == "MultiPolygon"
    ring = camera["coverage"]["coordinates"][0][0]
    assert [round(v, 6) for v in ring[0]] == [CAM_LON, CAM_LAT]  # a wedge starts at the camera
    assert max(x for x, _ in ring) > CAM_LON + 0.0012  # ~100 m east at this latitude
    assert min(x for x, _ in ring) >= CAM_LON - 1e-9  # nothing west: it looks east
    action = connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE object_type = 'camera' AND object_id = :id"),
        {"id": str(camera["id"])}).scalar_one()
    assert action == "camera.create"
    listed = client.get("/api/v1/cameras", headers=supervisor).json
    assert [f["properties"]["id"] for f in listed["features"]] == [camera["id"]]
    assert listed["features"][0]["properties"]["coverage"]["type"] == "MultiPolygon"


@pytest.mark.parametrize(("fields", "field"), [
    ({"gb_id": "3402000000132000000"}, "gb_id"),          # 19 digits
    ({"gb_id": "99020000001320000001"}, "gb_id"),         # no province 99
    ({"fov_deg": 0}, "fov_deg"),
    ({"range_m": 9000}, "range_m"),
    ({"lon": 181}, "lon"),
    ({"stream_url": "javascript:alert(1)"}, "stream_url"),
    ({"kind": "laser"}, "kind"),
])
def test_bad_camera_fields_are_named(client: FlaskClient, supervisor: dict[str, str],
                                     fields: dict[str, Any], field: str) -> None:
    body = {"name": "x", "lon": CAM_LON, "lat": CAM_LAT} | fields
    response = client.post("/api/v1/cameras", json=body, headers=supervisor)
    assert response.status_code == 422, response.json
    assert field in json.dumps(response.json)


def test_camera_facing_away_is_not_called_up(client: FlaskClient, supervisor: dict[str, str],
                                             dispatcher: dict[str, str]) -> None:
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    east = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 40))
    assert [c["id"] for c in east["cameras"]] == [camera["id"]]
    seen = east["cameras"][0]
    assert abs(seen["distance_m"] - 40) < 0.5 and seen["off_axis_deg"] < 1
    assert "40 m" in seen["reason"]
    west = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 270, 40))
    assert west["cameras"] == []
    assert [c["id"] for c in west["nearby_cameras"]] == [camera["id"]]
    assert west["nearby_cameras"][0]["off_axis_deg"] > 170
    assert "faces away" in west["nearby_cameras"][0]["reason"]
    far = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 150))
    assert far["cameras"] == [] and "out of range" in far["nearby_cameras"][0]["reason"]


def test_a_building_between_camera_and_place_removes_it(
        client: FlaskClient, supervisor: dict[str, str], dispatcher: dict[str, str],
        connection: sa.Connection) -> None:
    # A 10 m x 30 m block 20-30 m east of the camera, across its line of sight.
    corners = [offset(*offset(CAM_LON, CAM_LAT, 90, east), 0, north)
               for east, north in ((20, -15), (30, -15), (30, 15), (20, 15), (20, -15))]
    wkt = "MULTIPOLYGON(((" + ", ".join(f"{x} {y}" for x, y in corners) + ")))"
    connection.execute(sa.text("INSERT INTO buildings (osm_key, building, geom) VALUES "
                               "('w-test', 'yes', ST_GeomFromText(:wkt, 4326))"), {"wkt": wkt})
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    behind = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 60))
    assert behind["cameras"] == []
    assert "building" in behind["nearby_cameras"][0]["reason"]
    before = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 12))
    assert [c["id"] for c in before["cameras"]] == [camera["id"]]
    # the stored coverage is cut too: it does not reach the place behind the block
    hidden = connection.execute(sa.text(
        "SELECT ST_Covers(coverage, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) FROM cameras "
        "WHERE id = :id"), dict(zip(("x", "y"), offset(CAM_LON, CAM_LAT, 90, 60), strict=True))
        | {"id": camera["id"]}).scalar_one()
    assert hidden is False


def test_camera_patch_moves_the_view(client: FlaskClient, supervisor: dict[str, str],
                                     dispatcher: dict[str, str]) -> None:
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    west = offset(CAM_LON, CAM_LAT, 270, 40)
    assert raise_alert(client, dispatcher, *west)["cameras"] == []
    response = client.patch(f"/api/v1/cameras/{camera['id']}", json={"azimuth_deg": 270},
                            headers=supervisor)
    assert response.status_code == 200, response.json
    assert response.json["azimuth_deg"] == 270
    assert [c["id"] for c in raise_alert(client, dispatcher, *west)["cameras"]] == [camera["id"]]
    bad = client.patch(f"/api/v1/cameras/{camera['id']}", json={"fov_deg": 500},
                       headers=supervisor)
    assert bad.status_code == 422
    assert client.get(f"/api/v1/cameras/{camera['id']}", headers=supervisor
                      ).json["fov_deg"] == 60  # nothing half-written


def test_ranking_prefers_near_and_on_axis(client: FlaskClient, supervisor: dict[str, str],
                                          dispatcher: dict[str, str]) -> None:
    place = offset(CAM_LON, CAM_LAT, 90, 40)
    straight = add_camera(client, supervisor, name="straight", azimuth_deg=90, fov_deg=60,
                          range_m=100)
    at = offset(CAM_LON, CAM_LAT, 180, 30)
    oblique = add_camera(client, supervisor, name="oblique", lon=at[0], lat=at[1],
                         azimuth_deg=20, fov_deg=90, range_m=100)
    called = raise_alert(client, dispatcher, *place)["cameras"]
    assert [c["id"] for c in called] == [straight["id"], oblique["id"]]


def test_csv_import_keeps_good_rows_and_names_bad_ones(
        client: FlaskClient, supervisor: dict[str, str]) -> None:
    text = ("名称,经度,纬度,方向,视角,距离,类型,国标编码\n"
            f"Gate,{CAM_LON},{CAM_LAT},90,60,80,卡口,34020000001320000011\n"
            f"Broken,{CAM_LON},999,90,60,80,固定,\n"
            f"Yard,{CAM_LON + 0.001},{CAM_LAT},,,,球机,\n")
    response = client.post("/api/v1/cameras/import", data=text.encode("utf-8-sig"),
                           headers=supervisor | {"Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["created"], body["updated"]) == (2, 0)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(3, "lat")]
    again = client.post("/api/v1/cameras/import", data=text.encode("utf-8"),
                        headers=supervisor | {"Content-Type": "text/csv"}).json
    assert (again["created"], again["updated"]) == (1, 1)  # the gb_id row updates in place
    kinds = {f["properties"]["name"]: f["properties"]["kind"] for f in client.get(
        "/api/v1/cameras", headers=supervisor).json["features"]}
    assert kinds == {"Gate": "checkpoint", "Yard": "ptz"}  # 球机: a speed dome, PTZ


def test_snapshot_from_a_local_stream_and_an_offline_camera(
        client: FlaskClient, supervisor: dict[str, str], dispatcher: dict[str, str]) -> None:
    with serve_mjpeg(text="CAM 7") as stream:
        live = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100,
                          stream_url=stream.mjpeg_url)
        dead = add_camera(client, supervisor, name="dead", azimuth_deg=90, fov_deg=60,
                          range_m=100, stream_url=dead_url(), lon=CAM_LON + 0.00001)
        answer = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 40))
        urls = {c["id"]: c["snapshot_url"] for c in answer["cameras"]}
        assert set(urls) == {live["id"], dead["id"]}
        frame = client.get(urls[live["id"]], headers=dispatcher)
        assert frame.status_code == 200 and frame.mimetype == "image/jpeg"
        assert frame.data[:2] == b"\xff\xd8"
        offline = client.get(urls[dead["id"]], headers=dispatcher)
        assert offline.status_code == 503 and offline.json["error"] == "camera_offline"
        statuses = {c["id"]: c["status"] for c in (
            client.get(f"/api/v1/cameras/{i}", headers=dispatcher).json
            for i in (live["id"], dead["id"]))}
        assert statuses == {live["id"]: "online", dead["id"]: "offline"}


# -- units -----------------------------------------------------------------------------

def add_unit(client: FlaskClient, headers: dict[str, str], callsign: str, kind: str,
             **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/units", json={"callsign": callsign, "kind": kind,
                                                  "status": "available"} | fields,
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_unit_status_model_over_the_api(client: FlaskClient, supervisor: dict[str, str],
                                        dispatcher: dict[str, str]) -> None:
    unit = add_unit(client, supervisor, "P-1", "patrol_car")
    assert client.post("/api/v1/units", json={"callsign": "P-1", "kind": "foot"},
                       headers=supervisor).status_code == 409
    illegal = client.post(f"/api/v1/units/{unit['id']}/status", json={"status": "en_route"},
                          headers=dispatcher)
    assert illegal.status_code == 409 and illegal.json["error"] == "illegal_status_change"
    for status in ("out_of_service", "available", "on_scene", "committed_available"):
        ok = client.post(f"/api/v1/units/{unit['id']}/status", json={"status": status},
                         headers=dispatcher)
        assert ok.status_code == 200 and ok.json["status"] == status
    history = client.get(f"/api/v1/units/{unit['id']}", headers=dispatcher).json
    assert [h["to"] for h in history["status_history"]][:4] == [
        "committed_available", "on_scene", "available", "out_of_service"]
    assert client.post(f"/api/v1/units/{unit['id']}/status", json={"status": "flying"},
                       headers=dispatcher).status_code == 422


def test_positions_json_and_real_nmea(client: FlaskClient, supervisor: dict[str, str],
                                      accounts: Accounts, connection: sa.Connection) -> None:
    device = bearer(accounts.create("device"))
    unit = add_unit(client, supervisor, "BD-1", "foot", radio_ids=["460001"])
    raw = (NMEA / "beidou-bd.log").read_bytes()
    fixes, _, _ = parse_log(raw.decode("ascii").splitlines())
    first_day = next(f.at for f in fixes if f.kind == "RMC" and f.at is not None).date()
    fixes, _, _ = parse_log(raw.decode("ascii").splitlines(), utc_date=first_day)
    dated = [f for f in fixes if f.at is not None]
    newest = max(reversed(dated), key=lambda f: f.at)  # type: ignore[arg-type, return-value]
    response = client.post("/api/v1/positions/nmea?radio_id=460001", data=raw,
                           headers=device | {"Content-Type": "text/plain"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["accepted"] > 0
    assert (body["unit"]["lon"], body["unit"]["lat"]) == (newest.lon, newest.lat)
    # a live fix moves the unit; replaying the old log afterwards only adds history
    moved = client.post(f"/api/v1/units/{unit['id']}/position",
                        json={"lon": 8.69, "lat": 49.41}, headers=device)
    assert moved.status_code == 200 and (moved.json["lon"], moved.json["lat"]) == (8.69, 49.41)
    replay = client.post("/api/v1/positions/nmea?radio_id=460001", data=raw,
                         headers=device).json
    assert (replay["unit"]["lon"], replay["unit"]["lat"]) == (8.69, 49.41)
    kept = connection.execute(sa.text("SELECT count(*) FROM position_rejects WHERE unit_id = :u"),
                              {"u": unit["id"]}).scalar_one()
    assert kept == body["rejected"] + replay["rejected"]
    assert body["rejected"] == sum(body["reasons"].values()) > 0
    stored = connection.execute(sa.text(
        "SELECT count(*) FROM unit_positions WHERE unit_id = :u AND source = 'nmea'"),
        {"u": unit["id"]}).scalar_one()
    assert stored == body["accepted"] + replay["accepted"]
    unknown = client.post("/api/v1/positions/nmea?radio_id=999", data=raw, headers=device)
    assert unknown.status_code == 404 and unknown.json["field"] == "radio_id"
    assert client.post("/api/v1/alerts", json={"lon": 8.69, "lat": 49.41, "level": "red"},
                       headers=device).status_code == 403  # a device only reports


# -- alerts, recommendation, dispatch ---------------------------------------------------

UNIT_SPOTS = {  # lon, lat around St Paul's
    "P-near": (-0.0990, 51.5140), "P-mid": (-0.1080, 51.5160), "P-far": (-0.1200, 51.5130),
    "B-covert": (-0.1030, 51.5150),
}
PLACE = (-0.0960, 51.5135)


def place_units(client: FlaskClient, supervisor: dict[str, str],
                device: dict[str, str]) -> dict[str, int]:
    ids = {}
    for callsign, (lon, lat) in UNIT_SPOTS.items():
        kind = "plainclothes" if callsign.startswith("B") else "patrol_car"
        unit = add_unit(client, supervisor, callsign, kind)
        ids[callsign] = unit["id"]
        assert client.post(f"/api/v1/units/{unit['id']}/position", json={"lon": lon, "lat": lat},
                           headers=device).status_code == 200
    return ids


def test_unit_order_matches_route_travel_times(
        client: FlaskClient, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts) -> None:
    place_units(client, supervisor, bearer(accounts.create("device")))
    answer = raise_alert(client, dispatcher, *PLACE)
    ranked = answer["units"]
    assert {u["callsign"] for u in ranked} == set(UNIT_SPOTS), answer["excluded_units"]
    for unit in ranked:
        lon, lat = UNIT_SPOTS[unit["callsign"]]
        route = client.get(f"/api/v1/route?from={lon},{lat}&to={PLACE[0]},{PLACE[1]}",
                           headers=dispatcher).json
        assert unit["eta_s"] == pytest.approx(route["eta_s"], abs=0.11)
        assert unit["distance_m"] == pytest.approx(route["distance_m"], abs=0.11)
    assert [u["eta_s"] for u in ranked] == sorted(u["eta_s"] for u in ranked)
    # a unit on a piece of road cut off from the place is listed apart, with why
    island = add_unit(client, supervisor, "P-island", "patrol_car")
    client.post(f"/api/v1/units/{island['id']}/position", json={"lon": -0.1180, "lat": 51.5125},
                headers=dispatcher)
    apart = raise_alert(client, dispatcher, *PLACE)["excluded_units"]
    assert [(u["callsign"], u["reason"]) for u in apart] == [("P-island",
                                                               "no road route to the alert")]
    covert = raise_alert(client, dispatcher, *PLACE, covert=True)["units"]
    assert covert[0]["callsign"] == "B-covert"
    only_cars = raise_alert(client, dispatcher, *PLACE, unit_kinds=["patrol_car"])["units"]
    assert "B-covert" not in {u["callsign"] for u in only_cars}
    assert set(answer["timings_ms"]) == {"cameras", "escape", "units"}


def test_escape_cameras_watch_roads_out(client: FlaskClient, london: None,
                                        supervisor: dict[str, str],
                                        dispatcher: dict[str, str]) -> None:
    # a camera ~250 m along the roads, looking all round: not seeing the place, but
    # watching a road a car from the place reaches within three minutes
    lon, lat = offset(*PLACE, 270, 250)
    camera = add_camera(client, supervisor, name="junction", lon=lon, lat=lat, range_m=40)
    answer = raise_alert(client, dispatcher, *PLACE)
    escape = {c["id"]: c for c in answer["escape_cameras"]}
    assert camera["id"] in escape
    entry = escape[camera["id"]]
    assert 0 < entry["travel_s"] <= 180
    assert entry["reason"].startswith("watches ") and "min away" in entry["reason"]
    short = raise_alert(client, dispatcher, *PLACE, escape_minutes=0.05)
    assert camera["id"] not in {c["id"] for c in short["escape_cameras"]}


def test_escape_cameras_are_the_soonest_reached(app: Flask, client: FlaskClient, london: None,
                                               dispatcher: dict[str, str]) -> None:
    # More cameras on the reachable roads than the answer lists: the batched walk over
    # the reached segments must return exactly the soonest ones, as one full join would.
    with app.test_request_context():
        session = get_session()
        reach = road_graph(session).graph.reachable_from_point(*PLACE, max_travel_s=180)
        picks = reach.sample(n=min(len(reach), 160), random_state=3)["edge_id"].tolist()
        ids = [row[0] for row in session.execute(sa.text(
            "INSERT INTO cameras (source, name, kind, range_m, geom) "
            "SELECT 'manual', 'cam-' || e.id, 'dome', 25, "
            "       ST_LineInterpolatePoint(e.geom, 0.5) "
            "FROM road_edges e WHERE e.id = ANY(:edges) RETURNING id"), {"edges": picks})]
        refresh_coverage(session, camera_ids=ids)
        session.commit()
        full = session.execute(sa.text(
            "SELECT cr.camera_id, min(r.reached_s) AS s "
            "FROM unnest(CAST(:edges AS int[]), CAST(:reached AS float8[])) r(edge_id, reached_s) "
            "JOIN camera_roads cr USING (edge_id) GROUP BY cr.camera_id ORDER BY s, camera_id"),
            {"edges": reach["edge_id"].tolist(), "reached": reach["reached_s"].tolist()}).all()
    answer = raise_alert(client, dispatcher, *PLACE)
    seen = {c["id"] for c in answer["cameras"]}
    expected = [(camera_id, round(s, 1)) for camera_id, s in full if camera_id not in seen]
    assert len(expected) > MAX_ESCAPE_CAMERAS
    got = [(c["id"], c["travel_s"]) for c in answer["escape_cameras"]]
    assert got == expected[:MAX_ESCAPE_CAMERAS]


def test_dispatch_acknowledge_and_timeline(
        client: FlaskClient, app: Flask, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts, tmp_path: Path,
        connection: sa.Connection) -> None:
    outbox = tmp_path / "outbox.jsonl"
    app.config["RADIO_GATEWAY"] = f"file:{outbox}"
    device = bearer(accounts.create("device"))
    ids = place_units(client, supervisor, device)
    alert = raise_alert(client, dispatcher, *PLACE, kind="burglary")
    first = alert["units"][0]
    response = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                           json={"unit_ids": [first["id"]]}, headers=dispatcher)
    assert response.status_code == 200, response.json
    order = response.json["orders"][0]
    assert order["delivery"] == "delivered" and order["kind"] == "dispatch_order"
    assert f"#{alert['id']}" in order["body"] and first["callsign"] in order["body"]
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [(m["message_id"], m["callsign"]) for m in sent] == [(str(order["id"]),
                                                                  first["callsign"])]
    unit = client.get(f"/api/v1/units/{first['id']}", headers=dispatcher).json
    assert (unit["status"], unit["alert_id"]) == ("dispatched", alert["id"])
    # a second click sends nothing new; a unit on another job cannot be taken
    again = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                        json={"unit_ids": [first["id"]]}, headers=dispatcher).json
    assert again["orders"] == []
    other = raise_alert(client, dispatcher, *PLACE)
    busy = client.post(f"/api/v1/alerts/{other['id']}/dispatch",
                       json={"unit_ids": [first["id"]]}, headers=dispatcher)
    assert (busy.status_code, busy.json["error"]) == (409, "unit_assigned_elsewhere")
    # the acknowledgement comes back through the radio log
    ack = client.post("/api/v1/radio-log", json={
        "kind": "ack", "text": f"确认 #{alert['id']} {first['callsign'].lower()} 已出发"},
        headers=device)
    assert ack.status_code == 201, ack.json
    assert client.get(f"/api/v1/units/{first['id']}", headers=dispatcher
                      ).json["status"] == "en_route"
    assert client.post(f"/api/v1/units/{first['id']}/status", json={"status": "on_scene"},
                       headers=device).status_code == 200
    assert client.post(f"/api/v1/alerts/{alert['id']}/close", json={"reason": "arrest"},
                       headers=dispatcher).status_code == 200
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=dispatcher).json
    assert [e["event"] for e in shown["timeline"]] == [
        "raised", "cameras_called_up", "units_recommended", "dispatched", "acknowledged",
        "arrived", "closed"]
    assert shown["status"] == "closed" and shown["units"]  # the call-up as it was raised
    log = client.get(f"/api/v1/radio-log?alert_id={alert['id']}", headers=dispatcher).json
    assert [(e["direction"], e["kind"]) for e in log["entries"]] == [
        ("out", "dispatch_order"), ("in", "ack")]
    actions = set(connection.execute(sa.text("SELECT action FROM audit_log")).scalars())
    assert {"alert.raise", "alert.dispatch", "radio.delivery", "radio.in", "unit.status",
            "alert.close"} <= actions
    assert ids  # every unit was placed


def test_failed_gateway_keeps_the_order_marked_failed(
        client: FlaskClient, app: Flask, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts) -> None:
    app.config["RADIO_GATEWAY"] = dead_url().replace("rtsp://", "http://")
    place_units(client, supervisor, bearer(accounts.create("device")))
    alert = raise_alert(client, dispatcher, *PLACE)
    orders = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                         json={"unit_ids": [alert["units"][0]["id"]]},
                         headers=dispatcher).json["orders"]
    assert orders[0]["delivery"] == "failed" and orders[0]["delivery_detail"]


def test_trunk_recorder_call_is_logged_with_its_units(
        client: FlaskClient, supervisor: dict[str, str], accounts: Accounts) -> None:
    files = sorted(TRUNK.glob("*.json"))
    assert files, f"no trunk-recorder call record in {TRUNK}"
    call = json.loads(files[0].read_text())
    speaker = str(call["srcList"][0]["src"])
    unit = add_unit(client, supervisor, "TR-1", "patrol_car", radio_ids=[speaker])
    device = bearer(accounts.create("device"))
    response = client.post("/api/v1/radio-log/trunk-recorder", json=call, headers=device)
    assert response.status_code == 201, response.json
    entry = response.json["entry"]
    assert entry["kind"] == "call" and entry["talkgroup"] == str(call["talkgroup"])
    assert {"unit_id": unit["id"], "callsign": "TR-1"} in entry["payload"]["units"]
    broken = client.post("/api/v1/radio-log/trunk-recorder", json={"srcList": []},
                         headers=device)
    assert broken.status_code == 422 and broken.json["field"]


def test_alert_input_is_validated(client: FlaskClient, dispatcher: dict[str, str]) -> None:
    for body, field in (({"lon": 1, "lat": 1, "level": "purple"}, "level"),
                        ({"lon": 1, "lat": 91, "level": "red"}, "lat"),
                        ({"lon": 1, "lat": 1, "level": "red", "extra": 1}, "extra")):
        response = client.post("/api/v1/alerts", json=body, headers=dispatcher)
        assert response.status_code == 422 and field in json.dumps(response.json)


def test_alert_without_roads_still_calls_up_cameras(
        client: FlaskClient, app: Flask, supervisor: dict[str, str],
        dispatcher: dict[str, str]) -> None:
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    answer = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 40))
    assert [c["id"] for c in answer["cameras"]] == [camera["id"]]
    assert answer["units"] == [] and answer["notes"]
    with app.app_context():
        assert get_session() is not None
