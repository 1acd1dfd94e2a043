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

def _index_ranges(bounds: tuple[float, float, float, float], *, shape: GridShape,
                  cell_size_m: float) -> tuple[range, range]:
    min_x, min_y, max_x, max_y = bounds
    if shape == "square":
        return (range(math.floor(min_x / cell_size_m), math.floor(max_x / cell_size_m) + 1),
                range(math.floor(min_y / cell_size_m), math.floor(max_y / cell_size_m) + 1))
    circumradius_m = cell_size_m / _SQRT3
    row_pitch_m = cell_size_m * _SQRT3 / 2.0
    return (range(math.floor(min_x / cell_size_m) - 1, math.ceil(max_x / cell_size_m) + 1),
            range(math.floor((min_y - circumradius_m) / row_pitch_m),
                  math.ceil((max_y + circumradius_m) / row_pitch_m) + 1))


def cells_covering(bounds: tuple[float, float, float, float], *, shape: GridShape,
                   cell_size_m: float) -> tuple[IntArray, IntArray]:
    """List the lattice cells that may meet a bounding box.

    Parameters
    ----------
    bounds : (min_x, min_y, max_x, max_y)
        Bounding box in metres in the lattice's (UTM) CRS.
    shape : {"square", "hex"}
    cell_size_m : float
        Side of a square, or distance across flats of a hexagon, metres.

    Returns
    -------
    (cols, rows) : tuple of numpy.ndarray of int64
        Lattice indices (see the module docstring) of every cell meeting the box; for
        hexagons also a margin of cells that do not (callers test intersection anyway).
    """
    col_range, row_range = _index_ranges(bounds, shape=shape, cell_size_m=cell_size_m)
    col_grid, row_grid = np.meshgrid(np.arange(col_range.start, col_range.stop, dtype=np.int64),
                                     np.arange(row_range.start, row_range.stop, dtype=np.int64))
    return col_grid.ravel(), row_grid.ravel()


def cell_polygons(cols: IntArray, rows: IntArray, *, shape: GridShape,
                  cell_size_m: float) -> GeometryArray:
    """Build lattice cells as shapely polygons, coordinates in metres in the UTM zone.

    Parameters
    ----------
    cols, rows : numpy.ndarray of int
        Lattice indices (see the module docstring).
    shape : {"square", "hex"}
    cell_size_m : float
        Side of a square, or distance across flats of a hexagon, metres.

    Returns
    -------
    numpy.ndarray of shapely.Polygon
        Squares, or pointy-top hexagons with six vertices listed anticlockwise.
    """
    if shape == "square":
        x0 = cols * cell_size_m
        y0 = rows * cell_size_m
        return np.asarray(shapely.box(x0, y0, x0 + cell_size_m, y0 + cell_size_m),
                          dtype=object)
    x, y = hex_cell_centres(cols, rows, cell_size_m=cell_size_m)
    angles = np.radians([30.0, 90.0, 150.0, 210.0, 270.0, 330.0, 30.0])
    circumradius_m = cell_size_m / _SQRT3
    ring = np.stack([x[:, None] + circumradius_m * np.cos(angles),
                     y[:, None] + circumradius_m * np.sin(angles)], axis=-1)
    return np.asarray(shapely.polygons(ring), dtype=object)


