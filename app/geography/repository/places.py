"""Reads that name places: the named roads and landmarks nearest a point (PostGIS KNN,
for the reverse geocoder in gis/places.py), and the area a console opens on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db.geometry import from_ewkb_many
from gis.places import Names, NearbyPoi, NearbyRoad

ROAD_CANDIDATES = 32
"""Named road pieces fetched per place: enough for every road within ~150 m of a city
junction (each way of a dual carriageway and each side street counts)."""
POI_CANDIDATES = 12

_NAMED = "(name IS NOT NULL OR name_zh IS NOT NULL OR name_en IS NOT NULL)"


def place_candidates(session: Session, lon: float, lat: float, *,
                     roads: int = ROAD_CANDIDATES, pois: int = POI_CANDIDATES
                     ) -> tuple[list[NearbyRoad], list[NearbyPoi]]:
    """The named roads and points of interest nearest ``(lon, lat)``, nearest first.

    Both use the GiST index's nearest-neighbour order (``<->``, planar degrees: the
    candidates; ``gis.places`` measures them in metres and drops the far ones)."""
    point = {"x": lon, "y": lat}
    road_rows = session.execute(sa.text(f"""
        SELECT name, name_zh, name_en, highway, ST_AsBinary(geom)
        FROM roads WHERE {_NAMED}
        ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326) LIMIT :n
    """), point | {"n": roads}).all()  # noqa: S608 (_NAMED is a constant)
    poi_rows = session.execute(sa.text(f"""
        SELECT name, name_zh, name_en, kind, ST_X(geom), ST_Y(geom)
        FROM pois WHERE {_NAMED}
        ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326) LIMIT :n
    """), point | {"n": pois}).all()  # noqa: S608
    lines = from_ewkb_many([row[4] for row in road_rows]) if road_rows else []
    return ([NearbyRoad(Names(r[0], r[1], r[2]), line, r[3])
             for r, line in zip(road_rows, lines, strict=True)],
            [NearbyPoi(Names(r[0], r[1], r[2]), r[3], float(r[4]), float(r[5]))
             for r in poi_rows])


def home_area(session: Session, *, named: str | None = None) -> dict[str, Any] | None:
    """The area a console opens on: the one ``named`` when it exists, else the area with
    the most patrol grid cells, then the most alerts, then the largest; with its extent."""
    row = session.execute(sa.text("""
        SELECT a.id, a.name, ST_XMin(a.geom), ST_YMin(a.geom), ST_XMax(a.geom),
               ST_YMax(a.geom)
        FROM areas a
        ORDER BY (a.name = :named) IS TRUE DESC,
                 (SELECT count(*) FROM grid_cells c WHERE c.area_id = a.id) DESC,
                 (SELECT count(*) FROM alerts x WHERE x.area_id = a.id) DESC,
                 ST_Area(a.geom) DESC, a.id
        LIMIT 1
    """), {"named": named}).first()
    if row is None:
        return None
    return {"id": int(row[0]), "name": row[1], "bounds": (row[2], row[3], row[4], row[5])}
