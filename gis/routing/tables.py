"""Travel-time tables: exact shortest seconds from nodes or snapped points to many others."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gis.errors import TooFarFromRoad
from gis.routing.snapping import Snapping

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


class TravelTimeTables(Snapping):
    """Shortest travel times in seconds: the table queries of `RoadGraph`.

    `travel_times_from`, `travel_time_table`, `travel_times_from_point`,
    `travel_times_to_point` and `travel_time_table_between_points`, answered on the core
    contraction hierarchy and its mirror image; points in EPSG:4326.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `RoadGraphBase.from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable.
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

        Raises
        ------
        UnknownNode
            When a node id is not in the graph.
        GraphError
            When node ids are not integers or not a 1-D sequence.
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

        Raises
        ------
        UnknownNode
            When a node id is not in the graph.
        GraphError
            When node ids are not integers or not a 1-D sequence.
        """
        return self._hierarchy.table(self._indices(source_nodes), self._indices(target_nodes))

    def travel_times_from_point(self, lon: float, lat: float, target_nodes: npt.ArrayLike, *,
                                max_snap_m: float = 500.0) -> _FloatArray:
        """Shortest travel times from a point (snapped to the road) to many nodes.

        The point starts part-way along its snapped edge: towards v it pays the remaining
        share of the edge's ``travel_s``, towards u (two-way edges only) the share already
        covered. Approximations: speed is uniform along an edge, and the way from the point
        to the road (``Snap.distance_m``) costs nothing.

        Parameters
        ----------
        lon, lat : float
            The point, EPSG:4326 degrees.
        target_nodes : array-like of int
            Node ids to reach.
        max_snap_m : float, optional
            Largest accepted distance in metres from the point to the road.

        Returns
        -------
        numpy.ndarray
            Seconds, one per target, ``inf`` where unreachable.

        Raises
        ------
        TooFarFromRoad
            When no edge lies within ``max_snap_m`` of the point.
        UnknownNode
            When a target node id is not in the graph.
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
        GraphError
            When a coordinate is not finite.
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
