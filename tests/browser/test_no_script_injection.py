"""No script injection anywhere: attacks planted in every user- and data-supplied field
(tests/browser/xss_scene.py: API, radio gateway, CSV, OSM and GeoJSON imports) are shown
as text on every page that shows them, in chromium, and nothing of them runs.

Two independent detectors watch each page: the escaping (no element with an event-handler
attribute or a javascript: URL, no script without a nonce, no dialog, ``window.__xss``
never set — each payload would set it or open an alert) and the Content-Security-Policy
(no violation in the console, none reported to /csp-report). The first test shows both
detectors fire on a real injection, so their silence elsewhere means something.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from app.cli.demo import ensure_demo_users
from app.csp_reports import recent_reports, report_count
from app.db import engine, get_session
from tests.browser.conftest import closed_before_served, job_worker
from tests.browser.support import wait_for, watch_csp
from tests.browser.xss_scene import SHORT_ATTACKS, node, payloads, plant_everything
from tests.conftest import make_app, scratch_database

# Every element with an event handler or a javascript: URL, every script without a nonce,
# every frame or base: what an injection would leave in the DOM.
INJECTED = """(() => {
  const found = [];
  for (const e of document.querySelectorAll('*')) {
    for (const a of e.attributes) {
      if (a.name.startsWith('on')) { found.push(e.tagName + ' ' + a.name); }
      if (/^(href|src|action|formaction|xlink:href)$/.test(a.name) &&
          /^\\s*javascript:/i.test(a.value)) { found.push(e.tagName + ' ' + a.name); }
    }
    if (e.tagName === 'SCRIPT' && !e.src && !e.nonce) { found.push('SCRIPT, no nonce'); }
    if (['IFRAME', 'OBJECT', 'EMBED', 'BASE', 'FRAME'].includes(e.tagName)) {
      found.push(e.tagName);
    }
  }
  return found;
})()"""
# The page's text nodes (scripts and styles left out), tooltips and popups included.
SHOWN = """(() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (parent && !['SCRIPT', 'STYLE'].includes(parent.tagName)) { parts.push(n.data); }
  }
  return parts.join('\\n');
})()"""
OPEN_TOOLTIPS = """(groups => {
  const open = l => {
    if (l.getTooltip && l.getTooltip()) { l.openTooltip(); }
    if (l.eachLayer) { l.eachLayer(open); }
  };
  groups.forEach(g => g && open(g));
  return true;
})"""


@dataclass
class Watched:
    """A page and what its detectors saw."""

    page: Page
    app: Any
    dialogs: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    allowed_hosts: set[str] = field(default_factory=set)
    reports_seen: int = 0


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live server on its own database holding the attack town (nothing leaks into the
    other browser tests' data)."""
    folder = tmp_path_factory.mktemp("xss")
    with scratch_database("xss") as info:
        app = make_app(info)
        with app.app_context():
            logins = ensure_demo_users(get_session(), folder / "logins.json")
        planted = plant_everything(app, folder)
        server = make_server("127.0.0.1", 0, closed_before_served(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with job_worker(info.app_url):
                yield {"url": f"http://127.0.0.1:{server.server_port}", "logins": logins,
                       "app": app, "planted": planted}
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            engine(app).dispose()


@pytest.fixture
def watched(browser: Browser, town: dict[str, Any]) -> Iterator[Watched]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    w = Watched(page, town["app"], allowed_hosts={urlsplit(town["url"]).netloc, ""},
                reports_seen=report_count(town["app"]))
    w.csp = watch_csp(page)
    page.on("request", lambda r: w.foreign.append(r.url)
            if urlsplit(r.url).netloc not in w.allowed_hosts else None)
    page.on("pageerror", lambda error: w.errors.append(str(error)))
    page.on("response", lambda r: w.errors.append(f"{r.status} {r.url}")
            if r.status >= 500 else None)

    def dialog(d: Any) -> None:
        w.dialogs.append(d.message)
        d.dismiss()
    page.on("dialog", dialog)
    yield w
    context.close()
    assert w.foreign == [], f"requests left the machine: {w.foreign}"
    assert w.errors == [], f"script errors or server errors: {w.errors}"
    assert w.dialogs == [], f"a payload opened a dialog: {w.dialogs}"
    assert w.csp == [], f"Content-Security-Policy violations: {w.csp}"


def sign_in(page: Page, town: dict[str, Any], username: str, path: str = "/") -> None:
    page.goto(town["url"] + "/login?next=" + quote(path))
    page.fill("#username", username)
    page.fill("#password", town["logins"][username])
    with page.expect_navigation():  # to the page loaded, its deferred scripts run
        page.click("#sign-in")


def shown(page: Page) -> str:
    return str(page.evaluate(SHOWN))


def missing(page: Page, expected: list[str]) -> list[str]:
    text = shown(page)
    return [e for e in expected if e not in text]


def settle(w: Watched, condition: Any, what: str, *, timeout_s: float = 10.0) -> None:
    """Let the page run (and its events reach Python) until ``condition()`` holds."""
    for _ in range(int(timeout_s * 20)):
        if condition():
            return
        w.page.wait_for_timeout(50)
    raise AssertionError(f"{what}: still not the case after {timeout_s:g} s")


def flush_reports(w: Watched) -> list[dict[str, str]]:
    """Make one known violation (an inline script marked with a fresh id) and wait until
    its report is in: chromium sends a document's reports in order, so every report of
    what happened before is in too. Returns the other reports since the last flush."""
    marker = uuid.uuid4().hex[:16]
    console_before = len(w.csp)
    w.page.evaluate(f"(() => {{ const s = document.createElement('script'); "
                    f"s.textContent = '/*flush-{marker}*/'; document.body.appendChild(s); "
                    f"return true; }})()")
    settle(w, lambda: any(marker in r.get("script-sample", "")
                          for r in recent_reports(w.app)),
           "the marker violation was reported (else reporting is broken)")
    settle(w, lambda: len(w.csp) > console_before, "chromium logged the marker violation")
    fresh = report_count(w.app) - w.reports_seen
    others = [r for r in recent_reports(w.app)[-fresh:]
              if marker not in r.get("script-sample", "")]
    w.reports_seen += fresh
    del w.csp[console_before:]  # the marker's own console line
    return others


def assert_nothing_ran(w: Watched) -> None:
    page = w.page
    assert w.csp == [], f"Content-Security-Policy violations: {w.csp}"
    assert page.evaluate("typeof window.__xss") == "undefined", page.evaluate("window.__xss")
    assert w.dialogs == []
    assert page.evaluate(INJECTED) == []
    assert flush_reports(w) == []


def test_the_detectors_fire_on_a_real_injection(watched: Watched, town: dict[str, Any]) -> None:
    """The control: markup parsed from a string (what the old tooltips did) is caught by
    the DOM check, blocked by the CSP, logged by chromium and reported to the server."""
    page = watched.page
    page.goto(town["url"] + "/login")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', "
                  "'<img src=x onerror=\"window.__xss=1\">') || true")
    assert page.evaluate(INJECTED) == ["IMG onerror"]
    settle(watched, lambda: watched.csp != [], "chromium logged the blocked handler")
    assert page.evaluate("typeof window.__xss") == "undefined"  # the CSP held
    reports = flush_reports(watched)
    assert any("window.__xss" in r.get("script-sample", "") for r in reports), reports
    watched.csp.clear()


def test_the_console_shows_every_planted_name_as_text(watched: Watched,
                                                      town: dict[str, Any]) -> None:
    page, planted = watched.page, town["planted"]
    sign_in(page, town, "demo-admin")
    wait_for(page, "window.gridpatrol && gridpatrol.dispatchReady === true")
    lon, lat = node(2, 2)
    page.evaluate(f"gridpatrol.map.setView([{lat}, {lon}], 16, {{animate: false}}) && null")
    for layer in ("grids", "pois", "cameras"):
        page.evaluate(f"gridpatrol.map.addLayer(gridpatrol.layers.{layer}) && null")
        wait_for(page, f"gridpatrol.layers.{layer}.getLayers().length > 0")
    wait_for(page, "gridpatrol.layers.areas.getLayers().length > 0")
    remaining = list(planted.console)

    # a real hover on an alert marker shows its kind; a click opens it in the panel
    first = planted.alert_ids[0]
    kind = payloads("AK0")["img"]
    page.hover(f"path.gp-alert-{first}", force=True)
    expect(page.locator(".leaflet-tooltip", has_text=kind)).to_be_visible()
    page.click(f"path.gp-alert-{first}", force=True)
    expect(page.locator("#gp-alert h2")).to_contain_text(kind)
    remaining = missing(page, remaining)
    for alert_id in planted.alert_ids[1:]:
        page.evaluate(f"gridpatrol.dispatch.openAlert({alert_id}) && null")
        expect(page.locator("#gp-alert")).to_have_attribute("data-alert-id", str(alert_id))
        remaining = missing(page, remaining)
        assert page.evaluate(INJECTED) == []

    # every tooltip of every layer open at once: areas, grids, POIs, cameras, alerts
    page.evaluate(OPEN_TOOLTIPS + "([gridpatrol.layers.areas, gridpatrol.layers.grids, "
                  "gridpatrol.layers.pois, gridpatrol.layers.cameras, "
                  "...Object.values(gridpatrol.dispatch.alerts)])")
    remaining = missing(page, remaining)
    assert remaining == [], remaining

    # a grid cell's edit form (the cell under the centre: no pan, which would reload the
    # layer and close the popup), a camera's popup (a click on the map), the search box
    name = page.evaluate("(() => { const l = gridpatrol.layers.grids.getLayers().find("
                         "g => g.getBounds().contains(gridpatrol.map.getCenter())); "
                         "l.openPopup(); return l.feature.properties.name; })()")
    assert name in planted.grid_names
    form = page.locator(".gp-grid-form")
    expect(form.locator("input[name=name]")).to_have_value(name)
    expect(form.locator("input[name=assigned_to]")).to_have_value(payloads("GA1")["script"])
    assert page.evaluate(INJECTED) == []
    page.keyboard.press("Escape")
    for layer in ("grids", "pois"):  # nothing drawn over the cameras
        page.evaluate(f"gridpatrol.map.removeLayer(gridpatrol.layers.{layer}) && null")
    lon, lat = node(2, 2)
    page.evaluate("window.camerasLoaded = false; gridpatrol.layers.cameras.once('gp:loaded', "
                  "() => { window.camerasLoaded = true; }) && null")
    page.evaluate(f"gridpatrol.map.setView([{lat + 0.0001}, {lon}], 19, {{animate: false}})"
                  " && null")
    wait_for(page, "window.camerasLoaded")  # the cameras of this view, drawn
    point = page.evaluate(f"(() => {{ const p = gridpatrol.map.latLngToContainerPoint("
                          f"[{lat + 0.0001}, {lon + 0.0002}]); const r = gridpatrol.map"
                          f".getContainer().getBoundingClientRect(); "
                          f"return [r.left + p.x, r.top + p.y]; }})()")
    page.mouse.click(point[0], point[1])  # a camera inside an area: the camera answers
    popup = page.locator(".gp-camera-popup")
    expect(popup).to_contain_text(payloads("CC3")["template"])
    for query, expected in planted.search.items():
        page.fill("#map-search", query)
        hit = page.locator("#map-search-results li", has_text=expected)
        expect(hit).to_be_visible()
        hit.click()
        expect(page.locator(".gp-search-popup", has_text=expected)).to_be_visible()
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "test-artifacts"
                             / "xss-console.png"))
    assert_nothing_ran(watched)


