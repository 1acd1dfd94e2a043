"""gis.tracks: visits to points and time in cells on hand-computed synthetic tracks, and on
real GNSS captures (gpsd's regression logs) moved to Heidelberg, checked against
brute-force loops over the fixes with geodesic distances."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from dispatch.nmea_epochs import read_log
from gis.errors import (
    CoordinateRangeError,
    CrsMismatchError,
    DuplicateFixTimeError,
    DuplicateIdError,
    GeometryTypeError,
    InvalidDistanceError,
    InvalidDurationError,
    MissingColumnError,
    MissingCrsError,
    TrackTimeError,
)
from gis.tracks import point_visits, shift_track, stays_in_cells, time_in_cells

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NMEA = SHARED_DATA / "radio" / "nmea"

UTM32 = "EPSG:32632"  # Heidelberg's zone: synthetic metres need no projection at all
X0, Y0 = 477_000.0, 5_474_000.0
T0 = pd.Timestamp("2024-05-06 08:00", tz="Europe/Berlin")
HEIDELBERG = (8.6930, 49.4093)
GEOD = pyproj.Geod(ellps="WGS84")


def track_of(times_s: list[float] | np.ndarray, xs: list[float] | np.ndarray,
             ys: list[float] | np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Fixes at T0 + t seconds, at (X0 + x, Y0 + y) metres in UTM 32N."""
    xs = np.asarray(xs, dtype=float)
    ys = np.zeros_like(xs) if ys is None else np.asarray(ys, dtype=float)
    return gpd.GeoDataFrame({"at": T0 + pd.to_timedelta(np.asarray(times_s), unit="s")},
                            geometry=shapely.points(X0 + xs, Y0 + ys), crs=UTM32)


def points_of(**where: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(where)},
                            geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in where.values()],
                            crs=UTM32)


