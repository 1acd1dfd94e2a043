"""Mean centre and standard deviational ellipse, checked by hand against the definitions
of ArcGIS (Directional Distribution: √2, divisor n) and CrimeStat (√2, divisor n - 2).

The hand-checked set is a cross: two points 3 m either side of the centre along one axis,
two 1 m either side along the other. Its sums of squares along the axes are 18 and 2, so
ArcGIS's 1-standard-deviation semi-axes are √2·√(18/4) = 3 and √2·√(2/4) = 1 (the ellipse
runs through all four points), CrimeStat's √(2·18/2) = √18 and √(2·2/2) = √2, and the plain
standard deviations √(18/4) and √(2/4).

Turned so that its long axis has the bearing 60° (clockwise from north), the sums are
Sxx = 2·9·sin²60 + 2·1·sin²150 = 14, Syy = 2·9·cos²60 + 2·1·cos²150 = 6 and
Sxy = 2·9·sin60·cos60 + 2·sin150·cos150 = 4√3, so
tan θ = (8 + √(64 + 4·48)) / (8√3) = 24 / (8√3) = √3: θ = 60°, the y axis (bearing θ) is
the long one and the rotation is 60°.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import Point

from gis.centrography import (
    describe_points,
    mean_centre,
    standard_deviational_ellipse,
    standard_distance,
)
from gis.errors import MissingCrsError, TooFewPointsError

E0, N0 = 500_000.0, 5_000_000.0  # UTM-sized coordinates: the maths must not lose digits


def cross(bearing_deg: float, long_m: float = 3.0, short_m: float = 1.0,
          ) -> tuple[np.ndarray, np.ndarray]:
    b = math.radians(bearing_deg)
    along = np.array([math.sin(b), math.cos(b)])  # the long axis: bearing clockwise of north
    across = np.array([math.sin(b + math.pi / 2), math.cos(b + math.pi / 2)])
    points = np.array([long_m * along, -long_m * along, short_m * across, -short_m * across])
    return points[:, 0] + E0, points[:, 1] + N0


def test_the_mean_centre_is_the_mean() -> None:
    assert mean_centre([0, 2, 4], [1, 1, 7]) == (2.0, 3.0)
    with pytest.raises(TooFewPointsError):
        mean_centre([], [])


@pytest.mark.parametrize(("correction", "long_sd", "short_sd"), [
    ("arcgis", 3.0, 1.0),
    ("crimestat", math.sqrt(18.0), math.sqrt(2.0)),
    ("none", math.sqrt(18.0 / 4), math.sqrt(2.0 / 4)),
])
def test_an_upright_cross(correction: str, long_sd: float, short_sd: float) -> None:
    x, y = cross(90.0)  # the long axis east-west: Sxy = 0, θ = 0
    ellipse = standard_deviational_ellipse(x, y, correction=correction)  # type: ignore[arg-type]
    assert (ellipse.centre_x, ellipse.centre_y) == pytest.approx((E0, N0), abs=1e-6)
    assert ellipse.theta_deg == pytest.approx(0.0, abs=1e-6)
    assert ellipse.sigma_x == pytest.approx(long_sd, rel=1e-9)  # east: ArcGIS XStdDist
    assert ellipse.sigma_y == pytest.approx(short_sd, rel=1e-9)
    assert ellipse.rotation_deg == pytest.approx(90.0)
    assert ellipse.area_m2 == pytest.approx(math.pi * long_sd * short_sd)


def test_a_cross_turned_to_60_degrees() -> None:
    x, y = cross(60.0)
    ellipse = standard_deviational_ellipse(x, y)
    assert ellipse.theta_deg == pytest.approx(60.0, abs=1e-6)
    assert ellipse.sigma_y == pytest.approx(3.0, rel=1e-9)  # along bearing θ: the long one
    assert ellipse.sigma_x == pytest.approx(1.0, rel=1e-9)
    assert (ellipse.major_m, ellipse.minor_m) == pytest.approx((3.0, 1.0))
    assert ellipse.rotation_deg == pytest.approx(60.0, abs=1e-6)
    # ArcGIS's 1-SD ellipse of the cross runs through its four points
    assert ellipse.contains(x, y).all()
    assert not ellipse.contains(x * 1.0 + (x - E0) * 0.01, y + (y - N0) * 0.01).any()
    x2, y2 = standard_deviational_ellipse(x, y, std_devs=2.0).points_at([0.0])
    assert math.hypot(float(x2[0]) - E0, float(y2[0]) - N0) == pytest.approx(2.0)


@pytest.mark.parametrize("bearing", [0.0, 30.0, 45.0, 100.0, 135.0, 170.0])
def test_the_long_axis_bearing_in_every_quadrant(bearing: float) -> None:
    x, y = cross(bearing, long_m=5.0, short_m=2.0)
    ellipse = standard_deviational_ellipse(x, y)
    assert ellipse.rotation_deg == pytest.approx(bearing % 180.0, abs=1e-6)
    assert (ellipse.major_m, ellipse.minor_m) == pytest.approx((5.0, 2.0))


def test_the_axes_are_the_covariance_eigenvectors() -> None:
    """ArcGIS Pro's description: semi-axes √2·√eigenvalue of the covariance (÷ n); the long
    axis along the eigenvector of the larger eigenvalue. CrimeStat's: the same ÷ (n - 2)."""
    rng = np.random.default_rng(7)
    x = E0 + rng.normal(0, 120, 40)
    y = N0 + 0.8 * (x - E0) + rng.normal(0, 40, 40)
    dx, dy = x - x.mean(), y - y.mean()
    cov = np.array([[dx @ dx, dx @ dy], [dx @ dy, dy @ dy]]) / len(x)
    values, vectors = np.linalg.eigh(cov)
    ellipse = standard_deviational_ellipse(x, y)
    assert ellipse.major_m == pytest.approx(math.sqrt(2 * values[1]), rel=1e-9)
    assert ellipse.minor_m == pytest.approx(math.sqrt(2 * values[0]), rel=1e-9)
    east, north = vectors[:, 1]
    assert ellipse.rotation_deg == pytest.approx(math.degrees(math.atan2(east, north)) % 180,
                                                 abs=1e-7)
    crimestat = standard_deviational_ellipse(x, y, correction="crimestat")
    assert crimestat.major_m == pytest.approx(math.sqrt(2 * values[1] * 40 / 38), rel=1e-9)
    assert 0.5 < ellipse.contains(x, y).mean() < 0.9


