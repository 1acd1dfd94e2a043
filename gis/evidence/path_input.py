"""Reading a path drawn on the map or uploaded: GeoJSON or GPX, as one line.

Decisions
---------
* GeoJSON: a LineString or MultiLineString geometry, a Feature holding one, or a
  FeatureCollection whose features hold lines; GPX 1.0/1.1: the track points of every
  track segment (``trk/trkseg/trkpt``), else the route points (``rte/rtept``).
* Several lines are joined in the order given (the segments of a GPX track, the parts of
  a MultiLineString): the path is one journey.
* Coordinates are longitude/latitude in degrees; a third value (altitude) is ignored.
  At most :data:`MAX_PATH_POINTS` points and :data:`MAX_PATH_KM` km.
* GPX is parsed with defusedxml: entity expansion and external references are refused.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import pyproj
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from shapely.geometry import LineString

from gis.errors import EvidenceInputError

MAX_PATH_POINTS: Final = 20_000
"""Most points a path may have."""
MAX_PATH_KM: Final = 300.0
"""Longest path accepted, in kilometres."""
MAX_GPX_BYTES: Final = 16 * 1024 * 1024
"""Largest GPX text accepted, in bytes."""
_GEOD = pyproj.Geod(ellps="WGS84")


def line_from_geojson(value: Any, *, field: str = "path") -> LineString:
    """The path held by a GeoJSON object.

    Parameters
    ----------
    value : dict
        Decoded GeoJSON (see the module notes).
    field : str, optional
        The request field named in errors.

    Returns
    -------
    shapely.LineString
        EPSG:4326, the parts joined in order.

    Raises
    ------
    EvidenceInputError
        Not GeoJSON holding a line, coordinates that are not degrees, too few or too
        many points, or a path too long.
    """
    parts = _geojson_lines(value, field)
    points = [point for part in parts for point in part]
    return _checked_line(points, field)


def line_from_gpx(text: str | bytes, *, field: str = "gpx") -> LineString:
    """The path of a GPX document (track points, else route points).

    Parameters
    ----------
    text : str or bytes
        The GPX XML.
    field : str, optional
        The request field named in errors.

    Returns
    -------
    shapely.LineString
        EPSG:4326.

    Raises
    ------
    EvidenceInputError
        Not readable XML, not GPX, no points, or points out of range.
    """
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_GPX_BYTES:
        raise EvidenceInputError(f"the GPX is larger than {MAX_GPX_BYTES // 2**20} MB",
                                 field=field)
    try:
        root = ElementTree.fromstring(raw, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise EvidenceInputError(f"the GPX is not readable XML: {exc}", field=field) from None
    if _local(root.tag) != "gpx":
        raise EvidenceInputError("the document is not GPX (its root element is "
                                 f"<{_local(root.tag)}>)", field=field)
    points = [element for element in root.iter() if _local(element.tag) == "trkpt"]
    if not points:
        points = [element for element in root.iter() if _local(element.tag) == "rtept"]
    if not points:
        raise EvidenceInputError("the GPX holds no track or route points", field=field)
    coords = []
    for number, element in enumerate(points, start=1):
        try:
            coords.append((float(element.get("lon", "")), float(element.get("lat", ""))))
        except ValueError:
            raise EvidenceInputError(f"GPX point {number} has no numeric lat/lon",
                                     field=field) from None
    return _checked_line(coords, field)


def _geojson_lines(value: Any, field: str) -> list[list[Any]]:
    if not isinstance(value, dict):
        raise EvidenceInputError("the path must be a GeoJSON object", field=field)
    kind = value.get("type")
    if kind == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or not features:
            raise EvidenceInputError("the FeatureCollection holds no features", field=field)
        return [line for feature in features for line in _geojson_lines(feature, field)]
    if kind == "Feature":
        return _geojson_lines(value.get("geometry"), field)
    coordinates = value.get("coordinates")
    if kind == "LineString":
        return [_positions(coordinates, field)]
    if kind == "MultiLineString" and isinstance(coordinates, list):
        return [_positions(line, field) for line in coordinates]
    raise EvidenceInputError(f"the path must be a GeoJSON LineString or MultiLineString, "
                             f"not {str(kind)[:40]!r}", field=field)


def _positions(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise EvidenceInputError("a line's coordinates must be a list of positions",
                                 field=field)
    for position in value:
        if not (isinstance(position, list) and 2 <= len(position) <= 3
                and all(isinstance(v, int | float) and not isinstance(v, bool)
                        for v in position)):
            raise EvidenceInputError("every position must be [longitude, latitude]",
                                     field=field)
    return [(float(p[0]), float(p[1])) for p in value]


def _checked_line(points: list[tuple[float, float]], field: str) -> LineString:
    if len(points) > MAX_PATH_POINTS:
        raise EvidenceInputError(f"the path has {len(points)} points, more than "
                                 f"{MAX_PATH_POINTS}", field=field)
    for lon, lat in points:
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
                and -90 <= lat <= 90):
            raise EvidenceInputError(f"({lon}, {lat}) is not a longitude/latitude in "
                                     "degrees", field=field)
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    distinct = len(np.unique(xy, axis=0)) if len(xy) else 0
    if distinct < 2:
        raise EvidenceInputError("the path needs at least two distinct points", field=field)
    length_m = float(_GEOD.line_length(xy[:, 0], xy[:, 1]))
    if length_m > MAX_PATH_KM * 1000:
        raise EvidenceInputError(f"the path is {length_m / 1000:.0f} km long, more than "
                                 f"{MAX_PATH_KM:g} km", field=field)
    return LineString(xy)


def _local(tag: Any) -> str:
    """An element's name without its namespace."""
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""
