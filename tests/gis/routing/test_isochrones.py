"""gis.routing.isochrones: what is reachable from a node or a point, networkx as
the reference."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gis.routing import GraphError, RoadGraph, TooFarFromRoad
from tests.gis.routing.networks import (
    LAT0,
    LON0,
    STEP,
    frame,
    grid,
    point_on,
    points_near_roads,
    random_network,
)


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


# -- reachable_from_point and isochrone_from_point ---------------------------------------

def test_reachable_from_a_point_on_the_grid() -> None:
    graph = RoadGraph.from_edges(grid())
    edges = grid().set_index(["u", "v"])["edge_id"]
    # 30 % along 100 -> 101 (10 s): 100 at 3 s, 101 at 7 s, 102 at 17 s, 110 at 23 s.
    table = graph.reachable_from_point(*point_on(((LON0, LAT0), (LON0 + STEP, LAT0)), 0.3),
                                       max_travel_s=25.0).set_index("edge_id")
    expected = {(100, 101): 0.0, (100, 110): 3.0, (101, 102): 7.0, (101, 111): 7.0,
                (102, 103): 17.0, (102, 112): 17.0, (110, 111): 23.0, (110, 120): 23.0}
    assert set(table.index) == {edges[pair] for pair in expected}
    for pair, seconds in expected.items():
        assert table.loc[edges[pair], "reached_s"] == pytest.approx(seconds, abs=1e-3)
    fully = {edges[pair] for pair in [(100, 101), (100, 110), (101, 102)]}
    assert set(table.index[table["fully_reachable"]]) == fully
    assert list(table["reached_s"]) == sorted(table["reached_s"])


def test_reachable_from_a_point_at_a_node_is_the_node_isochrone() -> None:
    graph = RoadGraph.from_edges(grid())
    for limit_s in (0.0, 15.0, 45.0, 200.0):
        from_point = graph.reachable_from_point(LON0 + STEP, LAT0 + STEP, max_travel_s=limit_s)
        pd.testing.assert_frame_equal(from_point, graph.isochrone(111, max_travel_s=limit_s).edges)


def test_reachable_behind_a_point_on_a_oneway_needs_the_way_round() -> None:
    # 1 -> 2 one-way (100 s), then 2 - 3 - 1 (30 s + 30 s); start 25 % along 1 -> 2.
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 0.5 * STEP, LAT0 + STEP)}
    graph = RoadGraph.from_edges(frame([(1, 2, 100.0, True), (2, 3, 30.0, False),
                                        (3, 1, 30.0, False)], coords))
    start = point_on((coords[1], coords[2]), 0.25)
    snap = graph.snap(*start)
    ahead_s = (1 - snap.fraction) * 100  # ~75 s to node 2
    # Behind the start: back at node 1 after ahead_s + 60, then 25 s more to the start.
    behind_s = ahead_s + 60 + snap.fraction * 100
    table = graph.reachable_from_point(*start, max_travel_s=behind_s + 1).set_index("edge_id")
    assert table.loc[1, "reached_s"] == 0.0 and table.loc[1, "fully_reachable"]
    assert table.loc[2, "reached_s"] == pytest.approx(ahead_s)
    assert table.loc[3, "reached_s"] == pytest.approx(ahead_s + 30)
    table = graph.reachable_from_point(*start, max_travel_s=behind_s - 1).set_index("edge_id")
    assert not table.loc[1, "fully_reachable"]
    short = graph.reachable_from_point(*start, max_travel_s=50.0)
    assert list(short["edge_id"]) == [1] and not short["fully_reachable"].any()
    zero = graph.reachable_from_point(*start, max_travel_s=0.0)
    assert list(zero["edge_id"]) == [1] and list(zero["reached_s"]) == [0.0]
    with pytest.raises(GraphError):
        graph.reachable_from_point(*start, max_travel_s=-1.0)
    with pytest.raises(GraphError):
        graph.reachable_from_point(*start, max_travel_s=float("nan"))
    with pytest.raises(TooFarFromRoad):
        graph.reachable_from_point(LON0, LAT0 + 0.02, max_travel_s=10.0)

    iso = graph.isochrone_from_point(*start, max_travel_s=50.0, buffer_m=2.0)  # 0.05 = 3.6 m
    pd.testing.assert_frame_equal(iso.edges, short)
    assert iso.polygon.contains(Point(*start))
    assert iso.polygon.contains(Point(*point_on((coords[1], coords[2]), 0.7)))  # 45 s ahead
    assert not iso.polygon.contains(Point(*point_on((coords[1], coords[2]), 0.8)))  # 55 s
    assert not iso.polygon.contains(Point(*point_on((coords[1], coords[2]), 0.15)))  # behind


def test_reachable_on_a_slow_two_way_edge_is_covered_from_both_ends() -> None:
    # 1 - 2 is slow (100 s) with a 2 s bypass 1 - 3 - 2; start 5 % along 1 - 2: node 1 at
    # 5 s, node 2 at 7 s, and the rest of 1 - 2 is last reached where the front driving
    # on meets the one coming back from 2: (7 + 95) / 2 = 51 s, not 95 s.
    coords = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0 + 0.5 * STEP, LAT0 + STEP)}
    graph = RoadGraph.from_edges(frame([(1, 2, 100.0, False), (1, 3, 1.0, False),
                                        (3, 2, 1.0, False)], coords))
    start = point_on((coords[1], coords[2]), 0.05)
    fraction = graph.snap(*start).fraction
    last_s = (5 + 2 + (1 - fraction) * 100) / 2
    assert last_s == pytest.approx(51.0, rel=1e-3)
    for limit_s, fully in ((last_s + 0.5, True), (last_s - 0.5, False)):
        table = graph.reachable_from_point(*start, max_travel_s=limit_s).set_index("edge_id")
        assert table.loc[1, "fully_reachable"] == fully
        assert table.loc[[2, 3], "fully_reachable"].all()
        assert table.loc[3, "reached_s"] == pytest.approx(fraction * 100 + 1, rel=1e-9)


def test_isochrone_from_a_point_on_a_two_way_edge_covers_both_ways() -> None:
    graph = RoadGraph.from_edges(grid())
    start = point_on(((LON0, LAT0), (LON0 + STEP, LAT0)), 0.5)  # 5 s from 100 and 101
    iso = graph.isochrone_from_point(*start, max_travel_s=4.0, buffer_m=2.0)
    assert iso.edges["edge_id"].tolist() == [grid().set_index(["u", "v"]).loc[(100, 101),
                                                                               "edge_id"]]
    assert iso.polygon.contains(Point(LON0 + 0.2 * STEP, LAT0))
    assert iso.polygon.contains(Point(LON0 + 0.8 * STEP, LAT0))
    assert not iso.polygon.contains(Point(LON0 + 0.05 * STEP, LAT0))
    assert not iso.polygon.contains(Point(LON0 + 0.95 * STEP, LAT0))


def reference_reach(graph: RoadGraph, edges: gpd.GeoDataFrame, reference: nx.MultiDiGraph,
                    start: tuple[float, float]) -> tuple[int, np.ndarray, np.ndarray]:
    """networkx seconds from a point to every edge's u and v: the point is a node of its
    own with arcs to the snapped edge's v (and u, if two-way) costing their shares."""
    snap = graph.snap(*start)
    row = edges.set_index("edge_id").loc[snap.edge_id]
    ref = reference.copy()
    ref.add_edge(-1, int(row["v"]), weight=(1 - snap.fraction) * row["travel_s"])
    if not row["oneway"]:
        ref.add_edge(-1, int(row["u"]), weight=snap.fraction * row["travel_s"])
    reached = nx.single_source_dijkstra_path_length(ref, -1, weight="weight")
    at_u = edges["u"].map(reached).astype(float).fillna(np.inf).to_numpy()
    at_v = edges["v"].map(reached).astype(float).fillna(np.inf).to_numpy()
    return snap.edge_id, at_u, at_v


