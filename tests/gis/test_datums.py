"""gis.datums: datum names, geometries and frames from GCJ-02/BD-09 to WGS-84; and the
inverse of GCJ-02 checked in metres against a second, independently written forward."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from gis import crs
from gis.datums import (
    frame_to_wgs84,
    geometry_to_wgs84,
    parse_datum,
    point_to_wgs84,
    wgs84_to_datum_array,
)
from gis.errors import CrsError, DatumRangeError, MissingCrsError

GEOD = pyproj.Geod(ellps="WGS84")


def reference_wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The public GCJ-02 forward, written again from its description with ``math`` only
    (Krasovsky ellipsoid; offsets in metres from the polynomial and sine series)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    common = (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
    d_lat = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + common + (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
             + (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3)
    d_lon = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + common + (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
             + (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3)
    rad = lat / 180 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    d_lat = d_lat * 180 / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = d_lon * 180 / (a / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def china_points(count: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(28181)
    return rng.uniform(73.5, 134.5, count), rng.uniform(18.5, 53.0, count)


@pytest.mark.parametrize(("given", "datum"), [
    (None, "wgs84"), ("", "wgs84"), ("WGS-84", "wgs84"), ("CGCS2000", "wgs84"),
    ("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("AMap", "gcj02"), ("bd09", "bd09"),
    ("BD-09", "bd09"), ("baidu", "bd09"), (" bd_09ll ", "bd09")])
def test_datum_names(given: str | None, datum: str) -> None:
    assert parse_datum(given) == datum


def test_an_unknown_datum_names_the_choices() -> None:
    with pytest.raises(CrsError, match="wgs84.*gcj02.*bd09"):
        parse_datum("mars")


def test_our_forward_agrees_with_the_independent_one() -> None:
    lon, lat = china_points(500)
    ours = np.column_stack(crs.wgs84_to_gcj02_array(lon, lat))
    theirs = np.array([reference_wgs84_to_gcj02(x, y) for x, y in zip(lon, lat, strict=True)])
    assert np.abs(ours - theirs).max() < 1e-9


def test_the_gcj02_inverse_is_within_a_centimetre_where_one_step_misses_by_metres() -> None:
    lon, lat = china_points()
    gcj = np.array([reference_wgs84_to_gcj02(x, y) for x, y in zip(lon, lat, strict=True)])
    back_lon, back_lat = crs.gcj02_to_wgs84_array(gcj[:, 0], gcj[:, 1])
    error_m = GEOD.inv(lon, lat, back_lon, back_lat)[2]
    assert error_m.max() < 0.01
    # the common one-step inverse (gcj minus the offset at gcj) is not good enough:
    step = np.array([reference_wgs84_to_gcj02(x, y) for x, y in gcj])
    one_step_m = GEOD.inv(lon, lat, 2 * gcj[:, 0] - step[:, 0], 2 * gcj[:, 1] - step[:, 1])[2]
    assert one_step_m.max() > 1.0


def test_wgs84_to_datum_and_back() -> None:
    lon, lat = china_points(200)
    for datum in ("wgs84", "gcj02", "bd09"):
        there = wgs84_to_datum_array(datum, lon, lat)
        back = crs.datum_to_wgs84_array(datum, *there)
        assert GEOD.inv(lon, lat, *back)[2].max() < 0.01
    with pytest.raises(CrsError):
        wgs84_to_datum_array("mars", lon, lat)


def test_a_polygon_drawn_on_amap_lands_vertex_by_vertex() -> None:
    truth = shapely.Polygon([(116.39, 39.90), (116.41, 39.90), (116.41, 39.92),
                             (116.39, 39.92)])
    on_amap = shapely.Polygon([reference_wgs84_to_gcj02(x, y)
                               for x, y in truth.exterior.coords])
    landed = geometry_to_wgs84(on_amap, datum="gcj02")
    assert landed.geom_type == "Polygon"
    moved = np.asarray(landed.exterior.coords)
    expected = np.asarray(truth.exterior.coords)
    assert GEOD.inv(expected[:, 0], expected[:, 1], moved[:, 0], moved[:, 1])[2].max() < 0.01
    assert geometry_to_wgs84(truth, datum="wgs84") is truth


def test_a_frame_in_web_mercator_of_baidu_degrees_lands() -> None:
    truth = [(121.47, 31.23), (113.26, 23.13)]
    on_baidu = [crs.wgs84_to_bd09(*p) for p in truth]
    frame = gpd.GeoDataFrame({"name": ["Shanghai", "Guangzhou"]},
                             geometry=[shapely.Point(p) for p in on_baidu], crs=4326
                             ).to_crs(3857)
    landed = frame_to_wgs84(frame, datum="bd09")
    assert landed.crs.to_epsg() == 4326
    assert list(landed["name"]) == ["Shanghai", "Guangzhou"]
    got = np.array([(p.x, p.y) for p in landed.geometry])
    expected = np.array(truth)
    assert GEOD.inv(expected[:, 0], expected[:, 1], got[:, 0], got[:, 1])[2].max() < 0.01
    plain = frame_to_wgs84(frame, datum="wgs84")
    assert plain.geometry.iloc[0].x == pytest.approx(on_baidu[0][0])


def test_a_frame_without_a_crs_is_refused() -> None:
    with pytest.raises(MissingCrsError):
        frame_to_wgs84(gpd.GeoDataFrame(geometry=[shapely.Point(1, 1)]), datum="gcj02")


def test_a_point_converted_or_refused_when_it_leaves_the_earth() -> None:
    x, y = point_to_wgs84(*crs.wgs84_to_gcj02(116.404, 39.915), datum="gcj02")
    assert GEOD.inv(116.404, 39.915, x, y)[2] < 0.01
    assert point_to_wgs84(-180.0, 0.0, datum="gcj02") == (-180.0, 0.0)  # outside China
    with pytest.raises(DatumRangeError, match="BD-09 is .* not a place on Earth") as raised:
        point_to_wgs84(-180.0, 0.0, datum="bd09")
    assert raised.value.field == "lon"
