"""Areas (counties, station districts, the placeholder extent) and the roads inside them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import sqlalchemy as sa
from psycopg import sql
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


AREA_REFERENCES = (("grid_cells", "area_id", "inner point"), ("cameras", "area_id", "point"),
                   ("alerts", "area_id", "point"), ("incidents", "area_id", "point"),
                   ("stations", "area_id", "point"), ("checkpoints", "area_id", "point"),
                   ("units", "home_area_id", None))
"""Every column that names an area: the table, the column, and what places a row in an
area (its point; a polygon's inner point), None when the row has no place of its own."""
DERIVED_AREA_REFERENCES = (("coverage_zones", "area_id"),)
"""Columns naming an area in tables derived from others and rebuilt when areas change
(the network coverage's cell × area pieces: the triggers of migration 0015 mark the cells
of a changed area, and the coverage job recomputes them): a boundary import leaves them to
that, and deleting an extent cascades to them."""

_PLACE = {"point": sql.SQL("t.geom"), "inner point": sql.SQL("ST_PointOnSurface(t.geom)")}
_COVERING = sql.SQL(
    "(SELECT a.id FROM areas a WHERE a.id = ANY(%(new)s) AND ST_Covers(a.geom, {place}) "
    "ORDER BY ST_Area(a.geom), a.id LIMIT 1)")
_OVERLAPPING = sql.SQL(
    "(SELECT a.id FROM areas a, areas old WHERE old.id = t.{column} AND a.id = ANY(%(new)s) "
    "AND ST_Intersects(a.geom, old.geom) "
    "ORDER BY ST_Area(ST_Intersection(a.geom, old.geom)) DESC, a.id LIMIT 1)")
_REATTACH = sql.SQL("UPDATE {table} AS t SET {column} = {target} "
                    "WHERE (t.{column} = ANY(%(old)s) OR {unplaced}) AND {target} IS NOT NULL")


def upsert_areas(session: Session, areas: gpd.GeoDataFrame, *,
                 kind: str) -> tuple[int, int, dict[str, int], dict[str, dict[str, int]]]:
    """Write ``areas`` (``name`` + multipolygons, EPSG:4326) by name, retiring the
    placeholder extents: what referred to an extent, or to no area, moves to the smallest
    new area that covers it (a grid cell by its inner point; a unit's home area to the new
    area that overlaps the extent most), and an extent is deleted once nothing refers to
    it. Returns (created, updated, rows moved per table, rows still on each kept extent per
    table)."""
    created = updated = 0
    new_ids: list[int] = []
    with raw_cursor(session) as cur:
        for name, geom in zip(areas["name"], to_ewkb_hex_many(areas.geometry), strict=True):
            cur.execute("INSERT INTO areas (name, kind, geom) VALUES (%s, %s, %s) "
                        "ON CONFLICT (name) DO UPDATE SET geom = EXCLUDED.geom, "
                        "kind = EXCLUDED.kind RETURNING (xmax = 0), id", (name, kind, geom))
            is_new, area_id = cur.fetchone()  # type: ignore[misc]
            created += int(is_new)
            updated += int(not is_new)
            new_ids.append(int(area_id))
        cur.execute("SELECT id, name FROM areas WHERE kind = 'extent'")
        extents = {int(i): str(n) for i, n in cur.fetchall()}
        moved = _reattach(cur, list(extents), new_ids)
        kept = _still_referenced(cur, extents)
        cur.execute("DELETE FROM areas WHERE id = ANY(%s)",
                    ([i for i, n in extents.items() if n not in kept],))
        bump_version(cur, "areas")
        if moved.get("grid_cells"):
            bump_version(cur, "grids")
    return created, updated, moved, kept


def _reattach(cur: Any, extents: list[int], new_ids: list[int]) -> dict[str, int]:
    moved: dict[str, int] = {}
    for table, column, place in AREA_REFERENCES:
        column_id = sql.Identifier(column)
        target = (_OVERLAPPING.format(column=column_id) if place is None
                  else _COVERING.format(place=_PLACE[place]))
        unplaced = sql.SQL("false") if place is None else sql.SQL("t.{} IS NULL").format(
            column_id)
        cur.execute(_REATTACH.format(table=sql.Identifier(table), column=column_id,
                                     target=target, unplaced=unplaced),
                    {"new": new_ids, "old": extents})
        if cur.rowcount:
            moved[table] = int(cur.rowcount)
    return moved


def _still_referenced(cur: Any, extents: dict[int, str]) -> dict[str, dict[str, int]]:
    kept: dict[str, dict[str, int]] = {}
    for table, column, _ in AREA_REFERENCES:
        cur.execute(sql.SQL("SELECT {c}, count(*) FROM {t} WHERE {c} = ANY(%s) GROUP BY 1")
                    .format(t=sql.Identifier(table), c=sql.Identifier(column)),
                    (list(extents),))
        for area_id, count in cur.fetchall():
            kept.setdefault(extents[int(area_id)], {})[table] = int(count)
    return kept


def area_references(session: Session) -> list[tuple[str, str]]:
    """Every (table, column) with a foreign key to ``areas``, from the catalogue."""
    return [(str(t), str(c)) for t, c in session.execute(sa.text(
        "SELECT cl.relname, att.attname FROM pg_constraint con "
        "JOIN pg_class cl ON cl.oid = con.conrelid "
        "JOIN pg_attribute att ON att.attrelid = con.conrelid "
        "AND att.attnum = ANY(con.conkey) "
        "WHERE con.contype = 'f' AND con.confrelid = 'areas'::regclass ORDER BY 1, 2")).all()]


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
