"""The ingest page in chromium: a supervisor signs in, opens it from the menu, reads the
counters, and gives an unknown TAK user (heard through the real applier, a callsign
trying to be markup) to a unit with the form; the radio leaves the list and the
assignment is audited."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.db import get_session
from app.ingest.apply import Applier
from app.ingest.repository import messages
from app.ingest.repository.journal import Entry
from app.ingest.settings import status_codes
from app.models import AuditEntry, RadioAssignment, Unit
from dispatch.cot_in import COT_TOPIC
from dispatch.inbound import message_identity
from tests.browser.test_login_language import sign_in
from tests.dispatch.test_cot import atak_report

CALLSIGN = "<img src=x onerror=alert(1)>"


@pytest.fixture
def heard(live_server: dict[str, Any]) -> dict[str, Any]:
    """An unknown TAK user's report applied as ingest applies it; a unit to give it to;
    the counters a service published."""
    app = live_server["app"]
    uid = f"ANDROID-{time.time_ns() % 10**12:x}"
    report = atak_report(uid=uid, at=datetime.now(UTC), detail=(
        '<detail><contact callsign="&lt;img src=x onerror=alert(1)&gt;"/></detail>'))
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        unit = Unit(callsign=f"TAK-{uid[-4:]}", kind="foot", status="available")
        session.add(unit)
        result = Applier(status_codes(app), trunk_prefixes=("trunk-recorder",)).apply(
            session, [Entry(1, message_identity(COT_TOPIC, report), COT_TOPIC, report,
                            time.time())])
        messages.publish_status(session, name="mqtt", started_at=now - timedelta(minutes=5),
                                updated_at=now, counters={"received": 41, "applied": 40,
                                                          "unmapped": result.unmapped},
                                details={"connected": True, "database_ok": True,
                                         "backlog": 0, "backlog_limit": 50000,
                                         "lag_s": 0.0, "broker": "mqtt://127.0.0.1"})
        session.commit()
        assert result.unmapped == 1
        return {"radio_id": f"tak-{uid}", "unit_id": unit.id, "callsign": unit.callsign}


def test_a_supervisor_maps_an_unknown_radio_from_the_ingest_page(
        page: Page, live_server: dict[str, Any], heard: dict[str, Any]) -> None:
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server, "demo-supervisor")
    with page.expect_navigation():
        page.click("#nav-ingest")
    expect(page.locator("h1")).to_have_text("Ingest")
    expect(page.locator('[data-service="mqtt"] [data-counter="received"]')).to_have_text("41")
    row = page.locator(f"tr[data-radio-id='{heard['radio_id']}']")
    expect(row).to_contain_text(CALLSIGN)  # shown as the characters it is
    assert page.locator("#unknown-radios-table img").count() == 0
    page.screenshot(path="/tmp/ingest-page.png", full_page=True)
    row.locator("select[name=unit_id]").select_option(label=heard["callsign"])
    row.locator("input[name=reason]").fill("the foot patrol's phone")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator(".flash.info")).to_have_text(
        f"Radio {heard['radio_id']} now belongs to {heard['callsign']}.")
    expect(page.locator(f"tr[data-radio-id='{heard['radio_id']}']")).to_have_count(0)
    page.screenshot(path="/tmp/ingest-page-mapped.png", full_page=True)
    assert alerts == []
    with live_server["app"].app_context():
        session = get_session()
        assignment = session.execute(sa.select(RadioAssignment).where(
            RadioAssignment.radio_id == heard["radio_id"])).scalar_one()
        audit = session.execute(sa.select(AuditEntry).where(
            AuditEntry.action == "radio.assign",
            AuditEntry.object_id == str(assignment.id))).scalar_one()
    assert assignment.unit_id == heard["unit_id"] and assignment.created_by == "demo-supervisor"
    assert (audit.actor, audit.reason) == ("demo-supervisor", "the foot patrol's phone")


def test_the_ingest_page_is_not_offered_to_a_dispatcher(
        page: Page, live_server: dict[str, Any], artifacts: Path) -> None:
    sign_in(page, live_server, "demo-dispatcher")
    expect(page.locator("#nav-ingest")).to_have_count(0)
    response = page.goto(live_server["url"] + "/admin/ingest")
    assert response is not None and response.status == 403
