"""Checkpoints and their passages on the API: register checkpoints, import passage files,
take the checkpoint system's live batches, and search — by plate, a plate's trace, and
vehicles through A then B — each search with its reason, audited."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Literal

from flask import request
from flask_login import current_user
from pydantic import Field, field_validator

from app.api import bp, json_body
from app.api.docs import (
    DATE_TIME,
    FEATURE_COLLECTION,
    GEOJSON,
    Answer,
    Body,
    Param,
    StrictBody,
    choice,
    documented,
    json_object,
    no_default,
    validate_json,
)
from app.auth.access import (
    CHECKPOINT_KEEPERS,
    PASSAGE_FEEDERS,
    PASSAGE_IMPORTERS,
    PASSAGE_SEARCHERS,
    allow,
    any_role,
    audited_read,
)
from app.db import get_session
from app.errors import InvalidValue, nothing_imported
from app.jobs.service import accepted, prefers_async
from app.passages import checkpoints as sites
from app.passages import repository, search
from app.passages.importing import import_passages, ingest_batch
from app.passages.jobs import INLINE_BYTES, queue_import
from app.passages.trace import plate_trace
from dispatch.checkpoints.sites import CODE_PATTERN, TRIMMED, VISIBLE, CheckpointInput

CHECKPOINT_ID = Param("checkpoint_id", "checkpoint id", location="path", type="integer")
REASON = Param("reason", "why this search is made (the case or task): kept in the audit "
               "log with who asked, when, what and how much was found", required=True,
               schema={"minLength": 2, "maxLength": 500})
FROM = Param("from", "start of the time window (ISO 8601 with a zone)", required=True,
             format="date-time")
TO = Param("to", "end of the time window (excluded)", required=True, format="date-time")
LIMIT = Param("limit", "most rows answered", type="integer",
              schema={"minimum": 1, "maximum": search.MAX_LIMIT})
CHECKPOINT = json_object(
    ("id", "code", "name", "lon", "lat", "directions", "active"), id={"type": "integer"},
    code={"type": "string"}, name={"type": "string"}, lon={"type": "number"},
    lat={"type": "number"}, directions={"type": "array", "items": {"type": "string"}},
    active={"type": "boolean"}, area={"type": ["string", "null"]})
PASSAGE = json_object(
    ("id", "passed_at", "plate", "checkpoint"), id={"type": "integer"},
    passed_at=DATE_TIME, plate={"type": "string"}, checkpoint=CHECKPOINT,
    direction={"type": ["string", "null"]}, lane={"type": ["integer", "null"]})
IMPORT_SUMMARY = json_object(
    ("records", "written", "duplicates", "unread_plates", "refused", "errors"),
    records={"type": "integer"}, written={"type": "integer"},
    duplicates={"type": "integer"}, unread_plates={"type": "integer"},
    refused={"type": "integer"}, errors={"type": "array", "items": json_object(
        ("field", "message"), line={"type": "integer"}, record={"type": "integer"},
        field={"type": ["string", "null"]}, message={"type": "string"})})
SEARCH_REFUSALS = {
    "reason_required": "the reason is blank",
    "bad_plate": "the plate is not a plate, or a partial plate has fewer than 3 known "
                 "characters (a trace needs a whole plate)",
    "window_reversed": "`to` is not after `from`",
    "window_too_long": f"the window is longer than {search.MAX_DAYS_EXACT} days (a whole "
                       f"plate, a trace) or {search.MAX_DAYS_PARTIAL} days (a partial plate, "
                       "A then B)",
    "unknown_checkpoint": "a checkpoint code names no checkpoint",
}
CSRF_NEEDED = ("A browser session's search without its CSRF token (X-CSRFToken): a search "
               "writes the audit log (csrf_failed); tokens need none")
FILE_TEXT = {"type": "string", "minLength": 1,
             "description": "CSV (UTF-8 or GB18030) or JSON"}


DIRECTION = {"type": "string", "minLength": 1, "maxLength": 32, "pattern": TRIMMED}
DIRECTIONS = {"items": DIRECTION, "uniqueItems": True}


def _directions_no_default(schema: dict[str, Any]) -> None:
    no_default(schema)
    schema.update(DIRECTIONS)


def _unique(value: Any) -> Any:
    """Directions as sent: each as the schema's pattern says, none twice (uniqueItems)."""
    if not isinstance(value, list):
        return value
    if any(isinstance(v, str) and not re.fullmatch(TRIMMED, v) for v in value):
        raise ValueError("a direction has control characters or spaces at an end")
    if len({json.dumps(v) for v in value}) != len(value):
        raise ValueError("a direction is listed twice")
    return value