def test_planning_page_and_route_sheets_show_names_as_text(watched: Watched,
                                                           town: dict[str, Any]) -> None:
    page, planted = watched.page, town["planted"]
    sign_in(page, town, "demo-supervisor",
            f"/planning?date={planted.day.isoformat()}&shift=day")
    wait_for(page, "window.gridpatrol && gridpatrol.planLayers && gridpatrol.pointsLayer "
                   "&& gridpatrol.pointsLayer.getLayers().length > 0")
    expect(page.locator("#roster")).to_contain_text(payloads("ST1")["close"])
    page.evaluate(OPEN_TOOLTIPS + "([...gridpatrol.planLayers, gridpatrol.pointsLayer])")
    assert missing(page, planted.planning) == []
    expect(page.locator(".leaflet-control-layers")).to_contain_text(SHORT_ATTACKS[0])
    assert_nothing_ran(watched)
    sheets, titles = "", []
    for route_id in planted.route_ids:
        page.goto(f"{town['url']}/planning/routes/{route_id}/sheet")
        titles.append(page.locator("#sheet-title").inner_text())
        assert_nothing_ran(watched)
        sheets += shown(page)
    assert all(any(c in t for c in planted.callsigns) for t in titles), titles
    assert payloads("ST1")["close"] in sheets  # every route starts at the station
    assert any(p in sheets for p in planted.points), "no must-visit point on any sheet"
    # what the inline handlers did still works: Print (page.js), the day picker
    page.evaluate("window.print = () => { window.printed = true; }")
    page.click("a.print")
    assert page.evaluate("window.printed === true")
    page.goto(f"{town['url']}/planning?date={planted.day.isoformat()}")
    other = (planted.day + timedelta(days=1)).isoformat()
    with page.expect_navigation():  # the day picker (flatpickr) sets the day and submits
        page.evaluate(f"document.querySelector('#day-form input[name=date]')"
                      f"._flatpickr.setDate('{other}', true) && null")
    assert f"date={other}" in page.url
    assert_nothing_ran(watched)


