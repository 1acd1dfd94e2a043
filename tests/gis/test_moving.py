"""Moving along a path: distances match pyproj's geodesic within the sphere's error, the
position is interpolated and clamped, the course follows the segment, the nearest vertex
is found, and bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString

from gis.moving import Path, bearing_deg, haversine_m

GEOD = Geod(ellps="WGS84")
# three streets of Helsinki's centre: east along one, then north
COORDS = [(24.9384, 60.1699), (24.9450, 60.1699), (24.9450, 60.1730)]


def test_lengths_agree_with_the_ellipsoid() -> None:
    path = Path.from_coords(COORDS)
    lons, lats = zip(*COORDS, strict=True)
    reference = GEOD.line_length(lons, lats)
    assert path.length_m == pytest.approx(reference, rel=5e-3)
    assert float(haversine_m(0.0, 0.0, 1.0, 0.0)) == pytest.approx(111_195, rel=1e-4)


def test_position_is_interpolated_clamped_and_headed_along_its_segment() -> None:
    path = Path.from_coords(COORDS)
    first = float(path.cumulative_m[1])
    half = path.at(first / 2)
    assert (half.lon, half.lat) == pytest.approx((24.9417, 60.1699), abs=1e-6)
    assert half.course_deg == pytest.approx(90.0, abs=0.5)  # east
    turn = path.at(first + 10)
    assert turn.course_deg == pytest.approx(0.0, abs=0.5)  # north after the corner
    assert path.at(-5).along_m == 0.0 and path.at(1e9).along_m == path.length_m
    assert (path.at(1e9).lon, path.at(1e9).lat) == COORDS[-1]


def test_nearest_vertex_and_the_rest_of_the_path() -> None:
    path = Path.from_coords(COORDS)
    along, away = path.nearest_vertex(24.9451, 60.1700)
    assert along == pytest.approx(float(path.cumulative_m[1]))
    assert away < 20
    rest = path.after(along)
    assert rest.start == pytest.approx(COORDS[1]) and rest.end == COORDS[-1]
    assert rest.length_m == pytest.approx(path.length_m - along, rel=1e-9)


def test_multilines_join_and_repeats_drop() -> None:
    multi = MultiLineString([COORDS[:2], COORDS[1:]])
    joined = Path.from_line(multi)
    assert len(joined.coords) == 3  # the shared vertex once
    assert joined.length_m == pytest.approx(Path.from_line(LineString(COORDS)).length_m)
    assert Path.from_coords([COORDS[0]]).at(50).along_m == 0.0
    assert bearing_deg(1, 1, 1, 1) == 0.0
    assert bearing_deg(0, 0, 0, -1) == pytest.approx(180.0)


@pytest.mark.parametrize("bad", [[], [(0.0, np.nan)], [(200.0, 0.0)], [(0.0, 95.0)]])
def test_bad_coordinates_are_refused(bad: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        Path.from_coords(bad)