class CheckpointBody(StrictBody):
    code: str = Field(min_length=1, max_length=32, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200, pattern=VISIBLE)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    directions: list[str] = Field(default_factory=list, max_length=8,
                                  json_schema_extra=DIRECTIONS)
    area: str | None = Field(default=None, max_length=200, json_schema_extra=no_default)
    active: bool = True
    datum: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    reason: str | None = Field(default=None, max_length=2000, json_schema_extra=no_default)

    _directions_once = field_validator("directions", mode="before")(_unique)


class CheckpointChanges(StrictBody):
    code: str | None = Field(default=None, min_length=1, max_length=32, pattern=CODE_PATTERN,
                             json_schema_extra=no_default)
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=VISIBLE,
                             json_schema_extra=no_default)
    lon: float | None = Field(default=None, ge=-180, le=180, json_schema_extra=no_default)
    lat: float | None = Field(default=None, ge=-90, le=90, json_schema_extra=no_default)
    directions: list[str] | None = Field(default=None, max_length=8,
                                         json_schema_extra=_directions_no_default)
    area: str | None = Field(default=None, max_length=200, json_schema_extra=no_default)
    active: bool | None = Field(default=None, json_schema_extra=no_default)
    datum: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    reason: str | None = Field(default=None, max_length=2000, json_schema_extra=no_default)

    _directions_once = field_validator("directions", mode="before")(_unique)


@bp.get("/checkpoints")
@any_role
@documented("Checkpoints (卡口): code, name, place, the directions their records name, "
            "active; `format=geojson` as a map layer", tag="passages",
            params=(choice("format", "json (default) | geojson", ("json", "geojson")),),
            responses={200: Answer("{checkpoints: [...]}", schema=json_object(
                ("checkpoints",), checkpoints={"type": "array", "items": CHECKPOINT}),
                more={GEOJSON: FEATURE_COLLECTION})})
def list_checkpoints() -> Any:
    rows = repository.checkpoints(get_session())
    if request.args.get("format") == "geojson":
        return sites.checkpoint_geojson(rows), 200, {"Content-Type": GEOJSON}
    return {"checkpoints": [sites.checkpoint_json(row) for row in rows]}


@bp.post("/checkpoints")
@allow(*CHECKPOINT_KEEPERS)
@documented("Register a checkpoint (its code is what passage records name); coordinates "
            "in `datum`, stored as WGS-84; audited", tag="passages", body=CheckpointBody,
            responses={201: Answer("The checkpoint", schema=CHECKPOINT),
                       409: "duplicate_code: the code is taken"},
            refusals={"unknown_area": "no area has that name"})
def create_checkpoint() -> tuple[dict[str, Any], int]:
    body = validate_json(CheckpointBody, json_body())
    values = body.model_dump(exclude={"datum", "reason"})
    session = get_session()
    row = sites.add_checkpoint(session, _site(values), datum=body.datum, reason=body.reason,
                               actor=current_user._get_current_object())
    session.commit()
    return sites.checkpoint_json(row), 201


def _site(values: dict[str, Any]) -> CheckpointInput:
    return CheckpointInput.model_validate(values)


@bp.patch("/checkpoints/<int:checkpoint_id>")
@allow(*CHECKPOINT_KEEPERS)
@documented("Change a checkpoint (a checkpoint taken down is made inactive: its passages "
            "stay); audited", tag="passages", params=(CHECKPOINT_ID,),
            body=CheckpointChanges,
            responses={200: Answer("The checkpoint", schema=CHECKPOINT),
                       404: "No such checkpoint", 409: "duplicate_code: the code is taken"},
            refusals={"unknown_area": "no area has that name"})
def change_checkpoint(checkpoint_id: int) -> dict[str, Any]:
    body = validate_json(CheckpointChanges, json_body())
    changes = {key: value for key, value in body.model_dump(
        exclude={"datum", "reason"}, exclude_unset=True).items()
        if value is not None or key == "area"}  # null: unchanged (an area: the one it is in)
    session = get_session()
    row = sites.update_checkpoint(session, checkpoint_id, changes, datum=body.datum,
                                  reason=body.reason,
                                  actor=current_user._get_current_object())
    session.commit()
    return sites.checkpoint_json(row)


@bp.post("/checkpoints/import")
@allow(*CHECKPOINT_KEEPERS)
@documented("Import checkpoints from CSV (text/csv body or a multipart `file`; headings "
            "code/卡口编号, name/卡口名称, lon/经度, lat/纬度, directions/方向, area/区域): "
            "good rows written, bad rows listed by line and field; a known code updates its "
            "checkpoint. `datum` (form field or query) for coordinates from AMap or Baidu",
            tag="passages",
            params=(choice("datum", "datum of the coordinates", sites.DATUMS),),
            body=Body({"text/csv": FILE_TEXT, "multipart/form-data": {
                "type": "object", "required": ["file"], "properties": {"file": FILE_TEXT}}}),
            refusals={"nothing_imported": "nothing written: the file is empty or every row "
                                          "was refused; errors lists why",
                      "unreadable_file": "the file is not text"},
            responses={200: "{created, updated, errors: [{line, field, message}], warnings}"})
