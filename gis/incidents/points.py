"""Where incidents happened: coordinate cells or point geometries to WGS-84 lon/lat.

Each row ends with a longitude and latitude in EPSG:4326 degrees, or with the first of
these problems (the reject reason codes of :mod:`gis.incidents.reader`):

``no_coordinates``
    A coordinate cell is empty, or the feature has no (or an empty) geometry.
``bad_coordinates``
    A coordinate cell is not a finite number.
``zero_coordinates``
    Both source coordinates are exactly 0: a placeholder for "unknown", whatever the CRS.
``coordinates_out_of_range``
    After transformation the point is outside [-180, 180] x [-90, 90], or outside the
    source CRS's area (pyproj gives no finite answer).

Cells are read in the mapping's ``crs`` (WGS-84 for lon/lat when none is given), geometries
in the file's CRS (the mapping's ``crs`` when the file has none) and transformed with pyproj
(``always_xy``), all at once. A source in a Chinese map datum (``gcj02``: AMap, Tencent;
``bd09``: Baidu) then has that datum's offset removed (:mod:`gis.crs`): the CRS says how the
numbers are written, the datum which Earth they are on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from gis.crs import datum_to_wgs84_array
from gis.errors import GeometryTypeError, MissingCrsError
from gis.incidents.mapping import ColumnMapping
from gis.incidents.sources import SourceTable

FloatArray = npt.NDArray[np.float64]
WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Located:
    """Coordinates of one file's rows.

    Attributes
    ----------
    lon, lat : numpy.ndarray of float64
        WGS-84 degrees; NaN where the row has a problem.
    reason : pandas.Series of str
        ``""`` or the reason code.
    message : pandas.Series of str
        ``""`` or what was wrong, naming the values.
    """

    lon: FloatArray
    lat: FloatArray
    reason: pd.Series
    message: pd.Series


def locate(table: SourceTable, mapping: ColumnMapping, *, datum: str = "wgs84") -> Located:
    """Turn a file's coordinate cells (or geometries) into WGS-84 longitude and latitude.

    Parameters
    ----------
    table : SourceTable
        The file's rows.
    mapping : ColumnMapping
        A complete mapping bound to the file's headers. Without coordinate columns the
        point geometries are used.
    datum : {"wgs84", "gcj02", "bd09"}, keyword-only
        The datum of the source's degrees (after its CRS is undone).

    Returns
    -------
    Located

    Raises
    ------
    GeometryTypeError
        The file holds geometries other than points.
    MissingCrsError
        The geometries have no CRS and the mapping names none.
    """
    index = table.values.index
    reason = pd.Series("", index=index, dtype=str)
    message = pd.Series("", index=index, dtype=str)
    columns = (mapping.lon, mapping.lat) if mapping.lon is not None else (mapping.x, mapping.y)
    if columns[0] is not None and columns[1] is not None:
        crs = mapping.crs or WGS84
        x_text = table.values[columns[0]].str.strip()
        y_text = table.values[columns[1]].str.strip()
        empty = x_text.eq("") | y_text.eq("")
        reason[empty] = "no_coordinates"
        message[empty] = f"no coordinates: {columns[0]!r} or {columns[1]!r} is empty"
        x = pd.to_numeric(x_text, errors="coerce").to_numpy(dtype=np.float64)
        y = pd.to_numeric(y_text, errors="coerce").to_numpy(dtype=np.float64)
        shown = x_text + ", " + y_text
    else:
        x, y, crs, empty = _geometry_coordinates(table, mapping)
        reason[empty] = "no_coordinates"
        message[empty] = "no coordinates: the feature has no point geometry"
        shown = pd.Series(x, index=index).astype(str) + ", " + pd.Series(y, index=index).astype(
            str)
    unreadable = ~empty & ~(np.isfinite(x) & np.isfinite(y))
    reason[unreadable] = "bad_coordinates"
    message[unreadable] = "coordinates '" + shown[unreadable] + "' are not finite numbers"
    zero = ~empty & ~unreadable & (x == 0) & (y == 0)
    reason[zero] = "zero_coordinates"
    message[zero] = "coordinates are 0, 0 (a placeholder for an unknown place)"
    lon, lat = datum_to_wgs84_array(datum, *_to_wgs84(x, y, crs))
    usable = (~empty & ~unreadable & ~zero).to_numpy()
    outside = usable & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180.0)
                         & (np.abs(lat) <= 90.0))
    reason[outside] = "coordinates_out_of_range"
    message[outside] = ("coordinates '" + shown[outside] + f"' ({crs}) are not a place on "
                        "Earth (WGS-84 longitude must be in [-180, 180], latitude in [-90, 90])")
    bad = reason.ne("").to_numpy()
    lon[bad] = np.nan
    lat[bad] = np.nan
    return Located(lon, lat, reason, message)


def _geometry_coordinates(table: SourceTable, mapping: ColumnMapping,
                          ) -> tuple[FloatArray, FloatArray, str, pd.Series]:
    geometry = table.geometry
    index = table.values.index
    if geometry is None:
        nothing = np.full(len(index), np.nan)
        return nothing, nothing.copy(), WGS84, pd.Series(True, index=index)
    array = geometry.array
    missing = shapely.is_missing(array) | shapely.is_empty(array)
    kinds = shapely.get_type_id(array)
    wrong = ~missing & (kinds != shapely.GeometryType.POINT)
    if wrong.any():
        found = sorted(set(geometry[wrong].geom_type))
        raise GeometryTypeError(f"{table.label}: incidents must be points, found {found}")
    if geometry.crs is None and mapping.crs is None:
        raise MissingCrsError(f"{table.label} has no CRS; give the mapping a crs")
    crs = mapping.crs if geometry.crs is None else pyproj.CRS(geometry.crs).to_string()
    assert crs is not None
    x = np.where(missing, np.nan, shapely.get_x(array)).astype(np.float64)
    y = np.where(missing, np.nan, shapely.get_y(array)).astype(np.float64)
    return x, y, crs, pd.Series(missing, index=index)


def _to_wgs84(x: FloatArray, y: FloatArray, crs: str) -> tuple[FloatArray, FloatArray]:
    source = pyproj.CRS(crs)
    if source.equals(pyproj.CRS(WGS84), ignore_axis_order=True):
        return x.astype(np.float64, copy=True), y.astype(np.float64, copy=True)
    transformer = pyproj.Transformer.from_crs(source, WGS84, always_xy=True)
    lon, lat = transformer.transform(x, y, errcheck=False)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
