"""The basemap's text at street zoom: named road pieces and named points of interest in a
box, most important first, for the console's label layer to place."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.geography.params import BBox

MAX_ROAD_LABELS = 400
MAX_POI_LABELS = 300
MIN_PIECE_M = 30.0
"""A road piece shorter than this inside the box gets no label (no room for one)."""
SIMPLIFY_DEG = 0.00001
"""About a metre: under a pixel at zoom 17, enough to place text along the line."""

_ROAD_RANK = """CASE highway WHEN 'motorway' THEN 0 WHEN 'trunk' THEN 1 WHEN 'primary' THEN 2
    WHEN 'secondary' THEN 3 WHEN 'tertiary' THEN 4 WHEN 'residential' THEN 5
    WHEN 'unclassified' THEN 5 WHEN 'living_street' THEN 6 WHEN 'pedestrian' THEN 6
    WHEN 'service' THEN 8 ELSE 7 END"""
_POI_RANK = """CASE kind WHEN 'rail_station' THEN 0 WHEN 'bus_station' THEN 1
    WHEN 'hospital' THEN 1 WHEN 'government' THEN 2 WHEN 'school' THEN 2
    WHEN 'kindergarten' THEN 3 WHEN 'mall' THEN 3 WHEN 'market' THEN 3 WHEN 'bank' THEN 4
    ELSE 5 END"""


def labels_in(session: Session, bbox: BBox) -> dict[str, Any]:
    """Named road pieces (clipped to ``bbox``, one per connected run of a name, simplified)
    and named points of interest inside ``bbox``; each list in order of importance."""
    box = {"w": bbox.west, "s": bbox.south, "e": bbox.east, "n": bbox.north}
    road_params = box | {"tolerance": SIMPLIFY_DEG, "min_m": MIN_PIECE_M,
                         "limit": MAX_ROAD_LABELS + 1}
    roads = session.execute(sa.text(f"""
        WITH box AS (SELECT ST_MakeEnvelope(:w, :s, :e, :n, 4326) AS g),
        clipped AS (
            SELECT coalesce(name, name_en, name_zh) AS label_key, name, name_zh, name_en,
                   highway, {_ROAD_RANK} AS rank,
                   ST_CollectionExtract(ST_Intersection(r.geom, box.g), 2) AS geom
            FROM roads r, box
            WHERE r.geom && box.g AND coalesce(name, name_en, name_zh) IS NOT NULL
        ),
        merged AS (
            SELECT label_key, min(name) AS name, min(name_zh) AS name_zh,
                   min(name_en) AS name_en, min(rank) AS rank,
                   (array_agg(highway ORDER BY rank))[1] AS highway,
                   (ST_Dump(ST_LineMerge(ST_Collect(geom)))).geom AS piece
            FROM clipped WHERE NOT ST_IsEmpty(geom) GROUP BY label_key
        ),
        measured AS (
            SELECT *, ST_Length(piece::geography) AS length_m FROM merged
            WHERE GeometryType(piece) = 'LINESTRING'
        )
        SELECT name, name_zh, name_en, highway, round(length_m::numeric, 1),
               ST_AsGeoJSON(ST_Simplify(piece, :tolerance), 6)
        FROM measured WHERE length_m >= :min_m
        ORDER BY rank, length_m DESC, label_key LIMIT :limit
    """), road_params).all()  # noqa: S608 (the ranks are constants)
    pois = session.execute(sa.text(f"""
        SELECT name, name_zh, name_en, kind, ST_X(geom), ST_Y(geom) FROM pois
        WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)
          AND coalesce(name, name_en, name_zh) IS NOT NULL
        ORDER BY {_POI_RANK}, coalesce(name, name_en, name_zh), id LIMIT :limit
    """), box | {"limit": MAX_POI_LABELS + 1}).all()  # noqa: S608
    return {
        "truncated": len(roads) > MAX_ROAD_LABELS or len(pois) > MAX_POI_LABELS,
        "roads": [{"name": r[0], "name_zh": r[1], "name_en": r[2], "highway": r[3],
                   "length_m": float(r[4]), "path": json.loads(r[5])["coordinates"]}
                  for r in roads[:MAX_ROAD_LABELS]],
        "pois": [{"name": p[0], "name_zh": p[1], "name_en": p[2], "kind": p[3],
                  "lon": round(float(p[4]), 6), "lat": round(float(p[5]), 6)}
                 for p in pois[:MAX_POI_LABELS]],
    }
