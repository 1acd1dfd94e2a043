"""Coordinate reference systems: Chinese map datums, metric CRS choice and CRS checks.

Three datums of longitude/latitude in degrees meet in Chinese map data:

* **WGS-84** (EPSG:4326): GPS, OpenStreetMap, and everything gridpatrol stores and serves.
* **GCJ-02** ("Mars coordinates"): WGS-84 plus a deliberate, non-linear offset of a few
  hundred metres, used by AMap (Gaode), Tencent and Google Maps in China. Outside mainland
  China the offset is not applied, so there GCJ-02 *equals* WGS-84. "Outside" is the usual
  rough bounding box test (lon 72.004-137.8347, lat 0.8293-55.8271): it also counts
  neighbouring countries inside that box as China, as every GCJ-02 implementation does.
* **BD-09** (Baidu): a further rotation/scaling of GCJ-02. It is defined on GCJ-02
  coordinates and applied everywhere, as the public algorithm does.

The forward offsets are closed formulas. Their inverses are not, so ``gcj02_to_wgs84`` and
``bd09_to_gcj02`` iterate to a fixed point (better than 1e-9 degrees) instead of the
one-step approximation found in many libraries, which is off by up to ~1e-5 degrees.
Each conversion has a scalar form (floats in, a ``(lon, lat)`` tuple out) and an
``_array`` form that takes anything numpy broadcasts and returns float64 arrays.

The rest of the module picks a metric CRS (a local UTM zone) for measuring and checks the
CRS of GeoDataFrames, raising the errors in :mod:`gis.errors`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
from shapely.geometry.base import BaseGeometry

from gis.errors import (
    CoordinateRangeError,
    CrsError,
    CrsMismatchError,
    InvalidGeometryError,
    MissingCrsError,
)

FloatArray = npt.NDArray[np.float64]

WGS84 = pyproj.CRS.from_epsg(4326)

# The public GCJ-02 algorithm: Krasovsky 1940 semi-major axis and eccentricity squared.
GCJ02_SEMI_MAJOR_AXIS_M = 6378245.0
GCJ02_ECCENTRICITY_SQUARED = 0.00669342162296594323
# BD-09 works on GCJ-02 degrees scaled by x_pi = pi * 3000 / 180.
BD09_X_PI = math.pi * 3000.0 / 180.0
BD09_LON_SHIFT_DEG = 0.0065
BD09_LAT_SHIFT_DEG = 0.006

# The rough bounding box of mainland China used by every GCJ-02 implementation.
CHINA_LON_RANGE_DEG = (72.004, 137.8347)
CHINA_LAT_RANGE_DEG = (0.8293, 55.8271)

_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_ITERATIONS = 30


# -- numeric core ----------------------------------------------------------------------

def _as_pair(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_arr, lat_arr = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                           np.asarray(lat, dtype=np.float64))
    return lon_arr.copy(), lat_arr.copy()


def in_china_array(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Tell which points fall in the rough bounding box where GCJ-02 is offset.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees (any of the three datums: the box is coarse).

    Returns
    -------
    numpy.ndarray of bool
        True inside lon 72.004-137.8347, lat 0.8293-55.8271 (inclusive); NaN is False.
    """
    lon_arr, lat_arr = _as_pair(lon, lat)
    return ((lon_arr >= CHINA_LON_RANGE_DEG[0]) & (lon_arr <= CHINA_LON_RANGE_DEG[1])
            & (lat_arr >= CHINA_LAT_RANGE_DEG[0]) & (lat_arr <= CHINA_LAT_RANGE_DEG[1]))


