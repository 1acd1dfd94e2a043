"""gis.near_repeat: the Knox test against a brute-force loop over all pairs, on planted and
independent synthetic data, its band conventions, the GeoDataFrame adapter and the San
Francisco export."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis import near_repeat
from gis.errors import (
    EmptyInputError,
    GeometryTypeError,
    InvalidGeometryError,
    InvalidTimeResolutionError,
    InvalidValuesError,
    MissingColumnError,
    MissingCrsError,
    NearRepeatParameterError,
)
from gis.near_repeat import equal_bands, knox_test, near_repeat_events

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SF_CSV = SHARED_DATA / "incidents" / "sf" / "SFPD_Incident_Reports_2018-12_subset.csv"


def brute_force_tables(x: np.ndarray, y: np.ndarray, t: np.ndarray, distance_edges: list[float],
                       time_edges: list[float], *, permutations: int, seed: int,
                       metric: str) -> np.ndarray:
    """Every pair, every permutation, binned from scratch: [observed, *permuted] tables."""
    first, second = np.triu_indices(len(x), k=1)
    dx, dy = x[first] - x[second], y[first] - y[second]
    distance = np.abs(dx) + np.abs(dy) if metric == "manhattan" else np.hypot(dx, dy)
    rows = np.searchsorted(distance_edges, distance, side="right")
    shape = (len(distance_edges) + 1, len(time_edges) + 1)
    rng = np.random.default_rng(seed)
    tables = []
    for k in range(permutations + 1):
        times = t if k == 0 else t[rng.permutation(len(t))]
        columns = np.searchsorted(time_edges, np.abs(times[first] - times[second]),
                                  side="right")
        table = np.zeros(shape, dtype=np.int64)
        np.add.at(table, (rows, columns), 1)
        tables.append(table)
    return np.array(tables)


def events_with_ties(seed: int, *, n: int = 300,
                     whole_days: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on a 10 m lattice (many shared places, distances exactly on band edges),
    some rows repeated exactly (same place, same time)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, n) * 10.0
    y = rng.integers(0, 30, n) * 10.0
    t = (rng.integers(0, 20, n).astype(float) if whole_days
         else rng.integers(0, 200, n) * 0.1)  # tenths: 0.3 - 0.1 < 0.2 in floating point
    x[:20], y[:20], t[:20] = x[20:40], y[20:40], t[20:40]
    return x, y, t


# -- the fast paths against brute force ----------------------------------------------------

@pytest.mark.parametrize("path", ["auto", "pairs", "classes", "classes-float64"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
@pytest.mark.parametrize("whole_days", [True, False])
def test_counts_equal_brute_force(monkeypatch: pytest.MonkeyPatch, path: str, metric: str,
                                  whole_days: bool) -> None:
    if path == "pairs":
        monkeypatch.setattr(near_repeat, "_PAIR_COST", 0.0)
    elif path.startswith("classes"):
        monkeypatch.setattr(near_repeat, "_PAIR_COST", float("inf"))
    if path == "classes-float64":
        monkeypatch.setattr(near_repeat, "_FLOAT32_MAX_PER_TIME", 0)
    monkeypatch.setattr(near_repeat, "_CHUNK_ELEMENTS", {"pairs": 50_000, "classes": 20_000})
    x, y, t = events_with_ties(7, whole_days=whole_days)
    distance_edges = [1.0, *equal_bands(n=5, width=20.0)]  # "same location", then 20 m bands
    time_edges = [0.2, 1.0, 2.0, 3.5, 7.0]
    result = knox_test(x, y, t, distance_bands_m=distance_edges, time_bands_days=time_edges,
                       permutations=23, seed=5, metric=metric)
    expected = brute_force_tables(x, y, t, distance_edges, time_edges, permutations=23,
                                  seed=5, metric=metric)
    np.testing.assert_array_equal(result.observed, expected[0])
    np.testing.assert_array_equal(result.permuted, expected[1:])
    assert result.observed[-1].sum() > 0 and result.observed[:, -1].sum() > 0  # beyond used
    assert result.observed[0, 0] >= 20  # the repeated rows
    assert result.total_pairs == len(x) * (len(x) - 1) // 2


def test_times_per_band_over_all_pairs_survive_floating_point_rounding() -> None:
    t = np.array([0.1, 0.3, 0.3, 0.7, 1.0, 1.1, 0.1])
    edges = np.array([0.2, 0.4, 0.6])
    first, second = np.triu_indices(len(t), k=1)
    bands = np.searchsorted(edges, np.abs(t[first] - t[second]), side="right")
    np.testing.assert_array_equal(near_repeat._pairs_closer_in_time(t, edges),
                                  np.bincount(bands, minlength=4))


def test_same_seed_same_permutations_other_seed_other_ones() -> None:
    x, y, t = events_with_ties(3, n=120, whole_days=True)
    options = {"distance_bands_m": equal_bands(n=3, width=50.0),
               "time_bands_days": equal_bands(n=3, width=2.0), "permutations": 9}
    again = knox_test(x, y, t, seed=11, **options)
    np.testing.assert_array_equal(knox_test(x, y, t, seed=11, **options).permuted, again.permuted)
    assert not np.array_equal(knox_test(x, y, t, seed=12, **options).permuted, again.permuted)


# -- statistics on synthetic data ----------------------------------------------------------

def test_planted_near_repeats_show_in_the_first_band() -> None:
    rng = np.random.default_rng(2024)
    n_background, n_pairs = 400, 60
    x = rng.uniform(0, 10_000, n_background)
    y = rng.uniform(0, 10_000, n_background)
    t = rng.integers(0, 365, n_background).astype(float)
    seeds = rng.integers(0, n_background, n_pairs)
    angle = rng.uniform(0, 2 * np.pi, n_pairs)
    radius = rng.uniform(0, 50, n_pairs)
    x = np.concatenate([x, x[seeds] + radius * np.cos(angle)])
    y = np.concatenate([y, y[seeds] + radius * np.sin(angle)])
    t = np.concatenate([t, t[seeds] + rng.integers(0, 3, n_pairs)])  # 0-2 days later
    result = knox_test(x, y, t, distance_bands_m=equal_bands(n=5, width=100.0),
                       time_bands_days=equal_bands(n=5, width=3.0), permutations=199, seed=1)
    assert result.ratio[0, 0] > 5
    assert result.p_value[0, 0] < 0.05
    assert result.p_value[0, 0] == pytest.approx(1 / 200)


def test_independent_times_give_ratios_near_one() -> None:
    rng = np.random.default_rng(99)
    centres = rng.uniform(0, 5_000, (8, 2))  # spatial hot spots, but times independent
    which = rng.integers(0, 8, 1500)
    x = centres[which, 0] + rng.normal(0, 300, 1500)
    y = centres[which, 1] + rng.normal(0, 300, 1500)
    t = rng.integers(0, 180, 1500).astype(float)
    result = knox_test(x, y, t, distance_bands_m=equal_bands(n=4, width=200.0),
                       time_bands_days=equal_bands(n=4, width=7.0), permutations=99, seed=3)
    assert result.expected.min() > 100
    np.testing.assert_allclose(result.ratio, 1.0, atol=0.12)
    assert (result.p_value < 0.01).sum() <= 1


def test_expected_ratio_and_p_value_follow_from_the_permuted_counts() -> None:
    x, y, t = events_with_ties(4, n=80, whole_days=True)
    result = knox_test(x, y, t, distance_bands_m=[5.0, 50.0, 1_000.0], time_bands_days=[1.0],
                       permutations=19, seed=0)
    np.testing.assert_array_equal(result.expected, result.permuted.mean(axis=0))
    np.testing.assert_array_equal(
        result.p_value, ((result.permuted >= result.observed).sum(axis=0) + 1) / 20)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = result.observed / result.expected
    np.testing.assert_array_equal(result.ratio, np.where(result.expected > 0, ratio, np.nan))
    assert np.isnan(result.ratio[-1]).all()  # nothing is 1 km apart on a 300 m square
    with pytest.raises(ValueError, match="read-only"):
        result.observed[0, 0] = 0


# -- band conventions ----------------------------------------------------------------------

def one_pair(dx: float, dy: float, dt: float, **options: object) -> tuple[int, int]:
    result = knox_test([0.0, dx], [0.0, dy], [0.0, dt], permutations=3, **options)
    (row,), (column,) = np.nonzero(result.observed)
    np.testing.assert_array_equal(result.permuted, np.repeat(result.observed[None], 3, axis=0))
    return int(row), int(column)


@pytest.mark.parametrize(("dx", "dt", "cell"), [
    (0.0, 0.0, (0, 0)),      # same place, same time
    (0.5, 2.99, (0, 0)),     # still "same location", still [0, 3) days
    (1.0, 3.0, (1, 1)),      # 1 m and 3 days open the next bands: [lower, upper)
    (99.99, 5.0, (1, 1)),
    (100.0, 6.0, (2, 2)),    # the NRC labels this "101 to 200" metres, "7 to 9" days
    (200.0, 9.0, (3, 3)),    # exactly the last edge: beyond
    (5_000.0, 400.0, (3, 3)),
])
def test_bands_are_half_open_with_the_nrc_same_location_band(
        dx: float, dt: float, cell: tuple[int, int]) -> None:
    assert one_pair(dx, 0.0, dt, distance_bands_m=[1.0, 100.0, 200.0],
                    time_bands_days=equal_bands(n=3, width=3.0)) == cell


def test_manhattan_and_euclidean_distances() -> None:
    bands = {"distance_bands_m": [60.0, 100.0], "time_bands_days": [1.0]}
    assert one_pair(30.0, 40.0, 0.0, metric="euclidean", **bands) == (0, 0)   # 50 m
    assert one_pair(30.0, 40.0, 0.0, metric="manhattan", **bands) == (1, 0)   # 70 m
    assert one_pair(60.0, 80.0, 0.0, metric="euclidean", **bands) == (2, 0)   # exactly 100 m


def test_identical_events_are_one_pair_each_at_zero_distance_and_time() -> None:
    result = knox_test([5.0, 5.0, 5.0, 900.0], [5.0, 5.0, 5.0, 0.0], [2.0, 2.0, 2.0, 40.0],
                       distance_bands_m=[1.0, 100.0], time_bands_days=[7.0], permutations=9)
    assert result.observed[0, 0] == 3
    assert result.observed.sum() == 6
    assert result.observed[2, 1] == 3


def test_labels_and_band_table() -> None:
    result = knox_test([0.0, 10.0, 300.0], [0.0, 0.0, 0.0], [0.0, 1.0, 20.0],
                       distance_bands_m=[1.0, *equal_bands(n=2, width=100.0)],
                       time_bands_days=equal_bands(n=2, width=7.0), permutations=99)
    assert result.distance_labels() == ["[0, 1) m", "[1, 100) m", "[100, 200) m",
                                        "[200, inf) m"]
    assert result.time_labels() == ["[0, 7) d", "[7, 14) d", "[14, inf) d"]
    table = result.band_table()
    assert len(table) == 12
    assert set(table[0]) == {"distance", "time", "observed", "expected", "ratio", "p_value"}
    assert table[3] == {"distance": "[1, 100) m", "time": "[0, 7) d", "observed": 1,
                        "expected": pytest.approx(float(result.expected[1, 0])),
                        "ratio": pytest.approx(float(result.ratio[1, 0])),
                        "p_value": pytest.approx(float(result.p_value[1, 0]))}


def test_equal_bands() -> None:
    assert equal_bands(n=3, width=100) == (100.0, 200.0, 300.0)
    assert len(equal_bands(n=10, width=1.0)) == 10
    for bad in ({"n": 0, "width": 1.0}, {"n": 2.5, "width": 1.0}, {"n": 3, "width": 0.0},
                {"n": 3, "width": float("nan")}, {"n": True, "width": 1.0}):
        with pytest.raises(NearRepeatParameterError):
            equal_bands(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("change", [
    {"distance_bands_m": []}, {"distance_bands_m": [0.0, 10.0]},
    {"distance_bands_m": [10.0, 10.0]}, {"time_bands_days": [2.0, 1.0]},
    {"time_bands_days": [1.0, float("inf")]}, {"permutations": 0}, {"permutations": 9.0},
    {"metric": "chebyshev"}, {"seed": "x"}, {"x_m": [0.0, 1.0]},
])
def test_bad_parameters_are_refused(change: dict[str, object]) -> None:
    arguments: dict[str, object] = {
        "x_m": [0.0, 1.0, 2.0], "y_m": [0.0, 0.0, 0.0], "t_days": [0.0, 1.0, 2.0],
        "distance_bands_m": [10.0], "time_bands_days": [1.0], "permutations": 9}
    with pytest.raises(NearRepeatParameterError):
        knox_test(**(arguments | change))  # type: ignore[arg-type]


def test_bad_events_are_refused() -> None:
    bands = {"distance_bands_m": [10.0], "time_bands_days": [1.0]}
    with pytest.raises(EmptyInputError):
        knox_test([0.0], [0.0], [0.0], **bands)
    with pytest.raises(InvalidGeometryError):
        knox_test([0.0, np.nan], [0.0, 0.0], [0.0, 1.0], **bands)
    with pytest.raises(InvalidValuesError):
        knox_test([0.0, 1.0], [0.0, 0.0], [0.0, np.inf], **bands)


# -- GeoDataFrame adapter ------------------------------------------------------------------

def incidents(**columns: object) -> gpd.GeoDataFrame:
    lon = -122.42 + np.arange(6) * 0.001
    frame = {"when": pd.to_datetime(["2018-12-01 00:25", "2018-12-01 23:59", "2018-12-03 00:00",
                                     "2018-12-01 00:00", "2018-12-02 12:00", "2018-12-31 10:00"]),
             "time_resolution": ["minute", "minute", "day", "month", "minute", "month"]}
    frame.update(columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, np.full(6, 37.77)),
                            crs=4326)


def test_adapter_projects_and_leaves_out_times_coarser_than_a_day() -> None:
    events = near_repeat_events(incidents(), time_column="when")
    assert (events.too_coarse, events.missing) == (2, 0)
    assert events.crs.to_epsg() == 32610
    np.testing.assert_array_equal(events.t_days, [0.0, 0.0, 2.0, 1.0])
    assert events.origin == pd.Timestamp("2018-12-01")
    assert np.diff(events.x_m) == pytest.approx([88.0, 88.0, 176.0], abs=1.0)  # 0.001 deg
    result = knox_test(events.x_m, events.y_m, events.t_days, distance_bands_m=[100.0],
                       time_bands_days=[1.0], permutations=9)
    assert result.events == 4


def test_adapter_fractional_days_and_time_zones() -> None:
    events = near_repeat_events(incidents(), time_column="when", whole_days=False,
                                resolution_column=None)
    assert (events.too_coarse, events.missing) == (0, 0)
    assert events.t_days[:4] == pytest.approx([25 / 1440, (23 * 60 + 59) / 1440, 2.0, 0.0])
    across_dst = pd.to_datetime(["2018-11-03 12:00", "2018-11-05 00:30"] * 3).tz_localize(
        "America/Los_Angeles")
    events = near_repeat_events(incidents(when=across_dst), time_column="when",
                                resolution_column=None)
    np.testing.assert_array_equal(events.t_days, [0.0, 2.0] * 3)


def test_adapter_counts_rows_without_a_time() -> None:
    when = pd.to_datetime(["2018-12-01 10:00", None] * 3)
    events = near_repeat_events(incidents(when=when, time_resolution=["day", None] * 3),
                                time_column="when")
    assert (events.too_coarse, events.missing, len(events.t_days)) == (0, 3, 3)


def test_adapter_refuses_unusable_input() -> None:
    with pytest.raises(MissingCrsError):
        near_repeat_events(incidents().set_crs(None, allow_override=True), time_column="when")
    with pytest.raises(MissingColumnError):
        near_repeat_events(incidents(), time_column="occurred")
    with pytest.raises(MissingColumnError):
        near_repeat_events(incidents(), time_column="when", resolution_column="precision")
    with pytest.raises(InvalidTimeResolutionError, match="fortnight"):
        near_repeat_events(incidents(time_resolution=["fortnight"] * 6), time_column="when")
    with pytest.raises(InvalidTimeResolutionError):  # the vocabulary of gis.incidents only
        near_repeat_events(incidents(time_resolution=["Day"] * 6), time_column="when")
    with pytest.raises(InvalidValuesError):
        near_repeat_events(incidents(when=["2018-12-01"] * 6), time_column="when")
    with pytest.raises(EmptyInputError):
        near_repeat_events(incidents(time_resolution=["month"] * 6), time_column="when")
    lines = incidents().set_geometry([shapely.LineString([(0, 0), (1, 1)])] * 6, crs=4326)
    with pytest.raises(GeometryTypeError):
        near_repeat_events(lines, time_column="when")


# -- real data -----------------------------------------------------------------------------

def test_san_francisco_december_2018_gives_a_ten_by_ten_table() -> None:
    assert SF_CSV.exists(), f"{SF_CSV} is missing (the shared data folder sits beside the repo)"
    frame = pd.read_csv(SF_CSV, usecols=["Incident Datetime", "Latitude", "Longitude"])
    frame = frame.dropna(subset=["Latitude", "Longitude"])
    frame["when"] = pd.to_datetime(frame["Incident Datetime"], format="%Y/%m/%d %I:%M:%S %p")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["Longitude"],
                                                              frame["Latitude"]), crs=4326)
    events = near_repeat_events(gdf, time_column="when", resolution_column=None)
    assert 11_000 < len(events.x_m) < 11_884
    assert events.t_days.min() == 0 and events.t_days.max() == 30  # December, whole days
    result = knox_test(events.x_m, events.y_m, events.t_days,
                       distance_bands_m=equal_bands(n=10, width=100.0),
                       time_bands_days=equal_bands(n=10, width=1.0), permutations=19)
    assert result.observed.shape == result.ratio.shape == (11, 11)
    assert result.total_pairs == len(events.x_m) * (len(events.x_m) - 1) // 2
    assert len(result.band_table()) == 121
    assert result.ratio[0, 0] > 1.5  # same block, same day: repeat calls and multi-row reports
