"""gis.routing.along: edges under points, and the timed directed pieces of road from a
point, checked against networkx and by hand on a lattice."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gis.routing import GraphError, RoadGraph
from tests.gis.routing.networks import LAT0, LON0, STEP, grid, grid_node, random_network


@pytest.mark.parametrize("seed", range(3))
def test_pieces_enter_each_edge_when_its_end_is_reached(seed: int) -> None:
    edges, reference = random_network(seed)
    graph = RoadGraph.from_edges(edges)
    middle = edges.geometry.iloc[3].interpolate(0.5, normalized=True)
    lon, lat = middle.x, middle.y
    limit_s = 150.0
    pieces = graph.pieces_within(lon, lat, max_travel_s=limit_s)
    reach = graph.reachable_from_point(lon, lat, max_travel_s=limit_s)
    assert set(pieces["edge_id"]) == set(reach["edge_id"])
    earliest = pieces.groupby("edge_id")["start_s"].min()
    np.testing.assert_allclose(earliest.loc[reach["edge_id"]].to_numpy(),
                               reach["reached_s"].to_numpy(), atol=1e-9)
    assert (pieces["start_s"] + pieces["duration_s"] <= limit_s + 1e-6).all()
    assert pieces["start_s"].is_monotonic_increasing


def test_a_lattice_by_hand_car_and_walker() -> None:
    # 3 x 3 lattice: east blocks 10 s, north blocks 20 s; start at the south-west corner.
    edges = grid(3, oneway=frozenset({(grid_node(0, 1), grid_node(0, 2))}))
    graph = RoadGraph.from_edges(edges)
    pieces = graph.pieces_within(LON0, LAT0, max_travel_s=25.0)
    by_edge = {(int(r.edge_id), round(r.from_fraction)): r for r in pieces.itertuples()}
    east = int(edges.loc[(edges.u == grid_node(0, 0)) & (edges.v == grid_node(0, 1)),
                         "edge_id"].iloc[0])
    north = int(edges.loc[(edges.u == grid_node(0, 0)) & (edges.v == grid_node(1, 0)),
                          "edge_id"].iloc[0])
    further = int(edges.loc[(edges.u == grid_node(0, 1)) & (edges.v == grid_node(0, 2)),
                            "edge_id"].iloc[0])
    assert by_edge[(east, 0)].start_s == 0.0 and by_edge[(east, 0)].duration_s == 10.0
    assert by_edge[(north, 0)].duration_s == 20.0
    # entered at 10 s and driven whole by 20 s
    assert by_edge[(further, 0)].start_s == 10.0 and by_edge[(further, 0)].duration_s == 10.0
    # the one-way block further east is never driven back westwards by car
    assert (further, 1) not in by_edge
    # north from (0, 1) is entered at 10 s and cut after 15 of its 20 s
    up = int(edges.loc[(edges.u == grid_node(0, 1)) & (edges.v == grid_node(1, 1)),
                       "edge_id"].iloc[0])
    cut = by_edge[(up, 0)]
    assert cut.start_s == 10.0 and cut.duration_s == pytest.approx(15.0)
    assert cut.to_fraction == pytest.approx(0.75)
    assert shapely.get_coordinates(cut.geometry)[-1, 1] == pytest.approx(LAT0 + 0.75 * STEP,
                                                                         abs=1e-7)
    # a walker ignores the one-way rule and walks every block at its length / speed
    walk = graph.pieces_within(LON0, LAT0, max_travel_s=1000.0, speed_mps=1.4)
    back = walk[(walk.edge_id == further) & (walk.from_fraction == 1.0)]
    assert len(back) == 1
    length = float(edges.set_index("edge_id").loc[further, "length_m"])
    assert back.iloc[0].duration_s == pytest.approx(length / 1.4)
    with pytest.raises(GraphError):
        graph.pieces_within(LON0, LAT0, max_travel_s=10.0, speed_mps=0.0)


def test_edges_under_points_give_the_edge_and_its_speed() -> None:
    edges = grid(3)
    graph = RoadGraph.from_edges(edges)
    middle_east = (LON0 + STEP / 2, LAT0)
    far = (LON0 - 1.0, LAT0)
    found = graph.edges_under([middle_east[0], far[0]], [middle_east[1], far[1]])
    east = edges.loc[(edges.u == grid_node(0, 0)) & (edges.v == grid_node(0, 1))].iloc[0]
    assert found["edge_id"].tolist() == [int(east.edge_id), -1]
    assert found["speed_mps"].iloc[0] == pytest.approx(east.length_m / 10.0)
    assert np.isnan(found["speed_mps"].iloc[1])

