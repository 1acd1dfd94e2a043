"""Maintenance over the API: maintainers (contractors with their contract's response and
repair times), the cameras they keep and the users who work for them; tickets.

A maintainer's users see their own maintainer's tickets only (another's answers 404, as
if it did not exist); they may acknowledge and close those by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask import request
from flask_login import current_user
from pydantic import Field

from app import audit
from app.api import bp
from app.api.docs import (
    DATE_TIME,
    NULLABLE_STRING,
    Answer,
    Param,
    StrictBody,
    choice,
    documented,
    json_object,
    parse_body,
)
from app.auth.access import TICKET_KEEPERS, TICKET_READERS, allow
from app.auth.repository import user_named
from app.db import get_session
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.maintenance import repository, tickets
from app.models import Maintainer
from dispatch.cameras.health import sla_clocks

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$"
MAINTAINER_CODE = Param("code", "maintainer code", location="path",
                        schema={"pattern": CODE_PATTERN})
TICKET_ID = Param("ticket_id", "ticket id", location="path", type="integer")
_NULLABLE_TIME = {"anyOf": [DATE_TIME, {"type": "null"}]}
MAINTAINER = json_object(
    ("id", "code", "name", "kind", "response_h", "repair_h", "active"),
    id={"type": "integer"}, code={"type": "string"}, name={"type": "string"},
    kind={"enum": ["equipment", "power", "telecom"]}, contact=NULLABLE_STRING,
    response_h={"type": "number"}, repair_h={"type": "number"}, active={"type": "boolean"},
    cameras={"type": "integer"})
TICKET = json_object(
    ("id", "camera_id", "status", "faults", "opened_at", "sla"),
    id={"type": "integer"}, camera_id={"type": "integer"}, camera_name=NULLABLE_STRING,
    area=NULLABLE_STRING, maintainer={"anyOf": [{"type": "object"}, {"type": "null"}]},
    status={"enum": ["open", "closed"]}, faults={"type": "array", "items": {"type": "string"}},
    findings={"type": "array"}, opened_at=DATE_TIME, acknowledged_at=_NULLABLE_TIME,
    acknowledged_by=NULLABLE_STRING, closed_at=_NULLABLE_TIME, closed_by=NULLABLE_STRING,
    close_how={"enum": ["auto", "manual", None]}, close_note=NULLABLE_STRING,
    delivered={"type": ["boolean", "null"]}, delivery_detail=NULLABLE_STRING,
    sla={"type": ["object", "null"]}, lon={"type": "number"}, lat={"type": "number"},
    notes={"type": "array", "items": json_object(
        ("at", "username", "kind", "note"), at=DATE_TIME, username={"type": "string"},
        kind={"enum": ["acknowledge", "note", "close"]}, note={"type": "string"})})
REASON = Field(default=None, max_length=2000)


class MaintainerBody(StrictBody):
    code: str = Field(pattern=CODE_PATTERN, description="short code the gateway addresses it by")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["equipment", "power", "telecom"]
    contact: str | None = Field(default=None, max_length=200,
                                description="talkgroup or channel the gateway sends to")
    response_h: float = Field(gt=0, le=8760, description="contract response time, hours")
    repair_h: float = Field(gt=0, le=8760, description="contract repair time, hours")
    reason: str | None = REASON


class CameraAssignmentBody(StrictBody):
    camera_ids: list[int] | None = Field(default=None, min_length=1, max_length=10000)
    area: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str | None = REASON


class MaintainerMemberBody(StrictBody):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    reason: str | None = REASON


class TicketCloseBody(StrictBody):
    note: str = Field(min_length=1, max_length=2000)


class TicketAcknowledgeBody(StrictBody):
    note: str | None = Field(default=None, max_length=2000,
                             description="kept among the ticket's notes")


class TicketNoteBody(StrictBody):
    note: str = Field(min_length=1, max_length=2000)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def maintainer_json(row: Maintainer, cameras: int = 0) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "name": row.name, "kind": row.kind,
            "contact": row.contact, "response_h": row.response_h, "repair_h": row.repair_h,
            "active": row.active, "cameras": cameras}


def ticket_json(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    sla = None
    if row["respond_by"] is not None and row["repair_by"] is not None:
        opened = row["opened_at"]
        response, repair = sla_clocks(
            opened, response_h=(row["respond_by"] - opened).total_seconds() / 3600,
            repair_h=(row["repair_by"] - opened).total_seconds() / 3600,
            responded_at=tickets.responded_at(row["acknowledged_at"], row["closed_at"]),
            repaired_at=row["closed_at"])
        sla = {"respond_by": iso(response.due), "response": response.state(now),
               "response_remaining_s": response.remaining_s(now),
               "repair_by": iso(repair.due), "repair": repair.state(now),
               "repair_remaining_s": repair.remaining_s(now)}
    return {
        "id": row["id"], "camera_id": row["camera_id"], "camera_name": row["camera_name"],
        "area": row["area"], "lon": row["lon"], "lat": row["lat"],
        "maintainer": ({"id": row["maintainer_id"], "code": row["maintainer_code"],
                        "name": row["maintainer_name"]} if row["maintainer_id"] else None),
        "status": row["status"], "faults": list(row["faults"]),
        "findings": list(row["findings"] or []), "opened_at": iso(row["opened_at"]),
        "acknowledged_at": iso(row["acknowledged_at"]),
        "acknowledged_by": row["acknowledged_by"], "closed_at": iso(row["closed_at"]),
        "closed_by": row["closed_by"], "close_how": row["close_how"],
        "close_note": row["close_note"], "delivered": row["delivered"],
        "delivery_detail": row["delivery_detail"], "sla": sla,
    }


def own_maintainer() -> int | None:
    """For a maintainer's user: the maintainer it works for (-1: none, so nothing shows);
    for everyone else None (no restriction)."""
    if current_user.role_name != "maintainer":
        return None
    found = repository.member_maintainer(get_session(), current_user.id)
    return found if found is not None else -1


def _maintainer(session: Any, code: str) -> Maintainer:
    row = repository.maintainer_by_code(session, code)
    if row is None:
        raise RecordNotFound(f"No maintainer {code}.", field="code")
    return row


@bp.get("/maintainers")
@allow(*TICKET_KEEPERS, "video_operator", "dispatcher", "viewer")
@documented("Maintainers (contractors: equipment, power, telecom) with their contract's "
            "response and repair times and how many cameras each keeps", tag="video",
            responses={200: Answer("{maintainers}", schema=json_object(
                ("maintainers",), maintainers={"type": "array", "items": MAINTAINER}))})
def list_maintainers() -> dict[str, Any]:
    session = get_session()
    counts = repository.camera_counts(session)
    return {"maintainers": [maintainer_json(m, counts.get(m.id, 0))
                            for m in repository.maintainers(session)]}


@bp.post("/maintainers")
@allow(*TICKET_KEEPERS)
@documented("Add a maintainer, or change the one with this code", tag="video",
            body=MaintainerBody, responses={200: Answer("The maintainer", schema=MAINTAINER)})
def save_maintainer() -> dict[str, Any]:
    body = parse_body(MaintainerBody)
    session = get_session()
    row = repository.maintainer_by_code(session, body.code)
    values = body.model_dump(exclude={"reason"})
    if row is None:
        row = Maintainer(**values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    audit.record(session, "maintainer.save", object_type="maintainer", object_id=row.id,
                 reason=body.reason, details=values)
    session.commit()
    return maintainer_json(row, repository.camera_counts(session).get(row.id, 0))


@bp.post("/maintainers/<code>/cameras")
@allow(*TICKET_KEEPERS)
@documented("Make the maintainer responsible for these cameras, or every camera of an "
            "area (exactly one of camera_ids and area); another maintainer's cameras move "
            "to this one", tag="video", params=(MAINTAINER_CODE,), body=CameraAssignmentBody,
            refusals={"unknown_camera": "a camera id that does not exist",
                      "no_cameras": "the area holds no camera"},
            responses={200: Answer("{maintainer, assigned}", schema=json_object(
                ("maintainer", "assigned"), maintainer={"type": "string"},
                assigned={"type": "integer"})), 404: "No such maintainer"})
def assign_cameras(code: str) -> dict[str, Any]:
    body = parse_body(CameraAssignmentBody)
    if (body.camera_ids is None) == (body.area is None):
        raise InvalidValue("Give exactly one of camera_ids and area.", field="camera_ids")
    session = get_session()
    keeper = _maintainer(session, code)
    if body.camera_ids is not None:
        wanted = sorted(set(body.camera_ids))
        missing = sorted(set(wanted) - repository.existing_camera_ids(session, wanted))
        if missing:
            raise InvalidValue(f"No camera {missing[0]}.", field="camera_ids",
                               code="unknown_camera")
    else:
        wanted = repository.camera_ids_in_area(session, body.area or "")
        if not wanted:
            raise InvalidValue(f"The area {body.area!r} holds no camera.", field="area",
                               code="no_cameras")
    repository.assign_cameras(session, keeper.id, wanted)
    audit.record(session, "maintainer.assign", object_type="maintainer",
                 object_id=keeper.id, reason=body.reason,
                 details={"cameras": len(wanted), "area": body.area})
    session.commit()
    return {"maintainer": keeper.code, "assigned": len(wanted)}


@bp.post("/maintainers/<code>/members")
@allow(*TICKET_KEEPERS)
@documented("A user with the maintainer role works for this maintainer (and sees its "
            "tickets); a user works for one maintainer at a time", tag="video",
            params=(MAINTAINER_CODE,), body=MaintainerMemberBody,
            refusals={"unknown_user": "no user has that name",
                      "not_a_maintainer": "the user's role is not maintainer"},
            responses={200: Answer("{maintainer, username}", schema=json_object(
                ("maintainer", "username"), maintainer={"type": "string"},
                username={"type": "string"})), 404: "No such maintainer"})
def add_member(code: str) -> dict[str, Any]:
    body = parse_body(MaintainerMemberBody)
    session = get_session()
    keeper = _maintainer(session, code)
    user = user_named(session, body.username)
    if user is None:
        raise InvalidValue(f"No user {body.username}.", field="username", code="unknown_user")
    if user.role_name != "maintainer":
        raise InvalidValue(f"{body.username} has the role {user.role_name}, not maintainer.",
                           field="username", code="not_a_maintainer")
    repository.set_member(session, user.id, keeper.id)
    audit.record(session, "maintainer.member", object_type="maintainer", object_id=keeper.id,
                 reason=body.reason, details={"username": user.username})
    session.commit()
    return {"maintainer": keeper.code, "username": user.username}


@bp.get("/tickets")
@allow(*TICKET_READERS)
@documented("Maintenance tickets, open ones first: faults, maintainer, SLA clocks (response "
            "and repair: running, met or breached, seconds left) and delivery. A maintainer "
            "sees its own tickets only", tag="video", params=(
                choice("status", "only open or closed tickets", ("open", "closed")),
                Param("maintainer", "only this maintainer's (id)", type="integer",
                      schema={"minimum": 0, "maximum": 2**31 - 1}),
                Param("camera", "only this camera's (id)", type="integer",
                      schema={"minimum": 0, "maximum": 2**31 - 1}),
                Param("area", "only cameras in this area (by name)",
                      schema={"maxLength": 200}),
                Param("limit", "at most this many (default 500)", type="integer",
                      schema={"minimum": 1, "maximum": 5000}),
                Param("offset", "skip this many", type="integer",
                      schema={"minimum": 0, "maximum": 2**31 - 1})),
            responses={200: Answer("{tickets}", schema=json_object(
                ("tickets",), tickets={"type": "array", "items": TICKET}))})
def list_tickets() -> dict[str, Any]:
    args = request.args
    own = own_maintainer()
    asked = int(args["maintainer"]) if args.get("maintainer") else None
    if own is not None and asked is not None and asked != own:
        return {"tickets": []}
    rows = repository.ticket_rows(
        get_session(), status=args.get("status") or None,
        maintainer_id=own if own is not None else asked,
        camera_id=int(args["camera"]) if args.get("camera") else None,
        area=args.get("area") or None, limit=int(args.get("limit") or 500),
        offset=int(args.get("offset") or 0))
    now = datetime.now(UTC)
    return {"tickets": [ticket_json(row, now) for row in rows]}


def _visible_ticket(ticket_id: int) -> dict[str, Any]:
    own = own_maintainer()
    rows = repository.ticket_rows(get_session(), ticket_id=ticket_id, maintainer_id=own)
    if not rows:
        raise RecordNotFound(f"No ticket {ticket_id}.", field="ticket_id")
    return rows[0]


def notes_json(ticket_id: int) -> list[dict[str, Any]]:
    return [{"at": n.at.isoformat(), "username": n.username, "kind": n.kind, "note": n.body}
            for n in repository.notes(get_session(), ticket_id)]


def full_ticket(ticket_id: int, now: datetime) -> dict[str, Any]:
    """One ticket with its notes."""
    return ticket_json(_visible_ticket(ticket_id), now) | {"notes": notes_json(ticket_id)}


@bp.get("/tickets/<int:ticket_id>")
@allow(*TICKET_READERS)
@documented("One ticket, with its notes", tag="video", params=(TICKET_ID,),
            responses={200: Answer("The ticket", schema=TICKET)})
def show_ticket(ticket_id: int) -> dict[str, Any]:
    return full_ticket(ticket_id, datetime.now(UTC))


@bp.post("/tickets/<int:ticket_id>/acknowledge")
@allow(*TICKET_KEEPERS, "maintainer")
@documented("The maintainer takes the ticket on: the response clock stops (a note, if "
            "given, is kept among the ticket's notes)", tag="video",
            params=(TICKET_ID,), body=TicketAcknowledgeBody,
            responses={200: Answer("The ticket", schema=TICKET), 409: "The ticket is closed"})
def acknowledge_ticket(ticket_id: int) -> dict[str, Any]:
    body = parse_body(TicketAcknowledgeBody)
    _visible_ticket(ticket_id)
    session = get_session()
    now = datetime.now(UTC)
    tickets.acknowledge(session, ticket_id, by=current_user, now=now, note=body.note or None)
    session.commit()
    return full_ticket(ticket_id, now)


@bp.post("/tickets/<int:ticket_id>/notes")
@allow(*TICKET_KEEPERS, "maintainer")
@documented("Write a note on an open ticket (what was found, parts ordered, a visit "
            "planned); audited", tag="video", params=(TICKET_ID,), body=TicketNoteBody,
            responses={200: Answer("The ticket", schema=TICKET), 409: "The ticket is closed"})
def add_ticket_note(ticket_id: int) -> dict[str, Any]:
    body = parse_body(TicketNoteBody)
    _visible_ticket(ticket_id)
    session = get_session()
    now = datetime.now(UTC)
    tickets.add_note(session, ticket_id, body=body.note, by=current_user, now=now)
    session.commit()
    return full_ticket(ticket_id, now)


@bp.post("/tickets/<int:ticket_id>/close")
@allow(*TICKET_KEEPERS, "maintainer")
@documented("Close a ticket by hand, with a note (the repair clock stops); the maintainer "
            "is told through the gateway", tag="video", params=(TICKET_ID,), body=TicketCloseBody,
            responses={200: Answer("The ticket", schema=TICKET), 409: "Already closed"})
def close_ticket(ticket_id: int) -> dict[str, Any]:
    body = parse_body(TicketCloseBody)
    _visible_ticket(ticket_id)
    session = get_session()
    now = datetime.now(UTC)
    try:
        row = tickets.close_by_hand(session, ticket_id, note=body.note, by=current_user,
                                    now=now)
    except StateConflict:
        session.rollback()
        raise
    session.commit()
    tickets.send_after_commit(session, tickets.TicketChange("close", row.id))
    return full_ticket(ticket_id, now)