def at(seconds: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(seconds=seconds)


def stop_and_go() -> gpd.GeoDataFrame:
    """Drive east at 10 m/s, stop 300 s at x=0, drive on; a fix every 5 s from t=2 s.

    Position: x = -500 + 10 t until t=50, 0 until t=350, 10 (t - 350) after. Fixes fall on
    t = 2, 7, 12, ..., so none lies on the 50 m circle around x=0: the circle is crossed
    at x=-50 (t=45) between the fixes at t=42 and t=47 and at x=+50 (t=355) between 352
    and 357, and the constant speed makes the interpolation exact.
    """
    t = np.arange(2.0, 700.0, 5.0)
    x = np.where(t < 50, -500 + 10 * t, np.where(t <= 350, 0.0, 10 * (t - 350)))
    return track_of(t, x)


# -- visits on synthetic tracks ----------------------------------------------------------

def test_a_five_minute_stop_is_one_visit_with_interpolated_arrival_and_departure() -> None:
    visits = point_visits(stop_and_go(), points_of(stop=(0, 0)), radius_m=50)
    assert len(visits) == 1
    visit = visits.iloc[0]
    assert visit["point_id"] == "stop"
    assert abs((visit["arrive"] - at(45)).total_seconds()) < 1e-6
    assert abs((visit["depart"] - at(355)).total_seconds()) < 1e-6
    assert visit["dwell_s"] == pytest.approx(310.0, abs=1e-6)
    assert visit["fixes"] == (352 - 47) // 5 + 1
    assert list(visits.columns) == ["point_id", "arrive", "depart", "dwell_s", "fixes"]
    assert str(visits["arrive"].dt.tz) == "Europe/Berlin"


def test_driving_past_is_no_visit_once_a_dwell_is_required() -> None:
    # B lies 30 m off the road: the road crosses its 50 m circle on a chord of 2 * 40 m,
    # from x=960 to x=1040, i.e. from t=446 to t=454 at 10 m/s; fixes inside at 447, 452.
    track, points = stop_and_go(), points_of(stop=(0, 0), past=(1000, 30))
    passing = point_visits(track, points).set_index("point_id").loc["past"]
    assert abs((passing["arrive"] - at(446)).total_seconds()) < 1e-6
    assert passing["dwell_s"] == pytest.approx(8.0, abs=1e-6)
    assert passing["fixes"] == 2
    kept = point_visits(track, points, min_dwell_s=120)
    assert kept["point_id"].tolist() == ["stop"]


def test_visits_are_listed_by_arrival() -> None:
    track = stop_and_go()
    visits = point_visits(track, points_of(past=(1000, 30), stop=(0, 0), never=(0, 500)))
    assert visits["point_id"].tolist() == ["stop", "past"]


def test_a_gps_gap_longer_than_max_gap_breaks_a_stay() -> None:
    # Parked 20 minutes at the point, a fix every 5 s, but no fix for 10 minutes from t=300.
    t = np.array([s for s in np.arange(0.0, 1200.0 + 1, 5.0) if not 300 <= s < 900])
    track = track_of(t, np.full(t.size, 3.0))
    split = point_visits(track, points_of(p=(0, 0)), max_gap_s=300)
    # The track starts and ends inside and the gap has no fix outside: fix times are used.
    assert [(v.arrive, v.depart) for v in split.itertuples()] == [(at(0), at(295)),
                                                                  (at(900), at(1200))]
    assert split["dwell_s"].tolist() == [295.0, 300.0]
    assert split["fixes"].tolist() == [60, 61]
    joined = point_visits(track, points_of(p=(0, 0)), max_gap_s=900)
    assert joined["dwell_s"].tolist() == [1200.0]
    assert joined["fixes"].tolist() == [121]


def test_a_fix_outside_ends_a_visit() -> None:
    t = np.arange(0.0, 60.0, 10.0)
    x = [0, 0, 80, 0, 0, 0]  # one jump out of the circle at t=20
    visits = point_visits(track_of(t, x), points_of(p=(0, 0)), radius_m=50)
    assert visits["fixes"].tolist() == [2, 3]
    # Leaving 0 -> 80 m in t=10..20 crosses 50 m at t=16.25; coming back 80 -> 0 m in
    # t=20..30 crosses it at t=23.75, and the track ends inside at t=50.
    assert visits["dwell_s"].tolist() == pytest.approx([16.25, 50 - 23.75])


def test_the_radius_is_inclusive() -> None:
    visits = point_visits(track_of([0, 10], [50, 50]), points_of(p=(0, 0)), radius_m=50)
    assert visits["fixes"].tolist() == [2]


def test_input_order_and_crs_do_not_change_the_visits() -> None:
    track, points = stop_and_go(), points_of(stop=(0, 0), past=(1000, 30))
    expected = point_visits(track, points)
    shuffled = track.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(point_visits(shuffled, points), expected)
    in_degrees = point_visits(track.to_crs(4326), points.to_crs(4326))
    assert in_degrees["point_id"].tolist() == expected["point_id"].tolist()
    assert np.allclose(in_degrees["dwell_s"], expected["dwell_s"], atol=1e-3)


def test_no_fix_or_no_point_gives_an_empty_table_with_the_columns() -> None:
    empty = point_visits(stop_and_go().iloc[:0], points_of(p=(0, 0)))
    assert empty.empty and list(empty.columns) == ["point_id", "arrive", "depart", "dwell_s",
                                                   "fixes"]
    assert point_visits(stop_and_go(), points_of()).empty


def test_bad_tracks_and_points_raise_named_errors() -> None:
    track, points = stop_and_go(), points_of(p=(0, 0))
    with pytest.raises(MissingCrsError):
        point_visits(track.set_crs(None, allow_override=True), points)
    with pytest.raises(CrsMismatchError):
        point_visits(track, points.to_crs(4326))
    with pytest.raises(MissingColumnError):
        point_visits(track.drop(columns="at"), points)
    with pytest.raises(MissingColumnError):
        point_visits(track, points.rename(columns={"id": "name"}))
    with pytest.raises(DuplicateIdError):
        point_visits(track, pd.concat([points, points]))
    naive = track.assign(at=track["at"].dt.tz_localize(None))
    with pytest.raises(TrackTimeError):
        point_visits(naive, points)
    with pytest.raises(DuplicateFixTimeError):
        point_visits(pd.concat([track, track.iloc[[3]]]), points)
    lines = track.iloc[:2].copy()
    lines.geometry = [shapely.LineString([(X0, Y0), (X0 + 1, Y0)])] * 2
    with pytest.raises(GeometryTypeError):
        point_visits(lines, points)
    with pytest.raises(InvalidDistanceError):
        point_visits(track, points, radius_m=0)
    with pytest.raises(InvalidDurationError):
        point_visits(track, points, min_dwell_s=-1)
    with pytest.raises(InvalidDurationError):
        point_visits(track, points, max_gap_s=math.nan)


# -- time in cells on a synthetic track --------------------------------------------------

def cells_west_east() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["W", "E", "far"]},
        geometry=[shapely.box(X0 - 100, Y0 - 50, X0, Y0 + 50),
                  shapely.box(X0, Y0 - 50, X0 + 100, Y0 + 50),
                  shapely.box(X0 + 5000, Y0, X0 + 5100, Y0 + 100)],
        crs=UTM32)


