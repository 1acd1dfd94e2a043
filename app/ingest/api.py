"""The ingest area's API: the service's counters, radio assignments, unknown radios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import AwareDatetime, Field

from app.api import bp
from app.api.docs import (
    DATE_TIME,
    ID_RANGE,
    Answer,
    Param,
    StrictBody,
    documented,
    json_object,
    parse_body,
)
from app.auth.access import allow
from app.db import get_session
from app.ingest import radios
from app.ingest.repository import messages
from app.ingest.repository import radios as radio_rows

STALE_AFTER = timedelta(seconds=10)  # a service silent this long is shown stale
MAX_ROWS = 500
RADIO_ID = {"type": "string", "minLength": 1, "maxLength": 32, "pattern": r"^[A-Za-z0-9_.\-]+$"}
_NULLABLE_TIME = {"anyOf": [DATE_TIME, {"type": "null"}]}
ASSIGNMENT = json_object(
    ("id", "radio_id", "unit_id", "alias", "valid_from", "valid_until"),
    id={"type": "integer"}, radio_id={"type": "string"}, unit_id={"type": "integer"},
    alias={"type": "string"}, valid_from=DATE_TIME, valid_until=_NULLABLE_TIME,
    note={"type": ["string", "null"]}, created_by={"type": "string"}, created_at=DATE_TIME)
SERVICE = json_object(
    ("name", "started_at", "updated_at", "stale", "counters", "details"),
    name={"type": "string"}, started_at=DATE_TIME, updated_at=DATE_TIME,
    stale={"type": "boolean"}, counters={"type": "object"}, details={"type": "object"})


class AssignmentBody(StrictBody):
    radio_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")
    unit_id: int = Field(ge=0, le=2**31 - 1)
    alias: str = Field(default="", max_length=64)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=2000)


class EndBody(StrictBody):
    valid_until: AwareDatetime | None = None
    reason: str | None = Field(default=None, max_length=2000)


@bp.get("/ingest/status")
@allow("dispatcher", "supervisor")
@documented("The ingest services' counters (received, parsed, rejected by reason, "
            "applied, duplicates, unmapped, illegal status changes, ignored; nmea_ignored: "
            "NMEA sentences without a position, such as GSV and GSA, counted apart from the "
            "rejected) and state (broker connection, database, backlog, lag), as each last "
            "published them; with the message outcomes recorded in the last 24 h",
            tag="ingest",
            responses={200: Answer("{services, outcomes_24h}", schema=json_object(
                ("services", "outcomes_24h"), services={"type": "array", "items": SERVICE},
                outcomes_24h={"type": "object"}))})
def ingest_status() -> dict[str, Any]:
    session = get_session()
    now = datetime.now(UTC)
    services = [{"name": s.name, "started_at": s.started_at.isoformat(),
                 "updated_at": s.updated_at.isoformat(),
                 "stale": now - s.updated_at > STALE_AFTER, "counters": s.counters,
                 "details": s.details} for s in messages.statuses(session)]
    return {"services": services,
            "outcomes_24h": messages.outcome_counts(session, since=now - timedelta(days=1))}


@bp.get("/radio-assignments")
@allow("dispatcher", "supervisor")
@documented("Radio assignments (radio ID → unit, with validity periods), newest first",
            tag="ingest", params=(
                Param("radio_id", "only this radio's", schema={"maxLength": 32}),
                Param("unit_id", "only this unit's", type="integer", schema=ID_RANGE),
                Param("at", "only those holding at this time (ISO 8601 with a zone)",
                      format="date-time")),
            responses={200: Answer("{assignments}", schema=json_object(
                ("assignments",), assignments={"type": "array", "items": ASSIGNMENT}))})
def list_assignments() -> dict[str, Any]:
    args = request.args
    rows = radio_rows.assignments(
        get_session(), radio_id=args.get("radio_id") or None,
        unit_id=int(args["unit_id"]) if args.get("unit_id") else None,
        at=datetime.fromisoformat(args["at"]) if args.get("at") else None, limit=MAX_ROWS)
    return {"assignments": [radios.assignment_json(r) for r in rows]}


@bp.post("/radio-assignments")
@allow("supervisor")
@documented("Give a radio to a unit from valid_from (default now) until valid_until "
            "(default: until further notice). An open-ended assignment of that radio "
            "starting earlier ends where this one begins (the radio changed hands); "
            "valid_until must come after valid_from", tag="ingest", body=AssignmentBody,
            responses={201: Answer("The assignment", schema=ASSIGNMENT),
                       404: "No such unit", 409: "The radio is assigned to another unit "
                                                 "for part of that period"},
            refusals={radios.PERIOD_REVERSED: "valid_until is not after valid_from (or now)"})
def create_assignment() -> tuple[dict[str, Any], int]:
    body = parse_body(AssignmentBody)
    session = get_session()
    row = radios.assign(session, radio_id=body.radio_id, unit_id=body.unit_id,
                        valid_from=body.valid_from, valid_until=body.valid_until,
                        alias=body.alias, note=body.note, actor=current_user.username,
                        reason=body.reason)
    session.commit()
    return radios.assignment_json(row), 201


@bp.post("/radio-assignments/<int:assignment_id>/end")
@allow("supervisor")
@documented("End a radio assignment (now, or at valid_until, which must come after its "
            "start); an assignment that ended earlier stays as it is", tag="ingest",
            params=(Param("assignment_id", "assignment id", location="path",
                          type="integer"),),
            body=EndBody, responses={200: Answer("The assignment", schema=ASSIGNMENT),
                                     404: "No such assignment"},
            refusals={radios.PERIOD_REVERSED: "valid_until is not after the assignment's "
                                              "valid_from"})
def end_assignment(assignment_id: int) -> dict[str, Any]:
    body = parse_body(EndBody)
    session = get_session()
    row = radios.end_assignment(session, assignment_id, valid_until=body.valid_until,
                                actor=current_user.username, reason=body.reason)
    session.commit()
    return radios.assignment_json(row)


@bp.get("/radios/unknown")
@allow("dispatcher", "supervisor")
@documented("Radios heard that no unit holds now, most recently heard first: how many "
            "messages are kept for each, when first and last heard, of which kinds",
            tag="ingest", params=(
                Param("limit", f"at most this many (default and maximum {MAX_ROWS})",
                      type="integer", schema={"minimum": 1, "maximum": MAX_ROWS}),),
            responses={200: Answer("{radios}", schema=json_object(("radios",), radios={
                "type": "array", "items": json_object(
                    ("radio_id", "messages", "first_heard", "last_heard", "kinds"),
                    radio_id={"type": "string"}, alias={"type": ["string", "null"]},
                    messages={"type": "integer"}, first_heard=DATE_TIME,
                    last_heard=DATE_TIME,
                    kinds={"type": "array", "items": {"type": "string"}})}))})
def unknown_radios() -> dict[str, Any]:
    rows = messages.unknown_radios(get_session(), now=datetime.now(UTC),
                                   limit=int(request.args.get("limit", MAX_ROWS)))
    return {"radios": [{"radio_id": r[0], "alias": r[1], "messages": r[2],
                        "first_heard": r[3].isoformat(), "last_heard": r[4].isoformat(),
                        "kinds": sorted(r[5])} for r in rows]}
