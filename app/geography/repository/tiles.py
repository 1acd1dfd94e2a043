"""Mapbox vector tiles of the basemap, made by PostGIS (ST_AsMVT) from our own OSM data."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

TILE_SQL = sa.text("""
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.02), 4326) AS env4326
), land AS (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(l.geom, :tolerance), 3857), b.env, 4096, 32)
               AS geom, l.kind
    FROM landcover l, bounds b
    WHERE l.geom && b.env4326
      AND (:z >= 13 OR ST_Area(l.geom) > :min_area)
), bld AS (
    SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), b.env, 4096, 32) AS geom, g.building
    FROM buildings g, bounds b
    WHERE :z >= 14 AND g.geom && b.env4326
), rd AS (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(r.geom, :tolerance), 3857), b.env, 4096, 32)
               AS geom, r.highway, r.name, r.oneway
    FROM roads r, bounds b
    WHERE r.geom && b.env4326
      AND (:z >= 15 OR r.highway = ANY(:classes))
)
SELECT coalesce((SELECT ST_AsMVT(land, 'landcover', 4096, 'geom') FROM land
                 WHERE geom IS NOT NULL), '')
    || coalesce((SELECT ST_AsMVT(bld, 'buildings', 4096, 'geom') FROM bld
                 WHERE geom IS NOT NULL), '')
    || coalesce((SELECT ST_AsMVT(rd, 'roads', 4096, 'geom') FROM rd
                 WHERE geom IS NOT NULL), '')
""")


def tile_bytes(session: Session, z: int, x: int, y: int, *, tolerance_deg: float,
               min_area_deg2: float, classes: Sequence[str]) -> bytes:
    """Tile z/x/y (web mercator): land cover larger than ``min_area_deg2`` below zoom 13,
    buildings from zoom 14, roads of ``classes`` below zoom 15, all simplified by
    ``tolerance_deg``."""
    tile = session.execute(TILE_SQL, {
        "z": z, "x": x, "y": y, "tolerance": tolerance_deg, "min_area": min_area_deg2,
        "classes": list(classes)}).scalar_one()
    return bytes(tile)
