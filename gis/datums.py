"""Input in a Chinese map datum: naming the datum, and geometries and frames to WGS-84.

gridpatrol stores and serves WGS-84 and converts at the edges (:mod:`gis.crs` holds the
formulas). Every importer with coordinates takes the datum its source was written in:

* ``wgs84`` (the default): GPS, OpenStreetMap, CGCS2000 and Tianditu (CGCS2000 and WGS-84
  differ by centimetres, far below what any of these sources resolves);
* ``gcj02``: AMap (Gaode), Tencent, Google Maps in China;
* ``bd09``: Baidu.

:func:`parse_datum` reads a datum's name; :func:`geometry_to_wgs84` and
:func:`frame_to_wgs84` convert every vertex of geometries, so points, lines and polygons
drawn on AMap or Baidu land where they belong. A file in a projected CRS (Web Mercator
tiles traced in AMap, say) is first taken back to longitude/latitude with its own CRS, and
only then is the datum's offset removed: the offset is defined on degrees.
"""

from __future__ import annotations

import math
from typing import TypeVar

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import (
    DATUMS,
    FloatArray,
    datum_to_wgs84_array,
    is_wgs84,
    require_crs,
    wgs84_to_bd09_array,
    wgs84_to_gcj02_array,
)
from gis.errors import CrsError, DatumRangeError

DATUM_ALIASES = {
    "wgs84": "wgs84", "epsg4326": "wgs84", "cgcs2000": "wgs84", "tianditu": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02", "amap": "gcj02", "gaode": "gcj02", "tencent": "gcj02",
    "bd09": "bd09", "bd09ll": "bd09", "baidu": "bd09",
}
"""Names accepted for each datum, compared without case, spaces, ``-``, ``_`` and ``:``."""

DATUM_LABELS = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
"""How each datum is written for people."""

Geometry = TypeVar("Geometry", bound=BaseGeometry)


def parse_datum(value: str | None) -> str:
    """Read a datum's name: one of :data:`~gis.crs.DATUMS` (``wgs84`` when empty).

    Parameters
    ----------
    value : str or None
        ``wgs84``, ``gcj02``, ``bd09`` or an alias of :data:`DATUM_ALIASES` (``WGS-84``,
        ``GCJ-02``, ``BD-09``, ``amap``, ``baidu``, ``cgcs2000`` ...), in any case.

    Returns
    -------
    str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.

    Raises
    ------
    CrsError
        An unknown name; the message lists the datums.
    """
    if value is None or not value.strip():
        return "wgs84"
    key = "".join(c for c in value.lower() if c not in " -_:")
    if key in DATUM_ALIASES:
        return DATUM_ALIASES[key]
    raise CrsError(f"unknown datum {value.strip()[:40]!r}; use wgs84 (GPS, CGCS2000), "
                   "gcj02 (AMap, Tencent) or bd09 (Baidu)")


def wgs84_to_datum_array(datum: str, lon: npt.ArrayLike,
                         lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude to ``datum`` (for showing a place to people).

    Parameters
    ----------
    datum : {"wgs84", "gcj02", "bd09"}
        The datum wanted.
    lon, lat : array_like
        WGS-84 degrees; broadcast together.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        Degrees in ``datum``.

    Raises
    ------
    CrsError
        An unknown datum.
    """
    if datum == "wgs84":
        pair = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                   np.asarray(lat, dtype=np.float64))
        return pair[0].copy(), pair[1].copy()
    if datum == "gcj02":
        return wgs84_to_gcj02_array(lon, lat)
    if datum == "bd09":
        return wgs84_to_bd09_array(lon, lat)
    raise CrsError(f"unknown datum {datum!r}; use one of {', '.join(DATUMS)}")


def point_to_wgs84(lon: float, lat: float, *, datum: str) -> tuple[float, float]:
    """Convert one point from ``datum`` to WGS-84, refusing one that leaves the Earth.

    Parameters
    ----------
    lon, lat : float
        Degrees in ``datum``.
    datum : {"wgs84", "gcj02", "bd09"}, keyword-only
        The datum they were written in.

    Returns
    -------
    (float, float)
        WGS-84 longitude and latitude in degrees.

    Raises
    ------
    DatumRangeError
        The result is outside [-180, 180] x [-90, 90] (BD-09 near the antimeridian).
    CrsError
        An unknown datum.
    """
    x, y = (float(v) for v in datum_to_wgs84_array(datum, lon, lat))
    if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= 180.0 and abs(y) <= 90.0):
        raise DatumRangeError(f"lon {lon}, lat {lat} in {DATUM_LABELS.get(datum, datum)} is "
                              f"{x:.6f}, {y:.6f} in WGS-84: not a place on Earth")
    return x, y


def geometry_to_wgs84(geometry: Geometry, *, datum: str) -> Geometry:
    """Move every vertex of a geometry from ``datum`` to WGS-84.

    Parameters
    ----------
    geometry : shapely geometry
        Longitude/latitude in ``datum``, in degrees. Z values are dropped.
    datum : {"wgs84", "gcj02", "bd09"}
        The datum the coordinates were written in.

    Returns
    -------
    shapely geometry
        The same type, in WGS-84 (EPSG:4326) degrees; ``geometry`` itself for wgs84.

    Raises
    ------
    CrsError
        An unknown datum.
    """
    if datum == "wgs84":
        return geometry
    if datum not in DATUMS:
        raise CrsError(f"unknown datum {datum!r}; use one of {', '.join(DATUMS)}")

    moved: Geometry = shapely.transform(geometry, lambda xy: _moved(datum, xy))
    return moved


def frame_to_wgs84(frame: gpd.GeoDataFrame, *, datum: str) -> gpd.GeoDataFrame:
    """Reproject a GeoDataFrame to EPSG:4326 with its CRS, then remove ``datum``'s offset.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Geometries in any CRS (which must be set). A GCJ-02 or BD-09 source is usually
        labelled EPSG:4326 (its degrees) or EPSG:3857 (AMap's or Baidu's tiles traced).
    datum : {"wgs84", "gcj02", "bd09"}
        The datum the source's degrees are in.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326, WGS-84 degrees.

    Raises
    ------
    MissingCrsError
        ``frame`` has no CRS.
    CrsError
        An unknown datum.
    """
    crs = require_crs(frame, what="the file")
    located = frame if is_wgs84(crs) else frame.to_crs(4326)
    if datum == "wgs84":
        return located.copy() if located is frame else located
    if datum not in DATUMS:
        raise CrsError(f"unknown datum {datum!r}; use one of {', '.join(DATUMS)}")
    moved = located.copy()
    moved[moved.geometry.name] = gpd.GeoSeries(
        shapely.transform(np.asarray(located.geometry.array, dtype=object),
                          lambda xy: _moved(datum, xy)),
        index=located.index, crs=4326)
    return moved


def _moved(datum: str, xy: FloatArray) -> FloatArray:
    lon, lat = datum_to_wgs84_array(datum, xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
