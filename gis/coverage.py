"""Camera coverage: the wedge a camera covers, cut by buildings, and what it sees.

A camera is a point (longitude, latitude in EPSG:4326 degrees), an azimuth (degrees
clockwise from true north, any real number, taken mod 360; ``None`` = unknown), a
horizontal field of view (degrees in (0, 360]; ``None`` = unknown) and a range in metres
(in (0, ``MAX_RANGE_M``]).

Decisions
---------
* **Metric CRS: an azimuthal equidistant projection centred on the camera** (ellipsoidal
  ``+proj=aeqd`` on WGS-84), not UTM. From its centre it keeps true geodesic distances and
  true-north bearings, so the wedge needs no grid-convergence correction (about 1.8
  degrees at Helsinki in UTM 35N) and "within ``range_m``" means on the ground. The plain
  sector's vertices are geodesic destination points (:meth:`pyproj.Geod.fwd`), which are
  the same points, and that lets :func:`coverage_sectors` draw many cameras in one
  vectorised call.
* **Unknown azimuth, unknown field of view, or a field of view of 360** give the full disc
  of the range (a camera of unknown heading may be looking anywhere).
* ``segments`` is the number of straight pieces per 90 degrees of arc, as shapely's
  ``quad_segs``: a 90-degree wedge has ``segments`` arc pieces, a full disc
  ``4 * segments``.
* **Buildings.** :func:`visible_sector` casts rays from the camera across the wedge and stops
  each at its first building; the polygon is the camera point followed by the ray ends
  (only the ray ends for a full disc). Between two rays the outline is a straight chord, so
  shadow edges are good to one ray spacing (0.5 degree for 180 rays over 90 degrees).
  :func:`sees` instead tests the one sight line to the point exactly, so near a shadow
  edge it may disagree with the polygon by that much.
* **A camera inside (or within ``OWN_BUILDING_TOLERANCE_M`` of) a footprint** is taken to be
  mounted on that building, looking out: that building is ignored for that camera. Other
  buildings still block it. A point lying on the wall of a building facing the camera (to
  the same tolerance) counts as seen; a point inside another building does not.
* Obstacles are building footprints in EPSG:4326: a GeoDataFrame (its CRS is checked) or a
  sequence of shapely polygons (their coordinates are checked to be degrees). Invalid
  footprints are repaired with ``shapely.make_valid`` rather than refused: one bad OSM
  outline must not stop a camera call-up. Null and empty geometries are skipped.
* Not handled: wedges crossing the antimeridian or reaching a pole.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.enums import TransformDirection
from shapely.geometry import MultiPolygon, Point, Polygon

from gis.crs import WGS84, require_wgs84
from gis.errors import (
    CoordinateRangeError,
    GeometryTypeError,
    InvalidAzimuthError,
    InvalidCameraRangeError,
    InvalidFieldOfViewError,
    InvalidSamplingError,
    MissingColumnError,
)

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Obstacles: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries | Sequence[Polygon | MultiPolygon]

MAX_RANGE_M = 5000.0
"""Longest camera range accepted, in metres."""
DEFAULT_RANGE_M = 50.0
"""Range given by :func:`coverage_sectors` to cameras whose ``range_m`` is missing."""
OWN_BUILDING_TOLERANCE_M = 0.1
"""A footprint this close to the camera is the building it is mounted on (ignored), and a
point this close behind the first wall on its sight line still counts as seen."""

_GEOD = pyproj.Geod(ellps="WGS84")
_COLUMNS = ("azimuth_deg", "fov_deg", "range_m")


@dataclass(frozen=True)
class View:
    """How one camera sees one point.

    Attributes
    ----------
    visible : bool
        The point is within range, inside the field of view and not behind a building.
    distance_m : float
        Geodesic distance from the camera to the point, in metres.
    off_axis_deg : float or None
        Absolute angle in degrees, in [0, 180], between the bearing camera -> point and the
        camera azimuth (0 = dead centre; 0 also when the point is the camera position).
        ``None`` when the azimuth is unknown.
    """

    visible: bool
    distance_m: float
    off_axis_deg: float | None


# -- validation ----------------------------------------------------------------------------

def _check_position(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)
            and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise CoordinateRangeError(f"camera position ({lon!r}, {lat!r}) is not EPSG:4326 "
                                   "longitude/latitude in degrees")


def _check_range(range_m: float) -> float:
    value = float(range_m)
    if not (math.isfinite(value) and 0.0 < value <= MAX_RANGE_M):
        raise InvalidCameraRangeError(
            f"range_m must be a number of metres in (0, {MAX_RANGE_M:g}], got {range_m!r}")
    return value


def _check_fov(fov_deg: float | None) -> float | None:
    if fov_deg is None:
        return None
    value = float(fov_deg)
    if not (math.isfinite(value) and 0.0 < value <= 360.0):
        raise InvalidFieldOfViewError(
            f"fov_deg must be a number of degrees in (0, 360] or None, got {fov_deg!r}")
    return value


def _check_azimuth(azimuth_deg: float | None) -> float | None:
    if azimuth_deg is None:
        return None
    value = float(azimuth_deg)
    if not math.isfinite(value):
        raise InvalidAzimuthError(f"azimuth_deg must be a finite number of degrees or None, "
                                  f"got {azimuth_deg!r}")
    return value % 360.0


def _check_count(value: int, *, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise InvalidSamplingError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _is_full_disc(azimuth_deg: float | None, fov_deg: float | None) -> bool:
    return azimuth_deg is None or fov_deg is None or fov_deg >= 360.0


def off_axis_deg(bearing_deg: npt.ArrayLike, azimuth_deg: npt.ArrayLike) -> FloatArray:
    """Smallest absolute angle between bearings and azimuths, in degrees in [0, 180].

    Parameters
    ----------
    bearing_deg, azimuth_deg : array_like
        Angles in degrees clockwise from north, any real values; broadcast together.
    """
    diff = np.asarray(bearing_deg, dtype=np.float64) - np.asarray(azimuth_deg,
                                                                    dtype=np.float64)
    return np.asarray(np.abs((diff + 180.0) % 360.0 - 180.0), dtype=np.float64)


# -- plain sectors (numeric core, vectorised over cameras) ---------------------------------

def _sector_polygons(lon: FloatArray, lat: FloatArray, azimuth_deg: FloatArray,
                     fov_deg: FloatArray, range_m: FloatArray, *,
                     segments: int) -> npt.NDArray[np.object_]:
    """Wedges for validated cameras (NaN azimuth or fov = unknown), counterclockwise rings."""
    full = np.isnan(azimuth_deg) | np.isnan(fov_deg) | (fov_deg >= 360.0)
    arc_fov = np.where(full, 360.0, fov_deg)
    arc_points = np.where(full, 4 * segments,
                          np.ceil(segments * arc_fov / 90.0 - 1e-9).astype(np.int64) + 1)
    arc_points = np.maximum(arc_points, 2).astype(np.int64)
    ring_sizes = arc_points + (~full).astype(np.int64)
    ring_starts = np.cumsum(ring_sizes) - ring_sizes

    camera_of_arc = np.repeat(np.arange(len(lon)), arc_points)
    k = np.arange(arc_points.sum()) - np.repeat(np.cumsum(arc_points) - arc_points, arc_points)
    steps = np.where(full, arc_points, arc_points - 1)[camera_of_arc]
    start = np.where(full, 0.0, np.nan_to_num(azimuth_deg) + arc_fov / 2.0)[camera_of_arc]
    # Decreasing bearings run counterclockwise around the camera (exterior ring rule).
    bearings = start - arc_fov[camera_of_arc] * k / steps
    arc_lon, arc_lat, _ = _GEOD.fwd(lon[camera_of_arc], lat[camera_of_arc], bearings,
                                    range_m[camera_of_arc])

    coords = np.empty((int(ring_sizes.sum()), 2), dtype=np.float64)
    arc_slots = ring_starts[camera_of_arc] + (~full)[camera_of_arc] + k
    coords[arc_slots, 0] = arc_lon
    coords[arc_slots, 1] = arc_lat
    centre_slots = ring_starts[~full]
    coords[centre_slots, 0] = lon[~full]
    coords[centre_slots, 1] = lat[~full]
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(lon)), ring_sizes))
    return np.asarray(shapely.polygons(rings), dtype=np.object_)


def coverage_sector(lon: float, lat: float, *, azimuth_deg: float | None,
                    fov_deg: float | None, range_m: float, segments: int = 32) -> Polygon:
    """Draw the wedge a camera covers, ignoring buildings.

    Parameters
    ----------
    lon, lat : float
        Camera position, EPSG:4326 degrees.
    azimuth_deg : float or None
        Optical axis, degrees clockwise from true north; any real value (taken mod 360).
        ``None`` (unknown) gives the full disc.
    fov_deg : float or None
        Horizontal field of view in degrees, in (0, 360]. ``None`` or 360 gives the full
        disc.
    range_m : float
        Radius in metres, in (0, ``MAX_RANGE_M``].
    segments : int, default 32
        Straight pieces per 90 degrees of arc.

    Returns
    -------
    shapely.Polygon
        EPSG:4326. The camera point, then the arc from ``azimuth + fov/2`` back to
        ``azimuth - fov/2`` (a counterclockwise ring); for the full disc only the arc. Arc
        vertices lie exactly ``range_m`` (geodesic) from the camera.

    Raises
    ------
    CoordinateRangeError, InvalidAzimuthError, InvalidFieldOfViewError,
    InvalidCameraRangeError, InvalidSamplingError
        A position that is not degrees, or an out-of-range parameter.
    """
    _check_position(lon, lat)
    azimuth = _check_azimuth(azimuth_deg)
    fov = _check_fov(fov_deg)
    radius_m = _check_range(range_m)
    segments = _check_count(segments, name="segments", minimum=1)
    polygons = _sector_polygons(
        np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64),
        np.array([np.nan if azimuth is None else azimuth]),
        np.array([np.nan if fov is None else fov]), np.array([radius_m]), segments=segments)
    sector: Polygon = polygons[0]
    return sector


def coverage_sectors(cameras: gpd.GeoDataFrame, *, default_range_m: float = DEFAULT_RANGE_M,
                     segments: int = 32) -> gpd.GeoSeries:
    """Draw the wedges of many cameras at once (buildings ignored).

    Parameters
    ----------
    cameras : geopandas.GeoDataFrame
        Point geometries in EPSG:4326 with columns ``azimuth_deg`` (degrees clockwise from
        north), ``fov_deg`` (degrees) and ``range_m`` (metres). Missing values (NaN/None)
        mean unknown: an unknown azimuth or field of view gives the full disc, an unknown
        range ``default_range_m``.
    default_range_m : float, default ``DEFAULT_RANGE_M`` (50 m)
        Range in metres for cameras without one: a short, conservative reach for cameras
        whose data was never surveyed.
    segments : int, default 32
        Straight pieces per 90 degrees of arc.

    Returns
    -------
    geopandas.GeoSeries
        One polygon per camera, same index, EPSG:4326; as :func:`coverage_sector`.

    Raises
    ------
    MissingCrsError, CrsMismatchError
        ``cameras`` has no CRS or is not EPSG:4326.
    MissingColumnError
        One of the three columns is absent.
    GeometryTypeError
        A geometry is not a non-empty point.
    InvalidAzimuthError, InvalidFieldOfViewError, InvalidCameraRangeError,
    InvalidSamplingError
        A value out of range (the message names the row).
    """
    require_wgs84(cameras, what="cameras")
    missing = [column for column in _COLUMNS if column not in cameras.columns]
    if missing:
        raise MissingColumnError(f"cameras lacks column(s) {missing}; expected {_COLUMNS}")
    default = _check_range(default_range_m)
    segments = _check_count(segments, name="segments", minimum=1)
    geoms = cameras.geometry.array
    not_points = cameras.index[np.asarray(shapely.get_type_id(geoms) != 0)
                               | np.asarray(shapely.is_empty(geoms))]
    if len(not_points):
        raise GeometryTypeError(f"cameras must be non-empty points; rows {list(not_points)} "
                                "are not")
    lon = np.asarray(shapely.get_x(geoms), dtype=np.float64)
    lat = np.asarray(shapely.get_y(geoms), dtype=np.float64)
    values = {column: np.asarray(cameras[column].to_numpy(dtype=np.float64, na_value=np.nan))
              for column in _COLUMNS}
    azimuth, fov = values["azimuth_deg"], values["fov_deg"]
    range_m = np.where(np.isnan(values["range_m"]), default, values["range_m"])
    checks: list[tuple[npt.NDArray[np.bool_], type[ValueError], str]] = [
        (np.isinf(azimuth), InvalidAzimuthError, "azimuth_deg must be finite"),
        (~np.isnan(fov) & ~((fov > 0.0) & (fov <= 360.0)), InvalidFieldOfViewError,
         "fov_deg must be in (0, 360]"),
        (~((range_m > 0.0) & (range_m <= MAX_RANGE_M)), InvalidCameraRangeError,
         f"range_m must be in (0, {MAX_RANGE_M:g}]"),
        (~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)), CoordinateRangeError,
         "positions must be longitude/latitude in degrees"),
    ]
    for bad, error, message in checks:
        if bad.any():
            raise error(f"{message}; rows {list(cameras.index[bad])} are not")
    polygons = _sector_polygons(lon, lat, azimuth % 360.0, fov, range_m, segments=segments)
    return gpd.GeoSeries(polygons, index=cameras.index, crs=WGS84)


# -- obstacles -----------------------------------------------------------------------------

def _local_crs(lon: float, lat: float) -> pyproj.CRS:
    """Azimuthal equidistant CRS centred on the camera; x east, y north, metres."""
    return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +datum=WGS84 "
                                 "+units=m +no_defs")


def _search_box(lon: float, lat: float, range_m: float) -> Polygon:
    """A lon/lat box holding the disc of ``range_m`` around the camera, with 1 % to spare."""
    box_lon, box_lat, _ = _GEOD.fwd([lon] * 4, [lat] * 4, [0.0, 90.0, 180.0, 270.0],
                                    [1.01 * range_m] * 4)
    return shapely.box(min(box_lon), min(box_lat), max(box_lon), max(box_lat))


def _obstacles_near(obstacles: Obstacles | None, search_area: Polygon) -> list[Any]:
    """Footprints (EPSG:4326) whose bounding box meets ``search_area``, repaired if invalid."""
    if obstacles is None:
        return []
    if isinstance(obstacles, gpd.GeoDataFrame | gpd.GeoSeries):
        require_wgs84(obstacles, what="obstacles")
        geoms = np.asarray(obstacles.geometry.array, dtype=np.object_)
        candidates = geoms[obstacles.sindex.query(search_area)]
    else:
        geoms = np.asarray(list(obstacles), dtype=np.object_)
        if len(geoms) and not all(g is None or isinstance(g, shapely.Geometry) for g in geoms):
            raise GeometryTypeError("obstacles must be shapely polygons")
        bounds = shapely.bounds(geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)])
        if not (np.all(np.abs(bounds[:, [0, 2]]) <= 180.0)
                and np.all(np.abs(bounds[:, [1, 3]]) <= 90.0)):
            raise CoordinateRangeError("obstacle coordinates are not EPSG:4326 degrees; "
                                       "pass a GeoDataFrame with its CRS set")
        candidates = geoms[shapely.STRtree(geoms).query(search_area)] if len(geoms) else geoms
    candidates = candidates[~shapely.is_missing(candidates) & ~shapely.is_empty(candidates)]
    type_ids = shapely.get_type_id(candidates)
    if np.any((type_ids != 3) & (type_ids != 6)):
        raise GeometryTypeError("obstacles must be Polygon or MultiPolygon footprints")
    invalid = ~shapely.is_valid(candidates)
    if invalid.any():
        logger.debug("repairing %d invalid obstacle footprint(s)", int(invalid.sum()))
        candidates[invalid] = shapely.make_valid(candidates[invalid])
    return list(candidates)


def _blocking_in_local(lon: float, lat: float, obstacles: Obstacles | None,
                       range_m: float) -> tuple[pyproj.Transformer, Any]:
    """Transformer to the camera's AEQD CRS and the footprints there that can block it."""
    to_local = pyproj.Transformer.from_crs(WGS84, _local_crs(lon, lat), always_xy=True)
    near = _obstacles_near(obstacles, _search_box(lon, lat, range_m))
    local = np.asarray(shapely.transform(np.asarray(near, dtype=np.object_),
                                         lambda xy: np.column_stack(
                                             to_local.transform(xy[:, 0], xy[:, 1]))),
                       dtype=np.object_)
    own = shapely.dwithin(local, Point(0.0, 0.0), OWN_BUILDING_TOLERANCE_M)
    return to_local, local[~np.asarray(own, dtype=bool)]


