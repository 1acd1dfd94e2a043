"""OSM ways as polylines and road graph edges, built in bulk (EPSG:4326, metres).

Many polylines at once: node runs laid end to end, lines built in one shapely call,
and drivable ways split at junctions into road graph edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

WGS84 = "EPSG:4326"
_GEOD = Geod(ellps="WGS84")
EDGE_FIELDS = ["osm_way_id", "seq", "u", "v", "length_m", "travel_s", "oneway", "highway",
               "name"]


def geodesic_lengths_m(coords: np.ndarray) -> np.ndarray:
    """Lengths in metres of the segments of a lon/lat polyline (WGS-84 ellipsoid)."""
    _, _, dist = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    return np.asarray(dist, dtype=float)


def linestrings(coords: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """One shapely call for many polylines stored end to end (``sizes`` points each)."""
    if not len(sizes):
        return np.array([], dtype=object)
    return np.asarray(shapely.linestrings(coords, indices=np.repeat(np.arange(len(sizes)),
                                                                     sizes)))


def from_hex_wkb(lines: list[str]) -> np.ndarray:
    """Shapely geometries from hex WKB (decoding the hex in Python is much faster)."""
    return np.asarray(shapely.from_wkb([bytes.fromhex(line) for line in lines]))


@dataclass
class Polylines:
    """The node runs of many ways end to end: ``sizes[k]`` nodes for way ``k``."""

    refs: np.ndarray  # int64 node ids
    coords: np.ndarray  # (n, 2) lon, lat
    sizes: np.ndarray

    @classmethod
    def of(cls, runs: list[list[tuple[int, float, float]]]) -> Polylines:
        """Lay node runs end to end.

        Parameters
        ----------
        runs : list of list of tuple of (int, float, float)
            Per way, its nodes in order as ``(node id, lon, lat)``, in degrees (EPSG:4326).

        Returns
        -------
        Polylines
            ``refs`` and ``coords`` of every node, way after way, and each way's node count
            in ``sizes``; empty arrays for no nodes.
        """
        sizes = np.fromiter((len(run) for run in runs), dtype=np.int64, count=len(runs))
        flat = np.array([node for run in runs for node in run], dtype=np.float64)
        if not len(flat):
            return cls(np.empty(0, np.int64), np.empty((0, 2)), sizes)
        # node ids are far below 2**53, so they pass through float64 exactly
        return cls(flat[:, 0].astype(np.int64), flat[:, 1:], sizes)


def split_into_edges(roads: list[dict[str, Any]], polylines: Polylines) -> gpd.GeoDataFrame:
    """Split drivable ways at junctions (nodes shared by two or more ways) into edges.

    ``polylines`` holds one node run per road in ``roads`` (every drivable road has
    one; walk-only roads read as lines by libosmium are not passed). Each edge runs
    from ``u`` to ``v`` in the way's allowed direction (``oneway=-1`` ways are
    reversed), with geodesic ``length_m`` and ``travel_s`` at the way's speed; ``seq``
    numbers a way's pieces from 0. All of it is vectorised: one geodesic call over every
    segment, one cut over every node.
    """
    mask = np.fromiter((road["drivable"] for road in roads), dtype=bool, count=len(roads))
    if not mask.any():
        return _empty_edges()
    drivable = [road for road, keep in zip(roads, mask, strict=True) if keep]
    all_starts = np.concatenate([[0], np.cumsum(polylines.sizes)[:-1]])
    sizes, first = polylines.sizes[mask], all_starts[mask]
    # gather the drivable runs end to end, oneway=-1 ways back to front
    backwards = np.fromiter((road["oneway"] == -1 for road in drivable), dtype=bool,
                            count=len(drivable))
    way_of = np.repeat(np.arange(len(drivable)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = np.arange(int(sizes.sum())) - starts[way_of]
    take = first[way_of] + np.where(backwards[way_of], sizes[way_of] - 1 - within, within)
    refs, coords = polylines.refs[take], polylines.coords[take]
    # cumulative geodesic distance along the concatenation (cross-way jumps never used)
    cumulative = np.concatenate([[0.0], np.cumsum(geodesic_lengths_m(coords))])
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    is_cut = counts[inverse] > 1
    is_cut[starts] = True
    is_cut[starts + sizes - 1] = True
    cuts = np.flatnonzero(is_cut)
    same_way = way_of[cuts[:-1]] == way_of[cuts[1:]]
    a, b = cuts[:-1][same_way], cuts[1:][same_way]
    edge_way = way_of[a]
    seq = np.arange(len(a)) - np.searchsorted(edge_way, edge_way, side="left")
    length = cumulative[b] - cumulative[a]
    keep = ~((refs[a] == refs[b]) & (length == 0.0))  # a closed way with no junction
    a, b, edge_way, seq, length = a[keep], b[keep], edge_way[keep], seq[keep], length[keep]
    if not len(a):
        return _empty_edges()
    speed_ms = np.array([road["speed_kmh"] for road in drivable], dtype=float) / 3.6
    points = b - a + 1  # consecutive edges share their cut node
    offsets = np.concatenate([[0], np.cumsum(points)[:-1]])
    piece = np.arange(int(points.sum())) + np.repeat(a - offsets, points)
    columns = {
        "osm_way_id": np.array([road["osm_id"] for road in drivable], dtype=np.int64)[edge_way],
        "seq": seq, "u": refs[a], "v": refs[b], "length_m": length,
        "travel_s": length / speed_ms[edge_way],
        "oneway": np.array([road["oneway"] != 0 for road in drivable], dtype=bool)[edge_way],
        "highway": np.array([road["highway"] for road in drivable], dtype=object)[edge_way],
        "name": np.array([road["name"] for road in drivable], dtype=object)[edge_way],
    }
    return gpd.GeoDataFrame(columns, geometry=linestrings(coords[piece], points), crs=WGS84)


def _empty_edges() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in EDGE_FIELDS},
                            geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
