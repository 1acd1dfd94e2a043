"""Geographic reads: GeoJSON FeatureCollections built inside PostGIS, name search, areas
by name or place, and the map's extent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import InvalidValue

if TYPE_CHECKING:
    from app.geography.params import BBox

MAX_FEATURES = 5000


def feature_collection(session: Session, table: str, properties: list[str], *,
                       bbox: BBox | None = None, where: str = "TRUE",
                       params: dict[str, Any] | None = None,
                       limit: int = MAX_FEATURES) -> str:
    """A GeoJSON FeatureCollection (text) of ``table``'s rows inside ``bbox``."""
    params = dict(params or {})
    conditions = [where]
    if bbox is not None:
        conditions.append("geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(w=bbox.west, s=bbox.south, e=bbox.east, n=bbox.north)
    props = ", ".join(f"'{p}', {p}" for p in properties)
    query = sa.text(f"""
        WITH rows AS (
            SELECT id, geom, {', '.join(properties)} FROM {table}
            WHERE {' AND '.join(conditions)} ORDER BY id LIMIT :limit_plus_one
        )
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'truncated', count(*) > :limit,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', id,
                'geometry', ST_AsGeoJSON(geom, 6)::json,
                'properties', json_build_object('id', id, {props}))
            ) FILTER (WHERE rn <= :limit), '[]'::json))::text
        FROM (SELECT *, row_number() OVER () AS rn FROM rows) numbered
    """)  # noqa: S608 (table and columns are constants of this module's callers)
    params.update(limit=limit, limit_plus_one=limit + 1)
    return str(session.execute(query, params).scalar_one())


def search_places(session: Session, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Roads and POIs whose name (any language) contains ``text``, best matches first."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.execute(sa.text("""
        WITH hits AS (
            SELECT 'road' AS kind, highway AS detail, name, name_zh, name_en,
                   ST_LineInterpolatePoint(geom, 0.5) AS point,
                   ST_Envelope(geom) AS extent,
                   similarity(coalesce(name, '') || ' ' || coalesce(name_zh, '') || ' ' ||
                              coalesce(name_en, ''), :q) AS score
            FROM roads
            WHERE (coalesce(name, '') || ' ' || coalesce(name_zh, '') || ' ' ||
                   coalesce(name_en, '')) ILIKE :pattern
            UNION ALL
            SELECT 'poi', kind, name, name_zh, name_en, geom, geom,
                   similarity(coalesce(name, '') || ' ' || coalesce(name_zh, '') || ' ' ||
                              coalesce(name_en, ''), :q)
            FROM pois
            WHERE (coalesce(name, '') || ' ' || coalesce(name_zh, '') || ' ' ||
                   coalesce(name_en, '')) ILIKE :pattern
        ), ranked AS (
            SELECT DISTINCT ON (kind, name, detail) * FROM hits
            ORDER BY kind, name, detail, score DESC
        )
        SELECT kind, detail, name, name_zh, name_en, ST_X(point) AS lon, ST_Y(point) AS lat,
               ST_XMin(extent), ST_YMin(extent), ST_XMax(extent), ST_YMax(extent)
        FROM ranked ORDER BY score DESC, name LIMIT :limit
    """), {"q": text, "pattern": pattern, "limit": limit}).all()
    return [{"kind": r[0], "detail": r[1], "name": r[2], "name_zh": r[3], "name_en": r[4],
             "lon": r[5], "lat": r[6], "bbox": [r[7], r[8], r[9], r[10]]} for r in rows]


def area_id_named(session: Session, name: str, *, field: str) -> int:
    """The id of the area called ``name`` (422 naming ``field`` when there is none)."""
    found = session.execute(sa.text("SELECT id FROM areas WHERE name = :name"),
                            {"name": name}).scalar()
    if found is None:
        raise InvalidValue(f"No area named {name!r}.", field=field, code="unknown_area")
    return int(found)


def area_id_at(session: Session, lon: float, lat: float) -> int | None:
    """The smallest area holding the point, if any."""
    found = session.execute(sa.text(
        "SELECT id FROM areas WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
        "ORDER BY ST_Area(geom) LIMIT 1"), {"x": lon, "y": lat}).scalar()
    return None if found is None else int(found)


def area_ids_at(session: Session, points: Sequence[tuple[float, float]]) -> list[int | None]:
    """The smallest area holding each (lon, lat) point, in order (None outside every one)."""
    if not points:
        return []
    rows = session.execute(sa.text("""
        SELECT p.n, (SELECT a.id FROM areas a
                     WHERE ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
                     ORDER BY ST_Area(a.geom) LIMIT 1)
        FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY
             AS p(x, y, n)"""), {"xs": [p[0] for p in points], "ys": [p[1] for p in points]})
    found = {int(n): (None if area is None else int(area)) for n, area in rows}
    return [found.get(i + 1) for i in range(len(points))]


def map_bounds(session: Session) -> tuple[float, float, float, float] | None:
    """West, south, east, north of the areas, else of the roads; None with no data."""
    row = session.execute(sa.text("""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
            SELECT coalesce((SELECT ST_Extent(geom) FROM areas),
                            (SELECT ST_Extent(geom) FROM roads)) AS e) x
        WHERE e IS NOT NULL""")).first()
    return None if row is None else (row[0], row[1], row[2], row[3])