def hex_cell_centres(cols: IntArray, rows: IntArray, *,
                     cell_size_m: float) -> tuple[npt.NDArray[np.float64],
                                                  npt.NDArray[np.float64]]:
    """Centres (easting, northing in metres) of hexagonal lattice cells."""
    x = (cols + (rows & 1) / 2.0) * cell_size_m
    y = rows * (cell_size_m * _SQRT3 / 2.0)
    return x.astype(np.float64), y.astype(np.float64)


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
        Lattice indices (see the module docstring); a negative index is written ``M0012``.
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
    return [f"{head}{_index_label(c)}-{row_tag}{_index_label(r)}"
            for c, r in zip(np.asarray(cols).tolist(), np.asarray(rows).tolist(), strict=True)]


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
    cols, rows = cells_covering(area.bounds, shape=shape, cell_size_m=cell_size_m)
    cells = cell_polygons(cols, rows, shape=shape, cell_size_m=cell_size_m)
    shapely.prepare(area)
    hit = shapely.intersects(area, cells)
    cols, rows, pieces = cols[hit], rows[hit], cells[hit]
    # Only cells crossing the boundary need cutting; the rest are whole.
    crossing = ~shapely.contains_properly(area, pieces)
    pieces[crossing] = shapely.intersection(pieces[crossing], area)
    odd = ~np.isin(shapely.get_type_id(pieces), [_POLYGON, _MULTIPOLYGON])
    pieces[odd] = [_polygonal(piece) for piece in pieces[odd]]
    return cols, rows, pieces


def _candidate_count(bounds: tuple[float, float, float, float], *, shape: GridShape,
                     cell_size_m: float) -> int:
    col_range, row_range = _index_ranges(bounds, shape=shape, cell_size_m=cell_size_m)
    return len(col_range) * len(row_range)


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
    names = np.asarray([str(name) for name in projected["name"]], dtype=object)
    name_rank = np.argsort(np.argsort(names, kind="stable"), kind="stable")
    found: list[tuple[IntArray, IntArray, IntArray, GeometryArray]] = []
    for rank, area in zip(name_rank, projected.geometry, strict=True):
        cols, rows, pieces = _cells_in_area(area, shape=shape, cell_size_m=size_m)
        keep = shapely.area(pieces) > SLIVER_FRACTION * cell_area_m2
        found.append((cols[keep], rows[keep], np.full(keep.sum(), rank, dtype=np.int64),
                      pieces[keep]))
    cols, rows, owner_rank, geometries = _merge_shared_cells(
        *(np.concatenate([part[i] for part in found]) for i in range(4)))
    if len(cols) > max_cells:
        raise GridTooLargeError(
            f"a {size_m:g} m {shape} grid over these areas has {len(cols)} cells "
            f"(limit {max_cells}); use a larger cell_size_m or smaller areas")

    cells = gpd.GeoDataFrame(
        {"code": pd.Series(cell_codes(cols, rows, shape=shape, cell_size_m=size_m,
                                      zone=zone, code_prefix=code_prefix), dtype=str),
         "area_name": pd.Series(names[np.argsort(names, kind="stable")][owner_rank],
                                dtype=str),
         "area_m2": shapely.area(geometries).astype(np.float64)},
        geometry=gpd.GeoSeries(geometries, crs=crs), crs=crs)
    logger.debug("built %d %s cells of %g m over %d areas in UTM %s",
                 len(cells), shape, size_m, len(projected), zone)
    return cells.to_crs(WGS84)


def _merge_shared_cells(cols: IntArray, rows: IntArray, owner_rank: IntArray,
                        pieces: GeometryArray,
                        ) -> tuple[IntArray, IntArray, IntArray, GeometryArray]:
    """Merge the pieces of a lattice cell that falls in more than one area.

    One row per lattice cell, sorted by (row, col): the union of its pieces, owned by
    the area with the largest piece (to the square millimetre; ties: lowest rank).
    """
    if len(cols) == 0:
        return cols, rows, owner_rank, pieces
    piece_m2 = np.round(shapely.area(pieces), 6)
    order = np.lexsort((owner_rank, -piece_m2, cols, rows))
    cols, rows, owner_rank, pieces = cols[order], rows[order], owner_rank[order], pieces[order]
    new_cell = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    starts = np.flatnonzero(new_cell)
    ends = np.r_[starts[1:], len(cols)]
    merged = pieces[starts].copy()
    for k in np.flatnonzero(ends - starts > 1):
        merged[k] = _polygonal(shapely.union_all(pieces[starts[k]:ends[k]]))
    return cols[starts], rows[starts], owner_rank[starts], merged


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