def test_standard_distance() -> None:
    x, y = cross(0.0)  # squared distances 9, 9, 1, 1
    assert standard_distance(x, y) == pytest.approx(math.sqrt(20 / 4))
    assert standard_distance(x, y, correction="crimestat") == pytest.approx(math.sqrt(20 / 2))


def test_refusals() -> None:
    with pytest.raises(TooFewPointsError):
        standard_deviational_ellipse([0, 1], [0, 1])
    with pytest.raises(ValueError, match="correction"):
        standard_deviational_ellipse([0, 1, 2], [0, 1, 0], correction="esri")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="std_devs"):
        standard_deviational_ellipse([0, 1, 2], [0, 1, 0], std_devs=0)
    with pytest.raises(MissingCrsError):
        describe_points(gpd.GeoSeries([Point(0, 0)] * 3))


def test_points_in_longitude_and_latitude() -> None:
    """A 300 m × 100 m cross in London's UTM zone (30N), given in EPSG:4326."""
    utm = pyproj.CRS.from_epsg(32630)
    to_lonlat = pyproj.Transformer.from_crs(utm, "EPSG:4326", always_xy=True)
    centre = (699_000.0, 5_710_000.0)
    x, y = cross(60.0, long_m=300.0, short_m=100.0)
    lon, lat = to_lonlat.transform(x - E0 + centre[0], y - N0 + centre[1])
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    described = describe_points(points)
    assert described.metric_crs.to_epsg() == 32630
    assert described.ellipse is not None and described.ellipse_wgs84 is not None
    assert described.ellipse.major_m == pytest.approx(300.0, abs=0.01)
    assert described.ellipse.minor_m == pytest.approx(100.0, abs=0.01)
    assert described.ellipse.rotation_deg == pytest.approx(60.0, abs=0.01)
    cx, cy = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(
        described.centre.x, described.centre.y)
    assert math.hypot(cx - centre[0], cy - centre[1]) < 0.01
    area = gpd.GeoSeries([described.ellipse_wgs84], crs="EPSG:4326").to_crs(utm).area[0]
    assert area == pytest.approx(math.pi * 300 * 100, rel=0.002)  # a 96-gon inside it
    assert described.inside == 4
    assert described.standard_distance_m == pytest.approx(math.sqrt(2 * (300**2 + 100**2)
                                                                     / 4), abs=0.01)
    two = describe_points(points.iloc[:2])
    assert two.ellipse is None and two.inside == 0
