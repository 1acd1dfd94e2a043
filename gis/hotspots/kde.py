"""Kernel density of incident points on a regular raster, and a Leaflet heat layer of it.

Coordinates are metres in a projected CRS; density is **incidents per square kilometre**
(weighted incidents when weights are given), so summing ``density * cell_area_km2``
over a raster that contains every kernel gives back the number of points.

Kernels (``d`` distance to the point, metres):

* ``"quartic"`` (biweight), as Esri's Kernel Density (Silverman 1986, eq. 4.5):
  ``K(d) = 3 / (pi r^2) * (1 - (d / r)^2)^2`` for ``d < r``, ``r = bandwidth_m`` the
  search radius;
* ``"gaussian"``: ``K(d) = exp(-d^2 / (2 h^2)) / (2 pi h^2)``, ``h = bandwidth_m`` the
  standard deviation, cut off at ``4 h`` (0.03 % of the mass).

Default bandwidth (Esri's spatial variant of Silverman's rule of thumb)::

    bandwidth_m = 0.9 * min(SD, sqrt(1 / ln 2) * D_m) * n ** -0.2

with ``SD`` the standard distance of the points about their (weighted) mean centre,
``D_m`` the (weighted) median distance to that centre and ``n`` the number of points (the
sum of the weights when weights are given).

How it is computed: each point is shared among the four raster cell centres around it
in proportion to its distance from them (linear binning), and the binned counts are
convolved with the kernel sampled at cell-centre offsets (FFT), normalised so every point
contributes a total mass of exactly one. Differences from evaluating the kernel at each
cell centre exactly are of the order of (cell / bandwidth)^2; keep cells at most about
a fifth of the bandwidth. Points up to one kernel radius outside the bounds still
contribute near the edges.

The raster's row 0 is its north edge (image / GDAL order): cell ``(row, col)`` is centred
on ``(west_m + (col + 0.5) * cell_m, north_m - (row + 0.5) * cell_m)``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
from scipy.signal import fftconvolve

from gis.crs import WGS84, require_crs, require_metric
from gis.errors import (
    EmptyInputError,
    GeometryTypeError,
    GridTooLargeError,
    InvalidBoundsError,
    InvalidDistanceError,
    InvalidGeometryError,
    InvalidValuesError,
    MissingCrsError,
)

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Kernel = Literal["quartic", "gaussian"]

MAX_RASTER_CELLS = 4_000_000
"""Default limit on the cells of one density raster."""
GAUSSIAN_CUTOFF = 4.0
"""The Gaussian kernel is cut off this many bandwidths (standard deviations) out."""
_M2_PER_KM2 = 1_000_000.0
_FFT_NOISE = 1e-12  # share of the total mass below which a convolved cell is round-off


@dataclass(frozen=True)
class DensityRaster:
    """A kernel density surface.

    Attributes
    ----------
    density_per_km2 : numpy.ndarray of float64, shape (rows, cols)
        Incidents per square kilometre at each cell centre; row 0 is the north edge.
    west_m, north_m : float
        Coordinates (metres, in ``crs``) of the raster's north-west corner.
    cell_m : float
        Cell side in metres.
    bandwidth_m : float
        Search radius (quartic) or standard deviation (gaussian) used, metres.
    kernel : {"quartic", "gaussian"}
    crs : pyproj.CRS or None
        The points' CRS, when known (needed by :func:`heat_layer_points`).
    """

    density_per_km2: FloatArray
    west_m: float
    north_m: float
    cell_m: float
    bandwidth_m: float
    kernel: Kernel
    crs: pyproj.CRS | None = None

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        """GDAL geotransform ``(west, cell, 0, north, 0, -cell)``."""
        return (self.west_m, self.cell_m, 0.0, self.north_m, 0.0, -self.cell_m)

    def cell_centres(self) -> tuple[FloatArray, FloatArray]:
        """Easting and northing (metres) of every cell centre, each shaped like the raster."""
        rows, cols = self.density_per_km2.shape
        x = self.west_m + (np.arange(cols) + 0.5) * self.cell_m
        y = self.north_m - (np.arange(rows) + 0.5) * self.cell_m
        xx, yy = np.meshgrid(x, y)
        return xx.astype(np.float64), yy.astype(np.float64)


# -- checks --------------------------------------------------------------------------------

def _positive_m(value: object, *, name: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, Real)
            or not math.isfinite(float(value)) or float(value) <= 0.0):
        raise InvalidDistanceError(f"{name} must be a finite number of metres > 0, "
                                   f"got {value!r}")
    return float(value)


def _check_points(points_xy: npt.ArrayLike, weights: npt.ArrayLike | None,
                  ) -> tuple[FloatArray, FloatArray]:
    points = np.asarray(points_xy, dtype=np.float64)
    if points.size == 0:
        points = points.reshape(0, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points_xy must have shape (N, 2), got {points.shape}")
    if not np.isfinite(points).all():
        raise InvalidGeometryError("points_xy holds non-finite coordinates; drop those rows")
    if weights is None:
        return points, np.ones(len(points))
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(points),) or not np.isfinite(w).all() or (w < 0).any():
        raise InvalidValuesError("weights must be finite numbers >= 0, one per point")
    return points, w


def _check_bounds(bounds: Any) -> tuple[float, float, float, float]:
    values = np.asarray(bounds, dtype=np.float64)
    if (values.shape != (4,) or not np.isfinite(values).all()
            or not (values[0] < values[2] and values[1] < values[3])):
        raise InvalidBoundsError("bounds must be finite (min_x, min_y, max_x, max_y) with "
                                 f"min < max, got {bounds!r}")
    return float(values[0]), float(values[1]), float(values[2]), float(values[3])


# -- bandwidth -----------------------------------------------------------------------------

def _weighted_median(values: FloatArray, weights: FloatArray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def silverman_bandwidth_m(points_xy: npt.ArrayLike, *,
                          weights: npt.ArrayLike | None = None) -> float:
    """Esri's default search radius: a spatial variant of Silverman's rule of thumb.

    ``0.9 * min(SD, sqrt(1 / ln 2) * D_m) * n ** -0.2`` (see the module docstring).

    Parameters
    ----------
    points_xy : array_like, shape (N, 2)
        Easting, northing in metres.
    weights : array_like, shape (N,), optional
        Population (weight) per point; ``n`` is then their sum.

    Returns
    -------
    float
        Bandwidth in metres.

    Raises
    ------
    EmptyInputError
        No points (or zero total weight).
    InvalidDistanceError
        The points do not spread (all at one place), so the rule gives 0.
    """
    points, w = _check_points(points_xy, weights)
    total = float(w.sum())
    if len(points) == 0 or total <= 0.0:
        raise EmptyInputError("no points (or zero total weight) to choose a bandwidth from")
    centre = (points * w[:, None]).sum(axis=0) / total
    squared = ((points - centre) ** 2).sum(axis=1)
    standard_distance = math.sqrt(float((w * squared).sum()) / total)
    median_distance = _weighted_median(np.sqrt(squared), w)
    spread = min(standard_distance, math.sqrt(1.0 / math.log(2.0)) * median_distance)
    bandwidth = 0.9 * spread * math.pow(total, -0.2)
    if not bandwidth > 0.0:
        raise InvalidDistanceError("the points do not spread out (all at one place): pass "
                                   "bandwidth_m explicitly")
    return bandwidth


# -- density -------------------------------------------------------------------------------

def _kernel_stencil(kernel: Kernel, *, bandwidth_m: float, cell_m: float) -> FloatArray:
    """Kernel at cell-centre offsets, normalised to sum to 1 (one point's share per cell)."""
    reach_m = bandwidth_m if kernel == "quartic" else GAUSSIAN_CUTOFF * bandwidth_m
    half = int(math.floor(reach_m / cell_m))
    offsets = np.arange(-half, half + 1) * cell_m
    squared = offsets[None, :] ** 2 + offsets[:, None] ** 2
    if kernel == "quartic":
        stencil = np.clip(1.0 - squared / bandwidth_m**2, 0.0, None) ** 2
    else:
        stencil = np.exp(-squared / (2.0 * bandwidth_m**2))
        stencil[squared > reach_m**2] = 0.0
    return np.asarray(stencil / stencil.sum(), dtype=np.float64)


def _linear_binning(points: FloatArray, weights: FloatArray, *, west_m: float, north_m: float,
                    cell_m: float, shape: tuple[int, int]) -> FloatArray:
    """Share each point's weight among the four cell centres around it (bilinear)."""
    rows, cols = shape
    fx = (points[:, 0] - west_m) / cell_m - 0.5   # fractional column of the centre grid
    fy = (north_m - points[:, 1]) / cell_m - 0.5  # fractional row (downwards)
    col0 = np.floor(fx).astype(np.int64)
    row0 = np.floor(fy).astype(np.int64)
    tx, ty = fx - col0, fy - row0
    grid = np.zeros(rows * cols)
    for d_row, d_col, share in ((0, 0, (1 - ty) * (1 - tx)), (0, 1, (1 - ty) * tx),
                                (1, 0, ty * (1 - tx)), (1, 1, ty * tx)):
        r, c = row0 + d_row, col0 + d_col
        ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        grid += np.bincount(r[ok] * cols + c[ok], weights=(weights * share)[ok],
                            minlength=rows * cols)
    return grid.reshape(rows, cols)


def kernel_density(points_xy: npt.ArrayLike, *, bounds: Any, cell_m: float,
                   bandwidth_m: float | None = None, kernel: Kernel = "quartic",
                   weights: npt.ArrayLike | None = None, crs: Any = None,
                   max_cells: int = MAX_RASTER_CELLS) -> DensityRaster:
    """Kernel density surface of incident points (numeric core).

    Parameters
    ----------
    points_xy : array_like, shape (N, 2)
        Easting, northing in metres in a projected CRS.
    bounds : (min_x, min_y, max_x, max_y)
        Area to cover, metres in the same CRS. The raster starts at the north-west corner
        and extends east and south by less than a cell when the sides are not multiples
        of ``cell_m``.
    cell_m : float
        Raster cell side, metres.
    bandwidth_m : float, optional
        Search radius (quartic) or standard deviation (gaussian), metres. Default:
        :func:`silverman_bandwidth_m` of the points.
    kernel : {"quartic", "gaussian"}, default "quartic"
    weights : array_like, shape (N,), optional
        Weight (population) per point, >= 0; density is then weight per km^2.
    crs : pyproj.CRS or anything pyproj accepts, optional
        The points' CRS (projected, metres), kept on the result for
        :func:`heat_layer_points`.
    max_cells : int, default 4000000
        Raise rather than build a larger raster.

    Returns
    -------
    DensityRaster
        Density in incidents per square kilometre.

    Raises
    ------
    InvalidBoundsError, InvalidDistanceError, GridTooLargeError, InvalidValuesError
        Unusable bounds, ``cell_m`` or ``bandwidth_m``; too many cells; bad weights.
    EmptyInputError
        No points and no ``bandwidth_m`` to work with.
    CrsError
        ``crs`` given but not projected in metres.
    """
    if kernel not in ("quartic", "gaussian"):
        raise ValueError(f"kernel must be 'quartic' or 'gaussian', got {kernel!r}")
    min_x, min_y, max_x, max_y = _check_bounds(bounds)
    cell = _positive_m(cell_m, name="cell_m")
    checked_crs = None if crs is None else require_metric(crs)
    points, w = _check_points(points_xy, weights)
    bandwidth = (silverman_bandwidth_m(points, weights=w) if bandwidth_m is None
                 else _positive_m(bandwidth_m, name="bandwidth_m"))
    rows = max(1, math.ceil((max_y - min_y) / cell - 1e-9))
    cols = max(1, math.ceil((max_x - min_x) / cell - 1e-9))
    if rows * cols > max_cells:
        raise GridTooLargeError(f"a {cell:g} m raster over these bounds has {rows * cols} "
                                f"cells (limit {max_cells}); use a larger cell_m")
    reach = bandwidth if kernel == "quartic" else GAUSSIAN_CUTOFF * bandwidth
    side = 2 * int(math.floor(reach / cell)) + 1  # the stencil's side, before it is made
    padded = (rows + side + 1) * (cols + side + 1)
    if side * side > max_cells or padded > max_cells:
        raise GridTooLargeError(
            f"a {bandwidth:g} m bandwidth on {cell:g} m cells needs a kernel of {side}×{side} "
            f"cells over a {padded}-cell raster (limit {max_cells}); use a larger cell_m or "
            "a smaller bandwidth_m")
    stencil = _kernel_stencil(kernel, bandwidth_m=bandwidth, cell_m=cell)
    pad = stencil.shape[0] // 2 + 1
    binned = _linear_binning(points, w, west_m=min_x - pad * cell, north_m=max_y + pad * cell,
                             cell_m=cell, shape=(rows + 2 * pad, cols + 2 * pad))
    smoothed = fftconvolve(binned, stencil, mode="same")[pad:pad + rows, pad:pad + cols]
    # FFT round-off (~1e-16 of the mass) would leave tiny non-zero densities everywhere.
    smoothed[smoothed < _FFT_NOISE * float(binned.sum()) * float(stencil.max())] = 0.0
    density = smoothed * (_M2_PER_KM2 / cell**2)
    logger.debug("kernel density of %d points on %dx%d cells of %g m, %s bandwidth %.1f m",
                 len(points), rows, cols, cell, kernel, bandwidth)
    return DensityRaster(density_per_km2=density.astype(np.float64), west_m=min_x,
                         north_m=max_y, cell_m=cell, bandwidth_m=bandwidth, kernel=kernel,
                         crs=checked_crs)


def kernel_density_of(points: gpd.GeoDataFrame | gpd.GeoSeries, *, cell_m: float,
                      bounds: Any = None, bandwidth_m: float | None = None,
                      kernel: Kernel = "quartic", weight_column: str | None = None,
                      max_cells: int = MAX_RASTER_CELLS) -> DensityRaster:
    """Kernel density of a point layer in a metric CRS (GeoDataFrame adapter).

    Parameters
    ----------
    points : geopandas.GeoDataFrame or GeoSeries
        Point incidents in a projected CRS in metres (reproject with ``to_crs`` first).
    cell_m : float
        Raster cell side, metres.
    bounds : (min_x, min_y, max_x, max_y), optional
        Default: the points' total bounds.
    bandwidth_m, kernel, max_cells
        See :func:`kernel_density`.
    weight_column : str, optional
        Column of per-point weights (a GeoDataFrame only).

    Returns
    -------
    DensityRaster
        With ``crs`` set to the points' CRS.

    Raises
    ------
    MissingCrsError, CrsError
        No CRS, or a geographic / non-metre one.
    GeometryTypeError, InvalidGeometryError
        A geometry that is not a point, or a missing/empty one.
    """
    crs = require_metric(require_crs(points, what="points"))
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.isna().any() or geoms.is_empty.any():
        raise InvalidGeometryError("every point needs a non-empty geometry")
    if len(geoms) and not (geoms.geom_type == "Point").all():
        raise GeometryTypeError("points must be Point geometries")
    xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()]) if len(geoms) \
        else np.empty((0, 2))
    weights = None
    if weight_column is not None:
        weights = np.asarray(points[weight_column], dtype=np.float64)
    if bounds is None:
        if len(geoms) == 0:
            raise EmptyInputError("no points, and no bounds to cover")
        bounds = tuple(geoms.total_bounds)
    return kernel_density(xy, bounds=bounds, cell_m=cell_m, bandwidth_m=bandwidth_m,
                          kernel=kernel, weights=weights, crs=crs, max_cells=max_cells)


