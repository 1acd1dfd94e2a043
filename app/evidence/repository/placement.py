"""What camera placement reads from PostGIS for one region: its polygon, roads,
incidents and the coverage of the cameras there. Nothing here writes."""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.db.bulk import raw_cursor
from app.db.geometry import from_ewkb_many, to_ewkb


def area_polygon(session: Session, name: str) -> BaseGeometry | None:
    with raw_cursor(session) as cur:
        cur.execute("SELECT ST_AsBinary(geom) FROM areas WHERE name = %s", (name,))
        row = cur.fetchone()
    return None if row is None else from_ewkb_many([row[0]])[0]


def roads_within(session: Session, region: BaseGeometry) -> gpd.GeoDataFrame:
    """Roads cut to the region: ``highway`` and the part inside."""
    with raw_cursor(session) as cur:
        cur.execute(
            "SELECT r.highway, ST_AsBinary(ST_CollectionExtract(ST_Intersection(r.geom, "
            "%(region)s::geometry), 2)) FROM roads r "
            "WHERE ST_Intersects(r.geom, %(region)s::geometry)",
            {"region": to_ewkb(region, hex=True)})
        rows = [r for r in cur.fetchall() if r[1] is not None]
    frame = gpd.GeoDataFrame({"highway": [r[0] for r in rows]},
                             geometry=gpd.GeoSeries(from_ewkb_many(r[1] for r in rows),
                                                    crs="EPSG:4326"), crs="EPSG:4326")
    return frame[~frame.is_empty].explode(ignore_index=True)


def incidents_within(session: Session, region: BaseGeometry,
                     since: datetime) -> gpd.GeoDataFrame:
    with raw_cursor(session) as cur:
        cur.execute("SELECT occurred_at, ST_AsBinary(geom) FROM incidents WHERE "
                    "ST_Intersects(geom, %(region)s::geometry) AND occurred_at >= %(since)s",
                    {"region": to_ewkb(region, hex=True), "since": since})
        rows = cur.fetchall()
    return gpd.GeoDataFrame({"occurred_at": [r[0] for r in rows]},
                            geometry=gpd.GeoSeries(from_ewkb_many(r[1] for r in rows),
                                                   crs="EPSG:4326"), crs="EPSG:4326")


def coverage_within(session: Session, region: BaseGeometry) -> gpd.GeoSeries:
    """Coverage polygons of the cameras whose coverage meets the region."""
    with raw_cursor(session) as cur:
        cur.execute("SELECT ST_AsBinary(coverage) FROM cameras WHERE coverage IS NOT NULL "
                    "AND ST_Intersects(coverage, %(region)s::geometry)",
                    {"region": to_ewkb(region, hex=True)})
        rows = cur.fetchall()
    return gpd.GeoSeries(from_ewkb_many(r[0] for r in rows), crs="EPSG:4326")


def problem_size(session: Session, region: BaseGeometry, *,
                 incidents_since: datetime | None) -> tuple[int, int, int]:
    """What a placement over ``region`` would hold, counted without building it: the
    junctions (road-graph nodes where three or more edges inside meet), the 25 m road
    pieces, and the incidents since ``incidents_since`` (0 when None)."""
    with raw_cursor(session) as cur:
        cur.execute(
            "WITH inside AS (SELECT u, v FROM road_edges WHERE geom && %(region)s::geometry "
            "AND ST_Intersects(geom, %(region)s::geometry)), "
            "ends AS (SELECT u AS node FROM inside UNION ALL SELECT v FROM inside) "
            "SELECT (SELECT count(*) FROM (SELECT node FROM ends GROUP BY node "
            "HAVING count(*) >= 3) AS j), "
            "(SELECT coalesce(sum(ceil(ST_Length(r.geom::geography) / 25.0)), 0) "
            " FROM roads r WHERE r.geom && %(region)s::geometry "
            " AND ST_Intersects(r.geom, %(region)s::geometry)), "
            "(SELECT count(*) FROM incidents i WHERE CAST(%(since)s AS timestamptz) IS NOT NULL "
            " AND i.occurred_at >= %(since)s AND i.geom && %(region)s::geometry "
            " AND ST_Intersects(i.geom, %(region)s::geometry))",
            {"region": to_ewkb(region, hex=True), "since": incidents_since})
        junctions, pieces, incidents = cur.fetchone()
    return int(junctions), int(pieces), int(incidents)
