"""The console as a CAD, in chromium: it opens on the home area (then on the user's last
view), writes street, place and camera names on the basemap at street zoom (Latin and
Chinese, the Chinese in the font this server serves), draws camera fields of view, names
the alert's place in the panel, draws a unit's route on hover, makes the current alert
stand out, and keeps the radio log on screen (L brings it forward).

Screenshots (test-artifacts/): cad-street-london.png, cad-street-chinese.png,
cad-alert-place.png, cad-alert-place-zh.png.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from app.auth import users
from app.db import get_session
from app.geography.import_osm import import_osm
from app.models import User
from tests.browser.support import wait_for
from tests.browser.test_dispatch_console import click_map_at
from tests.browser.test_map_console import open_console

SCENE = (-0.09646, 51.51395)     # on New Change, by the "New Change / Cannon Street" stop
CAMERA = (-0.09668, 51.51410)    # 25 m up New Change, looking down it
UNITS = {"CAD-NEAR": (-0.0985, 51.5146), "CAD-FAR": (-0.1010, 51.5128)}
# a hand-made town in Beijing: Chinese street names with English ones, a stop, a camera
BEIJING = (116.4100, 39.9100)
STREETS_EW = [("长安街", "Chang'an Avenue", "primary"), ("东华门大街", "Donghuamen Street",
                                                           "secondary"),
              ("金鱼胡同", "Jinyu Hutong", "residential")]
STREETS_NS = [("王府井大街", "Wangfujing Street", "secondary"),
              ("东单北大街", "Dongdan North Street", "primary")]


def write_beijing(path: Path) -> None:
    """Three streets west–east and two south–north, 300 m apart, crossing at shared nodes."""
    root = ET.Element("osm", version="0.6", generator="gridpatrol tests")
    dlon, dlat = 0.0035, 0.0027
    ids = {}
    for i in range(4):
        for j in range(3):
            ids[i, j] = 71000 + 10 * i + j
            ET.SubElement(root, "node", id=str(ids[i, j]), version="1",
                          lon=f"{BEIJING[0] + i * dlon:.7f}", lat=f"{BEIJING[1] + j * dlat:.7f}")
    way = 72000
    for j, (zh, en, highway) in enumerate(STREETS_EW):
        way += 1
        element = ET.SubElement(root, "way", id=str(way), version="1")
        for i in range(4):
            ET.SubElement(element, "nd", ref=str(ids[i, j]))
        for k, v in (("highway", highway), ("name", zh), ("name:zh", zh), ("name:en", en)):
            ET.SubElement(element, "tag", k=k, v=v)
    for i, (zh, en, highway) in zip((1, 2), STREETS_NS, strict=True):
        way += 1
        element = ET.SubElement(root, "way", id=str(way), version="1")
        for j in range(3):
            ET.SubElement(element, "nd", ref=str(ids[i, j]))
        for k, v in (("highway", highway), ("name", zh), ("name:zh", zh), ("name:en", en)):
            ET.SubElement(element, "tag", k=k, v=v)
    for osm_id, dx, dy, tags in (
            (73001, 1.25, 0.15, {"highway": "bus_stop", "public_transport": "platform",
                                 "amenity": "bus_station", "name": "王府井",
                                 "name:en": "Wangfujing"}),
            (73002, 1.1, 0.25, {"man_made": "surveillance", "surveillance:type": "camera",
                                "camera:direction": "120", "camera:angle": "70",
                                "name": "王府井南口"})):
        node = ET.SubElement(root, "node", id=str(osm_id), version="1",
                             lon=f"{BEIJING[0] + dx * dlon:.7f}",
                             lat=f"{BEIJING[1] + dy * dlat:.7f}")
        for k, v in tags.items():
            ET.SubElement(node, "tag", k=k, v=v)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


@pytest.fixture(scope="module")
def cad_scene(live_server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[dict[str, Any]]:
    """A camera aimed down New Change, two units near St Paul's, and the Beijing town."""
    app = live_server["app"]
    folder = tmp_path_factory.mktemp("cad")
    app.config["RADIO_GATEWAY"] = "file:" + str(folder / "out.jsonl")
    beijing = folder / "beijing.osm"
    write_beijing(beijing)
    with app.app_context():
        session = get_session()
        import_osm(session, beijing, reason="browser tests: a Chinese town")
        session.commit()
        admin = session.execute(sa.select(User).where(User.username == "demo-admin")
                                ).scalar_one()
        token = users.issue_token(session, admin, label="cad browser test")
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    camera = client.post("/api/v1/cameras", headers=headers, json={
        "name": "New Change north", "lon": CAMERA[0], "lat": CAMERA[1], "azimuth_deg": 160,
        "fov_deg": 60, "range_m": 90, "kind": "fixed"})
    assert camera.status_code == 201, camera.json
    ids = {}
    for callsign, (lon, lat) in UNITS.items():
        unit = client.post("/api/v1/units", headers=headers, json={
            "callsign": callsign, "kind": "patrol_car", "status": "available"})
        assert unit.status_code == 201, unit.json
        ids[callsign] = unit.json["id"]
        moved = client.post(f"/api/v1/units/{unit.json['id']}/position", headers=headers,
                            json={"lon": lon, "lat": lat})
        assert moved.status_code == 200, moved.json
    first_alert = max([a["id"] for a in client.get("/api/v1/alerts?status=all",
                                                   headers=headers).json["alerts"]] or [0])
    yield {"client": client, "headers": headers, "units": ids, "camera": camera.json}
    # leave the other console tests the scene they expect: these units off duty, these
    # alerts closed
    for unit_id in ids.values():
        changed = client.patch(f"/api/v1/units/{unit_id}", headers=headers,
                               json={"active": False})
        assert changed.status_code == 200, changed.json
    for alert in client.get("/api/v1/alerts", headers=headers).json["alerts"]:
        if alert["id"] > first_alert:
            closed = client.post(f"/api/v1/alerts/{alert['id']}/close", headers=headers,
                                 json={"reason": "end of the CAD browser test"})
            assert closed.status_code == 200, closed.json


