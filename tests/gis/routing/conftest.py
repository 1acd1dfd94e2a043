"""Fixtures shared by the routing tests: the road graph of the Heidelberg extract."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from gis.osm import read_osm
from gis.routing import RoadGraph
from tests.conftest import SHARED_DATA

SHARED_OSM = SHARED_DATA / "osm"


@pytest.fixture(scope="session")
def heidelberg() -> tuple[RoadGraph, gpd.GeoDataFrame]:
    assert SHARED_OSM.is_dir(), f"no shared OSM data at {SHARED_OSM}"
    edges = read_osm(SHARED_OSM / "heidelberg.osm.pbf").road_edges.reset_index(drop=True)
    edges = edges.assign(edge_id=np.arange(len(edges), dtype=np.int64))
    return RoadGraph.from_edges(edges), edges
