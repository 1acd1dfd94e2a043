"""Spatial weights between grid cells, and incident points counted into the cells.

Cells are polygons (the patrol grid of :mod:`gis.grids`, or any polygons that do not
overlap) in a projected CRS in metres: reproject an EPSG:4326 grid with
``cells.to_crs(metric_crs)`` first. Cell ``i`` is the ``i``-th row of the frame
(positional, whatever the index).

Weights are binary: an ``n x n`` :class:`scipy.sparse.csr_array` of float64 holding 1.0
where two cells are neighbours, nothing on the diagonal (a cell is not its own
neighbour; Gi* adds the cell itself), sorted column indices. Two definitions:

* **distance band**: cells whose centroids are at most ``threshold_m`` metres apart
  (Esri's "fixed distance band", libpysal's ``DistanceBand(binary=True)``);
* **queen contiguity**: cells sharing at least one boundary point, edge or corner, with
  a tolerance of ``tolerance_m`` metres for coordinates that went through reprojection.

Points are given as an ``(N, 2)`` array of easting, northing in the cells' CRS. A point
on the edge shared by several cells is counted once, in the cell whose centroid is
furthest north, then furthest east: for a square lattice that is the usual half-open
rule (cell ``(col, row)`` owns ``[col, col + 1) x [row, row + 1)``).
"""

from __future__ import annotations

import logging
import math
from numbers import Real
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from gis.crs import require_crs, require_metric
from gis.errors import (
    EmptyInputError,
    GeometryTypeError,
    InvalidDistanceError,
    InvalidGeometryError,
)

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_TOLERANCE_M = 0.01
"""Gap (metres) still counted as touching in queen contiguity: reprojection noise."""
_POLYGON, _MULTIPOLYGON = 3, 6
_EDGE_EPS = 1e-9  # fraction of a lattice cell treated as "on the edge"


# -- input checks --------------------------------------------------------------------------