def heat_layer_points(raster: DensityRaster, *, crs: Any = None,
                      min_density_per_km2: float = 0.0,
                      ) -> list[tuple[float, float, float]]:
    """``[lat, lon, weight]`` triples of a density raster for a Leaflet heat layer.

    Cell centres are reprojected to EPSG:4326 with pyproj; the weight is the density in
    incidents per km^2 (set Leaflet.heat's ``max`` option to the largest one).

    Parameters
    ----------
    raster : DensityRaster
    crs : pyproj.CRS or anything pyproj accepts, optional
        The raster's CRS, if it does not carry one.
    min_density_per_km2 : float, default 0.0
        Cells at or below this density are left out (keeps the layer small).

    Returns
    -------
    list of (lat, lon, weight)
        Degrees (WGS-84, 7 decimals) and incidents per km^2, north row first.

    Raises
    ------
    MissingCrsError
        Neither the raster nor ``crs`` says what CRS the raster is in.
    """
    source = raster.crs if crs is None else require_metric(crs)
    if source is None:
        raise MissingCrsError("the raster has no CRS; pass crs= (its projected CRS)")
    keep = raster.density_per_km2 > min_density_per_km2
    x, y = raster.cell_centres()
    transformer = pyproj.Transformer.from_crs(source, WGS84, always_xy=True)
    lon, lat = transformer.transform(x[keep], y[keep])
    lat = np.round(np.asarray(lat, dtype=np.float64), 7)
    lon = np.round(np.asarray(lon, dtype=np.float64), 7)
    weight = raster.density_per_km2[keep]
    return list(zip(lat.tolist(), lon.tolist(), weight.tolist(), strict=True))
