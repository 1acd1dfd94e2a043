"""The planning and analysis pages in chromium, in English and in Chinese, on the London
extract with real data (the Metropolitan Police burglary export): the plan's result in its
panel, the roster folded per unit, the day and month pickers, only the chosen method's
parameters, cells outlined only when large, legends without repeats, and no English code
names left on the Chinese pages. Screenshots of each page in each language are kept in
test-artifacts/ (planning-en.png, planning-zh.png, analysis-opened-en.png, analysis-en.png,
analysis-zh.png, and full-page analysis-*-full.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.db import get_session
from app.planning.roster import write_roster
from patrol.roster import parse_roster_json
from tests.app.page_words import english_left, english_names
from tests.browser.support import wait_for
from tests.browser.test_analysis_page import _london_area, ensure_burglary
from tests.browser.test_login_language import sign_in
from tests.browser.test_planning_page import SPOTS, prepare_tomorrow


def in_english(page: Page) -> None:
    """The page in English (a language chosen by an earlier test is kept on the user)."""
    if page.locator("html").get_attribute("lang") != "en":
        with page.expect_navigation():
            page.select_option("#locale", "en")

PLANNING_TABLES = ("shift", "plan_status", "stop_status", "dose_status", "unserved_reason",
                   "unit_kind")
ANALYSIS_TABLES = ("grid_shape", "time_bin", "method", "neighbours", "p_method", "gi_bin",
                   "lisa_quadrant", "emerging_pattern", "cell_field", "grid_origin",
                   "bandwidth_rule", "weekday", "time_resolution")


@contextmanager
def in_chinese(page: Page) -> Iterator[None]:
    """Switch the signed-in user to Chinese with the page's language menu; back after."""
    with page.expect_navigation():
        page.select_option("#locale", "zh_CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    try:
        yield
    finally:
        with page.expect_navigation():
            page.select_option("#locale", "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")


def main_text(page: Page) -> str:
    """What the page shows a reader: the rendered text of <main>, the map's controls and
    legend included (its tiles are drawn, not text)."""
    return str(page.evaluate("document.querySelector('main').innerText"))


def roster_day_after_tomorrow(live_server: dict[str, Any], codes: list[str]) -> date:
    """PL-1 over every 250 m cell of the area (a city unit has hundreds), PL-2 over the
    cells of the four points, on the day shift two days from now."""
    day = date.today() + timedelta(days=2)
    with live_server["app"].test_request_context():
        session = get_session()
        every = list(session.execute(sa.text(
            "SELECT code FROM grid_cells WHERE cell_m = 250 ORDER BY code")).scalars())
        assert len(every) > 60
        parsed = parse_roster_json([
            {"date": day.isoformat(), "shift": "day", "unit": "PL-1", "grids": every},
            {"date": day.isoformat(), "shift": "day", "unit": "PL-2", "grids": codes}])
        assert write_roster(session, parsed).errors == []
        session.commit()
    return day


def test_the_planning_page_in_english_and_chinese(page: Page, live_server: dict[str, Any],
                                                  artifacts: Path) -> None:
    codes = prepare_tomorrow(live_server)
    day = roster_day_after_tomorrow(live_server, codes)
    sign_in(page, live_server, "demo-supervisor")
    in_english(page)
    page.goto(f"{live_server['url']}/planning?date={day.isoformat()}")
    # the day picker: the day in words, a calendar, and a step to the day after
    expect(page.locator("#day")).to_have_value(re.compile(r"\w{3} \d{1,2} \w{3} \d{4}"))
    page.click("#day")
    expect(page.locator(".flatpickr-calendar.open")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".flatpickr-calendar.open")).to_have_count(0)
    with page.expect_navigation():
        page.click("#day-after")
    assert f"date={(day + timedelta(days=1)).isoformat()}" in page.url
    with page.expect_navigation():
        page.click("#day-before")
    page.select_option("#plan-form select[name=shift]", "day")
    page.fill("#plan-form input[name=reason]", "browser test")
    with page.expect_navigation(timeout=120_000):
        page.click("#plan-button")
    # the plan runs as a job (a progress bar until the worker is done, then its result):
    # on a busy machine that is more than expect's 5 s
    panel = page.locator(".analysis-result > #result-panel .result-success")
    expect(panel).to_contain_text(re.compile(r"^Day: \d+ routes, \d+ of \d+ stops served\.$"),
                                  timeout=180_000)
    # the roster: one row per unit, the hundreds of cells folded away
    expect(page.locator("#roster th.unit")).to_have_count(2)
    expect(page.locator("#roster details.grid-codes summary").first).to_have_text(
        re.compile(r"^\d{2,} cells$"))
    expect(page.locator("#roster details.grid-codes[open]")).to_have_count(0)
    expect(page.locator("#roster details.roster-shift[open]")).to_have_count(1)
    # the side column stays short whatever else the day holds (was 5,300 px of grid codes)
    height = page.evaluate("document.getElementById('roster').closest('aside').scrollHeight")
    assert height < 1200, f"the planning column is {height} px tall"
    page.locator("#roster details.grid-codes summary").first.click()
    box = page.locator("#roster details.grid-codes ul").first.bounding_box()
    assert box is not None and box["height"] < 200  # a scrolling list, not 5,000 px
    page.locator("#roster details.grid-codes summary").first.click()
    expect(page.locator("#compliance table.compliance thead th").first).to_be_visible()
    wait_for(page, "window.gridpatrol && gridpatrol.planLayers && "
                   "gridpatrol.planLayers.length > 0")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "planning-en.png"), full_page=True)

    with in_chinese(page):
        expect(page.locator("h1")).not_to_have_text("Patrol planning")
        expect(page.locator("#plan-list")).to_contain_text("白班")
        expect(page.locator("#roster")).to_contain_text("个网格")
        expect(page.locator("#day")).to_have_value(re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 周"))
        page.click("#day")
        expect(page.locator(".flatpickr-calendar.open .flatpickr-weekdays")).to_contain_text(
            "周一")
        page.keyboard.press("Escape")
        expect(page.locator(".flatpickr-calendar.open")).to_have_count(0)
        data = [*SPOTS, "Map point", "PL-1", "PL-2", "Wood Street (test)", "Leaflet",
                "OpenStreetMap", "GPX", "GeoJSON"]
        left = english_left(main_text(page), english_names(live_server["app"],
                                                           PLANNING_TABLES), allowed=data)
        assert left == [], main_text(page)
        wait_for(page, "window.gridpatrol && gridpatrol.planLayers && "
                       "gridpatrol.planLayers.length > 0")
        expect(page.locator(".leaflet-control-layers")).to_contain_text("(白班)")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / "planning-zh.png"), full_page=True)


