"""Patrol grids: build over areas with stable codes, or import from a polygon file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from sqlalchemy.orm import Session

from app import audit
from app.errors import InvalidValue
from app.geography.datum import checked_datum
from app.geography.import_boundary import read_areas
from app.geography.repository.areas import areas_frame, drivable_roads_within
from app.geography.repository.cells import upsert_cells
from gis.grids import build_grid, road_length_per_cell


@dataclass
class GridResult:
    cells: int
    created: int
    removed: int
    areas: list[str]
    rejected: list[str] = field(default_factory=list)


def load_areas(session: Session, name: str | None) -> gpd.GeoDataFrame:
    """Areas (all, or the one called ``name``) to build cells over; 422 when none."""
    areas = areas_frame(session, name)
    if areas.empty:
        raise InvalidValue(f"No area named {name!r}." if name else
                            "No areas yet: import OSM data or a boundary first.", field="area")
    return areas


def load_roads(session: Session, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drivable roads around ``areas``, to measure road length per cell."""
    return drivable_roads_within(session, *areas.total_bounds)


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
    created, removed = upsert_cells(session, cells, area_ids, shape=shape, cell_m=cell_m,
                                   replace_scope=True)
    result = GridResult(len(cells), created, removed, list(areas["name"]))
    audit.record(session, "grids.build", object_type="grid", object_id=f"{shape}-{cell_m:g}",
                 reason=reason, details={"areas": result.areas, "cells": result.cells,
                                         "created": created, "removed": removed})
    return result


def import_grids(session: Session, path: Path, *, name_field: str | None = None,
                 reason: str | None = None, datum: str = "wgs84") -> GridResult:
    """Cells drawn elsewhere: each polygon becomes a cell coded ``F-<name>``; the file's
    degrees are in ``datum`` (wgs84, gcj02, bd09)."""
    datum = checked_datum(datum)
    cells, rejected = read_areas(path, name_field=name_field, datum=datum)
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
    created, _ = upsert_cells(session, cells, area_ids, shape="file", cell_m=0,
                             replace_scope=False)
    audit.record(session, "grids.import", object_type="file", object_id=path.name,
                 reason=reason, details={"cells": len(cells), "rejected": rejected[:50],
                                         "datum": datum})
    return GridResult(len(cells), created, 0, sorted(set(cells["area_name"].dropna())), rejected)
