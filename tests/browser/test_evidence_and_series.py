"""Video evidence and crime series in chromium (issue 18, "Done when").

* An officer (dispatcher) draws the way a hit-and-run driver took from the place and time
  and gets the cameras with their windows: the camera that watches the way is listed with
  a window holding the simulated passage and its recording link; the one beside it facing
  away is not; the plan's printable sheet lists it too.
* An analyst builds a series (found by text, picked on the map and all at once), sees its
  ellipse and the cameras on the corridors between its incidents, and makes temporary
  must-visit points from it.
* The coverage page and a camera placement run as a job, seen through to the proposal.

Screenshots go to /tmp/h-series/ (looked at by hand).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyproj
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from shapely.geometry import LineString

from app.auth import users
from app.db import get_session
from app.models import User
from tests.browser.support import wait_for
from tests.browser.test_dispatch_console import click_map_at
from tests.browser.test_login_language import sign_in

SHOTS = Path("/tmp/h-series")
GEOD = pyproj.Geod(ellps="WGS84")
START = (-0.0930, 51.5176)  # by London Wall, away from the other tests' places
AT = "2025-03-01T21:14"
HIK = ("rtsp://10.1.2.3:554/Streaming/tracks/101?starttime={start:hikvision}"
       "&endtime={end:hikvision}")
CENTRE = (-0.1000, 51.5215)  # the series: a cross by Barbican, away from the others
UTM = pyproj.CRS.from_epsg(32630)
TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
TO_LONLAT = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
NIGHTS = [(300, 0, "2025-01-06T22:15"), (0, 100, "2025-01-08T23:40"),
          (0, 0, "2025-01-10T01:10"), (-300, 0, "2025-01-13T00:30"),
          (0, -100, "2025-01-14T22:50")]


def offset(lon: float, lat: float, bearing: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, bearing, metres)
    return float(x), float(y)


def cross_place(along: float, across: float) -> tuple[float, float]:
    x0, y0 = TO_UTM.transform(*CENTRE)
    b = math.radians(60.0)
    x = x0 + along * math.sin(b) + across * math.sin(b + math.pi / 2)
    y = y0 + along * math.cos(b) + across * math.cos(b + math.pi / 2)
    lon, lat = TO_LONLAT.transform(x, y)
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def scene(live_server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Through the API as admin: the cameras by the hit-and-run way; the motorcycle
    thefts (as an import would leave them) and a camera on the corridor between the
    first two of them."""
    app = live_server["app"]
    with app.app_context():
        session = get_session()
        admin = session.execute(sa.select(User).where(User.username == "demo-admin")
                                ).scalar_one()
        token = users.issue_token(session, admin, label="browser evidence test")
        session.execute(sa.text("DELETE FROM incidents WHERE source = 'browser-series'"))
        for n, (along, across, at) in enumerate(NIGHTS, start=1):
            lon, lat = cross_place(along, across)
            session.execute(sa.text(
                "INSERT INTO incidents (source, source_id, occurred_at, time_resolution, "
                "timezone, category, source_category, description, address, geom) VALUES "
                "('browser-series', :sid, :at, 'minute', 'Europe/London', 'vehicle_crime', "
                "'MOTORCYCLE THEFT', :text, 'Aldersgate St', "
                "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                {"sid": f"s{n}", "at": f"{at}:00+00:00", "x": lon, "y": lat,
                 "text": f"motorcycle taken, night {n}"})
        area = session.execute(sa.text(
            "SELECT name FROM areas WHERE name ILIKE 'london%' ORDER BY id LIMIT 1")
        ).scalar_one()
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    watch_lon, watch_lat = offset(*offset(*START, 90, 200), 0, 20)
    cameras = {}
    for name, azimuth in (("London Wall watching", 180), ("London Wall facing away", 0)):
        made = client.post("/api/v1/cameras", headers=headers, json={
            "name": name, "lon": watch_lon, "lat": watch_lat, "azimuth_deg": azimuth,
            "fov_deg": 60, "range_m": 60, "kind": "fixed", "recording_url": HIK})
        assert made.status_code == 201, made.json
        cameras[name] = made.json["id"]
    found = client.get("/api/v1/series/incidents?q=MOTORCYCLE+taken", headers=headers).json
    ids = [int(f["properties"]["id"]) for f in found["features"]]
    assert len(ids) == 5
    probe = client.post("/api/v1/series", headers=headers, json={
        "name": "probe", "incident_ids": ids}).json["id"]
    corridors = client.get(f"/api/v1/series/{probe}", headers=headers).json[
        "corridors"]["features"]
    first = corridors[0]
    assert first["geometry"], [c["properties"] for c in corridors]
    client.delete(f"/api/v1/series/{probe}", headers=headers)
    utm = LineString([TO_UTM.transform(x, y) for x, y in first["geometry"]["coordinates"]])
    mid = utm.interpolate(0.5, normalized=True)
    ahead = utm.interpolate(min(utm.length, utm.project(mid) + 1.0))
    side = math.degrees(math.atan2(ahead.x - mid.x, ahead.y - mid.y)) + 90.0
    cam_lon, cam_lat = offset(*TO_LONLAT.transform(mid.x, mid.y), side, 12)
    made = client.post("/api/v1/cameras", headers=headers, json={
        "name": "Corridor watcher", "lon": cam_lon, "lat": cam_lat,
        "azimuth_deg": (side + 180) % 360, "fov_deg": 70, "range_m": 40, "kind": "fixed",
        "stream_url": "rtsp://10.1.2.4:554/Streaming/Channels/101"})
    assert made.status_code == 201, made.json
    SHOTS.mkdir(exist_ok=True)
    yield {"cameras": cameras, "area": area}


