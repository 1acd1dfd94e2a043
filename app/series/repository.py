"""Every SQL statement of crime series: incidents matching a filter (the builder), the
series and their members, and the temporary must-visit points a series makes.

Periods are compared in each incident's local time, as the analyses compare them
(``app/analysis/repository.py``). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import IncidentSeries, IncidentSeriesMember, MustVisitPoint, Tour

_LOCAL = "(i.occurred_at AT TIME ZONE coalesce(i.timezone, 'UTC'))"
INCIDENT_COLUMNS = ("id", "occurred_at", "local_time", "time_resolution", "timezone",
                    "category", "source", "source_id", "source_category", "description",
                    "address", "lon", "lat")
_SELECT = f"""
SELECT i.id, i.occurred_at, {_LOCAL} AS local_time, i.time_resolution, i.timezone,
       i.category, i.source, i.source_id, i.source_category, i.description, i.address,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat
FROM incidents i
"""  # noqa: S608 - the only interpolation is the constant expression _LOCAL
_MATCHING = _SELECT + f"""
WHERE (CAST(:since AS timestamp) IS NULL OR {_LOCAL} >= CAST(:since AS timestamp))
  AND (CAST(:until AS timestamp) IS NULL OR {_LOCAL} < CAST(:until AS timestamp))
  AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:area AS text) IS NULL OR EXISTS (
        SELECT 1 FROM areas a WHERE a.name = :area AND ST_Covers(a.geom, i.geom)))
  AND (CAST(:west AS float8) IS NULL OR i.geom && ST_MakeEnvelope(:west, :south, :east,
                                                                   :north, 4326))
  AND (CAST(:pattern AS text) IS NULL
       OR i.description ILIKE :pattern ESCAPE '\\' OR i.address ILIKE :pattern ESCAPE '\\'
       OR i.source_category ILIKE :pattern ESCAPE '\\'
       OR i.source_subcategory ILIKE :pattern ESCAPE '\\'
       OR i.source_id ILIKE :pattern ESCAPE '\\')
ORDER BY i.occurred_at DESC, i.id DESC
LIMIT :limit
"""  # noqa: S608 - constants only
_COUNT = "SELECT count(*) FROM (" + _MATCHING.replace(  # noqa: S608 - constants only
    "LIMIT :limit", "") + ") AS matched"
_BY_IDS = _SELECT + "WHERE i.id = ANY(CAST(:ids AS bigint[])) ORDER BY i.occurred_at, i.id"


def like_pattern(text: str) -> str:
    """``text`` as an ILIKE pattern matching it anywhere (its own % and _ literal)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filter(*, since: datetime | None, until: datetime | None, categories: Sequence[str],
            area: str | None, bbox: tuple[float, float, float, float] | None,
            text: str | None) -> dict[str, Any]:
    west, south, east, north = bbox if bbox is not None else (None, None, None, None)
    return {"since": since, "until": until, "categories": list(categories) or None,
            "area": area, "west": west, "south": south, "east": east, "north": north,
            "pattern": like_pattern(text) if text else None}


def matching_incidents(session: Session, *, since: datetime | None, until: datetime | None,
                       categories: Sequence[str], area: str | None,
                       bbox: tuple[float, float, float, float] | None, text: str | None,
                       limit: int) -> tuple[list[dict[str, Any]], int]:
    """Incidents matching the filter (naive local period bounds), newest first, at most
    ``limit``; and how many match in all."""
    params = _filter(since=since, until=until, categories=categories, area=area, bbox=bbox,
                     text=text)
    rows = session.execute(sa.text(_MATCHING), params | {"limit": limit}).all()
    total = int(session.execute(sa.text(_COUNT), params).scalar_one())
    return [dict(zip(INCIDENT_COLUMNS, row, strict=True)) for row in rows], total


