"""The camera registry through the API, on real PostGIS: create with coverage, field
checks, edits on the map, CSV import, snapshots.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.dispatch.support import (
    CAM_LAT,
    CAM_LON,
    add_camera,
    offset,
    raise_alert,
)
from tests.streams import dead_url, serve_mjpeg


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
