"""Small road networks for the routing tests, as EPSG:4326 edges: lattices where the
answer can be seen, random graphs with a networkx twin, points along their roads."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString

LON0, LAT0, STEP = 8.69, 49.41, 0.001  # Heidelberg; 0.001 deg ~ 72 m east, ~111 m north
GEOD = Geod(ellps="WGS84")
Record = tuple[int, int, float, bool]  # u, v, travel_s, oneway


def frame(records: list[Record], coords: dict[int, tuple[float, float]],
          edge_ids: list[int] | None = None) -> gpd.GeoDataFrame:
    """Road edges with straight geometries from u to v."""
    geometry = [LineString([coords[u], coords[v]]) for u, v, _, _ in records]
    return gpd.GeoDataFrame({
        "edge_id": np.array(edge_ids or range(1, len(records) + 1), dtype=np.int64),
        "u": np.array([r[0] for r in records], dtype=np.int64),
        "v": np.array([r[1] for r in records], dtype=np.int64),
        "length_m": [GEOD.geometry_length(g) for g in geometry],
        "travel_s": np.array([r[2] for r in records], dtype=np.float64),
        "oneway": np.array([r[3] for r in records], dtype=bool),
        "name": [f"street {i}" for i in range(len(records))],
    }, geometry=geometry, crs="EPSG:4326")


def grid_node(row: int, col: int) -> int:
    return 100 + 10 * row + col


def grid(size: int = 5, *, east_s: float = 10.0, north_s: float = 20.0,
         oneway: frozenset[tuple[int, int]] = frozenset()) -> gpd.GeoDataFrame:
    """A size x size lattice: east-west blocks cost east_s, north-south blocks north_s."""
    coords = {grid_node(r, c): (LON0 + c * STEP, LAT0 + r * STEP)
              for r in range(size) for c in range(size)}
    records: list[Record] = []
    for r in range(size):
        for c in range(size):
            if c + 1 < size:
                u, v = grid_node(r, c), grid_node(r, c + 1)
                records.append((u, v, east_s, (u, v) in oneway))
            if r + 1 < size:
                u, v = grid_node(r, c), grid_node(r + 1, c)
                records.append((u, v, north_s, (u, v) in oneway))
    return frame(records, coords)


def random_network(seed: int, nodes: int = 150,
                   edges: int = 260) -> tuple[gpd.GeoDataFrame, nx.MultiDiGraph]:
    """Random roads with oneways, zero costs, parallel edges, loops and islands."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(10_000, 99_999), size=nodes, replace=False)
    coords = {int(i): (LON0 + rng.uniform(0, 0.05), LAT0 + rng.uniform(0, 0.05)) for i in ids}
    ends = rng.choice(ids, size=(edges, 2))
    cost = np.round(rng.uniform(0, 120, edges), 3)
    cost[rng.random(edges) < 0.05] = 0.0
    oneway = rng.random(edges) < 0.3
    records = [(int(u), int(v), float(c), bool(o))
               for (u, v), c, o in zip(ends, cost, oneway, strict=True)]
    reference = nx.MultiDiGraph()
    reference.add_nodes_from(int(i) for i in np.unique(ends))
    for u, v, c, o in records:
        reference.add_edge(u, v, weight=c)
        if not o:
            reference.add_edge(v, u, weight=c)
    return frame(records, coords), reference


def point_on(edge: tuple[tuple[float, float], tuple[float, float]],
             fraction: float) -> tuple[float, float]:
    (x0, y0), (x1, y1) = edge
    return x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0)


def points_near_roads(edges: gpd.GeoDataFrame, rng: np.random.Generator, count: int, *,
                      jitter_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Random points along random edges, moved off the road by up to ~jitter_deg."""
    geoms = edges.geometry.to_numpy()[rng.integers(0, len(edges), count)]
    on_road = shapely.line_interpolate_point(geoms, rng.uniform(0, 1, count), normalized=True)
    xy = shapely.get_coordinates(on_road) + rng.normal(0, jitter_deg, (count, 2))
    return xy[:, 0], xy[:, 1]
