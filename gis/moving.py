"""Moving along a line: where a vehicle is after travelling a distance along a route.

A :class:`Path` is a line in EPSG:4326 (lon, lat degrees) with the great-circle length of
each segment (haversine on the WGS-84 mean radius: within 0.5 % of the ellipsoidal
distance, ample for a simulated or interpolated vehicle), so that a position, its
course and the distance along the path of the vertex nearest a point are answered in
metres without a projection. Used by the demo's terminal simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString, MultiLineString

EARTH_RADIUS_M = 6_371_008.8

_FloatArray = npt.NDArray[np.float64]


def haversine_m(lon1: _FloatArray | float, lat1: _FloatArray | float,
                lon2: _FloatArray | float, lat2: _FloatArray | float) -> _FloatArray:
    """Great-circle distances in metres between points given in degrees (EPSG:4326).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or ndarray
        Degrees; arrays broadcast.

    Returns
    -------
    ndarray
        Metres on a sphere of the WGS-84 mean radius.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))),
                      dtype=np.float64)


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial bearing from the first point to the second.

    Returns
    -------
    float
        Degrees clockwise from north (0–360); 0 for two equal points.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    if x == 0.0 and y == 0.0:
        return 0.0
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


@dataclass(frozen=True)
class Position:
    """A point on a path: where, heading where, and how far along.

    Attributes
    ----------
    lon, lat : float
        EPSG:4326 degrees.
    course_deg : float
        Heading of the segment there, clockwise from north.
    along_m : float
        Distance travelled along the path, clamped to its length.
    """

    lon: float
    lat: float
    course_deg: float
    along_m: float


@dataclass(frozen=True)
class Path:
    """A line to travel along (see the module).

    Attributes
    ----------
    coords : ndarray of shape (n, 2)
        Lon, lat of its vertices in travel order (at least one).
    cumulative_m : ndarray of shape (n,)
        Distance along the path of each vertex, from 0.
    """

    coords: _FloatArray
    cumulative_m: _FloatArray = field(repr=False)

    @classmethod
    def from_coords(cls, coords: npt.ArrayLike) -> Path:
        """A path through these ``(lon, lat)`` vertices (consecutive repeats dropped).

        Raises
        ------
        ValueError
            For no vertex, a vertex that is not two finite numbers, or one out of range.
        """
        array = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        if len(array) == 0 or not np.isfinite(array).all():
            raise ValueError("a path needs at least one vertex of finite coordinates")
        if (np.abs(array[:, 0]) > 180).any() or (np.abs(array[:, 1]) > 90).any():
            raise ValueError("path coordinates must be lon/lat degrees (EPSG:4326)")
        keep = np.ones(len(array), dtype=bool)
        keep[1:] = (np.diff(array, axis=0) != 0).any(axis=1)
        array = array[keep]
        steps = haversine_m(array[:-1, 0], array[:-1, 1], array[1:, 0], array[1:, 1])
        return cls(array, np.concatenate([[0.0], np.cumsum(steps)]))

    @classmethod
    def from_line(cls, line: LineString | MultiLineString) -> Path:
        """A path along a line; a multi-line's parts are joined in their order.

        Parameters
        ----------
        line : LineString or MultiLineString
            EPSG:4326, in travel order.
        """
        parts = line.geoms if isinstance(line, MultiLineString) else [line]
        coords = [c for part in parts for c in np.asarray(part.coords)[:, :2]]
        return cls.from_coords(coords)

    @property
    def length_m(self) -> float:
        """Length in metres."""
        return float(self.cumulative_m[-1])

    @property
    def start(self) -> tuple[float, float]:
        """The first vertex, ``(lon, lat)``."""
        return float(self.coords[0, 0]), float(self.coords[0, 1])

    @property
    def end(self) -> tuple[float, float]:
        """The last vertex, ``(lon, lat)``."""
        return float(self.coords[-1, 0]), float(self.coords[-1, 1])

    def at(self, along_m: float) -> Position:
        """The position after travelling ``along_m`` metres (clamped to the path).

        Parameters
        ----------
        along_m : float
            Metres from the start.

        Returns
        -------
        Position
            Linearly interpolated between the vertices around it (in degrees: segments
            are short); the course of that segment.
        """
        along = min(max(float(along_m), 0.0), self.length_m)
        if len(self.coords) == 1:
            lon, lat = self.start
            return Position(lon, lat, 0.0, 0.0)
        i = int(np.searchsorted(self.cumulative_m, along, side="right")) - 1
        i = min(max(i, 0), len(self.coords) - 2)
        span = self.cumulative_m[i + 1] - self.cumulative_m[i]
        share = 0.0 if span <= 0 else (along - self.cumulative_m[i]) / span
        (lon1, lat1), (lon2, lat2) = self.coords[i], self.coords[i + 1]
        return Position(float(lon1 + share * (lon2 - lon1)), float(lat1 + share * (lat2 - lat1)),
                        bearing_deg(lon1, lat1, lon2, lat2), along)

    def nearest_vertex(self, lon: float, lat: float) -> tuple[float, float]:
        """The vertex nearest a point: ``(distance along the path, metres away)``."""
        away = haversine_m(self.coords[:, 0], self.coords[:, 1], lon, lat)
        i = int(np.argmin(away))
        return float(self.cumulative_m[i]), float(away[i])

    def after(self, along_m: float) -> Path:
        """The rest of the path from ``along_m`` metres on."""
        here = self.at(along_m)
        later = self.coords[self.cumulative_m > here.along_m]
        return Path.from_coords(np.vstack([[here.lon, here.lat], later]))
