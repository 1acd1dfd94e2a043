"""In-memory road graph: directed, oneway-aware, travel time from speed.

`RoadGraph.from_edges` takes road edges in EPSG:4326 (one row per OSM way piece, cost in
seconds) and answers the questions dispatch asks: how long from one incident to every unit
(`travel_times_from`), from every unit's position to one incident
(`travel_times_to_point`), a many-to-many table for planning (`travel_time_table`), a
drivable route with its geometry (`route`), what is reachable within a time (`isochrone`,
`reachable_from_point`, `isochrone_from_point`), and where a point meets the road (`snap`,
plus the point-level helpers built on it).

Engine, chosen by measurement (benchmarks/routing_engines.py, benchmarks/README.md):

* one-to-many and tables run on a *core contraction hierarchy*: nodes whose contraction
  adds no more shortcuts than it removes arcs (dead ends, chains, most simple crossings)
  are contracted at build time; the rest, the core, is kept as a plain graph. A query is
  one scipy Dijkstra per source over upward arcs plus the core, then a vectorised minimum
  over each target's precomputed downward cone. Shortcuts are only omitted when an
  existing direct arc is no longer, so answers are exact (equal to a plain Dijkstra up to
  float summation order);
* many-to-one runs on the mirror image of that hierarchy (the same contraction with every
  arc reversed, built with the graph: about a tenth of its build time), so 300 units to
  one incident cost one or two Dijkstras instead of 300. Its arcs and cones also carry
  metres, which gives the driven distance of each fastest path;
* routes and isochrones run a plain scipy Dijkstra on the original arcs, bounded by the
  route's travel time (found first in the hierarchy) or by the isochrone's time limit.

All coordinates handed in and out are lon/lat in EPSG:4326; distances, snapping and buffers
are computed in the graph's local UTM zone; times are in seconds.
"""

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

from gis.errors import GraphError, TooFarFromRoad
from gis.routing.routes import Routing
from gis.routing.snapping import Snap

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


