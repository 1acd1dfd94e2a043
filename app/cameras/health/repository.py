"""Camera health in PostGIS: every query of the health checks. Cameras to check, their
baselines and reference views, the latest check and the history, state changes, the
health list the API answers, and the retention. Nothing here commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import (
    Camera,
    CameraBaseline,
    CameraHealth,
    CameraHealthCheck,
    CameraStatusChange,
)

RUN_LOCK_KEY = 0x67705F6865  # one health round at a time, whichever process starts it


@dataclass(frozen=True)
class CameraToCheck:
    id: int
    name: str | None
    stream_url: str
    status: str


@contextmanager
def run_lock(url: str) -> Iterator[bool]:
    """Hold the health round's advisory lock on a connection of its own (opened for the
    block and closed after it) to the database at ``url``; yields False (and holds
    nothing) when another process runs a round."""
    engine: Engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            held = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": RUN_LOCK_KEY}).scalar())
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                                 {"k": RUN_LOCK_KEY})
                    conn.commit()
    finally:
        engine.dispose()


def cameras_to_check(session: Session, camera_ids: Sequence[int] | None = None
                     ) -> list[CameraToCheck]:
    """Cameras with a stream (all, or these), by id."""
    query = sa.select(Camera.id, Camera.name, Camera.stream_url, Camera.status).where(
        Camera.stream_url.is_not(None)).order_by(Camera.id)
    if camera_ids is not None:
        query = query.where(Camera.id.in_(list(camera_ids)))
    return [CameraToCheck(int(r.id), r.name, str(r.stream_url), str(r.status))
            for r in session.execute(query)]


def baselines(session: Session, band: int, camera_ids: Sequence[int]
              ) -> dict[int, CameraBaseline]:
    """The baseline rows of these cameras in one band, by camera id."""
    rows = session.execute(sa.select(CameraBaseline).where(
        CameraBaseline.band == band, CameraBaseline.camera_id.in_(list(camera_ids)))).scalars()
    return {row.camera_id: row for row in rows}


def save_baseline(session: Session, camera_id: int, band: int, *, checks: int,
                  stats: dict[str, Any], now: datetime, reference_png: bytes | None = None,
                  reference_cells: list[float] | None = None) -> None:
    """Write a band's baseline; with ``reference_png``, its reference view too."""
    values: dict[str, Any] = {"camera_id": camera_id, "band": band, "checks": checks,
                              "stats": stats, "updated_at": now}
    if reference_png is not None:
        values.update(reference_png=reference_png, reference_cells=reference_cells,
                      reference_at=now)
    statement = insert(CameraBaseline).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["camera_id", "band"],
        set_={k: statement.excluded[k] for k in values if k not in ("camera_id", "band")}))


def forget_references(session: Session, camera_id: int) -> int:
    """Drop a camera's reference views (all bands): the next healthy checks take new
    ones (after the camera was re-aimed on purpose). Returns the bands changed."""
    result = session.execute(sa.update(CameraBaseline).where(
        CameraBaseline.camera_id == camera_id, CameraBaseline.reference_png.is_not(None)
    ).values(reference_png=None, reference_cells=None, reference_at=None))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def latest(session: Session, camera_ids: Sequence[int]) -> dict[int, CameraHealth]:
    """The latest check of these cameras, by camera id."""
    rows = session.execute(sa.select(CameraHealth).where(
        CameraHealth.camera_id.in_(list(camera_ids)))).scalars()
    return {row.camera_id: row for row in rows}


