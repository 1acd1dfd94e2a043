"""Patrol grids (网格): square or hexagonal cells with stable codes over police areas.

How a grid is made
------------------
* The areas (EPSG:4326 polygons with a ``name``) are projected to a local UTM zone
  (:func:`gis.crs.metric_crs_for`, or the ``metric_crs`` you pass).
* Cells come from a lattice anchored on that zone's origin (easting 0, northing 0), not
  on the areas, so building again over the same or an enlarged area gives the same
  cells with the same codes. Codes stay stable as long as the UTM zone stays the same;
  pass ``metric_crs`` to pin the zone for areas near a zone boundary.
* Every lattice cell whose overlap with the areas has positive area is kept, **clipped**
  to the union of the areas: the kept geometries tile the areas without gaps or overlaps.
  Overlaps under ``SLIVER_FRACTION`` of a full cell (rounding noise along a boundary
  drawn on a lattice line) are dropped.
* A cell lying in several areas is one row, assigned to the area holding the larger part
  of it (parts equal to the square millimetre: the alphabetically first name).

Cells
-----
* ``"square"``: ``cell_size_m`` is the side length. Cell ``(col, row)`` spans eastings
  ``[col, col + 1) * cell_size_m`` and northings ``[row, row + 1) * cell_size_m``.
  Code ``S{size}-{zone}-E{col:04d}-N{row:04d}``, e.g. ``S500-50N-E0893-N8842``.
* ``"hex"``: pointy-top regular hexagons; ``cell_size_m`` is the distance across flats,
  i.e. the east-west width of a cell and the distance between neighbouring centres (the
  side length is ``cell_size_m / sqrt(3)``, the area ``sqrt(3) / 2 * cell_size_m**2``).
  Rows are ``cell_size_m * sqrt(3) / 2`` apart; odd rows are shifted east by half a cell
  ("odd-r" offset coordinates, which unlike axial ones are never negative in UTM).
  Cell ``(col, row)`` is centred on easting ``(col + (row % 2) / 2) * cell_size_m`` and
  northing ``row * cell_size_m * sqrt(3) / 2``.
  Code ``H{size}-{zone}-C{col:04d}-R{row:04d}``, e.g. ``H500-50N-C0893-R10210``.

``{size}`` is the cell size in metres (``500``, or ``62.5`` for a fractional size) and
``{zone}`` the UTM zone (``50N``), so codes from different sizes, shapes or zones never
collide. ``code_prefix`` is put in front unchanged.
"""

from __future__ import annotations

import logging
import math
from numbers import Real
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gis.crs import WGS84, metric_crs_for, require_metric, require_same_crs, require_wgs84
from gis.crs import utm_zone_label as _utm_zone_label
from gis.errors import (
    EmptyInputError,
    GeometryTypeError,
    GridTooLargeError,
    InvalidCellSizeError,
    InvalidGeometryError,
    MissingColumnError,
)

logger = logging.getLogger(__name__)

GridShape = Literal["square", "hex"]
IntArray = npt.NDArray[np.int64]
GeometryArray = npt.NDArray[np.object_]

MAX_CELLS = 200_000
"""Default limit on the number of cells in one grid."""
SLIVER_FRACTION = 1e-6
"""Overlaps smaller than this fraction of a full cell are rounding noise and dropped."""
_CANDIDATES_PER_CELL = 5  # candidate lattice cells (bounding boxes) allowed per allowed cell

_POLYGON, _MULTIPOLYGON = 3, 6
_LINESTRING, _MULTILINESTRING = 1, 5
_SQRT3 = math.sqrt(3.0)


# -- lattices (numeric core, metres in a UTM zone) ---------------------------------------

def square_cells_covering(bounds: tuple[float, float, float, float], *,
                          cell_size_m: float) -> tuple[IntArray, IntArray]:
    """List the square lattice cells whose extent meets a bounding box.

    Parameters
    ----------
    bounds : (min_x, min_y, max_x, max_y)
        Bounding box in metres in the lattice's (UTM) CRS.
    cell_size_m : float
        Side length of a cell, metres.

    Returns
    -------
    (cols, rows) : tuple of numpy.ndarray of int64
        Lattice indices; cell ``(c, r)`` spans ``[c, c+1) * cell_size_m`` east and
        ``[r, r+1) * cell_size_m`` north.
    """
    min_x, min_y, max_x, max_y = bounds
    cols = np.arange(math.floor(min_x / cell_size_m), math.floor(max_x / cell_size_m) + 1)
    rows = np.arange(math.floor(min_y / cell_size_m), math.floor(max_y / cell_size_m) + 1)
    col_grid, row_grid = np.meshgrid(cols.astype(np.int64), rows.astype(np.int64))
    return col_grid.ravel(), row_grid.ravel()


