"""The ingest page: counters per service and per input, outcomes by source, unknown radios
with the form that maps one (a radio assignment, audited), refused messages and dead
letters; for supervisors and admins only; everything from the radio world escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.models import AuditEntry, IngestMessage, IngestStatus, RadioAssignment, RadioLogEntry, Unit
from tests.conftest import Accounts, bearer, csrf_token, login

HOSTILE = "<script>alert('x')</script>"


def seed(app: Flask) -> int:
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        unit = Unit(callsign="MAP-1", kind="patrol_car", status="available")
        session.add(unit)
        session.add(IngestStatus(
            name="mqtt", started_at=now - timedelta(hours=1), updated_at=now,
            counters={"received": 1200, "applied": 1100, "rejected": 7, "nmea_ignored": 4300,
                      "rejected_by_reason": {"not_json": 5, "no_fix": 2},
                      "tak_events_in": 3},
            details={"connected": True, "database_ok": True, "backlog": 4,
                     "backlog_limit": 50000, "lag_s": 0.25, "broker": "mqtt://x@127.0.0.1",
                     "inputs": {"tak tcp 127.0.0.1:8087": {
                         "connected": True, "counters": {"tak_events_in": 3}}}}))
        for i, (outcome, radio, alias, reason, payload) in enumerate([
                ("unmapped", "tak-ANDROID-77", f"Zulu {HOSTILE}", None, "{}"),
                ("unmapped", "tak-ANDROID-77", None, None, "{}"),
                ("rejected", "4711", None, "not_json: payload: not JSON",
                 f"<img src=x onerror=alert(1)>{HOSTILE}"),
                ("illegal", "4712", None, "illegal_status: out of service", "10-97")]):
            session.add(IngestMessage(
                identity=f"page-test-{i}", source="tak" if radio.startswith("tak")
                else "terminal", kind="position", topic="t", radio_id=radio, alias=alias,
                received_at=now - timedelta(minutes=i), outcome=outcome, reason=reason,
                payload=payload))
        session.flush()
        session.add(RadioLogEntry(direction="out", kind="dispatch_order", body=f"GO {HOSTILE}",
                                  payload={"callsign": "MAP-1"}, delivery="failed",
                                  delivery_detail="broker away", attempts=6, actor="x",
                                  unit_id=unit.id))
        session.commit()
        return unit.id


def test_the_page_shows_ingest_escaped_to_supervisors_and_admins(
        app: Flask, client: FlaskClient, accounts: Accounts) -> None:
    seed(app)
    for role in ("supervisor", "admin"):
        page = client.get("/admin/ingest", headers=bearer(accounts.create(role)))
        assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert HOSTILE not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert 'data-counter="received">1200<' in html and 'data-counter="applied">1100<' in html
    assert 'data-counter="nmea_ignored">4300<' in html
    assert "<code>not_json</code></td><td>5<" in html
    assert "tak tcp 127.0.0.1:8087" in html and "tak_events_in</code> 3" in html
    assert 'data-radio-id="tak-ANDROID-77"' in html and "illegal_status: out of service" in html
    assert "broker away" in html and "<script" not in re.sub(r"<script src=[^>]+>", "", html)
    for role in ("dispatcher", "analyst", "viewer", "device"):
        assert client.get("/admin/ingest", headers=bearer(
            accounts.create(role))).status_code == 403


def test_an_unknown_radio_is_mapped_from_the_page_and_audited(
        app: Flask, client: FlaskClient, accounts: Accounts) -> None:
    unit_id = seed(app)
    login(client, accounts.create("supervisor", username="sup-map"))
    token = csrf_token(client, "/admin/ingest")
    refused = client.post("/admin/ingest/radios", data={
        "csrf_token": token, "radio_id": "tak-ANDROID-77", "unit_id": str(unit_id),
        "alias": "Zulu", "reason": ""})
    assert refused.status_code == 302
    assert "Give a reason." in client.get("/admin/ingest").get_data(as_text=True)
    done = client.post("/admin/ingest/radios", data={
        "csrf_token": token, "radio_id": "tak-ANDROID-77", "unit_id": str(unit_id),
        "alias": "Zulu", "reason": "Bravo team's phone"})
    assert done.status_code == 302 and done.headers["Location"].endswith("#unknown-radios")
    html = client.get("/admin/ingest").get_data(as_text=True)
    assert "Radio tak-ANDROID-77 now belongs to MAP-1." in html
    assert 'data-radio-id="tak-ANDROID-77"' not in html
    with app.app_context():
        session = get_session()
        (row,) = session.execute(sa.select(RadioAssignment).where(
            RadioAssignment.radio_id == "tak-ANDROID-77")).scalars().all()
        audit = session.execute(sa.select(AuditEntry).where(
            AuditEntry.action == "radio.assign")).scalars().all()
    assert (row.unit_id, row.alias, row.created_by) == (unit_id, "Zulu", "sup-map")
    assert [(a.actor, a.reason) for a in audit] == [("sup-map", "Bravo team's phone")]
    again = client.post("/admin/ingest/radios", data={
        "csrf_token": token, "radio_id": "not a radio!", "unit_id": str(unit_id),
        "reason": "x"})
    assert again.status_code == 302
    assert "Not a radio ID." in client.get("/admin/ingest").get_data(as_text=True)
    forged = client.post("/admin/ingest/radios", data={
        "radio_id": "4711", "unit_id": str(unit_id), "reason": "no token"})
    assert forged.status_code == 400
