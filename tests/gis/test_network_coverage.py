"""gis.network_coverage on two 200 m squares, worked out by hand.

Zone A spans 0-200 m east of (8.69, 49.41), zone B 200-400 m; a residential street runs
east through both, 100 m north of their south edge, and a footway 150 m north of it in A
only. A camera of unknown direction (a 30 m disc) stands on the street 100 m into A: it
sees 60 m of street and pi·30² m² of A. A second disc on the A/B border is split in two.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pyproj
import pytest
from shapely.geometry import LineString, Point, Polygon

from gis.coverage import coverage_sector
from gis.errors import MissingColumnError
from gis.network_coverage import zone_coverage

GEOD = pyproj.Geod(ellps="WGS84")
ORIGIN = (8.69, 49.41)


def at(east: float, north: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*ORIGIN, 90.0, east)
    lon, lat, _ = GEOD.fwd(lon, lat, 0.0, north)
    return float(lon), float(lat)


def square(west: float) -> Polygon:
    return Polygon([at(west, 0), at(west + 200, 0), at(west + 200, 200), at(west, 200)])


ZONES = gpd.GeoSeries([square(0), square(200)], index=["A", "B"], crs="EPSG:4326")
ROADS = gpd.GeoDataFrame({"highway": ["residential", "footway"]},
                         geometry=[LineString([at(0, 100), at(400, 100)]),
                                   LineString([at(20, 150), at(120, 150)])], crs="EPSG:4326")


def disc(east: float, north: float, radius: float = 30.0) -> Polygon:
    return coverage_sector(*at(east, north), azimuth_deg=None, fov_deg=None, range_m=radius,
                           segments=64)


def test_a_disc_on_the_street_sees_sixty_metres_and_its_own_area() -> None:
    coverage = gpd.GeoSeries([disc(100, 100)], crs="EPSG:4326")
    cameras = gpd.GeoSeries([Point(at(100, 100))], crs="EPSG:4326")
    measured = zone_coverage(ZONES, coverage, ROADS, cameras)
    a, b = measured.table.loc["A"], measured.table.loc["B"]
    assert a.area_m2 == pytest.approx(40_000, rel=1e-3)
    assert a.seen_m2 == pytest.approx(math.pi * 30 ** 2, rel=2e-3)
    assert a.road_m["residential"] == pytest.approx(200, rel=1e-3)
    assert a.road_m["footway"] == pytest.approx(100, rel=1e-3)
    assert a.seen_road_m["residential"] == pytest.approx(60, rel=1e-3)
    assert a.seen_road_m["footway"] == 0.0
    assert a.cameras == 1 and b.cameras == 0
    assert b.seen_m2 == 0.0 and b.seen_road_m == {"residential": 0.0}
    assert measured.seen.loc["A"].contains(Point(at(100, 110)))
    assert measured.seen.loc["B"].is_empty


def test_a_disc_on_the_border_is_split_and_overlaps_count_once() -> None:
    coverage = gpd.GeoSeries([disc(200, 100), disc(200, 100), None], crs="EPSG:4326")
    cameras = gpd.GeoSeries([Point(at(200, 100)), Point(at(199, 100))], crs="EPSG:4326")
    measured = zone_coverage(ZONES, coverage, ROADS, cameras).table
    half = math.pi * 30 ** 2 / 2
    assert measured.loc["A", "seen_m2"] == pytest.approx(half, rel=3e-3)
    assert measured.loc["B", "seen_m2"] == pytest.approx(half, rel=3e-3)
    assert measured.loc["A", "seen_road_m"]["residential"] == pytest.approx(30, rel=1e-3)
    assert measured.loc["B", "seen_road_m"]["residential"] == pytest.approx(30, rel=1e-3)
    assert measured["cameras"].sum() == 2  # the camera on the border counts once


def test_roads_need_their_class() -> None:
    with pytest.raises(MissingColumnError):
        zone_coverage(ZONES, gpd.GeoSeries([], crs="EPSG:4326"), ROADS[["geometry"]],
                      gpd.GeoSeries([], crs="EPSG:4326"))
