"""Crime series: finding incidents for one, keeping it (audited), showing it, and turning
it into temporary must-visit points that expire.

A series is a named set of incidents; what it shows (time line, profile, ellipse,
corridors, cameras) is worked out each time it is read (`app.series.describe`), so it
follows the cameras and roads as they are. A series' video patrol tour is made in
`app.series.tour`.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyproj
from flask import current_app
from shapely.geometry import Point
from sqlalchemy.orm import Session

from app import audit
from app.analysis.data import require_area
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, RecordNotFound
from app.models import IncidentSeries, MustVisitPoint, User
from app.planning.points import PointInput, create_point, point_values
from app.series import repository
from app.series.describe import describe_series, hours_text, incident_json
from app.series.params import (
    SeriesBody,
    SeriesChange,
    SeriesFilter,
    TemporaryPoints,
    ViewSettings,
    parse_bbox,
)
from gis.crs import metric_crs_for
from gis.series import hour_ranges, linked_groups

logger = logging.getLogger(__name__)


def matching(session: Session, query: SeriesFilter) -> dict[str, Any]:
    """Incidents the builder lists, as GeoJSON (newest first) with the total matched."""
    if query.area:
        require_area(session, query.area)
    rows, total = repository.matching_incidents(
        session, since=_naive(query.since), until=_naive(query.until),
        categories=query.category, area=query.area, bbox=parse_bbox(query.bbox),
        text=query.q, limit=query.limit)
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [float(r["lon"]),
                                                               float(r["lat"])]},
                 "properties": incident_json(n, r)} for n, r in enumerate(rows, start=1)]
    return {"type": "FeatureCollection", "features": features,
            "properties": {"matched": total, "listed": len(features),
                           "truncated": total > len(features)}}


def _naive(moment: Any) -> Any:
    return None if moment is None else moment.replace(tzinfo=None)


def _require_incidents(session: Session, ids: list[int]) -> list[int]:
    found = {row["id"] for row in repository.incidents_by_id(session, ids)}
    missing = sorted(set(ids) - found)
    if missing:
        raise InvalidValue(f"No incidents with the ids {', '.join(map(str, missing[:10]))}"
                           + (" …" if len(missing) > 10 else "") + ".",
                           field="incident_ids", code="unknown_incidents")
    return sorted(set(ids))


def create_series(session: Session, body: SeriesBody, *, actor: User | None) -> IncidentSeries:
    """Keep a series (the caller commits); audited as ``series.create``."""
    ids = _require_incidents(session, body.incident_ids)
    row = IncidentSeries(name=body.name, notes=body.notes, params=body.params,
                         created_by=getattr(actor, "id", None))
    session.add(row)
    session.flush()
    repository.set_members(session, row.id, ids)
    audit.record(session, "series.create", object_type="incident_series", object_id=row.id,
                 reason=body.reason, actor=actor,
                 details={"name": body.name, "incidents": ids, "params": body.params})
    return row


def find_series(session: Session, series_id: int, *, for_update: bool = False
                ) -> IncidentSeries:
    row = repository.series(session, series_id, for_update=for_update)
    if row is None:
        raise RecordNotFound(f"No series {series_id}.", field="series_id")
    return row


def change_series(session: Session, series_id: int, change: SeriesChange, *,
                  actor: User | None) -> IncidentSeries:
    """Rename, annotate or re-pick a series; audited with what changed."""
    row = find_series(session, series_id, for_update=True)
    details: dict[str, Any] = {}
    if change.name is not None and change.name != row.name:
        details["name"] = {"from": row.name, "to": change.name}
        row.name = change.name
    if "notes" in change.model_fields_set and change.notes != row.notes:
        details["notes"] = change.notes
        row.notes = change.notes
    if change.incident_ids is not None:
        before = set(repository.member_ids(session, series_id))
        ids = _require_incidents(session, change.incident_ids)
        if set(ids) != before:
            details["added"] = sorted(set(ids) - before)
            details["removed"] = sorted(before - set(ids))
            repository.set_members(session, series_id, ids)
    repository.touch(session, row)
    audit.record(session, "series.update", object_type="incident_series",
                 object_id=series_id, reason=change.reason, actor=actor, details=details)
    return row


def delete_series(session: Session, series_id: int, *, actor: User | None,
                  reason: str | None) -> None:
    """Remove a series (its incidents and the points it made stay); audited."""
    row = find_series(session, series_id, for_update=True)
    audit.record(session, "series.delete", object_type="incident_series",
                 object_id=series_id, reason=reason, actor=actor,
                 details={"name": row.name,
                          "incidents": repository.member_ids(session, series_id)})
    session.delete(row)


def series_list(session: Session) -> list[dict[str, Any]]:
    return [{"id": r[0], "name": r[1], "notes": r[2], "created_at": r[3].isoformat(),
             "updated_at": r[4].isoformat(), "created_by": r[5], "incidents": r[6],
             "first": r[7].isoformat() if r[7] else None,
             "last": r[8].isoformat() if r[8] else None}
            for r in repository.series_rows(session)]


def series_json(session: Session, row: IncidentSeries, settings: ViewSettings
                ) -> dict[str, Any]:
    """The series and everything it shows (``GET /api/v1/series/ID``)."""
    incidents = repository.incidents_by_id(session, repository.member_ids(session, row.id))
    shown = describe_series(session, incidents, settings)
    return {"id": row.id, "name": row.name, "notes": row.notes, "params": row.params,
            "created_by": repository.creator_name(session, row.created_by),
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
            "hours_text": hours_text(shown["hours_that_matter"]),
            "settings": settings.model_dump(),
            "temporary_points": _points_of(session, row.id),
            "video_tours": [{"id": t.id, "name": t.name, "updated_at": t.updated_at.isoformat(),
                             "wall": f"/video/tours/{t.id}/wall"}
                            for t in repository.series_tours(session, row.id)],
            **shown}


CAMERA_CSV = ("order", "camera_id", "name", "gb_id", "kind", "status", "road", "corridors",
              "incidents", "seen_m", "hours_text", "weekdays", "reason")


def camera_rows(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """The corridor cameras as CSV rows (lists joined; formula-like cells guarded)."""
    rows = []
    for camera in shown["cameras"]:
        row = {}
        for column in CAMERA_CSV:
            value = camera.get(column)
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                value = f"'{value}"
            row[column] = value
        rows.append(row)
    return rows


# -- temporary must-visit points ---------------------------------------------------------

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")


def expiry_of(until: Any) -> datetime:
    """The moment points in effect through the local day ``until`` expire: the next local
    midnight."""
    return datetime.combine(until + timedelta(days=1), time(0), tzinfo=_zone())


def make_temporary_points(session: Session, series_id: int, body: TemporaryPoints, *,
                          actor: User | None) -> dict[str, Any]:
    """Must-visit points at the series' places, in its hours, expiring after ``until``.

    Made again, the series' points are updated in place (and any left over from a larger
    grouping retired): one set of points per series. Audited as
    ``series.must_visit_points`` (each new point also as ``must_visit_point.create``)."""
    row = find_series(session, series_id, for_update=True)
    expires = expiry_of(body.until)
    now = datetime.now(_zone())
    if expires <= now:
        raise InvalidValue("until is in the past: the points would never be in effect.",
                           field="until", code="until_past")
    if expires - now > timedelta(days=367):
        raise InvalidValue("until is more than a year away: temporary points are for a "
                           "series being worked now.", field="until", code="until_too_far")
    incidents = repository.incidents_by_id(session, repository.member_ids(session, row.id))
    if not incidents:
        raise InvalidValue("The series holds no incidents.", field="series_id",
                           code="empty_series")
    exact_hours = [r["local_time"].hour for r in incidents if r["time_resolution"] == "minute"]
    ranges = hour_ranges(exact_hours) if body.windows == "hours" else []
    windows = [] if ranges == [(0, 24)] else [
        {"weekdays": "daily", "start": f"{s:02d}:00", "end": f"{e or 24:02d}:00"}
        for s, e in ranges]
    places = _places(incidents, body)
    existing = repository.series_points(session, row.id)
    written = []
    for number, (lon, lat, members) in enumerate(places, start=1):
        ref = f"{row.id}:{number}"
        point = PointInput(name=f"{row.name} · {number}"[:200], lon=lon, lat=lat,
                           windows=windows, dwell_min=body.dwell_min, priority=body.priority,
                           expires_at=expires, reason=body.reason)
        found = existing.pop(ref, None)
        if found is None:
            found = create_point(session, point, source="series", source_ref=ref,
                                 actor=actor)
        else:
            _update_point(session, found, point)
        written.append({"id": found.id, "name": point.name, "lon": lon, "lat": lat,
                        "incidents": members})
    for leftover in existing.values():  # an earlier, finer grouping
        leftover.active = False
    audit.record(session, "series.must_visit_points", object_type="incident_series",
                 object_id=row.id, reason=body.reason, actor=actor,
                 details={"points": [p["id"] for p in written], "until": str(body.until),
                          "expires_at": expires.isoformat(), "windows": windows,
                          "place": body.place, "retired": [p.id for p in existing.values()]})
    logger.info("series %d: %d temporary points until %s", row.id, len(written), body.until)
    return {"series_id": row.id, "expires_at": expires.isoformat(), "until": str(body.until),
            "windows": windows, "points": written,
            "retired": [p.id for p in existing.values()]}


def _update_point(session: Session, row: MustVisitPoint, point: PointInput) -> None:
    for key, value in point_values(point).items():
        setattr(row, key, value)
    row.active = True
    row.geom = to_ewkb(Point(point.lon, point.lat))


def _places(incidents: list[dict[str, Any]], body: TemporaryPoints
            ) -> list[tuple[float, float, list[int]]]:
    """Where the points go: the mean centre, or one per group of incidents within
    ``merge_m`` of each other (single linkage; at each group's mean)."""
    lon = np.array([float(r["lon"]) for r in incidents])
    lat = np.array([float(r["lat"]) for r in incidents])
    ids = [int(r["id"]) for r in incidents]
    crs = metric_crs_for((lon.min(), lat.min(), lon.max(), lat.max()))
    forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x, y = forward.transform(lon, lat)
    x, y = np.asarray(x), np.asarray(y)
    if body.place == "centre":
        groups = [list(range(len(ids)))]
    else:
        groups = linked_groups(x, y, within_m=body.merge_m)
    places = []
    for group in groups:
        gx, gy = back.transform(float(x[group].mean()), float(y[group].mean()))
        places.append((round(float(gx), 7), round(float(gy), 7),
                       sorted(ids[i] for i in group)))
    return places


def _points_of(session: Session, series_id: int) -> list[dict[str, Any]]:
    now = datetime.now(_zone())
    return [{"id": p.id, "name": p.name, "active": p.active,
             "expires_at": p.expires_at.isoformat() if p.expires_at else None,
             "expired": p.expires_at is not None and p.expires_at <= now}
            for _, p in sorted(repository.series_points(session, series_id).items())]
