"""Units: the roster, status changes (APCO-style model, 409 on an illegal change) and
positions, as JSON or as NMEA 0183 sentences from a receiver or radio gateway."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import AwareDatetime, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from app import audit
from app.api import bp
from app.api.docs import (
    DATE_TIME,
    ID_RANGE,
    NULLABLE_NUMBER,
    Answer,
    Body,
    Param,
    StrictBody,
    documented,
    json_object,
    no_default,
    parse_body,
)
from app.auth.access import allow, any_role
from app.db import get_session
from app.dispatch import repository
from app.dispatch.units import PositionIn, change_status, get_unit, record_positions, unit_json
from app.errors import InvalidValue, MalformedRequest, RecordNotFound, StateConflict
from app.geography.repository import area_id_named
from app.models import PositionReject, Unit
from dispatch.nmea import Rejected
from dispatch.nmea_epochs import read_log
from dispatch.recommend import UnitKind
from dispatch.status import UnitStatus

MAX_NMEA_BYTES = 1_000_000
FUTURE_TOLERANCE = timedelta(minutes=2)
UNIT_ID = Param("unit_id", "unit id", location="path", type="integer")
_NULLABLE_ID = {"type": ["integer", "null"]}
UNIT = json_object(
    ("id", "callsign", "kind", "skills", "radio_ids", "status", "status_since", "status_s",
     "active", "lon", "lat"),
    id={"type": "integer"}, callsign={"type": "string"},
    kind={"enum": [k.value for k in UnitKind]},
    skills={"type": "array", "items": {"type": "string"}},
    radio_ids={"type": "array", "items": {"type": "string"}}, home_area_id=_NULLABLE_ID,
    status={"enum": [s.value for s in UnitStatus]}, status_label={"type": "string"},
    status_since=DATE_TIME, status_s={"type": "integer"}, alert_id=_NULLABLE_ID,
    active={"type": "boolean"}, lon=NULLABLE_NUMBER, lat=NULLABLE_NUMBER,
    fix_at={"anyOf": [DATE_TIME, {"type": "null"}]}, speed_mps=NULLABLE_NUMBER,
    course_deg=NULLABLE_NUMBER)
THE_UNIT = Answer("The unit", schema=UNIT)
UNKNOWN_HOME_AREA = {"unknown_area": "no area has the name given in home_area"}


def _clean_list(values: list[str] | None) -> list[str] | None:
    """Skills and radio ids: stripped, 1 to 32 characters, repeats dropped (order kept)."""
    if values is None:
        return None
    cleaned = [v.strip() for v in values]
    if any(not v or len(v) > 32 for v in cleaned):
        raise ValueError("each entry must have 1 to 32 characters")
    return sorted(set(cleaned), key=cleaned.index)


ENTRY = {"items": {"type": "string", "minLength": 1, "maxLength": 32}}


class UnitBody(StrictBody):
    callsign: str = Field(min_length=1, max_length=32, pattern=r"^[\w\-./ ]+$")
    kind: UnitKind
    skills: list[str] = Field(default_factory=list, max_length=20, json_schema_extra=ENTRY)
    radio_ids: list[str] = Field(default_factory=list, max_length=10,
                                 json_schema_extra=ENTRY)
    home_area: str | None = Field(default=None, max_length=200)
    status: UnitStatus = UnitStatus.OUT_OF_SERVICE
    reason: str | None = Field(default=None, max_length=2000)

    _clean = field_validator("skills", "radio_ids")(_clean_list)


class UnitChange(StrictBody):
    # kind and active may be left out, not set to null (null home_area: no home area)
    kind: UnitKind | SkipJsonSchema[None] = Field(default=None, json_schema_extra=no_default)
    skills: list[str] | None = Field(default=None, max_length=20, json_schema_extra=ENTRY)
    radio_ids: list[str] | None = Field(default=None, max_length=10, json_schema_extra=ENTRY)
    home_area: str | None = Field(default=None, max_length=200)
    active: bool | SkipJsonSchema[None] = Field(default=None, json_schema_extra=no_default)
    reason: str | None = Field(default=None, max_length=2000)

    _clean = field_validator("skills", "radio_ids")(_clean_list)

    @field_validator("kind", "active", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class StatusBody(StrictBody):
    status: UnitStatus
    reason: str | None = Field(default=None, max_length=2000)


class PositionBody(StrictBody):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    at: AwareDatetime | None = None
    speed_mps: float | None = Field(default=None, ge=0, le=150)
    course_deg: float | None = Field(default=None, ge=0, lt=360)


def _area_id(name: str | None) -> int | None:
    return None if name is None else area_id_named(get_session(), name, field="home_area")


def _check_radio_ids(radio_ids: list[str], unit_id: int | None) -> None:
    if not radio_ids:
        return
    taken = repository.radio_id_holder(get_session(), radio_ids, other_than=unit_id)
    if taken:
        raise StateConflict(f"A radio id in {radio_ids} already belongs to unit {taken}.",
                            field="radio_ids", code="radio_id_taken")


@bp.get("/units")
@any_role
@documented("Units with status, timer and last position", tag="dispatch",
            responses={200: Answer("{units}", schema=json_object(
                ("units",), units={"type": "array", "items": UNIT}))}, params=(
    Param("active", "false: include inactive units", type="boolean"),))
def list_units() -> dict[str, Any]:
    active_only = request.args.get("active") != "false"
    now = datetime.now(UTC)
    return {"units": [unit_json(u, now=now)
                      for u in repository.units(get_session(), active_only=active_only)]}


@bp.post("/units")
@allow("supervisor")
@documented("Add a unit", tag="dispatch", body=UnitBody, refusals=UNKNOWN_HOME_AREA,
            responses={201: THE_UNIT, 409: "Callsign or radio id taken"})
def create_unit() -> tuple[dict[str, Any], int]:
    body = parse_body(UnitBody)
    session = get_session()
    if repository.callsign_taken(session, body.callsign):
        raise StateConflict(f"Callsign {body.callsign!r} is taken.", field="callsign",
                            code="callsign_taken")
    _check_radio_ids(body.radio_ids, None)
    unit = Unit(callsign=body.callsign, kind=body.kind.value, skills=body.skills,
                radio_ids=body.radio_ids, home_area_id=_area_id(body.home_area),
                status=body.status.value, status_since=datetime.now(UTC))
    session.add(unit)
    session.flush()
    audit.record(session, "unit.create", object_type="unit", object_id=unit.id,
                 reason=body.reason, details=body.model_dump(mode="json", exclude={"reason"}))
    session.commit()
    return unit_json(unit), 201


@bp.get("/units/<int:unit_id>")
@any_role
@documented("One unit, with its recent status history", tag="dispatch", params=(UNIT_ID,),
            responses={200: Answer("The unit and status_history", schema={
                **UNIT, "required": [*UNIT["required"], "status_history"]})})
def show_unit(unit_id: int) -> dict[str, Any]:
    session = get_session()
    unit = get_unit(session, unit_id)
    history = repository.status_history(session, unit_id, limit=50)
    return unit_json(unit) | {"status_history": [
        {"at": h.at.isoformat(), "from": h.previous, "to": h.status, "alert_id": h.alert_id,
         "actor": h.actor, "source": h.source} for h in history]}


@bp.patch("/units/<int:unit_id>")
@allow("supervisor")
@documented("Change a unit's kind, skills, radio ids, home area or active flag",
            tag="dispatch", body=UnitChange, params=(UNIT_ID,), refusals=UNKNOWN_HOME_AREA,
            responses={200: THE_UNIT, 409: "Radio id taken"})
def change_unit(unit_id: int) -> dict[str, Any]:
    body = parse_body(UnitChange)
    session = get_session()
    unit = get_unit(session, unit_id, lock=True)
    values = body.model_dump(exclude_unset=True, exclude={"reason"})
    if "radio_ids" in values:
        _check_radio_ids(values["radio_ids"] or [], unit_id)
    changed: dict[str, Any] = {}
    for field, value in values.items():
        column = "home_area_id" if field == "home_area" else field
        new = _area_id(value) if field == "home_area" else (
            value.value if isinstance(value, UnitKind) else value)
        if field in ("skills", "radio_ids") and new is None:
            new = []
        if getattr(unit, column) != new:
            changed[column] = [getattr(unit, column), new]
            setattr(unit, column, new)
    if changed:
        unit.updated_at = datetime.now(UTC)
        audit.record(session, "unit.update", object_type="unit", object_id=unit_id,
                     reason=body.reason, details={k: [_jsonable(a), _jsonable(b)]
                                                  for k, (a, b) in changed.items()})
    session.commit()
    return unit_json(unit)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


@bp.post("/units/<int:unit_id>/status")
@allow("dispatcher", "supervisor", "device")
@documented("Change a unit's status (409 when the status model forbids it)", tag="dispatch",
            body=StatusBody, params=(UNIT_ID,),
            responses={200: THE_UNIT, 409: "Illegal status change"})
def set_status(unit_id: int) -> dict[str, Any]:
    body = parse_body(StatusBody)
    session = get_session()
    unit = get_unit(session, unit_id, lock=True)
    change_status(session, unit, body.status, actor=_actor(), source=_source(),
                  reason=body.reason)
    session.commit()
    return unit_json(unit)


def _actor() -> str:
    return str(current_user.username)


def _source() -> str:
    return "radio" if current_user.role_name == "device" else "console"


@bp.post("/units/<int:unit_id>/position")
@allow("dispatcher", "supervisor", "device")
@documented("Report a unit's position (WGS-84); `at` defaults to now", tag="dispatch",
            body=PositionBody, params=(UNIT_ID,), responses={200: THE_UNIT},
            refusals={"in_the_future": "at is more than 2 minutes ahead of the server's "
                                       "clock"})
def post_position(unit_id: int) -> dict[str, Any]:
    body = parse_body(PositionBody)
    now = datetime.now(UTC)
    at = body.at or now
    if at > now + FUTURE_TOLERANCE:
        raise InvalidValue("at is in the future (more than 2 minutes ahead of the server).",
                            field="at", code="in_the_future")
    session = get_session()
    unit = get_unit(session, unit_id, lock=True)
    record_positions(session, unit, [PositionIn(body.lon, body.lat, at, body.speed_mps,
                                                body.course_deg)], source="api")
    audit.record(session, "unit.position", object_type="unit", object_id=unit_id,
                 details={"count": 1, "source": "api"})
    session.commit()
    return unit_json(unit)


@bp.post("/positions/nmea")
@allow("dispatcher", "supervisor", "device")
@documented("NMEA 0183 sentences (GGA/RMC/GNS/GLL; talkers GP, GN, GL, GA, BD, GB) for one "
            "radio or unit, as text/plain: one position per receiver epoch (GGA's quality "
            "and altitude, RMC's speed and course); sentences without a position (GSV, GSA, "
            "TXT, VTG, proprietary) are ignored and counted apart; bad lines are kept aside "
            "and counted", tag="dispatch",
            params=(Param("radio_id", "the sending radio's id (give it or unit_id, not both)",
                          schema={"maxLength": 32}),
                    Param("unit_id", "or the unit id", type="integer", schema=ID_RANGE),
                    Param("date", "UTC date YYYY-MM-DD for GGA-only logs (default: today)",
                          format="date")),
            body=Body({"text/plain": {"type": "string", "minLength": 1}}),
            responses={200: Answer("{accepted, rejected, reasons, ignored, sentences, unit}",
                                   schema=json_object(
                ("unit", "accepted", "rejected", "reasons"), unit=UNIT,
                accepted={"type": "integer"}, rejected={"type": "integer"},
                reasons={"type": "object"}, ignored={"type": "object"},
                sentences={"type": "object"})),
                       404: "No unit with that id or radio id",
                       409: "radio_id_ambiguous: the radio id is held by more than one unit"})
def post_nmea() -> dict[str, Any]:
    session = get_session()
    unit = _unit_for_device(session)
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise MalformedRequest("The body holds no NMEA sentence.", field="body")
    if len(raw) > MAX_NMEA_BYTES:
        raise InvalidValue(f"At most {MAX_NMEA_BYTES} bytes per request.", field="body")
    # NMEA 0183 is ASCII: a byte that is not (line noise, a capture's "Zeus²" header)
    # spoils its line alone, which is kept aside as bad; so does NUL (PostgreSQL cannot
    # store it)
    text = raw.decode("ascii", errors="replace")
    lines = text.replace("\x00", "\ufffd").splitlines()
    log = read_log(lines)
    if any(f.at is None for f in log.fixes):  # GGA before any RMC: date them with the
        # batch's first RMC date, else the date asked for, else today (UTC)
        first_rmc = next((f.at for f in log.fixes if "RMC" in _kinds(f) and f.at), None)
        day = first_rmc.date() if first_rmc and not request.args.get("date") else _nmea_date()
        log = read_log(lines, utc_date=day)
    now = datetime.now(UTC)
    positions, kept_aside, reasons = [], list(log.rejected), Counter(log.reasons)
    for fix in log.fixes:
        problem = ("no time" if fix.at is None else
                   "time in the future" if fix.at > now + FUTURE_TOLERANCE else None)
        if problem:
            kept_aside.append(Rejected(line=f"{fix.talker}{fix.kind} {fix.lon},{fix.lat} "
                                            f"at {fix.at}", reason=problem))
            reasons[problem] += 1
            continue
        assert fix.at is not None  # noqa: S101 (narrowed just above)
        positions.append(PositionIn(fix.lon, fix.lat, fix.at, fix.speed_ms, fix.course_deg))
    session.add_all(PositionReject(unit_id=unit.id, radio_id=request.args.get("radio_id"),
                                   line=r.line[:1000], reason=r.reason + (
                                       f": {r.detail}" if r.detail else ""), actor=_actor())
                    for r in kept_aside)
    accepted = record_positions(session, unit, positions, source="nmea")
    audit.record(session, "unit.position", object_type="unit", object_id=unit.id,
                 details={"source": "nmea", "accepted": accepted, "rejected": len(kept_aside),
                          "reasons": dict(reasons), "ignored": sum(log.ignored.values())})
    session.commit()
    return {"unit": unit_json(unit), "accepted": accepted, "rejected": len(kept_aside),
            "reasons": dict(reasons), "ignored": dict(log.ignored),
            "sentences": log.position_sentences}


def _kinds(fix: Any) -> set[str]:
    return {name[2:] for name in fix.sentences}


def _nmea_date() -> date:
    raw = request.args.get("date")
    return date.fromisoformat(raw) if raw else datetime.now(UTC).date()


def _unit_for_device(session: Any) -> Unit:
    radio_id, unit_id = request.args.get("radio_id"), request.args.get("unit_id")
    if bool(radio_id) == bool(unit_id):
        raise InvalidValue("Give exactly one of radio_id and unit_id.", field="radio_id")
    if unit_id:
        return get_unit(session, int(unit_id), lock=True)
    assert radio_id is not None  # noqa: S101 (exactly one of the two is given)
    unit = repository.unit_by_radio_id(session, radio_id, lock=True)
    if unit is None:
        raise RecordNotFound(f"No unit has radio id {radio_id!r}; add it to a unit first.",
                             field="radio_id")
    return unit

