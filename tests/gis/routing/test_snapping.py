"""gis.routing.snapping: where a point meets the road, measured in metres."""

from __future__ import annotations

import pytest

from gis.routing import GraphError, RoadGraph, TooFarFromRoad
from tests.gis.routing.networks import GEOD, LAT0, LON0, STEP, frame, grid, grid_node


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