def zigzag() -> gpd.GeoDataFrame:
    """Fixes (t s, x m): intervals attributed by segment midpoint (in brackets).

    0 -50, 60 -40, 120 -30 [W, W]; 130 50 [midpoint 10: E]; 190 60 [E]; 250 -70
    [midpoint -5: W]; 850 -70 [600 s gap: nowhere]; 860 -60 [W]; 870 500 [outside].
    """
    return track_of([0, 60, 120, 130, 190, 250, 850, 860, 870],
                    [-50, -40, -30, 50, 60, -70, -70, -60, 500])


def test_stays_follow_segment_midpoints_and_break_at_gaps() -> None:
    stays = stays_in_cells(zigzag(), cells_west_east(), max_gap_s=300)
    assert [(s.code, s.enter, s.exit, s.seconds) for s in stays.itertuples()] == [
        ("W", at(0), at(120), 120.0),
        ("E", at(120), at(190), 70.0),
        ("W", at(190), at(250), 60.0),
        ("W", at(850), at(860), 10.0),
    ]


def test_time_in_cells_sums_the_stays_per_cell_and_lists_every_cell() -> None:
    table = time_in_cells(zigzag(), cells_west_east(), max_gap_s=300)
    assert table["code"].tolist() == ["W", "E", "far"]
    assert table["seconds"].tolist() == [190.0, 70.0, 0.0]
    assert table["entries"].tolist() == [3, 1, 0]
    assert table["first_entry"].tolist()[:2] == [at(0), at(120)]
    assert table["last_exit"].tolist()[:2] == [at(860), at(190)]
    assert table["first_entry"].isna().tolist() == [False, False, True]
    # Counted time is all the time between fixes less the gap and the leg outside.
    assert table["seconds"].sum() == 870 - 600 - 10


def test_without_a_gap_limit_the_time_across_the_gap_counts() -> None:
    table = time_in_cells(zigzag(), cells_west_east(), max_gap_s=math.inf)
    assert table.set_index("code").loc["W", ["seconds", "entries"]].tolist() == [790.0, 2]


def test_cells_must_be_polygons_with_unique_codes() -> None:
    cells = cells_west_east()
    with pytest.raises(GeometryTypeError):
        stays_in_cells(zigzag(), cells.assign(geometry=cells.centroid))
    with pytest.raises(DuplicateIdError):
        stays_in_cells(zigzag(), cells.assign(code=["W", "W", "far"]))
    with pytest.raises(MissingColumnError):
        time_in_cells(zigzag(), cells.drop(columns="code"))
    with pytest.raises(CrsMismatchError):
        time_in_cells(zigzag(), cells.to_crs(4326))


# -- shift_track --------------------------------------------------------------------------

def test_shift_track_puts_the_earliest_fix_on_the_target_and_keeps_distances() -> None:
    track = stop_and_go().iloc[::-1]  # the earliest fix is the last row
    moved = shift_track(track, to_lon=HEIDELBERG[0], to_lat=HEIDELBERG[1])
    assert moved.crs.to_epsg() == 4326
    assert moved.index.tolist() == track.index.tolist()
    assert moved["at"].tolist() == track["at"].tolist()
    first = moved.loc[moved["at"].idxmin()].geometry
    assert (first.x, first.y) == pytest.approx(HEIDELBERG, abs=1e-9)
    before = track.sort_values("at").geometry
    after = moved.sort_values("at").geometry
    metres = np.hypot(np.diff(before.x), np.diff(before.y))
    _, _, geodesic = GEOD.inv(after.x[:-1], after.y[:-1], after.x[1:], after.y[1:])
    # UTM distances are scaled by ~0.9996 near Heidelberg; aeqd keeps true ones.
    assert np.allclose(geodesic, metres, rtol=1e-3)


