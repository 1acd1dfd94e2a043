"""An analyst maps burglary hot spots in chromium: Gi* map with its legend (saying how
significance was decided), charts, image export, save, and promotion of a hot cell to
patrol planning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.analysis.import_incidents import import_incidents
from app.db import get_session
from tests.app.analysis.test_import_incidents import BURGLARY
from tests.browser.support import wait_for
from tests.browser.test_login_language import sign_in


def ensure_burglary(live_server: dict[str, Any], tmp_path: Path) -> int:
    """London burglary in the live database (inside the London extract's area)."""
    with live_server["app"].app_context():
        session = get_session()
        loaded = session.execute(sa.text(
            "SELECT count(*) FROM incidents WHERE source = 'police_uk'")).scalar_one()
        if not loaded:
            import_incidents(session, [BURGLARY],
                                       rejects_path=tmp_path / "rejects.csv",
                                       reason="browser test")
            session.commit()
        return int(session.execute(sa.text(
            "SELECT count(*) FROM incidents i JOIN areas a ON a.id = i.area_id "
            "WHERE a.name ILIKE 'london%' AND i.source = 'police_uk'")).scalar_one())


def test_an_analyst_maps_gi_star_hot_spots(page: Page, live_server: dict[str, Any],
                                          tmp_path: Path, artifacts: Path) -> None:
    in_london = ensure_burglary(live_server, tmp_path)
    assert in_london > 500
    sign_in(page, live_server, "demo-analyst")
    page.click("#nav-analysis")
    expect(page.locator("h1")).to_have_text("Crime analysis")
    form = page.locator("#analysis-form")
    form.locator("select[name=category]").select_option("burglary")
    form.locator("select[name=area]").select_option(label=_london_area(live_server))
    form.locator("select[name=method]").select_option("gi_star")
    form.locator("input[name=cell_m]").fill("250")
    page.click("#run-analysis")
    legend = page.locator("#hotspot-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Getis-Ord Gi*")
    expect(legend).to_contain_text("Hot spot, confidence 99%")
    expect(legend.locator(".swatch")).to_have_count(7)
    # the legend and the summary say how significance was decided (Esri's defaults)
    expect(legend.locator("#legend-significance")).to_have_text(
        "Two-sided p-values from z-scores (analytical), FDR-corrected")
    expect(page.locator("#run-significance")).to_contain_text("analytical")
    expect(page.locator("#run-critical-p")).to_contain_text("95%")
    expect(page.locator("#run-summary")).to_contain_text(f"{in_london:,}")
    # one SVG path per grid cell, coloured by class; the layer is in the layer control
    cells = page.evaluate("gridpatrol.hotspotLayer.getLayers().length")
    assert cells > 20
    assert page.evaluate("gridpatrol.hotspotLayer.getLayers().every("
                         "l => l._path && document.body.contains(l._path))")
    expect(page.locator(".leaflet-control-layers")).to_contain_text("Gi* hot spots")
    hot_fill = page.evaluate(
        "gridpatrol.hotspotLayer.getLayers().map(l => l.options.fillColor)"
        ".filter(c => c === '#d62f27' || c === '#ed7551' || c === '#fab984').length")
    assert hot_fill > 0, "no cell is coloured as a hot spot"
    # police.uk times are months: a monthly chart, and no hour x weekday table
    expect(page.locator("#monthly-chart rect")).to_have_count(24)
    expect(page.locator("#hour-weekday-none")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "analysis-gi-star-london.png"))
    page.click("#export-image")
    wait_for(page, "window.gridpatrolImage && "
                   "window.gridpatrolImage.startsWith('data:image/png')",
             timeout_s=30)
    top_code = page.locator("#top-cells tr").nth(1).locator("td").first.inner_text()
    page.fill("#save-form input[name=name]", "Burglary London 2023-24")
    page.click("#save-form button")
    expect(page.locator("h1")).to_have_text("Burglary London 2023-24")
    expect(page.locator("#hotspot-legend")).to_be_visible()
    with live_server["app"].app_context():  # kept from the job shown, not computed again
        assert get_session().execute(sa.text(
            "SELECT details->>'job' FROM audit_log WHERE action = 'hotspots.save' "
            "ORDER BY id DESC LIMIT 1")).scalar_one() is not None
    page.fill("#promote-form input[name=codes_text]", top_code)
    page.fill("#promote-form input[name=reason]", "browser test")
    page.click("#promote-form button")
    expect(page.locator(".flash")).to_contain_text("1 cells promoted")
    with live_server["app"].app_context():
        promoted = get_session().execute(sa.text(
            "SELECT count(*) FROM patrol_hotspots WHERE code = :c"), {"c": top_code})
        assert promoted.scalar_one() == 1


def _london_area(live_server: dict[str, Any]) -> str:
    with live_server["app"].app_context():
        return str(get_session().execute(sa.text(
            "SELECT name FROM areas WHERE name ILIKE 'london%' ORDER BY id LIMIT 1"))
            .scalar_one())
