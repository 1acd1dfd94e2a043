"""An analyst searches a partial plate in chromium: without a reason nothing is asked; with
one the passages are listed, the plate's trace is drawn on the map with its impossible leg
flagged, and the vehicles through one checkpoint then another are listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.auth import users
from app.db import get_session
from app.passages import repository
from app.passages.checkpoints import add_checkpoint
from app.passages.importing import import_passages
from dispatch.checkpoints.sites import CheckpointInput
from tests.browser.support import wait_for
from tests.browser.test_login_language import sign_in

# Two checkpoints in the City of London, 1.1 km apart (2.1 km by road eastbound, 1.5 km
# westbound: one-way streets)
SITES = {"LB01": ("Holborn Circus", -0.1125, 51.5155),
         "LB02": ("Queen Victoria Street", -0.1000, 51.5100)}
START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)


def local_input(moment: datetime) -> str:
    """A datetime-local value in the browser's zone (the test browser runs in UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def prepare(live_server: dict[str, Any]) -> None:
    """The two checkpoints and a plate seen at LB01, at LB02 ten minutes later, and back at
    LB01 ten seconds after that: 1.5 km of road in 10 s."""
    with live_server["app"].test_request_context():
        session = get_session()
        admin = users.find_user(session, "demo-admin")
        have = {row.code for row in repository.checkpoints(session)}
        for code, (name, lon, lat) in SITES.items():
            if code not in have:
                add_checkpoint(session, CheckpointInput(code=code, name=name, lon=lon,
                                                        lat=lat), actor=admin)
        rows = [("LB01", START, "粤B77777"), ("LB02", START + timedelta(minutes=10), "粤B77777"),
                ("LB01", START + timedelta(minutes=10, seconds=10), "粤B77777"),
                ("LB01", START + timedelta(minutes=30), "粤B17777")]
        text = "卡口编号,过车时间,号牌号码\n" + "".join(
            f"{code},{at.isoformat()},{plate}\n" for code, at, plate in rows)
        import_passages(session, text.encode(), name="browser.csv", actor=admin)
        session.commit()


def searches(live_server: dict[str, Any], actor: str) -> int:
    with live_server["app"].test_request_context():
        return int(get_session().execute(sa.text(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'passage.%' AND actor = :a "
            "AND action <> 'passage.import'"), {"a": actor}).scalar_one())


def test_an_analyst_searches_a_plate_with_a_reason_and_sees_its_trace(
        page: Page, live_server: dict[str, Any], artifacts: Path) -> None:
    prepare(live_server)
    before = searches(live_server, "demo-analyst")
    sign_in(page, live_server, "demo-analyst")
    page.click("#nav-passages")
    expect(page.locator("h1")).to_have_text("Plate search")
    wait_for(page, "document.querySelectorAll('#passages-map path.leaflet-interactive')"
                   ".length >= 2")  # the checkpoints on the map
    page.fill("#plate", "*7777")
    page.fill("#plate-from", local_input(START - timedelta(hours=1)))
    page.fill("#plate-to", local_input(START + timedelta(hours=2)))
    page.click("#plate-search")
    expect(page.locator("#passages-error")).to_contain_text("reason")
    expect(page.locator("#results-table")).to_be_hidden()
    assert searches(live_server, "demo-analyst") == before  # nothing was asked

    page.fill("#plate-reason", "theft series 2026-118 <b>x</b>")
    page.click("#plate-search")
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#passages-error")).to_be_hidden()
    expect(page.locator("#passages-status")).to_contain_text("audit log")
    expect(rows.first).to_contain_text("粤B77777")
    expect(rows.first).to_contain_text("LB01 · Holborn Circus")
    assert searches(live_server, "demo-analyst") == before + 1

    rows.first.locator("button.trace-plate").click()
    # the first trace builds the served road graph (four extracts here): a few seconds
    expect(page.locator("#legs-table tbody tr")).to_have_count(2, timeout=60_000)
    expect(page.locator("#trace-verdict")).to_have_class("verdict cloned")
    expect(page.locator("#trace-verdict")).to_contain_text("Cloned plate suspected")
    expect(page.locator("#legs-table tbody tr.leg-impossible")).to_have_count(1)
    expect(page.locator("#legs-table tbody tr.leg-plausible")).to_have_count(1)
    expect(page.locator("#passages-map path.trace-point")).to_have_count(2)  # checkpoints
    expect(page.locator(".leaflet-tooltip").filter(has_text="LB01")).to_contain_text(
        "3. ")  # seen there first and third
    dashed = page.locator("#passages-map path[stroke-dasharray='10,8']")
    expect(dashed).to_have_count(1)  # the impossible leg, drawn along the road
    assert searches(live_server, "demo-analyst") == before + 2
    page.screenshot(path=str(artifacts / "passages-trace-london.png"), full_page=True)

    page.select_option("#through-first", "LB01")
    page.select_option("#through-then", "LB02")
    page.fill("#through-within", "15")
    page.fill("#through-from", local_input(START - timedelta(hours=1)))
    page.fill("#through-to", local_input(START + timedelta(hours=2)))
    page.fill("#through-reason", "escape route, alert 44")
    page.click("#through-search")
    through = page.locator("#through-table tbody tr")
    expect(through).to_have_count(1)
    expect(through.first).to_contain_text("粤B77777")
    expect(through.first).to_contain_text("10")
    page.screenshot(path=str(artifacts / "passages-through-london.png"), full_page=True)
