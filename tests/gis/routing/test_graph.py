"""gis.routing.graph: building the road graph, finding its nodes, refusing bad edges,
and the reversed hierarchy it builds."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gis import errors
from gis.contraction import ArcTable, CoreHierarchy
from gis.routing import GraphError, NoRoute, RoadGraph, TooFarFromRoad, UnknownNode
from tests.gis.routing.networks import grid, random_network


def test_unknown_nodes_are_named() -> None:
    graph = RoadGraph.from_edges(grid(3))
    with pytest.raises(UnknownNode, match="4242"):
        graph.travel_times_from(100, [101, 4242])
    with pytest.raises(UnknownNode):
        graph.route(4242, 100)
    with pytest.raises(GraphError):
        graph.travel_times_from(100, [1.5])


def test_errors_are_value_errors() -> None:
    assert issubclass(GraphError, ValueError)
    for error in (NoRoute, TooFarFromRoad, UnknownNode):
        assert issubclass(error, GraphError)


def test_errors_live_in_gis_errors() -> None:
    # moved to gis.errors, importable from gis.routing as before: the same classes
    assert (GraphError, NoRoute, TooFarFromRoad, UnknownNode) == (
        errors.GraphError, errors.NoRoute, errors.TooFarFromRoad, errors.UnknownNode)
    assert GraphError.__bases__ == (ValueError,)


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


@pytest.mark.parametrize("seed", range(3))
def test_reversed_hierarchy_answers_the_transposed_table_with_lengths(seed: int) -> None:
    edges, _ = random_network(seed)
    edges = edges.assign(travel_s=edges["travel_s"] + 1.0)  # no equally fast paths
    ids = np.unique(np.concatenate([edges["u"], edges["v"]]))
    u, v = np.searchsorted(ids, edges["u"]), np.searchsorted(ids, edges["v"])
    arcs = ArcTable.from_edges(len(ids), u, v, edges["travel_s"].to_numpy(),
                               edges["oneway"].to_numpy())
    reference = nx.DiGraph()  # the cheapest arc per node pair, as ArcTable keeps
    for a, b, s, m in zip(arcs.tail.tolist(), arcs.head.tolist(), arcs.matrix.data.tolist(),
                          edges["length_m"].to_numpy()[arcs.edge_row].tolist(), strict=True):
        reference.add_edge(a, b, weight=s, length_m=m)
    forward = CoreHierarchy.build(len(ids), arcs.tail, arcs.head, arcs.matrix.data,
                                  edges["length_m"].to_numpy()[arcs.edge_row])
    backward = forward.reversed()
    targets = np.arange(0, len(ids), 9)
    everyone = np.arange(len(ids))
    times_s, lengths_m = backward.table_with_lengths(targets, everyone)
    np.testing.assert_allclose(times_s, forward.table(everyone, targets).T, rtol=1e-12)
    np.testing.assert_array_equal(backward.table(targets, everyone), times_s)
    checked = 0
    for j, target in enumerate(targets.tolist()):
        for source in everyone.tolist():
            if not reference.has_node(source) or not nx.has_path(reference, source, target):
                assert np.isinf(times_s[j, source]) and np.isinf(lengths_m[j, source])
                continue
            path = nx.dijkstra_path(reference, source, target, weight="weight")
            metres = sum(reference[a][b]["length_m"] for a, b in nx.utils.pairwise(path))
            assert lengths_m[j, source] == pytest.approx(metres, rel=1e-9, abs=1e-9)
            checked += 1
    assert checked > 300