def has(css_class: str) -> re.Pattern[str]:
    """A class attribute holding ``css_class`` among others."""
    return re.compile(rf"(^|\s){re.escape(css_class)}(\s|$)")


def placed_labels(page: Page) -> list[str]:
    return page.evaluate("gridpatrol.labels.placed.map(l => l.text)")  # type: ignore[no-any-return]


Box = tuple[float, float, float, float]  # left, top, right, bottom (CSS px)


def label_boxes(page: Page) -> list[Box]:
    """The screen boxes of the labels drawn on the map, as the browser lays them out."""
    rects = page.evaluate("""[...document.querySelectorAll('.gp-label .gp-label-body')]
        .map(e => { const r = e.getBoundingClientRect();
                    return [r.left, r.top, r.right, r.bottom]; })""")
    return [(x, y, r, b) for x, y, r, b in rects]


def overlapping(boxes: list[Box]) -> list[tuple[Box, Box]]:
    """The pairs of boxes whose insides meet (touching along an edge is not overlap)."""
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]


def assert_on_screen(element: Locator, *, head_px: float = 20) -> None:
    """The element is shown, its full width and at least its top ``head_px`` (all of it
    when shorter) inside the window and inside every ancestor that clips its content
    (a panel scrolled past it hides it though its box is still within the window)."""
    seen = element.evaluate("""e => {
        const r = e.getBoundingClientRect();
        let [left, top, right, bottom] = [Math.max(r.left, 0), Math.max(r.top, 0),
            Math.min(r.right, window.innerWidth), Math.min(r.bottom, window.innerHeight)];
        const clips = [];
        for (let p = e.parentElement; p; p = p.parentElement) {
            const style = getComputedStyle(p), q = p.getBoundingClientRect();
            if (style.overflowX !== "visible") {
                left = Math.max(left, q.left); right = Math.min(right, q.right); }
            if (style.overflowY !== "visible") {
                top = Math.max(top, q.top); bottom = Math.min(bottom, q.bottom); }
            if (style.overflowX !== "visible" || style.overflowY !== "visible") {
                clips.push((p.id ? "#" + p.id : p.className) + " " +
                           [q.left, q.top, q.right, q.bottom].join(",")); }
        }
        return {element: e.id || e.className, clips: clips,
                shown: e.checkVisibility({visibilityProperty: true}),
                box: [r.left, r.top, r.right, r.bottom], visible: [left, top, right, bottom],
                window: [window.innerWidth, window.innerHeight]};
    }""")
    (x, y, r, b), (vx, vy, vr, vb) = seen["box"], seen["visible"]
    head = min(head_px, b - y)
    assert seen["shown"] and b > y and r > x, seen
    assert vx <= x + 1 and vr >= r - 1 and vy <= y + 1 and vb - vy >= head - 1, seen