def incidents_by_id(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The incidents of these ids that exist, oldest first."""
    rows = session.execute(sa.text(_BY_IDS), {"ids": [int(i) for i in ids]}).all()
    return [dict(zip(INCIDENT_COLUMNS, row, strict=True)) for row in rows]


# -- series -----------------------------------------------------------------------------

def series(session: Session, series_id: int, *, for_update: bool = False
           ) -> IncidentSeries | None:
    query = sa.select(IncidentSeries).where(IncidentSeries.id == series_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def member_ids(session: Session, series_id: int) -> list[int]:
    return list(session.execute(sa.select(IncidentSeriesMember.incident_id).where(
        IncidentSeriesMember.series_id == series_id).order_by(
        IncidentSeriesMember.incident_id)).scalars())


def set_members(session: Session, series_id: int, incident_ids: Sequence[int]) -> None:
    """Make the series hold exactly these incidents."""
    session.execute(sa.delete(IncidentSeriesMember).where(
        IncidentSeriesMember.series_id == series_id))
    session.add_all(IncidentSeriesMember(series_id=series_id, incident_id=int(i))
                    for i in sorted(set(incident_ids)))
    session.flush()


def series_rows(session: Session, *, limit: int = 200) -> list[sa.Row[Any]]:
    """Every series, newest change first: ``id, name, notes, created_at, updated_at,
    created_by (user name), incidents, first, last`` (first and last incident times)."""
    return list(session.execute(sa.text("""
        SELECT s.id, s.name, s.notes, s.created_at, s.updated_at, u.username,
               count(m.incident_id) AS incidents, min(i.occurred_at), max(i.occurred_at)
        FROM incident_series s LEFT JOIN users u ON u.id = s.created_by
        LEFT JOIN incident_series_members m ON m.series_id = s.id
        LEFT JOIN incidents i ON i.id = m.incident_id
        GROUP BY s.id, u.username ORDER BY s.updated_at DESC, s.id DESC LIMIT :limit"""),
        {"limit": limit}).all())


def creator_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(sa.text("SELECT username FROM users WHERE id = :id"),
                           {"id": user_id}).scalar_one_or_none()


def touch(session: Session, row: IncidentSeries) -> None:
    row.updated_at = session.execute(sa.select(sa.func.now())).scalar_one()


# -- temporary must-visit points ----------------------------------------------------------

def series_points(session: Session, series_id: int) -> dict[str, MustVisitPoint]:
    """The must-visit points this series made, by their ``source_ref`` (``ID:n``)."""
    rows = session.execute(sa.select(MustVisitPoint).where(
        MustVisitPoint.source == "series",
        MustVisitPoint.source_ref.like(f"{int(series_id)}:%"))).scalars()
    return {str(row.source_ref): row for row in rows}


_RECENT = """
SELECT i.id, i.occurred_at, i.category, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat
FROM incidents i
WHERE i.time_resolution IN ('day', 'minute')
  AND i.occurred_at > :since AND i.occurred_at <= :until
  AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:area AS text) IS NULL OR EXISTS (
        SELECT 1 FROM areas a WHERE a.name = :area AND ST_Covers(a.geom, i.geom)))
ORDER BY i.occurred_at, i.id
LIMIT :limit
"""  # noqa: S608 - constants only


def recent_incidents(session: Session, *, since: datetime, until: datetime,
                     categories: Sequence[str], area: str | None,
                     limit: int) -> list[dict[str, Any]]:
    """Incidents known to the day or minute that happened after ``since`` and up to
    ``until`` (instants), oldest first: ``id, occurred_at, category, lon, lat``."""
    rows = session.execute(sa.text(_RECENT), {
        "since": since, "until": until, "categories": list(categories) or None,
        "area": area, "limit": limit}).all()
    return [dict(zip(("id", "occurred_at", "category", "lon", "lat"), row, strict=True))
            for row in rows]


def points_from(session: Session, source: str, refs: Sequence[str]) -> dict[str, MustVisitPoint]:
    """Must-visit points of ``source`` with these ``source_ref`` values, by ref."""
    if not refs:
        return {}
    rows = session.execute(sa.select(MustVisitPoint).where(
        MustVisitPoint.source == source, MustVisitPoint.source_ref.in_(list(refs)))).scalars()
    return {str(row.source_ref): row for row in rows}


def series_tours(session: Session, series_id: int) -> list[Tour]:
    """The video patrol tours made from the series (not deleted), oldest first."""
    return list(session.scalars(
        sa.select(Tour).where(Tour.proposal["series_id"].astext == str(series_id),
                              Tour.deleted_at.is_(None))
        .order_by(Tour.id)))