def store_check(session: Session, camera_id: int, *, checked_at: datetime, verdict: str,
                fault_codes: list[str], findings: list[dict[str, Any]],
                measures: dict[str, Any] | None, comparison: dict[str, Any] | None,
                stream: dict[str, Any] | None, streaks: dict[str, Any], duration_ms: int,
                healthy: bool, frame_jpeg: bytes | None = None) -> None:
    """Keep a check: the camera's latest (replaced) and one more row of history; with
    ``frame_jpeg`` the frame it saw (a check without a picture keeps the earlier one)."""
    session.add(CameraHealthCheck(camera_id=camera_id, checked_at=checked_at, verdict=verdict,
                                  fault_codes=fault_codes, findings=findings,
                                  measures=measures, duration_ms=duration_ms))
    values = {"camera_id": camera_id, "checked_at": checked_at, "verdict": verdict,
              "fault_codes": fault_codes, "findings": findings, "measures": measures,
              "comparison": comparison, "stream": stream, "streaks": streaks,
              "duration_ms": duration_ms}
    if frame_jpeg is not None:
        values.update(frame_jpeg=frame_jpeg, frame_at=checked_at)
    statement = insert(CameraHealth).values(
        **values, last_healthy_at=checked_at if healthy else None)
    update = {k: statement.excluded[k] for k in values if k != "camera_id"}
    if healthy:
        update["last_healthy_at"] = statement.excluded["last_healthy_at"]
    session.execute(statement.on_conflict_do_update(index_elements=["camera_id"], set_=update))


def set_status(session: Session, camera_id: int, *, from_status: str | None, to_status: str,
               at: datetime, reason: str | None) -> None:
    """Change a camera's state and keep the change (uptime history)."""
    session.execute(sa.update(Camera).where(Camera.id == camera_id).values(
        status=to_status, status_at=at))
    session.add(CameraStatusChange(camera_id=camera_id, at=at, from_status=from_status,
                                   to_status=to_status, reason=reason))


def status_changes(session: Session, camera_ids: Sequence[int], *, until: datetime
                   ) -> dict[int, list[tuple[datetime, str]]]:
    """Each camera's state changes up to ``until``, in time order."""
    rows = session.execute(sa.select(CameraStatusChange.camera_id, CameraStatusChange.at,
                                     CameraStatusChange.to_status).where(
        CameraStatusChange.camera_id.in_(list(camera_ids)), CameraStatusChange.at < until
    ).order_by(CameraStatusChange.camera_id, CameraStatusChange.at, CameraStatusChange.id))
    found: dict[int, list[tuple[datetime, str]]] = {}
    for camera_id, at, status in rows:
        found.setdefault(int(camera_id), []).append((at, str(status)))
    return found


