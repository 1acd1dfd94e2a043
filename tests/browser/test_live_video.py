"""Live video in a real browser: a video operator opens a camera's live page and the
<video> element plays (its time advances) from the server's HLS of a real RTSP camera
(GStreamer's server, H.264 made by FFmpeg), with hls.js served from /vendor; nothing is
fetched from another host and the Content-Security-Policy holds. A light server of its
own (no map): the page needs a camera, not the extracts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from app.auth import users
from app.db import engine, get_session
from app.video import conversions
from tests.browser.conftest import closed_before_served
from tests.browser.support import wait_for, watch_csp
from tests.conftest import bearer, make_app, scratch_database
from tests.rtsp_camera import h264_file, serve_rtsp

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
        server = make_server("127.0.0.1", 0, closed_before_served(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"url": f"http://127.0.0.1:{server.server_port}", "camera": camera,
                   "token": token, "app": app}
        finally:
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
