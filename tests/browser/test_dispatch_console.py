"""The red-alert workflow in chromium: a dispatcher raises an alert by clicking the map,
sees the camera that watches the place with a live snapshot from a local MJPEG stream,
the ranked units, dispatches one, and sees its status change and the radio order. A
unit's popup shows the speed and course of its last fix (live, from NMEA RMC) and its age,
in English and Chinese, and nothing of motion for a unit that reported none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.auth import users
from app.db import get_session
from app.models import User
from dispatch.nmea import checksum
from tests.browser.support import wait_for
from tests.browser.test_map_console import open_console
from tests.streams import serve_mjpeg

PLACE = (-0.096476, 51.513825)  # lon, lat: New Change, by St Paul's (London extract)
CAMERA = (-0.096674, 51.514033)  # 27 m up the street, looking down it (bearing 149°)
UNITS = {"BT-NEAR": (-0.0990, 51.5140), "BT-FAR": (-0.1200, 51.5130)}
MOTION_UNITS = {"BT-MOVING": (-0.0975, 51.5132), "BT-PARKED": (-0.0950, 51.5145)}


@pytest.fixture(scope="module")
def scene(live_server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Any]]:
    """A camera with a live local stream and two units, set up through the API."""
    app = live_server["app"]
    app.config["RADIO_GATEWAY"] = "file:" + str(tmp_path_factory.mktemp("radio") / "out.jsonl")
    with app.app_context():
        session = get_session()
        admin = session.execute(sa.select(User).where(User.username == "demo-admin")
                                ).scalar_one()
        token = users.issue_token(session, admin, label="browser test")
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with serve_mjpeg(text="CAM ST PAULS") as stream:
        camera = client.post("/api/v1/cameras", headers=headers, json={
            "name": "St Paul's east", "lon": CAMERA[0], "lat": CAMERA[1], "azimuth_deg": 149,
            "fov_deg": 70, "range_m": 120, "kind": "fixed", "stream_url": stream.mjpeg_url})
        assert camera.status_code == 201, camera.json
        yield {"camera": camera.json, "units": add_units(client, headers, UNITS),
               "token": token}


def add_units(client: Any, headers: dict[str, str], where: dict[str, tuple[float, float]],
              **fix: Any) -> dict[str, int]:
    """Available patrol cars made through the API, each placed where ``where`` says (with
    the ``fix``'s other fields, e.g. ``at``); their ids by callsign."""
    ids = {}
    for callsign, (lon, lat) in where.items():
        unit = client.post("/api/v1/units", headers=headers, json={
            "callsign": callsign, "kind": "patrol_car", "status": "available"})
        assert unit.status_code == 201, unit.json
        ids[callsign] = unit.json["id"]
        moved = client.post(f"/api/v1/units/{ids[callsign]}/position", headers=headers,
                            json={"lon": lon, "lat": lat} | fix)
        assert moved.status_code == 200, moved.json
    return ids


def click_map_at(page: Page, lon: float, lat: float) -> None:
    point = page.evaluate(f"(() => {{ const p = gridpatrol.map.latLngToContainerPoint("
                          f"[{lat}, {lon}]); const r = gridpatrol.map.getContainer()"
                          f".getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }})()")
    page.mouse.click(point[0], point[1])


def test_dispatcher_raises_a_red_alert_and_dispatches(page: Page, live_server: dict[str, Any],
                                                      scene: dict[str, Any],
                                                      artifacts: Path) -> None:
    open_console(page, live_server, "demo-dispatcher")
    wait_for(page, "gridpatrol.dispatchReady === true && gridpatrol.live === true")
    page.evaluate(f"gridpatrol.map.setView([{PLACE[1]}, {PLACE[0]}], 17, "
                  "{animate: false}) && null")
    near = scene["units"]["BT-NEAR"]
    wait_for(page, f"gridpatrol.dispatch.units[{near}] && "
                   f"gridpatrol.dispatch.units[{near}].data.status === 'available'")

    page.keyboard.press("a")  # shortcut: raise an alert at the next click
    click_map_at(page, *PLACE)
    form = page.locator(".gp-alert-form")
    expect(form).to_be_visible()
    form.locator("input[name=kind]").fill("robbery")
    form.locator("button").click()

    panel = page.locator("#gp-alert")
    expect(panel.locator("h2")).to_contain_text("red · Robbery")  # the kind typed, by its label
    expect(panel.locator(".gp-alert-status")).to_have_text("Status: Open")
    seeing = page.locator("#gp-cameras li.gp-camera").first
    expect(seeing).to_contain_text("St Paul's east")
    expect(seeing).to_contain_text("off its axis")
    snapshot = seeing.locator("img.gp-snapshot")
    expect(snapshot).to_be_visible()
    wait_for(page, "(() => { const i = document.querySelector('#gp-cameras "
                   "img.gp-snapshot'); return i && i.complete && i.naturalWidth > 0; })()")
    ranked = page.locator("#gp-units li.gp-rec-unit")
    expect(ranked.first).to_contain_text("BT-NEAR")  # nearer by road than BT-FAR
    expect(page.locator("#gp-units")).to_contain_text("BT-FAR")
    page.screenshot(path=str(artifacts / "dispatch-callup.png"))

    ranked.first.locator("button.gp-dispatch").click()
    # the unit's status changes on the map (pushed by the server), the order is logged
    wait_for(page, f"gridpatrol.dispatch.units[{near}].data.status === 'dispatched'")
    expect(page.locator(f".gp-unit-{near}")).to_have_attribute("data-status", "dispatched")
    expect(page.locator("#gp-radio-list")).to_contain_text("DISPATCH BT-NEAR")
    expect(page.locator("#gp-radio-list li[data-kind=dispatch_order]").last
           ).to_contain_text("[Sent]")  # its delivery by its label
    # the order's fate on the alert panel: sent (the outbox file took it), then
    # acknowledged when the radio gateway reports it — live, without a reload
    order = page.locator("#gp-orders li.gp-order").first
    expect(order).to_have_attribute("data-delivery", "sent")
    expect(order).to_contain_text("BT-NEAR")
    order_id = order.get_attribute("data-order-id")
    reported = live_server["app"].test_client().post(
        f"/api/v1/orders/{order_id}/delivery", json={"state": "acknowledged"},
        headers={"Authorization": f"Bearer {scene['token']}"})
    assert reported.status_code == 200, reported.json
    expect(order).to_have_attribute("data-delivery", "acknowledged")
    expect(order.locator(".gp-delivery")).to_have_text("Acknowledged")
    expect(page.locator("#gp-timeline")).to_contain_text("dispatched")
    # the dispatched unit has left the suitable list; the next one is first now
    expect(page.locator("#gp-units")).not_to_contain_text("BT-NEAR")
    expect(ranked.first).to_contain_text("BT-FAR")
    expect(page.locator(".gp-assigned")).to_contain_text("BT-NEAR")
    page.screenshot(path=str(artifacts / "dispatch-sent.png"))
    # a console alarm reaches the open console at once; the dispatcher marks it seen
    app = live_server["app"]
    with app.app_context():
        from datetime import UTC, datetime

        from app.orders.alarms import raise_alarm
        from dispatch.delivery import AlarmKind

        session = get_session()
        raise_alarm(session, key="browser-test:en-route", kind=AlarmKind.EN_ROUTE_TOO_LONG,
                    message="BT-FAR en route for 25 min <b>late</b>", at=datetime.now(UTC),
                    unit_id=scene["units"]["BT-FAR"])
        session.commit()
    alarm = page.locator("#gp-alarm-list li[data-kind=en_route_too_long]")
    expect(alarm).to_contain_text("BT-FAR en route for 25 min <b>late</b>")  # escaped
    expect(page.locator("#gp-alarms")).to_have_class("gp-alarming")
    alarm.locator("button.gp-alarm-ack").click()
    expect(alarm).to_have_class("gp-alarm gp-alarm-en_route_too_long gp-seen")
    expect(page.locator("#gp-alarms")).not_to_have_class("gp-alarming")


def test_a_viewer_sees_no_dispatch_controls(page: Page, live_server: dict[str, Any],
                                           scene: dict[str, Any]) -> None:
    open_console(page, live_server, "demo-viewer")
    wait_for(page, "gridpatrol.dispatchReady === true")
    expect(page.locator("#gp-raise")).to_be_hidden()
    page.keyboard.press("a")
    click_map_at(page, *PLACE)
    expect(page.locator(".gp-alert-form")).to_have_count(0)


def rmc(lon: float, lat: float, at: datetime, *, knots: float, course_deg: float) -> str:
    """An RMC sentence with a valid checksum, as a receiver writes it."""
    def dm(value: float, degree_digits: int) -> str:
        degrees, minutes = divmod(abs(value) * 60, 60)
        return f"{int(degrees):0{degree_digits}d}{minutes:07.4f}"
    body = (f"GPRMC,{at:%H%M%S}.00,A,{dm(lat, 2)},{'N' if lat >= 0 else 'S'},"
            f"{dm(lon, 3)},{'E' if lon >= 0 else 'W'},{knots:.1f},{course_deg:.1f},"
            f"{at:%d%m%y},,,A")
    return f"${body}*{checksum(body):02X}\r\n"


def test_a_units_popup_shows_its_last_speed_course_and_the_age_of_its_fix(
        page: Page, live_server: dict[str, Any], scene: dict[str, Any],
        artifacts: Path) -> None:
    client = live_server["app"].test_client()
    headers = {"Authorization": f"Bearer {scene['token']}"}
    ids = add_units(client, headers, MOTION_UNITS,  # no speed, no course
                    at=(datetime.now(UTC) - timedelta(seconds=90)).isoformat())
    moving, parked = ids["BT-MOVING"], ids["BT-PARKED"]
    open_console(page, live_server, "demo-dispatcher")
    wait_for(page, "gridpatrol.dispatchReady === true && gridpatrol.live === true")
    page.evaluate(f"gridpatrol.map.setView([{PLACE[1]}, {PLACE[0]}], 17, "
                  "{animate: false}) && null")
    wait_for(page, f"gridpatrol.dispatch.units[{moving}] && "
                   f"gridpatrol.dispatch.units[{parked}]")

    page.locator(f"path.gp-unit-{moving}").click()
    popup = page.locator(f".gp-unit-popup[data-unit-id='{moving}']")
    expect(popup).to_contain_text("BT-MOVING")
    expect(popup.locator(".gp-motion-age dd")).to_have_text(re.compile(r"^\d+ min ago$"))
    expect(popup.locator(".gp-motion-speed")).to_have_count(0)
    # the receiver's RMC arrives while the popup is open: 24.3 kn, 47° (live, by its event)
    lon, lat = MOTION_UNITS["BT-MOVING"]
    sent = client.post(f"/api/v1/positions/nmea?unit_id={moving}", headers=headers | {
        "Content-Type": "text/plain"}, data=rmc(lon, lat, datetime.now(UTC).replace(
            microsecond=0) - timedelta(seconds=5), knots=24.3, course_deg=47.0))
    assert sent.status_code == 200 and sent.json["accepted"] == 1, sent.json
    expect(popup.locator(".gp-motion-speed dt")).to_have_text("Speed")
    expect(popup.locator(".gp-motion-speed dd")).to_have_text("45 km/h")
    expect(popup.locator(".gp-motion-course dd")).to_have_text("47° NE")
    expect(popup.locator(".gp-motion-age dd")).to_have_text(re.compile(r"^\d+ s ago$"))
    page.wait_for_timeout(300)  # the popup's fade-in
    page.screenshot(path=str(artifacts / "dispatch-unit-popup.png"))

    page.locator(f"path.gp-unit-{parked}").click()  # a fix without speed or course
    other = page.locator(f".gp-unit-popup[data-unit-id='{parked}']")
    expect(other).to_contain_text("BT-PARKED")
    expect(popup).to_have_count(0)  # one popup at a time
    expect(other.locator(".gp-motion-age")).to_be_visible()
    expect(other.locator(".gp-motion-speed")).to_have_count(0)
    expect(other.locator(".gp-motion-course")).to_have_count(0)
    expect(other).not_to_contain_text("km/h")

    # and in Chinese (the labels come translated with the page)
    with page.expect_navigation():
        page.select_option("#locale", "zh_CN")
    try:
        wait_for(page, "gridpatrol.dispatchReady === true")
        page.evaluate(f"gridpatrol.map.setView([{PLACE[1]}, {PLACE[0]}], 17, "
                      "{animate: false}) && null")
        page.locator(f"path.gp-unit-{moving}").click()
        expect(popup.locator(".gp-motion-speed dt")).to_have_text("速度")
        expect(popup.locator(".gp-motion-speed dd")).to_have_text("45 公里/小时")
        expect(popup.locator(".gp-motion-course dd")).to_have_text("47° 东北")
        expect(popup.locator(".gp-motion-age dd")).to_have_text(re.compile(r"^\d+ (秒|分钟)前$"))
    finally:  # the language stays on the user: back to English for the other tests
        with page.expect_navigation():
            page.select_option("#locale", "en")
