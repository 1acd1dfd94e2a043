"""gis.grids: patrol grids on synthetic rectangles near Helsinki (UTM zone 35N)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from gis import grids
from gis.errors import (
    CrsError,
    CrsMismatchError,
    EmptyInputError,
    GeometryTypeError,
    GridTooLargeError,
    InvalidCellSizeError,
    InvalidGeometryError,
    MissingColumnError,
    MissingCrsError,
)

UTM35N = pyproj.CRS.from_epsg(32635)
# Lattice-aligned for 500 m and 1000 m cells: 2 km x 1 km near lon 24.94, lat 60.17.
X0, Y0 = 385_000.0, 6_672_000.0
RECTANGLE = shapely.box(X0, Y0, X0 + 2000, Y0 + 1000)


def areas_from_utm(**boxes: shapely.Polygon) -> gpd.GeoDataFrame:
    """Areas drawn in UTM 35N, handed over in EPSG:4326 as the grid builders expect."""
    return gpd.GeoDataFrame({"name": list(boxes)}, geometry=list(boxes.values()),
                            crs=UTM35N).to_crs(4326)


def in_utm(cells: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return cells.geometry.to_crs(UTM35N)


# -- square grids --------------------------------------------------------------------------

def test_aligned_rectangle_gives_exactly_eight_full_cells() -> None:
    cells = grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500)
    assert len(cells) == 8
    assert list(cells.columns) == ["code", "area_name", "area_m2", "geometry"]
    assert cells.crs.to_epsg() == 4326
    assert cells["code"].is_unique
    assert set(cells["area_name"]) == {"A"}
    assert cells["area_m2"].to_numpy() == pytest.approx(250_000.0, rel=1e-9)
    assert set(cells.geom_type) == {"Polygon"}
    assert in_utm(cells).area.to_numpy() == pytest.approx(250_000.0, rel=1e-9)
    assert cells["code"].iloc[0] == "S500-35N-E0770-N13344"


def test_offset_rectangle_gives_more_clipped_cells() -> None:
    shifted = shapely.affinity.translate(RECTANGLE, 250, 250)
    cells = grids.build_square_grid(areas_from_utm(A=shifted), cell_size_m=500)
    assert len(cells) == 5 * 3
    assert cells["area_m2"].sum() == pytest.approx(2_000_000.0, rel=1e-9)
    assert np.isclose(cells["area_m2"], 62_500.0, rtol=1e-9).sum() == 4  # corners
    assert in_utm(cells).union_all().symmetric_difference(shifted).area < 1.0


def test_codes_say_where_the_cell_is() -> None:
    cells = grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500)
    for code, geometry in zip(cells["code"], in_utm(cells), strict=True):
        size, zone, east, north = code.split("-")
        assert (size, zone) == ("S500", "35N")
        min_x, min_y, _, _ = geometry.bounds
        assert int(east[1:]) == round(min_x / 500) and int(north[1:]) == round(min_y / 500)


def test_rebuilding_gives_the_same_cells_and_codes() -> None:
    areas = areas_from_utm(A=shapely.affinity.translate(RECTANGLE, 130, 70))
    first = grids.build_square_grid(areas, cell_size_m=500)
    again = grids.build_square_grid(areas.copy(), cell_size_m=500)
    pd.testing.assert_frame_equal(first.drop(columns="geometry"),
                                  again.drop(columns="geometry"))
    assert first.geometry.geom_equals_exact(again.geometry, tolerance=0).all()


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_shared_cells_keep_their_codes_on_an_enlarged_area(shape: grids.GridShape) -> None:
    small = shapely.affinity.translate(RECTANGLE, 130, 70)
    large = shapely.box(X0 - 900, Y0 - 1100, X0 + 3700, Y0 + 2300)
    before = grids.build_grid(areas_from_utm(A=small), shape=shape, cell_size_m=500)
    after = grids.build_grid(areas_from_utm(A=large), shape=shape, cell_size_m=500)
    assert set(before["code"]) < set(after["code"])
    # Cells lying wholly inside the small area are identical in both grids.
    full = before[before["area_m2"] > before["area_m2"].max() * (1 - 1e-9)]
    assert len(full) >= 2
    matched = after.set_index("code").loc[full["code"]]
    assert np.allclose(matched["area_m2"], full["area_m2"], rtol=1e-9)
    for code, geometry in zip(full["code"], full.geometry, strict=True):
        assert geometry.equals_exact(matched.geometry[code], tolerance=1e-9)


def test_codes_from_different_sizes_and_shapes_never_collide() -> None:
    areas = areas_from_utm(A=RECTANGLE)
    codes = [set(grids.build_grid(areas, shape=shape, cell_size_m=size)["code"])
             for shape in ("square", "hex") for size in (250, 500, 62.5)]
    assert sum(len(c) for c in codes) == len(set().union(*codes))
    assert any(code.startswith("S62.5-") for code in codes[2])


def test_code_prefix_goes_in_front() -> None:
    cells = grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500,
                                    code_prefix="HEL-")
    assert cells["code"].str.startswith("HEL-S500-35N-E").all()


def test_a_cell_in_two_areas_goes_to_the_larger_part() -> None:
    # Boundary at 1100 m: the column 1000-1500 m is 100 m in A and 400 m in B.
    west = shapely.box(X0, Y0, X0 + 1100, Y0 + 1000)
    east = shapely.box(X0 + 1100, Y0, X0 + 2000, Y0 + 1000)
    cells = grids.build_square_grid(areas_from_utm(A=west, B=east), cell_size_m=500)
    assert len(cells) == 8
    by_column = cells.assign(col=cells["code"].str.extract(r"-E(\d+)-")[0].astype(int))
    names = by_column.groupby("col")["area_name"].agg(set).to_dict()
    assert names == {770: {"A"}, 771: {"A"}, 772: {"B"}, 773: {"B"}}
    # The shared cell is whole: clipped to the union of the areas, not to its winner.
    assert cells["area_m2"].to_numpy() == pytest.approx(250_000.0, rel=1e-9)
    assert set(cells.geom_type) == {"Polygon"}


def test_an_even_split_goes_to_the_first_name() -> None:
    west = shapely.box(X0, Y0, X0 + 1250, Y0 + 1000)
    east = shapely.box(X0 + 1250, Y0, X0 + 2000, Y0 + 1000)
    cells = grids.build_square_grid(areas_from_utm(Zed=west, Alpha=east), cell_size_m=500)
    split = cells[cells["code"].str.contains("-E0772-")]
    assert set(split["area_name"]) == {"Alpha"}


def test_rows_with_the_same_name_form_one_area() -> None:
    areas = pd.concat([areas_from_utm(A=shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)),
                       areas_from_utm(A=shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000))],
                      ignore_index=True)
    cells = grids.build_square_grid(areas, cell_size_m=500)
    assert len(cells) == 8 and set(cells["area_name"]) == {"A"}


def test_cells_are_clipped_to_the_area() -> None:
    triangle = shapely.Polygon([(X0, Y0), (X0 + 2000, Y0), (X0, Y0 + 1000)])
    cells = grids.build_square_grid(areas_from_utm(T=triangle), cell_size_m=500)
    assert cells["area_m2"].sum() == pytest.approx(triangle.area, rel=1e-9)
    assert in_utm(cells).union_all().symmetric_difference(triangle).area < 1.0
    assert (cells["area_m2"] < 250_000.0 * (1 - 1e-9)).any()


def test_pinned_metric_crs_keeps_codes_across_a_zone_boundary() -> None:
    # A box straddling 24E, the 34N/35N boundary: pinning the zone keeps it in 35N.
    box = gpd.GeoDataFrame({"name": ["Z"]}, geometry=[shapely.box(23.9, 60.0, 24.0, 60.02)],
                           crs=4326)
    cells = grids.build_square_grid(box, cell_size_m=1000, metric_crs=UTM35N)
    assert cells["code"].str.contains("-35N-").all()
    default = grids.build_square_grid(box, cell_size_m=1000)
    assert default["code"].str.contains("-34N-").all()


# -- hexagonal grids -----------------------------------------------------------------------

def test_hex_cells_have_six_sides_and_the_documented_width() -> None:
    size_m = 500.0
    cells = grids.build_hex_grid(areas_from_utm(A=RECTANGLE.buffer(2000)),
                                 cell_size_m=size_m)
    full_area_m2 = math.sqrt(3) / 2 * size_m**2
    whole = cells[np.isclose(cells["area_m2"], full_area_m2, rtol=1e-9)]
    assert len(whole) > 10
    for hexagon in in_utm(whole):
        ring = shapely.get_coordinates(hexagon.exterior)
        assert len(ring) == 7 and len(np.unique(ring[:-1].round(3), axis=0)) == 6
        sides = np.hypot(*np.diff(ring, axis=0).T)
        assert sides == pytest.approx(size_m / math.sqrt(3), rel=1e-9)
        min_x, min_y, max_x, max_y = hexagon.bounds
        assert max_x - min_x == pytest.approx(size_m, rel=1e-9)  # across flats, east-west
        assert max_y - min_y == pytest.approx(2 * size_m / math.sqrt(3), rel=1e-9)
    # Neighbouring centres in a row are one cell width apart.
    centres = in_utm(whole).centroid
    gaps = [centres.distance(centre).sort_values().iloc[1] for centre in centres]
    assert np.allclose(gaps, size_m, rtol=1e-6)


def test_hex_cells_tile_the_area_without_overlap() -> None:
    cells = grids.build_hex_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500)
    assert cells["area_m2"].sum() == pytest.approx(RECTANGLE.area, rel=1e-9)
    assert in_utm(cells).union_all().area == pytest.approx(RECTANGLE.area, rel=1e-9)
    assert cells["code"].str.fullmatch(r"H500-35N-C\d{4,}-R\d{4,}").all()


def test_hex_codes_name_the_offset_lattice_position() -> None:
    size_m = 500.0
    cells = grids.build_hex_grid(areas_from_utm(A=RECTANGLE.buffer(1000)), cell_size_m=size_m)
    whole = cells[np.isclose(cells["area_m2"], math.sqrt(3) / 2 * size_m**2, rtol=1e-9)]
    for code, centre in zip(whole["code"], in_utm(whole).centroid, strict=True):
        _, _, col, row = code.split("-")
        c, r = int(col[1:]), int(row[1:])
        assert centre.x == pytest.approx((c + (r % 2) / 2) * size_m, abs=1e-6)
        assert centre.y == pytest.approx(r * size_m * math.sqrt(3) / 2, abs=1e-6)


# -- refusals ------------------------------------------------------------------------------

def test_refuses_missing_or_wrong_crs() -> None:
    areas = areas_from_utm(A=RECTANGLE)
    with pytest.raises(MissingCrsError):
        grids.build_square_grid(areas.set_crs(None, allow_override=True), cell_size_m=500)
    with pytest.raises(CrsMismatchError):
        grids.build_square_grid(areas.to_crs(UTM35N), cell_size_m=500)
    with pytest.raises(CrsError):
        grids.build_hex_grid(areas, cell_size_m=500, metric_crs=3067)


@pytest.mark.parametrize("size", [0, -500, math.nan, math.inf, True, "500"])
def test_refuses_a_bad_cell_size(size: object) -> None:
    with pytest.raises(InvalidCellSizeError):
        grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=size)  # type: ignore[arg-type]


def test_refuses_non_polygons_and_bad_tables() -> None:
    points = gpd.GeoDataFrame({"name": ["P"]}, geometry=[shapely.Point(24.94, 60.17)],
                              crs=4326)
    with pytest.raises(GeometryTypeError, match="Point"):
        grids.build_square_grid(points, cell_size_m=500)
    with pytest.raises(MissingColumnError):
        grids.build_square_grid(areas_from_utm(A=RECTANGLE).rename(columns={"name": "x"}),
                                cell_size_m=500)
    with pytest.raises(EmptyInputError):
        grids.build_square_grid(areas_from_utm(A=RECTANGLE).iloc[0:0], cell_size_m=500)
    bowtie = shapely.Polygon([(24.9, 60.1), (25.0, 60.2), (25.0, 60.1), (24.9, 60.2)])
    with pytest.raises(InvalidGeometryError, match="Self-intersection"):
        grids.build_square_grid(gpd.GeoDataFrame({"name": ["B"]}, geometry=[bowtie], crs=4326),
                                cell_size_m=500)
    with pytest.raises(ValueError, match="shape"):
        grids.build_grid(areas_from_utm(A=RECTANGLE), shape="triangle",  # type: ignore[arg-type]
                         cell_size_m=500)


def test_an_area_smaller_than_a_sliver_gives_an_empty_grid() -> None:
    speck = shapely.box(X0 + 10, Y0 + 10, X0 + 10.1, Y0 + 10.1)
    cells = grids.build_hex_grid(areas_from_utm(S=speck), cell_size_m=500)
    assert cells.empty and cells.crs.to_epsg() == 4326
    assert list(cells.columns) == ["code", "area_name", "area_m2", "geometry"]
    assert cells["code"].dtype == cells["area_name"].dtype == pd.Series(["x"]).dtype


def test_refuses_areas_without_geometry() -> None:
    areas = areas_from_utm(A=RECTANGLE, B=shapely.box(X0, Y0, X0 + 1, Y0 + 1))
    areas.loc[1, "geometry"] = None
    with pytest.raises(InvalidGeometryError, match="'B'"):
        grids.build_square_grid(areas, cell_size_m=500)
    areas.loc[1, "geometry"] = shapely.Polygon()
    with pytest.raises(InvalidGeometryError, match="'B'"):
        grids.build_square_grid(areas, cell_size_m=500)


def test_refuses_a_grid_with_too_many_cells() -> None:
    with pytest.raises(GridTooLargeError, match="limit 200000"):
        grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=1)
    with pytest.raises(GridTooLargeError, match="has 8 cells"):
        grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500, max_cells=7)
    assert len(grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500,
                                       max_cells=8)) == 8


# -- road length per cell ------------------------------------------------------------------

def roads_from_utm(*lines: shapely.LineString) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(lines), crs=UTM35N).to_crs(4326)


def test_a_straight_kilometre_splits_between_two_cells() -> None:
    cells = grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=1000)
    road = shapely.LineString([(X0 + 300, Y0 + 400), (X0 + 1300, Y0 + 400)])
    lengths = grids.road_length_per_cell(cells, roads_from_utm(road))
    assert lengths.name == "road_length_m"
    assert lengths.index.equals(cells.index)
    assert lengths.to_list() == pytest.approx([700.0, 300.0], rel=0.005)
    assert lengths.sum() == pytest.approx(1000.0, rel=1e-6)


def test_road_lengths_match_a_brute_force_loop() -> None:
    cells = grids.build_hex_grid(areas_from_utm(A=RECTANGLE), cell_size_m=300)
    cells.index = pd.Index([f"cell{i}" for i in range(len(cells))])
    rng = np.random.default_rng(7)
    ends = rng.uniform([X0 - 200, Y0 - 200], [X0 + 2200, Y0 + 1200], size=(40, 2, 2))
    roads = roads_from_utm(*(shapely.LineString(pair) for pair in ends),
                           shapely.MultiLineString([[(X0, Y0 + 10), (X0 + 50, Y0 + 10)],
                                                    [(X0 + 60, Y0 + 20), (X0 + 90, Y0 + 20)]]))
    got = grids.road_length_per_cell(cells, roads)
    cell_utm, road_utm = in_utm(cells), roads.geometry.to_crs(UTM35N)
    expected = [sum(cell.intersection(road).length for road in road_utm) for cell in cell_utm]
    assert got.to_numpy() == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert (got > 0).sum() > 10


def test_road_length_is_zero_without_roads_and_ignores_empty_rows() -> None:
    cells = grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500)
    nothing = gpd.GeoDataFrame(geometry=[None, shapely.LineString()], crs=4326)
    assert grids.road_length_per_cell(cells, nothing).to_list() == [0.0] * 8


def test_road_length_refuses_crs_and_type_problems() -> None:
    cells = grids.build_square_grid(areas_from_utm(A=RECTANGLE), cell_size_m=500)
    road = roads_from_utm(shapely.LineString([(X0, Y0 + 1), (X0 + 900, Y0 + 1)]))
    with pytest.raises(CrsMismatchError):
        grids.road_length_per_cell(cells, road.to_crs(UTM35N))
    with pytest.raises(MissingCrsError):
        grids.road_length_per_cell(cells, road.set_crs(None, allow_override=True))
    with pytest.raises(GeometryTypeError):
        grids.road_length_per_cell(cells, cells)
    with pytest.raises(GeometryTypeError):
        grids.road_length_per_cell(road, road)
