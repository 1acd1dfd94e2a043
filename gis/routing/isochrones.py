"""Isochrones: the edges and area reachable from a node or a point within a travel time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.ops import substring

from gis.errors import GraphError
from gis.routing.snapping import Snap, Snapping

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Isochrone:
    """What can be reached from a node or a point within ``max_travel_s`` seconds.

    Attributes
    ----------
    max_travel_s : float
        The time limit in seconds.
    edges : pandas.DataFrame
        One row per reachable edge: ``edge_id``, ``reached_s`` (seconds at which the edge
        is first entered, from u or, if two-way, from v; 0 for the edge a point was
        snapped to) and ``fully_reachable`` (every point of the edge is reached within the
        limit), sorted by ``reached_s`` then ``edge_id``.
    polygon : shapely.Polygon or shapely.MultiPolygon
        Lon/lat (EPSG:4326): the reachable parts of the edges (partial edges cut at the
        point the limit is hit) and the source node or snapped point, simplified by
        ``buffer_m / 8``, buffered by ``buffer_m`` metres in the graph's UTM zone and
        dissolved. A road corridor, not a convex or concave hull: blocks between reachable
        streets are only covered where the buffers meet.
    """

    max_travel_s: float
    edges: pd.DataFrame
    polygon: Polygon | MultiPolygon


class Reachability(Snapping):
    """What is reachable within a travel time: the isochrone queries of `RoadGraph`.

    `isochrone`, `reachable_from_point` and `isochrone_from_point`: times in seconds,
    polygons in EPSG:4326, buffered by metres in the graph's UTM zone.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `RoadGraphBase.from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable.
    """

    def isochrone(self, source_node: int, *, max_travel_s: float,
                  buffer_m: float = 40.0) -> Isochrone:
        """Edges and area reachable from a node within a travel time.

        Parameters
        ----------
        source_node : int
            Node id to start from.
        max_travel_s : float
            Time limit in seconds (>= 0).
        buffer_m : float, optional
            Half-width in metres of the corridor drawn around reachable roads.

        Returns
        -------
        Isochrone
            Edges with ``reached_s <= max_travel_s`` and their EPSG:4326 polygon.

        Raises
        ------
        UnknownNode
            When ``source_node`` is not in the graph.
        GraphError
            On a negative or non-finite ``max_travel_s``, or a ``buffer_m`` that is not a
            finite number > 0.
        """
        _check_limits(max_travel_s, buffer_m=buffer_m)
        source = self._index(source_node)
        node_s = self._node_times_within([(source, 0.0)], max_travel_s)
        rows, table = self._reached_edges(node_s, max_travel_s)
        origin = Point(*self._to_m.transform(self._node_lon[source], self._node_lat[source]))
        pieces = [origin, *self._pieces_of(rows, node_s, max_travel_s)]
        return Isochrone(max_travel_s=float(max_travel_s), edges=table,
                         polygon=self._corridor(pieces, buffer_m))

    def reachable_from_point(self, lon: float, lat: float, *, max_travel_s: float,
                             max_snap_m: float = 500.0) -> pd.DataFrame:
        """Edges reachable from a point (snapped to the road) within a travel time.

        The `isochrone` edge table, without its polygon (drawing it costs ~0.2 s), and
        starting part-way along the snapped edge as `travel_times_from_point` does:
        leaving towards v (and towards u if two-way), each exit paying its share of the
        edge's ``travel_s``. Same approximations as there.

        Parameters
        ----------
        lon, lat : float
            EPSG:4326 degrees.
        max_travel_s : float
            Time limit in seconds (>= 0).
        max_snap_m : float, optional
            Largest accepted distance in metres from the point to the road.

        Returns
        -------
        pandas.DataFrame
            ``edge_id``, ``reached_s`` (seconds from the point until the edge is first
            entered; 0 for the snapped edge) and ``fully_reachable`` (every point of the
            edge is reached within the limit, the snapped edge's behind a one-way start
            included), sorted by ``reached_s`` then ``edge_id``.

        Raises
        ------
        TooFarFromRoad
            When no edge lies within ``max_snap_m`` of the point.
        GraphError
            On a negative or non-finite ``max_travel_s``.
        """
        _check_limits(max_travel_s)
        start = self.snap(lon, lat, max_distance_m=max_snap_m)
        node_s = self._node_times_within([(n, s) for n, s, _ in self._exits(start)],
                                         max_travel_s)
        return self._reached_edges(node_s, max_travel_s, start=start)[1]

    def isochrone_from_point(self, lon: float, lat: float, *, max_travel_s: float,
                             buffer_m: float = 40.0, max_snap_m: float = 500.0) -> Isochrone:
        """Edges and area reachable from a point (snapped to the road) within a time.

        `reachable_from_point` plus the polygon of `isochrone`; the snapped edge is
        covered from the snapped point outwards (both ways if two-way) and from its ends.

        Parameters
        ----------
        lon, lat : float
            EPSG:4326 degrees.
        max_travel_s : float
            Time limit in seconds (>= 0).
        buffer_m : float, optional
            Half-width in metres of the corridor drawn around reachable roads.
        max_snap_m : float, optional
            Largest accepted distance in metres from the point to the road.

        Returns
        -------
        Isochrone
            Edges with ``reached_s <= max_travel_s`` and their EPSG:4326 polygon.

        Raises
        ------
        TooFarFromRoad
            When no edge lies within ``max_snap_m`` of the point.
        GraphError
            On a negative or non-finite ``max_travel_s``, or a ``buffer_m`` that is not a
            finite number > 0.
        """
        _check_limits(max_travel_s, buffer_m=buffer_m)
        start = self.snap(lon, lat, max_distance_m=max_snap_m)
        node_s = self._node_times_within([(n, s) for n, s, _ in self._exits(start)],
                                         max_travel_s)
        rows, table = self._reached_edges(node_s, max_travel_s, start=start)
        row = self._row(start.edge_id)
        line = self._edge_geometry_m[row]
        pieces = [line.interpolate(start.fraction, normalized=True),
                  *self._pieces_of(rows, node_s, max_travel_s)]
        cost = float(self._edge_travel_s[row])
        share = 1.0 if cost == 0 else min(1.0, max_travel_s / cost)
        behind = start.fraction if self._edge_oneway[row] else max(0.0, start.fraction - share)
        pieces.append(substring(line, behind, min(1.0, start.fraction + share),
                                normalized=True))
        return Isochrone(max_travel_s=float(max_travel_s), edges=table,
                         polygon=self._corridor(pieces, buffer_m))

    def _node_times_within(self, starts: list[tuple[int, float]],
                           max_travel_s: float) -> _FloatArray:
        """Seconds to every node from the nearest of ``starts``.

        ``starts`` holds (node index, seconds to it); ``inf`` beyond ``max_travel_s``: one
        bounded Dijkstra per start.
        """
        usable = [(node, offset) for node, offset in starts if offset <= max_travel_s]
        if not usable:
            return np.full(self.node_count, np.inf)
        nodes = np.array([node for node, _ in usable], dtype=np.int64)
        offsets = np.array([offset for _, offset in usable])
        # every time within the limit after its offset is within this looser limit
        found = dijkstra(self._arcs.matrix, indices=nodes,
                         limit=max_travel_s - float(offsets.min()))
        node_s: _FloatArray = np.min(found + offsets[:, None], axis=0)
        node_s[node_s > max_travel_s] = np.inf
        return node_s

    def _reached_edges(self, node_s: _FloatArray, max_travel_s: float,
                       start: Snap | None = None) -> tuple[_IntArray, pd.DataFrame]:
        """Rows and table (see `Isochrone.edges`) of the edges entered within the limit.

        Given the seconds to every node; from a point, its snapped edge at 0 s.
        """
        at_u, at_v = node_s[self._edge_u], node_s[self._edge_v]
        cost = self._edge_travel_s
        oneway = self._edge_oneway
        reached_s = np.where(oneway, at_u, np.minimum(at_u, at_v))
        # the last point of the edge reached: where the fronts from u and v meet
        farthest_s = np.where(oneway, at_u + cost,
                              np.minimum(np.minimum(at_u, at_v) + cost, (at_u + at_v + cost) / 2))
        if start is not None:
            row, fraction = self._row(start.edge_id), start.fraction
            reached_s[row] = 0.0
            farthest_s[row] = self._farthest_on_start_edge(row, fraction, float(at_u[row]),
                                                           float(at_v[row]))
        rows = np.flatnonzero(reached_s <= max_travel_s)
        table = pd.DataFrame({"edge_id": self._edge_ids[rows], "reached_s": reached_s[rows],
                              "fully_reachable": farthest_s[rows] <= max_travel_s})
        return rows, table.sort_values(["reached_s", "edge_id"], ignore_index=True)

    def _farthest_on_start_edge(self, row: int, fraction: float, at_u: float,
                                at_v: float) -> float:
        """Seconds until every point of the snapped edge is reached from the snapped point.

        Beyond the point (towards v) the edge is driven directly and, if two-way, also
        entered from v; behind it, on a two-way edge, driven back directly and entered
        from u, each stretch last reached where its two fronts meet. Behind the point on
        a one-way edge only u leads in: at ``at_u`` plus the stretch up to the point.
        """
        cost = float(self._edge_travel_s[row])
        if self._edge_oneway[row]:
            return max((1 - fraction) * cost, at_u + fraction * cost if fraction > 0 else 0.0)
        return max((at_v + (1 - fraction) * cost) / 2, (at_u + fraction * cost) / 2)

    def _pieces_of(self, rows: _IntArray, node_s: _FloatArray,
                   max_travel_s: float) -> list[Any]:
        """The parts (UTM) of edges ``rows`` reachable from their ends within the limit."""
        at_u, at_v = node_s[self._edge_u], node_s[self._edge_v]
        pieces: list[Any] = []
        for row in rows.tolist():
            pieces.extend(self._reachable_pieces(row, float(at_u[row]), float(at_v[row]),
                                                 max_travel_s))
        return pieces

    def _reachable_pieces(self, row: int, at_u: float, at_v: float,
                          max_travel_s: float) -> list[Any]:
        """The parts (UTM) of edge ``row`` reachable within ``max_travel_s``."""
        line = self._edge_geometry_m[row]
        cost = self._edge_travel_s[row]
        if cost == 0:
            return [line]
        from_u = (max_travel_s - at_u) / cost
        from_v = (max_travel_s - at_v) / cost if not self._edge_oneway[row] else -1.0
        if from_u + from_v >= 1 or from_u >= 1 or from_v >= 1:
            return [line]
        pieces = []
        if from_u >= 0:
            pieces.append(substring(line, 0.0, from_u, normalized=True))
        if from_v >= 0:
            pieces.append(substring(line, 1.0 - from_v, 1.0, normalized=True))
        return pieces

    def _corridor(self, pieces: list[Any], buffer_m: float) -> Any:
        """The EPSG:4326 area within ``buffer_m`` of the UTM ``pieces``."""
        # Simplifying by buffer_m / 8 first moves the outline by at most that and makes the
        # dissolve about twice as fast (it dominates: ~0.2 s for 3000 edges).
        lines = shapely.simplify(np.asarray(pieces, dtype=object), buffer_m / 8)
        area_m = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
        return self._geometry_to_wgs84(area_m)

    def _geometry_to_wgs84(self, geometry: Any) -> Any:
        def transform(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            lon, lat = self._to_wgs84.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        return shapely.transform(geometry, transform)


def _check_limits(max_travel_s: float, *, buffer_m: float | None = None) -> None:
    if not np.isfinite(max_travel_s) or max_travel_s < 0:
        raise GraphError(f"max_travel_s must be finite and >= 0, got {max_travel_s}")
    if buffer_m is not None and (not np.isfinite(buffer_m) or buffer_m <= 0):
        raise GraphError(f"buffer_m must be finite and > 0, got {buffer_m}")
