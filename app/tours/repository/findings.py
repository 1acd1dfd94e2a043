"""Findings: where a camera watches, the finding and the incident it becomes, and the
findings as GeoJSON for the maps. Nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db.bulk import bump_version, raw_cursor
from app.geography.repository import BBox
from app.models import Incident, VideoFinding


def watched_place(session: Session, camera_id: int) -> tuple[float, float]:
    """A point inside what the camera sees (its coverage, else its wedge), else the
    camera's own position: where its findings are put on the map."""
    row = session.execute(sa.text("""
        SELECT ST_X(p), ST_Y(p) FROM (
            SELECT coalesce(ST_PointOnSurface(coalesce(c.coverage, c.sector)), c.geom) AS p
            FROM cameras c WHERE c.id = :c) x"""), {"c": camera_id}).one()
    return float(row[0]), float(row[1])


def add_finding(session: Session, **values: Any) -> VideoFinding:
    finding = VideoFinding(**values)
    session.add(finding)
    session.flush()
    return finding


def add_incident(session: Session, **values: Any) -> Incident:
    """An incident made from a finding; the analyses' caches are told."""
    incident = Incident(**values)
    session.add(incident)
    session.flush()
    with raw_cursor(session) as cur:
        bump_version(cur, "incidents")
    return incident


_COLUMNS = """f.id, f.kind, f.note, f.outcome, f.camera_id,
    coalesce(c.name, f.camera_name) AS camera_name, f.at, f.frame IS NOT NULL AS has_frame,
    f.frame_at, f.frame_source, f.frame_error, f.incident_id, f.alert_id, f.run_id,
    f.username, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat"""


def finding_rows(session: Session, *, bbox: BBox | None = None, since: datetime | None = None,
                 until: datetime | None = None, run_id: int | None = None,
                 camera_id: int | None = None, finding_id: int | None = None,
                 limit: int = 1000) -> list[dict[str, Any]]:
    """Findings, newest first."""
    params: dict[str, Any] = {"since": since, "until": until, "run": run_id,
                              "camera": camera_id, "id": finding_id, "limit": limit,
                              "w": None, "s": None, "e": None, "n": None}
    if bbox is not None:
        params.update(w=bbox.west, s=bbox.south, e=bbox.east, n=bbox.north)
    rows = session.execute(sa.text(f"""
        SELECT {_COLUMNS} FROM video_findings f LEFT JOIN cameras c ON c.id = f.camera_id
        WHERE (CAST(:w AS float8) IS NULL
               OR f.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326))
          AND (CAST(:since AS timestamptz) IS NULL OR f.at >= CAST(:since AS timestamptz))
          AND (CAST(:until AS timestamptz) IS NULL OR f.at < CAST(:until AS timestamptz))
          AND (CAST(:run AS bigint) IS NULL OR f.run_id = CAST(:run AS bigint))
          AND (CAST(:camera AS integer) IS NULL OR f.camera_id = CAST(:camera AS integer))
          AND (CAST(:id AS integer) IS NULL OR f.id = CAST(:id AS integer))
        ORDER BY f.at DESC, f.id DESC LIMIT :limit"""), params).mappings()  # noqa: S608
    return [dict(r) for r in rows]


def frame_of(session: Session, finding_id: int) -> tuple[bytes | None, datetime | None] | None:
    """The finding's frame and when it was taken; None when there is no such finding."""
    row = session.execute(sa.text("SELECT frame, frame_at FROM video_findings WHERE id = :f"),
                          {"f": finding_id}).first()
    return None if row is None else (row[0], row[1])
