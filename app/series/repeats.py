"""Temporary must-visit points from a near-repeat result: after an incident, risk nearby
stays raised for a while (the Knox table says how far and how long); the recent
incidents' places become must-visit points that expire when that time has passed.

One point per group of recent incidents within ``distance_m`` of each other (single
linkage, at the group's mean), expiring ``days`` after the group's latest incident; any
time of day. Made again, a point is updated in place (keyed by its latest incident), so a
daily run extends the points of places struck again and lets the others lapse.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyproj
from pydantic import AwareDatetime, Field, field_validator
from shapely.geometry import Point
from sqlalchemy.orm import Session

from app import audit
from app.analysis.data import require_area
from app.api.docs import StrictBody
from app.db.geometry import to_ewkb
from app.errors import InvalidValue
from app.models import User
from app.planning.points import PointInput, create_point, point_values
from app.series import repository
from gis.crs import metric_crs_for
from gis.series import linked_groups

logger = logging.getLogger(__name__)
MAX_POINTS = 200
"""Most points one request makes (a wider filter is a patrol plan, not temporary points)."""
MAX_INCIDENTS = 5000


class RepeatPoints(StrictBody):
    """Which recent incidents, how close and how long the risk stays raised."""

    distance_m: float = Field(default=200.0, ge=10, le=2000,
                              description="the near-repeat distance: incidents this close "
                                          "share a point")
    days: float = Field(default=14.0, gt=0, le=90,
                        description="how long risk stays raised after an incident; the "
                                    "points expire this long after their latest incident")
    category: list[str] = Field(default_factory=list, max_length=20,
                                description="common category codes (none: all)")
    area: str | None = Field(default=None, max_length=200)
    as_of: AwareDatetime | None = Field(
        default=None, description="the moment the risk is judged at (default: now); "
                                  "incidents of the `days` before it count")
    dwell_min: float = Field(default=10, gt=0, le=240)
    priority: int = Field(default=2, ge=1, le=5)
    reason: str = Field(min_length=1, max_length=2000, description="why (audited)")

    @field_validator("category")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        return sorted({v.strip() for v in value if v.strip()})


def make_repeat_points(session: Session, body: RepeatPoints, *,
                       actor: User | None) -> dict[str, Any]:
    """Points at the places of the last ``days``' incidents, expiring ``days`` after the
    latest incident of each (audited as ``near_repeat.must_visit_points``)."""
    if body.area:
        require_area(session, body.area)
    now = datetime.now(UTC)
    as_of = body.as_of or now
    window = timedelta(days=body.days)
    incidents = repository.recent_incidents(
        session, since=as_of - window, until=as_of, categories=body.category,
        area=body.area, limit=MAX_INCIDENTS + 1)
    if len(incidents) > MAX_INCIDENTS:
        raise InvalidValue(f"More than {MAX_INCIDENTS} incidents in the period: choose a "
                           "category or an area.", field="category", code="too_many_points")
    groups = _groups(incidents, body.distance_m)
    live = [g for g in groups if max(incidents[i]["occurred_at"] for i in g) + window > now]
    if len(live) > MAX_POINTS:
        raise InvalidValue(f"{len(live)} places: more than {MAX_POINTS} temporary points; "
                           "choose a category or an area.", field="category",
                           code="too_many_points")
    refs = [str(max((incidents[i] for i in g), key=lambda r: (r["occurred_at"], r["id"]))["id"])
            for g in live]
    existing = repository.points_from(session, "near_repeat", refs)
    written = []
    for group, ref in zip(live, refs, strict=True):
        rows = [incidents[i] for i in group]
        latest = max(r["occurred_at"] for r in rows)
        lon, lat = _mean_place(rows)
        point = PointInput(
            name=f"Near repeat {latest.astimezone(UTC):%Y-%m-%d} ({len(rows)})"[:200],
            lon=lon, lat=lat, windows=[], dwell_min=body.dwell_min, priority=body.priority,
            expires_at=latest + window, reason=body.reason)
        found = existing.get(ref)
        if found is None:
            found = create_point(session, point, source="near_repeat", source_ref=ref,
                                 actor=actor)
        else:
            for key, value in point_values(point).items():
                setattr(found, key, value)
            found.active = True
            found.geom = to_ewkb(Point(lon, lat))
        written.append({"id": found.id, "name": point.name, "lon": lon, "lat": lat,
                        "incidents": sorted(int(r["id"]) for r in rows),
                        "expires_at": (latest + window).isoformat()})
    audit.record(session, "near_repeat.must_visit_points", object_type="must_visit_point",
                 reason=body.reason, actor=actor,
                 details={"points": [p["id"] for p in written], "incidents": len(incidents),
                          "distance_m": body.distance_m, "days": body.days,
                          "category": body.category, "area": body.area,
                          "as_of": as_of.isoformat()})
    logger.info("near repeat: %d temporary points from %d incidents", len(written),
                len(incidents))
    return {"incidents": len(incidents), "points": written,
            "lapsed": len(groups) - len(live), "as_of": as_of.isoformat()}


def _groups(incidents: list[dict[str, Any]], within_m: float) -> list[list[int]]:
    if not incidents:
        return []
    x, y = _metric(incidents)
    return linked_groups(x, y, within_m=within_m)


def _metric(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    crs = metric_crs_for((lon.min(), lat.min(), lon.max(), lat.max()))
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _mean_place(rows: list[dict[str, Any]]) -> tuple[float, float]:
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    crs = metric_crs_for((lon.min(), lat.min(), lon.max(), lat.max()))
    x, y = _metric(rows)
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    mlon, mlat = back.transform(float(x.mean()), float(y.mean()))
    return round(float(mlon), 7), round(float(mlat), 7)
