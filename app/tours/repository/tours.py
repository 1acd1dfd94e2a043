"""Tours, their stops, the cameras they name, and the regions (areas, grid cells) tours
are made for. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Tour, TourStop

_CAMERA = """c.id, c.name, c.status, c.stream_url IS NOT NULL AS has_stream,
    ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.azimuth_deg, c.fov_deg,
    ST_AsGeoJSON(coalesce(c.coverage, c.sector), 6)::json AS coverage"""


def region(session: Session, name: str) -> dict[str, Any] | None:
    """The area called ``name``, else the patrol grid cell of that code: ``{kind, name,
    area}`` (``area``: the area holding a grid cell), or None."""
    row = session.execute(sa.text("""
        SELECT 'area' AS kind, a.name, a.name AS area FROM areas a WHERE a.name = :n
        UNION ALL
        SELECT 'grid', g.code, a.name FROM grid_cells g LEFT JOIN areas a ON a.id = g.area_id
        WHERE g.code = :n
        LIMIT 1"""), {"n": name}).mappings().first()
    return None if row is None else dict(row)


_REGION_GEOM = """(SELECT geom FROM areas WHERE :kind = 'area' AND name = :name
                   UNION ALL
                   SELECT geom FROM grid_cells WHERE :kind = 'grid' AND code = :name
                   LIMIT 1)"""


def cameras_in_region(session: Session, *, kind: str, name: str,
                      limit: int) -> list[dict[str, Any]]:
    """Cameras with a stream standing in the region, by id (at most ``limit``)."""
    rows = session.execute(sa.text(f"""
        SELECT {_CAMERA} FROM cameras c
        WHERE c.stream_url IS NOT NULL AND ST_Covers({_REGION_GEOM}, c.geom)
        ORDER BY c.id LIMIT :limit"""),  # noqa: S608 (constants only)
        {"kind": kind, "name": name, "limit": limit}).mappings()
    return [dict(r) for r in rows]


def cameras_by_id(session: Session, camera_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The cameras among ``camera_ids`` that exist, by id."""
    if not camera_ids:
        return {}
    rows = session.execute(sa.text(f"SELECT {_CAMERA} FROM cameras c "  # noqa: S608
                                   "WHERE c.id = ANY(:ids)"),
                           {"ids": list(camera_ids)}).mappings()
    return {int(r["id"]): dict(r) for r in rows}


def live_tour(session: Session, tour_id: int, *, lock: bool = False) -> Tour | None:
    """The tour, unless deleted (its row locked with ``lock``)."""
    query = sa.select(Tour).where(Tour.id == tour_id, Tour.deleted_at.is_(None))
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def add_tour(session: Session, **values: Any) -> Tour:
    tour = Tour(**values)
    session.add(tour)
    session.flush()
    return tour


def replace_stops(session: Session, tour_id: int, stops: Sequence[dict[str, Any]]) -> None:
    """The tour's stops become ``stops`` (``camera_id, camera_name, dwell_s, reason``)."""
    session.execute(sa.delete(TourStop).where(TourStop.tour_id == tour_id))
    session.flush()
    for position, stop in enumerate(stops):
        session.add(TourStop(tour_id=tour_id, position=position, **stop))
    session.flush()


def mark_deleted(session: Session, tour: Tour, at: datetime) -> None:
    tour.deleted_at = at
    session.flush()


def stops_of(session: Session, tour_id: int) -> list[dict[str, Any]]:
    """The tour's stops in order, each with its camera as it is now (None when deleted)."""
    rows = session.execute(sa.text(f"""
        SELECT s.position, s.camera_id, s.camera_name, s.dwell_s, s.reason,
               {_CAMERA}
        FROM tour_stops s LEFT JOIN cameras c ON c.id = s.camera_id
        WHERE s.tour_id = :t ORDER BY s.position"""), {"t": tour_id}).mappings()  # noqa: S608
    return [dict(r) for r in rows]


def tour_rows(session: Session, *, area: str | None = None) -> list[dict[str, Any]]:
    """Tours not deleted, newest first, with their stops counted (and those that will be
    skipped: camera deleted or without a stream)."""
    rows = session.execute(sa.text("""
        SELECT t.id, t.name, t.layout, t.area, t.schedule, t.source, t.created_at,
               t.updated_at, u.username AS created_by,
               count(s.id) AS cameras,
               count(s.id) FILTER (WHERE c.id IS NULL OR c.stream_url IS NULL) AS skipped
        FROM tours t
        LEFT JOIN users u ON u.id = t.created_by
        LEFT JOIN tour_stops s ON s.tour_id = t.id
        LEFT JOIN cameras c ON c.id = s.camera_id
        WHERE t.deleted_at IS NULL AND (CAST(:area AS text) IS NULL OR t.area = :area)
        GROUP BY t.id, u.username
        ORDER BY t.updated_at DESC, t.id DESC"""), {"area": area}).mappings()
    return [dict(r) for r in rows]


def creator_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(sa.text("SELECT username FROM users WHERE id = :u"),
                           {"u": user_id}).scalar()


def region_names(session: Session) -> dict[str, list[str]]:
    """Area names and patrol grid codes, for the pages' pickers."""
    areas = list(session.execute(sa.text("SELECT name FROM areas ORDER BY name")).scalars())
    grids = list(session.execute(sa.text(
        "SELECT code FROM grid_cells ORDER BY code LIMIT 5000")).scalars())
    return {"areas": areas, "grids": grids}
