"""No script injection on the evidence, coverage, placement and series pages: the attack
town's camera, area, grid cell and incident names, and attacks typed as reasons and series
names, are shown as text in chromium and nothing of them runs (the detectors of
test_no_script_injection.py)."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.browser.support import wait_for
from tests.browser.test_no_script_injection import (  # noqa: F401 - fixtures
    OPEN_TOOLTIPS,
    Watched,
    assert_nothing_ran,
    missing,
    sign_in,
    town,
    watched,
)
from tests.browser.xss_scene import Api, admin_token, node, payloads


def test_an_evidence_plan_shows_camera_names_and_the_reason_as_text(
        watched: Watched, town: dict[str, Any]) -> None:  # noqa: F811 - the fixtures
    page, planted = watched.page, town["planted"]
    cameras = [payloads("CN1")["img"], payloads("CC1")["close"], payloads("CC2")["svg"],
               payloads("CC3")["template"]]
    assert set(cameras) <= set(planted.console)
    reason = payloads("ER1")["script"]
    sign_in(page, town, "demo-dispatcher", "/evidence")
    wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
    start = node(1, 0)
    way = {"type": "LineString", "coordinates": [list(start), list(node(1, 2)),
                                                 list(node(3, 2))]}
    page.fill("#start-lon", str(start[0]))
    page.fill("#start-lat", str(start[1]))
    page.locator("#start-lat").dispatch_event("change")
    page.check("input[name=way][value=file]")
    page.set_input_files("#path-file", files=[{
        "name": "way.geojson", "mimeType": "application/geo+json",
        "buffer": json.dumps(way).encode()}])
    expect(page.locator("#file-state")).to_contain_text("way.geojson")
    page.fill("#start-at", "2025-03-01T21:14")
    page.fill("#reason", reason)
    page.click("#find-cameras")
    wait_for(page, "gridpatrol.evidence && gridpatrol.evidence.plan")
    assert missing(page, cameras) == []
    assert_nothing_ran(watched)
    with page.expect_navigation():
        page.click("#plan-sheet")
    expect(page.locator("#sheet-summary")).to_contain_text(reason)
    assert missing(page, [*cameras, reason]) == []
    assert_nothing_ran(watched)


def test_series_coverage_and_placement_pages_show_names_as_text(
        watched: Watched, town: dict[str, Any]) -> None:  # noqa: F811 - the fixtures
    page, planted = watched.page, town["planted"]
    api = Api(town["app"], admin_token(town["app"]))
    found = api("GET", "/api/v1/series/incidents?q=IN1")
    assert found["features"], "the town's incidents carry IN1 in their address"
    name, notes = payloads("SN1")["img"], payloads("SN2")["close"]
    address = payloads("IN1")["img"]
    series = api("POST", "/api/v1/series", json={
        "name": name, "notes": notes, "reason": payloads("SR1")["attr"],
        "incident_ids": [f["properties"]["id"] for f in found["features"][:12]]})
    sign_in(page, town, "demo-analyst", "/analysis/series")
    page.fill("#series-filter input[name=q]", "IN1")
    page.click("#find-incidents")
    wait_for(page, "gridpatrol.series && gridpatrol.series.found > 0")
    assert missing(page, [address, name]) == []
    assert_nothing_ran(watched)
    page.goto(f"{town['url']}/analysis/series/{series['id']}")
    wait_for(page, "gridpatrol.seriesView && gridpatrol.seriesView.incidents > 0")
    expect(page.locator("#series-title")).to_have_text(name)
    page.evaluate(OPEN_TOOLTIPS + "([gridpatrol.seriesCorridors, gridpatrol.seriesEllipse])")
    assert missing(page, [name, notes, address]) == []
    assert_nothing_ran(watched)
    page.goto(f"{town['url']}/evidence/coverage")
    wait_for(page, "gridpatrol.network && gridpatrol.network.cells > 0", timeout_s=60)
    page.evaluate(OPEN_TOOLTIPS + "([gridpatrol.coverageCells])")
    shown_cells = [n for n in planted.grid_names if n in page.evaluate(
        "document.body.innerText")]
    assert shown_cells, "the figures table names the town's cells"
    assert missing(page, planted.analysis[:1]) == []  # the area, in the select
    assert_nothing_ran(watched)
    page.goto(f"{town['url']}/evidence/placement")
    expect(page.locator("#placement-form select[name=area] option").first).to_have_text(
        planted.analysis[0])
    assert_nothing_ran(watched)