def test_analysis_pages_show_area_cell_and_result_names_as_text(watched: Watched,
                                                               town: dict[str, Any]) -> None:
    page, planted = watched.page, town["planted"]
    area = planted.analysis[0]
    query = urlencode({"run": 1, "method": "gi_star", "cell_m": 250, "permutations": 99,
                       "area": area})
    sign_in(page, town, "demo-analyst", "/analysis?" + query)
    expect(page.locator("#top-cells")).to_be_visible()
    expect(page.locator("#analysis-form select[name=area] option:checked")).to_have_text(area)
    names = page.locator("#top-cells tr td:first-child").all_inner_texts()
    assert names and all(n in planted.grid_names for n in names), names
    wait_for(page, "window.gridpatrol && gridpatrol.hotspotLayer")
    page.evaluate(OPEN_TOOLTIPS + "([gridpatrol.hotspotLayer])")
    expect(page.locator("#hotspot-legend")).to_contain_text("Getis-Ord Gi*")
    assert_nothing_ran(watched)
    page.fill("#save-form input[name=name]", planted.result_name)
    page.click("#save-form button")
    expect(page.locator("h1")).to_have_text(planted.result_name)
    expect(page.locator(".flash")).to_contain_text(planted.result_name)
    assert_nothing_ran(watched)
    page.goto(town["url"] + "/analysis")
    expect(page.locator("ul.saved")).to_contain_text(planted.result_name)
    assert_nothing_ran(watched)
    # the kernel-density surface is a data: image, its legend built as text
    page.goto(town["url"] + "/analysis?" + urlencode({"run": 1, "method": "kde",
                                                      "cell_m": 250, "area": area}))
    expect(page.locator("#hotspot-legend .swatch")).to_have_count(5)
    wait_for(page, "(() => { const i = document.querySelector('#analysis-map "
                   "img.leaflet-image-layer'); return i && i.complete && i.naturalWidth > 0; })()")
    assert_nothing_ran(watched)


