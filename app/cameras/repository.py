"""Camera reads: GeoJSON with each camera's coverage, and one camera as JSON."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.geography.repository import MAX_FEATURES, BBox

_COLUMNS = """c.id, c.name, c.kind, c.source, c.azimuth_deg, c.fov_deg, c.range_m, c.height_m,
    c.mount, c.status, c.gb_id, c.area_id, c.stream_url IS NOT NULL AS has_stream,
    c.updated_at, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
    ST_AsGeoJSON(c.coverage, 6)::json AS coverage"""


def cameras_geojson(session: Session, bbox: BBox | None, *, limit: int = MAX_FEATURES) -> str:
    """Cameras (point features) with their coverage polygon as a property."""
    where = "TRUE"
    params: dict[str, Any] = {"limit": limit, "limit_plus_one": limit + 1}
    if bbox is not None:
        where = ("(c.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) OR "
                 "c.coverage && ST_MakeEnvelope(:w, :s, :e, :n, 4326))")
        params.update(w=bbox.west, s=bbox.south, e=bbox.east, n=bbox.north)
    return str(session.execute(sa.text(f"""
        WITH rows AS (SELECT {_COLUMNS}, c.geom FROM cameras c WHERE {where}
                      ORDER BY c.id LIMIT :limit_plus_one)
        SELECT json_build_object(
            'type', 'FeatureCollection', 'truncated', count(*) > :limit,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 6)::json,
                'properties', to_jsonb(numbered) - 'geom' - 'rn' - 'lon' - 'lat'
            )) FILTER (WHERE rn <= :limit), '[]'::json))::text
        FROM (SELECT *, row_number() OVER () AS rn FROM rows) numbered
    """), params).scalar_one())  # noqa: S608 (where is one of two constants)


def camera_dict(session: Session, camera_id: int) -> dict[str, Any] | None:
    row = session.execute(sa.text(f"SELECT {_COLUMNS} FROM cameras c WHERE c.id = :id"),  # noqa: S608
                          {"id": camera_id}).mappings().first()
    if row is None:
        return None
    data = dict(row)
    data["updated_at"] = data["updated_at"].isoformat()
    return data