def _gcj02_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 points (no bounding-box test)."""
    x = lon - 105.0
    y = lat - 35.0
    waves = (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    north_m = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
               + 0.2 * np.sqrt(np.abs(x)) + waves
               + (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0)) * 2.0 / 3.0
               + (160.0 * np.sin(np.pi * y / 12.0)
                  + 320.0 * np.sin(np.pi * y / 30.0)) * 2.0 / 3.0)
    east_m = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
              + 0.1 * np.sqrt(np.abs(x)) + waves
              + (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0)) * 2.0 / 3.0
              + (150.0 * np.sin(np.pi * x / 12.0)
                 + 300.0 * np.sin(np.pi * x / 30.0)) * 2.0 / 3.0)
    lat_rad = np.radians(lat)
    magic = 1.0 - GCJ02_ECCENTRICITY_SQUARED * np.sin(lat_rad) ** 2
    sqrt_magic = np.sqrt(magic)
    a = GCJ02_SEMI_MAJOR_AXIS_M
    dlat = north_m * 180.0 / (a * (1.0 - GCJ02_ECCENTRICITY_SQUARED)
                              / (magic * sqrt_magic) * np.pi)
    dlon = east_m * 180.0 / (a / sqrt_magic * np.cos(lat_rad) * np.pi)
    return dlon, dlat


def _invert(forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
            target_lon: FloatArray, target_lat: FloatArray,
            guess_lon: FloatArray, guess_lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(p) == target`` by fixed-point iteration from ``guess``.

    Converges because both offsets change by far less than 1 per degree of input.
    """
    lon, lat = guess_lon.copy(), guess_lat.copy()
    for _ in range(_INVERSE_MAX_ITERATIONS):
        got_lon, got_lat = forward(lon, lat)
        err_lon = target_lon - got_lon
        err_lat = target_lat - got_lat
        lon += err_lon
        lat += err_lat
        worst = np.nanmax(np.abs(np.concatenate([err_lon.ravel(), err_lat.ravel(), [0.0]])))
        if worst < _INVERSE_TOLERANCE_DEG:
            break
    return lon, lat