def test_the_audit_page_shows_reasons_as_text(watched: Watched, town: dict[str, Any]) -> None:
    page, planted = watched.page, town["planted"]
    sign_in(page, town, "demo-admin", "/admin/audit?limit=1000")
    expect(page.locator("#audit-table")).to_be_visible()
    assert missing(page, planted.audit) == []
    assert_nothing_ran(watched)


def test_reflected_input_is_text_too(watched: Watched, town: dict[str, Any]) -> None:
    """What a crafted link puts in a page: filter fields, the sign-in page's next, the
    text of an error."""
    page = watched.page
    attack = payloads("RF1")
    page.goto(town["url"] + "/login?next=" + quote(attack["script"]))
    expect(page.locator("main input[name=next]")).to_have_value(attack["script"])
    assert_nothing_ran(watched)
    sign_in(page, town, "demo-admin", "/admin/audit?" + urlencode(
        {"actor": attack["script"], "action": attack["attr"], "object_id": attack["img"]}))
    expect(page.locator("input[name=actor]")).to_have_value(attack["script"])
    expect(page.locator("input[name=action]")).to_have_value(attack["attr"])
    assert_nothing_ran(watched)
    page.goto(town["url"] + "/analysis?" + urlencode({"run": 1, "area": attack["img"]}))
    expect(page.locator("#analysis-error")).to_contain_text(attack["img"].replace("'", "\\'"))
    assert_nothing_ran(watched)
    page.goto(town["url"] + "/analysis?" + urlencode({"run": 1, "cell_m": attack["close"]}))
    expect(page.locator("#analysis-error")).to_contain_text("cell_m")
    assert_nothing_ran(watched)
    page.goto(town["url"] + "/planning?" + urlencode({"date": attack["img"]}))
    expect(page.locator("section.error h1")).to_have_text("400")
    assert_nothing_ran(watched)


