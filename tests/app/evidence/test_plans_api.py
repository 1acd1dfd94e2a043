"""Evidence plans through the API on real PostGIS, worked out by hand.

A drawn path runs 400 m due east from a point in the City of London at an assumed
36 km/h (10 m/s). A camera 20 m north of its 200 m point looks south (60° field of view,
60 m range): it sees the path from 200 - 20·tan 30° = 188.5 m to 211.5 m, so a vehicle
at 10 m/s passes it from 18.85 s to 21.15 s after the start. A second camera at the same
spot looks north, away from the path: it must not be listed.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.dispatch.support import CAM_LAT, CAM_LON, PLACE, add_camera, offset, raise_alert

START = "2025-03-01T21:14:00+00:00"
HIK = ("rtsp://10.1.2.3:554/Streaming/tracks/101?starttime={start:hikvision}"
       "&endtime={end:hikvision}")


def east(metres: float, north: float = 0.0) -> tuple[float, float]:
    lon, lat = offset(CAM_LON, CAM_LAT, 90, metres)
    return offset(lon, lat, 0, north) if north else (lon, lat)


PATH = {"type": "LineString", "coordinates": [list(east(m)) for m in (0, 100, 200, 300, 400)]}


def plan(client: FlaskClient, headers: dict[str, str], **fields: object) -> dict:
    body = {"lon": CAM_LON, "lat": CAM_LAT, "at": START, "mode": "car",
            "reason": "hit-and-run on Cheapside, case 17"} | fields
    response = client.post("/api/v1/evidence-plans", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_the_camera_watching_the_path_gets_a_window_holding_the_passage(
        client: FlaskClient, supervisor: dict[str, str], dispatcher: dict[str, str],
        connection: sa.Connection) -> None:
    lon, lat = east(200, 20)
    watching = add_camera(client, supervisor, name="south-looking", lon=lon, lat=lat,
                          azimuth_deg=180, fov_deg=60, range_m=60, recording_url=HIK)
    away = add_camera(client, supervisor, name="north-looking", lon=lon, lat=lat,
                      azimuth_deg=0, fov_deg=60, range_m=60)
    alert = raise_alert(client, dispatcher, CAM_LON, CAM_LAT)
    alerts_before = connection.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one()
    answer = plan(client, dispatcher, path=PATH, speed_kmh=36, margin_s=0,
                  alert_id=alert["id"])
    assert [c["camera_id"] for c in answer["cameras"]] == [watching["id"]]
    assert away["id"] not in {c["camera_id"] for c in answer["cameras"]}
    seen = answer["cameras"][0]
    half = 20 * math.tan(math.radians(30))
    at = datetime.fromisoformat(START)
    passage = (at + timedelta(seconds=(200 - half) / 10), at + timedelta(seconds=(200 + half)
                                                                        / 10))
    start, end = (datetime.fromisoformat(seen[k]) for k in ("window_start", "window_end"))
    assert start <= passage[0] < passage[1] <= end
    first = datetime.fromisoformat(seen["expected_first"])
    assert abs((first - passage[0]).total_seconds()) < 0.2
    assert abs(seen["seen_m"] - 2 * half) < 1 and abs(seen["along_m"] - (200 - half)) < 1
    assert "23 m of" in seen["reason"] and seen["direction_known"] is True
    assert seen["recording_url"].startswith("rtsp://10.1.2.3:554/Streaming/tracks/101?"
                                            "starttime=20250301T2114")
    # filed in the alert's case, on its timeline, audited with the reason; no alert raised
    assert answer["alert_id"] == alert["id"]
    assert connection.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one() \
        == alerts_before
    event = connection.execute(sa.text(
        "SELECT details FROM alert_events WHERE alert_id = :a AND event = 'evidence_plan'"),
        {"a": alert["id"]}).scalar_one()
    assert event["plan_id"] == answer["id"] and event["cameras"] == 1
    reason = connection.execute(sa.text(
        "SELECT reason FROM audit_log WHERE action = 'evidence_plan.create' "
        "AND object_id = :id"), {"id": str(answer["id"])}).scalar_one()
    assert reason == "hit-and-run on Cheapside, case 17"
    listed = client.get(f"/api/v1/evidence-plans?alert_id={alert['id']}",
                        headers=dispatcher).json["plans"]
    assert [p["id"] for p in listed] == [answer["id"]]
    exported = client.get(f"/api/v1/evidence-plans/{answer['id']}?format=csv",
                          headers=dispatcher)
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [int(r["camera_id"]) for r in rows] == [watching["id"]]
    assert rows[0]["window_start"] == seen["window_start"]


def test_a_spreadsheet_formula_in_a_name_is_defused_in_the_csv(
        client: FlaskClient, supervisor: dict[str, str], analyst: dict[str, str]) -> None:
    lon, lat = east(200, 20)
    add_camera(client, supervisor, name="=HYPERLINK(\"http://x\")", lon=lon, lat=lat,
               azimuth_deg=180, fov_deg=60, range_m=60)
    answer = plan(client, analyst, path=PATH, speed_kmh=36)
    text = client.get(f"/api/v1/evidence-plans/{answer['id']}?format=csv",
                      headers=analyst).get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_ways_out_and_a_route_on_the_road_graph(
        client: FlaskClient, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str]) -> None:
    lon, lat = offset(*PLACE, 270, 250)
    junction = add_camera(client, supervisor, name="junction", lon=lon, lat=lat, range_m=40)
    out = plan(client, dispatcher, lon=PLACE[0], lat=PLACE[1], minutes=3)
    assert out["kind"] == "ways_out"
    found = {c["camera_id"]: c for c in out["cameras"]}
    assert junction["id"] in found
    entry = found[junction["id"]]
    assert entry["direction_known"] is False and "all-round" in entry["reason"]
    first = datetime.fromisoformat(entry["expected_first"]) - datetime.fromisoformat(START)
    assert timedelta(0) < first <= timedelta(minutes=3)
    assert datetime.fromisoformat(entry["window_start"]) < datetime.fromisoformat(
        entry["expected_first"]) < datetime.fromisoformat(entry["window_end"])
    routed = plan(client, dispatcher, lon=PLACE[0], lat=PLACE[1], to={"lon": lon, "lat": lat},
                  mode="motorcycle")
    assert routed["kind"] == "route" and routed["path"]["type"] == "MultiLineString"
    assert junction["id"] in {c["camera_id"] for c in routed["cameras"]}
    walked = plan(client, dispatcher, lon=PLACE[0], lat=PLACE[1], minutes=3, mode="foot")
    # on foot, three minutes reach far less far than by car
    assert len(walked["cameras"]) <= len(out["cameras"])


def test_refusals_name_the_field(client: FlaskClient, dispatcher: dict[str, str]) -> None:
    def refused(drop: tuple[str, ...] = (), **fields: object) -> dict:
        body = {"lon": CAM_LON, "lat": CAM_LAT, "at": START, "reason": "test"} | fields
        body = {k: v for k, v in body.items() if k not in drop}
        response = client.post("/api/v1/evidence-plans", json=body, headers=dispatcher)
        assert response.status_code in (404, 422), response.json
        return response.json  # type: ignore[no-any-return]

    assert refused(path=PATH, minutes=3)["error"] == "invalid"
    assert refused()["error"] == "invalid"
    bad_gpx = refused(gpx="<kml/>")
    assert bad_gpx["error"] == "unusable_path" and bad_gpx["field"] == "gpx"
    assert refused(path={"type": "LineString", "coordinates": [[0, 0], [0, 0]]})[
        "error"] == "unusable_path"
    assert refused(path=PATH, alert_id=999999)["field"] == "alert_id"
    assert refused(path=PATH, drop=("lon", "lat", "at"))["error"] == "incomplete_place"
    assert refused(path=PATH, drop=("lat",))["error"] == "incomplete_place"
    assert refused(path=PATH, minutes=None)["error"] == "invalid"  # null is not "left out"
    assert refused(path=PATH, reason="")["field"] == "reason"
    assert refused(path=PATH, at="2025-03-01T21:14:00")["field"] == "at"  # no offset


def test_a_gpx_upload_in_gcj02_lands_on_the_wgs84_path(
        client: FlaskClient, supervisor: dict[str, str], analyst: dict[str, str]) -> None:
    lon, lat = east(200, 20)
    watching = add_camera(client, supervisor, lon=lon, lat=lat, azimuth_deg=180, fov_deg=60,
                          range_m=60)
    points = "".join(f'<trkpt lat="{y}" lon="{x}"/>' for x, y in PATH["coordinates"])
    gpx = ('<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
           f"<trk><trkseg>{points}</trkseg></trk></gpx>")
    answer = plan(client, analyst, gpx=gpx, speed_kmh=36, mode="foot")
    assert [c["camera_id"] for c in answer["cameras"]] == [watching["id"]]
    # London is outside China: GCJ-02 equals WGS-84 there, so the same path is found
    again = plan(client, analyst, gpx=gpx, speed_kmh=36, datum="gcj02")
    assert [c["camera_id"] for c in again["cameras"]] == [watching["id"]]
