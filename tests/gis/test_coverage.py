"""gis.coverage: camera wedges near Helsinki (lon 24.94, lat 60.17), checked by hand.

Points and buildings are placed in metres east/north of the camera (an azimuthal
equidistant CRS centred on it) and handed over in EPSG:4326; areas are measured in UTM 35N.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, Polygon

from gis import coverage
from gis.crs import metric_crs_for
from gis.errors import (
    CameraParameterError,
    CoordinateRangeError,
    CrsMismatchError,
    GeometryTypeError,
    InvalidAzimuthError,
    InvalidCameraRangeError,
    InvalidFieldOfViewError,
    InvalidSamplingError,
    MissingColumnError,
    MissingCrsError,
)

LON, LAT = 24.94, 60.17
LOCAL = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={LAT} +lon_0={LON} +datum=WGS84 +units=m")
TO_LONLAT = pyproj.Transformer.from_crs(LOCAL, 4326, always_xy=True)
TO_LOCAL = pyproj.Transformer.from_crs(4326, LOCAL, always_xy=True)
UTM = metric_crs_for(Point(LON, LAT))
EAST_90 = {"azimuth_deg": 90.0, "fov_deg": 90.0, "range_m": 100.0}
# 120 degrees, so that a point due north-east lies strictly inside, not on the edge.
EAST_120 = {"azimuth_deg": 90.0, "fov_deg": 120.0, "range_m": 100.0}
NORTH_EAST_60 = (60 / math.sqrt(2), 60 / math.sqrt(2))
# A 10 m square building whose near face is 25 m east of the camera (centre 30 m east).
BUILDING_LOCAL = shapely.box(25.0, -5.0, 35.0, 5.0)


def at(east_m: float, north_m: float) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(east_m, north_m)
    return float(lon), float(lat)


def lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(*xy.T)))


def local(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LOCAL.transform(*xy.T)))


def utm_area_m2(geom: shapely.Geometry) -> float:
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(UTM).area.iloc[0])


def building() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["kiosk"]}, geometry=[lonlat(BUILDING_LOCAL)], crs=4326)


def sees_local(east_m: float, north_m: float, **camera: object) -> coverage.View:
    lon, lat = at(east_m, north_m)
    return coverage.sees(lon, lat, camera_lon=LON, camera_lat=LAT, **camera)  # type: ignore[arg-type]


# -- plain wedges --------------------------------------------------------------------------

def test_quarter_wedge_has_quarter_disc_area_and_faces_east() -> None:
    wedge = coverage.coverage_sector(LON, LAT, **EAST_90)
    assert wedge.is_valid and wedge.exterior.is_ccw
    assert utm_area_m2(wedge) == pytest.approx(math.pi * 100.0**2 / 4.0, rel=0.01)
    assert wedge.contains(Point(at(50, 0)))
    assert not wedge.contains(Point(at(-50, 0)))
    assert not wedge.contains(Point(at(150, 0)))
    assert not wedge.contains(Point(at(0, 50)))  # 90 deg off axis, outside a 90 deg wedge
    # The vertices sit exactly 100 m from the camera: in the local CRS, x = r sin, y = r cos.
    arc = shapely.get_coordinates(local(wedge))[1:-1]
    assert np.hypot(arc[:, 0], arc[:, 1]) == pytest.approx(100.0, abs=1e-6)
    assert arc[0] == pytest.approx([100 * math.sin(math.radians(135)),
                                    100 * math.cos(math.radians(135))], abs=1e-6)
    assert len(arc) == 33  # 32 pieces per 90 degrees


@pytest.mark.parametrize("camera", [{"azimuth_deg": None, "fov_deg": 90.0},
                                    {"azimuth_deg": 90.0, "fov_deg": None},
                                    {"azimuth_deg": 90.0, "fov_deg": 360.0}])
def test_unknown_heading_or_full_view_gives_the_full_disc(camera: dict[str, float | None]
                                                          ) -> None:
    disc = coverage.coverage_sector(LON, LAT, range_m=100.0, **camera)
    assert disc.is_valid and disc.exterior.is_ccw
    assert utm_area_m2(disc) == pytest.approx(math.pi * 100.0**2, rel=0.01)
    for east, north in [(50, 0), (-50, 0), (0, 99), (-60, -60)]:
        assert disc.contains(Point(at(east, north)))
    assert not disc.contains(Point(at(0, 101)))


def test_wedge_facing_north_wraps_through_zero() -> None:
    wedge = coverage.coverage_sector(LON, LAT, azimuth_deg=0.0, fov_deg=20.0, range_m=100.0)
    for bearing, inside in [(355, True), (5, True), (0, True), (345, False), (15, False)]:
        point = Point(at(50 * math.sin(math.radians(bearing)),
                         50 * math.cos(math.radians(bearing))))
        assert wedge.contains(point) is inside, bearing
    assert utm_area_m2(wedge) == pytest.approx(math.pi * 100.0**2 * 20 / 360, rel=0.01)


@pytest.mark.parametrize("azimuth", [360.0, -360.0, 720.0, 1e-12])
def test_azimuth_is_taken_mod_360(azimuth: float) -> None:
    north = coverage.coverage_sector(LON, LAT, azimuth_deg=0.0, fov_deg=40.0, range_m=80.0)
    same = coverage.coverage_sector(LON, LAT, azimuth_deg=azimuth, fov_deg=40.0, range_m=80.0)
    assert same.equals_exact(north, tolerance=1e-9)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"range_m": 0.0}, InvalidCameraRangeError),
    ({"range_m": -5.0}, InvalidCameraRangeError),
    ({"range_m": 5000.1}, InvalidCameraRangeError),
    ({"range_m": math.nan}, InvalidCameraRangeError),
    ({"fov_deg": 0.0}, InvalidFieldOfViewError),
    ({"fov_deg": -10.0}, InvalidFieldOfViewError),
    ({"fov_deg": 361.0}, InvalidFieldOfViewError),
    ({"fov_deg": math.inf}, InvalidFieldOfViewError),
    ({"azimuth_deg": math.nan}, InvalidAzimuthError),
    ({"azimuth_deg": math.inf}, InvalidAzimuthError),
    ({"segments": 0}, InvalidSamplingError),
    ({"segments": 2.5}, InvalidSamplingError),
])
def test_invalid_camera_parameters_raise_named_errors(kwargs: dict[str, float],
                                                      error: type[ValueError]) -> None:
    camera: dict[str, float] = {**EAST_90, **kwargs}
    with pytest.raises(error):
        coverage.coverage_sector(LON, LAT, **camera)  # type: ignore[arg-type]
    assert issubclass(error, CameraParameterError)


def test_position_that_is_not_degrees_raises() -> None:
    with pytest.raises(CoordinateRangeError):
        coverage.coverage_sector(385_000.0, 6_672_000.0, **EAST_90)


# -- sees -----------------------------------------------------------------------------------

def test_point_ahead_is_seen_dead_centre_and_point_behind_is_not() -> None:
    ahead = sees_local(50, 0, **EAST_90)
    assert ahead.visible
    assert ahead.distance_m == pytest.approx(50.0, abs=1e-6)
    assert ahead.off_axis_deg == pytest.approx(0.0, abs=1e-6)
    behind = sees_local(-50, 0, **EAST_90)
    assert not behind.visible
    assert behind.distance_m == pytest.approx(50.0, abs=1e-6)
    assert behind.off_axis_deg == pytest.approx(180.0, abs=1e-6)


def test_point_beyond_range_is_not_seen() -> None:
    far = sees_local(150, 0, **EAST_90)
    assert not far.visible
    assert far.distance_m == pytest.approx(150.0, abs=1e-6)


def test_off_axis_is_the_smallest_angle_across_north() -> None:
    camera = {"azimuth_deg": 350.0, "fov_deg": 40.0, "range_m": 100.0}
    view = sees_local(50 * math.sin(math.radians(5)), 50 * math.cos(math.radians(5)), **camera)
    assert view.visible and view.off_axis_deg == pytest.approx(15.0, abs=1e-6)
    edge_out = sees_local(50 * math.sin(math.radians(15)), 50 * math.cos(math.radians(15)),
                          **camera)
    assert not edge_out.visible and edge_out.off_axis_deg == pytest.approx(25.0, abs=1e-6)
    assert coverage.off_axis_deg([10.0, 350.0, 180.0], [350.0, 10.0, 0.0]) == pytest.approx(
        [20.0, 20.0, 180.0])


def test_unknown_azimuth_sees_all_round_and_reports_no_off_axis() -> None:
    view = sees_local(-30, -40, azimuth_deg=None, fov_deg=60.0, range_m=100.0)
    assert view.visible and view.off_axis_deg is None
    assert view.distance_m == pytest.approx(50.0, abs=1e-6)


def test_building_hides_the_point_behind_it_but_not_one_beside_it() -> None:
    hidden = sees_local(60, 0, **EAST_120, obstacles=building())
    assert not hidden.visible and hidden.distance_m == pytest.approx(60.0, abs=1e-6)
    beside = sees_local(*NORTH_EAST_60, **EAST_120, obstacles=building())
    assert beside.visible and beside.off_axis_deg == pytest.approx(45.0, abs=1e-6)
    # The edge of the field of view counts as inside.
    assert sees_local(*NORTH_EAST_60, **EAST_90, obstacles=building()).visible
    # In front of the building, and on its near wall, the camera still sees.
    assert sees_local(20, 0, **EAST_90, obstacles=building()).visible
    assert sees_local(25, 0, **EAST_90, obstacles=building()).visible
    assert not sees_local(30, 0, **EAST_90, obstacles=building()).visible  # inside it


def test_camera_inside_a_building_ignores_that_building_only() -> None:
    own = lonlat(shapely.box(-5, -5, 5, 5))
    others = [own, lonlat(BUILDING_LOCAL)]
    assert sees_local(20, 0, **EAST_90, obstacles=others).visible
    assert not sees_local(60, 0, **EAST_90, obstacles=others).visible


# -- visible sectors -----------------------------------------------------------------------

def test_visible_sector_cuts_the_building_shadow() -> None:
    seen = coverage.visible_sector(LON, LAT, **EAST_120, obstacles=building())
    assert isinstance(seen, Polygon) and seen.is_valid
    assert not seen.contains(Point(at(60, 0)))
    assert not seen.contains(Point(at(30, 0)))
    assert seen.contains(Point(at(*NORTH_EAST_60)))
    assert seen.contains(Point(at(20, 0)))
    assert seen.exterior.coords[0] == pytest.approx((LON, LAT))


def test_visible_area_matches_the_exact_shadow_of_a_convex_building() -> None:
    # Independent reference: the shadow of a convex footprint is the hull of it and of its
    # copy scaled away from the camera, clipped to the disc.
    wedge_local = local(coverage.coverage_sector(LON, LAT, **EAST_90))
    shadow = shapely.convex_hull(shapely.union(
        BUILDING_LOCAL, shapely.affinity.scale(BUILDING_LOCAL, 10, 10, origin=(0, 0))))
    expected = wedge_local.difference(shadow).area
    seen = coverage.visible_sector(LON, LAT, **EAST_90, obstacles=building(), rays=720)
    assert local(seen).area == pytest.approx(expected, rel=0.01)
    coarse = coverage.visible_sector(LON, LAT, **EAST_90, obstacles=building())
    assert local(coarse).area == pytest.approx(expected, rel=0.03)
    assert local(seen).symmetric_difference(wedge_local.difference(shadow)).area < 0.02 * expected


def test_visible_sector_without_obstacles_is_the_wedge() -> None:
    wedge = coverage.coverage_sector(LON, LAT, **EAST_90)
    for obstacles in ([], gpd.GeoDataFrame(geometry=[], crs=4326)):
        seen = coverage.visible_sector(LON, LAT, **EAST_90, obstacles=obstacles)
        assert utm_area_m2(seen) == pytest.approx(utm_area_m2(wedge), rel=1e-3)
        assert seen.symmetric_difference(wedge).area < 1e-3 * wedge.area


def test_visible_full_disc_with_a_building_loses_only_its_shadow() -> None:
    seen = coverage.visible_sector(LON, LAT, azimuth_deg=None, fov_deg=None, range_m=100.0,
                                   obstacles=building())
    assert seen.is_valid
    assert not seen.contains(Point(at(60, 0)))
    for east, north in [(-60, 0), (0, 60), (0, -60), (42, 42)]:
        assert seen.contains(Point(at(east, north)))


def test_visible_sector_wraps_through_north() -> None:
    seen = coverage.visible_sector(LON, LAT, azimuth_deg=350.0, fov_deg=40.0, range_m=100.0,
                                   obstacles=[])
    assert seen.contains(Point(at(0, 50)))
    assert seen.contains(Point(at(50 * math.sin(math.radians(-25)),
                                  50 * math.cos(math.radians(-25)))))
    assert not seen.contains(Point(at(50 * math.sin(math.radians(15)),
                                      50 * math.cos(math.radians(15)))))


def test_obstacles_must_be_wgs84_polygons() -> None:
    with pytest.raises(CrsMismatchError):
        coverage.visible_sector(LON, LAT, **EAST_90, obstacles=building().to_crs(UTM))
    with pytest.raises(MissingCrsError):
        coverage.visible_sector(LON, LAT, **EAST_90,
                                obstacles=gpd.GeoDataFrame(geometry=[lonlat(BUILDING_LOCAL)]))
    with pytest.raises(CoordinateRangeError):
        coverage.visible_sector(LON, LAT, **EAST_90,
                                obstacles=[shapely.box(385_000, 6_672_000, 385_010, 6_672_010)])
    with pytest.raises(GeometryTypeError):
        coverage.visible_sector(LON, LAT, **EAST_90, obstacles=[Point(at(30, 0))])
    with pytest.raises(InvalidSamplingError):
        coverage.visible_sector(LON, LAT, **EAST_90, obstacles=[], rays=1)


# -- many cameras ----------------------------------------------------------------------------

def cameras() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"azimuth_deg": [90.0, None, 350.0], "fov_deg": [90.0, 60.0, 40.0],
         "range_m": [100.0, None, 200.0]},
        geometry=[Point(LON, LAT), Point(at(500, 0)), Point(at(0, 500))],
        index=["c1", "c2", "c3"], crs=4326)


def test_coverage_sectors_match_single_sectors_and_default_the_range() -> None:
    sectors = coverage.coverage_sectors(cameras())
    assert sectors.crs.to_epsg() == 4326
    assert list(sectors.index) == ["c1", "c2", "c3"]
    assert sectors["c1"].equals_exact(coverage.coverage_sector(LON, LAT, **EAST_90), 1e-12)
    c3_lon, c3_lat = at(0, 500)
    assert sectors["c3"].equals_exact(coverage.coverage_sector(
        c3_lon, c3_lat, azimuth_deg=350.0, fov_deg=40.0, range_m=200.0), 1e-12)
    # Unknown azimuth: the full disc of the documented default range.
    areas = sectors.to_crs(UTM).area
    assert areas["c2"] == pytest.approx(math.pi * coverage.DEFAULT_RANGE_M**2, rel=0.01)
    assert sectors.is_valid.all()


def test_coverage_sectors_check_crs_columns_geometry_and_values() -> None:
    with pytest.raises(CrsMismatchError):
        coverage.coverage_sectors(cameras().to_crs(UTM))
    with pytest.raises(MissingColumnError):
        coverage.coverage_sectors(cameras().drop(columns="fov_deg"))
    lines = cameras().set_geometry([shapely.LineString([(LON, LAT), (LON, LAT + 1e-3)])] * 3)
    with pytest.raises(GeometryTypeError):
        coverage.coverage_sectors(lines)
    bad_range = cameras()
    bad_range.loc["c3", "range_m"] = 9000.0
    with pytest.raises(InvalidCameraRangeError, match="c3"):
        coverage.coverage_sectors(bad_range)
    bad_fov = cameras()
    bad_fov.loc["c1", "fov_deg"] = 0.0
    with pytest.raises(InvalidFieldOfViewError, match="c1"):
        coverage.coverage_sectors(bad_fov)
    with pytest.raises(InvalidCameraRangeError):
        coverage.coverage_sectors(cameras(), default_range_m=0.0)


def test_invalid_footprint_is_repaired_and_still_blocks() -> None:
    bowtie = lonlat(Polygon([(25, -5), (35, 5), (35, -5), (25, 5)]))
    assert not bowtie.is_valid
    assert not sees_local(60, 0, **EAST_90, obstacles=[bowtie, None]).visible
    seen = coverage.visible_sector(LON, LAT, **EAST_90, obstacles=gpd.GeoSeries([bowtie],
                                                                                 crs=4326))
    assert seen.is_valid and not seen.contains(Point(at(60, 0)))
