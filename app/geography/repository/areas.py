"""Areas (counties, station districts, the placeholder extent) and the roads inside them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db.bulk import bump_version, raw_cursor
from app.db.geometry import to_ewkb, to_ewkb_hex_many


def areas_frame(session: Session, name: str | None = None) -> gpd.GeoDataFrame:
    """Areas (all, or the one called ``name``) with ``id``, ``name`` and their polygons
    (EPSG:4326); empty when there is none."""
    areas = gpd.read_postgis(
        sa.text("SELECT id, name, geom FROM areas "
                "WHERE CAST(:name AS text) IS NULL OR name = :name"),
        session.connection(), geom_col="geom", params={"name": name})
    return areas.rename_geometry("geometry")


def area_polygons(session: Session) -> gpd.GeoDataFrame | None:
    """Every area's ``name`` and polygon (column ``geom``), or None when there are none."""
    areas = gpd.read_postgis("SELECT name, geom FROM areas", session.connection(),
                             geom_col="geom")
    return None if areas.empty else areas


def area_names(session: Session) -> list[str]:
    """Every area's name, sorted."""
    return list(session.execute(sa.text("SELECT name FROM areas ORDER BY name")).scalars())


def area_exists(session: Session, name: str) -> bool:
    """Whether an area is called ``name``."""
    return session.execute(sa.text("SELECT 1 FROM areas WHERE name = :n"),
                           {"n": name}).first() is not None


def drivable_roads_within(session: Session, west: float, south: float, east: float,
                          north: float) -> gpd.GeoDataFrame:
    """Drivable road geometries (EPSG:4326) whose boxes meet the box in degrees."""
    return gpd.read_postgis(
        sa.text("SELECT geom FROM roads WHERE drivable AND "
                "geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"),
        session.connection(), geom_col="geom", crs=4326,  # also when none is found
        params={"w": west, "s": south, "e": east, "n": north})


def upsert_areas(session: Session, areas: gpd.GeoDataFrame, *, kind: str) -> tuple[int, int]:
    """Write ``areas`` (``name`` + multipolygons, EPSG:4326) by name, replacing the
    placeholder extent; returns (created, updated)."""
    created = updated = 0
    with raw_cursor(session) as cur:
        cur.execute("DELETE FROM areas WHERE kind = 'extent'")  # the placeholder extent
        for name, geom in zip(areas["name"], to_ewkb_hex_many(areas.geometry), strict=True):
            cur.execute("INSERT INTO areas (name, kind, geom) VALUES (%s, %s, %s) "
                        "ON CONFLICT (name) DO UPDATE SET geom = EXCLUDED.geom, "
                        "kind = EXCLUDED.kind RETURNING (xmax = 0)", (name, kind, geom))
            is_new = cur.fetchone()[0]  # type: ignore[index]
            created += int(is_new)
            updated += int(not is_new)
        bump_version(cur, "areas")
    return created, updated


def area_holds(session: Session, point: Any) -> bool:
    """Whether some area contains ``point`` (shapely, lon/lat)."""
    return session.execute(sa.text(
        "SELECT 1 FROM areas WHERE ST_Contains(geom, CAST(:p AS geometry)) LIMIT 1"),
        {"p": to_ewkb(point, hex=True)}).first() is not None


def add_extent_area(session: Session, name: str, hull: Any) -> str:
    """Add the placeholder area (kind ``extent``): ``hull`` (lon/lat) widened by 100 m,
    named ``name`` (with a short suffix if that name is taken); returns its name."""
    hull_hex = to_ewkb(hull, hex=True)
    with raw_cursor(session) as cur:
        cur.execute(
            "INSERT INTO areas (name, kind, geom) VALUES (%s || CASE WHEN EXISTS ("
            "SELECT 1 FROM areas WHERE name = %s) THEN ' (' || left(md5(%s), 6) || ')' "
            "ELSE '' END, 'extent', ST_Multi(ST_Buffer(CAST(%s AS geometry)"
            "::geography, 100)::geometry)) RETURNING name",
            (name, name, hull.wkb_hex, hull_hex))  # the suffix: md5 of the plain WKB
        row = cur.fetchone()
        bump_version(cur, "areas")
    return str(row[0])  # type: ignore[index]