class TileServer(BaseHTTPRequestHandler):
    """An online tile server on another loopback port: a small PNG for every tile."""

    hits = 0
    PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4"
                        "890000000d4944415478da63f8cfc0f01f0005000201a5d1c6d40000000049454e"
                        "44ae426082")

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.PNG)))
        self.end_headers()
        self.wfile.write(self.PNG)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_online_tile_layer_loads_under_the_policy(watched: Watched,
                                                      town: dict[str, Any]) -> None:
    """GRIDPATROL_ONLINE_TILES_URL on another origin: its images pass the CSP (img-src
    names that origin) and nothing else does."""
    tiles = ThreadingHTTPServer(("127.0.0.1", 0), TileServer)
    thread = threading.Thread(target=tiles.serve_forever, daemon=True)
    thread.start()
    origin = f"127.0.0.1:{tiles.server_port}"
    app = town["app"]
    app.config["ONLINE_TILES_URL"] = f"http://{origin}/{{z}}/{{x}}/{{y}}.png"
    watched.allowed_hosts.add(origin)
    try:
        page = watched.page
        sign_in(page, town, "demo-viewer")
        wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
        page.locator(".leaflet-control-layers label", has_text="Online tiles").click()
        wait_for(page, "document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
        assert TileServer.hits > 0
        assert_nothing_ran(watched)
    finally:
        app.config["ONLINE_TILES_URL"] = None
        tiles.shutdown()
        thread.join(timeout=10)
        tiles.server_close()


def test_the_plate_search_page_shows_checkpoint_and_vehicle_words_as_text(
        watched: Watched, town: dict[str, Any]) -> None:
    """Checkpoint names and the free-text fields of passage records (direction, vehicle
    type and colour) reach the form, the map's tooltips and the tables as text."""
    from datetime import UTC, datetime

    from app.auth import users
    from app.passages.checkpoints import add_checkpoint
    from app.passages.importing import import_passages
    from dispatch.checkpoints.sites import CheckpointInput

    page = watched.page
    names = payloads("kk")
    direction, vehicle = SHORT_ATTACKS[0], SHORT_ATTACKS[1]
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    with town["app"].test_request_context():
        session = get_session()
        admin = users.find_user(session, "demo-admin")
        for code, name, (lon, lat) in (("X1", names["img"], node(0, 0)),
                                       ("X2", names["close"], node(4, 4))):
            add_checkpoint(session, CheckpointInput(code=code, name=name, lon=lon, lat=lat,
                                                    directions=[direction]), actor=admin)
        text = "卡口编号,过车时间,号牌号码,方向,车辆类型,车身颜色\n" + "".join(
            f"{code},{(start + timedelta(minutes=m)).isoformat()},粤B00001,\"{direction}\","
            f"\"{vehicle}\",<b>x</b>\n" for code, m in (("X1", 0), ("X2", 20)))
        import_passages(session, text.encode(), name="xss.csv", actor=admin)
        session.commit()
    sign_in(page, town, "demo-analyst", "/passages")
    expect(page.locator("#plate-checkpoints option")).to_have_count(2)
    page.fill("#plate", "粤B00001")
    page.fill("#plate-from", (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#plate-to", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#plate-reason", names["template"])
    page.click("#plate-search")
    expect(page.locator("#results-table tbody tr")).to_have_count(2)
    page.locator("#results-table button.trace-plate").first.click()
    expect(page.locator("#legs-table tbody tr")).to_have_count(1, timeout=60_000)
    assert missing(page, [names["img"], names["close"], direction, vehicle, "<b>x</b>"]) == []
    assert_nothing_ran(watched)
