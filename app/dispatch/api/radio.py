"""The radio log: read it; radio gateways post acknowledgements, texts, alerts and
trunk-recorder call records into it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app, request, send_file
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response

from app import audit
from app.api import bp
from app.api.docs import (
    ID_RANGE,
    Answer,
    Param,
    StrictBody,
    documented,
    json_numbers,
    no_default,
    parse_body,
    validate_json,
)
from app.auth.access import allow
from app.db import get_session
from app.dispatch import alerts as service
from app.dispatch import repository
from app.dispatch.api.alerts import graph_or_none, with_snapshot_urls
from app.dispatch.calls import log_call, recording_path
from app.dispatch.radio import entry_json, log_inbound
from app.errors import InvalidValue, MalformedRequest, RecordNotFound
from app.ingest.radios import RadioBook
from app.models import Unit
from dispatch.radio import RadioFormatError, parse_ack, parse_trunk_recorder_call

MAX_ROWS = 500
ACK_PATTERN = (r"^\s*(?:[Aa][Cc][Kk](?![A-Za-z])|确认|收到)[\s,:]*#?(?!0+(?![0-9]))[0-9]{1,9}"
               r"(?![0-9A-Za-z])[\s,]+[A-Za-z0-9\u3400-\u9fff][A-Za-z0-9\u3400-\u9fff._/-]"
               r"{0,31}(?:[\s,].*)?$")
EPOCH_MAX_S = 253402300799  # 9999-12-31T23:59:59Z
ID_NUMBER = Field(ge=0, le=2**63 - 1)
Epoch = Annotated[float, Field(ge=0, le=EPOCH_MAX_S)]
Flag = bool | Literal[0, 1]


class TrunkRecorderSource(BaseModel):
    """One transmission in a call: the radio (``src``) and when (``time``, or ``pos``
    seconds into the call)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "anyOf": [{"required": ["time"]}, {"required": ["pos"]}]})

    src: int = ID_NUMBER
    time: Epoch | SkipJsonSchema[None] = Field(default=None, json_schema_extra=no_default)
    pos: Annotated[float, Field(ge=0, le=86400)] | SkipJsonSchema[None] = Field(
        default=None, json_schema_extra=no_default)  # seconds into the call
    emergency: Flag = False
    tag: str = ""

    @field_validator("time", "pos", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class TrunkRecorderCall(BaseModel):
    """trunk-recorder's per-call JSON: the fields read (the others it writes are allowed
    and ignored); stop_time may not come before start_time."""

    model_config = ConfigDict(extra="allow")

    talkgroup: int = ID_NUMBER
    start_time: Epoch
    stop_time: Epoch
    freq: float = Field(ge=0, le=1e12)
    emergency: Flag = False
    encrypted: Flag = False
    call_length: float | None = None
    talkgroup_tag: str = ""
    short_name: str = ""
    srcList: list[TrunkRecorderSource]  # noqa: N815 (trunk-recorder's name)


class RadioIn(StrictBody):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"kind": {"const": "ack"}}},
         "then": {"properties": {"text": {"pattern": ACK_PATTERN}}}},
        {"if": {"properties": {"kind": {"const": "alert"}}},
         "then": {"required": ["lon", "lat"],
                  "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}}}}]})

    kind: Literal["ack", "text", "alert"]
    text: str = Field(min_length=1, max_length=2000)
    radio_id: str | None = Field(default=None, max_length=32)
    talkgroup: str | None = Field(default=None, max_length=32)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    level: Literal["red", "orange", "yellow"] = "red"
    alert_kind: str | None = Field(default=None, max_length=64)


@bp.get("/radio-log")
@allow("dispatcher", "supervisor")
@documented("Radio log, oldest first", tag="dispatch", params=(
    Param("since", "ISO 8601 time with a zone; only entries after it", format="date-time"),
    Param("alert_id", "only this alert's entries", type="integer", schema=ID_RANGE),
    Param("limit", f"at most this many (default and maximum {MAX_ROWS})", type="integer",
          schema={"minimum": 1, "maximum": MAX_ROWS})))
def radio_log() -> dict[str, Any]:
    since = request.args.get("since")
    alert_id = request.args.get("alert_id")
    entries = repository.radio_log(get_session(),
                                   since=datetime.fromisoformat(since) if since else None,
                                   alert_id=int(alert_id) if alert_id else None,
                                   limit=int(request.args.get("limit", MAX_ROWS)))
    return {"entries": [entry_json(e) for e in entries]}


def _unit_by(callsign: str | None, radio_id: str | None) -> Unit | None:
    session = get_session()
    if callsign:
        unit = repository.unit_by_callsign(session, callsign)
        if unit is not None:
            return unit
    if radio_id:
        return repository.unit_by_radio_id(session, radio_id)
    return None


@bp.post("/radio-log")
@allow("dispatcher", "device")
@documented("A message from the radio network: an acknowledgement (\"ACK 41 P-12\" / "
            "\"确认 41 P-12\"), a text, or an alert with a position", tag="dispatch",
            body=RadioIn,
            responses={201: "The log entry (and the alert it raised)",
                                     404: "No unit or alert as the acknowledgement names",
                                     409: "The unit has no order for that alert"})
def radio_in() -> tuple[dict[str, Any], int]:
    body = parse_body(RadioIn)
    session = get_session()
    actor = current_user.username
    sender = _unit_by(None, body.radio_id)
    result: dict[str, Any] = {}
    if body.kind == "ack":
        try:
            ack = parse_ack(body.text)
        except RadioFormatError as exc:
            raise InvalidValue(f"Not an acknowledgement: {exc}", field="text") from None
        unit = _unit_by(ack.callsign, None) or sender
        if unit is None:
            raise RecordNotFound(f"No unit with callsign {ack.callsign!r}.", field="text")
        alert = service.alert_of(session, ack.reference)
        entry = log_inbound(session, kind="ack", body=body.text, actor=actor, unit_id=unit.id,
                            alert_id=alert.id, radio_id=body.radio_id,
                            talkgroup=body.talkgroup, payload={"note": ack.note})
        service.acknowledge(session, alert, unit, actor=actor, source="radio")
    elif body.kind == "alert":
        if body.lon is None or body.lat is None:
            raise InvalidValue("An alert from the radio needs lon and lat.", field="lon")
        new_alert, answer = service.raise_alert(session, graph_or_none(), service.AlertRequest(
            lon=body.lon, lat=body.lat, level=body.level, kind=body.alert_kind,
            description=body.text), actor=actor, source="radio")
        entry = log_inbound(session, kind="alert", body=body.text, actor=actor,
                            unit_id=sender.id if sender else None, alert_id=new_alert.id,
                            radio_id=body.radio_id, talkgroup=body.talkgroup)
        result["alert"] = service.alert_json(session, new_alert) | with_snapshot_urls(answer)
    else:
        entry = log_inbound(session, kind="text", body=body.text, actor=actor,
                            unit_id=sender.id if sender else None, radio_id=body.radio_id,
                            talkgroup=body.talkgroup)
    audit.record(session, "radio.in", object_type="radio_log", object_id=entry.id,
                 details={"kind": body.kind, "radio_id": body.radio_id})
    session.commit()
    return {"entry": entry_json(entry)} | result, 201


@bp.post("/radio-log/trunk-recorder")
@allow("dispatcher", "device")
@documented("A trunk-recorder per-call JSON record: logged with the units whose radios "
            "spoke (the units holding them at the call's time), once per alert they work "
            "on (also on its timeline)", tag="dispatch", body=TrunkRecorderCall,
            responses={201: "The log entry (and every entry when the call is on several "
                            "alerts)"})
def trunk_recorder_call() -> tuple[dict[str, Any], int]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise MalformedRequest("The body must be trunk-recorder's call JSON object.", field="body")
    payload = json_numbers(payload)
    validate_json(TrunkRecorderCall, payload)  # types and ranges, as described
    call = parse_trunk_recorder_call(payload)  # a RadioFormatError answers 422 with its field
    session = get_session()
    book = RadioBook(session, [s.radio_id for s in call.sources])
    speakers = {}
    for source in call.sources:
        unit_id = book.unit_of(source.radio_id, source.at)
        if unit_id is not None:
            speakers.setdefault(source.radio_id, unit_id)
    entries = log_call(session, call, speakers=speakers, actor=current_user.username)
    for entry in entries:
        audit.record(session, "radio.in", object_type="radio_log", object_id=entry.id,
                     details={"kind": "call", "talkgroup": call.talkgroup})
    session.commit()
    return {"entry": entry_json(entries[0]),
            "entries": [entry_json(e) for e in entries]}, 201


AUDIO_TYPES = ("audio/wav", "audio/mp4", "audio/mpeg")


@bp.get("/radio-log/<int:entry_id>/audio")
@allow("dispatcher", "supervisor")
@documented("The recording of a radio call (trunk-recorder's audio kept from the call "
            "folder), for the alert timeline's and the radio log's players; byte ranges "
            "(Range) are answered 206 with Content-Range; every request is audited",
            tag="dispatch", params=(Param("entry_id", "radio log entry id", location="path",
                                          type="integer"),),
            responses={200: Answer("The recording", AUDIO_TYPES[0], more={
                           t: {"type": "string"} for t in AUDIO_TYPES[1:]}),
                       206: Answer("Part of it (Range)", AUDIO_TYPES[0]),
                       404: "No such entry, or no recording kept for it",
                       416: "A Range outside the recording"})
def call_recording(entry_id: int) -> Response:
    session = get_session()
    entries = repository.radio_entries(session, [entry_id])
    audio = entries[0].payload.get("audio") if entries else None
    if not isinstance(audio, dict):
        raise RecordNotFound(f"Radio log entry {entry_id} has no recording.",
                             field="entry_id")
    path = recording_path(current_app, audio)
    if path is None:
        raise RecordNotFound(f"The recording of radio log entry {entry_id} is not kept.",
                             field="entry_id")
    mimetype = audio.get("content_type")
    audit.record(session, "radio.recording", object_type="radio_log", object_id=entry_id,
                 details={"file": audio.get("path"), "range": request.headers.get("Range")})
    session.commit()
    asked = request.headers.get("Range")
    if asked is not None:  # refused before the file is opened (send_file would leak it)
        ranges = parse_range_header(asked)
        size = path.stat().st_size
        if ranges is None or ranges.range_for_length(size) is None:
            raise RequestedRangeNotSatisfiable(length=size)
    response = send_file(path, mimetype=mimetype if mimetype in AUDIO_TYPES
                         else "application/octet-stream", conditional=True, etag=True,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