@pytest.mark.parametrize("seed", range(4))
def test_reachable_from_a_point_against_networkx(seed: int) -> None:
    edges, reference = random_network(seed)
    graph = RoadGraph.from_edges(edges)
    rng = np.random.default_rng(seed)
    lons, lats = points_near_roads(edges, rng, 8)
    limit_s = 150.0
    cost = edges["travel_s"].to_numpy()
    oneway = edges["oneway"].to_numpy()
    for start in zip(lons, lats, strict=True):
        edge_id, at_u, at_v = reference_reach(graph, edges, reference, start)
        entry = np.where(oneway, at_u, np.minimum(at_u, at_v))
        entry[edges["edge_id"].to_numpy() == edge_id] = 0.0
        table = graph.reachable_from_point(*start, max_travel_s=limit_s)
        clear = np.abs(entry - limit_s) > 1e-6
        expected = set(edges.loc[(entry <= limit_s) & clear, "edge_id"])
        got = table.set_index("edge_id")
        assert expected <= set(got.index)
        assert set(got.index) <= expected | set(edges.loc[~clear, "edge_id"])
        by_id = pd.Series(entry, index=edges["edge_id"])
        np.testing.assert_allclose(got["reached_s"], by_id[got.index], rtol=1e-9, atol=1e-9)

        # fully_reachable, by sampling every reachable edge finely
        snap = graph.snap(*start)
        x = np.linspace(0.0, 1.0, 4001)
        rows = edges.reset_index(drop=True).set_index("edge_id").index.get_indexer(got.index)
        for edge_id_, row in zip(got.index, rows, strict=True):
            times = at_u[row] + x * cost[row]
            if not oneway[row]:
                times = np.minimum(times, at_v[row] + (1 - x) * cost[row])
            if edge_id_ == snap.edge_id:
                ahead = x >= snap.fraction
                times[ahead] = np.minimum(times[ahead], (x[ahead] - snap.fraction) * cost[row])
                if not oneway[row]:
                    times[~ahead] = np.minimum(times[~ahead],
                                               (snap.fraction - x[~ahead]) * cost[row])
            latest = times.max()
            if abs(latest - limit_s) > cost[row] / 1000 + 1e-6:
                assert got.loc[edge_id_, "fully_reachable"] == (latest <= limit_s), edge_id_