def import_checkpoints() -> dict[str, Any]:
    raw, name = _uploaded()
    session = get_session()
    result = sites.import_checkpoint_csv(
        session, raw, source=name, datum=request.form.get("datum")
        or request.args.get("datum") or "wgs84", reason=request.form.get("reason"),
        actor=current_user._get_current_object())
    if not result["created"] and not result["updated"]:
        raise nothing_imported("checkpoints", [
            f"line {e['line']}: {e['field'] + ': ' if e['field'] else ''}{e['message']}"
            for e in result["errors"]], rows=result["errors"])
    session.commit()
    return result


def _uploaded() -> tuple[bytes, str]:
    """The file of an import: a multipart ``file`` or the body itself."""
    upload = request.files.get("file")
    if upload is not None:
        return upload.read(), upload.filename or "upload"
    if "file" in request.form:
        return request.form["file"].encode(), "upload"
    raw = request.get_data(cache=False)
    if not raw:
        raise InvalidValue("Send the file as the body or as multipart field 'file'.",
                           field="file")
    json_type = (request.mimetype or "").endswith("json")
    return raw, "upload.json" if json_type else "upload.csv"


@bp.post("/passages/imports")
@allow(*PASSAGE_IMPORTERS)
@documented(
    "Import passage records (过车记录) from a checkpoint export: CSV (UTF-8 or GB18030; "
    "English, Chinese or pinyin headings) or JSON (a list, {passages}, or GA/T 1400's "
    "MotorVehicleListObject), as the body or a multipart `file`. Every row is checked; "
    "with a bad row nothing is written (422 bad_rows listing each row, field and why) "
    "unless `skip_bad=true`. Unread plates are skipped and counted; passages already "
    "stored are not written twice. Files over 1 MB (or with `Prefer: respond-async`) "
    "are imported as a job (202, progress at /api/v1/jobs/ID). Audited",
    tag="passages",
    params=(Param("skip_bad", "write the good rows and list the bad ones (default: "
                  "refuse the file)", type="boolean"),
            Param("reason", "why (kept in the audit log)", schema={"maxLength": 2000})),
    body=Body({"text/csv": FILE_TEXT, "application/json": {"type": ["array", "object"]},
               "multipart/form-data": {"type": "object", "required": ["file"],
                                       "properties": {"file": FILE_TEXT}}}),
    responses={201: Answer("What was written", schema=IMPORT_SUMMARY),
               202: "A job importing it"},
    refusals={"bad_rows": "rows were refused and skip_bad is off: nothing written; "
                          "errors lists each row (line or record), field and why",
              "nothing_imported": "the file holds no passage to write",
              "unreadable_file": "the file is neither CSV text nor JSON"})
def import_passage_file() -> Any:
    raw, name = _uploaded()
    skip_bad = (request.form.get("skip_bad") or request.args.get("skip_bad")) == "true"
    reason = request.form.get("reason") or request.args.get("reason")
    session = get_session()
    actor = current_user._get_current_object()
    if len(raw) > INLINE_BYTES or prefers_async():
        job = queue_import(session, raw, name=name, skip_bad=skip_bad, reason=reason,
                           actor=actor)
        session.commit()
        return accepted(job)
    result = import_passages(session, raw, name=name, skip_bad=skip_bad, reason=reason,
                             actor=actor)
    session.commit()
    return result.as_dict(), 201


class FeedBody(StrictBody):
    passages: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


@bp.post("/passages/batch")
@allow(*PASSAGE_FEEDERS)
@documented(
    "The checkpoint system's live passages: `{passages: [...]}`, up to 5,000 records as "
    "in a JSON file (checkpoint, passed_at, plate, direction?, lane?, vehicle_type?, "
    "vehicle_colour?, plate_colour?). Good records are written, bad ones listed by their "
    "position (from 1); a batch sent again writes nothing twice. One audit row per batch",
    tag="passages", body=FeedBody,
    responses={200: Answer("What was written", schema=IMPORT_SUMMARY)})
def feed_passages() -> dict[str, Any]:
    body = validate_json(FeedBody, json_body())
    session = get_session()
    result = ingest_batch(session, body.passages, actor=current_user._get_current_object())
    session.commit()
    return result.as_dict()


