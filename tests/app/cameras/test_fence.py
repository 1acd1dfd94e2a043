"""The stream fence: stream URLs the server may fetch, checked when saved (422 naming
``stream_url`` and the rule) and again right before each grab, redirects included; real
camera servers on loopback addresses, real files, the system's resolver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.cameras.fence import StreamFence, StreamRefused, parse_networks
from app.cameras.snapshot_cache import FrameGrabber, StreamRefusedError
from app.config import ConfigError, read_environment
from tests.app.dispatch.support import CAM_LAT, CAM_LON
from tests.conftest import Accounts, DatabaseInfo, bearer, make_app
from tests.streams import serve_mjpeg, write_test_video

DEFAULT = StreamFence()  # the private ranges; no loopback, no files
LOOPBACK = parse_networks("127.0.0.1/32,::1/128")


@pytest.fixture
def grabber() -> Any:
    pool = FrameGrabber(max_workers=2)
    yield pool
    pool.close(wait=True)


@pytest.mark.parametrize(("url", "rule"), [
    ("file:///etc/passwd", "media_dir"),
    ("/etc/passwd", "media_dir"),
    ("http://169.254.169.254/latest/meta-data/", "link_local"),
    ("http://[fe80::1]/", "link_local"),
    ("http://localhost/still.jpg", "loopback"),  # a name resolving to loopback
    ("rtsp://127.0.0.1:554/live", "loopback"),
    ("http://0x7f000001/", "loopback"),  # 127.0.0.1 in another spelling
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://0.0.0.0:8080/", "reserved"),
    ("http://224.0.0.1/", "reserved"),
    ("http://8.8.8.8/", "camera_networks"),
    ("rtsp://cam.gridpatrol.invalid/live", "unresolvable"),
    ("ftp://10.0.0.1/cam.avi", "scheme"),
    ("http://10.0.0.1:99999/", "url"),
])
def test_the_default_fence_refuses_and_names_the_rule(url: str, rule: str) -> None:
    with pytest.raises(StreamRefused) as refused:
        DEFAULT.check(url)
    assert refused.value.rule == rule, refused.value.message


def test_the_default_fence_lets_camera_networks_in() -> None:
    for url in ("rtsp://admin:pw@10.20.0.7:554/Streaming/Channels/101",
                "http://192.168.1.64/ISAPI/Streaming/channels/101/picture",
                "rtsps://172.16.8.2/live", "http://[fd00::7]/still.jpg"):
        target = DEFAULT.check(url)
        assert target.addresses and target.url == url
    pinned = DEFAULT.check("rtsp://admin:pw@10.20.0.7/live?x=1").pinned_url()
    assert pinned == "rtsp://admin:pw@10.20.0.7/live?x=1"


def test_loopback_and_link_local_only_when_a_listed_network_is_one() -> None:
    everything = StreamFence(networks=parse_networks("0.0.0.0/0,::/0"))
    for url, rule in (("http://127.0.0.1/", "loopback"), ("http://169.254.169.254/",
                                                          "link_local")):
        with pytest.raises(StreamRefused) as refused:
            everything.check(url)
        assert refused.value.rule == rule
    assert everything.check("http://8.8.8.8/").addresses == ("8.8.8.8",)
    listed = StreamFence(networks=parse_networks("127.0.0.1/32,169.254.169.254/32"))
    assert listed.check("http://169.254.169.254/").addresses == ("169.254.169.254",)
    with pytest.raises(StreamRefused, match="loopback"):
        listed.check("http://127.0.0.2/")  # listed means that network, not all of 127/8


def test_every_address_of_a_name_must_be_inside() -> None:
    table = {"cam-7.local": ["10.0.0.7", "127.0.0.1"], "cam-8.local": ["10.0.0.8"]}
    fence = StreamFence(resolve=lambda host, _port: table.get(host, []))
    with pytest.raises(StreamRefused, match=r"cam-7.local \(127.0.0.1\) is a loopback"):
        fence.check("rtsp://cam-7.local/live")
    target = fence.check("rtsp://user:pw@cam-8.local:8554/live")
    assert target.pinned_url() == "rtsp://user:pw@10.0.0.8:8554/live"  # FFmpeg resolves nothing


def test_files_only_under_the_media_folder(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    inside = write_test_video(media / "gate 3.avi")
    outside = write_test_video(tmp_path / "elsewhere.avi")
    (media / "link.avi").symlink_to(outside)
    (media / "etc").symlink_to("/etc")
    fence = StreamFence(media_dir=media)
    assert fence.check(str(inside)).path == inside
    assert fence.check(inside.as_uri()).path == inside
    for path, why in ((str(outside), "not inside"), (str(media / "link.avi"), "links"),
                      (str(media / "etc" / "passwd"), "links"),
                      (f"{media}/../elsewhere.avi", "'..'"), ("file:///etc/passwd", "inside")):
        with pytest.raises(StreamRefused, match=why) as refused:
            fence.check(path)
        assert refused.value.rule == "media_dir"
    with pytest.raises(StreamRefused, match="GRIDPATROL_MEDIA_DIR"):
        StreamFence().check(str(inside))  # no media folder: no files at all
    with pytest.raises(StreamRefused, match="not allowed"):
        StreamFence(schemes=frozenset({"rtsp"}), media_dir=media).check(str(inside))


def test_the_settings_are_parsed_strictly() -> None:
    values = read_environment({"GRIDPATROL_CAMERA_NETWORKS": "10.1.0.0/16, 192.168.7.20",
                               "GRIDPATROL_CAMERA_SCHEMES": "rtsp,HTTPS",
                               "GRIDPATROL_MEDIA_DIR": "/srv/media"})
    assert [str(n) for n in values["CAMERA_NETWORKS"]] == ["10.1.0.0/16", "192.168.7.20/32"]
    assert values["CAMERA_SCHEMES"] == frozenset({"rtsp", "https"})
    assert values["MEDIA_DIR"] == Path("/srv/media")
    for name, raw in (("CAMERA_NETWORKS", "10.0.0.1/8"), ("CAMERA_NETWORKS", "cameras"),
                      ("CAMERA_NETWORKS", " , "), ("CAMERA_SCHEMES", "rtsp,ftp"),
                      ("MEDIA_DIR", "media")):
        with pytest.raises(ConfigError, match=f"GRIDPATROL_{name}"):
            read_environment({f"GRIDPATROL_{name}": raw})


# -- at fetch time: real servers on loopback -----------------------------------------------

def test_a_listed_camera_is_grabbed_and_an_unlisted_one_never_connected(
        grabber: FrameGrabber) -> None:
    with serve_mjpeg() as camera:
        listed = StreamFence(networks=LOOPBACK)
        jpeg = grabber.grab_frame(camera.jpeg_url, timeout_s=3, fence=listed)
        assert jpeg[:2] == b"\xff\xd8"
        assert camera.requests("/still.jpg") == 1
        for url in (camera.jpeg_url, camera.jpeg_url.replace("127.0.0.1", "localhost")):
            with pytest.raises(StreamRefusedError, match="loopback"):
                grabber.grab_frame(url, timeout_s=3, fence=DEFAULT)
        assert camera.requests("/still.jpg") == 1  # refused before connecting


def test_a_name_resolving_to_loopback_is_grabbed_only_when_loopback_is_listed(
        grabber: FrameGrabber) -> None:
    with serve_mjpeg() as camera:
        url = camera.mjpeg_url.replace("127.0.0.1", "localhost")
        with pytest.raises(StreamRefusedError, match=r"localhost \(127.0.0.1\)"):
            grabber.grab_frame(url, timeout_s=3, fence=StreamFence(
                networks=parse_networks("10.0.0.0/8")))
        assert camera.requests("/stream.mjpg") == 0
        jpeg = grabber.grab_frame(url, timeout_s=3, fence=StreamFence(networks=LOOPBACK))
        assert jpeg[:2] == b"\xff\xd8" and camera.requests("/stream.mjpg") == 1


def test_redirects_are_followed_only_inside_the_fence(grabber: FrameGrabber) -> None:
    fence = StreamFence(networks=parse_networks("127.0.0.1/32"))
    with serve_mjpeg(host="127.0.0.2", text="OUTSIDE") as outside, \
            serve_mjpeg(text="INSIDE") as inside:
        for target, served in ((outside.jpeg_url, False), ("http://169.254.169.254/", False),
                               ("file:///etc/passwd", False), (inside.jpeg_url, True)):
            with serve_mjpeg(redirect_to=target) as hop:
                if served:
                    jpeg = grabber.grab_frame(hop.jpeg_url, timeout_s=3, fence=fence)
                    assert jpeg[:2] == b"\xff\xd8"
                else:
                    with pytest.raises(StreamRefusedError, match="redirected to"):
                        grabber.grab_frame(hop.jpeg_url, timeout_s=3, fence=fence)
                assert hop.requests("/still.jpg") == 1
        assert outside.requests("/still.jpg") == 0  # 127.0.0.2 was never connected to
        assert inside.requests("/still.jpg") == 1


def test_files_are_grabbed_from_the_media_folder_only(tmp_path: Path,
                                                      grabber: FrameGrabber) -> None:
    media = tmp_path / "media"
    media.mkdir()
    video = write_test_video(media / "gate.avi")
    (media / "passwd.avi").symlink_to("/etc/passwd")
    fence = StreamFence(media_dir=media)
    assert grabber.grab_frame(video.as_uri(), timeout_s=3, fence=fence)[:2] == b"\xff\xd8"
    for url in ("/etc/passwd", "file:///etc/passwd", str(media / "passwd.avi")):
        with pytest.raises(StreamRefusedError, match="media_dir"):
            grabber.grab_frame(url, timeout_s=3, fence=fence)


# -- at save time: the API and the CSV import ---------------------------------------------

@pytest.fixture
def fenced(database: DatabaseInfo, connection: sa.Connection, tmp_path: Path) -> FlaskClient:
    """A client of an app with the default networks and a media folder."""
    (tmp_path / "media").mkdir()
    return make_app(database, DB_CONNECTION=connection, CAMERA_NETWORKS=None,
                    MEDIA_DIR=str(tmp_path / "media")).test_client()


@pytest.fixture
def supervisor(fenced: FlaskClient) -> dict[str, str]:
    return bearer(Accounts(fenced.application).create("supervisor"))


@pytest.mark.parametrize(("url", "rule"), [
    ("file:///etc/passwd", "media_dir"),
    ("http://169.254.169.254/latest/meta-data/iam/", "link_local"),
    ("http://localhost:8080/still.jpg", "loopback"),
    ("rtsp://8.8.8.8/live", "camera_networks"),
])
def test_saving_a_camera_outside_the_fence_is_a_422_naming_the_rule(
        fenced: FlaskClient, supervisor: dict[str, str], connection: sa.Connection,
        url: str, rule: str) -> None:
    body = {"name": "probe", "lon": CAM_LON, "lat": CAM_LAT, "stream_url": url}
    created = fenced.post("/api/v1/cameras", json=body, headers=supervisor)
    assert created.status_code == 422, created.json
    assert (created.json["field"], created.json["rule"]) == ("stream_url", rule)
    assert created.json["error"] == "stream_url_refused"
    assert connection.execute(sa.text("SELECT count(*) FROM cameras")).scalar_one() == 0
    camera = fenced.post("/api/v1/cameras", json=body | {"stream_url": "rtsp://10.0.0.9/a"},
                         headers=supervisor).json
    changed = fenced.patch(f"/api/v1/cameras/{camera['id']}", json={"stream_url": url},
                           headers=supervisor)
    assert (changed.status_code, changed.json["rule"]) == (422, rule)
    assert fenced.patch(f"/api/v1/cameras/{camera['id']}", json={"azimuth_deg": 90},
                        headers=supervisor).status_code == 200


def test_the_csv_import_refuses_fenced_rows_by_line_and_keeps_the_rest(
        fenced: FlaskClient, supervisor: dict[str, str]) -> None:
    text = ("name,lon,lat,stream_url\n"
            f"Gate,{CAM_LON},{CAM_LAT},rtsp://10.0.0.21/live\n"
            f"Meta,{CAM_LON},{CAM_LAT},http://169.254.169.254/\n"
            f"Disk,{CAM_LON},{CAM_LAT},file:///etc/passwd\n")
    answer = fenced.post("/api/v1/cameras/import", data=text,
                         headers=supervisor | {"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.json
    assert answer.json["created"] == 1
    assert [(e["line"], e["field"], e["rule"]) for e in answer.json["errors"]] == [
        (3, "stream_url", "link_local"), (4, "stream_url", "media_dir")]


def test_a_url_saved_then_fenced_out_is_refused_at_fetch_time(
        database: DatabaseInfo, connection: sa.Connection, fenced: FlaskClient,
        supervisor: dict[str, str]) -> None:
    """What passed when it was saved is checked again at every grab: the camera network
    (or a name's address) may have changed since."""
    permissive = make_app(database, DB_CONNECTION=connection).test_client()  # lists loopback
    with serve_mjpeg() as camera:
        created = permissive.post("/api/v1/cameras", headers=supervisor, json={
            "name": "lab", "lon": CAM_LON, "lat": CAM_LAT, "stream_url": camera.jpeg_url})
        assert created.status_code == 201, created.json
        path = f"/api/v1/cameras/{created.json['id']}/snapshot"
        assert permissive.get(path, headers=supervisor).status_code == 200
        refused = fenced.get(path, headers=supervisor)
        assert (refused.status_code, refused.json["error"]) == (503, "stream_refused")
        assert camera.requests("/still.jpg") == 1
    status = connection.execute(sa.text("SELECT status FROM cameras WHERE id = :id"),
                                {"id": created.json["id"]}).scalar_one()
    assert status == "online"  # a fenced URL says nothing about the camera itself
