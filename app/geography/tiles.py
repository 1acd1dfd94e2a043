"""Mapbox vector tiles of the basemap, made by PostGIS (ST_AsMVT) from our own OSM data."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy.orm import Session

from app.geography.repository.tiles import tile_bytes

MAJOR = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link")
MEDIUM = MAJOR + ("secondary", "secondary_link", "tertiary", "tertiary_link")
MINOR = MEDIUM + ("unclassified", "residential", "living_street", "road")

def road_classes_at(z: int) -> list[str]:
    if z < 11:
        return list(MAJOR)
    if z < 13:
        return list(MEDIUM)
    return list(MINOR) + ["service"] if z >= 14 else list(MINOR)


def render_tile(session: Session, z: int, x: int, y: int) -> bytes:
    """One tile; degrees of simplification and the classes shown depend on the zoom."""
    degrees_per_pixel = 360.0 / (256 * 2 ** z)
    return tile_bytes(session, z, x, y, tolerance_deg=degrees_per_pixel / 2,
                      min_area_deg2=(degrees_per_pixel * 16) ** 2, classes=road_classes_at(z))


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