def test_overlapping_finds_what_overlaps() -> None:
    assert overlapping([(0, 0, 10, 10), (9, 9, 20, 20), (10, 0, 20, 9)]) == [
        ((0, 0, 10, 10), (9, 9, 20, 20))]


def test_the_console_opens_on_the_home_area_then_on_the_last_view(
        page: Page, live_server: dict[str, Any]) -> None:
    """Four cities far apart are loaded: the console opens on London (the area with the
    patrol grid), not on a world map; a view the user leaves is where it opens next."""
    open_console(page, live_server, "demo-dispatcher")
    zoom = page.evaluate("gridpatrol.map.getZoom()")
    centre = page.evaluate("[gridpatrol.map.getCenter().lat, gridpatrol.map.getCenter().lng]")
    assert zoom >= 12, f"opened at zoom {zoom}: wider than a city"
    assert 51.45 < centre[0] < 51.56 and -0.2 < centre[1] < 0.0, centre
    expect(page.locator("#gp-home")).to_contain_text("Home")
    page.evaluate("gridpatrol.map.setView([60.1699, 24.9384], 16, {animate: false}) && null")
    # the view is kept half a second after the map settles
    wait_for(page, "Object.keys(localStorage).some(k => k.startsWith('gridpatrol.view.') && "
                   "JSON.parse(localStorage.getItem(k)).zoom === 16)")
    page.reload()
    wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
    assert page.evaluate("gridpatrol.map.getZoom()") == 16
    assert abs(page.evaluate("gridpatrol.map.getCenter().lng") - 24.9384) < 1e-3
    page.keyboard.press("h")  # back home
    assert abs(page.evaluate("gridpatrol.map.getCenter().lng") - 24.9384) > 1


def test_street_names_and_camera_sectors_at_street_zoom(
        page: Page, live_server: dict[str, Any], cad_scene: dict[str, Any],
        artifacts: Path) -> None:
    open_console(page, live_server, "demo-dispatcher")
    page.evaluate("gridpatrol.map.setView([51.5141, -0.0966], 17, {animate: false}) && null")
    wait_for(page, "gridpatrol.labels.placed.some(l => l.text === 'Cheapside')")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "cad-street-london.png"))
    names = placed_labels(page)
    assert {"Cheapside", "New Change"} <= set(names), names
    assert "New Change north" in names  # the camera's name
    kinds = set(page.evaluate("gridpatrol.labels.placed.map(l => l.kind)"))
    assert {"road", "poi", "camera"} <= kinds
    # labels never overlap: the boxes drawn (rotated road names: the box around the turned
    # text) meet at most along an edge
    boxes = label_boxes(page)
    assert len(boxes) == len(names) and all(r > x and b > y for x, y, r, b in boxes), boxes
    assert overlapping(boxes) == [], overlapping(boxes)
    # the camera's field of view is drawn: its sector and its coverage
    wait_for(page, f"gridpatrol.layers.cameras.getLayers().some(g => g.feature && "
                   f"g.feature.id === {cad_scene['camera']['id']} && "
                   "g.getLayers().length === 3)")  # coverage, sector outline, position
    sectors = page.evaluate("gridpatrol.layers.cameras.getLayers().filter(g => g.feature && "
                            "g.feature.properties.sector).length")
    assert sectors >= 1
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "cad-street-london.png"))
    # below street zoom no labels are drawn
    page.evaluate("gridpatrol.map.setZoom(14, {animate: false}) && null")
    wait_for(page, "gridpatrol.labels.placed.length === 0")