class RoadGraph(Routing):
    """A directed road graph with exact shortest travel times.

    Build it with `RoadGraph.from_edges`. Node ids are the edges' ``u``/``v`` (OSM node
    ids); an edge with ``oneway`` False can be driven both ways at the same cost.
    """

    def travel_times_from(self, source_node: int, target_nodes: npt.ArrayLike) -> _FloatArray:
        """Shortest travel times from one node to many.

        Parameters
        ----------
        source_node : int
            Node id to start from.
        target_nodes : array-like of int
            Node ids to reach.

        Returns
        -------
        numpy.ndarray
            Seconds, one per target, ``inf`` where unreachable.
        """
        times: _FloatArray = self.travel_time_table([source_node], target_nodes)[0]
        return times

    def travel_time_table(self, source_nodes: npt.ArrayLike,
                          target_nodes: npt.ArrayLike) -> _FloatArray:
        """Shortest travel times between every source and every target.

        Parameters
        ----------
        source_nodes, target_nodes : array-like of int
            Node ids.

        Returns
        -------
        numpy.ndarray
            Seconds, shape ``(len(source_nodes), len(target_nodes))``; row i, column j is
            the time from source i to target j, ``inf`` where unreachable.
        """
        return self._hierarchy.table(self._indices(source_nodes), self._indices(target_nodes))

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

    def travel_times_from_point(self, lon: float, lat: float, target_nodes: npt.ArrayLike, *,
                                max_snap_m: float = 500.0) -> _FloatArray:
        """Shortest travel times from a point (snapped to the road) to many nodes.

        The point starts part-way along its snapped edge: towards v it pays the remaining
        share of the edge's ``travel_s``, towards u (two-way edges only) the share already
        covered. Approximations: speed is uniform along an edge, and the way from the point
        to the road (``Snap.distance_m``) costs nothing.

        Returns
        -------
        numpy.ndarray
            Seconds, one per target, ``inf`` where unreachable.
        """
        exits = self._exits(self.snap(lon, lat, max_distance_m=max_snap_m))
        nodes = np.array([node for node, _, _ in exits], dtype=np.int64)
        offsets = np.array([cost for _, cost, _ in exits])
        table = self._hierarchy.table(nodes, self._indices(target_nodes))
        result: _FloatArray = np.min(table + offsets[:, None], axis=0)
        return result

    def travel_times_to_point(self, lon: float, lat: float, sources_lon: npt.ArrayLike,
                              sources_lat: npt.ArrayLike, *,
                              max_snap_m: float = 500.0) -> tuple[_FloatArray, _FloatArray]:
        """Travel time and driven distance from many points to one, all snapped to the road.

        Many-to-one (every unit's position to an incident) in one or two Dijkstras on the
        reversed hierarchy, whatever the number of sources. Each source is charged exactly
        as `route_between_points` charges it: the share of its snapped edge to the exit
        it leaves by, the share of the target's edge from the entry, or only the stretch
        between them when both lie on the same edge and that is no slower.

        Parameters
        ----------
        lon, lat : float
            The target, EPSG:4326 degrees.
        sources_lon, sources_lat : array-like of float
            The sources, EPSG:4326 degrees, 1-D and of equal length.
        max_snap_m : float, optional
            Largest accepted distance in metres from a point to the road.

        Returns
        -------
        eta_s : numpy.ndarray
            Seconds, one per source: ``route_between_points(source, target).eta_s`` (up
            to float summation order).
        distance_m : numpy.ndarray
            Metres driven along that fastest route, one per source. Where two routes are
            exactly as fast it is the length of one of them, which need not be the one
            `route_between_points` draws.

            Both are ``inf`` for a source that cannot reach the target, and for a source
            with no road within ``max_snap_m`` or no coordinate (NaN): one unit with a bad
            position fix must not break the ranking of the others.

        Raises
        ------
        TooFarFromRoad
            When no edge lies within ``max_snap_m`` of the *target*.
        GraphError
            When the source coordinates are not two 1-D sequences of equal length.
        """
        end = self.snap(lon, lat, max_distance_m=max_snap_m)
        rows, fractions = self._snap_rows(sources_lon, sources_lat, max_distance_m=max_snap_m)
        eta_s = np.full(len(rows), np.inf)
        distance_m = np.full(len(rows), np.inf)
        snapped = np.flatnonzero(rows >= 0)
        if len(snapped) == 0:
            return eta_s, distance_m
        row, fraction = rows[snapped], fractions[snapped]
        cost, length_m = self._edge_travel_s[row], self._edge_length_m[row]
        # Exits as `_exits` lists them: towards v, then towards u (two-way edges only).
        exit_node = np.column_stack([self._edge_v[row], self._edge_u[row]])
        exit_s = np.column_stack([(1 - fraction) * cost,
                                  np.where(self._edge_oneway[row], np.inf, fraction * cost)])
        exit_m = np.column_stack([np.abs(fraction - 1.0) * length_m,
                                  np.abs(fraction - 0.0) * length_m])
        end_row = self._row(end.edge_id)
        entries = self._entries(end)
        entry_node = np.array([node for node, _, _ in entries], dtype=np.int64)
        entry_s = np.array([cost_s for _, cost_s, _ in entries])
        entry_m = np.array([abs(end.fraction - at) for _, _, at in entries]
                           ) * self._edge_length_m[end_row]

        unique, inverse = np.unique(exit_node.ravel(), return_inverse=True)
        inverse = inverse.reshape(exit_node.shape)
        # Row k, column j: exit j -> entry k (the reversed hierarchy searches from k).
        between_s, between_m = self._reverse_hierarchy.table_with_lengths(entry_node, unique)
        # (source, exit, entry), summed in route_between_points' order; its argmin over
        # the flattened (exit, entry) pairs picks the same pair on ties.
        total_s = (exit_s[:, :, None] + between_s.T[inverse]) + entry_s[None, None, :]
        total_m = (exit_m[:, :, None] + between_m.T[inverse]) + entry_m[None, None, :]
        best = np.argmin(total_s.reshape(len(row), -1), axis=1)
        best_s = total_s.reshape(len(row), -1)[np.arange(len(row)), best]
        best_m = total_m.reshape(len(row), -1)[np.arange(len(row)), best]
        best_m[~np.isfinite(best_s)] = np.inf

        same = np.flatnonzero(row == end_row)  # the `_direct_on_edge` case
        if len(same):
            ahead = end.fraction - fraction[same]
            allowed = (ahead >= 0) | (not self._edge_oneway[end_row])
            direct_s = np.abs(ahead) * self._edge_travel_s[end_row]
            use = allowed & (direct_s <= best_s[same])
            best_s[same[use]] = direct_s[use]
            best_m[same[use]] = np.abs(ahead[use]) * self._edge_length_m[end_row]
        eta_s[snapped] = best_s
        distance_m[snapped] = best_m
        return eta_s, distance_m

    def travel_time_table_between_points(self, lons: npt.ArrayLike, lats: npt.ArrayLike, *,
                                         max_snap_m: float = 500.0) -> _FloatArray:
        """Travel times between every pair of points, each snapped to the road.

        The same times as `route_between_points` for every (from, to) pair, from one table
        over the snapped edges' end nodes: leaving a point towards either end of its edge
        (only towards v on a oneway edge), arriving likewise, or driving along a shared
        edge directly.

        Parameters
        ----------
        lons, lats : array-like of float
            EPSG:4326 degrees, one per point.
        max_snap_m : float, optional
            Largest accepted distance in metres from a point to the road.

        Returns
        -------
        numpy.ndarray
            Seconds, shape ``(n, n)``, C-ordered; row i, column j is from point i to point
            j; 0 on the diagonal, ``inf`` where unreachable.

        Raises
        ------
        TooFarFromRoad
            When a point has no road within ``max_snap_m`` (the message says which).
        """
        lon_values = np.asarray(lons, dtype=np.float64)
        lat_values = np.asarray(lats, dtype=np.float64)
        snaps = []
        for i, (lon, lat) in enumerate(zip(lon_values, lat_values, strict=True)):
            try:
                snaps.append(self.snap(float(lon), float(lat), max_distance_m=max_snap_m))
            except TooFarFromRoad:
                raise TooFarFromRoad(f"point {i} ({lon}, {lat}) is more than {max_snap_m} m "
                                     "from any drivable road") from None
        exits = [self._exits(snap) for snap in snaps]
        entries = [self._entries(snap) for snap in snaps]
        exit_nodes = np.array([n for found in exits for n, _, _ in found], dtype=np.int64)
        entry_nodes = np.array([n for found in entries for n, _, _ in found], dtype=np.int64)
        table = self._hierarchy.table(exit_nodes, entry_nodes)
        exit_cost = np.array([c for found in exits for _, c, _ in found])
        entry_cost = np.array([c for found in entries for _, c, _ in found])
        total = exit_cost[:, None] + table + entry_cost[None, :]
        exit_owner = np.repeat(np.arange(len(snaps)), [len(found) for found in exits])
        entry_owner = np.repeat(np.arange(len(snaps)), [len(found) for found in entries])
        # the best exit of each point, then the best entry of each point
        by_source = np.full((len(snaps), total.shape[1]), np.inf)
        np.minimum.at(by_source, exit_owner, total)
        result = np.full((len(snaps), len(snaps)), np.inf)
        np.minimum.at(result.T, entry_owner, by_source.T)
        for i, start in enumerate(snaps):
            for j, end in enumerate(snaps):
                if start.edge_id == end.edge_id:
                    direct = self._direct_on_edge(start, end)
                    if direct is not None:
                        result[i, j] = min(result[i, j], direct)
        np.fill_diagonal(result, 0.0)
        return np.ascontiguousarray(result)

    def _node_times_within(self, starts: list[tuple[int, float]],
                           max_travel_s: float) -> _FloatArray:
        """Seconds to every node from the nearest of ``starts`` (node index, seconds to
        it), ``inf`` beyond ``max_travel_s``: one bounded Dijkstra per start."""
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
        """Rows and table (see `Isochrone.edges`) of the edges entered within the limit,
        given the seconds to every node; from a point, its snapped edge at 0 s."""
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

    def _corridor(self, pieces: list[Any], buffer_m: float) -> Any:
        """The EPSG:4326 area within ``buffer_m`` of the UTM ``pieces``."""
        # Simplifying by buffer_m / 8 first moves the outline by at most that and makes the
        # dissolve about twice as fast (it dominates: ~0.2 s for 3000 edges).
        lines = shapely.simplify(np.asarray(pieces, dtype=object), buffer_m / 8)
        area_m = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
        return self._geometry_to_wgs84(area_m)

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
