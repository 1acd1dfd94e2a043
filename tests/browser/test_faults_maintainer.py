"""The issue's maintainer story in chromium: a contractor's user signs in and sees the
frozen test camera flagged with its ticket — on the faults list, on the faults map (its
popup: the fault with what was measured, the ticket, the frame the check saw) and on the
ticket's page, where it takes the ticket on — and nothing of policing: no incident,
alert, unit, grid or event layer or request on its pages, 403 from those endpoints.

The cameras are real: GStreamer's RTSP server (tests/rtsp_camera.py) serving H.264 made
by FFmpeg from the drawn street of tests/camera_clips.py, one stream frozen (one frame
repeated), one moving; the health round (`gridpatrol cameras check`) samples them with
FFmpeg and opens the ticket after the freeze persists over two checks.

Screenshots (test-artifacts/): faults-list-maintainer.png, faults-map-maintainer.png,
faults-ticket-maintainer.png, faults-report-maintainer.png, faults-camera-maintainer.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.auth import users
from app.db import get_session
from app.models import User
from tests.browser.support import wait_for
from tests.camera_clips import frozen_street, moving_street
from tests.rtsp_camera import serve_rtsp

PASSWORD = "correct horse battery"
FROZEN = (-0.0925, 51.5155)  # lon, lat: by the Guildhall (London extract)
MOVING = (-0.0905, 51.5150)
POLICING = ("/api/v1/units", "/api/v1/alerts", "/api/v1/incident", "/api/v1/grids",
            "/api/v1/pois", "/api/v1/events", "/api/v1/hotspots", "/api/v1/radio-log",
            "/api/v1/orders")
FORBIDDEN = ("/api/v1/units", "/api/v1/alerts", "/api/v1/incident-times",
             "/api/v1/incidents/summary", "/api/v1/incidents/imports", "/api/v1/hotspots",
             "/api/v1/grids", "/api/v1/pois", "/api/v1/events", "/api/v1/radio-log",
             "/api/v1/orders", "/api/v1/patrol-plans", "/")


@pytest.fixture(scope="module")
def frozen_scene(live_server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[dict[str, Any]]:
    """Two RTSP cameras (one frozen) kept by a maintainer, checked twice; its user."""
    app = live_server["app"]
    folder = tmp_path_factory.mktemp("faults-clips")
    kept_gateway = app.config.get("RADIO_GATEWAY")
    app.config["RADIO_GATEWAY"] = "file:" + str(folder / "outbox.jsonl")
    with app.app_context():
        session = get_session()
        admin = session.execute(sa.select(User).where(User.username == "demo-admin")
                                ).scalar_one()
        token = users.issue_token(session, admin, label="faults browser test")
        users.create_user(session, "pw-fixer", PASSWORD, "maintainer")
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with serve_rtsp(frozen_street(folder / "frozen")) as frozen, \
            serve_rtsp(moving_street(folder / "moving")) as moving:
        made = client.post("/api/v1/maintainers", headers=headers, json={
            "code": "PW-CITY", "name": "City Power & <Light>", "kind": "power",
            "response_h": 4, "repair_h": 48})
        assert made.status_code == 200, made.json
        cameras = {}
        for label, (lon, lat), stream in (("Guildhall gate <frozen>", FROZEN, frozen),
                                          ("Gresham St", MOVING, moving)):
            camera = client.post("/api/v1/cameras", headers=headers, json={
                "name": label, "lon": lon, "lat": lat, "stream_url": stream.url("cam1")})
            assert camera.status_code == 201, camera.json
            cameras[label] = camera.json["id"]
        assigned = client.post("/api/v1/maintainers/PW-CITY/cameras", headers=headers,
                               json={"camera_ids": list(cameras.values())})
        assert assigned.status_code == 200, assigned.json
        client.post("/api/v1/maintainers/PW-CITY/members", headers=headers,
                    json={"username": "pw-fixer"})
        ids = [str(i) for i in cameras.values()]
        for _ in range(2):
            checked = app.test_cli_runner().invoke(args=[
                "cameras", "check", "--once", "-v", *[a for i in ids for a in ("--camera", i)]])
            assert checked.exit_code == 0, checked.output
        frozen_id = cameras["Guildhall gate <frozen>"]
        tickets = client.get(f"/api/v1/tickets?camera={frozen_id}", headers=headers).json
        assert [(t["status"], t["faults"]) for t in tickets["tickets"]] == [
            ("open", ["frozen"])], checked.output
        yield {"frozen": frozen_id, "moving": cameras["Gresham St"],
               "ticket": tickets["tickets"][0]["id"]}
    app.config["RADIO_GATEWAY"] = kept_gateway


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", "pw-fixer")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/video/faults$"))


def test_a_maintainer_sees_the_frozen_camera_with_its_ticket_and_no_policing(
        page: Page, live_server: dict[str, Any], frozen_scene: dict[str, Any],
        artifacts: Path) -> None:
    url = live_server["url"]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    sign_in(page, url)
    frozen, ticket = frozen_scene["frozen"], frozen_scene["ticket"]

    # the faults list: the frozen camera flagged, with its ticket; the moving one online
    row = page.locator(f'#health-table tr[data-camera="{frozen}"]')
    expect(row).to_contain_text("Guildhall gate <frozen>")
    expect(row).to_contain_text("Frozen picture")
    expect(row).to_contain_text("motion between frames")
    expect(row.locator(f'a[href="/video/tickets/{ticket}"]')).to_have_text(f"#{ticket}")
    # the list filtered to its own maintainer's cameras (the London extract has ~280 more)
    page.select_option("#faults-filters select[name=maintainer]",
                       label="City Power & <Light>")
    page.click("#faults-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*maintainer=\d+.*"))
    assert page.locator("#health-table tbody tr").count() == 2
    expect(page.locator(f'#health-table tr[data-camera="{frozen_scene["moving"]}"]')
           ).to_contain_text("Online")
    expect(page.locator(f'#ticket-table tr[data-ticket="{ticket}"]')).to_contain_text(
        "Frozen picture")
    expect(page.locator(".topbar nav")).not_to_contain_text("Console")
    page.screenshot(path=str(artifacts / "faults-list-maintainer.png"), full_page=True)

    # the faults map: the camera in the degraded colour, its popup with the measured
    # fault, the ticket and the frame the check saw; no policing layer in the control
    page.click("#tab-faults_map_page")
    wait_for(page, "window.gridpatrol && gridpatrol.faultsLoaded > 0")
    state = page.evaluate(f"(() => {{ let found = null; gridpatrol.layers.faults.eachLayer("
                          f"l => {{ if (l.camera.id === {frozen}) {{ found = l; }} }});"
                          f" gridpatrol.map.setView(found.getLatLng(), 17, {{animate: false}});"
                          f" found.openPopup(); return [found.camera.status,"
                          f" found.options.fillColor]; }})()")
    assert state == ["degraded", "#ef6c00"]
    popup = page.locator(f'.gp-fault-popup[data-camera="{frozen}"]')
    expect(popup).to_contain_text("Guildhall gate <frozen>")
    expect(popup.locator('li[data-fault="frozen"]')).to_contain_text("motion between frames")
    expect(popup.locator(".gp-ticket a")).to_have_text(f"#{ticket}")
    wait_for(page, "(() => { const i = document.querySelector('.gp-fault-popup img');"
                   " return i && i.complete && i.naturalWidth > 0; })()")
    overlays = page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Camera faults" in overlays and "Areas" in overlays
    for word in ("Patrol grids", "Points of interest", "Units", "Alerts"):
        assert word not in overlays
    assert sorted(page.evaluate("Object.keys(gridpatrol.layers)")) == [
        "areas", "basemap", "faults"]
    expect(page.locator("#gp-faults-legend")).to_contain_text("Degraded (picture faults): 1")
    page.screenshot(path=str(artifacts / "faults-map-maintainer.png"))

    # the ticket: the fault and its clocks; the maintainer takes it on with a note
    page.click('.gp-fault-popup .gp-ticket a')
    page.wait_for_url(re.compile(rf".*/video/tickets/{ticket}$"))
    expect(page.locator("#ticket-faults")).to_contain_text("Frozen picture")
    expect(page.locator("#sla-response")).to_have_text("running")
    page.fill("#acknowledge-form input[name=note]", "crew at the Guildhall by 10:00")
    page.click("#acknowledge-form button")
    expect(page.locator("#ticket-notes")).to_contain_text("crew at the Guildhall by 10:00")
    expect(page.locator("#sla-response")).to_have_text("met")
    page.screenshot(path=str(artifacts / "faults-ticket-maintainer.png"), full_page=True)

    # the month's report: its own maintainer only
    page.click("#tab-report_page")
    expect(page.locator("#report-table")).to_contain_text("City Power & <Light>")
    page.screenshot(path=str(artifacts / "faults-report-maintainer.png"), full_page=True)

    # the camera's own page: the check's frame, uptime, history, the ticket
    page.goto(f"{url}/video/cameras/{frozen}")
    expect(page.locator("#camera-findings")).to_contain_text("Frozen picture")
    expect(page.locator("#camera-tickets")).to_contain_text(f"#{ticket}")
    wait_for(page, "(() => { const i = document.getElementById('camera-frame');"
                   " return i && i.complete && i.naturalWidth > 0; })()")
    page.screenshot(path=str(artifacts / "faults-camera-maintainer.png"), full_page=True)

    # no incident, alert or unit data was asked for, and none may be
    assert [u for u in asked if any(p in u for p in POLICING)] == []
    for path in FORBIDDEN:
        assert page.request.get(f"{url}{path}").status == 403, path
    page.goto(f"{url}/")
    expect(page.locator("h1")).to_contain_text("403")


def test_the_console_offers_the_faults_layer_to_the_video_centre(
        page: Page, live_server: dict[str, Any], frozen_scene: dict[str, Any]) -> None:
    from tests.browser.test_map_console import open_console

    open_console(page, live_server, "demo-video_operator")
    assert page.evaluate("gridpatrol.map.hasLayer(gridpatrol.layers.faults)") is False
    page.locator(".leaflet-control-layers label", has_text="Camera faults").click()
    wait_for(page, "gridpatrol.faultsLoaded > 0")
    status = page.evaluate(f"(() => {{ let s = null; gridpatrol.layers.faults.eachLayer("
                           f"l => {{ if (l.camera.id === {frozen_scene['frozen']}) "
                           f"{{ s = l.camera.status; }} }}); return s; }})()")
    assert status == "degraded"
    expect(page.locator("#gp-faults-legend")).to_contain_text("Degraded (picture faults)")