def test_chinese_and_latin_street_names_in_the_served_font(
        page: Page, live_server: dict[str, Any], cad_scene: dict[str, Any],
        artifacts: Path) -> None:
    fonts: list[str] = []
    page.on("response", lambda r: fonts.append(r.url) if "/static/fonts/" in r.url
            and r.status == 200 else None)
    open_console(page, live_server, "demo-dispatcher")
    lat, lon = BEIJING[1] + 0.0014, BEIJING[0] + 0.0055
    page.evaluate(f"gridpatrol.map.setView([{lat}, {lon}], 17, {{animate: false}}) && null")
    wait_for(page, "gridpatrol.labels.placed.some(l => l.text === '长安街')")
    names = placed_labels(page)
    assert {"长安街", "王府井大街", "王府井"} <= set(names), names
    # the English name under the Chinese one (the page is in English)
    expect(page.locator(".gp-label-secondary", has_text="Chang'an Avenue")).to_be_visible()
    assert "王府井南口" in names  # the OSM camera's name
    wait_for(page, "document.fonts.check('12px \"GridPatrol CJK\"', '长安街') && "
                   "[...document.fonts].some(f => f.family.includes('GridPatrol CJK') && "
                   "f.status === 'loaded')")
    assert fonts, "the Chinese label font was not fetched from this server"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "cad-street-chinese.png"))


def test_the_alert_names_its_place_draws_its_scene_and_stands_out(
        page: Page, live_server: dict[str, Any], cad_scene: dict[str, Any],
        artifacts: Path) -> None:
    open_console(page, live_server, "demo-dispatcher")
    wait_for(page, "gridpatrol.dispatchReady === true && gridpatrol.live === true")
    page.evaluate(f"gridpatrol.map.setView([{SCENE[1]}, {SCENE[0]}], 17, "
                  "{animate: false}) && null")
    near = cad_scene["units"]["CAD-NEAR"]
    wait_for(page, f"gridpatrol.dispatch.units[{near}] !== undefined")
    page.keyboard.press("a")
    click_map_at(page, *SCENE)
    form = page.locator(".gp-alert-form")
    form.locator("input[name=kind]").fill("robbery")
    form.locator("button").click()

    place = page.locator("#gp-alert-place")
    # the first alert of a fresh server builds the road graph (seconds on a loaded machine)
    expect(place).to_contain_text("New Change, ", timeout=30_000)
    expect(place).to_contain_text("New Change / Cannon Street (bus station)")
    # the current alert stands out: listed first and highlighted, its marker pulsing
    alert_id = page.evaluate("gridpatrol.dispatch.current().id")
    expect(page.locator(f"#gp-alerts-list li[data-alert-id='{alert_id}']")
           ).to_have_class(has("current"))
    expect(page.locator(f"path.gp-alert-{alert_id}")).to_have_class(has("gp-alert-current"))
    # the cameras that see the place are drawn with their field of view and named
    expect(page.locator("#gp-cameras")).to_contain_text("New Change north")
    assert page.evaluate("gridpatrol.scene.wedges") >= 1
    wait_for(page, "gridpatrol.labels.placed.some(l => l.text === 'New Change north')")
    # hovering a recommended unit draws its road route to the place
    unit_row = page.locator(f"#gp-units li[data-unit-id='{near}']")
    unit_row.hover()
    wait_for(page, f"gridpatrol.scene.route && gridpatrol.scene.route.unit === {near}")
    assert page.evaluate("gridpatrol.scene.route.points") >= 2
    expect(unit_row).to_have_class(has("gp-route-shown"))
    # the radio log and the alert stay on screen: inside the window, and not scrolled out
    # of (or cut off by) a panel that holds them
    for selector in ("#gp-radio", "#gp-alert-place", "#gp-alerts"):
        assert_on_screen(page.locator(selector))
    page.screenshot(path=str(artifacts / "cad-alert-place.png"))

    unit_row.locator("button.gp-dispatch").click()
    order = page.locator("#gp-radio-list li[data-kind=dispatch_order]").last
    expect(order).to_contain_text("DISPATCH CAD-NEAR")
    expect(order).to_contain_text("at New Change, ")
    expect(page.locator("#gp-units")).not_to_contain_text("CAD-NEAR")  # left the list
    # L brings the radio log forward (larger, focused), and back
    radio = page.locator("#gp-radio")
    before = radio.bounding_box()
    page.locator("#map-search").blur()
    page.keyboard.press("l")
    expect(radio).to_have_attribute("aria-expanded", "true")
    expect(radio).to_be_focused()
    after = radio.bounding_box()
    assert before is not None and after is not None and after["height"] > before["height"] * 2
    page.keyboard.press("l")
    expect(radio).to_have_attribute("aria-expanded", "false")

    # a new alert from elsewhere stands out until it is opened
    client, headers = cad_scene["client"], cad_scene["headers"]
    other = client.post("/api/v1/alerts", headers=headers, json={
        "lon": -0.1000, "lat": 51.5150, "level": "orange", "kind": "fight"})
    assert other.status_code == 201, other.json
    row = page.locator(f"#gp-alerts-list li[data-alert-id='{other.json['id']}']")
    expect(row).to_have_class(has("new"))
    expect(row.locator(".gp-badge")).to_be_visible()
    marker = page.locator(f"path.gp-alert-{other.json['id']}")
    expect(marker).to_have_class(has("gp-alert-new"))
    row.click()
    expect(page.locator("#gp-alert")).to_have_attribute("data-alert-id", str(other.json["id"]))
    expect(row).to_have_class(has("current"))
    expect(row).not_to_have_class(has("new"))
    expect(marker).to_have_class(has("gp-alert-current"))


