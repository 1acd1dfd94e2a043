"""The placement problem on a 3 x 3 street lattice (blocks ~72 m east-west, ~111 m north-
south): junctions, candidates looking down the streets, road demand, incidents by age,
and what an existing camera already serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from gis.coverage import coverage_sector
from gis.placement import solve_mclp
from gis.placement.problem import (
    candidate_cameras,
    combine_demand,
    incident_demand,
    junction_sites,
    placement_problem,
    road_demand,
)
from tests.gis.routing.networks import LAT0, LON0, STEP, grid, grid_node

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def streets() -> gpd.GeoDataFrame:
    edges = grid(3)
    return edges.assign(highway=np.where(edges["u"] // 10 == edges["v"] // 10, "primary",
                                         "residential"))


def test_junctions_are_nodes_of_three_or_more_roads(streets: gpd.GeoDataFrame) -> None:
    sites = junction_sites(streets)
    # the centre (4 roads) and the middles of the four sides (3 roads); not the corners
    assert sorted(sites["node_id"]) == sorted([grid_node(1, 1), grid_node(0, 1),
                                               grid_node(1, 0), grid_node(1, 2),
                                               grid_node(2, 1)])
    candidates = candidate_cameras(sites)
    assert len(candidates) == 5 * (4 + 1)
    centre = candidates[candidates["site"] == list(sites["node_id"]).index(grid_node(1, 1))]
    fixed = centre[centre["kind"] == "fixed"]
    # four directions a quarter turn apart, one of them down a street
    turns = np.sort(np.mod(fixed["azimuth_deg"].to_numpy() - fixed["azimuth_deg"].min(), 360))
    np.testing.assert_allclose(turns, [0, 90, 180, 270])
    assert min(abs(((a + 45) % 90) - 45) for a in fixed["azimuth_deg"]) < 1.0


def test_demand_weights_and_served_points(streets: gpd.GeoDataFrame) -> None:
    roads = road_demand(streets, step_m=25.0)
    primary_m = streets.loc[streets["highway"] == "primary"].to_crs(32632).length.sum()
    assert roads["road_m"].sum() == pytest.approx(streets.to_crs(32632).length.sum(), rel=1e-3)
    assert roads["weight"].sum() == pytest.approx(
        3.0 * primary_m + 1.0 * (roads["road_m"].sum() - primary_m), rel=1e-3)
    assert roads["road_m"].max() <= 25.0 + 1e-9
    incidents = gpd.GeoDataFrame({"occurred_at": [NOW, NOW - timedelta(days=365)]},
                                 geometry=[Point(LON0, LAT0), Point(LON0 + STEP, LAT0)],
                                 crs="EPSG:4326")
    recent = incident_demand(incidents, now=NOW, half_life_days=365.0)
    assert recent["weight"].tolist() == pytest.approx([1.0, 0.5])
    both = combine_demand(roads, recent, incident_share=0.25)
    assert both.loc[both["source"] == "incident", "weight"].sum() == pytest.approx(0.25)
    assert both["weight"].sum() == pytest.approx(1.0)
    # a 50 m disc at the centre junction serves the road points within 50 m
    centre = (LON0 + STEP, LAT0 + STEP)
    existing = gpd.GeoSeries([coverage_sector(*centre, azimuth_deg=None, fov_deg=None,
                                              range_m=50.0)], crs="EPSG:4326")
    problem = placement_problem(candidate_cameras(junction_sites(streets)), roads, existing)
    served = problem.demand["served"].to_numpy()
    near = roads.to_crs(32632).distance(gpd.GeoSeries([Point(centre)], crs="EPSG:4326")
                                        .to_crs(32632).iloc[0]).to_numpy() < 49.0
    assert served[near].all() and served.sum() < len(served)
    assert (problem.weights[served] == 0).all()
    # the solver's first pick adds weight that is not served yet
    solved = solve_mclp(problem.cover, problem.weights, k=2,
                        site_of=problem.candidates["site"].to_numpy())
    assert solved.covered > 0 and solved.covered <= problem.weights.sum()
