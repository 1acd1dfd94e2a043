"""gis.routing.tables: travel times on small lattices where the answer can be seen,
networkx and point-to-point routes as the references."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from gis.routing import GraphError, NoRoute, RoadGraph, TooFarFromRoad
from tests.gis.routing.networks import (
    GEOD,
    LAT0,
    LON0,
    STEP,
    frame,
    grid,
    grid_node,
    point_on,
    points_near_roads,
    random_network,
)


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


# -- against networkx on random graphs --------------------------------------------------

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


# -- from a point -----------------------------------------------------------------------

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


# -- many-to-one: travel_times_to_point ---------------------------------------------------

def route_or_inf(graph: RoadGraph, source: tuple[float, float],
                 target: tuple[float, float]) -> tuple[float, float]:
    """The reference: seconds and metres of `route_between_points`, inf without a route."""
    try:
        route = graph.route_between_points(*source, *target)
    except NoRoute:
        return np.inf, np.inf
    return route.eta_s, route.distance_m


def asymmetric_pair() -> tuple[gpd.GeoDataFrame, dict[str, tuple[float, float]]]:
    """A -> B one-way in 10 s (straight), B -> A one-way in 30 s (bent north), and points:
    P on the bend of B -> A, Q a quarter along A -> B, R a tenth along A -> B."""
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0)}
    edges = frame([(1, 2, 10.0, True), (2, 1, 30.0, True)], coords, edge_ids=[1, 2])
    bend = (LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP)
    edges.loc[1, "geometry"] = LineString([coords[2], bend, coords[1]])
    edges.loc[1, "length_m"] = GEOD.geometry_length(edges.geometry.iloc[1])
    points = {"P": bend, "Q": point_on((coords[1], coords[2]), 0.25),
              "R": point_on((coords[1], coords[2]), 0.1)}
    return edges, points


def test_times_to_point_on_an_asymmetric_pair_are_not_transposed() -> None:
    edges, pts = asymmetric_pair()
    graph = RoadGraph.from_edges(edges)
    p, q, r = graph.snap(*pts["P"]), graph.snap(*pts["Q"]), graph.snap(*pts["R"])
    assert (p.edge_id, q.edge_id, r.edge_id) == (2, 1, 1)
    length = edges.set_index("edge_id")["length_m"]
    lons = [pts[k][0] for k in "PQR"]
    lats = [pts[k][1] for k in "PQR"]

    to_q_s, to_q_m = graph.travel_times_to_point(*pts["Q"], lons, lats)
    # P -> A by the rest of the slow edge, then a quarter of the fast one; Q stands there;
    # R is behind Q on the one-way A -> B: on to B, round the slow edge, back in from A.
    np.testing.assert_allclose(to_q_s, [(1 - p.fraction) * 30 + q.fraction * 10, 0.0,
                                        (q.fraction - r.fraction) * 10], rtol=1e-12)
    np.testing.assert_allclose(to_q_m[0], (1 - p.fraction) * length[2] + q.fraction * length[1],
                               rtol=1e-12)
    to_p_s, _ = graph.travel_times_to_point(*pts["P"], lons, lats)
    np.testing.assert_allclose(to_p_s, [0.0, (1 - q.fraction) * 10 + p.fraction * 30,
                                        (1 - r.fraction) * 10 + p.fraction * 30], rtol=1e-12)
    assert to_q_s[0] == pytest.approx(17.5, rel=1e-2)  # not 22.5, the way back
    assert to_p_s[1] == pytest.approx(22.5, rel=1e-2)
    to_r_s, _ = graph.travel_times_to_point(*pts["R"], lons, lats)
    assert to_r_s[1] == pytest.approx((1 - q.fraction) * 10 + 30 + r.fraction * 10, rel=1e-12)
    for target in "PQR":
        eta_s, distance_m = graph.travel_times_to_point(*pts[target], lons, lats)
        for i, source in enumerate("PQR"):
            assert (eta_s[i], distance_m[i]) == pytest.approx(
                route_or_inf(graph, pts[source], pts[target]), rel=1e-12, abs=1e-9)


def test_times_to_point_on_one_edge_go_direct_unless_around_is_faster() -> None:
    # 1 - 2 is a slow two-way street (100 s); 1 - 3 - 2 a fast bypass (1 s + 1 s).
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 0.5 * STEP, LAT0 + STEP)}
    edges = frame([(1, 2, 100.0, False), (1, 3, 1.0, False), (3, 2, 1.0, False)], coords)
    graph = RoadGraph.from_edges(edges)
    near = [point_on((coords[1], coords[2]), f) for f in (0.05, 0.45, 0.5, 0.55, 0.95)]
    lons, lats = [x for x, _ in near], [y for _, y in near]
    eta_s, distance_m = graph.travel_times_to_point(*near[2], lons, lats)
    # From 5 % along, 45 s direct beats 5 s back to 1, 2 s round and 50 s in from 2.
    np.testing.assert_allclose(eta_s, [45.0, 5.0, 0.0, 5.0, 45.0], rtol=1e-3)
    eta_s, distance_m = graph.travel_times_to_point(*near[0], lons, lats)
    # from 95 % along: 5 s to 2, 2 s round to 1, 5 s in: 12 s, not 90 s direct
    assert eta_s[4] == pytest.approx(12.0, rel=1e-3)
    assert eta_s[1] == pytest.approx(40.0, rel=1e-3)  # direct: 40 s < 55 + 2 + 5
    for i, source in enumerate(near):
        assert (eta_s[i], distance_m[i]) == pytest.approx(route_or_inf(graph, source, near[0]),
                                                          rel=1e-12, abs=1e-9)


def test_times_to_point_are_inf_where_unreachable_or_off_the_road() -> None:
    edges = grid(3, oneway=frozenset({(100, 101)}))
    island = frame([(900, 901, 5.0, False)],
                   {900: (LON0 + 0.05, LAT0), 901: (LON0 + 0.051, LAT0)}, edge_ids=[900])
    graph = RoadGraph.from_edges(pd.concat([edges, island], ignore_index=True))
    target = (LON0 + 1.5 * STEP, LAT0 + STEP)  # half-way along 111 -> 112
    sources = [(LON0 + 0.0505, LAT0),  # on the island
               (LON0, LAT0 + 0.02),  # ~2 km north of any road
               (np.nan, LAT0),  # no fix
               (LON0 + 0.5 * STEP, LAT0)]  # half-way along the one-way 100 -> 101
    eta_s, distance_m = graph.travel_times_to_point(*target, [s[0] for s in sources],
                                                    [s[1] for s in sources])
    assert np.isinf(eta_s[:3]).all() and np.isinf(distance_m[:3]).all()
    assert eta_s[3] == pytest.approx(5.0 + 20.0 + 5.0, rel=1e-3)  # to 101, up, half along
    assert distance_m[3] == pytest.approx(route_or_inf(graph, sources[3], target)[1])
    near_only, _ = graph.travel_times_to_point(*target, [sources[3][0]],
                                               [sources[3][1] + 0.0005], max_snap_m=30.0)
    assert np.isinf(near_only).all()  # ~55 m off the road with 30 m allowed
    empty = graph.travel_times_to_point(*target, [], [])
    assert empty[0].shape == empty[1].shape == (0,)
    with pytest.raises(TooFarFromRoad):
        graph.travel_times_to_point(LON0, LAT0 + 0.02, [LON0], [LAT0])
    with pytest.raises(GraphError):
        graph.travel_times_to_point(*target, [LON0, LON0], [LAT0])
    with pytest.raises(GraphError):
        graph.travel_times_to_point(*target, [[LON0]], [[LAT0]])


@pytest.mark.parametrize("seed", range(4))
def test_times_to_point_equal_route_between_points_on_random_networks(seed: int) -> None:
    edges, _ = random_network(seed)
    rng = np.random.default_rng(seed)
    lons, lats = points_near_roads(edges, rng, 120, jitter_deg=0.0003)
    # Zero-cost edges make equally fast routes of different lengths, and which of them
    # each method reports is arbitrary: distances are compared without them.
    tie_free = RoadGraph.from_edges(edges.assign(travel_s=edges["travel_s"] + 1.0))
    graph = RoadGraph.from_edges(edges)
    finite = 0
    for t in range(4):
        target = (lons[t], lats[t])
        eta_s, _ = graph.travel_times_to_point(*target, lons, lats)
        tie_free_s, tie_free_m = tie_free.travel_times_to_point(*target, lons, lats)
        for i in range(len(lons)):
            source = (lons[i], lats[i])
            assert eta_s[i] == pytest.approx(route_or_inf(graph, source, target)[0], rel=1e-9)
            assert (tie_free_s[i], tie_free_m[i]) == pytest.approx(
                route_or_inf(tie_free, source, target), rel=1e-9)
            finite += bool(np.isfinite(eta_s[i]))
    assert 0.3 * 4 * len(lons) < finite < 4 * len(lons)


def test_times_to_point_equal_route_between_points_in_heidelberg(
        heidelberg: tuple[RoadGraph, gpd.GeoDataFrame]) -> None:
    graph, edges = heidelberg
    rng = np.random.default_rng(7)
    lons, lats = points_near_roads(edges, rng, 150, jitter_deg=0.0002)
    lons[:3] += 0.5  # tens of km off the extract: inf, not an exception
    lats[3] = np.nan
    checked = 0
    for _ in range(3):
        target = points_near_roads(edges, rng, 1)
        eta_s, distance_m = graph.travel_times_to_point(float(target[0][0]),
                                                        float(target[1][0]), lons, lats)
        assert np.isinf(eta_s[:4]).all() and np.isinf(distance_m[:4]).all()
        for i in range(4, len(lons)):
            expected = route_or_inf(graph, (lons[i], lats[i]),
                                    (float(target[0][0]), float(target[1][0])))
            assert (eta_s[i], distance_m[i]) == pytest.approx(expected, rel=1e-6)
            checked += bool(np.isfinite(expected[0]))
    assert checked > 0.8 * 3 * (len(lons) - 4)


# -- between points ---------------------------------------------------------------------

def test_point_table_matches_point_to_point_routes(
        heidelberg: tuple[RoadGraph, gpd.GeoDataFrame]) -> None:
    graph, edges = heidelberg
    lons, lats = points_near_roads(edges, np.random.default_rng(11), 14, jitter_deg=0.0001)
    # two points on one edge: the direct drive along it must be found
    line = edges.geometry.iloc[int(np.argmax(edges["length_m"]))]
    for fraction in (0.2, 0.7):
        point = line.interpolate(fraction, normalized=True)
        lons, lats = np.append(lons, point.x), np.append(lats, point.y)
    table = graph.travel_time_table_between_points(lons, lats)
    assert table.flags.c_contiguous and table.shape == (16, 16)
    for i in range(16):
        for j in range(16):
            if i == j:
                assert table[i, j] == 0
                continue
            try:
                expected = graph.route_between_points(lons[i], lats[i], lons[j], lats[j]).eta_s
            except NoRoute:
                expected = np.inf
            assert table[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-6), (i, j)
    with pytest.raises(TooFarFromRoad, match="point 1 "):
        graph.travel_time_table_between_points([lons[0], 20.0], [lats[0], 10.0])