def test_the_chinese_console_names_the_place_in_chinese(
        page: Page, live_server: dict[str, Any], cad_scene: dict[str, Any],
        artifacts: Path) -> None:
    client, headers = cad_scene["client"], cad_scene["headers"]
    lon, lat = BEIJING[0] + 0.0035 + 0.00008, BEIJING[1] + 0.00005  # by 长安街 × 王府井大街
    raised = client.post("/api/v1/alerts", headers=headers, json={
        "lon": lon, "lat": lat, "level": "red", "kind": "抢劫"})
    assert raised.status_code == 201, raised.json
    assert raised.json["place"]["kind"] == "junction"
    open_console(page, live_server, "demo-dispatcher")
    with page.expect_navigation():
        page.select_option("#locale", "zh_CN")
    wait_for(page, "window.gridpatrol && gridpatrol.dispatchReady === true")
    page.evaluate(f"gridpatrol.dispatch.openAlert({raised.json['id']}) && null")
    place = page.locator("#gp-alert-place")
    expect(place).to_contain_text("长安街与王府井大街交叉口")
    expect(place).to_contain_text("王府井（公交站）")
    page.evaluate(f"gridpatrol.map.setView([{lat}, {lon}], 17, {{animate: false}}) && null")
    wait_for(page, "gridpatrol.labels.placed.some(l => l.text === '长安街')")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "cad-alert-place-zh.png"))

    # the kind and status by their Chinese labels — in the panel, the list and the order —
    # a kind that is no code as typed, and no raw code left
    robbery = client.post("/api/v1/alerts", headers=headers, json={
        "lon": lon, "lat": lat, "level": "orange", "kind": "robbery"}).json["id"]
    page.evaluate(f"gridpatrol.dispatch.openAlert({robbery}) && null")
    panel = page.locator("#gp-alert")
    expect(panel).to_have_attribute("data-alert-id", str(robbery))
    expect(panel.locator("h2")).to_have_text(f"#{robbery} 橙色 · 抢劫抢夺")
    expect(panel.locator(".gp-alert-status")).to_have_text("状态: 待处置")
    sent = client.post(f"/api/v1/alerts/{robbery}/dispatch", headers=headers, json={
        "unit_ids": [cad_scene["units"]["CAD-FAR"]], "reassign": True})
    assert sent.status_code == 200, sent.json
    expect(panel.locator(".gp-alert-status")).to_have_text("状态: 已派警")
    order = page.locator("#gp-radio-list li[data-kind=dispatch_order]").last
    expect(order).to_contain_text(f"派遣 CAD-FAR 前往橙色警情 #{robbery} 抢劫抢夺 位置")
    expect(order).to_contain_text(f"alert #{robbery} Robbery at")  # the English half
    rows = page.locator("#gp-alerts-list")
    expect(rows.locator(f"li[data-alert-id='{robbery}']")).to_contain_text("抢劫抢夺")
    expect(rows.locator(f"li[data-alert-id='{raised.json['id']}']")).to_contain_text(
        "红色 · 抢劫")
    shown = " ".join([*page.locator("#gp-alert header").all_inner_texts(),
                      *rows.all_inner_texts(), order.inner_text()])
    assert not re.findall(r"\b(?:robbery|open|dispatched|queued|sent|delivered)\b", shown)
    with page.expect_navigation():
        page.select_option("#locale", "en")
