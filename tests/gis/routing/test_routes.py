"""gis.routing.routes: routes between nodes and between points, networkx as the
reference."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from gis.routing import NoRoute, RoadGraph
from tests.gis.routing.networks import LAT0, LON0, STEP, frame, grid, point_on, random_network


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


# -- between points --------------------------------------------------------------------

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