def square_cell_polygons(cols: IntArray, rows: IntArray, *,
                         cell_size_m: float) -> GeometryArray:
    """Build square lattice cells as shapely polygons, coordinates in metres."""
    x0 = cols * cell_size_m
    y0 = rows * cell_size_m
    return np.asarray(shapely.box(x0, y0, x0 + cell_size_m, y0 + cell_size_m), dtype=object)


def hex_cells_covering(bounds: tuple[float, float, float, float], *,
                       cell_size_m: float) -> tuple[IntArray, IntArray]:
    """List the hexagonal lattice cells whose extent may meet a bounding box.

    Parameters
    ----------
    bounds : (min_x, min_y, max_x, max_y)
        Bounding box in metres in the lattice's (UTM) CRS.
    cell_size_m : float
        Distance across flats (east-west width) of a cell, metres.

    Returns
    -------
    (cols, rows) : tuple of numpy.ndarray of int64
        Odd-r offset indices of every cell meeting the box, plus a margin of a few cells
        that do not (callers test intersection anyway).
    """
    min_x, min_y, max_x, max_y = bounds
    circumradius_m = cell_size_m / _SQRT3
    row_pitch_m = cell_size_m * _SQRT3 / 2.0
    rows = np.arange(math.floor((min_y - circumradius_m) / row_pitch_m),
                     math.ceil((max_y + circumradius_m) / row_pitch_m) + 1)
    cols = np.arange(math.floor(min_x / cell_size_m) - 1, math.ceil(max_x / cell_size_m) + 1)
    col_grid, row_grid = np.meshgrid(cols.astype(np.int64), rows.astype(np.int64))
    return col_grid.ravel(), row_grid.ravel()


def hex_cell_centres(cols: IntArray, rows: IntArray, *,
                     cell_size_m: float) -> tuple[npt.NDArray[np.float64],
                                                  npt.NDArray[np.float64]]:
    """Centres (easting, northing in metres) of hexagonal lattice cells."""
    x = (cols + (rows & 1) / 2.0) * cell_size_m
    y = rows * (cell_size_m * _SQRT3 / 2.0)
    return x.astype(np.float64), y.astype(np.float64)


def hex_cell_polygons(cols: IntArray, rows: IntArray, *,
                      cell_size_m: float) -> GeometryArray:
    """Build pointy-top hexagonal lattice cells as shapely polygons, metres."""
    x, y = hex_cell_centres(cols, rows, cell_size_m=cell_size_m)
    angles = np.radians([30.0, 90.0, 150.0, 210.0, 270.0, 330.0, 30.0])
    circumradius_m = cell_size_m / _SQRT3
    ring = np.stack([x[:, None] + circumradius_m * np.cos(angles),
                     y[:, None] + circumradius_m * np.sin(angles)], axis=-1)
    return np.asarray(shapely.polygons(ring), dtype=object)


def _size_label(cell_size_m: float) -> str:
    return str(int(cell_size_m)) if float(cell_size_m).is_integer() else repr(float(cell_size_m))


def _index_label(value: int) -> str:
    # UTM lattice indices are non-negative in practice; keep codes parseable if not.
    return f"{value:04d}" if value >= 0 else f"M{-value:04d}"


def cell_codes(cols: IntArray, rows: IntArray, *, shape: GridShape, cell_size_m: float,
               zone: str, code_prefix: str = "") -> list[str]:
    """Format stable cell codes, e.g. ``S500-50N-E0893-N8842`` or ``H500-50N-C0893-R10210``.

    Parameters
    ----------
    cols, rows : numpy.ndarray of int
        Lattice indices (see the module docstring).
    shape : {"square", "hex"}
    cell_size_m : float
        Cell size in metres, as passed to the grid builder.
    zone : str
        UTM zone label, e.g. ``"50N"`` (:func:`gis.crs.utm_zone_label`).
    code_prefix : str, optional
        Put in front of every code unchanged.
    """
    letter, col_tag, row_tag = ("S", "E", "N") if shape == "square" else ("H", "C", "R")
    head = f"{code_prefix}{letter}{_size_label(cell_size_m)}-{zone}-{col_tag}"
    return [f"{head}{_index_label(int(c))}-{row_tag}{_index_label(int(r))}"
            for c, r in zip(cols, rows, strict=True)]


# -- geometry helpers ----------------------------------------------------------------------

