"""Snapping: where a point meets the road, and the ways off and onto the snapped edge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Point

from gis.errors import GraphError, TooFarFromRoad
from gis.routing.graph import RoadGraphBase

_PROBE_M = 30.0  # half-width of the box searched first when snapping many points
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Snap:
    """The point on the road network nearest to a given point.

    Attributes
    ----------
    edge_id, u, v : int
        The nearest edge and its end nodes (its geometry runs from u to v).
    distance_m : float
        Distance in metres from the given point to the road (measured in UTM).
    fraction : float
        Position along the edge from u, 0..1, as a share of its length in UTM.
    lon, lat : float
        The snapped point, EPSG:4326.
    """

    edge_id: int
    u: int
    v: int
    distance_m: float
    fraction: float
    lon: float
    lat: float


class Snapping(RoadGraphBase):
    """Snapping points to the road: the `snap` query of `RoadGraph`.

    Distances are metres measured in the graph's UTM zone; coordinates are EPSG:4326.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `RoadGraphBase.from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable.
    """

    def snap(self, lon: float, lat: float, *, max_distance_m: float = 500.0) -> Snap:
        """The nearest point on the road network.

        Parameters
        ----------
        lon, lat : float
            EPSG:4326 degrees.
        max_distance_m : float, optional
            Largest accepted distance in metres from the point to the road.

        Returns
        -------
        Snap
            The nearest edge (the lowest row among equally near ones) and the point on it.

        Raises
        ------
        TooFarFromRoad
            When no edge lies within ``max_distance_m``.
        GraphError
            When the coordinate is not finite or ``max_distance_m`` is not > 0.
        """
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise GraphError(f"not a coordinate: lon={lon}, lat={lat}")
        if not max_distance_m > 0:
            raise GraphError(f"max_distance_m must be > 0, got {max_distance_m}")
        point = Point(*self._to_m.transform(lon, lat))
        found, distance = self._tree.query_nearest(point, max_distance=max_distance_m,
                                                   return_distance=True, all_matches=True)
        if len(found) == 0:
            raise TooFarFromRoad(f"no road within {max_distance_m} m of ({lon}, {lat})")
        row = int(np.min(found))  # ties: the lowest row, so the answer is deterministic
        line = self._edge_geometry_m[row]
        fraction = float(line.project(point, normalized=True)) if line.length > 0 else 0.0
        snapped = line.interpolate(fraction, normalized=True)
        snap_lon, snap_lat = self._to_wgs84.transform(snapped.x, snapped.y)
        return Snap(edge_id=int(self._edge_ids[row]), u=int(self._node_ids[self._edge_u[row]]),
                    v=int(self._node_ids[self._edge_v[row]]), distance_m=float(distance[0]),
                    fraction=fraction, lon=float(snap_lon), lat=float(snap_lat))

    def _snap_rows(self, lon: npt.ArrayLike, lat: npt.ArrayLike, *,
                   max_distance_m: float) -> tuple[_IntArray, _FloatArray]:
        """`snap` for many points at once.

        Returns the edge row (-1 where no road lies within ``max_distance_m`` or the
        coordinate is not finite) and the fraction along it.
        """
        lons = np.asarray(lon, dtype=np.float64)
        lats = np.asarray(lat, dtype=np.float64)
        if lons.ndim != 1 or lats.shape != lons.shape:
            raise GraphError(f"expected two 1-D coordinate sequences of equal length, got "
                             f"shapes {lons.shape} and {lats.shape}")
        if not max_distance_m > 0:
            raise GraphError(f"max_distance_m must be > 0, got {max_distance_m}")
        rows = np.full(len(lons), -1, dtype=np.int64)
        fractions = np.zeros(len(lons))
        usable = np.flatnonzero(np.isfinite(lons) & np.isfinite(lats))
        if len(usable) == 0:
            return rows, fractions
        x, y = self._to_m.transform(lons[usable], lats[usable])
        points = shapely.points(x, y)
        # Most points lie near a road: measure to the edges whose boxes meet a small box
        # around the point (several times faster than nearest queries), and only ask the
        # tree for the nearest edge of the rest. Distances are GEOS's either way, so ties
        # and the answer are those of `snap`.
        which, found = self._tree.query(shapely.box(x - _PROBE_M, y - _PROBE_M,
                                                    x + _PROBE_M, y + _PROBE_M))
        distance = shapely.distance(self._edge_geometry_m[found], points[which])
        nearest_m = np.full(len(usable), np.inf)
        np.minimum.at(nearest_m, which, distance)
        far = np.flatnonzero(~(nearest_m < 0.99 * _PROBE_M))  # may have missed an edge
        if len(far):
            (far_which, far_found), far_distance = self._tree.query_nearest(
                points[far], all_matches=True, return_distance=True)
            keep = np.isin(which, far, invert=True)
            which = np.concatenate([which[keep], far[far_which]])
            found = np.concatenate([found[keep], far_found])
            distance = np.concatenate([distance[keep], far_distance])
            nearest_m[far] = np.inf
            np.minimum.at(nearest_m, far[far_which], far_distance)
        best = (distance == nearest_m[which]) & (distance <= max_distance_m)
        nearest = np.full(len(usable), len(self._edge_ids), dtype=np.int64)
        np.minimum.at(nearest, which[best], found[best])  # ties: the lowest row, as `snap`
        hit = nearest < len(self._edge_ids)
        rows[usable[hit]] = nearest[hit]
        lines = self._edge_geometry_m[nearest[hit]]
        located = np.zeros(len(lines))
        has_length = shapely.length(lines) > 0
        located[has_length] = shapely.line_locate_point(lines[has_length],
                                                        points[hit][has_length],
                                                        normalized=True)
        fractions[usable[hit]] = located
        return rows, fractions

    def _exits(self, snap: Snap) -> list[tuple[int, float, float]]:
        """Ways off the snapped edge: (node index, seconds, fraction of that node)."""
        row = self._row(snap.edge_id)
        cost = self._edge_travel_s[row]
        found = [(int(self._edge_v[row]), float((1 - snap.fraction) * cost), 1.0)]
        if not self._edge_oneway[row]:
            found.append((int(self._edge_u[row]), float(snap.fraction * cost), 0.0))
        return found

    def _entries(self, snap: Snap) -> list[tuple[int, float, float]]:
        """Ways onto the snapped edge: (node index, seconds, fraction of that node)."""
        row = self._row(snap.edge_id)
        cost = self._edge_travel_s[row]
        found = [(int(self._edge_u[row]), float(snap.fraction * cost), 0.0)]
        if not self._edge_oneway[row]:
            found.append((int(self._edge_v[row]), float((1 - snap.fraction) * cost), 1.0))
        return found

    def _direct_on_edge(self, start: Snap, end: Snap) -> float | None:
        """Seconds to drive from start to end without leaving their common edge."""
        if start.edge_id != end.edge_id:
            return None
        row = self._row(start.edge_id)
        if end.fraction < start.fraction and self._edge_oneway[row]:
            return None
        return float(abs(end.fraction - start.fraction) * self._edge_travel_s[row])