def test_shift_track_rejects_a_target_that_is_not_degrees() -> None:
    with pytest.raises(CoordinateRangeError):
        shift_track(stop_and_go(), to_lon=477000.0, to_lat=5474000.0)


# -- real GNSS tracks ----------------------------------------------------------------------

def read_track(name: str) -> gpd.GeoDataFrame:
    """Fixes of a gpsd capture, one per receiver epoch (its sentences joined), EPSG:4326.

    Epochs before the first dated RMC have no ``at`` and are left out.
    """
    path = NMEA / name
    assert path.exists(), f"{path} is missing (the shared data folder sits beside the repo)"
    with path.open(encoding="utf-8") as lines:
        fixes = read_log(lines).fixes
    first_per_instant = {fix.at: fix for fix in reversed(fixes) if fix.at is not None}
    ordered = [first_per_instant[moment] for moment in sorted(first_per_instant)]
    return gpd.GeoDataFrame({"at": pd.to_datetime([fix.at for fix in ordered])},
                            geometry=shapely.points([f.lon for f in ordered],
                                                    [f.lat for f in ordered]), crs=4326)


def in_heidelberg(name: str) -> gpd.GeoDataFrame:
    return shift_track(read_track(name), to_lon=HEIDELBERG[0], to_lat=HEIDELBERG[1])


def distances_m(track: gpd.GeoDataFrame, lon: float, lat: float) -> np.ndarray:
    n = len(track)
    _, _, d = GEOD.inv(np.full(n, lon), np.full(n, lat), track.geometry.x.to_numpy(),
                       track.geometry.y.to_numpy())
    return np.asarray(d)


def brute_force_visits(track: gpd.GeoDataFrame, lon: float, lat: float, *, radius_m: float,
                       max_gap_s: float) -> list[tuple[float, float, int]]:
    """(arrive s, depart s, fixes) from a loop over the fixes, with geodesic distances;
    circle crossings by bisection on the straight segment (in degrees: metres apart)."""
    lons, lats = track.geometry.x.tolist(), track.geometry.y.tolist()
    t = ((track["at"] - track["at"].iloc[0]) / pd.Timedelta(seconds=1)).tolist()
    inside = [d <= radius_m for d in distances_m(track, lon, lat)]

    def crossing(a: int, b: int) -> float:
        lo, hi = 0.0, 1.0  # inside[a] != inside[b]; keep the end at lo on a's side
        for _ in range(60):
            mid = (lo + hi) / 2
            _, _, d = GEOD.inv(lon, lat, lons[a] + mid * (lons[b] - lons[a]),
                               lats[a] + mid * (lats[b] - lats[a]))
            if (d <= radius_m) == inside[a]:
                lo = mid
            else:
                hi = mid
        return t[a] + lo * (t[b] - t[a])

    visits, i, n = [], 0, len(t)
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1] and t[j + 1] - t[j] <= max_gap_s:
            j += 1
        arrive = t[i] if i == 0 or t[i] - t[i - 1] > max_gap_s else crossing(i - 1, i)
        depart = t[j] if j == n - 1 or t[j + 1] - t[j] > max_gap_s else crossing(j, j + 1)
        visits.append((arrive, depart, j - i + 1))
        i = j + 1
    return visits


def assert_visits_match(track: gpd.GeoDataFrame, visits: pd.DataFrame,
                        expected: list[tuple[float, float, int]]) -> None:
    origin = track["at"].min()
    got = [((v.arrive - origin).total_seconds(), (v.depart - origin).total_seconds(), v.fixes)
           for v in visits.itertuples()]
    assert [g[2] for g in got] == [e[2] for e in expected]
    assert np.allclose([g[:2] for g in got], [e[:2] for e in expected], atol=0.02)


