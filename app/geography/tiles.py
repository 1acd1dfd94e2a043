"""Mapbox vector tiles of the basemap, made by PostGIS (ST_AsMVT) from our own OSM data."""

from __future__ import annotations

import threading
from collections import OrderedDict

import sqlalchemy as sa
from sqlalchemy.orm import Session

MAJOR = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link")
MEDIUM = MAJOR + ("secondary", "secondary_link", "tertiary", "tertiary_link")
MINOR = MEDIUM + ("unclassified", "residential", "living_street", "road")

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


def road_classes_at(z: int) -> list[str]:
    if z < 11:
        return list(MAJOR)
    if z < 13:
        return list(MEDIUM)
    return list(MINOR) + ["service"] if z >= 14 else list(MINOR)


def render_tile(session: Session, z: int, x: int, y: int) -> bytes:
    """One tile; degrees of simplification and the classes shown depend on the zoom."""
    degrees_per_pixel = 360.0 / (256 * 2 ** z)
    tile = session.execute(TILE_SQL, {
        "z": z, "x": x, "y": y, "tolerance": degrees_per_pixel / 2,
        "min_area": (degrees_per_pixel * 16) ** 2, "classes": road_classes_at(z),
    }).scalar_one()
    return bytes(tile)


class TileCache:
    """A small per-process LRU of rendered tiles, keyed by the data version."""

    def __init__(self, max_tiles: int = 4000) -> None:
        self._tiles: OrderedDict[tuple[int, int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_tiles

    def get(self, key: tuple[int, int, int, int]) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: tuple[int, int, int, int], tile: bytes) -> None:
        with self._lock:
            self._tiles[key] = tile
            while len(self._tiles) > self._max:
                self._tiles.popitem(last=False)
