"""Routes: the fastest drivable path between two nodes or two snapped points, with its line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point
from shapely.ops import substring

from gis.errors import NoRoute
from gis.routing.snapping import Snap, Snapping


@dataclass(frozen=True)
class Route:
    """A drivable route.

    Attributes
    ----------
    eta_s : float
        Travel time in seconds.
    distance_m : float
        Length in metres (from the edges' ``length_m``).
    node_ids : list of int
        OSM node ids in travel order.
    edge_ids : list of int
        Edge ids in travel order; for point-to-point routes the first and last edges are
        the (partially driven) edges the points were snapped to.
    geometry : shapely.LineString
        Lon/lat (EPSG:4326) in travel order; edges driven v->u are reversed.
    """

    eta_s: float
    distance_m: float
    node_ids: list[int]
    edge_ids: list[int]
    geometry: LineString


class Routing(Snapping):
    """Fastest routes: the `route` and `route_between_points` queries of `RoadGraph`.

    Times in seconds, lengths in metres, lines in EPSG:4326 in travel order.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `RoadGraphBase.from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable.
    """

    def route(self, source_node: int, target_node: int) -> Route:
        """The fastest route between two nodes.

        Parameters
        ----------
        source_node, target_node : int
            Node ids.

        Returns
        -------
        Route
            Seconds, metres, the nodes and edges driven and an EPSG:4326 LineString in
            travel order. From a node to itself: no edges and a zero-length line.

        Raises
        ------
        NoRoute
            When the target cannot be reached.
        UnknownNode
            When a node id is not in the graph.
        """
        source, target = self._index(source_node), self._index(target_node)
        return self._route(source, target)

    def route_between_points(self, from_lon: float, from_lat: float, to_lon: float,
                             to_lat: float, *, max_snap_m: float = 500.0) -> Route:
        """The fastest route between two points, each snapped to the road.

        The route starts and ends part-way along the snapped edges (only towards v on a
        oneway edge); its ``eta_s`` and ``distance_m`` include those partial edges and its
        geometry starts and ends at the snapped points. Same approximations as
        `travel_times_from_point`.

        Parameters
        ----------
        from_lon, from_lat : float
            The start, EPSG:4326 degrees.
        to_lon, to_lat : float
            The end, EPSG:4326 degrees.
        max_snap_m : float, optional
            Largest accepted distance in metres from a point to the road.

        Returns
        -------
        Route
            Seconds, metres, the node ids passed, the edge ids driven (the snapped edges
            first and last) and an EPSG:4326 LineString from the start's snapped point to
            the end's. When both points lie on one edge and driving along it is fastest:
            no node ids and that one edge id.

        Raises
        ------
        NoRoute
            When the second point cannot be reached from the first.
        TooFarFromRoad
            When either point has no road within ``max_snap_m``.
        GraphError
            When a coordinate is not finite.
        """
        start = self.snap(from_lon, from_lat, max_distance_m=max_snap_m)
        end = self.snap(to_lon, to_lat, max_distance_m=max_snap_m)
        start_row, end_row = self._row(start.edge_id), self._row(end.edge_id)
        exits, entries = self._exits(start), self._entries(end)
        table = self._hierarchy.table(np.array([n for n, _, _ in exits], dtype=np.int64),
                                      np.array([n for n, _, _ in entries], dtype=np.int64))
        total = (np.array([c for _, c, _ in exits])[:, None] + table
                 + np.array([c for _, c, _ in entries])[None, :])
        best = np.unravel_index(np.argmin(total), total.shape)
        direct = self._direct_on_edge(start, end)
        if direct is not None and direct <= total[best]:
            return self._partial_route(start_row, start, end, direct)
        if not np.isfinite(total[best]):
            raise NoRoute(f"no route from ({from_lon}, {from_lat}) to ({to_lon}, {to_lat})")
        exit_node, exit_s, exit_frac = exits[int(best[0])]
        entry_node, entry_s, entry_frac = entries[int(best[1])]
        middle = self._route(exit_node, entry_node)
        head = self._edge_part(start_row, start, exit_frac)
        tail = self._edge_part(end_row, end, entry_frac)[::-1]
        coords = np.concatenate([head, np.asarray(middle.geometry.coords), tail])
        return Route(
            eta_s=float(exit_s + middle.eta_s + entry_s),
            distance_m=float(abs(start.fraction - exit_frac) * self._edge_length_m[start_row]
                             + middle.distance_m
                             + abs(end.fraction - entry_frac) * self._edge_length_m[end_row]),
            node_ids=middle.node_ids, edge_ids=[start.edge_id, *middle.edge_ids, end.edge_id],
            geometry=_line(coords))

    def _route(self, source: int, target: int) -> Route:
        if source == target:
            lonlat = (self._node_lon[source], self._node_lat[source])
            return Route(eta_s=0.0, distance_m=0.0, node_ids=[int(self._node_ids[source])],
                         edge_ids=[], geometry=LineString([lonlat, lonlat]))
        eta = float(self._hierarchy.table(np.array([source]), np.array([target]))[0, 0])
        if not np.isfinite(eta):
            raise NoRoute(f"node {self._node_ids[target]} cannot be reached "
                          f"from node {self._node_ids[source]}")
        # Bounded by the known answer: only the ball of radius eta is searched.
        _, pred = dijkstra(self._arcs.matrix, indices=source, return_predecessors=True,
                           limit=eta * (1 + 1e-9) + 1e-9)
        path = [target]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        path.reverse()
        rows, reversed_ = self._arcs.edges_between(np.array(path[:-1]), np.array(path[1:]))
        coords = [self._edge_geometry[r].coords[::-1] if rev else self._edge_geometry[r].coords
                  for r, rev in zip(rows.tolist(), reversed_.tolist(), strict=True)]
        return Route(eta_s=float(self._edge_travel_s[rows].sum()),
                     distance_m=float(self._edge_length_m[rows].sum()),
                     node_ids=self._node_ids[path].tolist(),
                     edge_ids=self._edge_ids[rows].tolist(),
                     geometry=_line(np.concatenate([np.asarray(c) for c in coords])))

    def _partial_route(self, row: int, start: Snap, end: Snap, eta_s: float) -> Route:
        coords = self._edge_part(row, start, end.fraction, to=end)
        return Route(eta_s=eta_s,
                     distance_m=float(abs(end.fraction - start.fraction)
                                      * self._edge_length_m[row]),
                     node_ids=[], edge_ids=[start.edge_id], geometry=_line(coords))

    def _edge_part(self, row: int, snap: Snap, fraction: float,
                   to: Snap | None = None) -> npt.NDArray[np.float64]:
        """Lon/lat coordinates along edge ``row`` from the snapped point.

        Up to ``fraction`` (0 = u, 1 = v), or to the other snapped point ``to``.
        """
        line = self._edge_geometry[row]
        if line.length == 0:
            return np.asarray(line.coords)[:1]
        here = line.project(Point(snap.lon, snap.lat), normalized=True)
        there = fraction if to is None else line.project(Point(to.lon, to.lat), normalized=True)
        part = substring(line, here, there, normalized=True)
        return np.asarray(shapely.get_coordinates(part))


def _line(coords: npt.NDArray[np.float64]) -> LineString:
    """A LineString through ``coords`` without repeated consecutive points."""
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    coords = coords[keep]
    if len(coords) == 1:
        coords = np.concatenate([coords, coords])
    return LineString(coords)