def _window() -> tuple[datetime, datetime]:
    return (datetime.fromisoformat(request.args["from"]),
            datetime.fromisoformat(request.args["to"]))


@bp.get("/passages")
@allow(*PASSAGE_SEARCHERS)
@audited_read
@documented(
    "Search passages by whole or partial plate (`*` any characters, `?` one; case, "
    "full-width characters and separators do not matter) in a time window, at some "
    "checkpoints. The reason is required; every search is audited (who, when, what, why, "
    "how many found — also when none) and answered with its `search_id`",
    tag="passages",
    params=(Param("plate", "粤B12345, 粤B*45, *2345, 粤B1?3?5", required=True,
                  schema={"maxLength": 40}), FROM, TO,
            Param("checkpoints", "checkpoint codes, comma-separated (default: all)",
                  schema={"maxLength": 2000}), REASON, LIMIT),
    responses={200: Answer("The passages, oldest first", schema=json_object(
        ("search_id", "plate", "count", "truncated", "passages"),
        search_id={"type": "integer"}, plate={"type": "string"}, exact={"type": "boolean"},
        count={"type": "integer"}, truncated={"type": "boolean"},
        passages={"type": "array", "items": PASSAGE})), 400: CSRF_NEEDED},
    refusals=SEARCH_REFUSALS)
def search_passages() -> dict[str, Any]:
    start, end = _window()
    codes = [c.strip() for c in request.args.get("checkpoints", "").split(",") if c.strip()]
    session = get_session()
    answer = search.search_passages(
        session, plate=request.args.get("plate"), start=start, end=end, checkpoints=codes,
        reason=request.args.get("reason"), actor=current_user._get_current_object(),
        limit=request.args.get("limit", search.DEFAULT_LIMIT, type=int))
    session.commit()
    return search.with_search_id(answer)


@bp.get("/passages/trace")
@allow(*PASSAGE_SEARCHERS)
@audited_read
@documented(
    "A plate's trace: its passages in the window as points, and each leg between two "
    "checkpoints as a line (the fastest road, or the straight line) with its verdict — "
    "plausible, fast (quicker than the limits), impossible (twice the limits along the "
    "road or 200 km/h, after a 60 s clock tolerance: a cloned plate, 套牌), "
    "same_checkpoint or unknown — and the numbers it rests on. The reason is required; "
    "audited", tag="passages",
    params=(Param("plate", "a whole plate", required=True, schema={"maxLength": 40}), FROM,
            TO, REASON),
    responses={200: Answer("The trace; properties.cloned_plate_suspected", GEOJSON,
                           schema=FEATURE_COLLECTION), 400: CSRF_NEEDED},
    refusals=SEARCH_REFUSALS)
def trace_plate() -> Any:
    start, end = _window()
    session = get_session()
    answer = plate_trace(session, plate=request.args.get("plate"), start=start, end=end,
                         reason=request.args.get("reason"),
                         actor=current_user._get_current_object())
    session.commit()
    entry = answer.pop("_audit")
    answer["properties"]["search_id"] = entry.id
    return answer, 200, {"Content-Type": GEOJSON}


@bp.get("/passages/through")
@allow(*PASSAGE_SEARCHERS)
@audited_read
@documented(
    "Vehicles through checkpoint `first` then `then` within `within_min` minutes (escape "
    "routes): each plate with its times at both. The reason is required; audited",
    tag="passages",
    params=(Param("first", "code of the first checkpoint", required=True,
                  schema={"maxLength": 32}),
            Param("then", "code of the checkpoint passed next", required=True,
                  schema={"maxLength": 32}),
            Param("within_min", "minutes allowed between the two", type="number",
                  required=True, schema={"exclusiveMinimum": 0,
                                         "maximum": search.MAX_WITHIN_MIN}),
            FROM, TO, REASON, LIMIT),
    responses={200: Answer("The vehicles, in the order they passed `first`",
                           schema=json_object(("search_id", "count", "vehicles"),
                                              search_id={"type": "integer"},
                                              count={"type": "integer"},
                                              vehicles={"type": "array"})),
               400: CSRF_NEEDED},
    refusals={**SEARCH_REFUSALS, "same_checkpoint": "first and then are one checkpoint"})
def through_checkpoints() -> dict[str, Any]:
    start, end = _window()
    session = get_session()
    answer = search.vehicles_through(
        session, first=request.args["first"], then=request.args["then"],
        within_min=float(request.args["within_min"]), start=start, end=end,
        reason=request.args.get("reason"), actor=current_user._get_current_object(),
        limit=request.args.get("limit", search.DEFAULT_LIMIT, type=int))
    session.commit()
    return search.with_search_id(answer)
