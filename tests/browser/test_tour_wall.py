"""The video patrol story of issue 17, in chromium: a video operator signs in, proposes a
tour for an area and an hour from the crime data, saves and starts it, sees live video
playing in the wall's tiles (the <video> elements' time advances) from real RTSP cameras
(GStreamer's server, H.264 made by FFmpeg), flags a finding with a key, sees it on the
wall's map, and sees the incident on the console's map with the server's frame. A tile
whose camera is dead says why while the others play. A light server of its own: the town
of the tour tests (an area, incidents through the importer, cameras by the API)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from app.auth import users
from app.db import engine, get_session
from app.video import conversions
from tests.app.tours.support import AREA, load_town, town_cameras
from tests.browser.conftest import closed_before_served, job_worker
from tests.browser.support import wait_for, watch_csp
from tests.conftest import bearer, make_app, scratch_database
from tests.rtsp_camera import h264_file, serve_rtsp
from tests.streams import dead_url

PASSWORD = "correct horse battery"
SHOTS = Path("/tmp/h-tours")


@pytest.fixture(scope="module")
def tour_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("tour-site")
    clip = h264_file(folder / "camera.mkv", seconds=60)
    with scratch_database("tours") as database, serve_rtsp(clip) as rtsp:
        app = make_app(database, LIVE_DIR=str(folder / "live"))
        load_town(app.test_cli_runner(), folder)
        with app.app_context():
            session = get_session()
            users.create_user(session, "operator-1", PASSWORD, "video_operator")
            supervisor = users.create_user(session, "supervisor-1", PASSWORD, "supervisor")
            token = users.issue_token(session, supervisor, label="test")
            session.commit()
        client = app.test_client()
        dead = dead_url().replace("http://", "rtsp://")
        cameras = town_cameras(client, bearer({"token": token}),
                               [rtsp.url("cam1"), rtsp.url("cam2"), dead, dead])
        server = make_server("127.0.0.1", 0, closed_before_served(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with job_worker(database.app_url):  # proposals are jobs, as `serve` runs them
                yield {"url": f"http://127.0.0.1:{server.server_port}", "cameras": cameras,
                       "app": app, "token": token}
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            conversions(app).close()
            engine(app).dispose()


@contextmanager
def watched_page(browser: Browser, tour_site: dict[str, Any], *,
                 offline_answers: bool = False) -> Iterator[Page]:
    """A page watched as tests/browser/conftest.py's are; with ``offline_answers`` the
    live API's 503 ``camera_offline`` (a dead camera's designed answer) is no failure."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    host = urlsplit(tour_site["url"]).netloc
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url)
            if urlsplit(r.url).netloc not in (host, "") and not r.url.startswith("blob:")
            else None)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 500 and not (offline_answers and response.status == 503
                                               and response.url.endswith("/live"))
            else None)
    violations = watch_csp(page)
    yield page
    context.close()
    assert foreign == [], f"requests left the machine: {foreign}"
    assert errors == [], f"script errors or server errors: {errors}"
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", "operator-1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def video_time(index: int) -> str:
    return f"document.querySelectorAll('#wall video')[{index}].currentTime"


def test_an_operator_proposes_plays_flags_and_sees_the_incident_on_the_map(
        browser: Browser, tour_site: dict[str, Any]) -> None:
    with watched_page(browser, tour_site) as page:
        operator_story(page, tour_site)


def operator_story(page: Page, tour_site: dict[str, Any]) -> None:
    SHOTS.mkdir(exist_ok=True)
    url, cameras = tour_site["url"], tour_site["cameras"]
    sign_in(page, url)
    page.click("#nav-tours")
    page.select_option("#propose-area", AREA)
    page.select_option("#propose-hour", "19")
    page.click("#propose")
    wait_for(page, "document.querySelectorAll('#tour-cameras li[data-camera]').length >= 2")
    first = page.locator("#tour-cameras li[data-camera]").first
    assert first.get_attribute("data-camera") == str(cameras["B"]["id"])
    assert "sees 17 of the 31 incidents at 18:00–21:00" in first.inner_text()
    assert "31 incidents at 18:00–21:00 in" in page.inner_text("#propose-status")
    page.screenshot(path=str(SHOTS / "tours-proposed.png"))
    page.locator("#tour-editor").screenshot(path=str(SHOTS / "tours-editor.png"))
    page.click("#save-start")
    page.wait_for_url("**/wall")
    # live video plays on the two tiles of the step; their time advances
    first_time = wait_for(page, f"{video_time(0)} > 0.5 && {video_time(0)}", timeout_s=40)
    wait_for(page, f"{video_time(1)} > 0.5", timeout_s=40)
    later = wait_for(page, f"{video_time(0)} > {first_time} + 1.0 && {video_time(0)}")
    assert later > first_time + 1.0
    assert page.locator(".tile.playing").count() == 2
    assert "B looks at P" in page.inner_text("#wall .tile:nth-child(1) .tile-label")
    page.screenshot(path=str(SHOTS / "wall-playing.png"))
    # flag a finding with the key, on the second tile's camera
    page.click("#wall .tile:nth-child(2)")
    page.keyboard.press("f")
    assert page.locator("#flag-form").is_visible()
    page.select_option("#flag-kind", "theft")
    page.fill("#flag-note", "man <b>lifting</b> bags")
    page.click("#flag-submit")
    wait_for(page, "document.querySelectorAll('#wall-findings li').length === 1")
    status = page.inner_text("#flag-status")
    assert status.startswith("Flagged: incident #") and "no frame" not in status
    assert "man <b>lifting</b> bags" in page.inner_text("#wall-findings")
    wait_for(page, "document.querySelector('#wall-findings img').naturalWidth === 640")
    wait_for(page, "document.querySelectorAll('#wall-map path.gp-finding').length === 1")
    page.screenshot(path=str(SHOTS / "wall-flagged.png"))
    # the keys: space pauses, and the server hears of it
    page.keyboard.press(" ")
    assert page.inner_text("#wall-state") == "Paused"
    page.keyboard.press(" ")
    assert page.inner_text("#wall-state") == "Running"
    # the incident is on the console's map, with the server's frame
    page.goto(f"{url}/")
    count = wait_for(page, "window.gridpatrol && window.gridpatrol.findings && "
                           "window.gridpatrol.findings.getLayers().length")
    assert count == 1
    page.evaluate("window.gridpatrol.findings.getLayers()[0].openPopup()")
    popup = page.locator(".gp-finding-popup")
    assert "man <b>lifting</b> bags" in popup.inner_text()
    assert "A looks at Q" in popup.inner_text()
    wait_for(page, "document.querySelector('.gp-finding-popup img').naturalWidth > 0")
    page.screenshot(path=str(SHOTS / "console-finding.png"))
    # the report counts the run: the two cameras planned were shown with video
    page.goto(f"{url}/video/tours/report")
    cells = page.locator("#report-table tbody tr").first.locator("td").all_inner_texts()
    assert cells[1:8] == ["operator-1", AREA, "1", "2", "2", "2", "0"]  # planned, shown,
    # with video, without
    page.screenshot(path=str(SHOTS / "report.png"))


