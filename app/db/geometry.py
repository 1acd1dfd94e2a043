"""Geometries at the database boundary: shapely in, EWKB (SRID 4326) out, and back.

This is the one pair of conversions between the application and PostGIS:

* :func:`to_ewkb` — a shapely geometry (or many) as EWKB with SRID 4326: a
  ``WKBElement`` for an ORM column, or, with ``hex=True``, the hex text PostGIS accepts in
  a bind parameter (``%s::geometry``) or a COPY row.
* :func:`from_ewkb` — what PostGIS hands back (``WKBElement``, ``bytes``, ``memoryview`` or
  hex text from ``ST_AsEWKB``/``ST_AsBinary``/a geometry column) as shapely.

No module builds EWKT with string formatting: a coordinate in an f-string is one repr away
from a wrong or injected geometry. GeoJSON for the API is written by PostGIS itself
(``ST_AsGeoJSON``) in the repository modules, never parsed back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

import numpy as np
import shapely
from geoalchemy2.elements import WKBElement
from shapely.geometry.base import BaseGeometry

SRID = 4326


@overload
def to_ewkb(geometry: BaseGeometry, *, hex: bool = ...) -> Any: ...


@overload
def to_ewkb(geometry: None, *, hex: bool = ...) -> None: ...


def to_ewkb(geometry: BaseGeometry | None, *, hex: bool = False) -> Any:
    """One geometry (lon/lat, EPSG:4326) as EWKB: a ``WKBElement``, or hex text with ``hex``.

    ``None`` stays ``None`` (a NULL geometry).
    """
    if geometry is None:
        return None
    if not isinstance(geometry, BaseGeometry):
        raise TypeError(f"expected a shapely geometry, got {type(geometry).__name__}")
    data = shapely.to_wkb(shapely.set_srid(geometry, SRID), include_srid=True)
    if hex:
        return data.hex()
    return WKBElement(data, srid=SRID, extended=True)


def to_ewkb_hex_many(geometries: Iterable[BaseGeometry | None] | Any) -> np.ndarray:
    """Many geometries (lon/lat) as hex EWKB, vectorised for COPY and bulk inserts.

    A GeoSeries must be in EPSG:4326 (``ValueError`` otherwise). Shapely writes binary WKB
    and Python hexes it: shapely's own hex output is several times slower. A missing
    geometry stays None.
    """
    crs = getattr(geometries, "crs", None)
    if hasattr(geometries, "crs") and (crs is None or crs.to_epsg() != SRID):
        raise ValueError("geometries must be in EPSG:4326")
    values = geometries.values if hasattr(geometries, "values") else np.asarray(
        list(geometries), dtype=object)
    wkb = shapely.to_wkb(shapely.set_srid(values, SRID), include_srid=True)
    return np.array([None if b is None else b.hex() for b in wkb], dtype=object)


def from_ewkb(value: Any) -> BaseGeometry | None:
    """A geometry from PostGIS (``WKBElement``, bytes, memoryview or hex text) as shapely."""
    if value is None:
        return None
    return shapely.from_wkb(_unwrapped(value))  # type: ignore[no-any-return]


def from_ewkb_many(values: Iterable[Any]) -> np.ndarray:
    """Many geometries from PostGIS at once (vectorised :func:`from_ewkb`).

    Bytes and hex text (what psycopg hands back) go to shapely in one call; other forms
    (``WKBElement``, ``memoryview``) are unwrapped first.
    """
    raw = np.array(list(values), dtype=object)
    if not len(raw):
        return np.array([], dtype=object)
    if not all(v is None or isinstance(v, bytes | str) for v in raw):
        raw = np.array([_unwrapped(v) for v in raw], dtype=object)
    return shapely.from_wkb(raw)  # type: ignore[no-any-return]


def _unwrapped(value: Any) -> Any:
    if isinstance(value, WKBElement):
        value = value.data
    if isinstance(value, memoryview):
        value = bytes(value)
    return value
