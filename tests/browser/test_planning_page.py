"""A supervisor plans tomorrow's day shift for a few grid cells in chromium, sees the routes
on the map and opens a route sheet."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.auth import users
from app.db import get_session
from app.planning.points import PointInput, create_point, propose_from_pois
from app.planning.repository import grid_codes
from app.planning.roster import StationInput, save_station, write_roster
from patrol.roster import parse_roster_json
from tests.browser.support import wait_for
from tests.browser.test_login_language import sign_in

SPOTS = {"Bread Street": (-0.0945, 51.5128), "Cheapside": (-0.0935, 51.5140),
         "Foster Lane": (-0.0968, 51.5152), "Gresham Street": (-0.0935, 51.5158)}


def prepare_tomorrow(live_server: dict[str, Any]) -> list[str]:
    """Two units at a station, four must-visit points and a roster for tomorrow's day
    shift over the 250 m cells around them; returns the cell codes."""
    tomorrow = date.today() + timedelta(days=1)
    with live_server["app"].test_request_context():
        session = get_session()
        codes = list(session.execute(sa.text(
            "SELECT DISTINCT code FROM grid_cells, unnest(CAST(:xs AS float8[]), "
            "CAST(:ys AS float8[])) AS s(x, y) WHERE cell_m = 250 AND "
            "ST_Covers(geom, ST_SetSRID(ST_MakePoint(s.x, s.y), 4326)) ORDER BY code"),
            {"xs": [x for x, _ in SPOTS.values()], "ys": [y for _, y in SPOTS.values()]}
        ).scalars())
        exists = session.execute(sa.text("SELECT count(*) FROM units WHERE callsign = 'PL-1'")
                                 ).scalar_one()
        if not exists:
            admin = users.find_user(session, "demo-admin")
            for callsign in ("PL-1", "PL-2"):
                session.execute(sa.text(
                    "INSERT INTO units (callsign, kind) VALUES (:c, 'patrol_car')"),
                    {"c": callsign})
            save_station(session, StationInput(name="Wood Street (test)", lon=-0.0975,
                                               lat=51.5160, units=["PL-1", "PL-2"]),
                         actor=admin)
            for name, (lon, lat) in SPOTS.items():
                create_point(session, PointInput(name=name, lon=lon, lat=lat, dwell_min=10,
                                                 windows=[{"weekdays": "daily",
                                                           "start": "09:00",
                                                           "end": "15:00"}]), actor=admin)
        parsed = parse_roster_json([{"date": tomorrow.isoformat(), "shift": "day",
                                     "unit": u, "grids": codes} for u in ("PL-1", "PL-2")])
        result = write_roster(session, parsed)
        assert result.errors == [], result.errors
        session.commit()
    return codes


def test_a_supervisor_plans_tomorrow_and_opens_a_route_sheet(
        page: Page, live_server: dict[str, Any], artifacts: Path) -> None:
    codes = prepare_tomorrow(live_server)
    assert len(codes) >= 2
    sign_in(page, live_server, "demo-supervisor")
    page.click("#nav-planning")
    expect(page.locator("h1")).to_have_text("Patrol planning")
    expect(page.locator("#roster")).to_contain_text("PL-1")
    # a must-visit point added on the map: button, click the place, fill the form
    wait_for(page, "window.gridpatrol && gridpatrol.pointsLayer")
    page.evaluate("gridpatrol.map.setView([51.5143, -0.0950], 17, {animate: false}) && null")
    page.click("#add-point")
    box = page.locator("#plan-map .leaflet-container").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    form = page.locator("#point-form")
    form.locator("input[name=name]").fill("Map point")
    form.locator("input[name=windows]").fill("daily 09:00-15:00")
    form.locator("button").click()
    expect(page.locator("#add-point-hint")).to_have_text("Saved.", timeout=20_000)
    wait_for(page, "gridpatrol.pointsLayer.getLayers().some("
                   "l => l.feature.properties.name === 'Map point')")
    placed = page.evaluate("gridpatrol.pointsLayer.getLayers().find("
                           "l => l.feature.properties.name === 'Map point').getLatLng()")
    assert abs(placed["lat"] - 51.5143) < 0.0003 and abs(placed["lng"] + 0.0950) < 0.0005
    page.select_option("#plan-form select[name=shift]", "day")
    page.fill("#plan-form input[name=reason]", "browser test")
    page.click("#plan-button")
    # planned as a job: the page follows it, then shows it done with the routes
    expect(page.locator("#job-progress")).to_be_visible()
    expect(page.locator("#job-progress")).to_have_attribute("data-job-state", "done",
                                                            timeout=120_000)
    expect(page.locator("#job-message")).to_contain_text("stops served")
    rows = page.locator("#routes tr.route-row")
    expect(rows.first).to_be_visible()
    routes = rows.count()
    assert routes >= 1
    wait_for(page, "window.gridpatrol && gridpatrol.planLayers "
                   f"&& gridpatrol.planLayers.length === {routes}")
    # every route is drawn: a road path and one marker per stop
    drawn = page.evaluate("gridpatrol.planLayers.map(g => g.getLayers().length)")
    assert all(count >= 3 for count in drawn), drawn
    stops_on_map = page.evaluate("gridpatrol.planLayers.flatMap(g => g.getLayers())"
                                 ".filter(l => l.options.gpStop).length")
    assert stops_on_map >= len(SPOTS)
    expect(page.locator(".leaflet-control-layers")).to_contain_text("PL-")
    # plan versus actual: tomorrow nothing is decided yet, every point is pending
    expect(page.locator("#compliance-stops td.status-pending")).to_have_count(stops_on_map)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "planning-routes.png"))
    page.locator("a.sheet-link").first.click()
    expect(page.locator("#sheet-title")).to_contain_text("Route sheet")
    expect(page.locator("#sheet-stops tr.kind-point").first).to_be_visible()
    expect(page.locator("#sheet-map path").first).to_be_attached()
    page.screenshot(path=str(artifacts / "planning-route-sheet.png"))


def test_a_plan_runs_under_a_progress_bar_and_survives_a_reload(
        page: Page, live_server: dict[str, Any], artifacts: Path) -> None:
    """Three shifts of a day over every cell, with the must-visit points proposed from
    London's POIs: long enough to watch. The bar moves, the message says what is being
    done, a reload follows the same job, and the routes come when it is done."""
    day = date.today() + timedelta(days=3)
    with live_server["app"].test_request_context():
        session = get_session()
        propose_from_pois(session, kinds=["school", "bank", "market", "nightlife",
                                          "rail_station", "mall"])
        codes = grid_codes(session)
        parsed = parse_roster_json([{"date": day.isoformat(), "shift": shift, "unit": u,
                                     "grids": codes} for u in ("PL-1", "PL-2")
                                    for shift in ("day", "evening", "night")])
        assert write_roster(session, parsed).errors == []
        session.commit()
    sign_in(page, live_server, "demo-supervisor")
    page.goto(live_server["url"] + f"/planning?date={day.isoformat()}")
    page.fill("#plan-form input[name=reason]", "three shifts, watched")
    page.click("#plan-button")
    box = page.locator("#job-progress")
    expect(box).to_have_attribute("data-job-state", "running", timeout=60_000)
    wait_for(page, "Number(document.getElementById('job-bar').value) > 0", timeout_s=60)
    expect(page.locator("#job-message")).not_to_be_empty()
    expect(page.locator("#job-cancel")).to_be_visible()
    page.screenshot(path=str(artifacts / "planning-job-running.png"))
    job_url = page.url
    assert "job=" in job_url
    page.reload()  # the job id is in the URL: the page follows the same job
    expect(page.locator("#job-progress")).to_be_visible()
    assert page.url == job_url
    try:
        # in Chinese (a reload in the other language): the worker's notes, written in
        # English, are shown in the reader's language while it runs and when it is done
        with page.expect_navigation():
            page.select_option("#locale", "zh_CN")
        assert page.url == job_url
        expect(page.locator("#job-message")).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
        expect(box).to_have_attribute("data-job-state", "done", timeout=300_000)
        expect(page.locator("#routes tr.route-row").first).to_be_visible()
        # the night shift, named by its hours
        expect(page.locator("#job-message")).to_contain_text("00:00–08:00：")
        expect(page.locator("#job-message")).not_to_contain_text("routes")
    finally:
        with page.expect_navigation():
            page.select_option("#locale", "en")