def test_a_dead_camera_says_why_and_does_not_hold_the_wall(
        browser: Browser, tour_site: dict[str, Any]) -> None:
    with watched_page(browser, tour_site, offline_answers=True) as page:
        dead_camera_story(page, tour_site)


def dead_camera_story(page: Page, tour_site: dict[str, Any]) -> None:
    SHOTS.mkdir(exist_ok=True)
    cameras = tour_site["cameras"]
    app = tour_site["app"]
    body = {"name": "dead and alive", "layout": 4,
            "cameras": [{"camera_id": cameras["C"]["id"]}, {"camera_id": cameras["A"]["id"]}]}
    created = app.test_client().post("/api/v1/tours", json=body,
                                     headers=bearer({"token": tour_site["token"]}))
    assert created.status_code == 201, created.json
    sign_in(page, tour_site["url"])
    page.goto(f"{tour_site['url']}/video/tours/{created.json['id']}/wall")
    wait_for(page, f"{video_time(1)} > 0.5", timeout_s=40)
    dead = wait_for(page, "document.querySelector('#wall .tile.problem .tile-state') && "
                          "document.querySelector('#wall .tile.problem .tile-state')"
                          ".textContent", timeout_s=40)
    assert dead.startswith("The camera gives no video.")
    page.screenshot(path=str(SHOTS / "wall-dead-camera.png"))


def test_the_tours_page_speaks_chinese(browser: Browser, tour_site: dict[str, Any]) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, tour_site["url"])
        page.goto(f"{tour_site['url']}/video/tours")
        assert page.inner_text("h1") == "视频轮巡方案"
        page.select_option("#propose-area", AREA)
        # the period of the town's thefts (findings of earlier tests are newer)
        page.fill("#propose-form input[name=from]", "2024-07-01")
        page.fill("#propose-form input[name=to]", "2024-09-30")
        page.click("#propose")
        wait_for(page, "document.querySelectorAll('#tour-cameras li[data-camera]').length")
        reason = page.locator("#tour-cameras li[data-camera] .reason").first.inner_text()
        assert "31起警情中的17起" in reason
        assert "推荐的 2 台摄像机可见其中 31 起" in page.inner_text("#propose-status")
        page.screenshot(path=str(SHOTS / "tours-zh.png"))
    finally:
        context.close()
    assert errors == []


def test_a_tour_by_hand_from_the_map_and_from_an_area(
        browser: Browser, tour_site: dict[str, Any]) -> None:
    cameras = tour_site["cameras"]
    with watched_page(browser, tour_site) as page:
        sign_in(page, tour_site["url"])
        page.goto(f"{tour_site['url']}/video/tours")
        page.fill("#tour-name", "Picked <i>by hand</i>")
        # a real click on camera A's marker adds it
        wait_for(page, "window.gridpatrol.layers.cameras.getLayers().length === 4")
        marker = page.evaluate_handle(
            f"window.gridpatrol.layers.cameras.getLayers().find("
            f"l => l.feature.properties.id === {cameras['A']['id']})._path")
        marker.as_element().click()  # type: ignore[union-attr]
        wait_for(page, "document.querySelectorAll('#tour-cameras li[data-camera]').length")
        assert page.locator("#tour-cameras li[data-camera]").get_attribute(
            "data-camera") == str(cameras["A"]["id"])
        marker.as_element().click()  # type: ignore[union-attr]
        assert page.inner_text("#editor-status") == "Already in the tour."
        page.select_option("#tour-area", AREA)
        page.click("#take-area")
        wait_for(page, "document.querySelectorAll('#tour-cameras li[data-camera]').length "
                       "=== 4")
        assert page.inner_text("#editor-title").startswith("Editing tour #")
        with page.expect_navigation():
            page.click("#save-tour")
        assert "Picked <i>by hand</i>" in page.inner_text("#tour-table")
