"""Flag a finding in one action: what was seen (kind, note) on which camera, the frame the
server takes at that moment, and what it becomes — an incident on the map (camera, time,
frame; counted by the analyses as source ``video_patrol``) or a red alert at the place
the camera watches, raised through the alert service (cameras called up, units ranked).

Everything is validated before anything is written, and written in one transaction with
its audit row: a finding is never half-made. The frame is taken before that transaction
(a camera may take seconds to answer); a camera that gives none leaves the finding
without a frame and the answer says why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import shapely
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field
from sqlalchemy.orm import Session

from app import audit
from app.api.docs import StrictBody
from app.db.geometry import to_ewkb
from app.dispatch.alerts import AlertRequest, raise_alert
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.geography.places import place_json_at
from app.geography.repository import area_id_at
from app.models import Camera, TourRun, VideoFinding
from app.tours.frames import capture_frame
from app.tours.repository import findings as rows
from app.tours.tours import chinese
from dispatch.tours import FindingKind, FindingOutcome

SOURCE = "video_patrol"
KINDS = tuple(k.value for k in FindingKind)


class FindingBody(StrictBody):
    """A finding as the wall (or any client) flags it."""

    camera_id: int = Field(ge=1, le=2**31 - 1)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    note: str | None = Field(default=None, max_length=2000)
    outcome: Literal["incident", "alert"] = "incident"
    run_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


def checked(session: Session, body: FindingBody) -> tuple[Camera, TourRun | None]:
    """The camera and run a finding names, or the failure naming the field."""
    camera = session.get(Camera, body.camera_id)
    if camera is None:
        raise RecordNotFound(f"No camera {body.camera_id}.", field="camera_id")
    run = None
    if body.run_id is not None:
        run = session.get(TourRun, body.run_id)
        if run is None or run.user_id != current_user.id:
            raise RecordNotFound(f"No tour run {body.run_id} of yours.", field="run_id")
        if run.ended_at is not None:
            raise StateConflict(f"Tour run {run.id} has ended.", field="run_id",
                                code="run_ended")
        if body.camera_id not in run.planned:
            raise InvalidValue(f"Camera {body.camera_id} is not in this tour run.",
                               field="camera_id", code="not_in_run")
    return camera, run


def flag_finding(session: Session, body: FindingBody, served: Any) -> VideoFinding:
    """Validate, take the frame, then write the finding and what it becomes (audited;
    the caller commits). ``served`` is the road graph for an alert's units (or None)."""
    camera, run = checked(session, body)
    frame = capture_frame(camera)
    session.refresh(camera)  # the frame took a while: the camera may have changed
    kind = FindingKind(body.kind)
    lon, lat = rows.watched_place(session, camera.id)
    now = datetime.now(UTC)
    point = to_ewkb(shapely.Point(lon, lat))
    finding = rows.add_finding(
        session, run_id=run.id if run else None, camera_id=camera.id,
        camera_name=camera.name, kind=kind.value, note=body.note, outcome=body.outcome,
        at=now, frame=frame.jpeg, frame_at=frame.taken_at if frame.jpeg else None,
        frame_source=frame.source, frame_error=frame.error, user_id=current_user.id,
        username=current_user.username, geom=point)
    camera_text = camera.name or f"#{camera.id}"
    if body.outcome == FindingOutcome.INCIDENT:
        place = place_json_at(session, lon, lat)
        incident = rows.add_incident(
            session, source=SOURCE, source_id=f"finding-{finding.id}", occurred_at=now,
            time_resolution="minute", timezone=str(current_app.config.get("TIMEZONE") or "UTC"),
            category=kind.category, source_category=kind.value,
            description=_description(kind, body.note, camera_text, finding.id),
            address=place.get("text_en"), area_id=area_id_at(session, lon, lat), geom=point)
        finding.incident_id = incident.id
    else:
        alert, _answer = raise_alert(session, served, AlertRequest(
            lon=lon, lat=lat, level="red", kind=kind.value,
            description=_description(kind, body.note, camera_text, finding.id)),
            actor=current_user.username, source=SOURCE)
        finding.alert_id = alert.id
    audit.record(session, "finding.create", object_type="finding", object_id=finding.id,
                 details={"camera_id": camera.id, "kind": kind.value, "outcome": body.outcome,
                          "run_id": finding.run_id, "incident_id": finding.incident_id,
                          "alert_id": finding.alert_id, "frame": frame.source,
                          "frame_error": frame.error})
    return finding


def _description(kind: FindingKind, note: str | None, camera: str, finding_id: int) -> str:
    text = f"{kind.label_en} / {kind.label_zh} — video patrol finding #{finding_id}, camera " \
           f"{camera}"
    return f"{text}: {note}" if note else text


def finding_json(row: dict[str, Any]) -> dict[str, Any]:
    kind = FindingKind(row["kind"]) if row["kind"] in KINDS else None
    return {"id": row["id"], "kind": row["kind"],
            "kind_label": (kind.label_zh if chinese() else kind.label_en) if kind else
            row["kind"], "note": row["note"], "outcome": row["outcome"],
            "camera_id": row["camera_id"], "camera_name": row["camera_name"],
            "at": row["at"].isoformat(),
            "frame_url": url_for("api.finding_frame", finding_id=row["id"])
            if row["has_frame"] else None,
            "frame_at": row["frame_at"].isoformat() if row["frame_at"] else None,
            "frame_source": row["frame_source"], "frame_error": row["frame_error"],
            "incident_id": row["incident_id"], "alert_id": row["alert_id"],
            "run_id": row["run_id"], "username": row["username"],
            "lon": row["lon"], "lat": row["lat"]}


def findings_geojson(rows_: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": row["id"],
         "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
         "properties": finding_json(row)} for row in rows_]}


def finding_labels() -> dict[str, Any]:
    return {"finding": _("Finding"), "camera": _("Camera"), "at": _("Time"),
            "note": _("Note"), "incident": _("Incident"), "alert": _("Red alert"),
            "noFrame": _("No frame"), "by": _("Flagged by"),
            "layer": _("Video findings (24 h)")}
