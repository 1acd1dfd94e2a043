"""Which cameras watch a path and their windows, worked out by hand on a straight street.

The street runs 1 km due east from (8.69, 49.41). A camera stands 20 m north of its
500 m point looking south (azimuth 180°, 60° field of view, 60 m range): it sees the
street from 500 - 20·tan 30° to 500 + 20·tan 30° m, 488.5 to 511.5 m. A vehicle driving
the street at 10 m/s is in its view from 48.85 s to 51.15 s; that is checked apart, by
stepping the vehicle along the street and asking `gis.coverage.sees` at every step.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString

from gis.coverage import coverage_sector, sees
from gis.errors import EvidenceInputError
from gis.evidence import (
    CoverageRecord,
    Mode,
    path_from_line,
    path_from_pieces,
    plan_sightings,
    time_window,
    watch_passages,
)

GEOD = pyproj.Geod(ellps="WGS84")
WEST = (8.69, 49.41)
SPEED_MPS = 10.0


def east_of(metres: float, north: float = 0.0) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*WEST, 90.0, metres)
    if north:
        lon, lat, _ = GEOD.fwd(lon, lat, 0.0, north)
    return float(lon), float(lat)


STREET = LineString([east_of(m) for m in range(0, 1001, 100)])


def camera(camera_id: int, at_m: float, north_m: float, azimuth: float | None,
           fov: float | None = 60.0, range_m: float = 60.0) -> tuple[CoverageRecord, dict]:
    lon, lat = east_of(at_m, north_m)
    wedge = coverage_sector(lon, lat, azimuth_deg=azimuth, fov_deg=fov, range_m=range_m)
    record = CoverageRecord(camera_id, wedge, all_round=azimuth is None)
    return record, {"camera_lon": lon, "camera_lat": lat, "azimuth_deg": azimuth,
                    "fov_deg": fov, "range_m": range_m}


def simulated_sight_times(view: dict, *, speed_mps: float, step_s: float = 0.05) -> list[float]:
    """Seconds at which a vehicle on the street at ``speed_mps`` is seen by the camera."""
    seen = []
    for t in np.arange(0.0, 1000.0 / speed_mps, step_s):
        lon, lat = east_of(float(t) * speed_mps)
        if sees(lon, lat, **view).visible:
            seen.append(float(t))
    return seen


def test_a_camera_watching_the_street_gets_a_window_holding_the_passage() -> None:
    record, view = camera(7, 500.0, 20.0, azimuth=180.0)
    path = path_from_line(STREET, mode=Mode.CAR, speed_mps=SPEED_MPS)
    passages = watch_passages(path, [record])
    assert len(passages) == 1
    passage = passages[0]
    half = 20.0 * math.tan(math.radians(30.0))
    assert passage.first_s == pytest.approx((500.0 - half) / SPEED_MPS, abs=0.05)
    assert passage.last_s == pytest.approx((500.0 + half) / SPEED_MPS, abs=0.05)
    assert passage.seen_m == pytest.approx(2 * half, abs=0.5)
    assert passage.first_m == pytest.approx(500.0 - half, abs=0.5)
    seen_at = simulated_sight_times(view, speed_mps=SPEED_MPS)
    assert seen_at, "the simulated vehicle is never seen"
    (sighting,) = plan_sightings(passages, mode=Mode.CAR, margin_s=0.0)
    assert sighting.window_start_s <= min(seen_at) and max(seen_at) <= sighting.window_end_s
    # the nominal passage is inside, and so are a car 30 % faster and one twice as slow
    for factor in (1.3, 0.5):
        actual = simulated_sight_times(view, speed_mps=SPEED_MPS * factor, step_s=0.1)
        assert sighting.window_start_s <= min(actual) <= max(actual) <= sighting.window_end_s


def test_a_camera_beside_the_street_facing_away_is_not_listed() -> None:
    away, view = camera(8, 500.0, 20.0, azimuth=0.0)
    assert simulated_sight_times(view, speed_mps=SPEED_MPS, step_s=0.5) == []
    path = path_from_line(STREET, mode=Mode.CAR, speed_mps=SPEED_MPS)
    assert watch_passages(path, [away]) == []
    # too far from the street: not listed either; of unknown direction: listed, all round
    far, _ = camera(9, 500.0, 80.0, azimuth=180.0)
    disc, _ = camera(10, 300.0, 20.0, azimuth=None, fov=None, range_m=30.0)
    found = watch_passages(path, [away, far, disc])
    assert [(p.camera_id, p.all_round) for p in found] == [(10, True)]


def test_sightings_are_ordered_by_window_and_windows_widen_with_distance() -> None:
    near, _ = camera(1, 100.0, 20.0, azimuth=180.0)
    far, _ = camera(2, 900.0, -20.0, azimuth=0.0)
    path = path_from_line(STREET, mode=Mode.CAR, speed_mps=SPEED_MPS)
    plan = plan_sightings(watch_passages(path, [far, near]), mode=Mode.CAR)
    assert [s.passage.camera_id for s in plan] == [1, 2]
    widths = [s.window_end_s - s.window_start_s for s in plan]
    assert widths[1] > widths[0] + 60  # 80 s further along: much more slack


def test_window_formula() -> None:
    start, end = time_window([144.0], [144.0], mode=Mode.CAR, margin_s=60.0)
    assert start[0] == pytest.approx(144.0 / 1.3 - 60.0) and end[0] == pytest.approx(348.0)
    start, end = time_window([100.0], [110.0], mode=Mode.FOOT, margin_s=0.0)
    assert start[0] == pytest.approx(100.0 / 2.4) and end[0] == pytest.approx(110.0 * 1.6)
    with pytest.raises(EvidenceInputError) as caught:
        time_window([1.0], [2.0], mode=Mode.CAR, margin_s=-1.0)
    assert caught.value.field == "margin_s"


def test_a_loop_passes_the_camera_twice() -> None:
    record, _ = camera(3, 500.0, 20.0, azimuth=180.0)
    there_and_back = LineString([*STREET.coords, *STREET.coords[::-1][1:]])
    path = path_from_line(there_and_back, mode=Mode.CAR, speed_mps=SPEED_MPS)
    passages = watch_passages(path, [record])
    assert [round(p.first_s) for p in passages] == [49, 149]


def test_road_speeds_time_cars_and_not_walkers() -> None:
    roads = pd.DataFrame({"edge_id": np.arange(10), "speed_mps": np.full(10, 20.0)})
    car = path_from_line(STREET, mode=Mode.CAR, roads=roads)
    walk = path_from_line(STREET, mode=Mode.FOOT, roads=roads)
    assert car.duration_s == pytest.approx(1000.0 / 20.0, rel=1e-3)
    assert walk.duration_s == pytest.approx(1000.0 / 1.4, rel=1e-3)
    assert car.length_m == pytest.approx(1000.0, rel=1e-4)
    assert list(car.edge_id) == list(range(10))
    with pytest.raises(EvidenceInputError):
        path_from_line(LineString([WEST, WEST]), mode=Mode.CAR)


def test_ways_out_make_one_passage_per_camera_from_earliest_to_latest() -> None:
    record, _ = camera(4, 500.0, 20.0, azimuth=180.0)
    east = LineString([east_of(0.0), east_of(1000.0)])
    pieces = pd.DataFrame({"edge_id": [1, 1], "start_s": [0.0, 30.0],
                           "duration_s": [100.0, 100.0],
                           "geometry": [east, east.reverse()]})
    path = path_from_pieces(pieces)
    assert path.ways_out and np.isnan(path.length_m)
    (passage,) = watch_passages(path, [record])
    half = 20.0 * math.tan(math.radians(30.0))
    assert passage.first_s == pytest.approx((500.0 - half) / 10.0, abs=0.05)
    assert passage.last_s == pytest.approx(30.0 + (500.0 + half) / 10.0, abs=0.05)