def _metric_geometries(cells: gpd.GeoDataFrame | gpd.GeoSeries, *,
                       polygons: bool) -> npt.NDArray[np.object_]:
    if not isinstance(cells, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(f"cells must be a GeoDataFrame or GeoSeries, got {type(cells).__name__}")
    require_metric(require_crs(cells, what="cells"))
    if len(cells) == 0:
        raise EmptyInputError("cells has no rows")
    geoms = np.asarray(cells.geometry.array if isinstance(cells, gpd.GeoDataFrame)
                       else cells.array, dtype=object)
    if (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any():
        raise InvalidGeometryError("every cell needs a non-empty geometry")
    if polygons and not np.isin(shapely.get_type_id(geoms), [_POLYGON, _MULTIPOLYGON]).all():
        raise GeometryTypeError("cells must be Polygon or MultiPolygon")
    return geoms


def _check_distance_m(value: object, *, name: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, Real)
            or not math.isfinite(float(value)) or float(value) <= 0.0):
        raise InvalidDistanceError(f"{name} must be a finite number of metres > 0, "
                                   f"got {value!r}")
    return float(value)


def _check_points(points_xy: npt.ArrayLike) -> FloatArray:
    points = np.asarray(points_xy, dtype=np.float64)
    if points.size == 0:
        return points.reshape(0, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points_xy must have shape (N, 2), got {points.shape}")
    if not np.isfinite(points).all():
        raise InvalidGeometryError("points_xy holds non-finite coordinates; drop those rows")
    return points


def _binary_csr(rows: IntArray, cols: IntArray, n: int) -> sparse.csr_array:
    """Symmetric-as-given binary CSR without diagonal or duplicates."""
    keep = rows != cols
    matrix = sparse.csr_array((np.ones(int(keep.sum())), (rows[keep], cols[keep])),
                              shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


# -- weights -------------------------------------------------------------------------------

def distance_band_weights_xy(xy: npt.ArrayLike, *, threshold_m: float) -> sparse.csr_array:
    """Binary distance-band weights between points (numeric core).

    Parameters
    ----------
    xy : array_like, shape (n, 2)
        Easting, northing in metres in a projected CRS (e.g. cell centroids).
    threshold_m : float
        Points at most this many metres apart (inclusive) are neighbours. On a regular
        lattice pick a threshold between two neighbour distances (e.g. 1.5 cells rather
        than exactly 1) so rounding cannot decide.

    Returns
    -------
    scipy.sparse.csr_array
        ``n x n`` float64, 1.0 for neighbours, zero diagonal. A point with no
        neighbour within the band has an empty row.

    Raises
    ------
    InvalidDistanceError
        ``threshold_m`` is not a finite number > 0.
    """
    threshold = _check_distance_m(threshold_m, name="threshold_m")
    points = _check_points(xy)
    n = len(points)
    if n == 0:
        raise EmptyInputError("no points to build weights between")
    pairs = cKDTree(points).query_pairs(threshold, output_type="ndarray").astype(np.int64)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return _binary_csr(rows, cols, n)


def distance_band_weights(cells: gpd.GeoDataFrame | gpd.GeoSeries, *,
                          threshold_m: float) -> sparse.csr_array:
    """Binary distance-band weights between cell centroids.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame or GeoSeries
        Cells (any geometry; centroids are used) in a projected CRS in metres.
    threshold_m : float
        Cells whose centroids are at most this many metres apart are neighbours.

    Returns
    -------
    scipy.sparse.csr_array
        ``n x n`` binary weights, zero diagonal, rows in the order of ``cells``.

    Raises
    ------
    MissingCrsError, CrsError
        ``cells`` has no CRS, or a geographic / non-metre one.
    EmptyInputError, InvalidGeometryError
        No cells; a missing or empty geometry.
    InvalidDistanceError
        ``threshold_m`` is not a finite number > 0.
    """
    geoms = _metric_geometries(cells, polygons=False)
    centroids = shapely.centroid(geoms)
    return distance_band_weights_xy(shapely.get_coordinates(centroids), threshold_m=threshold_m)


def queen_weights(cells: gpd.GeoDataFrame | gpd.GeoSeries, *,
                  tolerance_m: float = DEFAULT_TOLERANCE_M) -> sparse.csr_array:
    """Binary queen-contiguity weights: cells sharing an edge or a corner.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame or GeoSeries
        Non-overlapping Polygon/MultiPolygon cells in a projected CRS in metres.
    tolerance_m : float, default 0.01
        Cells closer than this many metres count as touching, so that vertices moved by
        reprojection (or hexagon corners computed from different centres) still meet.
        Keep it far below the cell size.

    Returns
    -------
    scipy.sparse.csr_array
        ``n x n`` binary weights, zero diagonal, rows in the order of ``cells``; a square
        cell inside the grid has 8 neighbours, a hexagon 6.

    Raises
    ------
    MissingCrsError, CrsError
        ``cells`` has no CRS, or a geographic / non-metre one.
    EmptyInputError, InvalidGeometryError, GeometryTypeError
        No cells; a missing or empty geometry; a cell that is not a polygon.
    InvalidDistanceError
        ``tolerance_m`` is not a finite number > 0.
    """
    tolerance = _check_distance_m(tolerance_m, name="tolerance_m")
    geoms = _metric_geometries(cells, polygons=True)
    rows, cols = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tolerance)
    return _binary_csr(rows.astype(np.int64), cols.astype(np.int64), len(geoms))


def to_libpysal(weights: Any) -> Any:
    """Convert binary weights to a :class:`libpysal.weights.W` (for esda cross-checks).

    Unlike ``libpysal.weights.W.from_sparse``, which silently drops cells without
    neighbours, every cell is kept (ids ``0 .. n-1``, islands with no neighbours).

    Parameters
    ----------
    weights : scipy.sparse array or matrix, shape (n, n)

    Returns
    -------
    libpysal.weights.W
        Transform ``"O"`` (the weights as given); libpysal's island warnings silenced.
    """
    from libpysal.weights import W  # optional dependency, only for this helper

    csr = sparse.csr_array(weights)
    csr.sort_indices()
    n = csr.shape[0]
    bounds = csr.indptr.tolist()
    indices = csr.indices.tolist()
    data = csr.data.tolist()
    neighbors = {i: indices[bounds[i]:bounds[i + 1]] for i in range(n)}
    values = {i: data[bounds[i]:bounds[i + 1]] for i in range(n)}
    return W(neighbors, values, id_order=list(range(n)), silence_warnings=True)


# -- points into cells ---------------------------------------------------------------------

def _north_east_first(point_idx: IntArray, cell_idx: IntArray,
                      geoms: npt.NDArray[np.object_], n_points: int) -> IntArray:
    """One cell per point: among the cells it intersects, furthest north, then east."""
    located = np.full(n_points, -1, dtype=np.int64)
    if len(point_idx) == 0:
        return located
    centres = shapely.get_coordinates(shapely.centroid(geoms))
    # Round away centroid noise so that cells in one lattice row tie on northing.
    east = np.round(centres[cell_idx, 0], 6)
    north = np.round(centres[cell_idx, 1], 6)
    order = np.lexsort((east, north, point_idx))
    point_sorted = point_idx[order]
    last = np.r_[point_sorted[1:] != point_sorted[:-1], True]
    located[point_sorted[last]] = cell_idx[order][last]
    return located


def _square_lattice(geoms: npt.NDArray[np.object_],
                    ) -> tuple[float, float, float, IntArray, IntArray] | None:
    """Detect full, equal, axis-aligned square cells on one lattice.

    Returns (size, origin_x, origin_y, sorted lattice keys, cell index per key), or None.
    """
    bounds = shapely.bounds(geoms)
    width = bounds[:, 2] - bounds[:, 0]
    height = bounds[:, 3] - bounds[:, 1]
    boxes = (np.isclose(shapely.area(geoms), width * height, rtol=1e-9, atol=0.0)
             & np.isclose(width, height, rtol=1e-9, atol=0.0) & (width > 0))
    if not boxes.any():
        return None
    size = float(np.median(width[boxes]))
    full = np.flatnonzero(boxes & np.isclose(width, size, rtol=1e-9, atol=0.0))
    origin_x, origin_y = float(bounds[full[0], 0]), float(bounds[full[0], 1])
    col_f = (bounds[full, 0] - origin_x) / size
    row_f = (bounds[full, 1] - origin_y) / size
    cols, rows = np.round(col_f), np.round(row_f)
    if max(np.abs(col_f - cols).max(), np.abs(row_f - rows).max()) > 1e-6:
        return None
    keys = _lattice_keys(cols.astype(np.int64), rows.astype(np.int64))
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    if (keys[1:] == keys[:-1]).any():
        return None  # two cells on one lattice square: not a grid
    return size, origin_x, origin_y, keys, full[order].astype(np.int64)


def _lattice_keys(cols: IntArray, rows: IntArray) -> IntArray:
    return (cols << 32) + rows  # indices far below 2**31 in any sane grid


def _locate_on_lattice(points: FloatArray, lattice: tuple[float, float, float, IntArray,
                                                           IntArray]) -> IntArray:
    """Cell of every point strictly inside a full lattice cell; -1 for the rest."""
    size, origin_x, origin_y, keys, cell_of_key = lattice
    fx = (points[:, 0] - origin_x) / size
    fy = (points[:, 1] - origin_y) / size
    col, row = np.floor(fx), np.floor(fy)
    inside = ((fx - col > _EDGE_EPS) & (fx - col < 1.0 - _EDGE_EPS)
              & (fy - row > _EDGE_EPS) & (fy - row < 1.0 - _EDGE_EPS)
              & (np.abs(col) < 2**30) & (np.abs(row) < 2**30))
    located = np.full(len(points), -1, dtype=np.int64)
    if not inside.any() or len(keys) == 0:
        return located
    point_keys = _lattice_keys(col[inside].astype(np.int64), row[inside].astype(np.int64))
    slot = np.clip(np.searchsorted(keys, point_keys), 0, len(keys) - 1)
    found = keys[slot] == point_keys
    idx = np.flatnonzero(inside)
    located[idx[found]] = cell_of_key[slot[found]]
    return located


def locate_points_in_cells(points_xy: npt.ArrayLike,
                           cells: gpd.GeoDataFrame | gpd.GeoSeries) -> IntArray:
    """Find the cell holding each point.

    Full square cells on one lattice (the usual patrol grid) are found arithmetically;
    every other point (near a cell edge, in a clipped boundary cell, in a hexagon, or
    outside the grid) is tested exactly with a shapely STRtree ``intersects`` query.

    Parameters
    ----------
    points_xy : array_like, shape (N, 2)
        Easting, northing in metres in the CRS of ``cells``.
    cells : geopandas.GeoDataFrame or GeoSeries
        Non-overlapping Polygon/MultiPolygon cells in a projected CRS in metres.

    Returns
    -------
    numpy.ndarray of int64, shape (N,)
        Position of the cell holding each point, or -1 for a point in no cell. A point on
        an edge or corner shared by several cells goes to the one whose centroid is
        furthest north, then furthest east.

    Raises
    ------
    MissingCrsError, CrsError
        ``cells`` has no CRS, or a geographic / non-metre one.
    EmptyInputError, InvalidGeometryError, GeometryTypeError
        No cells; a missing or empty cell; a cell that is not a polygon; a point with a
        non-finite coordinate.
    """
    geoms = _metric_geometries(cells, polygons=True)
    points = _check_points(points_xy)
    located = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return located
    lattice = _square_lattice(geoms)
    if lattice is not None:
        located = _locate_on_lattice(points, lattice)
    rest = np.flatnonzero(located < 0)
    if len(rest):
        point_idx, cell_idx = shapely.STRtree(geoms).query(shapely.points(points[rest]),
                                                           predicate="intersects")
        found = _north_east_first(point_idx.astype(np.int64), cell_idx.astype(np.int64),
                                  geoms, len(rest))
        located[rest] = found
    logger.debug("located %d points in %d cells (%d tested exactly)",
                 len(points), len(geoms), len(rest))
    return located


def count_points_in_cells(points_xy: npt.ArrayLike,
                          cells: gpd.GeoDataFrame | gpd.GeoSeries) -> IntArray:
    """Count incident points per cell.

    Parameters
    ----------
    points_xy : array_like, shape (N, 2)
        Easting, northing in metres in the CRS of ``cells``.
    cells : geopandas.GeoDataFrame or GeoSeries
        Non-overlapping Polygon/MultiPolygon cells in a projected CRS in metres.

    Returns
    -------
    numpy.ndarray of int64, shape (n_cells,)
        Points per cell, in the order of ``cells``. Points outside every cell are not
        counted; a point on a shared edge is counted once (see
        :func:`locate_points_in_cells`).

    Raises
    ------
    See :func:`locate_points_in_cells`.
    """
    located = locate_points_in_cells(points_xy, cells)
    return np.bincount(located[located >= 0], minlength=len(cells)).astype(np.int64)