def pick_month(page: Page, picker: int, *, year: int, month: str) -> None:
    """Open the month picker number ``picker`` of the form, go to ``year`` with its arrows
    and choose ``month``."""
    page.locator("#analysis-form .picker input").nth(picker).click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    for _ in range(10):
        shown = int(calendar.locator(".cur-year").input_value())
        if shown == year:
            break
        calendar.locator(".flatpickr-prev-month" if shown > year
                         else ".flatpickr-next-month").click()
    assert int(calendar.locator(".cur-year").input_value()) == year
    calendar.locator(".flatpickr-monthSelect-month", has_text=month).click()
    expect(calendar).to_have_count(0)


def shown(page: Page, selector: str) -> bool:
    return bool(page.locator(selector).is_visible())


def test_the_analysis_page_in_english_and_chinese(page: Page, live_server: dict[str, Any],
                                                  tmp_path: Path, artifacts: Path) -> None:
    in_london = ensure_burglary(live_server, tmp_path)
    area = _london_area(live_server)
    sign_in(page, live_server, "demo-analyst")
    in_english(page)
    page.goto(live_server["url"] + "/analysis")
    # the page opens on what is loaded
    expect(page.locator("#incidents-loaded-table")).to_contain_text("police_uk")
    expect(page.locator("#incidents-loaded-table")).to_contain_text("2023-01")
    page.screenshot(path=str(artifacts / "analysis-opened-en.png"))
    # only the chosen method's parameters
    form = page.locator("#analysis-form")
    expected = {
        "gi_star": {"#fieldset-grid", "#fieldset-neighbours", "#fieldset-significance"},
        "lisa": {"#fieldset-grid", "#fieldset-neighbours", "#fieldset-significance"},
        "kde": {"#fieldset-grid", "#fieldset-kde"},
        "emerging": {"#fieldset-grid", "#fieldset-neighbours", "#fieldset-significance",
                     "#fieldset-time-bins"},
        "near_repeat": {"#fieldset-significance", "#fieldset-near-repeat"},
    }
    every = set().union(*expected.values())
    for method, visible in expected.items():
        form.locator("select[name=method]").select_option(method)
        assert {s for s in every if shown(page, s)} == visible, method
        permutations = form.locator("input[name=permutations]")
        if method in ("lisa", "near_repeat"):
            expect(permutations).to_be_visible()
        elif method != "kde":
            expect(permutations).to_be_hidden()
            form.locator("select[name=p_method]").select_option("permutation")
            expect(permutations).to_be_visible()
            form.locator("select[name=p_method]").select_option("")
    form.locator("select[name=method]").select_option("gi_star")
    expect(form.locator("input[name=distance_m]")).to_be_hidden()
    form.locator("select[name=weights]").select_option("distance")
    expect(form.locator("input[name=distance_m]")).to_be_visible()
    form.locator("select[name=weights]").select_option("queen")
    # the month pickers: empty boxes show their placeholder, a click opens the months
    boxes = page.locator("#analysis-form .picker input")
    expect(boxes.nth(0)).to_have_value("")
    expect(boxes.nth(0)).to_have_attribute("placeholder", "first month (YYYY-MM)")
    pick_month(page, 0, year=2023, month="Mar")
    expect(form.locator("input[name=from]")).to_have_value("2023-03")
    expect(boxes.nth(0)).to_have_value("March 2023")
    page.locator("#analysis-form .picker-clear").nth(0).click()
    expect(form.locator("input[name=from]")).to_have_value("")
    pick_month(page, 0, year=2023, month="Jan")
    pick_month(page, 1, year=2024, month="Dec")
    expect(form.locator("input[name=to]")).to_have_value("2024-12")
    form.locator("select[name=category]").select_option("burglary")
    form.locator("select[name=area]").select_option(label=area)
    form.locator("input[name=cell_m]").fill("250")
    with page.expect_navigation():
        page.click("#run-analysis")
    # the page follows the job, its form filled from the job's parameters
    assert "job=" in page.url
    expect(form.locator("input[name=from]")).to_have_value("2023-01")
    expect(form.locator("input[name=to]")).to_have_value("2024-12")
    assert "bandwidth_m" not in page.url  # the hidden parameters are not sent
    expect(page.locator("#result-title")).to_contain_text("Burglary")
    legend = page.locator("#hotspot-legend li")
    expect(legend).to_have_count(7)
    rows = legend.all_inner_texts()
    assert len(set(rows)) == len(rows), rows
    expect(page.locator("#run-summary")).to_contain_text(f"{in_london:,}")
    # cells outlined only once they are large on screen; the hovered one always
    wait_for(page, "window.gridpatrol && gridpatrol.hotspotLayer && gridpatrol.cellsOutlined")
    zoom = page.evaluate("gridpatrol.map.getZoom()")
    page.evaluate(f"gridpatrol.map.setZoom({zoom - 2}, {{animate: false}}) && null")
    assert page.evaluate("gridpatrol.cellsOutlined()") is False
    assert page.evaluate("gridpatrol.hotspotLayer.getLayers().every("
                         "l => l._path.getAttribute('stroke-width') === '0')")
    page.evaluate(f"gridpatrol.map.setZoom({zoom + 1}, {{animate: false}}) && null")
    assert page.evaluate("gridpatrol.cellsOutlined()") is True
    assert page.evaluate("gridpatrol.hotspotLayer.getLayers().every("
                         "l => l._path.getAttribute('stroke-width') === '0.6')")
    page.evaluate(f"gridpatrol.map.setZoom({zoom}, {{animate: false}}) && null")
    page.evaluate("gridpatrol.hotspotLayer.openTooltip() && null")
    expect(page.locator(".leaflet-tooltip table.gp-fields")).to_contain_text("z-score")
    page.evaluate("gridpatrol.hotspotLayer.closeTooltip() && null")
    expect(page.locator("#top-cells thead")).to_contain_text("Confidence class")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "analysis-en.png"))
    page.screenshot(path=str(artifacts / "analysis-en-full.png"), full_page=True)

    with in_chinese(page):
        expect(page.locator("#result-title")).to_contain_text("入室盗窃")
        expect(page.locator("#hotspot-legend")).to_contain_text("热点，置信度 99%")
        expect(page.locator("#analysis-form select[name=shape] option:checked")).to_have_text(
            "正方形")
        expect(page.locator("#analysis-form .picker input").nth(0)).to_have_value("2023年1月")
        data = [area, "Getis-Ord Gi*", "police_uk", "Leaflet", "OpenStreetMap", "GeoJSON",
                "CSV", "PNG"]
        left = english_left(main_text(page), english_names(live_server["app"],
                                                           ANALYSIS_TABLES), allowed=data)
        assert left == []
        # the map's place search names road classes and kinds of place in Chinese
        page.fill("#map-search", "Street")
        hits = page.locator("#map-search-results li")
        expect(hits.first).to_be_visible()
        for text in hits.all_inner_texts():
            kind = re.search(r"\(([^()]*)\)$", text)
            assert kind and re.search(r"[\u4e00-\u9fff]", kind.group(1)), text
        page.fill("#map-search", "")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / "analysis-zh.png"))
        page.screenshot(path=str(artifacts / "analysis-zh-full.png"), full_page=True)
