"""gis.routing: small lattices where the answer can be seen, networkx as the reference."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point

from gis.routing import (
    GraphError,
    NoRoute,
    RoadGraph,
    TooFarFromRoad,
    UnknownNode,
)

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


def ring() -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """A one-way ring A->B->C->D->A costing 1, 2, 4, 8 s."""
    ids = {"A": 1, "B": 2, "C": 3, "D": 4}
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + STEP, LAT0 + STEP),
              4: (LON0, LAT0 + STEP)}
    return frame([(1, 2, 1.0, True), (2, 3, 2.0, True), (3, 4, 4.0, True),
                  (4, 1, 8.0, True)], coords), ids


# -- node-to-node travel times ------------------------------------------------------------

def test_grid_times_are_blocks_east_plus_blocks_north() -> None:
    graph = RoadGraph.from_edges(grid())
    targets = [grid_node(r, c) for r in range(5) for c in range(5)]
    times = graph.travel_times_from(grid_node(0, 0), targets)
    expected = [10.0 * c + 20.0 * r for r in range(5) for c in range(5)]
    np.testing.assert_array_equal(times, expected)
    assert graph.node_count == 25
    assert graph.edge_count == 40


def test_a_oneway_street_forces_a_detour_one_way_only() -> None:
    # 100 -> 101 may be driven only eastwards: westwards goes up, over and down.
    graph = RoadGraph.from_edges(grid(oneway=frozenset({(100, 101)})))
    assert graph.travel_times_from(100, [101])[0] == 10.0
    assert graph.travel_times_from(101, [100])[0] == 20.0 + 10.0 + 20.0


def test_table_rows_are_sources_and_columns_are_targets() -> None:
    edges, n = ring()
    graph = RoadGraph.from_edges(edges)
    table = graph.travel_time_table([n["A"], n["C"]], [n["B"], n["D"]])
    # A->B 1, A->D 1+2+4, C->B 4+8+1, C->D 4; transposed would put 13 top right.
    np.testing.assert_array_equal(table, [[1.0, 7.0], [13.0, 4.0]])
    assert graph.travel_time_table([n["A"], n["B"]], [n["B"], n["A"]]).tolist() == [
        [1.0, 0.0], [0.0, 14.0]]


def test_table_shape_and_repeated_or_missing_rows() -> None:
    graph = RoadGraph.from_edges(grid())
    table = graph.travel_time_table([100, 144, 100], [144, 100, 122, 100])
    assert table.shape == (3, 4)
    np.testing.assert_array_equal(table[0], table[2])
    np.testing.assert_array_equal(table[1], [0.0, 120.0, 60.0, 120.0])
    assert graph.travel_time_table([], [100]).shape == (0, 1)
    assert graph.travel_time_table([100], []).shape == (1, 0)


def test_a_disconnected_island_is_unreachable() -> None:
    edges = grid(3)
    island = frame([(900, 901, 5.0, False)],
                   {900: (LON0 + 0.05, LAT0), 901: (LON0 + 0.051, LAT0)}, edge_ids=[900])
    graph = RoadGraph.from_edges(pd.concat([edges, island], ignore_index=True))
    times = graph.travel_times_from(100, [901, 122, 900])
    assert np.isinf(times[0]) and np.isinf(times[2])
    assert times[1] == 60.0
    assert graph.travel_times_from(900, [901])[0] == 5.0
    with pytest.raises(NoRoute):
        graph.route(100, 900)


def test_unknown_nodes_are_named() -> None:
    graph = RoadGraph.from_edges(grid(3))
    with pytest.raises(UnknownNode, match="4242"):
        graph.travel_times_from(100, [101, 4242])
    with pytest.raises(UnknownNode):
        graph.route(4242, 100)
    with pytest.raises(GraphError):
        graph.travel_times_from(100, [1.5])


# -- against networkx on random graphs --------------------------------------------------

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


def reference_table(reference: nx.MultiDiGraph, sources: list[int],
                    targets: list[int]) -> np.ndarray:
    table = np.full((len(sources), len(targets)), np.inf)
    for i, s in enumerate(sources):
        reached = nx.single_source_dijkstra_path_length(reference, s, weight="weight")
        table[i] = [reached.get(t, np.inf) for t in targets]
    return table


@pytest.mark.parametrize("seed", range(6))
def test_table_equals_networkx_dijkstra(seed: int) -> None:
    edges, reference = random_network(seed)
    graph = RoadGraph.from_edges(edges)
    # The hierarchy must actually contract something, or this would not test it.
    assert graph.core_node_count < graph.node_count
    nodes = sorted(reference.nodes)
    ours = graph.travel_time_table(nodes, nodes)
    expected = reference_table(reference, nodes, nodes)
    assert np.isfinite(expected).mean() > 0.3  # enough is reachable to mean something
    assert np.isinf(expected).any()
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)
    one = graph.travel_times_from(nodes[7], nodes[::-1])
    np.testing.assert_allclose(one, expected[7, ::-1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_routes_are_drivable_paths_as_fast_as_networkx(seed: int) -> None:
    edges, reference = random_network(seed)
    graph = RoadGraph.from_edges(edges)
    by_id = edges.set_index("edge_id")
    rng = np.random.default_rng(seed)
    nodes = sorted(reference.nodes)
    checked = 0
    for s, t in rng.choice(nodes, size=(40, 2)):
        s, t = int(s), int(t)
        if not nx.has_path(reference, s, t):
            with pytest.raises(NoRoute):
                graph.route(s, t)
            continue
        route = graph.route(s, t)
        assert route.eta_s == pytest.approx(
            nx.dijkstra_path_length(reference, s, t, weight="weight"), rel=1e-9, abs=1e-12)
        assert route.node_ids[0] == s and route.node_ids[-1] == t
        assert len(route.edge_ids) == len(route.node_ids) - 1
        for a, b, edge_id in zip(route.node_ids[:-1], route.node_ids[1:], route.edge_ids,
                                 strict=True):
            edge = by_id.loc[edge_id]
            assert (edge.u, edge.v) == (a, b) or (not edge.oneway and (edge.v, edge.u) == (a, b))
        assert route.eta_s == pytest.approx(by_id.loc[route.edge_ids, "travel_s"].sum())
        assert route.distance_m == pytest.approx(by_id.loc[route.edge_ids, "length_m"].sum())
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("seed", range(3))
def test_isochrone_edges_are_those_reached_in_time(seed: int) -> None:
    edges, reference = random_network(seed)
    graph = RoadGraph.from_edges(edges)
    source = sorted(reference.nodes)[3]
    limit_s = 150.0
    reached = nx.single_source_dijkstra_path_length(reference, source, weight="weight")
    at_u = edges["u"].map(reached).astype(float).fillna(np.inf)
    at_v = edges["v"].map(reached).astype(float).fillna(np.inf)
    entry = np.where(edges["oneway"], at_u, np.minimum(at_u, at_v))
    expected = set(edges.loc[entry <= limit_s, "edge_id"])
    iso = graph.isochrone(source, max_travel_s=limit_s)
    assert set(iso.edges["edge_id"]) == expected
    assert 0 < len(expected) < len(edges)
    assert (iso.edges["reached_s"] <= limit_s).all()
    assert iso.edges["reached_s"].is_monotonic_increasing


# -- routes -----------------------------------------------------------------------------

def test_route_geometry_runs_in_travel_order_against_the_digitised_direction() -> None:
    # Three bent two-way edges digitised west to east; drive them east to west.
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 2 * STEP, LAT0)}
    bend = (LON0 + 0.5 * STEP, LAT0 + 0.2 * STEP)
    edges = frame([(1, 2, 30.0, False), (2, 3, 40.0, False)], coords, edge_ids=[7, 8])
    edges.loc[0, "geometry"] = LineString([coords[1], bend, coords[2]])
    graph = RoadGraph.from_edges(edges)
    route = graph.route(3, 1)
    assert route.eta_s == 70.0
    assert route.node_ids == [3, 2, 1]
    assert route.edge_ids == [8, 7]
    assert route.distance_m == pytest.approx(edges["length_m"].sum())
    assert list(route.geometry.coords) == [coords[3], coords[2], bend, coords[1]]
    forward = graph.route(1, 3)
    assert list(forward.geometry.coords) == [coords[1], bend, coords[2], coords[3]]


def test_route_prefers_the_faster_not_the_shorter_way() -> None:
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + STEP, LAT0 + STEP)}
    graph = RoadGraph.from_edges(frame([(1, 2, 100.0, False), (1, 3, 20.0, False),
                                        (3, 2, 20.0, True)], coords))
    route = graph.route(1, 2)
    assert route.node_ids == [1, 3, 2] and route.eta_s == 40.0
    assert graph.route(2, 1).node_ids == [2, 1]  # 3 -> 2 is one-way


def test_route_to_itself_is_empty() -> None:
    graph = RoadGraph.from_edges(grid(3))
    route = graph.route(111, 111)
    assert (route.eta_s, route.distance_m, route.node_ids, route.edge_ids) == (0, 0, [111], [])


# -- isochrones -------------------------------------------------------------------------

def test_isochrone_on_the_grid() -> None:
    graph = RoadGraph.from_edges(grid())
    iso = graph.isochrone(100, max_travel_s=25.0)
    table = iso.edges.set_index("edge_id")
    edges = grid().set_index(["u", "v"])["edge_id"]
    # Entered within 25 s: every edge leaving (0,0), (0,1), (0,2) or (1,0) (reached at
    # 0, 10, 20, 20 s).
    entered = {(100, 101), (101, 102), (102, 103), (100, 110), (101, 111), (102, 112),
               (110, 111), (110, 120)}
    assert set(table.index) == {edges[pair] for pair in entered}
    assert table.loc[edges[(102, 103)], "reached_s"] == 20.0
    fully = {edges[pair] for pair in [(100, 101), (101, 102), (100, 110)]}
    assert set(table.index[table["fully_reachable"]]) == fully
    # 111 is reached at 30 s, so 101 -> 111 is covered from 101 up to 15 s of its 20 s.
    assert not table.loc[edges[(101, 111)], "fully_reachable"]

    polygon = graph.isochrone(100, max_travel_s=25.0, buffer_m=10.0).polygon
    assert polygon.is_valid and polygon.geom_type in {"Polygon", "MultiPolygon"}
    assert polygon.contains(Point(LON0, LAT0))
    assert polygon.contains(Point(LON0 + 2 * STEP, LAT0))  # node 102, reached at 20 s
    assert polygon.contains(Point(LON0 + 2.4 * STEP, LAT0))  # 102 -> 103 partly: 5 s of 10
    assert not polygon.contains(Point(LON0 + 3 * STEP, LAT0))  # node 103 at 30 s
    assert not polygon.contains(Point(LON0 + 2 * STEP, LAT0 + 2 * STEP))  # node 122 at 60 s


def test_isochrone_of_zero_seconds_is_only_where_you_stand() -> None:
    graph = RoadGraph.from_edges(grid(3))
    iso = graph.isochrone(111, max_travel_s=0.0)
    assert set(iso.edges["reached_s"]) == {0.0}
    assert not iso.edges["fully_reachable"].any()
    assert iso.polygon.contains(Point(LON0 + STEP, LAT0 + STEP))
    with pytest.raises(GraphError):
        graph.isochrone(111, max_travel_s=-1.0)


# -- snapping and points ----------------------------------------------------------------

def test_snap_measures_metres_to_a_known_segment() -> None:
    coords = {1: (LON0, LAT0), 2: (LON0 + 0.01, LAT0)}  # ~725 m west to east
    graph = RoadGraph.from_edges(frame([(1, 2, 60.0, False)], coords, edge_ids=[5]))
    lon, lat = LON0 + 0.0025, LAT0 + 0.0005
    snap = graph.snap(lon, lat)
    _, _, metres = GEOD.inv(lon, lat, lon, LAT0)
    assert (snap.edge_id, snap.u, snap.v) == (5, 1, 2)
    assert snap.distance_m == pytest.approx(metres, rel=0.01)
    assert snap.fraction == pytest.approx(0.25, abs=1e-3)
    assert (snap.lon, snap.lat) == (pytest.approx(lon, abs=1e-6), pytest.approx(LAT0, abs=1e-6))
    with pytest.raises(TooFarFromRoad):
        graph.snap(lon, lat, max_distance_m=50.0)
    with pytest.raises(TooFarFromRoad):
        graph.snap(LON0, LAT0 + 0.01)  # ~1.1 km north
    with pytest.raises(GraphError):
        graph.snap(lon, lat, max_distance_m=0.0)


def test_snap_picks_the_nearest_of_several_edges() -> None:
    graph = RoadGraph.from_edges(grid())
    snap = graph.snap(LON0 + 3.5 * STEP, LAT0 + 2.1 * STEP)
    assert (snap.u, snap.v) == (grid_node(2, 3), grid_node(2, 4))
    assert snap.fraction == pytest.approx(0.5, abs=1e-3)


def point_on(edge: tuple[tuple[float, float], tuple[float, float]],
             fraction: float) -> tuple[float, float]:
    (x0, y0), (x1, y1) = edge
    return x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0)


def test_times_from_a_point_pay_the_partial_first_edge() -> None:
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 2 * STEP, LAT0)}
    graph = RoadGraph.from_edges(frame([(1, 2, 100.0, False), (2, 3, 50.0, False)], coords))
    lon, lat = point_on((coords[1], coords[2]), 0.25)
    times = graph.travel_times_from_point(lon, lat, [1, 2, 3])
    np.testing.assert_allclose(times, [25.0, 75.0, 125.0], rtol=1e-3)


def test_times_from_a_point_on_a_oneway_leave_towards_v_only() -> None:
    # 1 -> 2 one-way (100 s); back from 2 to 1 through 3 costs 30 + 30.
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 0.5 * STEP, LAT0 + STEP)}
    graph = RoadGraph.from_edges(frame([(1, 2, 100.0, True), (2, 3, 30.0, False),
                                        (3, 1, 30.0, False)], coords))
    lon, lat = point_on((coords[1], coords[2]), 0.25)
    times = graph.travel_times_from_point(lon, lat, [1, 2])
    np.testing.assert_allclose(times, [75.0 + 60.0, 75.0], rtol=1e-3)


def test_route_between_points_includes_both_partial_edges() -> None:
    graph = RoadGraph.from_edges(grid())
    # From 30 % along 100->101 (10 s east) to 40 % along 102->112 (20 s north).
    start = point_on(((LON0, LAT0), (LON0 + STEP, LAT0)), 0.3)
    end = point_on(((LON0 + 2 * STEP, LAT0), (LON0 + 2 * STEP, LAT0 + STEP)), 0.4)
    route = graph.route_between_points(*start, *end)
    # 7 s to 101, 10 s to 102, then 8 s of the 20 s edge (not 3 s back to 100 first).
    assert route.eta_s == pytest.approx(7 + 10 + 8, rel=1e-3)
    assert route.node_ids == [101, 102]
    assert len(route.edge_ids) == 3
    lengths = grid().set_index("edge_id")["length_m"]
    assert route.edge_ids[0] != route.edge_ids[-1]
    expected_m = (0.7 * lengths[route.edge_ids[0]] + lengths[route.edge_ids[1:-1]].sum()
                  + 0.4 * lengths[route.edge_ids[-1]])
    assert route.distance_m == pytest.approx(expected_m, rel=1e-3)
    assert route.geometry.coords[0] == pytest.approx(start, abs=1e-6)
    assert route.geometry.coords[-1] == pytest.approx(end, abs=1e-6)
    assert route.geometry.coords[1] == pytest.approx((LON0 + STEP, LAT0))


def test_route_between_points_on_one_edge() -> None:
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 0.5 * STEP, LAT0 + STEP)}
    graph = RoadGraph.from_edges(frame([(1, 2, 100.0, True), (2, 3, 30.0, False),
                                        (3, 1, 30.0, False)], coords))
    a, b = point_on((coords[1], coords[2]), 0.2), point_on((coords[1], coords[2]), 0.6)
    ahead = graph.route_between_points(*a, *b)
    assert ahead.eta_s == pytest.approx(40.0, rel=1e-3)
    assert ahead.edge_ids == [1]
    assert LineString([a, b]).hausdorff_distance(ahead.geometry) < 1e-7
    # Backwards on the one-way: out to 2, round through 3 to 1, then 20 % in again.
    back = graph.route_between_points(*b, *a)
    assert back.eta_s == pytest.approx(40.0 + 60.0 + 20.0, rel=1e-3)
    assert back.node_ids == [2, 3, 1]
    assert back.edge_ids[0] == back.edge_ids[-1] == 1


def test_route_between_points_without_a_way_raises() -> None:
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0)}
    graph = RoadGraph.from_edges(frame([(1, 2, 10.0, True)], coords))
    with pytest.raises(NoRoute):
        graph.route_between_points(*point_on((coords[1], coords[2]), 0.8),
                                   *point_on((coords[1], coords[2]), 0.2))


# -- input validation -------------------------------------------------------------------

def test_errors_are_value_errors() -> None:
    assert issubclass(GraphError, ValueError)
    for error in (NoRoute, TooFarFromRoad, UnknownNode):
        assert issubclass(error, GraphError)


@pytest.mark.parametrize(("change", "message"), [
    (lambda e: e.drop(columns="travel_s"), "travel_s"),
    (lambda e: e.drop(columns=["oneway", "u"]), "u, oneway"),
    (lambda e: e.set_crs(None, allow_override=True), "no CRS"),
    (lambda e: e.to_crs(3857), "EPSG:4326"),
    (lambda e: e.iloc[:0], "empty"),
    (lambda e: e.assign(travel_s=-e["travel_s"]), "negative"),
    (lambda e: e.assign(length_m=np.nan), "non-finite"),
    (lambda e: e.assign(edge_id=1), "unique"),
    (lambda e: e.assign(u=e["u"].astype(float)), "integers"),
    (lambda e: e.assign(oneway="yes"), "booleans"),
    (lambda e: e.set_geometry(gpd.GeoSeries(shapely.centroid(e.geometry.to_numpy()),
                                            index=e.index, crs=4326)), "LineString"),
    (lambda e: pd.DataFrame(e), "GeoDataFrame"),
])
def test_bad_edges_are_refused(change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
                               message: str) -> None:
    edges = grid(2)
    with pytest.raises(GraphError, match=message):
        RoadGraph.from_edges(change(edges))
