"""gis.crs: WGS-84 / GCJ-02 / BD-09 conversions, metric CRS choice and CRS checks."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from gis import crs
from gis.errors import (
    CoordinateRangeError,
    CrsError,
    CrsMismatchError,
    InvalidGeometryError,
    MissingCrsError,
)

# -- published reference points ------------------------------------------------------------
# (lon, lat) throughout. Each set is copied from the named public project's tests.

# wandergis/coordtransform, test/app.js: input (116.404, 39.915), near Tiananmen, Beijing.
# Their gcj02towgs84 and bd09togcj02 are one-step approximations, so only the exact
# forward values are compared strictly (see the tests below for the others).
TIANANMEN = (116.404, 39.915)
TIANANMEN_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
TIANANMEN_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
TIANANMEN_BD09_TO_GCJ02_ONE_STEP = (116.39762729119315, 39.90865673957631)

# googollee/eviltransform, python/test.py: WGS-84 and GCJ-02 of the same place.
EVILTRANSFORM_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]

# hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: GCJ-02 (123, 45) to WGS-84 and to BD-09,
# published to 8 decimals and checked there to 5.
GCOORD_GCJ02 = (123.0, 45.0)
GCOORD_GCJ02_TO_WGS84 = (122.99395597, 44.99804071)
GCOORD_GCJ02_TO_BD09 = (123.00636499, 45.00636899)

OUTSIDE_CHINA = [(-0.1276, 51.5072),  # London
                 (-74.006, 40.7128),  # New York
                 (151.2093, -33.8688),  # Sydney
                 (24.94, 60.17)]  # Helsinki


def china_points(count: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240501)
    return rng.uniform(73.0, 135.0, count), rng.uniform(18.0, 53.5, count)


def test_wgs84_to_gcj02_matches_coordtransform_at_tiananmen() -> None:
    assert crs.wgs84_to_gcj02(*TIANANMEN) == pytest.approx(TIANANMEN_WGS84_TO_GCJ02,
                                                           abs=1e-12)


def test_gcj02_to_bd09_matches_coordtransform_at_tiananmen() -> None:
    assert crs.gcj02_to_bd09(*TIANANMEN) == pytest.approx(TIANANMEN_GCJ02_TO_BD09, abs=1e-12)


def test_bd09_to_gcj02_inverts_the_published_forward_value_exactly() -> None:
    assert crs.bd09_to_gcj02(*TIANANMEN_GCJ02_TO_BD09) == pytest.approx(TIANANMEN, abs=1e-9)


def test_bd09_to_gcj02_is_near_the_published_one_step_value() -> None:
    # The one-step inverse is off by up to ~2e-6 degrees; ours is iterated.
    got = crs.bd09_to_gcj02(*TIANANMEN)
    assert got == pytest.approx(TIANANMEN_BD09_TO_GCJ02_ONE_STEP, abs=5e-6)
    assert crs.gcj02_to_bd09(*got) == pytest.approx(TIANANMEN, abs=1e-9)


@pytest.mark.parametrize(("wgs84", "gcj02"), EVILTRANSFORM_PAIRS)
def test_wgs84_gcj02_pairs_from_eviltransform(wgs84: tuple[float, float],
                                              gcj02: tuple[float, float]) -> None:
    assert crs.wgs84_to_gcj02(*wgs84) == pytest.approx(gcj02, abs=1e-9)
    assert crs.gcj02_to_wgs84(*gcj02) == pytest.approx(wgs84, abs=1e-9)


def test_gcj02_conversions_match_gcoord() -> None:
    assert crs.gcj02_to_wgs84(*GCOORD_GCJ02) == pytest.approx(GCOORD_GCJ02_TO_WGS84, abs=1e-6)
    assert crs.gcj02_to_bd09(*GCOORD_GCJ02) == pytest.approx(GCOORD_GCJ02_TO_BD09, abs=1e-8)


def test_the_gcj02_offset_is_hundreds_of_metres_in_beijing() -> None:
    lon, lat = crs.wgs84_to_gcj02(*TIANANMEN)
    geod = pyproj.Geod(ellps="WGS84")
    _, _, distance_m = geod.inv(TIANANMEN[0], TIANANMEN[1], lon, lat)
    assert 100.0 < distance_m < 1000.0


def test_round_trip_wgs84_gcj02_wgs84_within_1e_6_degrees() -> None:
    lon, lat = china_points()
    back_lon, back_lat = crs.gcj02_to_wgs84_array(*crs.wgs84_to_gcj02_array(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-6
    assert np.abs(back_lat - lat).max() < 1e-6


def test_round_trip_gcj02_bd09_gcj02_within_1e_6_degrees() -> None:
    lon, lat = china_points()
    back_lon, back_lat = crs.bd09_to_gcj02_array(*crs.gcj02_to_bd09_array(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-6
    assert np.abs(back_lat - lat).max() < 1e-6


def test_round_trip_wgs84_bd09_wgs84_within_1e_6_degrees() -> None:
    lon, lat = china_points()
    back_lon, back_lat = crs.bd09_to_wgs84_array(*crs.wgs84_to_bd09_array(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-6
    assert np.abs(back_lat - lat).max() < 1e-6


def test_inverse_is_exact_not_the_one_step_approximation() -> None:
    # gcj - offset(gcj) misses by ~1e-5 degrees somewhere; ours must not.
    lon, lat = china_points()
    wgs_lon, wgs_lat = crs.gcj02_to_wgs84_array(lon, lat)
    again_lon, again_lat = crs.wgs84_to_gcj02_array(wgs_lon, wgs_lat)
    assert np.abs(again_lon - lon).max() < 1e-9
    assert np.abs(again_lat - lat).max() < 1e-9
    fwd_lon, fwd_lat = crs.wgs84_to_gcj02_array(lon, lat)
    one_step_lon = 2 * lon - fwd_lon
    one_step_lat = 2 * lat - fwd_lat
    assert max(np.abs(one_step_lon - wgs_lon).max(), np.abs(one_step_lat - wgs_lat).max()) > 1e-6


@pytest.mark.parametrize("point", OUTSIDE_CHINA)
def test_gcj02_equals_wgs84_outside_china(point: tuple[float, float]) -> None:
    assert crs.wgs84_to_gcj02(*point) == point
    assert crs.gcj02_to_wgs84(*point) == point


def test_bd09_is_applied_outside_china_too_and_round_trips() -> None:
    london = OUTSIDE_CHINA[0]
    bd = crs.wgs84_to_bd09(*london)
    assert bd != pytest.approx(london, abs=1e-4)
    assert crs.bd09_to_wgs84(*bd) == pytest.approx(london, abs=1e-9)


def test_china_box_edges() -> None:
    inside = crs.in_china_array([72.004, 137.8347, 72.0039, 100.0, 100.0, np.nan],
                                [0.8293, 55.8271, 30.0, 0.8292, 55.8272, 30.0])
    assert inside.tolist() == [True, True, False, False, False, False]


def test_array_forms_broadcast_and_agree_with_scalars() -> None:
    lon = np.array([[116.404, -0.1276], [121.5272106, 113.912316]])
    got_lon, got_lat = crs.wgs84_to_gcj02_array(lon, 39.915)
    assert got_lon.shape == got_lat.shape == (2, 2)
    assert got_lat.dtype == np.float64
    for (i, j), value in np.ndenumerate(lon):
        assert (got_lon[i, j], got_lat[i, j]) == crs.wgs84_to_gcj02(value, 39.915)
    back = crs.gcj02_to_wgs84_array(got_lon, got_lat)
    assert np.allclose(back[0], lon, atol=1e-9) and np.allclose(back[1], 39.915, atol=1e-9)


def test_nan_passes_through() -> None:
    for convert in (crs.wgs84_to_gcj02_array, crs.gcj02_to_wgs84_array,
                    crs.bd09_to_wgs84_array, crs.wgs84_to_bd09_array):
        lon, lat = convert([np.nan, 116.404], [39.9, 39.915])
        assert math.isnan(lon[0]) and math.isfinite(lon[1]) and math.isfinite(lat[1])


def test_scalar_forms_return_plain_floats() -> None:
    lon, lat = crs.bd09_to_wgs84(*TIANANMEN)
    assert type(lon) is float and type(lat) is float


# -- metric CRS choice ---------------------------------------------------------------------

@pytest.mark.parametrize(("lon", "lat", "epsg"), [
    (24.94, 60.17, 32635),  # Helsinki
    (116.404, 39.915, 32650),  # Beijing
    (121.47, 31.23, 32651),  # Shanghai
    (151.2093, -33.8688, 32756),  # Sydney
    (-0.1276, 51.5072, 32630),  # London
    (-0.01, 51.5, 32630),
    (0.01, 51.5, 32631),
    (180.0, 10.0, 32660),
    (-180.0, -10.0, 32701),
])
def test_metric_crs_for_points(lon: float, lat: float, epsg: int) -> None:
    assert crs.metric_crs_for(shapely.Point(lon, lat)).to_epsg() == epsg
    assert crs.metric_crs_for((lon, lat, lon, lat)).to_epsg() == epsg


def test_metric_crs_for_uses_the_centre_of_the_bounds() -> None:
    assert crs.metric_crs_for(shapely.box(113.0, 30.0, 121.0, 31.0)).to_epsg() == 32650


def test_metric_crs_for_a_geodataframe_in_any_crs() -> None:
    wgs = gpd.GeoDataFrame(geometry=[shapely.Point(24.94, 60.17)], crs=4326)
    assert crs.metric_crs_for(wgs).to_epsg() == 32635
    assert crs.metric_crs_for(wgs.to_crs(3857)).to_epsg() == 32635
    assert crs.metric_crs_for(wgs.to_crs(3857).geometry).to_epsg() == 32635


def test_metric_crs_for_refuses_bad_input() -> None:
    with pytest.raises(MissingCrsError):
        crs.metric_crs_for(gpd.GeoDataFrame(geometry=[shapely.Point(24.94, 60.17)]))
    with pytest.raises(CoordinateRangeError):
        crs.metric_crs_for(shapely.box(385000, 6672000, 387000, 6673000))
    with pytest.raises(InvalidGeometryError):
        crs.metric_crs_for(shapely.Polygon())
    with pytest.raises(InvalidGeometryError):
        crs.metric_crs_for(gpd.GeoDataFrame(geometry=[], crs=4326))
    with pytest.raises(InvalidGeometryError):
        crs.metric_crs_for((1.0, 2.0, 3.0))


def test_utm_zone_label() -> None:
    assert crs.utm_zone_label(pyproj.CRS.from_epsg(32650)) == "50N"
    assert crs.utm_zone_label("EPSG:32756") == "56S"
    assert crs.utm_zone_label(32601) == "1N"
    with pytest.raises(CrsError):
        crs.utm_zone_label(3857)


# -- GeoDataFrame checks -------------------------------------------------------------------

def helsinki_line() -> gpd.GeoDataFrame:
    utm = pyproj.CRS.from_epsg(32635)
    line = shapely.LineString([(385000, 6672000), (386000, 6672000)])
    return gpd.GeoDataFrame(geometry=[line], crs=utm).to_crs(4326)


def test_to_metric_measures_in_metres() -> None:
    projected = crs.to_metric(helsinki_line())
    assert projected.crs.to_epsg() == 32635
    assert projected.length.iloc[0] == pytest.approx(1000.0, abs=1e-6)


def test_to_metric_raises_on_missing_or_wrong_crs() -> None:
    line = helsinki_line()
    with pytest.raises(MissingCrsError):
        crs.to_metric(line.set_crs(None, allow_override=True))
    with pytest.raises(CrsMismatchError):
        crs.to_metric(line.to_crs(3857))
    assert crs.to_metric(line.to_crs(3857), require_wgs84_input=False).crs.to_epsg() == 32635
    with pytest.raises(CrsError):
        crs.to_metric(line, metric_crs=4326)
    assert crs.to_metric(line, metric_crs=3067).crs.to_epsg() == 3067


def test_to_wgs84_and_checks() -> None:
    line = helsinki_line()
    assert crs.to_wgs84(line.to_crs(3857)).crs.to_epsg() == 4326
    with pytest.raises(MissingCrsError):
        crs.to_wgs84(line.set_crs(None, allow_override=True))
    crs.require_wgs84(line.set_crs("OGC:CRS84", allow_override=True))
    with pytest.raises(CrsMismatchError, match="roads"):
        crs.require_same_crs(line, line.to_crs(3857), what=("cells", "roads"))
    assert crs.require_same_crs(line, line).to_epsg() == 4326


def test_errors_are_value_errors() -> None:
    for error in (CrsError, MissingCrsError, CrsMismatchError, CoordinateRangeError):
        assert issubclass(error, ValueError)
    assert issubclass(MissingCrsError, CrsError) and issubclass(CrsMismatchError, CrsError)
