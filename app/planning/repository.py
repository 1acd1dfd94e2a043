"""The one place planning talks to PostGIS, a section per concept: must-visit points,
stations, the roster, the routing problem's inputs, plans and routes, what the units
actually did, overdue notices and the demo data.

Services call these with plain arguments and get plain rows, ORM objects or GeoDataFrames
back. Geometries cross through :mod:`app.db.geometry` or ``geopandas.read_postgis``; GeoJSON
and coordinates are written by PostGIS (``ST_AsGeoJSON``, ``ST_X``/``ST_Y``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

# -- must-visit points ---------------------------------------------------------------------


def grid_cell_at(session: Session, lon: float, lat: float) -> int | None:
    """The coarsest grid cell covering the place (lowest id among equals), if any."""
    found = session.execute(sa.text(
        "SELECT g.id FROM grid_cells g "
        "WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
        "ORDER BY g.cell_m DESC, g.id LIMIT 1"), {"lon": lon, "lat": lat}).scalar()
    return int(found) if found is not None else None


def point_rows(session: Session, *, active_only: bool = True) -> list[sa.Row[Any]]:
    """Every point (or the active ones) by id: ``id, name, windows, dwell_min,
    visits_per_shift, priority, covert, source, source_ref, active, grid, lon, lat,
    unit_kinds, skills``."""
    return list(session.execute(sa.text(
        "SELECT p.id, p.name, p.windows, p.dwell_min, p.visits_per_shift, p.priority, "
        "p.covert, p.source, p.source_ref, p.active, g.code AS grid, ST_X(p.geom) AS lon, "
        "ST_Y(p.geom) AS lat, p.unit_kinds, p.skills "
        "FROM must_visit_points p LEFT JOIN grid_cells g ON g.id = p.grid_cell_id "
        "WHERE NOT CAST(:active AS boolean) OR p.active ORDER BY p.id"),
        {"active": active_only}).all())


def unproposed_pois(session: Session, kinds: list[str], *,
                    area: str | None = None) -> list[sa.Row[Any]]:
    """POIs of the kinds (inside the named area, if any) not yet proposed as a point
    (source ``poi``, ref the POI id), by id: ``id, kind, name, lon, lat``."""
    return list(session.execute(sa.text(
        "SELECT p.id, p.kind, coalesce(p.name, p.name_en, p.name_zh) AS name, "
        "ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat FROM pois p "
        "WHERE p.kind = ANY(:kinds) AND (CAST(:area AS text) IS NULL "
        "OR EXISTS (SELECT 1 FROM areas a WHERE a.name = :area AND ST_Covers(a.geom, p.geom))) "
        "AND NOT EXISTS (SELECT 1 FROM must_visit_points m WHERE m.source = 'poi' "
        "AND m.source_ref = CAST(p.id AS text)) ORDER BY p.id"),
        {"kinds": kinds, "area": area}).all())
