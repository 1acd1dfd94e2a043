"""gis.hotspots.kde: mass conservation, exact kernel values, Esri's bandwidth rule, the
Leaflet heat layer."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from gis.errors import (
    CrsError,
    EmptyInputError,
    GridTooLargeError,
    InvalidBoundsError,
    InvalidDistanceError,
    MissingCrsError,
)
from gis.hotspots.kde import (
    heat_layer_points,
    kernel_density,
    kernel_density_of,
    silverman_bandwidth_m,
)
from tests.gis.hotspots.lattice import UTM35N, X0, Y0


def incidents(count: int = 3000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal([X0 + 2000, Y0 + 2000], 300, size=(count // 2, 2)),
                      rng.uniform([X0 + 1000, Y0 + 1000], [X0 + 3000, Y0 + 3000],
                                  size=(count - count // 2, 2))])


BOUNDS = (X0, Y0, X0 + 4000, Y0 + 4000)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_density_integrates_to_the_number_of_points(kernel: str) -> None:
    points = incidents()
    raster = kernel_density(points, bounds=BOUNDS, cell_m=25.0, bandwidth_m=200.0,
                            kernel=kernel)  # type: ignore[arg-type]
    cell_km2 = (raster.cell_m / 1000.0) ** 2
    assert raster.density_per_km2.sum() * cell_km2 == pytest.approx(len(points), rel=1e-9)
    assert raster.density_per_km2.shape == (160, 160)


def test_weighted_density_integrates_to_the_total_weight() -> None:
    points = incidents(500)
    weights = np.random.default_rng(1).integers(0, 5, size=500).astype(float)
    raster = kernel_density(points, bounds=BOUNDS, cell_m=40.0, bandwidth_m=300.0,
                            weights=weights)
    assert raster.density_per_km2.sum() * 0.04**2 == pytest.approx(weights.sum(), rel=1e-9)


def test_quartic_density_matches_esri_formula_at_cell_centres() -> None:
    points = incidents(400, seed=2)
    radius = 400.0
    raster = kernel_density(points, bounds=BOUNDS, cell_m=20.0, bandwidth_m=radius)
    x, y = raster.cell_centres()
    rng = np.random.default_rng(3)
    for row, col in zip(rng.integers(40, 160, 25), rng.integers(40, 160, 25), strict=True):
        d2 = ((points - [x[row, col], y[row, col]]) ** 2).sum(axis=1)
        exact = (3 / (math.pi * radius**2)
                 * np.clip(1 - d2 / radius**2, 0, None) ** 2).sum() * 1e6
        assert raster.density_per_km2[row, col] == pytest.approx(exact, rel=0.02, abs=0.5)


def test_gaussian_density_matches_the_formula_at_cell_centres() -> None:
    points = incidents(300, seed=4)
    sigma = 150.0
    raster = kernel_density(points, bounds=BOUNDS, cell_m=20.0, bandwidth_m=sigma,
                            kernel="gaussian")
    x, y = raster.cell_centres()
    d2 = ((points - [x[100, 100], y[100, 100]]) ** 2).sum(axis=1)
    exact = (np.exp(-d2 / (2 * sigma**2)) / (2 * math.pi * sigma**2)).sum() * 1e6
    assert raster.density_per_km2[100, 100] == pytest.approx(exact, rel=0.02)


def test_row_zero_is_north_and_the_kernel_stops_at_its_radius() -> None:
    point = np.array([[X0 + 500.0, Y0 + 3500.0]])  # north-west quarter
    raster = kernel_density(point, bounds=BOUNDS, cell_m=50.0, bandwidth_m=300.0)
    row, col = np.unravel_index(np.argmax(raster.density_per_km2), raster.density_per_km2.shape)
    assert row < 20 and col < 20
    x, y = raster.cell_centres()
    far = np.hypot(x - point[0, 0], y - point[0, 1]) > 300.0 + 50.0 * math.sqrt(2)
    assert (raster.density_per_km2[far] == 0).all()
    assert raster.geotransform == (X0, 50.0, 0.0, Y0 + 4000, 0.0, -50.0)


def test_default_bandwidth_is_esris_spatial_silverman_rule() -> None:
    points = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 300.0], [400.0, 400.0], [50.0, 20.0]])
    centre = points.mean(axis=0)                              # (110, 144)
    distances = np.hypot(*(points - centre).T)
    standard_distance = math.sqrt((distances**2).mean())
    median_distance = float(np.median(distances))             # 5 points: the middle one
    expected = 0.9 * min(standard_distance,
                         math.sqrt(1 / math.log(2)) * median_distance) * 5 ** -0.2
    assert silverman_bandwidth_m(points) == pytest.approx(expected, rel=1e-12)
    raster = kernel_density(points, bounds=(-500, -500, 900, 900), cell_m=20.0)
    assert raster.bandwidth_m == pytest.approx(expected, rel=1e-12)


def test_bandwidth_needs_points_that_spread() -> None:
    with pytest.raises(EmptyInputError):
        silverman_bandwidth_m(np.empty((0, 2)))
    with pytest.raises(InvalidDistanceError):
        silverman_bandwidth_m(np.array([[5.0, 5.0], [5.0, 5.0]]))
    # with a bandwidth, no points is an empty surface, not an error
    empty = kernel_density(np.empty((0, 2)), bounds=BOUNDS, cell_m=100.0, bandwidth_m=200.0)
    assert empty.density_per_km2.shape == (40, 40) and not empty.density_per_km2.any()


def test_a_500_by_500_raster_of_100k_points_builds() -> None:
    points = np.random.default_rng(5).uniform([X0, Y0], [X0 + 10_000, Y0 + 10_000],
                                              size=(100_000, 2))
    raster = kernel_density(points, bounds=(X0, Y0, X0 + 10_000, Y0 + 10_000), cell_m=20.0)
    assert raster.density_per_km2.shape == (500, 500)
    # 1000 incidents per km2 on average, inside the edges
    assert raster.density_per_km2[100:400, 100:400].mean() == pytest.approx(1000.0, rel=0.05)


def test_heat_layer_points_are_lat_lon_weight_in_wgs84() -> None:
    points = incidents(200, seed=6)
    raster = kernel_density(points, bounds=BOUNDS, cell_m=100.0, bandwidth_m=300.0, crs=UTM35N)
    heat = heat_layer_points(raster, min_density_per_km2=1.0)
    assert 0 < len(heat) < raster.density_per_km2.size
    x, y = raster.cell_centres()
    keep = raster.density_per_km2 > 1.0
    lon, lat = pyproj.Transformer.from_crs(UTM35N, 4326, always_xy=True).transform(
        x[keep][0], y[keep][0])
    assert heat[0][0] == pytest.approx(lat, abs=1e-7) and 60.0 < heat[0][0] < 60.3
    assert heat[0][1] == pytest.approx(lon, abs=1e-7) and 24.5 < heat[0][1] < 25.5
    assert heat[0][2] == pytest.approx(raster.density_per_km2[keep][0])


def test_heat_layer_needs_to_know_the_crs() -> None:
    raster = kernel_density(incidents(50), bounds=BOUNDS, cell_m=200.0, bandwidth_m=400.0)
    with pytest.raises(MissingCrsError):
        heat_layer_points(raster)
    assert heat_layer_points(raster, crs=UTM35N)


def test_geodataframe_adapter_checks_the_crs_and_keeps_it() -> None:
    points = incidents(300)
    frame = gpd.GeoDataFrame({"weight": np.ones(300)}, geometry=shapely.points(points),
                             crs=UTM35N)
    raster = kernel_density_of(frame, cell_m=50.0, bandwidth_m=250.0, weight_column="weight")
    assert raster.crs == UTM35N
    assert raster.west_m == pytest.approx(points[:, 0].min())
    with pytest.raises(CrsError):
        kernel_density_of(frame.to_crs(4326), cell_m=50.0)
    with pytest.raises(MissingCrsError):
        kernel_density_of(frame.set_crs(None, allow_override=True), cell_m=50.0)


@pytest.mark.parametrize("bounds", [(0, 0, 0, 10), (5, 0, 1, 10), (0, 0, np.nan, 1), (0, 0, 1)])
def test_bounds_are_checked(bounds: tuple[float, ...]) -> None:
    with pytest.raises(InvalidBoundsError):
        kernel_density(incidents(10), bounds=bounds, cell_m=10.0, bandwidth_m=10.0)


def test_cell_size_and_raster_size_are_checked() -> None:
    with pytest.raises(InvalidDistanceError):
        kernel_density(incidents(10), bounds=BOUNDS, cell_m=0.0, bandwidth_m=100.0)
    with pytest.raises(InvalidDistanceError):
        kernel_density(incidents(10), bounds=BOUNDS, cell_m=10.0, bandwidth_m=-1.0)
    with pytest.raises(GridTooLargeError):
        kernel_density(incidents(10), bounds=BOUNDS, cell_m=1.0, bandwidth_m=100.0,
                       max_cells=1_000_000)


def test_a_kernel_wider_than_the_raster_allows_is_refused_before_it_is_made() -> None:
    # a 300 km bandwidth on 10 m cells of a 400 × 400 raster: a 60,001-cell-wide kernel
    # (29 GB of floats); refused by its size, not by running out of memory
    with pytest.raises(GridTooLargeError, match="kernel of 60001×60001"):
        kernel_density(incidents(10), bounds=BOUNDS, cell_m=10.0, bandwidth_m=300_000.0,
                       kernel="quartic")
