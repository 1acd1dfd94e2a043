"""Along the roads: the edges under points, and timed directed pieces of road.

Which edge and speed lie under points, and the directed pieces of road a vehicle or a
walker from a point can travel within a time (with when each is entered).

These answer the evidence plan (`gis.evidence`): the first gives a drawn or routed path
the speed of the road it follows; the second turns "all ways out within T minutes" into
timed pieces of road, each driven in one direction.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.ops import substring

from gis.contraction import ArcTable
from gis.errors import GraphError
from gis.routing.snapping import Snapping

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]

PIECE_COLUMNS = ("edge_id", "start_s", "duration_s", "from_fraction", "to_fraction",
                 "geometry")
"""Columns of :meth:`Along.pieces_within`."""


class Along(Snapping):
    """Edges under points and timed directed pieces of road: queries of `RoadGraph`.

    Coordinates are EPSG:4326; distances metres in the graph's UTM zone; times seconds.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `RoadGraphBase.from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable.
    """

    _walk_lock = threading.Lock()

    def edges_under(self, lon: npt.ArrayLike, lat: npt.ArrayLike, *,
                    max_distance_m: float = 15.0) -> pd.DataFrame:
        """The road edge under each point and the speed it is driven at.

        Parameters
        ----------
        lon, lat : array_like of float
            EPSG:4326 degrees, 1-D and of equal length.
        max_distance_m : float, optional
            Points farther than this many metres from every edge get none.

        Returns
        -------
        pandas.DataFrame
            One row per point, in order: ``edge_id`` (-1 where none), ``speed_mps`` (the
            edge's ``length_m / travel_s``; NaN where none or the edge takes no time).

        Raises
        ------
        GraphError
            On coordinate sequences of different shapes or a ``max_distance_m`` <= 0.
        """
        rows, _ = self._snap_rows(lon, lat, max_distance_m=max_distance_m)
        found = rows >= 0
        edge_id = np.full(len(rows), -1, dtype=np.int64)
        edge_id[found] = self._edge_ids[rows[found]]
        speed = np.full(len(rows), np.nan)
        cost = self._edge_travel_s[rows[found]]
        with np.errstate(divide="ignore", invalid="ignore"):
            speed[found] = np.where(cost > 0, self._edge_length_m[rows[found]] / cost, np.nan)
        return pd.DataFrame({"edge_id": edge_id, "speed_mps": speed})

    def pieces_within(self, lon: float, lat: float, *, max_travel_s: float,
                      speed_mps: float | None = None, one_way_binds: bool | None = None,
                      max_snap_m: float = 500.0) -> pd.DataFrame:
        """The directed pieces of road travelled from a point within a time.

        From the snapped point the start edge is left both ways (towards v only on a
        one-way edge); every other edge is entered at u towards v when u is reached, and
        at v towards u when it is two-way and v is reached. Each piece is cut where the
        time runs out. The start edge yields only its two pieces away from the point.

        Parameters
        ----------
        lon, lat : float
            The start, EPSG:4326 degrees.
        max_travel_s : float
            Time limit in seconds (>= 0).
        speed_mps : float, optional
            None: the edges' own travel times (a car). A speed in m/s: every edge at
            that speed.
        one_way_binds : bool, optional
            Whether one-way streets are driven one way only; by default they bind at the
            edges' own times and not at a given speed (a walker).
        max_snap_m : float, optional
            Largest accepted distance in metres from the point to the road.

        Returns
        -------
        pandas.DataFrame
            ``edge_id``; ``start_s`` (seconds from the point when the piece is entered);
            ``duration_s`` (seconds to travel it); ``from_fraction``, ``to_fraction``
            (0 = u, 1 = v; travel runs from the first to the second); ``geometry``
            (a shapely LineString, EPSG:4326, in travel order). Sorted by ``start_s``
            then ``edge_id``.

        Raises
        ------
        TooFarFromRoad
            When no edge lies within ``max_snap_m`` of the point.
        GraphError
            On a negative or non-finite ``max_travel_s`` or a ``speed_mps`` <= 0.
        """
        if not np.isfinite(max_travel_s) or max_travel_s < 0:
            raise GraphError(f"max_travel_s must be finite and >= 0, got {max_travel_s}")
        if speed_mps is not None and not (np.isfinite(speed_mps) and speed_mps > 0):
            raise GraphError(f"speed_mps must be a finite number > 0, got {speed_mps}")
        start = self.snap(lon, lat, max_distance_m=max_snap_m)
        binds = speed_mps is None if one_way_binds is None else one_way_binds
        cost, oneway, arcs = self._mode_costs(speed_mps, binds)
        row = self._row(start.edge_id)
        exits = [(int(self._edge_v[row]), float((1 - start.fraction) * cost[row]))]
        if not oneway[row]:
            exits.append((int(self._edge_u[row]), float(start.fraction * cost[row])))
        node_s = _node_times(arcs, exits, max_travel_s, self.node_count)
        at_u, at_v = node_s[self._edge_u], node_s[self._edge_v]
        forward = np.flatnonzero(np.isfinite(at_u))
        backward = np.flatnonzero(np.isfinite(at_v) & ~oneway)
        forward, backward = forward[forward != row], backward[backward != row]
        rows = np.concatenate([forward, backward])
        starts = np.concatenate([at_u[forward], at_v[backward]])
        from_f = np.concatenate([np.zeros(len(forward)), np.ones(len(backward))])
        head = [(start.fraction, 1.0)] + ([] if oneway[row] else [(start.fraction, 0.0)])
        rows = np.concatenate([rows, np.full(len(head), row, dtype=np.int64)])
        starts = np.concatenate([starts, np.zeros(len(head))])
        from_f = np.concatenate([from_f, [f for f, _ in head]])
        to_f = np.concatenate([1.0 - from_f[:len(rows) - len(head)], [t for _, t in head]])
        full_s = cost[rows] * np.abs(to_f - from_f)
        share = np.where(full_s > 0, np.clip((max_travel_s - starts) / np.where(
            full_s > 0, full_s, 1.0), 0.0, 1.0), 1.0)
        to_f = from_f + (to_f - from_f) * share
        duration = full_s * share
        keep = (starts <= max_travel_s) & (to_f != from_f)
        rows, starts, from_f, to_f, duration = (a[keep] for a in (rows, starts, from_f, to_f,
                                                                  duration))
        parts = np.asarray([_part(self._edge_geometry_m[r], f, t)
                            for r, f, t in zip(rows.tolist(), from_f.tolist(),
                                               to_f.tolist(), strict=True)], dtype=object)
        geometry = list(shapely.transform(parts, self._lonlat_of)) if len(parts) else []
        table = pd.DataFrame({"edge_id": self._edge_ids[rows], "start_s": starts,
                              "duration_s": duration, "from_fraction": from_f,
                              "to_fraction": to_f, "geometry": geometry})
        return table.sort_values(["start_s", "edge_id"], ignore_index=True)

    def _mode_costs(self, speed_mps: float | None, one_way_binds: bool
                    ) -> tuple[_FloatArray, npt.NDArray[np.bool_], ArcTable]:
        """Edge seconds, one-way flags and arcs at the edges' times (None) or a speed."""
        oneway = self._edge_oneway if one_way_binds else np.zeros(len(self._edge_u), bool)
        if speed_mps is None and one_way_binds:
            return self._edge_travel_s, oneway, self._arcs
        cost = self._edge_travel_s if speed_mps is None else self._edge_length_m / speed_mps
        key = (None if speed_mps is None else float(speed_mps), one_way_binds)
        with self._walk_lock:
            cache: dict[Any, ArcTable] = self.__dict__.setdefault("_mode_arcs", {})
            arcs = cache.get(key)
            if arcs is None:
                arcs = ArcTable.from_edges(self.node_count, self._edge_u, self._edge_v,
                                           cost, oneway)
                if len(cache) >= 4:  # a few modes are kept: they are rarely varied
                    cache.clear()
                cache[key] = arcs
        return cost, oneway, arcs


    def _lonlat_of(self, xy: _FloatArray) -> _FloatArray:
        lon, lat = self._to_wgs84.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])


def _node_times(arcs: ArcTable, starts: list[tuple[int, float]], max_travel_s: float,
                node_count: int) -> _FloatArray:
    """Seconds to every node from the nearest of ``starts`` (node, offset); inf beyond."""
    usable = [(node, offset) for node, offset in starts if offset <= max_travel_s]
    if not usable:
        return np.full(node_count, np.inf)
    nodes = np.array([node for node, _ in usable], dtype=np.int64)
    offsets = np.array([offset for _, offset in usable])
    found = dijkstra(arcs.matrix, indices=nodes, limit=max_travel_s - float(offsets.min()))
    node_s: _FloatArray = np.min(found + offsets[:, None], axis=0)
    node_s[node_s > max_travel_s] = np.inf
    return node_s


def _part(line: shapely.LineString, from_fraction: float,
          to_fraction: float) -> shapely.LineString:
    """The part of ``line`` between two fractions, in the order given."""
    low, high = sorted((from_fraction, to_fraction))
    piece = substring(line, low, high, normalized=True)
    if not isinstance(piece, shapely.LineString):  # a point: zero length
        piece = shapely.LineString([piece.coords[0], piece.coords[0]])
    return piece if from_fraction <= to_fraction else piece.reverse()
