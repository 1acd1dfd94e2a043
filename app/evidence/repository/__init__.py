"""Every SQL statement of the evidence area. Here: candidate cameras for a path, the place
and time of an alert or an incident, and the stored evidence plans; the network's coverage
in `coverage`. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.db.bulk import raw_cursor
from app.db.geometry import from_ewkb_many, to_ewkb
from app.models import EvidencePlan

CAMERA_COLUMNS = ("id", "name", "kind", "status", "gb_id", "azimuth_deg", "fov_deg",
                  "range_m", "recording_url", "has_stream", "lon", "lat", "coverage")
_SELECT = """SELECT c.id, c.name, c.kind, c.status, c.gb_id, c.azimuth_deg, c.fov_deg,
    c.range_m, c.recording_url, c.stream_url IS NOT NULL, ST_X(c.geom), ST_Y(c.geom),
    ST_AsBinary(c.coverage)
FROM cameras c
WHERE {where}
ORDER BY c.id"""
_COVERING_SQL = _SELECT.format(
    where="c.coverage && %(path)s::geometry AND ST_Intersects(c.coverage, %(path)s::geometry)")
_ON_EDGES_SQL = _SELECT.format(
    where="c.coverage IS NOT NULL AND c.id IN (SELECT camera_id FROM camera_roads "
          "WHERE edge_id = ANY(%(edges)s::int[]))")


def _cameras(rows: list[Any]) -> list[dict[str, Any]]:
    found = [dict(zip(CAMERA_COLUMNS, row, strict=True)) for row in rows]
    for camera, coverage in zip(found, from_ewkb_many(r[-1] for r in rows), strict=True):
        camera["coverage"] = coverage
    return found


def cameras_covering(session: Session, path: BaseGeometry) -> list[dict[str, Any]]:
    """Cameras whose coverage meets ``path`` (EPSG:4326), with the coverage as shapely."""
    with raw_cursor(session) as cur:
        cur.execute(_COVERING_SQL, {"path": to_ewkb(path, hex=True)})
        return _cameras(cur.fetchall())


def cameras_on_edges(session: Session, edge_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Cameras whose coverage meets any of these road edges (``camera_roads``)."""
    with raw_cursor(session) as cur:
        cur.execute(_ON_EDGES_SQL, {"edges": sorted({int(e) for e in edge_ids})})
        return _cameras(cur.fetchall())


def alert_place(session: Session, alert_id: int) -> tuple[float, float, datetime] | None:
    """Where and when an alert was raised."""
    row = session.execute(sa.text("SELECT ST_X(geom), ST_Y(geom), raised_at FROM alerts "
                                  "WHERE id = :id"), {"id": alert_id}).first()
    return None if row is None else (float(row[0]), float(row[1]), row[2])


def incident_place(session: Session, incident_id: int
                   ) -> tuple[float, float, datetime] | None:
    """Where and when an incident happened."""
    row = session.execute(sa.text("SELECT ST_X(geom), ST_Y(geom), occurred_at FROM "
                                  "incidents WHERE id = :id"), {"id": incident_id}).first()
    return None if row is None else (float(row[0]), float(row[1]), row[2])


def plan(session: Session, plan_id: int) -> EvidencePlan | None:
    return session.get(EvidencePlan, plan_id)


def plan_geometry(session: Session, plan_id: int
                  ) -> tuple[BaseGeometry | None, float, float]:
    """A stored plan's path (None when it has none) and its start (lon, lat)."""
    row = session.execute(sa.text("SELECT ST_AsBinary(path), ST_X(geom), ST_Y(geom) FROM "
                                  "evidence_plans WHERE id = :id"), {"id": plan_id}).one()
    path = None if row[0] is None else from_ewkb_many([row[0]])[0]
    return path, float(row[1]), float(row[2])


def plans_of(session: Session, *, alert_id: int | None, incident_id: int | None,
             limit: int = 200) -> list[EvidencePlan]:
    """Plans of an alert's or an incident's case file (or the newest), newest first."""
    query = sa.select(EvidencePlan).order_by(EvidencePlan.id.desc()).limit(limit)
    if alert_id is not None:
        query = query.where(EvidencePlan.alert_id == alert_id)
    if incident_id is not None:
        query = query.where(EvidencePlan.incident_id == incident_id)
    return list(session.execute(query).scalars())
