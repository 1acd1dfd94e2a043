"""The network's coverage in PostGIS: dirty cells claimed, what a batch of cells needs
(zones, cameras, roads), the zones stored, and the figures read back per cell or area
with the period's incidents. Nothing here commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from app.db.bulk import raw_cursor
from app.db.geometry import from_ewkb_many, to_ewkb


def claim_dirty(session: Session, *, roads_version: int, limit: int | None) -> list[int]:
    """Take the cells to recompute (locked until commit; a concurrent refresh skips them).
    A roads version other than the one last used marks every cell first."""
    with raw_cursor(session) as cur:
        cur.execute("SELECT roads_version FROM coverage_state WHERE id = 1 FOR UPDATE")
        row = cur.fetchone()
        if row is None or row[0] != roads_version:
            cur.execute("INSERT INTO coverage_dirty SELECT id FROM grid_cells "
                        "ON CONFLICT DO NOTHING")
            cur.execute("INSERT INTO coverage_state (id, roads_version) VALUES (1, %s) "
                        "ON CONFLICT (id) DO UPDATE SET roads_version = excluded.roads_version",
                        (roads_version,))
        cur.execute("DELETE FROM coverage_dirty WHERE cell_id IN (SELECT cell_id FROM "
                    "coverage_dirty ORDER BY cell_id FOR UPDATE SKIP LOCKED LIMIT %s) "
                    "RETURNING cell_id", (limit,))
        return sorted(int(r[0]) for r in cur.fetchall())


def pending_cells(session: Session) -> int:
    with raw_cursor(session) as cur:
        cur.execute("SELECT count(*) FROM coverage_dirty")
        return int(cur.fetchone()[0])  # type: ignore[index]


def zones_of_cells(session: Session, cell_ids: Sequence[int]) -> gpd.GeoSeries:
    """Each cell's part inside each area it meets (polygons), indexed by (cell, area)."""
    with raw_cursor(session) as cur:
        cur.execute(
            "SELECT g.id, a.id, ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_MakeValid("
            "ST_Intersection(g.geom, a.geom)), 3))) FROM grid_cells g JOIN areas a "
            "ON ST_Intersects(g.geom, a.geom) WHERE g.id = ANY(%(ids)s::int[]) "
            "ORDER BY g.id, a.id", {"ids": list(cell_ids)})
        rows = [r for r in cur.fetchall() if r[2] is not None]
    index = pd.MultiIndex.from_tuples([(int(r[0]), int(r[1])) for r in rows],
                                      names=["cell_id", "area_id"])
    zones = gpd.GeoSeries(from_ewkb_many(r[2] for r in rows), index=index, crs="EPSG:4326")
    return zones[~zones.is_empty]


def cameras_in_cells(session: Session, cell_ids: Sequence[int]) -> gpd.GeoDataFrame:
    """Cameras whose coverage or position meets the cells: ``coverage`` and ``geom``."""
    with raw_cursor(session) as cur:
        cur.execute(
            "SELECT DISTINCT ON (c.id) c.id, ST_AsBinary(c.coverage), ST_AsBinary(c.geom) "
            "FROM grid_cells g JOIN cameras c ON ST_Intersects(c.coverage, g.geom) "
            "OR ST_Intersects(c.geom, g.geom) WHERE g.id = ANY(%(ids)s::int[]) ORDER BY c.id",
            {"ids": list(cell_ids)})
        rows = cur.fetchall()
    return gpd.GeoDataFrame(
        {"id": [int(r[0]) for r in rows],
         "coverage": gpd.GeoSeries(from_ewkb_many(r[1] for r in rows), crs="EPSG:4326")},
        geometry=gpd.GeoSeries(from_ewkb_many(r[2] for r in rows), crs="EPSG:4326"),
        crs="EPSG:4326")


def roads_in_cells(session: Session, cell_ids: Sequence[int]) -> gpd.GeoDataFrame:
    """Every road (drivable or walkable) meeting the cells: ``highway`` and its line."""
    with raw_cursor(session) as cur:
        cur.execute(
            "SELECT DISTINCT ON (r.id) r.highway, ST_AsBinary(r.geom) FROM grid_cells g "
            "JOIN roads r ON ST_Intersects(r.geom, g.geom) "
            "WHERE g.id = ANY(%(ids)s::int[]) ORDER BY r.id",
            {"ids": list(cell_ids)})
        rows = cur.fetchall()
    return gpd.GeoDataFrame({"highway": [r[0] for r in rows]},
                            geometry=gpd.GeoSeries(from_ewkb_many(r[1] for r in rows),
                                                   crs="EPSG:4326"), crs="EPSG:4326")


