"""gis.hotspots.weights: weights against index arithmetic and libpysal; points against a
brute-force shapely loop."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from libpysal.weights import DistanceBand, W

from gis import grids
from gis.errors import (
    CrsError,
    EmptyInputError,
    GeometryTypeError,
    InvalidDistanceError,
    InvalidGeometryError,
    MissingCrsError,
)
from gis.hotspots import weights as weights_module
from gis.hotspots.weights import (
    count_points_in_cells,
    distance_band_weights,
    distance_band_weights_xy,
    locate_points_in_cells,
    queen_weights,
    to_libpysal,
)
from tests.gis.hotspots.lattice import UTM35N, X0, Y0, lattice_queen, square_cells


def dense(matrix: sp.csr_array) -> np.ndarray:
    return np.asarray(matrix.toarray())


# -- weights ---------------------------------------------------------------------------------

def test_queen_weights_of_a_square_lattice_match_index_arithmetic() -> None:
    cells = square_cells(6, 4)
    weights = queen_weights(cells)
    assert isinstance(weights, sp.csr_array)
    assert weights.shape == (24, 24)
    np.testing.assert_array_equal(dense(weights), dense(lattice_queen(6, 4)))
    cardinality = np.diff(weights.indptr)
    assert cardinality[0] == 3 and cardinality[1] == 5 and cardinality[7] == 8
    assert not weights.diagonal().any()


def test_queen_weights_find_six_neighbours_of_reprojected_hexagons() -> None:
    # Hexagon corners are computed from different centres and the grid comes back in
    # EPSG:4326, so shared vertices only meet within a tolerance.
    area = gpd.GeoDataFrame({"name": ["district"]},
                            geometry=[shapely.box(X0, Y0, X0 + 3000, Y0 + 3000)],
                            crs=UTM35N).to_crs(4326)
    hexes = grids.build_hex_grid(area, cell_size_m=500.0, metric_crs=UTM35N).to_crs(UTM35N)
    weights = queen_weights(hexes)
    full = np.isclose(hexes["area_m2"], np.sqrt(3) / 2 * 500.0**2, rtol=1e-6)
    centres = shapely.get_coordinates(hexes.geometry.centroid.array)
    inner = full & (centres[:, 0] > X0 + 600) & (centres[:, 0] < X0 + 2400) \
        & (centres[:, 1] > Y0 + 600) & (centres[:, 1] < Y0 + 2400)
    assert inner.sum() >= 4
    assert (np.diff(weights.indptr)[inner] == 6).all()
    assert (dense(weights) == dense(weights).T).all()


def test_distance_band_matches_libpysal() -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 1000, size=(300, 2))
    ours = distance_band_weights_xy(xy, threshold_m=120.0)
    theirs = DistanceBand(xy, threshold=120.0, binary=True, silence_warnings=True)
    np.testing.assert_array_equal(dense(ours), theirs.sparse.toarray())
    assert ours.nnz > 0 and not ours.diagonal().any()


def test_distance_band_between_cell_centroids_is_inclusive_of_the_band() -> None:
    cells = square_cells(5, 5)
    rook = distance_band_weights(cells, threshold_m=100.5)    # 100 m apart: rook
    queen = distance_band_weights(cells, threshold_m=150.0)   # 141 m diagonals too
    assert np.diff(rook.indptr)[12] == 4
    np.testing.assert_array_equal(dense(queen), dense(lattice_queen(5, 5)))


@pytest.mark.parametrize("threshold", [0.0, -5.0, float("nan"), float("inf"), "100", True])
def test_distance_band_rejects_unusable_thresholds(threshold: object) -> None:
    with pytest.raises(InvalidDistanceError):
        distance_band_weights(square_cells(2, 2), threshold_m=threshold)  # type: ignore[arg-type]


def test_weights_need_a_metric_crs() -> None:
    cells = square_cells(3, 3)
    with pytest.raises(MissingCrsError):
        queen_weights(cells.set_crs(None, allow_override=True))
    with pytest.raises(CrsError):
        queen_weights(cells.to_crs(4326))
    with pytest.raises(CrsError):
        distance_band_weights(cells.to_crs(4326), threshold_m=150.0)


def test_weights_reject_empty_or_wrong_geometries() -> None:
    with pytest.raises(EmptyInputError):
        queen_weights(square_cells(3, 3).iloc[:0])
    points = gpd.GeoDataFrame(geometry=shapely.points([[X0, Y0], [X0 + 1, Y0]]), crs=UTM35N)
    with pytest.raises(GeometryTypeError):
        queen_weights(points)
    broken = square_cells(2, 1)
    broken.loc[1, "geometry"] = None
    with pytest.raises(InvalidGeometryError):
        queen_weights(broken)


def test_to_libpysal_keeps_islands_that_w_from_sparse_drops() -> None:
    matrix = sp.csr_array(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float))
    converted = to_libpysal(matrix)
    assert converted.n == 3
    assert converted.islands == [2]
    np.testing.assert_array_equal(converted.sparse.toarray(), matrix.toarray())
    # The reason for the helper: libpysal's own conversion loses the island (n == 2).
    assert W.from_sparse(matrix).n == 2


# -- points into cells -----------------------------------------------------------------------

def brute_force_cells(points: np.ndarray, cells: gpd.GeoDataFrame) -> np.ndarray:
    """The cell of each point by testing every cell; ties go north, then east."""
    centres = shapely.get_coordinates(shapely.centroid(cells.geometry.array))
    found = np.full(len(points), -1)
    for k, (x, y) in enumerate(points):
        hits = [i for i, cell in enumerate(cells.geometry) if cell.intersects(shapely.Point(x, y))]
        if hits:
            found[k] = max(hits, key=lambda i: (round(centres[i, 1], 6), round(centres[i, 0], 6)))
    return found


def clipped_square_grid() -> gpd.GeoDataFrame:
    """A 100 m grid over an L-shaped area: full cells on a lattice plus clipped ones."""
    ell = shapely.Polygon([(X0 + 30, Y0 + 40), (X0 + 770, Y0 + 40), (X0 + 770, Y0 + 350),
                           (X0 + 420, Y0 + 350), (X0 + 420, Y0 + 660), (X0 + 30, Y0 + 660)])
    area = gpd.GeoDataFrame({"name": ["ell"]}, geometry=[ell], crs=UTM35N).to_crs(4326)
    return grids.build_square_grid(area, cell_size_m=100.0, metric_crs=UTM35N).to_crs(UTM35N)


def awkward_points(cells: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    """Random points plus points exactly on lattice edges, corners and outside the grid."""
    min_x, min_y, max_x, max_y = cells.total_bounds
    scattered = rng.uniform([min_x - 50, min_y - 50], [max_x + 50, max_y + 50], size=(400, 2))
    lattice_x = np.arange(np.floor(min_x / 100) * 100, max_x + 100, 100.0)
    lattice_y = np.arange(np.floor(min_y / 100) * 100, max_y + 100, 100.0)
    corners = np.array([(x, y) for x in lattice_x[::2] for y in lattice_y[::2]])
    on_edges = np.column_stack([rng.choice(lattice_x, 150), rng.uniform(min_y, max_y, 150)])
    return np.vstack([scattered, corners, on_edges])


def test_points_are_located_like_a_brute_force_loop_on_a_clipped_grid() -> None:
    cells = clipped_square_grid()
    assert (~np.isclose(cells["area_m2"], 100.0**2)).any()  # there are clipped cells
    # ... and full ones, found arithmetically on the lattice (the fast path is exercised)
    geoms = np.asarray(cells.geometry.array, dtype=object)
    assert weights_module._square_lattice(geoms) is not None
    points = awkward_points(cells, np.random.default_rng(3))
    np.testing.assert_array_equal(locate_points_in_cells(points, cells),
                                  brute_force_cells(points, cells))


def test_points_are_located_like_a_brute_force_loop_on_hexagons() -> None:
    area = gpd.GeoDataFrame({"name": ["d"]}, geometry=[shapely.box(X0, Y0, X0 + 800, Y0 + 700)],
                            crs=UTM35N).to_crs(4326)
    hexes = grids.build_hex_grid(area, cell_size_m=200.0, metric_crs=UTM35N).to_crs(UTM35N)
    points = np.vstack([np.random.default_rng(5).uniform([X0, Y0], [X0 + 800, Y0 + 700],
                                                         size=(300, 2)),
                        shapely.get_coordinates(hexes.geometry.array)[::3]])  # vertices
    np.testing.assert_array_equal(locate_points_in_cells(points, hexes),
                                  brute_force_cells(points, hexes))


def test_a_point_on_a_shared_edge_or_corner_is_counted_once_in_the_north_east_cell() -> None:
    cells = square_cells(2, 2)  # cells 0 (SW), 1 (SE), 2 (NW), 3 (NE)
    points = np.array([[X0 + 100, Y0 + 50],     # edge between 0 and 1 -> east, 1
                       [X0 + 50, Y0 + 100],     # edge between 0 and 2 -> north, 2
                       [X0 + 100, Y0 + 100],    # the corner of all four -> 3
                       [X0 + 50, Y0 + 50],      # inside 0
                       [X0 + 200, Y0 + 200],    # the grid's outer corner -> 3
                       [X0 - 1, Y0]])           # outside
    np.testing.assert_array_equal(locate_points_in_cells(points, cells), [1, 2, 3, 0, 3, -1])
    np.testing.assert_array_equal(count_points_in_cells(points, cells), [1, 1, 1, 2])


def test_count_points_in_cells_adds_up_to_the_points_inside_the_grid() -> None:
    cells = clipped_square_grid()
    points = np.random.default_rng(11).uniform(cells.total_bounds[:2], cells.total_bounds[2:],
                                               size=(5000, 2))
    inside = shapely.intersects(shapely.union_all(cells.geometry.array), shapely.points(points))
    counts = count_points_in_cells(points, cells)
    assert counts.dtype == np.int64 and counts.shape == (len(cells),)
    assert counts.sum() == inside.sum()


def test_counting_no_points_gives_zeros_and_bad_points_raise() -> None:
    cells = square_cells(2, 2)
    np.testing.assert_array_equal(count_points_in_cells(np.empty((0, 2)), cells), [0, 0, 0, 0])
    with pytest.raises(InvalidGeometryError):
        count_points_in_cells([[X0, np.nan]], cells)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        count_points_in_cells([X0, Y0, 3.0], cells)
