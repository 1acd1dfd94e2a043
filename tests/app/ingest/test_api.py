"""The ingest API: radio assignments (created, handed over, refused when they overlap,
ended; audited), unknown radios and the service's counters, with their roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.ingest.repository import messages
from app.models import AuditEntry, IngestMessage
from tests.app.dispatch.support import add_unit
from tests.conftest import Accounts, bearer

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_assignments_hand_a_radio_over_and_refuse_overlaps(
        client: FlaskClient, app: Flask, supervisor: dict[str, str],
        dispatcher: dict[str, str]) -> None:
    day = add_unit(client, supervisor, "P-31", "patrol_car")
    night = add_unit(client, supervisor, "P-32", "patrol_car")
    first = client.post("/api/v1/radio-assignments", headers=supervisor, json={
        "radio_id": "4711", "unit_id": day["id"], "alias": "handheld 11",
        "valid_from": T0.isoformat(), "reason": "day shift"})
    assert first.status_code == 201, first.json
    handed = client.post("/api/v1/radio-assignments", headers=supervisor, json={
        "radio_id": "4711", "unit_id": night["id"],
        "valid_from": (T0 + timedelta(hours=8)).isoformat()})
    assert handed.status_code == 201
    clash = client.post("/api/v1/radio-assignments", headers=supervisor, json={
        "radio_id": "4711", "unit_id": night["id"], "valid_from": T0.isoformat(),
        "valid_until": (T0 + timedelta(hours=1)).isoformat()})
    assert clash.status_code == 409 and clash.json["error"] == "radio_assigned"
    reversed_ = client.post("/api/v1/radio-assignments", headers=supervisor, json={
        "radio_id": "4712", "unit_id": night["id"], "valid_from": T0.isoformat(),
        "valid_until": T0.isoformat()})
    assert reversed_.status_code == 422 and reversed_.json["error"] == "period_reversed"
    assert client.post("/api/v1/radio-assignments", headers=dispatcher, json={
        "radio_id": "4713", "unit_id": day["id"]}).status_code == 403
    at_noon = client.get("/api/v1/radio-assignments", headers=dispatcher, query_string={
        "radio_id": "4711", "at": (T0 + timedelta(hours=4)).isoformat()}).json
    assert [(a["unit_id"], a["alias"]) for a in at_noon["assignments"]] == [
        (day["id"], "handheld 11")]
    listed = client.get("/api/v1/radio-assignments?radio_id=4711", headers=dispatcher).json
    assert [a["valid_until"] for a in listed["assignments"]] == [
        None, (T0 + timedelta(hours=8)).isoformat()]
    ended = client.post(f"/api/v1/radio-assignments/{handed.json['id']}/end",
                        headers=supervisor, json={
                            "valid_until": (T0 + timedelta(hours=16)).isoformat()})
    assert ended.status_code == 200
    assert ended.json["valid_until"] == (T0 + timedelta(hours=16)).isoformat()
    assert client.post("/api/v1/radio-assignments/999999/end", headers=supervisor,
                       json={}).status_code == 404
    with app.app_context():
        actions = get_session().execute(sa.select(AuditEntry.action).where(
            AuditEntry.action.like("radio.%")).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["radio.assign", "radio.assignment_end", "radio.assign",
                       "radio.assignment_end"]


def test_unknown_radios_and_the_status_are_listed_for_dispatchers(
        client: FlaskClient, app: Flask, accounts: Accounts, supervisor: dict[str, str],
        dispatcher: dict[str, str]) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        messages.add_outcomes(session, [
            {"identity": f"{i:064x}", "source": "terminal", "kind": kind,
             "topic": f"gridpatrol/units/8888/{kind}", "radio_id": "8888",
             "received_at": now - timedelta(minutes=i), "outcome": "unmapped",
             "payload": "{}"} for i, kind in enumerate(("position", "text", "position"))])
        messages.publish_status(session, name="mqtt", started_at=now, updated_at=now,
                                counters={"received": 3, "rejected_by_reason": {}},
                                details={"backlog": 0})
        session.commit()
    radios = client.get("/api/v1/radios/unknown", headers=dispatcher).json["radios"]
    (mine,) = [r for r in radios if r["radio_id"] == "8888"]
    assert mine["messages"] == 3 and mine["kinds"] == ["position", "text"]
    add_unit(client, supervisor, "P-88", "patrol_car", radio_ids=["8888"])
    radios = client.get("/api/v1/radios/unknown", headers=dispatcher).json["radios"]
    assert "8888" not in [r["radio_id"] for r in radios]  # mapped now: off the list
    status = client.get("/api/v1/ingest/status", headers=dispatcher).json
    (service,) = status["services"]
    assert service["counters"]["received"] == 3 and service["stale"] is False
    assert status["outcomes_24h"]["unmapped"] == 3
    viewer = bearer(accounts.create("viewer"))
    assert client.get("/api/v1/ingest/status", headers=viewer).status_code == 403
    with app.app_context():
        assert get_session().execute(sa.select(sa.func.count()).select_from(
            IngestMessage)).scalar() == 3