def test_an_officer_draws_the_hit_and_run_way_and_gets_the_cameras(
        page: Page, live_server: dict[str, Any], scene: dict[str, Any]) -> None:
    sign_in(page, live_server, "demo-dispatcher")
    page.click("#nav-evidence")
    expect(page.locator("h1")).to_have_text("Evidence plan")
    wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
    page.evaluate(f"gridpatrol.map.setView([{START[1]}, {START[0] + 0.0028}], 17, "
                  "{animate: false})")
    page.click("#pick-start")
    click_map_at(page, *START)
    lon = float(page.input_value("#start-lon"))
    assert abs(lon - START[0]) < 0.00005
    page.fill("#start-at", AT)
    page.select_option("#mode", "car")
    page.click("#draw-path")
    for metres in (200, 400):
        click_map_at(page, *offset(*START, 90, metres))
    page.keyboard.press("Escape")
    expect(page.locator("#path-points")).to_have_text("3 points")
    page.click("details.more summary")
    page.fill("input[name=speed_kmh]", "36")
    page.fill("#reason", "hit-and-run on London Wall, case 2025/301")
    page.click("#find-cameras")
    wait_for(page, "gridpatrol.evidence && gridpatrol.evidence.plan")
    plan = page.evaluate("gridpatrol.evidence.plan")
    listed = {c["camera_id"]: c for c in plan["cameras"]}
    watching = listed[scene["cameras"]["London Wall watching"]]
    assert scene["cameras"]["London Wall facing away"] not in listed
    # the vehicle, at 36 km/h, is in view 188.5-211.5 m along: 18.9-21.2 s after 21:14
    passage = datetime.fromisoformat(f"{AT}:00+00:00") + timedelta(seconds=20)
    start, end = (datetime.fromisoformat(watching[k]) for k in ("window_start",
                                                                  "window_end"))
    assert start <= passage <= end and end - start < timedelta(minutes=4)
    row = page.locator(f"#sighting-{watching['order']}")
    expect(row).to_contain_text("London Wall watching")
    expect(row).to_contain_text("2025-03-01 21:1")
    assert row.locator("input.recording-url").input_value().startswith(
        "rtsp://10.1.2.3:554/Streaming/tracks/101?starttime=20250301T21")
    expect(page.locator("#sightings tbody")).not_to_contain_text("facing away")
    expect(page.locator("#evidence-status")).to_contain_text("watch")
    page.screenshot(path=str(SHOTS / "evidence-plan.png"), full_page=True)
    with page.expect_navigation():
        page.click("#plan-sheet")
    expect(page.locator("h1")).to_contain_text("Evidence plan")
    expect(page.locator("#sheet-sightings")).to_contain_text("London Wall watching")
    expect(page.locator("#sheet-summary")).to_contain_text("case 2025/301")
    wait_for(page, "gridpatrol.evidence && gridpatrol.evidence.cameras > 0")
    page.screenshot(path=str(SHOTS / "evidence-sheet.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "evidence-sheet-print.png"), full_page=True)
    page.emulate_media(media="screen")


def test_an_analyst_builds_a_series_and_sees_its_ellipse_and_cameras(
        page: Page, live_server: dict[str, Any], scene: dict[str, Any]) -> None:
    sign_in(page, live_server, "demo-analyst")
    page.click("#nav-series")
    expect(page.locator("h1")).to_have_text("Crime series")
    wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
    page.fill("#series-filter input[name=q]", "motorcycle taken")
    page.click("#find-incidents")
    wait_for(page, "gridpatrol.series && gridpatrol.series.found === 5")
    expect(page.locator("#series-status")).to_contain_text("5 of 5")
    page.evaluate(f"gridpatrol.map.setView([{CENTRE[1]}, {CENTRE[0]}], 16, "
                  "{animate: false})")
    wait_for(page, "gridpatrol.map.getZoom() === 16 && !gridpatrol.map._animatingZoom")
    for along, across, _ in NIGHTS[:2]:  # picked on the map
        click_map_at(page, *cross_place(along, across))
    wait_for(page, "gridpatrol.series.chosen === 2")
    page.click("#select-all")
    wait_for(page, "gridpatrol.series.chosen === 5")
    expect(page.locator("#candidates tr.chosen")).to_have_count(5)
    page.screenshot(path=str(SHOTS / "series-builder.png"), full_page=True)
    page.fill("#series-name", "Motorcycle thefts, Barbican")
    page.fill("#series-save input[name=reason]", "five nights, one thief")
    with page.expect_navigation():
        page.click("#save-series")
    expect(page.locator("#series-title")).to_have_text("Motorcycle thefts, Barbican")
    wait_for(page, "gridpatrol.seriesView && gridpatrol.seriesView.ellipse")
    expect(page.locator("#series-ellipse")).to_contain_text("268 m × 89 m")
    expect(page.locator("#series-ellipse")).to_contain_text("60° from north")
    assert page.evaluate("gridpatrol.seriesView.corridors") == 4
    assert page.evaluate("gridpatrol.layerControl._layers.some("
                         "l => l.name.indexOf('Standard deviational ellipse') >= 0)")
    cameras = page.locator("#series-cameras")
    expect(cameras).to_contain_text("Corridor watcher")
    watcher = cameras.locator("tr", has_text="Corridor watcher")
    expect(watcher).to_contain_text("1 → 2")
    expect(watcher).to_contain_text("21:00–")
    expect(page.locator("#series-hours")).to_have_text("21:00–03:00")
    expect(page.locator("#hour-weekday")).to_be_visible()
    page.screenshot(path=str(SHOTS / "series-view.png"), full_page=True)
    page.fill("#points-form input[name=reason]", "patrol the thief's nights")
    page.click("#make-points")
    expect(page.locator("#points-status")).to_contain_text("3 temporary must-visit points")
    page.screenshot(path=str(SHOTS / "series-points.png"))
    # handed to the video centre: a tour of the corridor cameras in the hours that matter
    page.fill("#tour-form input[name=reason]", "watch the thief's way at night")
    page.click("#make-tour")
    expect(page.locator("#tour-status")).to_contain_text("Tour “Motorcycle thefts, Barbican” made")
    tour_id = wait_for(page, "gridpatrol.seriesView.tour")
    expect(page.locator("#tour-wall-link")).to_have_count(0)  # the wall is the video centre's
    tour = page.evaluate("fetch('/api/v1/series/' + location.pathname.split('/').pop())"
                         ".then(r => r.json()).then(s => s.video_tours)")
    assert [t["id"] for t in tour] == [tour_id]
    page.screenshot(path=str(SHOTS / "series-tour.png"))
    with page.expect_navigation():  # the same page in Chinese, then back (it stays on the user)
        page.select_option("#locale", "zh_CN")
    expect(page.locator("#series-cameras caption")).to_contain_text("拍到通道的摄像机")
    wait_for(page, "gridpatrol.seriesView && gridpatrol.seriesView.ellipse")
    page.screenshot(path=str(SHOTS / "series-view-zh.png"), full_page=True)
    with page.expect_navigation():
        page.select_option("#locale", "en")


def test_coverage_and_a_placement_job(page: Page, live_server: dict[str, Any],
                                      scene: dict[str, Any]) -> None:
    sign_in(page, live_server, "demo-supervisor")
    page.goto(live_server["url"] + "/evidence/coverage")
    expect(page.locator("h1")).to_have_text("Coverage and blind spots")
    wait_for(page, "gridpatrol.network && gridpatrol.network.cells > 0", timeout_s=60)
    expect(page.locator("#coverage-table tbody tr").first).to_be_visible()
    expect(page.locator("#coverage-legend")).to_contain_text("Road no camera sees")
    page.screenshot(path=str(SHOTS / "coverage.png"), full_page=True)
    page.click("a[href='/evidence/placement']")
    expect(page.locator("h1")).to_have_text("Where to add cameras")
    page.select_option("#placement-form select[name=area]", label=scene["area"])
    page.fill("#placement-form input[name=k]", "4")
    page.fill("#placement-bbox", f"{CENTRE[0] - 0.004},{CENTRE[1] - 0.003},"
                                 f"{CENTRE[0] + 0.004},{CENTRE[1] + 0.003}")
    page.select_option("#placement-form select[name=demand]", "roads")
    with page.expect_navigation():
        page.click("#start-placement")
    expect(page.locator("#job-progress")).to_be_visible()
    page.screenshot(path=str(SHOTS / "placement-progress.png"))
    expect(page.locator("#placement-cameras")).to_be_visible(timeout=120_000)
    expect(page.locator("#placement-cameras tbody tr")).to_have_count(4)
    wait_for(page, "gridpatrol.placement && gridpatrol.placement.proposed === 4")
    after = float(page.inner_text("#coverage-after").rstrip(" %"))
    greedy = float(page.inner_text("#greedy-after").rstrip(" %"))
    assert after >= greedy - 0.05
    page.screenshot(path=str(SHOTS / "placement-result.png"), full_page=True)
