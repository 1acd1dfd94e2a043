"""The map console in chromium: own basemap, layers, search, grid editing, nothing foreign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import wait_for
from tests.browser.test_login_language import sign_in


def open_console(page: Page, live_server: dict[str, Any], username: str) -> None:
    sign_in(page, live_server, username)
    # the first view settles (basemap and areas loaded) before a test moves the map
    wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")


def test_map_shows_the_own_basemap_layers_and_search(page: Page, live_server: dict[str, Any],
                                                     artifacts: Path) -> None:
    tiles: list[str] = []
    page.on("response", lambda r: tiles.append(r.url) if "/api/v1/tiles/" in r.url
            and r.status == 200 else None)
    open_console(page, live_server, "demo-dispatcher")
    expect(page.locator(".leaflet-control-layers")).to_contain_text("Basemap (own data)")
    expect(page.locator(".leaflet-control-scale")).to_be_visible()
    wait_for(page, "document.querySelectorAll('.leaflet-tile-container canvas')"
                   ".length > 0")
    assert tiles, "no vector tile was loaded"
    # the areas layer is on by default; switch on cameras and POIs and zoom in
    page.evaluate("gridpatrol.map.setView([51.5138, -0.0983], 16) && null")
    page.get_by_label("Cameras").check()
    page.get_by_label("Points of interest").check()
    wait_for(page, "gridpatrol.layers.cameras.getLayers().length > 0")
    wait_for(page, "gridpatrol.layers.pois.getLayers().length > 0")
    page.fill("#map-search", "Fleet Street")
    result = page.locator("#map-search-results li").first
    expect(result).to_contain_text("Fleet Street")
    result.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Fleet Street")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "map-console-london.png"))


def test_a_supervisor_renames_a_grid_cell_on_the_map(page: Page,
                                                     live_server: dict[str, Any]) -> None:
    open_console(page, live_server, "demo-supervisor")
    page.evaluate("gridpatrol.map.setView([51.5138, -0.0983], 15) && null")
    page.get_by_label("Patrol grids").check()
    wait_for(page, "gridpatrol.layers.grids.getLayers().length > 0")
    # the cell under the map's centre: its popup needs no pan (a pan reloads the layer,
    # which closes the popup under the test's hands)
    page.evaluate("gridpatrol.layers.grids.getLayers().find(l => l.getBounds().contains("
                  "gridpatrol.map.getCenter())).openPopup() && null")
    form = page.locator(".gp-grid-form")
    form.locator("input[name=name]").fill("Cheapside beat")
    form.locator("input[name=reason]").fill("renamed in the browser test")
    form.locator("button").click()
    expect(form).to_be_hidden()
    wait_for(page, "gridpatrol.layers.grids.getLayers().some("
                   "l => l.feature.properties.name === 'Cheapside beat')")


def test_the_chinese_console_uses_chinese_layer_names(page: Page,
                                                      live_server: dict[str, Any]) -> None:
    sign_in(page, live_server, "demo-analyst")
    with page.expect_navigation():
        page.select_option("#locale", "zh_CN")
    expect(page.locator(".leaflet-control-layers")).to_contain_text("巡逻网格")
    expect(page.locator("#map-search")).to_have_attribute("placeholder", "搜索街道或地点")
    with page.expect_navigation():  # back, and kept: the language stays on the user
        page.select_option("#locale", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("area", ["London Central", "Heidelberg", "Porto", "Helsinki"])
def test_each_imported_extract_shows_on_the_map(page: Page, live_server: dict[str, Any],
                                                artifacts: Path, area: str) -> None:
    drawn: list[int] = []
    page.on("requestfinished", lambda r: drawn.append(r.sizes()["responseBodySize"])
            if "/api/v1/tiles/" in r.url else None)
    open_console(page, live_server, "demo-viewer")
    wait_for(page, "gridpatrol.layers.areas.getLayers().length >= 4")
    # from a world view, to the area one zoom level closer than it fits: the console opens
    # on the home area, whose tiles at the fitting zoom this browser has already
    page.evaluate("gridpatrol.map.setView([0, 0], 2, {animate: false}) && null")
    page.wait_for_load_state("networkidle")
    drawn.clear()
    page.evaluate("""(name) => new Promise((resolve) => {
        const layer = gridpatrol.layers.areas.getLayers().find(
            (l) => l.feature.properties.name === name);
        gridpatrol.layers.basemap.once("load", () => resolve(null));
        const bounds = layer.getBounds();
        gridpatrol.map.setView(bounds.getCenter(),
                               gridpatrol.map.getBoundsZoom(bounds) + 1, {animate: false});
    })""", area)
    assert drawn and max(drawn) > 1000, f"no basemap tile with content for {area}"
    page.screenshot(path=str(artifacts / f"map-{area.split()[0].lower()}.png"))