def test_reachable_from_a_point_agrees_with_times_from_the_point_in_heidelberg(
        heidelberg: tuple[RoadGraph, gpd.GeoDataFrame]) -> None:
    graph, edges = heidelberg
    rng = np.random.default_rng(11)
    lons, lats = points_near_roads(edges, rng, 3, jitter_deg=0.0001)
    limit_s = 180.0
    for start in zip(lons, lats, strict=True):
        table = graph.reachable_from_point(*start, max_travel_s=limit_s).set_index("edge_id")
        times = graph.travel_times_from_point(*start, np.concatenate([edges["u"], edges["v"]]))
        at_u, at_v = times[:len(edges)], times[len(edges):]
        entry = np.where(edges["oneway"], at_u, np.minimum(at_u, at_v))
        entry[edges["edge_id"].to_numpy() == graph.snap(*start).edge_id] = 0.0
        clear = np.abs(entry - limit_s) > 1e-6
        assert set(edges.loc[(entry <= limit_s) & clear, "edge_id"]) == set(
            table.index[np.abs(table["reached_s"] - limit_s) > 1e-6])
        by_id = pd.Series(entry, index=edges["edge_id"])
        np.testing.assert_allclose(table["reached_s"], by_id[table.index], rtol=1e-9)
        assert len(table) > 50