def _polygonal(geometry: Any) -> Any:
    """Keep only the polygonal part of an intersection or union result."""
    if shapely.get_type_id(geometry) in (_POLYGON, _MULTIPOLYGON):
        return geometry
    parts = shapely.get_parts(shapely.get_parts(geometry))
    polygons = parts[shapely.get_type_id(parts) == _POLYGON]
    if len(polygons) == 1:
        return polygons[0]
    return shapely.multipolygons(polygons)


# -- input checks --------------------------------------------------------------------------

def _check_cell_size(cell_size_m: object) -> float:
    if (isinstance(cell_size_m, bool) or not isinstance(cell_size_m, Real)
            or not math.isfinite(float(cell_size_m)) or float(cell_size_m) <= 0.0):
        raise InvalidCellSizeError(
            f"cell_size_m must be a finite number of metres > 0, got {cell_size_m!r}")
    return float(cell_size_m)


def _check_areas(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate ``areas`` and return one (possibly multi-part) polygon per name."""
    if not isinstance(areas, gpd.GeoDataFrame):
        raise TypeError(f"areas must be a GeoDataFrame, got {type(areas).__name__}")
    require_wgs84(areas, what="areas")
    if "name" not in areas.columns:
        raise MissingColumnError("areas needs a 'name' column (one name per area)")
    if areas.empty:
        raise EmptyInputError("areas has no rows")
    if areas["name"].isna().any():
        raise MissingColumnError("every row of areas needs a 'name'")
    geometry = areas.geometry
    missing = shapely.is_missing(geometry.array) | shapely.is_empty(geometry.array)
    if missing.any():
        names = sorted(map(str, areas.loc[missing, "name"]))
        raise InvalidGeometryError(f"areas without a geometry: {names}")
    type_ids = shapely.get_type_id(geometry.array)
    wrong = ~np.isin(type_ids, [_POLYGON, _MULTIPOLYGON])
    if wrong.any():
        kinds = sorted(set(geometry[wrong].geom_type))
        raise GeometryTypeError(f"areas must be Polygon or MultiPolygon, found {kinds}")
    invalid = ~geometry.is_valid
    if invalid.any():
        reasons = {str(name): shapely.is_valid_reason(geom)
                   for name, geom in zip(areas.loc[invalid, "name"], geometry[invalid],
                                         strict=True)}
        raise InvalidGeometryError(f"invalid area geometries: {reasons}")
    return areas[["name", areas.geometry.name]].dissolve(by="name", as_index=False)


# -- grids ---------------------------------------------------------------------------------

def _cells_in_area(area: Any, *, shape: GridShape, cell_size_m: float,
                   ) -> tuple[IntArray, IntArray, GeometryArray]:
    covering = square_cells_covering if shape == "square" else hex_cells_covering
    polygons = square_cell_polygons if shape == "square" else hex_cell_polygons
    cols, rows = covering(area.bounds, cell_size_m=cell_size_m)
    cells = polygons(cols, rows, cell_size_m=cell_size_m)
    shapely.prepare(area)
    hit = shapely.intersects(area, cells)
    pieces = shapely.intersection(cells[hit], area)
    return cols[hit], rows[hit], pieces


def _candidate_count(bounds: tuple[float, float, float, float], *, shape: GridShape,
                     cell_size_m: float) -> int:
    min_x, min_y, max_x, max_y = bounds
    if shape == "square":
        return ((math.floor(max_x / cell_size_m) - math.floor(min_x / cell_size_m) + 1)
                * (math.floor(max_y / cell_size_m) - math.floor(min_y / cell_size_m) + 1))
    row_pitch_m = cell_size_m * _SQRT3 / 2.0
    return ((math.ceil(max_x / cell_size_m) - math.floor(min_x / cell_size_m) + 2)
            * (math.ceil((max_y - min_y) / row_pitch_m) + 4))


def build_grid(areas: gpd.GeoDataFrame, *, shape: GridShape, cell_size_m: float,
               code_prefix: str = "", metric_crs: Any = None,
               max_cells: int = MAX_CELLS) -> gpd.GeoDataFrame:
    """Cover police areas with a square or hexagonal patrol grid with stable codes.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        EPSG:4326 Polygon/MultiPolygon areas (e.g. police-station districts) with a
        ``name`` column; rows sharing a name are merged into one area.
    shape : {"square", "hex"}
        Cell shape (see the module docstring for the lattices).
    cell_size_m : float
        Metres: the side length of a square, or the distance across flats (east-west
        width) of a hexagon.
    code_prefix : str, optional
        Put in front of every cell code unchanged.
    metric_crs : pyproj.CRS or anything pyproj accepts, optional
        WGS-84 UTM zone (EPSG:326zz/327zz) anchoring the lattice. Default:
        :func:`gis.crs.metric_crs_for` of the areas. Pin it to keep codes stable when
        areas near a zone boundary are redrawn.
    max_cells : int, default 200000
        Raise rather than build more cells than this.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell, sorted south to north then west to east, in EPSG:4326, with
        columns ``code`` (str, unique), ``area_name`` (the area holding the larger part of
        the cell), ``area_m2`` (float, area of the clipped cell in square metres) and
        ``geometry`` (the cell clipped to the union of the areas: Polygon or
        MultiPolygon).

    Raises
    ------
    MissingCrsError, CrsMismatchError
        ``areas`` has no CRS or is not EPSG:4326.
    CrsError
        ``metric_crs`` is not a WGS-84 UTM zone.
    MissingColumnError, EmptyInputError, GeometryTypeError, InvalidGeometryError
        No ``name`` column or a row without a name; no rows; a geometry that is not a
        polygon; a missing, empty or invalid geometry.
    InvalidCellSizeError
        ``cell_size_m`` is not a finite number > 0.
    GridTooLargeError
        The grid would have more than ``max_cells`` cells.
    """
    if shape not in ("square", "hex"):
        raise ValueError(f"shape must be 'square' or 'hex', got {shape!r}")
    size_m = _check_cell_size(cell_size_m)
    merged = _check_areas(areas)
    crs = metric_crs_for(merged) if metric_crs is None else require_metric(metric_crs)
    zone = _utm_zone_label(crs)
    projected = merged.to_crs(crs)

    bounds = [tuple(geom.bounds) for geom in projected.geometry]
    candidates = sum(_candidate_count(b, shape=shape, cell_size_m=size_m) for b in bounds)
    if candidates > _CANDIDATES_PER_CELL * max_cells:
        raise GridTooLargeError(
            f"a {size_m:g} m {shape} grid over these areas would test {candidates} cells "
            f"(limit {max_cells} cells); use a larger cell_size_m or smaller areas")

    cell_area_m2 = size_m**2 if shape == "square" else _SQRT3 / 2.0 * size_m**2
    parts: list[pd.DataFrame] = []
    for area_name, area in zip(projected["name"], projected.geometry, strict=True):
        cols, rows, pieces = _cells_in_area(area, shape=shape, cell_size_m=size_m)
        pieces = np.asarray([_polygonal(piece) for piece in pieces], dtype=object)
        piece_area_m2 = shapely.area(pieces) if len(pieces) else np.empty(0)
        keep = piece_area_m2 > SLIVER_FRACTION * cell_area_m2
        parts.append(pd.DataFrame({"col": cols[keep], "row": rows[keep],
                                   "area_name": str(area_name), "piece": pieces[keep],
                                   "piece_m2": piece_area_m2[keep]}))
    pieces_df = pd.concat(parts, ignore_index=True)
    # Larger part first; parts equal to the square millimetre go to the first name.
    pieces_df["rank_m2"] = pieces_df["piece_m2"].round(6)
    pieces_df = pieces_df.sort_values(["row", "col", "rank_m2", "area_name"],
                                      ascending=[True, True, False, True], kind="stable")
    grouped = pieces_df.groupby(["row", "col"], sort=False)
    if grouped.ngroups > max_cells:
        raise GridTooLargeError(
            f"a {size_m:g} m {shape} grid over these areas has {grouped.ngroups} cells "
            f"(limit {max_cells}); use a larger cell_size_m or smaller areas")

    winners = grouped.head(1).reset_index(drop=True)
    geometries = np.array(winners["piece"], dtype=object)
    position = {key: i for i, key in enumerate(zip(winners["row"], winners["col"],
                                                   strict=True))}
    shared = pieces_df[pieces_df.duplicated(["row", "col"], keep=False)]
    for key, group in shared.groupby(["row", "col"], sort=False):
        geometries[position[key]] = _polygonal(shapely.union_all(group["piece"].to_numpy()))

    cols = winners["col"].to_numpy(dtype=np.int64)
    rows = winners["row"].to_numpy(dtype=np.int64)
    cells = gpd.GeoDataFrame(
        {"code": cell_codes(cols, rows, shape=shape, cell_size_m=size_m, zone=zone,
                            code_prefix=code_prefix),
         "area_name": winners["area_name"].to_numpy(dtype=object),
         "area_m2": shapely.area(geometries).astype(np.float64)},
        geometry=gpd.GeoSeries(geometries, crs=crs), crs=crs)
    logger.debug("built %d %s cells of %g m over %d areas in UTM %s",
                 len(cells), shape, size_m, len(projected), zone)
    return cells.to_crs(WGS84)


def build_square_grid(areas: gpd.GeoDataFrame, *, cell_size_m: float, code_prefix: str = "",
                      metric_crs: Any = None, max_cells: int = MAX_CELLS) -> gpd.GeoDataFrame:
    """Cover police areas with square cells of side ``cell_size_m`` metres.

    Codes look like ``S500-35N-E0771-N13344``. See :func:`build_grid` for the parameters,
    the columns returned (EPSG:4326 geometry, ``area_m2`` in square metres) and the
    errors raised.
    """
    return build_grid(areas, shape="square", cell_size_m=cell_size_m, code_prefix=code_prefix,
                      metric_crs=metric_crs, max_cells=max_cells)


def build_hex_grid(areas: gpd.GeoDataFrame, *, cell_size_m: float, code_prefix: str = "",
                   metric_crs: Any = None, max_cells: int = MAX_CELLS) -> gpd.GeoDataFrame:
    """Cover police areas with pointy-top hexagons ``cell_size_m`` metres across flats.

    ``cell_size_m`` is the east-west width of a cell and the distance between
    neighbouring centres; the side is ``cell_size_m / sqrt(3)`` and a full cell covers
    ``sqrt(3) / 2 * cell_size_m**2`` square metres. Codes look like
    ``H500-35N-C0771-R15408``. See :func:`build_grid` for the parameters, the columns
    returned (EPSG:4326 geometry, ``area_m2`` in square metres) and the errors raised.
    """
    return build_grid(areas, shape="hex", cell_size_m=cell_size_m, code_prefix=code_prefix,
                      metric_crs=metric_crs, max_cells=max_cells)


# -- measures per cell -----------------------------------------------------------------------

def road_length_per_cell(cells: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *,
                         metric_crs: Any = None) -> pd.Series:
    """Metres of road inside each cell.

    Roads are cut at cell boundaries with a spatial index (STRtree) and measured in a
    metric CRS. A road running exactly along an edge shared by two cells counts in both.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Polygon/MultiPolygon cells (e.g. from :func:`build_grid`); must have a CRS.
    roads : geopandas.GeoDataFrame
        LineString/MultiLineString roads in the same CRS as ``cells``; missing or empty
        geometries are ignored.
    metric_crs : pyproj.CRS or anything pyproj accepts, optional
        Projected CRS in metres to measure in. Default: :func:`gis.crs.metric_crs_for`
        of the cells.

    Returns
    -------
    pandas.Series
        ``road_length_m`` (float, metres) indexed like ``cells``; 0.0 for a cell without
        roads.

    Raises
    ------
    MissingCrsError, CrsMismatchError
        Either input lacks a CRS, or their CRSs differ.
    GeometryTypeError
        A cell that is not a polygon, or a road that is not a line.
    """
    require_same_crs(cells, roads, what=("cells", "roads"))
    cell_types = shapely.get_type_id(cells.geometry.array)
    if not np.isin(cell_types, [_POLYGON, _MULTIPOLYGON]).all():
        raise GeometryTypeError("cells must be Polygon or MultiPolygon")
    road_array = roads.geometry.array
    roads = roads[~(shapely.is_missing(road_array) | shapely.is_empty(road_array))]
    if not np.isin(shapely.get_type_id(roads.geometry.array),
                   [_LINESTRING, _MULTILINESTRING]).all():
        kinds = sorted(set(roads.geom_type))
        raise GeometryTypeError(f"roads must be LineString or MultiLineString, found {kinds}")
    lengths_m = np.zeros(len(cells), dtype=np.float64)
    if len(cells) and len(roads):
        crs = metric_crs_for(cells) if metric_crs is None else require_metric(metric_crs)
        cell_geoms = np.asarray(cells.geometry.to_crs(crs).array, dtype=object)
        road_geoms = np.asarray(roads.geometry.to_crs(crs).array, dtype=object)
        cell_idx, road_idx = shapely.STRtree(road_geoms).query(cell_geoms,
                                                               predicate="intersects")
        inside = shapely.intersection(cell_geoms[cell_idx], road_geoms[road_idx])
        lengths_m = np.bincount(cell_idx, weights=shapely.length(inside),
                                minlength=len(cells)).astype(np.float64)
    return pd.Series(lengths_m, index=cells.index, name="road_length_m")
