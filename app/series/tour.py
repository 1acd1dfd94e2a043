"""A crime series turned into a video patrol tour: the cameras watching its corridors, in
the series' own order of them (most corridors watched first, then most metres seen: the
numbers on the series page), due in its hours that matter.

One tour per series: made again, the series' tour is replaced in place (its runs and
findings stay with it). Cameras without a stream, offline or in maintenance are left
out and listed, as a tour proposal leaves them out. The stop reasons are written in
English and Chinese, as every tour's are, whatever the language of the request.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from sqlalchemy.orm import Session

from app import audit
from app.errors import InvalidValue
from app.models import User
from app.series import repository
from app.series.describe import corridor_reason, describe_series, hours_text
from app.series.params import SeriesTour, ViewSettings
from app.series.service import find_series
from app.tours import tours
from gis.series import hour_ranges

LEFT_OUT_STATUSES = ("offline", "maintenance")
MAX_DAYS = 365  # a tour's period is at most 366 days, today included


def _reasons(series_name: str, camera: dict[str, Any]) -> dict[str, str]:
    texts = {}
    for key, locale in (("en", "en"), ("zh", "zh_Hans_CN")):
        with force_locale(locale):
            text = corridor_reason(seen_m=camera["seen_m"], corridors=camera["corridors"],
                                   road=camera["road"], hours=camera["hours"],
                                   all_round=not camera["direction_known"])
        texts[key] = f"{series_name}: {text}"[:2000]
    return texts


def series_windows(incidents: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every day in the series' hours that matter; none when any hour may matter."""
    exact = [r["local_time"].hour for r in incidents if r["time_resolution"] == "minute"]
    ranges = hour_ranges(exact)
    if not ranges or ranges == [(0, 24)]:
        return []
    return [{"start": f"{s:02d}:00", "end": f"{e:02d}:00" if e % 24 else "24:00"}
            for s, e in ranges]


def make_series_tour(session: Session, series_id: int, body: SeriesTour, *,
                     actor: User | None) -> dict[str, Any]:
    """Write the series' tour (new or in place of its last one), audited; the caller
    commits."""
    row = find_series(session, series_id, for_update=True)
    incidents = repository.incidents_by_id(session, repository.member_ids(session, row.id))
    if not incidents:
        raise InvalidValue("The series holds no incidents.", field="series_id",
                           code="empty_series")
    shown = describe_series(session, incidents, ViewSettings())
    playable, left_out = [], []
    for camera in shown["cameras"]:
        if not camera["has_stream"]:
            left_out.append({"camera_id": camera["camera_id"], "name": camera["name"],
                             "why": "no_stream"})
        elif camera["status"] in LEFT_OUT_STATUSES:
            left_out.append({"camera_id": camera["camera_id"], "name": camera["name"],
                             "why": camera["status"]})
        else:
            playable.append(camera)
    if not playable:
        raise InvalidValue(
            "No camera with a stream, online or of unknown state, watches the series' "
            "corridors." if shown["cameras"] else
            "No camera watches the series' corridors.", field="series_id",
            code="no_cameras", extra={"left_out": left_out})
    today = tours.local_now().date()
    if body.until is not None and body.until < today:
        raise InvalidValue("until is in the past: the tour would never be due.",
                           field="until", code="until_past")
    if body.until is not None and (body.until - today).days > MAX_DAYS:
        raise InvalidValue(f"until is more than {MAX_DAYS} days away: leave it out for a "
                           "tour without an end.", field="until", code="until_too_far")
    windows = series_windows(incidents) if body.windows == "hours" else []
    schedule: dict[str, Any] = {}
    if windows:
        schedule["windows"] = windows
    if body.until is not None:
        schedule["dates"] = {"from": str(today), "to": str(body.until)}
    existing = repository.series_tours(session, row.id)
    tour_body = tours.TourBody.model_validate({
        "name": body.name or row.name, "layout": body.layout,
        "cameras": [{"camera_id": c["camera_id"], "dwell_s": body.dwell_s,
                     "reason": _reasons(row.name, c)}
                    for c in playable[:tours.MAX_STOPS]],
        "schedule": schedule or None,
        "proposal": {"series_id": row.id, "series_name": row.name,
                     "incidents": len(incidents),
                     "hours_text": hours_text(shown["hours_that_matter"]),
                     "left_out": left_out},
        "reason": body.reason})
    tour = tours.save_tour(session, tour_body, tour=existing[-1] if existing else None)
    audit.record(session, "series.tour", object_type="incident_series", object_id=row.id,
                 reason=body.reason, actor=actor,
                 details={"tour_id": tour.id, "cameras": [c["camera_id"] for c in playable],
                          "left_out": left_out, "windows": windows,
                          "until": str(body.until) if body.until else None,
                          "replaced": bool(existing)})
    return {"series_id": row.id, "tour": tours.tour_json(session, tour),
            "left_out": left_out, "replaced": bool(existing)}