def drop_checks_before(session: Session, before: datetime) -> int:
    """Delete the check history older than ``before`` (the latest check of each camera
    stays in ``camera_health``). Returns the rows deleted."""
    result = session.execute(sa.delete(CameraHealthCheck).where(
        CameraHealthCheck.checked_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_LIST_SQL = """
    SELECT c.id, c.name, c.kind, c.status, c.status_at, c.gb_id, ST_X(c.geom) AS lon,
           ST_Y(c.geom) AS lat, a.name AS area, m.id AS maintainer_id,
           m.code AS maintainer_code, m.name AS maintainer_name, h.checked_at, h.verdict,
           coalesce(h.fault_codes, '{}') AS fault_codes, coalesce(h.findings, '[]') AS findings,
           h.stream, h.last_healthy_at, h.frame_at, t.id AS ticket_id,
           c.stream_url IS NOT NULL AS has_stream
    FROM cameras c
    LEFT JOIN areas a ON a.id = c.area_id
    LEFT JOIN camera_maintainers cm ON cm.camera_id = c.id
    LEFT JOIN maintainers m ON m.id = cm.maintainer_id
    LEFT JOIN camera_health h ON h.camera_id = c.id
    LEFT JOIN maintenance_tickets t ON t.camera_id = c.id AND t.status = 'open'
    WHERE (CAST(:area AS text) IS NULL OR a.name = :area)
      AND (CAST(:fault AS text) IS NULL OR :fault = ANY(h.fault_codes))
      AND (CAST(:maintainer AS integer) IS NULL OR m.id = :maintainer)
      AND (CAST(:status AS text) IS NULL OR c.status = :status)
      AND (CAST(:camera AS integer) IS NULL OR c.id = :camera)
      AND (CAST(:faulty AS boolean) IS NULL OR
           (cardinality(coalesce(h.fault_codes, '{}')) > 0) = :faulty)
    ORDER BY (c.status = 'offline') DESC, cardinality(coalesce(h.fault_codes, '{}')) DESC,
             c.id
    LIMIT :limit OFFSET :offset
"""


def latest_frame(session: Session, camera_id: int) -> tuple[bytes, datetime] | None:
    """The last frame a check of the camera decoded, and when; None if none has."""
    row = session.execute(sa.select(CameraHealth.frame_jpeg, CameraHealth.frame_at).where(
        CameraHealth.camera_id == camera_id, CameraHealth.frame_jpeg.is_not(None))).first()
    return (bytes(row.frame_jpeg), row.frame_at) if row is not None else None


def state_changes(session: Session, camera_id: int, *, limit: int) -> list[dict[str, Any]]:
    """A camera's latest state changes, newest first."""
    rows = session.execute(sa.select(
        CameraStatusChange.at, CameraStatusChange.from_status, CameraStatusChange.to_status,
        CameraStatusChange.reason).where(CameraStatusChange.camera_id == camera_id).order_by(
        CameraStatusChange.at.desc(), CameraStatusChange.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def health_list(session: Session, *, area: str | None = None, fault: str | None = None,
                maintainer_id: int | None = None, status: str | None = None,
                faulty: bool | None = None, camera_id: int | None = None, limit: int = 1000,
                offset: int = 0) -> list[dict[str, Any]]:
    """Cameras with their state, latest findings, maintainer and open ticket: the worst
    first (offline, then by number of faults)."""
    rows = session.execute(sa.text(_LIST_SQL), {
        "area": area, "fault": fault, "maintainer": maintainer_id, "status": status,
        "faulty": faulty, "camera": camera_id, "limit": limit, "offset": offset}).mappings()
    return [dict(row) for row in rows]


def health_counts(session: Session) -> dict[str, int]:
    """Cameras per state."""
    return {str(status): int(count) for status, count in session.execute(
        sa.select(Camera.status, sa.func.count()).group_by(Camera.status))}


def area_names(session: Session) -> list[str]:
    """Names of the areas that hold cameras."""
    return [str(n) for n in session.execute(sa.text(
        "SELECT DISTINCT a.name FROM areas a JOIN cameras c ON c.area_id = a.id "
        "ORDER BY a.name")).scalars()]


def check_history(session: Session, camera_id: int, *, limit: int) -> list[dict[str, Any]]:
    """A camera's latest checks, newest first."""
    rows = session.execute(sa.select(
        CameraHealthCheck.checked_at, CameraHealthCheck.verdict, CameraHealthCheck.fault_codes,
        CameraHealthCheck.findings, CameraHealthCheck.measures, CameraHealthCheck.duration_ms
    ).where(CameraHealthCheck.camera_id == camera_id).order_by(
        CameraHealthCheck.checked_at.desc(), CameraHealthCheck.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


# -- uptime from the state history -------------------------------------------------------
# Each camera's state over [start, end): the state it was in at start (its last change at
# or before start, else 'unknown'), then every change inside; a span lasts until the next
# change or the end. As dispatch.cameras.health.time_in_status, in SQL for many cameras.
_UPTIME = """
    WITH scope AS (
        SELECT c.id, c.name, a.name AS area, cm.maintainer_id
        FROM cameras c
        LEFT JOIN areas a ON a.id = c.area_id
        LEFT JOIN camera_maintainers cm ON cm.camera_id = c.id
        WHERE (CAST(:area AS text) IS NULL OR a.name = :area)
          AND (CAST(:maintainer AS integer) IS NULL OR cm.maintainer_id = :maintainer)
          AND (CAST(:camera AS integer) IS NULL OR c.id = :camera)
    ),
    marks AS (
        SELECT s.id AS camera_id, CAST(:start AS timestamptz) AS at, CAST(0 AS bigint) AS seq,
               coalesce(o.to_status, 'unknown') AS status
        FROM scope s
        LEFT JOIN LATERAL (
            SELECT sc.to_status FROM camera_status_changes sc
            WHERE sc.camera_id = s.id AND sc.at <= CAST(:start AS timestamptz)
            ORDER BY sc.at DESC, sc.id DESC LIMIT 1) o ON true
        UNION ALL
        SELECT sc.camera_id, sc.at, sc.id, sc.to_status
        FROM camera_status_changes sc JOIN scope s ON s.id = sc.camera_id
        WHERE sc.at > CAST(:start AS timestamptz) AND sc.at < CAST(:end AS timestamptz)
    ),
    spans AS (
        SELECT camera_id, status,
               extract(epoch FROM lead(at, 1, CAST(:end AS timestamptz)) OVER (
                   PARTITION BY camera_id ORDER BY at, seq) - at) AS seconds
        FROM marks
    ),
    per_camera AS (
        SELECT camera_id,
               coalesce(sum(seconds) FILTER (WHERE status = 'online'), 0) AS online_s,
               coalesce(sum(seconds) FILTER (WHERE status = 'degraded'), 0) AS degraded_s,
               coalesce(sum(seconds) FILTER (WHERE status = 'offline'), 0) AS offline_s,
               coalesce(sum(seconds) FILTER (WHERE status = 'maintenance'), 0)
                   AS maintenance_s,
               coalesce(sum(seconds) FILTER (WHERE status NOT IN
                   ('online', 'degraded', 'offline', 'maintenance')), 0) AS unknown_s
        FROM spans GROUP BY camera_id
    )
    SELECT s.id AS camera_id, s.name, s.maintainer_id, s.area,
           GROUPING(s.id, s.maintainer_id, s.area) AS level, count(*) AS cameras,
           sum(p.online_s) AS online_s, sum(p.degraded_s) AS degraded_s,
           sum(p.offline_s) AS offline_s, sum(p.maintenance_s) AS maintenance_s,
           sum(p.unknown_s) AS unknown_s
    FROM per_camera p JOIN scope s ON s.id = p.camera_id
    GROUP BY GROUPING SETS ((s.id, s.name, s.maintainer_id, s.area), (s.maintainer_id, s.area),
                            (s.maintainer_id), ())
"""
CAMERA_LEVEL, GROUP_LEVEL, MAINTAINER_LEVEL, TOTAL_LEVEL = 0, 4, 5, 7


def _uptime_params(start: datetime, end: datetime, area: str | None, maintainer_id: int | None,
                   camera_id: int | None) -> dict[str, Any]:
    return {"start": start, "end": end, "area": area, "maintainer": maintainer_id,
            "camera": camera_id}


def uptime_by_camera(session: Session, *, start: datetime, end: datetime,
                     area: str | None = None, maintainer_id: int | None = None,
                     camera_id: int | None = None) -> dict[int, dict[str, float]]:
    """Seconds each camera spent in each state over [start, end): camera id →
    {online_s, degraded_s, offline_s, maintenance_s, unknown_s}."""
    rows = session.execute(sa.text(_UPTIME), _uptime_params(
        start, end, area, maintainer_id, camera_id)).mappings()
    return {int(r["camera_id"]): {k: float(v) for k, v in r.items() if k.endswith("_s")}
            for r in rows if r["level"] == CAMERA_LEVEL}


def uptime_by_group(session: Session, *, start: datetime, end: datetime,
                    area: str | None = None, maintainer_id: int | None = None
                    ) -> list[dict[str, Any]]:
    """Seconds in each state over [start, end) of each camera (``level``
    CAMERA_LEVEL), summed over the cameras of each (maintainer, area) (GROUP_LEVEL), of
    each maintainer (MAINTAINER_LEVEL) and of all (TOTAL_LEVEL); a camera's maintainer and
    area are its current ones."""
    rows = session.execute(sa.text(_UPTIME), _uptime_params(
        start, end, area, maintainer_id, None)).mappings()
    return [dict(row) for row in rows]


def count_changes(session: Session, *, start: datetime, end: datetime, at_most: int) -> int:
    """State changes of all cameras in [start, end), counted up to ``at_most`` (the
    count stops there: cheap whatever the history holds)."""
    return int(session.execute(sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM camera_status_changes "
        "WHERE at >= :start AND at < :end LIMIT :cap) c"),
        {"start": start, "end": end, "cap": at_most}).scalar_one())
