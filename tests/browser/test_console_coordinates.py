"""The console's coordinate box in chromium: a place pasted from AMap (GCJ-02) or Baidu
(BD-09) takes the map to its WGS-84 place; a click reads a place back in the datum
chosen; the browser's conversions agree with gis.crs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyproj
from playwright.sync_api import Page, expect

from gis import crs
from tests.browser.support import wait_for
from tests.browser.test_map_console import open_console
from tests.gis.test_datums import reference_wgs84_to_gcj02

GEOD = pyproj.Geod(ellps="WGS84")
SHOTS = Path("/tmp/h-catalog")
FORBIDDEN_CITY = (116.397128, 39.916527)  # the WGS-84 truth
WUHU_STATION = (118.3544, 31.3350)
CENTRE = "(() => { const c = gridpatrol.map.getCenter(); return [c.lng, c.lat]; })()"


def go_to(page: Page, text: str, datum: str) -> tuple[float, float]:
    page.select_option("#gp-coords-datum", datum)
    before = page.evaluate(CENTRE)
    page.fill("#gp-coords-input", text)
    page.click("#gp-coords-go")
    wait_for(page, f"(() => {{ const c = gridpatrol.map.getCenter(); return "
                   f"Math.abs(c.lng - {before[0]}) > 1e-6 || "
                   f"Math.abs(c.lat - {before[1]}) > 1e-6; }})()")
    centre = page.evaluate(CENTRE)
    return float(centre[0]), float(centre[1])


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def test_a_gcj02_coordinate_pasted_in_the_console_goes_to_the_wgs84_place(
        page: Page, live_server: dict[str, Any]) -> None:
    open_console(page, live_server, "demo-dispatcher")
    on_amap = reference_wgs84_to_gcj02(*FORBIDDEN_CITY)  # as AMap's picker shows it
    centre = go_to(page, f"{on_amap[0]:.6f},{on_amap[1]:.6f}", "gcj02")
    assert metres(centre, FORBIDDEN_CITY) < 1.0
    assert metres(centre, on_amap) > 100  # not simply the numbers pasted
    assert page.evaluate("gridpatrol.map.getZoom()") >= 17
    tip = page.locator(".gp-coords-tip")
    expect(tip).to_contain_text(f"GCJ-02: {on_amap[0]:.6f}, {on_amap[1]:.6f}")
    expect(tip).to_contain_text("WGS-84: 116.397128, 39.916527")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-coords-gcj02.png"))
    # Baidu's numbers, Google's order (lat, lon) and a full-width comma
    baidu = crs.wgs84_to_bd09(*WUHU_STATION)
    centre = go_to(page, f"{baidu[1]:.6f}，{baidu[0]:.6f}", "bd09")
    assert metres(centre, WUHU_STATION) < 1.0
    expect(tip).to_contain_text("read as latitude, longitude")
    # the datum chosen stays for the next visit
    page.reload()
    wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
    expect(page.locator("#gp-coords-datum")).to_have_value("bd09")


def test_a_click_reads_the_place_back_in_the_datum_chosen(
        page: Page, live_server: dict[str, Any]) -> None:
    open_console(page, live_server, "demo-dispatcher")
    page.evaluate(f"gridpatrol.map.setView([{WUHU_STATION[1]}, {WUHU_STATION[0]}], 16) "
                  "&& null")
    page.select_option("#gp-coords-datum", "gcj02")
    page.locator(".map-frame .leaflet-container").click(position={"x": 400, "y": 300})
    readout = page.locator("#gp-coords-readout")
    expect(readout).to_contain_text("(GCJ-02)")
    clicked = (float(readout.get_attribute("data-lon") or "nan"),
               float(readout.get_attribute("data-lat") or "nan"))
    expected = crs.wgs84_to_gcj02(*clicked)
    assert readout.inner_text() == f"Clicked: {expected[0]:.6f}, {expected[1]:.6f} (GCJ-02)"
    page.select_option("#gp-coords-datum", "bd09")
    expected = crs.wgs84_to_bd09(*clicked)
    expect(readout).to_have_text(f"Clicked: {expected[0]:.6f}, {expected[1]:.6f} (BD-09)")
    page.select_option("#gp-coords-datum", "wgs84")
    expect(readout).to_have_text(f"Clicked: {clicked[0]:.6f}, {clicked[1]:.6f} (WGS-84)")
    page.fill("#gp-coords-input", "east of here")
    page.click("#gp-coords-go")
    expect(page.locator("#gp-coords-error")).to_contain_text("two numbers")
    page.screenshot(path=str(SHOTS / "console-coords-readout.png"))


def test_the_browser_converts_as_gis_crs_does(page: Page, live_server: dict[str, Any]) -> None:
    open_console(page, live_server, "demo-viewer")
    rng = np.random.default_rng(4)
    points = np.column_stack([rng.uniform(73.5, 134.5, 300), rng.uniform(18.5, 53.0, 300)])
    points = np.vstack([points, [(-0.1276, 51.5072), (8.6821, 49.3988)]])  # outside China
    got = np.array(page.evaluate("""points => points.map(p => {
        const G = GridPatrolDatums;
        return [...G.fromWgs84('gcj02', p[0], p[1]), ...G.fromWgs84('bd09', p[0], p[1]),
                ...G.toWgs84('gcj02', p[0], p[1]), ...G.toWgs84('bd09', p[0], p[1])];
    })""", points.tolist()))
    lon, lat = points[:, 0], points[:, 1]
    expected = np.column_stack([*crs.wgs84_to_gcj02_array(lon, lat),
                                *crs.wgs84_to_bd09_array(lon, lat),
                                *crs.gcj02_to_wgs84_array(lon, lat),
                                *crs.bd09_to_wgs84_array(lon, lat)])
    assert np.abs(got - expected).max() < 1e-9
    assert page.evaluate("GridPatrolDatums.parsePair('116.4 39.9')") == {
        "lon": 116.4, "lat": 39.9, "swapped": False}
    assert page.evaluate("GridPatrolDatums.parsePair('116.4, 99')") is None
