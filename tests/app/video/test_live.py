"""Live video on real parts: GStreamer's RTSP server (a subprocess) serving H.264 made by
FFmpeg, the FFmpeg conversions to HLS, PostGIS for views and audit. One conversion per
camera however many watch; the cap; stopping when nobody watches; transcoding what is not
H.264; a camera that gives nothing."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.video import conversions
from tests.app.dispatch.support import add_camera
from tests.conftest import Accounts, DatabaseInfo, bearer, make_app
from tests.rtsp_camera import RtspCamera, h264_file, serve_rtsp
from tests.streams import dead_url, write_test_video


@pytest.fixture(scope="module")
def rtsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspCamera]:
    clip = h264_file(tmp_path_factory.mktemp("rtsp") / "camera.mkv", seconds=60)
    with serve_rtsp(clip) as camera:
        yield camera


def live_app(database: DatabaseInfo, connection: sa.Connection, tmp_path: Path,
             **config: Any) -> Flask:
    return make_app(database, DB_CONNECTION=connection, LIVE_DIR=str(tmp_path / "live"),
                    MEDIA_DIR=str(tmp_path), **config)


@pytest.fixture
def app(database: DatabaseInfo, connection: sa.Connection, tmp_path: Path) -> Iterator[Flask]:
    app = live_app(database, connection, tmp_path, LIVE_MAX_CONVERSIONS=2)
    yield app
    conversions(app).close()


def probe(data: bytes, tmp_path: Path) -> dict[str, Any]:
    segment = tmp_path / "segment.ts"
    segment.write_bytes(data)
    done = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=codec_name,width,height", "-of", "json", str(segment)],
                          capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)["streams"][0]  # type: ignore[no-any-return]


def segments(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line.endswith(".ts")]


def test_one_conversion_serves_every_viewer_and_every_view_is_kept(
        app: Flask, client: FlaskClient, accounts: Accounts, rtsp: RtspCamera,
        connection: sa.Connection, tmp_path: Path) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    camera = add_camera(client, supervisor, stream_url=rtsp.url("cam1"))
    first, second = (bearer(accounts.create("video_operator")) for _ in range(2))
    started = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=first)
    assert started.status_code == 200, started.json
    assert (started.json["mode"], started.json["started"]) == ("copy", True)
    joined = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=second).json
    assert (joined["mode"], joined["started"]) == ("running", False)
    assert conversions(app).running_cameras() == [camera["id"]]
    playlist = client.get(started.json["playlist"], headers=first)
    assert playlist.mimetype == "application/vnd.apple.mpegurl"
    assert playlist.headers["Cache-Control"] == "no-cache, no-store"
    name = segments(playlist.get_data(as_text=True))[0]
    segment = client.get(f"/api/v1/cameras/{camera['id']}/live/{name}", headers=second)
    assert segment.mimetype == "video/mp2t"
    assert probe(segment.data, tmp_path) == {"codec_name": "h264", "width": 640,
                                             "height": 360}
    views = connection.execute(sa.text(
        "SELECT username FROM live_views WHERE camera_id = :c ORDER BY id"),
        {"c": camera["id"]}).scalars().all()
    assert len(views) == 2
    audited = connection.execute(sa.text(
        "SELECT count(*) FROM audit_log WHERE action = 'camera.live_view' AND object_id = :c"),
        {"c": str(camera["id"])}).scalar_one()
    assert audited == 2
    listed = client.get(f"/api/v1/live-views?camera={camera['id']}", headers=supervisor).json
    assert sorted(v["username"] for v in listed["views"]) == sorted(views)
    maintainer = bearer(accounts.create("maintainer"))
    viewer = bearer(accounts.create("viewer"))
    for other in (maintainer, viewer):
        assert client.get(f"/api/v1/cameras/{camera['id']}/live",
                          headers=other).status_code == 403


def test_a_view_moves_on_while_its_player_asks(app: Flask, client: FlaskClient,
                                               accounts: Accounts, rtsp: RtspCamera,
                                               connection: sa.Connection) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    camera = add_camera(client, supervisor, stream_url=rtsp.url("cam2"))
    live = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=supervisor).json
    connection.execute(sa.text("UPDATE live_views SET started_at = now() - interval '1 min', "
                               "last_seen_at = now() - interval '1 min' WHERE id = :v"),
                       {"v": live["view_id"]})
    assert client.get(live["playlist"], headers=supervisor).status_code == 200
    seconds = connection.execute(sa.text(
        "SELECT extract(epoch FROM last_seen_at - started_at) FROM live_views WHERE id = :v"),
        {"v": live["view_id"]}).scalar_one()
    assert seconds >= 59


def test_the_cap_answers_busy_and_an_unwatched_conversion_stops(
        app: Flask, client: FlaskClient, accounts: Accounts, rtsp: RtspCamera) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    cameras = [add_camera(client, supervisor, name=f"c{n}", stream_url=rtsp.url(f"cam{n}"))
               for n in (3, 4, 5)]
    for camera in cameras[:2]:
        assert client.get(f"/api/v1/cameras/{camera['id']}/live",
                          headers=supervisor).status_code == 200
    busy = client.get(f"/api/v1/cameras/{cameras[2]['id']}/live", headers=supervisor)
    assert busy.status_code == 503 and busy.json["error"] == "live_busy"
    live = conversions(app)
    assert live.reap_idle(now=time.time() + 5) == []  # watched 5 s ago: kept
    stopped = live.reap_idle(now=time.time() + live.settings.idle_s + 1)
    assert sorted(stopped) == sorted(c["id"] for c in cameras[:2])
    deadline = time.monotonic() + 10
    while live.running_cameras() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live.running_cameras() == []
    assert client.get(f"/api/v1/cameras/{cameras[0]['id']}/live/index.m3u8",
                      headers=supervisor).status_code == 404
    again = client.get(f"/api/v1/cameras/{cameras[2]['id']}/live", headers=supervisor)
    assert again.status_code == 200 and again.json["started"] is True


def test_a_stream_that_is_not_h264_is_transcoded(app: Flask, client: FlaskClient,
                                                 accounts: Accounts, tmp_path: Path) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    recording = write_test_video(tmp_path / "recording.avi", frames=50, size=(320, 240),
                                 fps=10)
    camera = add_camera(client, supervisor, stream_url=str(recording))
    live = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=supervisor)
    assert live.status_code == 200, live.json
    assert live.json["mode"] == "transcode"
    playlist = client.get(live.json["playlist"], headers=supervisor).get_data(as_text=True)
    data = client.get(f"/api/v1/cameras/{camera['id']}/live/{segments(playlist)[0]}",
                      headers=supervisor).data
    assert probe(data, tmp_path)["codec_name"] == "h264"


def test_a_stream_that_copies_but_is_not_h264_is_transcoded_after_its_first_segment(
        app: Flask, client: FlaskClient, accounts: Accounts, tmp_path: Path) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    mpeg4 = tmp_path / "mpeg4.mkv"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=10", "-t", "6", "-c:v", "mpeg4", "-g", "10",
                    str(mpeg4)], check=True, timeout=60)
    camera = add_camera(client, supervisor, stream_url=str(mpeg4))
    live = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=supervisor)
    assert live.status_code == 200, live.json
    assert live.json["mode"] == "transcode"
    playlist = client.get(live.json["playlist"], headers=supervisor).get_data(as_text=True)
    data = client.get(f"/api/v1/cameras/{camera['id']}/live/{segments(playlist)[0]}",
                      headers=supervisor).data
    assert probe(data, tmp_path)["codec_name"] == "h264"


def test_a_camera_that_gives_nothing_is_answered_offline(
        database: DatabaseInfo, connection: sa.Connection, tmp_path: Path) -> None:
    app = live_app(database, connection, tmp_path, LIVE_START_TIMEOUT_S=3.0,
                   SNAPSHOT_TIMEOUT_S=1.0)
    try:
        client = app.test_client()
        supervisor = bearer(Accounts(app).create("supervisor"))
        camera = add_camera(client, supervisor,
                            stream_url=dead_url().replace("http://", "rtsp://"))
        answer = client.get(f"/api/v1/cameras/{camera['id']}/live", headers=supervisor)
        assert answer.status_code == 503 and answer.json["error"] == "camera_offline"
        assert conversions(app).running_cameras() == []
        assert "127.0.0.1" not in answer.json["message"]
        nothing = client.get(f"/api/v1/cameras/{camera['id']}/live/seg-000001.ts",
                             headers=supervisor)
        assert nothing.status_code == 404
    finally:
        conversions(app).close()