def store_zones(session: Session, cell_ids: Sequence[int], table: pd.DataFrame,
                zones: gpd.GeoSeries, seen: gpd.GeoSeries) -> None:
    """Replace the zones of these cells (``table`` indexed like ``zones``)."""
    rows = [(cell, area, float(r.area_m2), float(r.seen_m2), int(r.cameras),
             json.dumps(r.road_m), json.dumps(r.seen_road_m), to_ewkb(zone, hex=True),
             None if shown is None or shown.is_empty else to_ewkb(shown, hex=True))
            for (cell, area), r, zone, shown in zip(table.index, table.itertuples(),
                                                    zones, seen, strict=True)]
    with raw_cursor(session) as cur:
        cur.execute("DELETE FROM coverage_zones WHERE cell_id = ANY(%s::int[])",
                    (list(cell_ids),))
        cur.executemany(
            "INSERT INTO coverage_zones (cell_id, area_id, area_m2, seen_m2, cameras, road_m, "
            "seen_road_m, geom, seen) VALUES (%s, %s, %s, %s, %s, %s, %s, "
            "ST_Multi(%s::geometry), ST_Multi(ST_CollectionExtract(%s::geometry, 3)))", rows)


_ZONES = """
WITH z AS (
  SELECT z.*, g.code, g.name AS cell_name, a.name AS area_name
  FROM coverage_zones z JOIN grid_cells g ON g.id = z.cell_id JOIN areas a ON a.id = z.area_id
  WHERE (%(area)s::text IS NULL OR a.name = %(area)s)
), seen_incidents AS (
  SELECT z.cell_id, z.area_id, count(i.id) AS incidents,
         count(i.id) FILTER (WHERE z.seen IS NOT NULL AND ST_Intersects(z.seen, i.geom))
           AS incidents_seen
  FROM z JOIN incidents i ON ST_Intersects(z.geom, i.geom)
  WHERE (%(since)s::timestamptz IS NULL OR i.occurred_at >= %(since)s)
    AND (%(until)s::timestamptz IS NULL OR i.occurred_at < %(until)s)
    AND (%(categories)s::text[] IS NULL OR i.category = ANY(%(categories)s))
  GROUP BY z.cell_id, z.area_id
)
SELECT z.cell_id, z.code, z.cell_name, z.area_id, z.area_name, z.area_m2, z.seen_m2,
       z.cameras, z.road_m, z.seen_road_m, z.computed_at,
       coalesce(s.incidents, 0), coalesce(s.incidents_seen, 0),
       CASE WHEN %(geometry)s THEN ST_AsBinary(z.geom) END
FROM z LEFT JOIN seen_incidents s USING (cell_id, area_id)
ORDER BY z.code, z.area_id
"""
ZONE_COLUMNS = ("cell_id", "code", "cell_name", "area_id", "area_name", "area_m2", "seen_m2",
                "cameras", "road_m", "seen_road_m", "computed_at", "incidents",
                "incidents_seen", "geom")


def zone_figures(session: Session, *, area: str | None, since: datetime | None,
                 until: datetime | None, categories: list[str] | None,
                 geometry: bool) -> pd.DataFrame:
    """Every zone's stored figures with the period's incidents inside it and inside some
    camera's view."""
    with raw_cursor(session) as cur:
        cur.execute(_ZONES, {"area": area, "since": since, "until": until,
                             "categories": categories, "geometry": geometry})
        rows = cur.fetchall()
    frame = pd.DataFrame(rows, columns=list(ZONE_COLUMNS))
    if geometry:
        frame["geom"] = from_ewkb_many(frame["geom"])
    return frame


def blind_edges(session: Session, *, area: str | None, limit: int) -> list[Any]:
    """Drivable road segments whose coverage no camera meets (``camera_roads``), longest
    first: id, name, highway, length, line."""
    with raw_cursor(session) as cur:
        cur.execute(
            "SELECT e.id, e.name, e.highway, e.length_m, ST_AsBinary(e.geom) FROM road_edges e "
            "WHERE NOT EXISTS (SELECT 1 FROM camera_roads cr WHERE cr.edge_id = e.id) "
            "AND (%(area)s::text IS NULL OR EXISTS (SELECT 1 FROM areas a WHERE "
            "a.name = %(area)s AND ST_Intersects(a.geom, e.geom))) "
            "ORDER BY e.length_m DESC, e.id LIMIT %(limit)s", {"area": area, "limit": limit})
        return list(cur.fetchall())


def blind_hotspots(session: Session) -> list[Any]:
    """Active patrol hot spots and the share of each that some camera sees."""
    with raw_cursor(session) as cur:
        cur.execute(
            "SELECT h.id, h.code, h.name, h.incidents, h.z, h.gi_bin, ST_AsBinary(h.geom), "
            "coalesce((SELECT ST_Area(ST_Intersection(h.geom, ST_Union(c.coverage))::geography)"
            " FROM cameras c WHERE ST_Intersects(c.coverage, h.geom)), 0) "
            "/ nullif(ST_Area(h.geom::geography), 0) FROM patrol_hotspots h "
            "WHERE h.active ORDER BY h.code")
        return list(cur.fetchall())


def area_named(session: Session, name: str) -> bool:
    with raw_cursor(session) as cur:
        cur.execute("SELECT 1 FROM areas WHERE name = %s", (name,))
        return cur.fetchone() is not None
