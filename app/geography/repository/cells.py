"""Patrol grid cells: stored by stable code, so names and assignments survive a rebuild."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db.bulk import bump_version, raw_cursor
from app.db.geometry import to_ewkb_hex_many
from app.models import GridCell


def upsert_cells(session: Session, cells: gpd.GeoDataFrame, area_ids: dict[str, int], *,
                 shape: str, cell_m: float, replace_scope: bool) -> tuple[int, int]:
    """Upsert cells by code; with ``replace_scope``, cells of the same areas, shape and size
    missing from ``cells`` go. Returns (created, removed)."""
    created = removed = 0
    with raw_cursor(session) as cur:
        for row, geom in zip(cells.itertuples(), to_ewkb_hex_many(cells.geometry), strict=True):
            cur.execute(
                "INSERT INTO grid_cells (code, name, shape, cell_m, area_id, road_length_m, "
                "area_m2, geom) VALUES (%s, %s, %s, %s, %s, %s, %s, ST_Multi(%s::geometry)) "
                "ON CONFLICT (code) DO UPDATE SET area_id = EXCLUDED.area_id, "
                "road_length_m = EXCLUDED.road_length_m, area_m2 = EXCLUDED.area_m2, "
                "geom = EXCLUDED.geom, name = coalesce(grid_cells.name, EXCLUDED.name) "
                "RETURNING (xmax = 0)",
                (row.code, getattr(row, "name", None), shape, cell_m,
                 area_ids.get(row.area_name), float(row.road_length_m), float(row.area_m2),
                 geom))
            created += int(cur.fetchone()[0])  # type: ignore[index]
        if replace_scope:
            cur.execute("DELETE FROM grid_cells WHERE area_id = ANY(%s) AND shape = %s AND "
                        "cell_m = %s AND NOT (code = ANY(%s))",
                        (list(area_ids.values()), shape, cell_m, list(cells["code"])))
            removed = cur.rowcount
        bump_version(cur, "grids")
    return created, removed


def cell_by_code(session: Session, code: str) -> GridCell | None:
    """The grid cell with that code, if any."""
    return session.execute(  # type: ignore[no-any-return]
        sa.select(GridCell).where(GridCell.code == code)).scalar_one_or_none()


def cell_count(session: Session) -> int:
    """How many grid cells are stored."""
    return int(session.execute(sa.select(sa.func.count()).select_from(GridCell)).scalar_one())
