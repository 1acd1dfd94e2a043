"""Cameras: the registry (create, edit on the map, CSV import), coverage, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request

from app import audit
from app.api import bp, json_body
from app.api.docs import (
    FEATURE_COLLECTION,
    GEOJSON,
    JSON,
    Answer,
    Body,
    Param,
    choice,
    documented,
    validate_json,
)
from app.auth.access import allow, any_user
from app.cameras import importing, repository
from app.cameras.catalog import import_catalog
from app.cameras.coverage import refresh_coverage
from app.cameras.snapshots import check_stream_url, snapshot
from app.db import get_session
from app.errors import (
    InvalidValue,
    RecordNotFound,
    StateConflict,
    Unavailable,
    nothing_imported,
)
from app.geography.datum import DATUM_DESCRIPTION, checked_datum, datum_taken_from
from app.geography.params import BBOX_PATTERN
from app.geography.repository import BBox
from app.models import Area, Camera
from dispatch.cameras import CameraInput
from dispatch.cameras.catalog import MAX_CATALOG_BYTES
from dispatch.cameras.gb_id import CAMERA_TYPE_CODES, PROVINCES
from gis.crs import DATUMS

CAMERA_ID = Param("camera_id", "camera id", location="path", type="integer")
FIELDS = importing.FIELDS
_URL_CHAR = r"[^\s\x00-\x1f\x7f]"
#: What dispatch.cameras accepts as a stream: rtsp(s)/http(s) with a host, file:/// or an
#: absolute path, without spaces or control characters.
STREAM_URL_PATTERN = (rf"^(?:/{_URL_CHAR}*|[Ff][Ii][Ll][Ee]:///{_URL_CHAR}*|"
                      rf"(?:[Rr][Tt][Ss][Pp][Ss]?|[Hh][Tt][Tt][Pp][Ss]?)://"
                      rf"(?:[^\s\x00-\x1f\x7f/?#@]*@)?[^\s\x00-\x1f\x7f/?#@:\[\]]+"
                      rf"(?::[0-9]*)?(?:[/?#]{_URL_CHAR}*)?)$")
#: GB/T 28181 camera ids as dispatch.cameras.gb_id checks them (digits 1-2 a mainland
#: province, 11-13 a camera or video-device type).
GB_ID_PATTERN = (rf"^\s*(?:{'|'.join(sorted(PROVINCES))})[0-9]{{8}}"
                 rf"(?:{'|'.join(sorted(CAMERA_TYPE_CODES))})[0-9]{{7}}\s*$")
_TEMPLATE_CHARS = r"[A-Za-z0-9/_.=&?%-]*"
_TIME_FORM = r"(?::(?:iso|hikvision|dahua|local|unix))?"
#: Recording URL templates as the description states them: a subset of what
#: dispatch.cameras.recording accepts (no user info, {start} before {end}, no strftime
#: forms), enough for every common NVR form.
RECORDING_URL_PATTERN = (rf"^(?:rtsp|rtsps|http|https)://[A-Za-z0-9.-]+(?::[0-9]{{1,5}})?/"
                         rf"{_TEMPLATE_CHARS}\{{start{_TIME_FORM}\}}{_TEMPLATE_CHARS}"
                         rf"\{{end{_TIME_FORM}\}}{_TEMPLATE_CHARS}$")
SECRET_URLS = ("stream_url", "recording_url")  # may carry credentials: never echoed
UNKNOWN_AREA = {"unknown_area": "no area has the name given in area",
                "coordinates_out_of_range": "lon and lat given in bd09 leave the Earth once "
                                            "converted to WGS-84 (near the antimeridian or a "
                                            "pole)"}
DATUM_WITHOUT_POSITION = {"datum_without_position": "a datum was given without both lon and "
                                                    "lat (it applies to the two together)"}
BLANK = {"type": "string", "pattern": r"^\s*$"}
CSV_TEXT = {"type": "string", "minLength": 1, "description": "UTF-8 or GB18030 CSV"}
XML_TEXT = {"type": "string", "minLength": 1,
            "description": "GB/T 28181 Catalog response XML (GB2312/GB18030 or UTF-8): one "
                           "message, several one after another, or a SIP capture"}
DATUM_FIELD = {"type": "string", "enum": list(DATUMS), "description": DATUM_DESCRIPTION}


def camera_schema(*, partial: bool) -> dict[str, Any]:
    """The JSON Schema of a camera body: CameraInput's, with what its validators add
    (range_m defaults by kind; the stream URL and GB/T 28181 id rules); ``partial``: every
    field optional, and a reason (a PATCH)."""
    schema = CameraInput.model_json_schema(ref_template="#/components/schemas/{model}")
    properties = schema["properties"]
    properties["stream_url"] = {"anyOf": [{"type": "string", "maxLength": 2000,
                                           "pattern": STREAM_URL_PATTERN}, {"type": "null"}]}
    properties["recording_url"] = {"anyOf": [{"type": "string", "maxLength": 2000,
                                              "pattern": RECORDING_URL_PATTERN},
                                             {"type": "null"}]}
    properties["gb_id"] = {"anyOf": [{"type": "string", "pattern": GB_ID_PATTERN},
                                     {"type": "null"}]}
    for name in ("azimuth_deg", "fov_deg", "range_m", "height_m", "stream_url",
                 "recording_url", "gb_id", "area"):  # a blank string is "not given"
        given = dict(properties[name])
        notes = {k: given.pop(k) for k in ("title", "description", "default") if k in given}
        variants = given.pop("anyOf", None) or [given]
        if name == "range_m":  # left out, null or blank: the kind's default range
            variants = [*variants, {"type": "null"}]
        properties[name] = {"anyOf": [*variants, BLANK], **notes}
    properties["datum"] = DATUM_FIELD  # of lon and lat; taken off before CameraInput
    schema["required"] = [] if partial else ["name", "lon", "lat"]
    if partial:
        properties["reason"] = {"type": "string", "maxLength": 2000}
    schema["title"] = "CameraChange" if partial else "NewCamera"
    return schema


def _check_gb_id(session: Any, gb_id: str | None, camera_id: int | None) -> None:
    if gb_id and repository.gb_id_holder(session, gb_id, other_than=camera_id):
        raise StateConflict(f"GB/T 28181 id {gb_id} belongs to another camera.", field="gb_id",
                            code="gb_id_taken")


@bp.get("/cameras")
@any_user
@documented("Cameras with their coverage (the wedge cut by buildings)", tag="map",
            params=(Param("bbox", "west,south,east,north in degrees (WGS-84), west < east "
                                  "and south < north", schema={"pattern": BBOX_PATTERN}),),
            responses={200: Answer("GeoJSON FeatureCollection; properties.coverage is a "
                                   "GeoJSON geometry (the field of view cut by buildings), "
                                   "properties.sector the plain wedge from azimuth, field of "
                                   "view and range (null when the direction is unknown)",
                                   GEOJSON, FEATURE_COLLECTION)})
def cameras() -> Response:
    bbox = BBox.parse(request.args.get("bbox"))
    return Response(repository.cameras_geojson(get_session(), bbox), mimetype=GEOJSON)


@bp.get("/cameras/<int:camera_id>")
@any_user
@documented("One camera; `catalog` holds what the last GB/T 28181 catalogue said of it "
            "(null when none brought it)", tag="map", params=(CAMERA_ID,))
def show_camera(camera_id: int) -> dict[str, Any]:
    session = get_session()
    found = repository.camera_dict(session, camera_id)
    if found is None:
        raise RecordNotFound(f"No camera {camera_id}.", field="camera_id")
    return found | {"catalog": repository.catalog_entry(session, camera_id)}


@bp.post("/cameras")
@allow("supervisor")
@documented("Register a camera; its coverage is computed (cut by buildings)", tag="map",
            body=Body({JSON: camera_schema(partial=False)}),
            refusals=UNKNOWN_AREA | {"stream_url_refused": "stream_url is outside the stream "
                                                          "fence (`rule` names the rule)"},
            responses={201: "{id, …, coverage}", 409: "gb_id taken"})
def create_camera() -> tuple[dict[str, Any], int]:
    body = dict(json_body())
    datum = datum_taken_from(body)
    camera = importing.camera_in_wgs84(validate_json(CameraInput, body), datum)
    check_stream_url(camera.stream_url)
    session = get_session()
    _check_gb_id(session, camera.gb_id, None)
    row = Camera(source="api", **importing.camera_values(camera),
                 area_id=importing.camera_area_id(session, camera.area, camera.lon, camera.lat),
                 geom=importing.camera_point(camera))
    session.add(row)
    session.flush()
    refresh_coverage(session, camera_ids=[row.id])
    audit.record(session, "camera.create", object_type="camera", object_id=row.id,
                 details=camera.model_dump(mode="json", exclude=set(SECRET_URLS)))
    session.commit()
    return repository.camera_dict(session, row.id) or {}, 201


@bp.patch("/cameras/<int:camera_id>")
@allow("supervisor")
@documented("Change a camera (direction, angle, range, stream, status…); coverage follows",
            tag="map", params=(CAMERA_ID,), body=Body({JSON: camera_schema(partial=True)}),
            refusals=UNKNOWN_AREA | DATUM_WITHOUT_POSITION,
            responses={200: "The camera", 409: "gb_id taken"})
def change_camera(camera_id: int) -> dict[str, Any]:
    changes = dict(json_body())
    reason = changes.pop("reason", None)
    datum = datum_taken_from(changes)
    if datum != "wgs84" and not ("lon" in changes and "lat" in changes):
        raise InvalidValue("datum applies to a lon and lat given together.", field="datum",
                           code="datum_without_position")
    session = get_session()
    row = repository.camera_for_update(session, camera_id)
    if row is None:
        raise RecordNotFound(f"No camera {camera_id}.", field="camera_id")
    current = repository.camera_dict(session, camera_id) or {}
    merged = {k: current.get(k) for k in (*FIELDS, "lon", "lat")}
    merged["stream_url"] = row.stream_url
    merged["recording_url"] = row.recording_url
    if current.get("area_id") is not None:
        merged["area"] = session.get(Area, current["area_id"]).name  # type: ignore[union-attr]
    merged = {k: v for k, v in merged.items() if v is not None} | changes
    # cameras from OSM often have no name: one is needed to create a camera, not to aim it
    unnamed = "name" not in merged
    camera = importing.camera_in_wgs84(
        validate_json(CameraInput, merged | ({"name": "-"} if unnamed else {})), datum)
    if "stream_url" in changes:  # a stored URL is fenced again at every grab
        check_stream_url(camera.stream_url)
    _check_gb_id(session, camera.gb_id, camera_id)
    before = {k: getattr(row, k) for k in FIELDS}
    for key, value in importing.camera_values(camera).items():
        if not (unnamed and key == "name"):
            setattr(row, key, value)
    moved = "lon" in changes or "lat" in changes
    if moved:
        row.geom = importing.camera_point(camera)
    if "area" in changes or moved:
        row.area_id = importing.camera_area_id(session, camera.area, camera.lon, camera.lat)
    row.updated_at = datetime.now(UTC)
    session.flush()
    refresh_coverage(session, camera_ids=[camera_id])
    changed = {k: [before[k], getattr(row, k)] for k in FIELDS
               if before[k] != getattr(row, k) and k not in SECRET_URLS}
    for secret in SECRET_URLS:  # URLs may carry credentials
        if before[secret] != getattr(row, secret):
            changed[secret] = ["(changed)", "(changed)"]
    audit.record(session, "camera.update", object_type="camera", object_id=camera_id,
                 reason=reason if isinstance(reason, str) else None,
                 details=changed | ({"moved_to": [camera.lon, camera.lat]} if moved else {}))
    session.commit()
    return repository.camera_dict(session, camera_id) or {}


@bp.post("/cameras/import")
@allow("supervisor")
@documented("Import cameras from CSV (text/csv body or a multipart `file`): good rows are "
            "written, bad rows reported by line and field; rows with a known gb_id update "
            "that camera; `datum` (a query parameter or form field) names the datum of the "
            "longitudes and latitudes", tag="map",
            params=(choice("datum", DATUM_DESCRIPTION, DATUMS),),
            body=Body({"text/csv": CSV_TEXT, "multipart/form-data": {
                "type": "object", "required": ["file"], "properties": {
                    "file": CSV_TEXT, "datum": DATUM_FIELD}}},
                encoding={"multipart/form-data": {"file": {"contentType": "text/csv"}}}),
            refusals={"nothing_imported": "nothing written: the file is empty or unreadable, "
                                          "or every row was refused; errors lists why"},
            responses={200: "{created, updated, errors: [{line, field, message, rule?}], "
                            "warnings}"})
def import_cameras() -> dict[str, Any]:
    upload = request.files.get("file")
    if upload is not None:
        raw = upload.read(importing.MAX_CSV_BYTES + 1)
    elif "file" in request.form:  # a multipart part sent without a file name
        raw = request.form["file"].encode()
    else:
        raw = request.get_data(cache=False)
    session = get_session()
    field = "file" if upload else "body"
    datum = checked_datum(request.form.get("datum", request.args.get("datum")))
    result = importing.import_camera_csv(session, raw, source=upload.filename if upload
                                         else None, field_name=field, datum=datum)
    if not result.written:  # nothing to commit: not even the audit row
        raise nothing_imported("cameras", [importing.row_line(e) for e in result.errors],
                               field=field, rows=result.errors)
    session.commit()
    return result.as_dict()


@bp.post("/cameras/catalog")
@allow("supervisor")
@documented("Import a GB/T 28181 catalogue: the XML of Catalog responses as the body "
            "(application/xml) or as multipart `files`, with `datum` and `reason` as form "
            "fields or query parameters. Cameras are upserted by DeviceID in one transaction; "
            "items that are not cameras (civil codes, business groups, virtual organisations, "
            "recorders) are skipped and listed with what they are; camera items that cannot "
            "be used are refused and listed", tag="map",
            params=(choice("datum", DATUM_DESCRIPTION, DATUMS),
                    Param("reason", "why (kept in the audit log)")),
            body=Body({"application/xml": XML_TEXT, "multipart/form-data": {
                "type": "object", "required": ["files"], "properties": {
                    "files": {"type": "array", "items": XML_TEXT}, "datum": DATUM_FIELD,
                    "reason": {"type": "string", "maxLength": 2000}}}},
                encoding={"multipart/form-data": {"files": {"contentType": "application/xml"}}}),
            refusals={"nothing_imported": "no camera written: every camera item refused, or "
                                          "none in the catalogue; errors lists why",
                      "invalid": "the catalogue cannot be read (`file`: not XML, cut off, a "
                                 "DTD, too large, no Catalog response) or an unknown `datum`"},
            responses={200: "{created, updated, refused: [{device_id, name, field, message, "
                            "where}], skipped: [{device_id, name, what, why, where}], "
                            "skipped_by_kind, unplaced, status_changes, notes, item_notes, "
                            "messages, items, encodings, datum}"})
def import_camera_catalog() -> dict[str, Any]:
    uploads = request.files.getlist("files") or request.files.getlist("file")
    if uploads:
        sources = [(upload.filename or f"file {number}", upload.read(MAX_CATALOG_BYTES + 1))
                   for number, upload in enumerate(uploads, start=1)]
    else:
        sources = [("body", request.get_data(cache=False))]
    datum = checked_datum(request.form.get("datum", request.args.get("datum")))
    reason = request.form.get("reason") or request.args.get("reason") or None
    session = get_session()
    result = import_catalog(session, sources, datum=datum, reason=reason)
    if not result.written:  # nothing to commit: not even the audit row
        rows = result.refused + [{"device_id": s["device_id"], "name": s["name"],
                                  "message": f"skipped: {s['what']}, {s['why']}",
                                  "where": s["where"]} for s in result.skipped]
        raise nothing_imported("cameras", [f"{r['where']}: {r['message']}" for r in rows],
                               field="files" if uploads else "body", rows=rows)
    session.commit()
    return result.as_dict()


@bp.get("/cameras/<int:camera_id>/snapshot")
@any_user
@documented("A recent still frame from the camera's stream (JPEG); 503 when the camera "
            "does not answer within the timeout", tag="map", params=(CAMERA_ID,),
            responses={200: Answer("The frame", "image/jpeg"),
                       404: "No camera or no stream",
                       503: "Offline (camera_offline), or its URL is outside the stream "
                            "fence (stream_refused)"})
def camera_snapshot(camera_id: int) -> Response:
    session = get_session()
    camera = session.get(Camera, camera_id)
    if camera is None or not camera.stream_url:
        raise RecordNotFound(f"Camera {camera_id} has no stream.", field="camera_id")
    shot = snapshot(session, camera)
    if shot.error == "refused":
        raise Unavailable(f"Camera {camera_id}'s stream URL is outside the stream fence "
                          "(GRIDPATROL_CAMERA_NETWORKS, GRIDPATROL_MEDIA_DIR); nothing was "
                          "fetched.", code="stream_refused")
    if not shot.online or shot.jpeg is None:
        raise Unavailable(f"Camera {camera_id} did not answer ({shot.error}).",
                      code="camera_offline")
    response = Response(shot.jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=5"
    response.headers["X-Snapshot-Taken-At"] = shot.taken_at.isoformat()
    return response
