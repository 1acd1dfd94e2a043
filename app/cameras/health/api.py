"""Camera health over the API: the faults list (and map layer), one camera's history and
uptime, and forgetting a camera's reference views after it was re-aimed on purpose."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
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
from app.auth.access import HEALTH_READERS, TICKET_KEEPERS, allow
from app.cameras.health import repository
from app.cameras.health.uptime import CHANGES_LISTED, UPTIME_DAYS, uptime_windows
from app.db import get_session
from app.errors import RecordNotFound
from app.models import Camera
from dispatch.cameras.health import Fault
from dispatch.cameras.kinds import CameraStatus

CAMERA_ID = Param("camera_id", "camera id", location="path", type="integer")
FAULTS = tuple(f.value for f in Fault)
STATUSES = tuple(s.value for s in CameraStatus)
_NULLABLE_TIME = {"anyOf": [DATE_TIME, {"type": "null"}]}
FINDING = json_object(("fault", "measure", "value", "limit"), fault={"enum": list(FAULTS)},
                      measure={"type": "string"}, value={"type": "number"},
                      limit={"type": "number"}, baseline={"type": ["number", "null"]},
                      note={"type": "string"})
HEALTH_ROW = json_object(
    ("id", "name", "status", "lon", "lat", "faults", "findings", "checked_at"),
    id={"type": "integer"}, name=NULLABLE_STRING, kind={"type": "string"},
    status={"enum": list(STATUSES)}, status_label={"type": "string"},
    status_at=_NULLABLE_TIME, lon={"type": "number"}, lat={"type": "number"},
    area=NULLABLE_STRING, maintainer={"anyOf": [{"type": "object"}, {"type": "null"}]},
    faults={"type": "array", "items": {"enum": list(FAULTS)}},
    findings={"type": "array", "items": FINDING}, checked_at=_NULLABLE_TIME,
    last_healthy_at=_NULLABLE_TIME, ticket_id={"type": ["integer", "null"]},
    has_stream={"type": "boolean"}, stream={"type": ["object", "null"]},
    frame_at=_NULLABLE_TIME)


class ForgetReferenceBody(StrictBody):
    reason: str | None = Field(default=None, max_length=2000)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def health_json(row: dict[str, Any]) -> dict[str, Any]:
    status = CameraStatus(row["status"]) if row["status"] in STATUSES else CameraStatus.UNKNOWN
    return {
        "id": row["id"], "name": row["name"], "kind": row["kind"], "status": status.value,
        "status_label": status.label_en, "status_at": iso(row["status_at"]),
        "lon": row["lon"], "lat": row["lat"], "area": row["area"],
        "maintainer": ({"id": row["maintainer_id"], "code": row["maintainer_code"],
                        "name": row["maintainer_name"]} if row["maintainer_id"] else None),
        "faults": list(row["fault_codes"] or []), "findings": list(row["findings"] or []),
        "checked_at": iso(row["checked_at"]), "last_healthy_at": iso(row["last_healthy_at"]),
        "ticket_id": row["ticket_id"], "has_stream": bool(row["has_stream"]),
        "stream": row["stream"], "frame_at": iso(row["frame_at"]),
    }


@bp.get("/cameras/health")
@allow(*HEALTH_READERS)
@documented("Camera health: every camera's state (online, degraded, offline, maintenance, "
            "unknown) with its latest check's findings (each fault with the measured value, "
            "the limit it crossed and this camera's usual value at that time of day), its "
            "maintainer and open ticket; the worst first. Also the faults layer of the map "
            "(each camera has lon, lat)", tag="video", params=(
                Param("area", "only cameras in this area (by name)",
                      schema={"maxLength": 200}),
                choice("fault", "only cameras whose latest check found this fault", FAULTS),
                Param("maintainer", "only cameras kept by this maintainer (id)",
                      type="integer", schema={"minimum": 0, "maximum": 2**31 - 1}),
                choice("status", "only cameras in this state", STATUSES),
                Param("faulty", "true: only cameras with faults; false: only without",
                      type="boolean"),
                Param("limit", "at most this many cameras (default 1000)", type="integer",
                      schema={"minimum": 1, "maximum": 5000}),
                Param("offset", "skip this many", type="integer",
                      schema={"minimum": 0, "maximum": 2**31 - 1})),
            responses={200: Answer("{counts, cameras}", schema=json_object(
                ("counts", "cameras"), counts={"type": "object"},
                cameras={"type": "array", "items": HEALTH_ROW}))})
def cameras_health() -> dict[str, Any]:
    args = request.args
    faulty = args.get("faulty")
    session = get_session()
    rows = repository.health_list(
        session, area=args.get("area") or None, fault=args.get("fault") or None,
        maintainer_id=int(args["maintainer"]) if args.get("maintainer") else None,
        status=args.get("status") or None,
        faulty=None if not faulty else faulty.lower() == "true",
        limit=int(args.get("limit") or 1000), offset=int(args.get("offset") or 0))
    return {"counts": repository.health_counts(session),
            "cameras": [health_json(row) for row in rows]}


@bp.get("/cameras/<int:camera_id>/health")
@allow(*HEALTH_READERS)
@documented("One camera's health: its latest checks (newest first, with every measure), "
            "its latest state changes, and its uptime over the last 1, 7 and 30 days (share "
            "of time with a picture, share with a faultless one; time in maintenance left "
            "out); ``uptime`` is the 30 days'", tag="video",
            params=(CAMERA_ID, Param("limit", "checks to list (default 20)", type="integer",
                                     schema={"minimum": 1, "maximum": 500})),
            responses={200: Answer("{camera_id, status, checks, changes, uptime, windows}",
                                   schema=json_object(
                ("camera_id", "status", "checks", "uptime"), camera_id={"type": "integer"},
                status={"enum": list(STATUSES)}, checks={"type": "array"},
                changes={"type": "array"}, uptime={"type": "object"},
                windows={"type": "object"}, frame_at=_NULLABLE_TIME))})
def camera_health(camera_id: int) -> dict[str, Any]:
    session = get_session()
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise RecordNotFound(f"No camera {camera_id}.", field="camera_id")
    now = datetime.now(UTC)
    checks = repository.check_history(session, camera_id,
                                      limit=int(request.args.get("limit") or 20))
    for check in checks:
        check["checked_at"] = iso(check["checked_at"])
    changes = repository.state_changes(session, camera_id, limit=CHANGES_LISTED)
    for change in changes:
        change["at"] = iso(change["at"])
    windows = uptime_windows(session, camera_id, now)
    frame = repository.latest_frame(session, camera_id)
    return {"camera_id": camera_id, "status": camera.status, "checks": checks,
            "changes": changes, "uptime": windows[str(UPTIME_DAYS)], "windows": windows,
            "frame_at": iso(frame[1]) if frame else None}


@bp.get("/cameras/<int:camera_id>/health/frame")
@allow(*HEALTH_READERS)
@documented("The last frame a health check of the camera decoded (JPEG, at most 480 "
            "pixels wide): what the check saw, kept while later checks get no picture; "
            "X-Frame-Taken-At says when", tag="video", params=(CAMERA_ID,),
            responses={200: Answer("The frame", "image/jpeg"),
                       404: "No camera, or no check has decoded a frame of it"})
def camera_health_frame(camera_id: int) -> Response:
    frame = repository.latest_frame(get_session(), camera_id)
    if frame is None:
        raise RecordNotFound(f"No health check has a frame of camera {camera_id}.",
                             field="camera_id")
    response = Response(frame[0], mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["X-Frame-Taken-At"] = frame[1].isoformat()
    return response


@bp.post("/cameras/<int:camera_id>/health/forget-reference")
@allow(*TICKET_KEEPERS)
@documented("Forget the camera's reference views (after it was re-aimed on purpose): "
            "the next healthy check of each time of day takes a new one, and 'scene moved' "
            "is judged against that", tag="video", params=(CAMERA_ID,),
            body=ForgetReferenceBody,
            responses={200: Answer("{camera_id, bands}", schema=json_object(
                ("camera_id", "bands"), camera_id={"type": "integer"},
                bands={"type": "integer"}))})
def forget_reference(camera_id: int) -> dict[str, Any]:
    body = parse_body(ForgetReferenceBody)
    session = get_session()
    if session.get(Camera, camera_id) is None:
        raise RecordNotFound(f"No camera {camera_id}.", field="camera_id")
    bands = repository.forget_references(session, camera_id)
    audit.record(session, "camera.forget_reference", object_type="camera",
                 object_id=camera_id, reason=body.reason, details={"bands": bands})
    session.commit()
    return {"camera_id": camera_id, "bands": bands}