def wgs84_to_gcj02_array(lon: npt.ArrayLike,
                         lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude to GCJ-02 (AMap, Tencent).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 (EPSG:4326) longitude and latitude in degrees; broadcast together.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees. Points outside the China bounding box
        (see :func:`in_china_array`) are returned unchanged: there GCJ-02 equals WGS-84.
    """
    lon_arr, lat_arr = _as_pair(lon, lat)
    dlon, dlat = _gcj02_offset(lon_arr, lat_arr)
    inside = in_china_array(lon_arr, lat_arr)
    return (np.where(inside, lon_arr + dlon, lon_arr),
            np.where(inside, lat_arr + dlat, lat_arr))


def gcj02_to_wgs84_array(lon: npt.ArrayLike,
                         lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude back to WGS-84, iteratively.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        WGS-84 (EPSG:4326) longitude and latitude in degrees, such that
        ``wgs84_to_gcj02`` maps them back to the input within 1e-9 degrees. Points
        outside the China bounding box are returned unchanged.
    """
    lon_arr, lat_arr = _as_pair(lon, lat)

    def forward(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        dlon, dlat = _gcj02_offset(x, y)
        return x + dlon, y + dlat

    inside = in_china_array(lon_arr, lat_arr)
    wgs_lon, wgs_lat = _invert(forward, lon_arr[inside], lat_arr[inside],
                               lon_arr[inside], lat_arr[inside])
    lon_arr[inside] = wgs_lon
    lat_arr[inside] = wgs_lat
    return lon_arr, lat_arr


def _gcj02_to_bd09_core(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    radius = np.hypot(lon, lat) + 0.00002 * np.sin(lat * BD09_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * BD09_X_PI)
    return (radius * np.cos(theta) + BD09_LON_SHIFT_DEG,
            radius * np.sin(theta) + BD09_LAT_SHIFT_DEG)


def gcj02_to_bd09_array(lon: npt.ArrayLike,
                        lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        BD-09 longitude and latitude in degrees. The BD-09 formula is applied everywhere,
        including outside China.
    """
    return _gcj02_to_bd09_core(*_as_pair(lon, lat))


def bd09_to_gcj02_array(lon: npt.ArrayLike,
                        lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 (Baidu) longitude/latitude to GCJ-02, iteratively.

    The usual closed-form inverse is only good to ~2e-6 degrees; it is used as the first
    guess and refined until :func:`gcj02_to_bd09_array` reproduces the input.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    lon_arr, lat_arr = _as_pair(lon, lat)
    x = lon_arr - BD09_LON_SHIFT_DEG
    y = lat_arr - BD09_LAT_SHIFT_DEG
    radius = np.hypot(x, y) - 0.00002 * np.sin(y * BD09_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD09_X_PI)
    return _invert(_gcj02_to_bd09_core, lon_arr, lat_arr,
                   radius * np.cos(theta), radius * np.sin(theta))


def wgs84_to_bd09_array(lon: npt.ArrayLike,
                        lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 (EPSG:4326) longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        BD-09 longitude and latitude in degrees.
    """
    return gcj02_to_bd09_array(*wgs84_to_gcj02_array(lon, lat))


def bd09_to_wgs84_array(lon: npt.ArrayLike,
                        lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 longitude/latitude to WGS-84 (via GCJ-02), iteratively.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        WGS-84 (EPSG:4326) longitude and latitude in degrees.
    """
    return gcj02_to_wgs84_array(*bd09_to_gcj02_array(lon, lat))


# -- scalar forms ----------------------------------------------------------------------

def _scalar(pair: tuple[FloatArray, FloatArray]) -> tuple[float, float]:
    return float(pair[0]), float(pair[1])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert one WGS-84 point (degrees) to GCJ-02 (degrees); see the ``_array`` form."""
    return _scalar(wgs84_to_gcj02_array(lon, lat))


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 point (degrees) to WGS-84 (degrees); see the ``_array`` form."""
    return _scalar(gcj02_to_wgs84_array(lon, lat))


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 point (degrees) to BD-09 (degrees); see the ``_array`` form."""
    return _scalar(gcj02_to_bd09_array(lon, lat))


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert one BD-09 point (degrees) to GCJ-02 (degrees); see the ``_array`` form."""
    return _scalar(bd09_to_gcj02_array(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert one WGS-84 point (degrees) to BD-09 (degrees); see the ``_array`` form."""
    return _scalar(wgs84_to_bd09_array(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one BD-09 point (degrees) to WGS-84 (degrees); see the ``_array`` form."""
    return _scalar(bd09_to_wgs84_array(lon, lat))


DATUMS = ("wgs84", "gcj02", "bd09")
"""The datums importers and the API accept for longitude/latitude input."""


def datum_to_wgs84_array(datum: str, lon: npt.ArrayLike,
                         lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert longitude/latitude given in ``datum`` to WGS-84 (the stored datum).

    Parameters
    ----------
    datum : {"wgs84", "gcj02", "bd09"}
        The datum of the input.
    lon, lat : array_like
        Degrees.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        WGS-84 degrees (a copy when ``datum`` is wgs84).

    Raises
    ------
    CrsError
        An unknown datum.
    """
    if datum == "wgs84":
        return _as_pair(lon, lat)
    if datum == "gcj02":
        return gcj02_to_wgs84_array(lon, lat)
    if datum == "bd09":
        return bd09_to_wgs84_array(lon, lat)
    raise CrsError(f"unknown datum {datum!r}; use one of {', '.join(DATUMS)}")


# -- CRS checks ------------------------------------------------------------------------

def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "input") -> pyproj.CRS:
    """Return the CRS of ``gdf`` (named ``what`` in messages), raising if it has none.

    Raises
    ------
    MissingCrsError
        ``gdf.crs`` is None.
    """
    if gdf.crs is None:
        raise MissingCrsError(f"{what} has no CRS; set one (e.g. .set_crs(4326)) first")
    return pyproj.CRS(gdf.crs)


def is_wgs84(crs: Any) -> bool:
    """Tell whether ``crs`` is WGS-84 longitude/latitude (EPSG:4326, any axis order)."""
    return bool(pyproj.CRS(crs).equals(WGS84, ignore_axis_order=True))


def require_wgs84(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "input") -> None:
    """Raise unless ``gdf`` is in WGS-84 longitude/latitude (EPSG:4326).

    Raises
    ------
    MissingCrsError
        ``gdf`` has no CRS.
    CrsMismatchError
        ``gdf`` is in another CRS.
    """
    crs = require_crs(gdf, what=what)
    if not is_wgs84(crs):
        raise CrsMismatchError(f"{what} must be in EPSG:4326, not {crs.to_string()}")


def require_same_crs(first: gpd.GeoDataFrame | gpd.GeoSeries,
                     second: gpd.GeoDataFrame | gpd.GeoSeries, *,
                     what: tuple[str, str] = ("first input", "second input")) -> pyproj.CRS:
    """Return the CRS shared by two inputs, raising if either lacks one or they differ.

    Raises
    ------
    MissingCrsError
        Either input has no CRS.
    CrsMismatchError
        The CRSs differ.
    """
    crs_first = require_crs(first, what=what[0])
    crs_second = require_crs(second, what=what[1])
    if not crs_first.equals(crs_second, ignore_axis_order=True):
        raise CrsMismatchError(f"{what[0]} is in {crs_first.to_string()} but {what[1]} is "
                               f"in {crs_second.to_string()}; reproject one of them")
    return crs_first


def require_metric(crs: Any) -> pyproj.CRS:
    """Return ``crs`` as a ``pyproj.CRS``, raising unless it is projected in metres.

    Raises
    ------
    CrsError
        ``crs`` is geographic or its axes are not in metres.
    """
    checked = pyproj.CRS(crs)
    units = {axis.unit_name for axis in checked.axis_info}
    if not checked.is_projected or not units <= {"metre", "meter"}:
        raise CrsError(f"{checked.to_string()} is not a projected CRS in metres")
    return checked


# -- metric CRS choice -----------------------------------------------------------------

def _lonlat_bounds(located: Any) -> tuple[float, float, float, float]:
    if isinstance(located, gpd.GeoDataFrame | gpd.GeoSeries):
        crs = require_crs(located, what="the input")
        if located.empty:
            raise InvalidGeometryError("cannot choose a metric CRS for an empty input")
        frame = located if is_wgs84(crs) else located.to_crs(WGS84)
        bounds = frame.total_bounds
    elif isinstance(located, BaseGeometry):
        bounds = located.bounds
    else:
        bounds = located
    values = np.asarray(bounds, dtype=np.float64)
    if values.shape != (4,) or not np.all(np.isfinite(values)):
        raise InvalidGeometryError("expected a non-empty geometry or finite bounds "
                                   f"(min_lon, min_lat, max_lon, max_lat), got {bounds!r}")
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in values)
    if not (-180.0 <= min_lon <= max_lon <= 180.0 and -90.0 <= min_lat <= max_lat <= 90.0):
        raise CoordinateRangeError(
            f"bounds {tuple(values.tolist())} are not longitude/latitude in degrees; "
            "pass a GeoDataFrame with its CRS set instead")
    return min_lon, min_lat, max_lon, max_lat


def metric_crs_for(located: Any) -> pyproj.CRS:
    """Choose the WGS-84 UTM zone to measure in around some geometry.

    Plain 6-degree zones from the centre of the bounding box (no Norway/Svalbard
    exceptions), so the choice depends on nothing but that centre.

    Parameters
    ----------
    located : GeoDataFrame, GeoSeries, shapely geometry or bounds
        A GeoDataFrame/GeoSeries in any CRS (which must be set), or a shapely geometry or a
        ``(min_lon, min_lat, max_lon, max_lat)`` sequence in EPSG:4326 degrees.

    Returns
    -------
    pyproj.CRS
        EPSG:326zz (north of the equator) or EPSG:327zz (south); units metres.

    Raises
    ------
    MissingCrsError
        A GeoDataFrame/GeoSeries without a CRS.
    CoordinateRangeError
        A geometry or bounds whose coordinates cannot be degrees.
    InvalidGeometryError
        An empty input.
    """
    min_lon, min_lat, max_lon, max_lat = _lonlat_bounds(located)
    centre_lon = (min_lon + max_lon) / 2.0
    centre_lat = (min_lat + max_lat) / 2.0
    zone = min(int((centre_lon + 180.0) // 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if centre_lat >= 0.0 else 32700) + zone)


def utm_zone_label(crs: Any) -> str:
    """Name a WGS-84 UTM CRS by its zone and hemisphere, e.g. ``"50N"`` for EPSG:32650.

    Raises
    ------
    CrsError
        ``crs`` is not one of EPSG:32601-32660 or EPSG:32701-32760.
    """
    checked = pyproj.CRS(crs)
    epsg = checked.to_epsg()
    if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        return f"{epsg % 100}{'N' if epsg < 32700 else 'S'}"
    raise CrsError(f"{checked.to_string()} is not a WGS-84 UTM zone (EPSG:326zz/327zz)")


def to_metric(gdf: gpd.GeoDataFrame, *, metric_crs: Any = None,
              require_wgs84_input: bool = True) -> gpd.GeoDataFrame:
    """Reproject a GeoDataFrame to a metric CRS for measuring.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Input; must have a CRS, and be EPSG:4326 unless ``require_wgs84_input`` is False.
    metric_crs : pyproj.CRS or anything pyproj accepts, optional
        Target CRS, projected in metres. Default: :func:`metric_crs_for` of ``gdf``.
    require_wgs84_input : bool, default True
        Raise unless ``gdf`` is in EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        A reprojected copy; coordinates in metres.

    Raises
    ------
    MissingCrsError, CrsMismatchError, CrsError
        No CRS; not EPSG:4326 when required; a ``metric_crs`` not in metres.
    """
    if require_wgs84_input:
        require_wgs84(gdf)
    else:
        require_crs(gdf)
    target = metric_crs_for(gdf) if metric_crs is None else require_metric(metric_crs)
    return gdf.to_crs(target)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject a GeoDataFrame (which must have a CRS) to EPSG:4326 for storing/serving.

    Raises
    ------
    MissingCrsError
        ``gdf`` has no CRS.
    """
    require_crs(gdf)
    return gdf.to_crs(WGS84)
