"""Live video in a real browser: a video operator opens a camera's live page and the
<video> element plays (its time advances) from the server's HLS of a real RTSP camera
(GStreamer's server, H.264 made by FFmpeg), with hls.js served from /vendor; nothing is
fetched from another host and the Content-Security-Policy holds. A light server of its
own (no map): the page needs a camera, not the extracts."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from app.auth import users
from app.db import engine, get_session
from app.serving.front import EventSettings
from app.video import conversions
from tests.browser.conftest import closed_before_served
from tests.browser.support import wait_for, watch_csp
from tests.browser.test_dispatch_console import click_map_at
from tests.conftest import bearer, make_app, scratch_database
from tests.rtsp_camera import h264_file, serve_rtsp
from tests.served import ThreadedFront

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("live-site")
    clip = h264_file(folder / "camera.mkv", seconds=60)
    with scratch_database("live") as database, serve_rtsp(clip) as rtsp:
        app = make_app(database, LIVE_DIR=str(folder / "live"))
        with app.app_context():
            session = get_session()
            operator = users.create_user(session, "operator-1", PASSWORD, "video_operator")
            token = users.issue_token(session, operator, label="test")
            session.commit()
        client = app.test_client()
        supervisor_token = None
        with app.app_context():
            session = get_session()
            supervisor = users.create_user(session, "supervisor-1", PASSWORD, "supervisor")
            supervisor_token = users.issue_token(session, supervisor, label="test")
            session.commit()
        camera = client.post("/api/v1/cameras", headers=bearer({"token": supervisor_token}),
                             json={"name": "Gate <b>cam</b>", "lon": 24.94, "lat": 60.17,
                                   "stream_url": rtsp.url("cam1")}).json
        with app.app_context():
            session = get_session()
            dispatcher = users.create_user(session, "dispatcher-1", PASSWORD, "dispatcher")
            dispatcher_token = users.issue_token(session, dispatcher, label="test")
            session.commit()
        server = make_server("127.0.0.1", 0, closed_before_served(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        # as `gridpatrol serve` does: the front serves event and MJPEG streams, the app the rest
        front = ThreadedFront(f"http://127.0.0.1:{server.server_port}", database.app_url,
                              EventSettings(max_mjpeg=1)).start()
        try:
            yield {"url": front.url, "camera": camera, "token": token, "app": app,
                   "supervisor": supervisor_token, "dispatcher": dispatcher_token}
        finally:
            front.stop()
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            conversions(app).close()
            engine(app).dispose()


def test_a_video_operator_watches_a_camera_live(browser: Browser,
                                                live_site: dict[str, Any]) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    host = urlsplit(live_site["url"]).netloc
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url)
            if urlsplit(r.url).netloc not in (host, "") and not r.url.startswith("blob:")
            else None)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    violations = watch_csp(page)
    try:
        page.goto(f"{live_site['url']}/login")
        page.fill("#username", "operator-1")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_site['url']}/video/live/{live_site['camera']['id']}")
        assert "Gate <b>cam</b>" in page.inner_text("h1")  # escaped, shown as text
        first = wait_for(page, "document.getElementById('live-video').currentTime > 0.5 && "
                               "document.getElementById('live-video').currentTime")
        later = wait_for(page, f"document.getElementById('live-video').currentTime > "
                               f"{first} + 1.0 && document.getElementById('live-video')"
                               ".currentTime")
        assert later > first + 1.0
        assert wait_for(page, "document.getElementById('live-status').textContent") == "Live"
        width = page.evaluate("document.getElementById('live-video').videoWidth")
        assert width == 640
    finally:
        context.close()
    assert foreign == [] and errors == [] and violations == []
    views = live_site["app"].test_client().get(
        "/api/v1/live-views", headers=bearer({"token": live_site["token"]}))
    assert views.status_code == 403  # operators watch; supervisors review the views


def test_the_live_page_is_closed_to_maintainers(live_site: dict[str, Any],
                                                tmp_path: Path) -> None:
    app = live_site["app"]
    with app.app_context():
        session = get_session()
        user = users.create_user(session, "maint-1", PASSWORD, "maintainer")
        token = users.issue_token(session, user, label="test")
        session.commit()
    client = app.test_client()
    page = client.get(f"/video/live/{live_site['camera']['id']}",
                      headers=bearer({"token": token}))
    assert page.status_code == 403


NO_HLS = """
Object.defineProperty(window, 'MediaSource', {value: undefined});
Object.defineProperty(window, 'ManagedMediaSource', {value: undefined});
Object.defineProperty(window, 'WebKitMediaSource', {value: undefined});
const canPlay = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) {
  return /mpegurl/i.test(type) ? '' : canPlay.call(this, type);
};
"""
PICTURE = """(() => {
  const image = document.querySelector('%s');
  if (!image || !image.naturalWidth) { return null; }
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  canvas.getContext('2d').drawImage(image, 0, 0);
  return canvas.toDataURL('image/png');
})()"""


def sign_in_as(page: Any, site: dict[str, Any], username: str) -> None:
    page.goto(f"{site['url']}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_browser_without_hls_gets_mjpeg_from_the_front(browser: Browser,
                                                         live_site: dict[str, Any]) -> None:
    """No Media Source Extensions, no native HLS (an old or locked-down browser): the live
    page shows the front's MJPEG stream, and the picture moves."""
    context = browser.new_context(locale="en-GB")
    context.add_init_script(NO_HLS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    violations = watch_csp(page)
    try:
        sign_in_as(page, live_site, "operator-1")
        page.goto(f"{live_site['url']}/video/live/{live_site['camera']['id']}")
        assert page.evaluate("window.Hls.isSupported()") is False
        first = wait_for(page, PICTURE % "#live-image", timeout_s=30)
        wait_for(page, "document.getElementById('live-status').textContent === 'Live'")
        assert page.evaluate("document.getElementById('live-video').hidden") is True
        width, height = page.evaluate("[document.getElementById('live-image').naturalWidth, "
                                      "document.getElementById('live-image').naturalHeight]")
        assert (width, height) == (640, 360)
        later = wait_for(page, f"(() => {{ const p = {PICTURE % '#live-image'}; "
                               f"return p && p !== {first!r} && p; }})()", timeout_s=10)
        assert later != first  # the running clock of the test pattern moved
    finally:
        context.close()
    assert errors == [] and violations == []
    views = live_site["app"].test_client().get(
        "/api/v1/live-views?username=operator-1",
        headers=bearer({"token": live_site["supervisor"]})).json["views"]
    assert views  # the MJPEG view was the app's own, kept and audited


def test_the_front_caps_mjpeg_streams_and_relays_refusals(live_site: dict[str, Any]) -> None:
    url = f"{live_site['url']}/api/v1/cameras/{live_site['camera']['id']}/live.mjpeg"
    operator = bearer({"token": live_site["token"]})

    def get(target: str, headers: dict[str, str] | None = None) -> Any:
        """The answer (open: read it, then close it), an error answer as well."""
        try:
            request = urllib.request.Request(  # noqa: S310 - the test's loopback server
                target, headers=headers or {})
            return urllib.request.urlopen(request, timeout=30)  # noqa: S310
        except urllib.error.HTTPError as error:
            return error

    def when_free(target: str, headers: dict[str, str] | None = None) -> Any:
        """GET once the front's one MJPEG slot is free (a stream that ended — the test
        before, the one above — is let go at its next frame)."""
        deadline = time.monotonic() + 15
        while (answer := get(target, headers)).status == 503 and time.monotonic() < deadline:
            answer.close()
            time.sleep(0.2)
        return answer

    with when_free(url, operator) as first:
        assert first.status == 200
        assert first.headers["Content-Type"] == \
            "multipart/x-mixed-replace; boundary=gridpatrolframe"
        head = first.read(400)
        assert head.startswith(b"--gridpatrolframe")
        assert b"Content-type: image/jpeg" in head and b"\xff\xd8" in head  # a JPEG
        with get(url, operator) as busy:  # the cap is 1 here
            assert busy.status == 503 and json.loads(busy.read())["error"] == "live_busy"
        with get(url) as anonymous:  # full or not, a stranger is told to sign in
            assert anonymous.status == 401
    with when_free(url) as anonymous:
        assert anonymous.status == 401  # not signed in: the app says so
    with when_free(f"{live_site['url']}/api/v1/cameras/999999/live.mjpeg",
                   operator) as missing:
        assert missing.status == 404


def test_a_dispatcher_watches_a_camera_live_in_its_console_popup(
        browser: Browser, live_site: dict[str, Any]) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    violations = watch_csp(page)
    camera = live_site["camera"]
    try:
        sign_in_as(page, live_site, "dispatcher-1")
        wait_for(page, "window.gridpatrol && gridpatrol.map")
        page.evaluate("gridpatrol.map.setView([60.17, 24.94], 17, {animate: false}) && null")
        wait_for(page, "gridpatrol.layers.cameras.getLayers().length === 1")
        click_map_at(page, 24.94, 60.17)  # the camera's dot (drawn on the map's canvas)
        button = page.locator(f".gp-camera-popup button.gp-live-button"
                              f"[data-camera-id='{camera['id']}']")
        button.click()
        video = ".gp-camera-popup .gp-live video"
        first = wait_for(page, f"document.querySelector(\"{video}\").currentTime > 0.5 && "
                               f"document.querySelector(\"{video}\").currentTime", timeout_s=30)
        wait_for(page, f"document.querySelector(\"{video}\").currentTime > {first} + 1.0")
        assert page.evaluate("gridpatrol.liveTiles") == 1
        page.screenshot(path="/tmp/live-console-popup.png")
        page.keyboard.press("Escape")  # the popup closes: its view stops
        page.evaluate("gridpatrol.map.closePopup() && null")
        wait_for(page, "gridpatrol.liveTiles === 0", timeout_s=10)
        # a red alert 20 m from the camera: the alert panel's camera plays live too
        raised = live_site["app"].test_client().post(
            "/api/v1/alerts", json={"lon": 24.9403, "lat": 60.1701, "level": "red"},
            headers=bearer({"token": live_site["dispatcher"]}))
        assert raised.status_code == 201, raised.json
        page.locator(f".gp-alert-row[data-alert-id='{raised.json['id']}']").click()
        panel = page.locator("#gp-alert #gp-cameras")
        panel.locator(f"button.gp-live-button[data-camera-id='{camera['id']}']").click()
        video = "#gp-cameras .gp-live video"
        first = wait_for(page, f"document.querySelector(\"{video}\").currentTime > 0.5 && "
                               f"document.querySelector(\"{video}\").currentTime", timeout_s=30)
        wait_for(page, f"document.querySelector(\"{video}\").currentTime > {first} + 1.0")
        page.screenshot(path="/tmp/live-console-alert.png")
    finally:
        context.close()
    assert errors == [] and violations == []
