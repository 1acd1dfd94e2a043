"""Findings on real parts: frames taken by the server from a recorded stream, from a
live conversion of a real RTSP camera (GStreamer's server) and from a dead camera; the
incident or red alert each becomes, on PostGIS; validation; who may see them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.video import conversions
from tests.app.tours.support import Q, add_camera
from tests.conftest import Accounts, DatabaseInfo, bearer, make_app
from tests.rtsp_camera import RtspCamera, h264_file, serve_rtsp
from tests.streams import dead_url, write_test_video


@pytest.fixture(scope="module")
def rtsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspCamera]:
    clip = h264_file(tmp_path_factory.mktemp("rtsp") / "camera.mkv", seconds=30)
    with serve_rtsp(clip) as camera:
        yield camera


@pytest.fixture
def app(database: DatabaseInfo, connection: sa.Connection, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database, DB_CONNECTION=connection, LIVE_DIR=str(tmp_path / "live"),
                   MEDIA_DIR=str(tmp_path), SNAPSHOT_TIMEOUT_S=2.0)
    yield app
    conversions(app).close()


def decoded(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def flag(client: FlaskClient, headers: dict[str, str], status: int = 201, **body: Any) -> Any:
    answer = client.post("/api/v1/findings", json=body, headers=headers)
    assert answer.status_code == status, answer.json
    return answer.json


def test_a_finding_becomes_an_incident_with_the_servers_frame(
        client: FlaskClient, operator: dict[str, str], supervisor: dict[str, str],
        accounts: Accounts, town: dict[str, Any], tmp_path: Path,
        connection: sa.Connection) -> None:
    recording = write_test_video(tmp_path / "street.avi", frames=20, size=(320, 240))
    camera = add_camera(client, supervisor, "Gate <b>7</b>", Q, looking_deg=270,
                        stream_url=str(recording))
    finding = flag(client, operator, camera_id=camera["id"], kind="theft",
                   note="two men <lifting> a bike lock", outcome="incident")
    assert (finding["frame_source"], finding["frame_error"]) == ("stream", None)
    frame = client.get(finding["frame_url"], headers=operator)
    assert frame.mimetype == "image/jpeg"
    assert decoded(frame.data).shape[:2] == (240, 320)
    incident = connection.execute(sa.text("""
        SELECT i.source, i.source_id, i.category, i.time_resolution, i.description,
               ST_Covers(c.coverage, i.geom) AS watched
        FROM incidents i JOIN cameras c ON c.id = :c WHERE i.id = :i"""),
        {"c": camera["id"], "i": finding["incident_id"]}).mappings().one()
    assert (incident["source"], incident["source_id"], incident["category"],
            incident["time_resolution"]) == ("video_patrol", f"finding-{finding['id']}",
                                             "theft", "minute")
    assert incident["watched"]  # put where the camera looks, not where it hangs
    assert "two men <lifting> a bike lock" in incident["description"]
    layer = client.get("/api/v1/findings?bbox=-0.1,51.51,-0.08,51.52", headers=supervisor)
    assert layer.mimetype == "application/geo+json"
    (feature,) = layer.json["features"]
    assert feature["properties"]["camera_name"] == "Gate <b>7</b>"
    assert feature["properties"]["kind_label"] == "Theft, pickpocketing"
    audited = connection.execute(sa.text(
        "SELECT details->>'incident_id' FROM audit_log WHERE action = 'finding.create'")
    ).scalar_one()
    assert audited == str(finding["incident_id"])
    maintainer = bearer(accounts.create("maintainer"))
    assert client.get("/api/v1/findings", headers=maintainer).status_code == 403
    assert client.get(finding["frame_url"], headers=maintainer).status_code == 403
    analyst = bearer(accounts.create("analyst"))
    assert client.get("/api/v1/findings", headers=analyst).status_code == 200
    assert client.post("/api/v1/findings", json={}, headers=analyst).status_code == 403


def test_a_finding_can_raise_a_red_alert_where_the_camera_looks(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        connection: sa.Connection) -> None:
    finding = flag(client, operator, camera_id=town["A"]["id"], kind="robbery",
                   outcome="alert", note="bag snatched")
    assert finding["frame_url"] is None and finding["frame_error"]  # 10.9.8.7 is no camera
    alert = connection.execute(sa.text("""
        SELECT a.level, a.source, a.kind, a.raised_by, ST_Covers(c.coverage, a.geom)
        FROM alerts a JOIN cameras c ON c.id = :c WHERE a.id = :a"""),
        {"c": town["A"]["id"], "a": finding["alert_id"]}).one()
    assert tuple(alert[:3]) == ("red", "video_patrol", "robbery") and alert[4]
    shown = client.get(f"/api/v1/alerts/{finding['alert_id']}", headers=operator).json
    assert "bag snatched" in shown["description"] and shown["source"] == "video_patrol"
    called_up = [e["details"] for e in shown["timeline"] if e["event"] == "cameras_called_up"]
    assert town["A"]["id"] in called_up[0]["cameras"]  # the camera sees its own alert


def test_the_frame_comes_from_the_live_wall_when_it_plays(
        client: FlaskClient, operator: dict[str, str], supervisor: dict[str, str],
        town: dict[str, Any], rtsp: RtspCamera) -> None:
    camera = add_camera(client, supervisor, "live", Q, looking_deg=270,
                        stream_url=rtsp.url("cam3"))
    live = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=operator)
    assert live.status_code == 200, live.json
    started = time.monotonic()
    finding = flag(client, operator, camera_id=camera["id"], kind="suspicious")
    assert finding["frame_source"] == "live"
    assert time.monotonic() - started < 5  # not another trip to the camera's timeout
    image = decoded(client.get(finding["frame_url"], headers=operator).data)
    assert image.shape[:2] == (360, 640)


def test_bad_findings_name_their_fields(client: FlaskClient, operator: dict[str, str],
                                        accounts: Accounts, town: dict[str, Any]) -> None:
    bad = flag(client, operator, 422, camera_id=0, kind="murder", outcome="blog",
               note="x" * 2001)
    assert {e["field"] for e in bad["errors"]} == {"camera_id", "kind", "outcome", "note"}
    missing = flag(client, operator, 404, camera_id=999999, kind="theft")
    assert missing["field"] == "camera_id"
    tour = client.post("/api/v1/tours", json={"name": "one", "cameras": [
        {"camera_id": town["A"]["id"]}]}, headers=operator).json
    run = client.post(f"/api/v1/tours/{tour['id']}/runs", headers=operator).json
    outside = flag(client, operator, 422, camera_id=town["B"]["id"], kind="theft",
                   run_id=run["run_id"])
    assert outside["field"] == "camera_id"
    other = bearer(accounts.create("video_operator"))
    theirs = flag(client, other, 404, camera_id=town["A"]["id"], kind="theft",
                  run_id=run["run_id"])
    assert theirs["field"] == "run_id"


def test_a_dead_camera_leaves_the_finding_without_a_frame(
        client: FlaskClient, operator: dict[str, str], supervisor: dict[str, str],
        town: dict[str, Any]) -> None:
    camera = add_camera(client, supervisor, "dead", Q, looking_deg=270,
                        stream_url=dead_url().replace("http://", "rtsp://"))
    finding = flag(client, operator, camera_id=camera["id"], kind="other")
    assert finding["frame_url"] is None and finding["frame_error"].startswith(
        ("cannot_open", "timeout", "no_frame"))
    assert finding["incident_id"] is not None