def _first_hits_m(ends_xy: FloatArray, blocking: Any) -> FloatArray:
    """Distance from the local origin along each ray to its first obstacle (inf: none)."""
    rays = shapely.linestrings(np.stack([np.zeros_like(ends_xy), ends_xy], axis=1))
    reach = np.full(len(ends_xy), np.inf)
    if len(blocking) == 0:
        return reach
    ray_index, obstacle_index = shapely.STRtree(blocking).query(rays, predicate="intersects")
    if len(ray_index):
        hits = shapely.intersection(rays[ray_index], blocking[obstacle_index])
        np.minimum.at(reach, ray_index, shapely.distance(Point(0.0, 0.0), hits))
    return reach


# -- visibility ----------------------------------------------------------------------------

def visible_sector(lon: float, lat: float, *, azimuth_deg: float | None,
                   fov_deg: float | None, range_m: float, obstacles: Obstacles,
                   segments: int = 32, rays: int = 180) -> Polygon | MultiPolygon:
    """Draw the part of a camera's wedge not hidden behind buildings.

    Rays are cast from the camera, in its azimuthal equidistant CRS, at evenly spaced
    bearings across the wedge (edges included; around the whole circle for the full disc),
    each stopping at its first crossing of a footprint or at ``range_m``.

    Parameters
    ----------
    lon, lat, azimuth_deg, fov_deg, range_m, segments
        As :func:`coverage_sector` (degrees, EPSG:4326; metres).
    obstacles : geopandas.GeoDataFrame or sequence of shapely polygons
        Building footprints in EPSG:4326 (a GeoDataFrame must say so). The footprint the
        camera stands in or on is ignored (see the module notes).
    rays : int, default 180
        Number of rays; raised to the number of arc vertices :func:`coverage_sector` would
        use, so the outline is never coarser than the plain wedge.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        EPSG:4326: the camera point (for a wedge) followed by the ray ends. A MultiPolygon
        only if rounding in the reprojection makes the outline invalid and it is repaired.

    Raises
    ------
    MissingCrsError, CrsMismatchError, CoordinateRangeError, GeometryTypeError
        Obstacles without/with another CRS, not in degrees, or not polygons.
    InvalidAzimuthError, InvalidFieldOfViewError, InvalidCameraRangeError,
    InvalidSamplingError
        As :func:`coverage_sector`; ``rays`` below 2.
    """
    _check_position(lon, lat)
    azimuth, fov = _check_azimuth(azimuth_deg), _check_fov(fov_deg)
    radius_m = _check_range(range_m)
    segments = _check_count(segments, name="segments", minimum=1)
    rays = _check_count(rays, name="rays", minimum=2)
    to_local, blocking = _blocking_in_local(lon, lat, obstacles, radius_m)

    full = azimuth is None or fov is None or fov >= 360.0
    if azimuth is None or fov is None or full:
        count = max(rays, 4 * segments)
        bearings = -360.0 * np.arange(count) / count
    else:
        count = max(rays, math.ceil(segments * fov / 90.0 - 1e-9) + 1)
        bearings = azimuth + fov / 2.0 - fov * np.arange(count) / (count - 1)
    radians = np.radians(bearings)
    unit = np.column_stack([np.sin(radians), np.cos(radians)])
    reach = np.minimum(_first_hits_m(unit * radius_m, blocking), radius_m)
    ends = unit * reach[:, None]
    ring_local = ends if full else np.vstack([[0.0, 0.0], ends])
    ring_lon, ring_lat = to_local.transform(ring_local[:, 0], ring_local[:, 1],
                                            direction=TransformDirection.INVERSE)
    if not full:
        ring_lon[0], ring_lat[0] = lon, lat
    polygon = Polygon(np.column_stack([ring_lon, ring_lat]))
    if polygon.is_valid:
        return polygon
    repaired = shapely.make_valid(polygon)
    parts = [g for g in getattr(repaired, "geoms", [repaired]) if isinstance(g, Polygon)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def sees(point_lon: float, point_lat: float, *, camera_lon: float, camera_lat: float,
         azimuth_deg: float | None, fov_deg: float | None, range_m: float,
         obstacles: Obstacles | None = None) -> View:
    """Tell whether a camera sees a point, how far it is and how far off the axis.

    The sight line camera -> point is tested exactly (no ray sampling), in the camera's
    azimuthal equidistant CRS.

    Parameters
    ----------
    point_lon, point_lat : float
        The point, EPSG:4326 degrees.
    camera_lon, camera_lat, azimuth_deg, fov_deg, range_m
        The camera, as :func:`coverage_sector` (degrees, EPSG:4326; metres).
    obstacles : geopandas.GeoDataFrame or sequence of shapely polygons, optional
        Building footprints in EPSG:4326, as :func:`visible_sector`. None: nothing blocks.

    Returns
    -------
    View
        ``visible``; ``distance_m`` (geodesic, metres); ``off_axis_deg`` in [0, 180], or
        None for an unknown azimuth. The field-of-view edge itself counts as inside.

    Raises
    ------
    CoordinateRangeError
        The point or camera is not longitude/latitude in degrees.
    Others
        As :func:`visible_sector`.
    """
    _check_position(camera_lon, camera_lat)
    _check_position(point_lon, point_lat)
    azimuth, fov = _check_azimuth(azimuth_deg), _check_fov(fov_deg)
    radius_m = _check_range(range_m)
    bearing, _, distance = _GEOD.inv(camera_lon, camera_lat, point_lon, point_lat)
    distance_m = float(distance)
    off_axis: float | None = None
    if azimuth is not None:
        off_axis = 0.0 if distance_m == 0.0 else float(off_axis_deg(bearing, azimuth))
    in_view = (_is_full_disc(azimuth, fov) or off_axis is None or fov is None
               or off_axis <= fov / 2.0 + 1e-9)
    if distance_m > radius_m or not in_view:
        return View(visible=False, distance_m=distance_m, off_axis_deg=off_axis)
    to_local, blocking = _blocking_in_local(camera_lon, camera_lat, obstacles, radius_m)
    end_x, end_y = to_local.transform(point_lon, point_lat)
    first_hit_m = _first_hits_m(np.array([[end_x, end_y]], dtype=np.float64), blocking)[0]
    visible = bool(first_hit_m >= math.hypot(end_x, end_y) - OWN_BUILDING_TOLERANCE_M)
    return View(visible=visible, distance_m=distance_m, off_axis_deg=off_axis)
