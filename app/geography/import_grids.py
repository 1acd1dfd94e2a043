"""Patrol grids: build over areas with stable codes, or import from a polygon file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import audit
from app.db.bulk import bump_version, raw_cursor
from app.db.geometry import to_ewkb_hex_many
from app.errors import InvalidValue
from app.geography.import_boundary import read_areas
from gis.grids import build_grid, road_length_per_cell


@dataclass
class GridResult:
    cells: int
    created: int
    removed: int
    areas: list[str]
    rejected: list[str] = field(default_factory=list)


def load_areas(session: Session, name: str | None) -> gpd.GeoDataFrame:
    areas = gpd.read_postgis(
        sa.text("SELECT id, name, geom FROM areas "
                "WHERE CAST(:name AS text) IS NULL OR name = :name"),
        session.connection(), geom_col="geom", params={"name": name})
    if areas.empty:
        raise InvalidValue(f"No area named {name!r}." if name else
                            "No areas yet: import OSM data or a boundary first.", field="area")
    return areas.rename_geometry("geometry")


def load_roads(session: Session, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    west, south, east, north = areas.total_bounds
    return gpd.read_postgis(
        sa.text("SELECT geom FROM roads WHERE drivable AND "
                "geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"),
        session.connection(), geom_col="geom",
        params={"w": west, "s": south, "e": east, "n": north})


def store_cells(session: Session, cells: gpd.GeoDataFrame, area_ids: dict[str, int], *,
                shape: str, cell_m: float, replace_scope: bool) -> tuple[int, int]:
    """Upsert cells by code (names and assignments survive a rebuild)."""
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


def build_grids(session: Session, *, shape: str, cell_m: float, area: str | None = None,
                reason: str | None = None) -> GridResult:
    areas = load_areas(session, area)
    try:
        cells = build_grid(areas[["name", "geometry"]], shape=shape,  # type: ignore[arg-type]
                           cell_size_m=cell_m)
    except ValueError as exc:
        raise InvalidValue(str(exc), field="cell_m") from None
    cells["road_length_m"] = road_length_per_cell(cells, load_roads(session, areas)).to_numpy()
    area_ids = dict(zip(areas["name"], areas["id"], strict=True))
    created, removed = store_cells(session, cells, area_ids, shape=shape, cell_m=cell_m,
                                   replace_scope=True)
    result = GridResult(len(cells), created, removed, list(areas["name"]))
    audit.record(session, "grids.build", object_type="grid", object_id=f"{shape}-{cell_m:g}",
                 reason=reason, details={"areas": result.areas, "cells": result.cells,
                                         "created": created, "removed": removed})
    return result


def import_grids(session: Session, path: Path, *, name_field: str | None = None,
                 reason: str | None = None) -> GridResult:
    """Cells drawn elsewhere: each polygon becomes a cell coded ``F-<name>``."""
    cells, rejected = read_areas(path, name_field=name_field)
    cells = cells.rename(columns={"name": "code"})
    cells["code"] = "F-" + cells["code"]
    cells["name"] = cells["code"].str[2:]
    areas = load_areas(session, None)
    joined = gpd.sjoin(cells.set_geometry(cells.representative_point()),
                       areas[["name", "geometry"]], how="left", predicate="within")
    cells["area_name"] = joined["name_right"].to_numpy()
    metric = cells.to_crs(cells.estimate_utm_crs())
    cells["area_m2"] = metric.area.to_numpy()
    cells["road_length_m"] = road_length_per_cell(cells, load_roads(session, cells)).to_numpy()
    area_ids = dict(zip(areas["name"], areas["id"], strict=True))
    created, _ = store_cells(session, cells, area_ids, shape="file", cell_m=0,
                             replace_scope=False)
    audit.record(session, "grids.import", object_type="file", object_id=path.name,
                 reason=reason, details={"cells": len(cells), "rejected": rejected[:50]})
    return GridResult(len(cells), created, 0, sorted(set(cells["area_name"].dropna())), rejected)