def test_a_real_walk_lingering_place_is_visited_as_a_loop_over_fixes_says() -> None:
    walk = in_heidelberg("haicom-305N.log")
    assert len(walk) == 68  # 68 dated seconds in 71 s (GGA/RMC pairs, gaps of 2 s)
    radius_m = 10.0
    # Where the walk lingers longest: the fix with the most fixes within the radius.
    counts = [int((distances_m(walk, p.x, p.y) <= radius_m).sum()) for p in walk.geometry]
    centre = walk.geometry.iloc[int(np.argmax(counts))]
    distance = distances_m(walk, centre.x, centre.y)
    # No fix so close to the circle that UTM (scale ~0.9996) and geodesic distances could
    # put it on different sides.
    assert np.abs(distance - radius_m).min() > 0.05
    never = shapely.Point(*GEOD.fwd(HEIDELBERG[0], HEIDELBERG[1], 90.0, 300.0)[:2])
    points = gpd.GeoDataFrame({"id": ["linger", "never"]}, geometry=[centre, never], crs=4326)
    assert distances_m(walk, never.x, never.y).min() > 250

    visits = point_visits(walk, points, radius_m=radius_m)
    expected = brute_force_visits(walk, centre.x, centre.y, radius_m=radius_m, max_gap_s=300)
    assert set(visits["point_id"]) == {"linger"}
    assert_visits_match(walk, visits, expected)
    assert visits["dwell_s"].sum() == pytest.approx(sum(e[1] - e[0] for e in expected),
                                                    abs=0.05)
    # The numbers, read off the loop and pinned: the walk passes the place three times
    # (out, back, and again at the end of the capture, which ends inside).
    assert [e[2] for e in expected] == [10, 16, 13]
    assert visits["dwell_s"].round(1).tolist() == [9.6, 17.8, 13.0]
    assert visits["dwell_s"].sum() / 60 == pytest.approx(0.67, abs=0.01)
    # A stop of at least 15 s: only the second pass.
    assert point_visits(walk, points, radius_m=radius_m, min_dwell_s=15)["fixes"].tolist() == [16]


def test_a_real_boat_passing_a_point_makes_no_stop() -> None:
    boat = in_heidelberg("bundg_zeus_9.log")
    assert len(boat) == 148  # epochs with a date: the last one has a GLL only
    on_course = boat.geometry.iloc[73]
    points = gpd.GeoDataFrame({"id": ["buoy"]}, geometry=[on_course], crs=4326)
    visits = point_visits(boat, points, radius_m=20.0)
    expected = brute_force_visits(boat, on_course.x, on_course.y, radius_m=20.0, max_gap_s=300)
    assert len(expected) == 1
    assert_visits_match(boat, visits, expected)
    # Some 40 m of course at about 2.9 m/s: a dozen seconds, no stop.
    assert 10 < visits["dwell_s"].iloc[0] < 16
    assert point_visits(boat, points, radius_m=20.0, min_dwell_s=60).empty


def test_real_boat_time_in_cells_matches_a_loop_over_intervals() -> None:
    boat = in_heidelberg("bundg_zeus_9.log")
    metric = boat.to_crs(UTM32)
    xs, ys = metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()
    t = ((boat["at"] - boat["at"].iloc[0]) / pd.Timedelta(seconds=1)).to_numpy()
    size = 100.0
    col0, row0 = math.floor(xs.min() / size), math.floor(ys.min() / size)
    col1, row1 = math.floor(xs.max() / size), math.floor(ys.max() / size)
    codes, boxes = [], []
    for col in range(col0, col1 + 1):
        for row in range(row0, row1 + 1):
            codes.append(f"{col}-{row}")
            boxes.append(shapely.box(col * size, row * size, (col + 1) * size,
                                     (row + 1) * size))
    cells = gpd.GeoDataFrame({"code": codes}, geometry=boxes, crs=UTM32).to_crs(4326)
    expected: dict[str, float] = dict.fromkeys(codes, 0.0)
    for k in range(len(t) - 1):
        mx, my = (xs[k] + xs[k + 1]) / 2, (ys[k] + ys[k + 1]) / 2
        expected[f"{math.floor(mx / size)}-{math.floor(my / size)}"] += t[k + 1] - t[k]
    table = time_in_cells(boat, cells, metric_crs=UTM32).set_index("code")
    assert table["seconds"].to_dict() == pytest.approx(expected)
    assert table["seconds"].sum() == pytest.approx(t[-1] - t[0])
    assert (table["entries"] <= 1).all()  # a straight course enters each cell once
    assert (table["seconds"] > 0).sum() >= 4
