"""gis.hotspots.emerging and mann_kendall: hand-made series for every pattern, the trend
test against scipy's Kendall tau, and a synthetic space-time cube end to end."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import ndtr
from scipy.stats import kendalltau, norm

from gis.errors import InvalidTestSettingError, InvalidValuesError
from gis.hotspots.emerging import EmergingPattern as P
from gis.hotspots.emerging import classify_emerging, emerging_hot_spots, space_time_weights
from gis.hotspots.mann_kendall import mann_kendall
from tests.gis.hotspots.lattice import lattice_queen

# -- Mann-Kendall ----------------------------------------------------------------------------


def test_mann_kendall_by_hand_on_a_strictly_increasing_series() -> None:
    result = mann_kendall([1.0, 2.0, 3.0, 4.0, 5.0])
    assert result.s == 10
    assert result.var_s == pytest.approx(5 * 4 * 15 / 18)
    assert result.z == pytest.approx(9 / np.sqrt(5 * 4 * 15 / 18))
    assert result.p == pytest.approx(0.027486, abs=1e-6)


def test_mann_kendall_agrees_with_scipy_kendall_tau_against_time_with_ties() -> None:
    rng = np.random.default_rng(0)
    series = rng.integers(0, 5, size=(50, 14)).astype(float)  # plenty of ties
    series[:10] += np.arange(14) * 0.5                       # some trends
    result = mann_kendall(series)
    time = np.arange(14)
    pairs = 14 * 13 / 2
    for k, row in enumerate(series):
        tau = kendalltau(time, row, method="asymptotic")
        _, tie_sizes = np.unique(row, return_counts=True)
        tied_pairs = (tie_sizes * (tie_sizes - 1) / 2).sum()
        # tau-b = S / sqrt(pairs * (pairs - tied pairs in the series)); time has no ties
        assert result.s[k] == pytest.approx(tau.statistic * np.sqrt(pairs * (pairs - tied_pairs)))
        # scipy's asymptotic p-value is ours without the continuity correction
        uncorrected = 2 * ndtr(-abs(result.s[k]) / np.sqrt(result.var_s[k]))
        assert uncorrected == pytest.approx(tau.pvalue, rel=1e-9)
    assert (result.p[:10] < 0.05).sum() >= 8


def test_mann_kendall_of_a_flat_series_is_no_trend() -> None:
    result = mann_kendall(np.ones((3, 6)))
    np.testing.assert_array_equal(result.s, 0)
    np.testing.assert_array_equal(result.var_s, 0)
    np.testing.assert_array_equal(result.z, 0)
    np.testing.assert_array_equal(result.p, 1)


def test_mann_kendall_checks_its_input() -> None:
    with pytest.raises(InvalidValuesError):
        mann_kendall([1.0])
    with pytest.raises(InvalidValuesError):
        mann_kendall([1.0, np.nan, 2.0])


# -- patterns from hand-made series ----------------------------------------------------------

# H hot, C cold, . neither; ten bins, oldest first; trend +1 up, -1 down, 0 none.
SERIES = [
    (".........H", 0, P.NEW_HOT),
    ("......HHHH", 0, P.CONSECUTIVE_HOT),
    ("..HHHHHHHH", 0, P.CONSECUTIVE_HOT),      # 80 %: still under 90 %
    ("HHHHHHHHHH", 1, P.INTENSIFYING_HOT),
    (".HHHHHHHHH", 1, P.INTENSIFYING_HOT),     # exactly 90 %, final included
    ("HHHHHHHHHH", 0, P.PERSISTENT_HOT),
    ("HHHH.HHHHH", 0, P.PERSISTENT_HOT),
    ("HHHHHHHHHH", -1, P.DIMINISHING_HOT),
    ("H..H...H.H", 0, P.SPORADIC_HOT),
    (".HH....HHH", 1, P.SPORADIC_HOT),         # hot before the final run, never cold
    ("C..H...H.H", 0, P.OSCILLATING_HOT),
    ("C........H", 0, P.OSCILLATING_HOT),      # cold before: oscillating wins over new
    ("HHHHHHHHH.", 0, P.HISTORICAL_HOT),
    ("HHHHHHHHHC", 0, P.OSCILLATING_COLD),     # the final bin decides hot vs cold
    (".........C", 0, P.NEW_COLD),
    (".....CCCCC", 0, P.CONSECUTIVE_COLD),
    ("CCCCCCCCCC", -1, P.INTENSIFYING_COLD),   # z-scores falling: colder
    ("CCCCCCCCCC", 0, P.PERSISTENT_COLD),
    ("CCCCCCCCCC", 1, P.DIMINISHING_COLD),
    ("C.C..C...C", 0, P.SPORADIC_COLD),
    ("H.C..C...C", 0, P.OSCILLATING_COLD),
    ("CCCCCCCCC.", 0, P.HISTORICAL_COLD),
    ("..........", 0, P.NONE),
    ("HHHHHHHH..", 0, P.NONE),                 # 80 % hot, not hot now: not historical
    ("...H......", 1, P.NONE),
    ("CCCCCCCCCH", 0, P.OSCILLATING_HOT),
]


def as_bins(series: list[str]) -> tuple[np.ndarray, np.ndarray]:
    chars = np.array([list(s) for s in series]).T  # (T, n)
    return chars == "H", chars == "C"


def test_every_pattern_from_hand_made_series() -> None:
    hot, cold = as_bins([s for s, _, _ in SERIES])
    trend = np.array([t for _, t, _ in SERIES])
    got = classify_emerging(hot, cold, trend)
    expected = [p for _, _, p in SERIES]
    assert [str(g) for g in got] == [str(e) for e in expected]
    assert set(P) <= set(expected)  # every one of the 17 categories is exercised


def test_ninety_percent_means_at_least_ninety_percent_of_bins() -> None:
    # 20 bins: 18 hot including the last -> persistent; 17 -> sporadic
    hot18 = np.array([[False] * 2 + [True] * 18]).T
    hot17 = np.array([[True, False, False, False] + [True] * 16]).T
    no_cold = np.zeros((20, 1), dtype=bool)
    assert classify_emerging(hot18, no_cold, [0])[0] == P.PERSISTENT_HOT
    assert classify_emerging(hot17, no_cold, [0])[0] == P.SPORADIC_HOT


def test_classify_rejects_inconsistent_bins() -> None:
    hot, cold = as_bins(["..H", "..."])
    with pytest.raises(InvalidValuesError):
        classify_emerging(hot, hot, [0, 0])
    with pytest.raises(InvalidValuesError):
        classify_emerging(hot, cold, [0, 0, 0])


# -- end to end on a synthetic space-time cube -------------------------------------------------

def block(side: int, c0: int, r0: int, size: int = 3) -> list[int]:
    return [r * side + c for r in range(r0, r0 + size) for c in range(c0, c0 + size)]


def synthetic_cube(steps: int = 12, side: int = 15) -> tuple[np.ndarray, dict[str, int]]:
    rng = np.random.default_rng(0)
    background = rng.poisson(2.0, size=side * side).astype(float)
    counts = np.tile(background, (steps, 1)) + rng.poisson(0.3, size=(steps, side * side))
    new, rising, steady, falling = block(side, 1, 1), block(side, 11, 1), block(side, 1, 11), \
        block(side, 11, 11)
    counts[-1, new] = 15.0                                   # hot only in the last month
    counts[:, rising] = np.linspace(12.0, 24.0, steps)[:, None]
    counts[:, steady] = 16.0 + rng.integers(0, 2, size=(steps, 1))
    counts[:, falling] = np.linspace(24.0, 12.0, steps)[:, None]
    centres = {"new": new[4], "rising": rising[4], "steady": steady[4], "falling": falling[4]}
    return counts, centres


@pytest.mark.parametrize("p_method", ["analytical", "permutation"])
def test_emerging_hot_spots_on_a_synthetic_cube(
        p_method: Literal["analytical", "permutation"]) -> None:
    counts, centre = synthetic_cube()
    result = emerging_hot_spots(counts, lattice_queen(15, 15), p_method=p_method,
                                permutations=999, seed=1)
    assert result.pattern[centre["new"]] == P.NEW_HOT
    assert result.pattern[centre["rising"]] == P.INTENSIFYING_HOT
    assert result.pattern[centre["falling"]] == P.DIMINISHING_HOT
    assert result.trend_p[centre["steady"]] > 0.05
    assert result.pattern[centre["steady"]] == P.PERSISTENT_HOT
    assert result.z.shape == counts.shape and result.hot.shape == counts.shape
    assert result.trend_z[centre["rising"]] > 0 > result.trend_z[centre["falling"]]
    frame = result.as_frame()
    assert frame.loc[centre["new"], "pattern"] == "New Hot Spot"
    assert frame.loc[centre["new"], "hot_bins"] == 1


def hand_space_time_z(counts: np.ndarray, weights: sp.csr_array, lag: int) -> np.ndarray:
    """Gi* z of every bin, written out from Esri's space-time definition with loops: the
    neighbourhood of (t, i) is i and its neighbours in steps t - lag .. t, and every bin
    of the cube gives the mean and the variance."""
    steps, n = counts.shape
    dense = weights.toarray() + np.eye(n)
    flat = counts.ravel()
    mean, spread, total = flat.mean(), flat.std(), flat.size
    z = np.empty_like(counts)
    for t in range(steps):
        for i in range(n):
            around = [(u, j) for u in range(max(0, t - lag), t + 1)
                      for j in np.flatnonzero(dense[i])]
            local = sum(counts[u, j] for u, j in around)
            c = len(around)
            z[t, i] = (local - c * mean) / (spread * np.sqrt(c * (total - c) / (total - 1)))
    return z


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_a_bin_is_judged_in_its_space_time_neighbourhood_against_the_whole_cube(
        lag: int) -> None:
    counts, _ = synthetic_cube(steps=5)
    weights = lattice_queen(15, 15)
    result = emerging_hot_spots(counts, weights, time_steps=lag)
    z = hand_space_time_z(counts, weights, lag)
    np.testing.assert_allclose(result.z, z, rtol=0, atol=1e-9)
    p = 2 * norm.sf(np.abs(z)).ravel()
    ordered = np.sort(p)  # Benjamini-Hochberg at 0.10 over every bin of the cube
    passing = np.flatnonzero(ordered <= np.arange(1, p.size + 1) * 0.10 / p.size)
    cut = ordered[passing[-1]] if passing.size else -1.0
    hot = (p <= cut).reshape(z.shape)
    np.testing.assert_array_equal(result.hot, hot & (z > 0))
    np.testing.assert_array_equal(result.cold, hot & (z < 0))
    assert result.hot.any()


def test_the_default_neighbourhood_takes_one_earlier_time_step() -> None:
    counts, _ = synthetic_cube(steps=5)
    weights = lattice_queen(15, 15)
    default = emerging_hot_spots(counts, weights)
    np.testing.assert_allclose(default.z, hand_space_time_z(counts, weights, 1), atol=1e-9)
    assert not np.allclose(default.z, hand_space_time_z(counts, weights, 0))


def test_space_time_weights_look_back_only() -> None:
    spatial = lattice_queen(3, 3)
    cube = space_time_weights(spatial, steps=3, time_steps=1).toarray()
    assert cube.shape == (27, 27) and not cube.diagonal().any()
    centre = 4
    assert cube[9 + centre, centre] == 1          # itself a step earlier
    assert cube[9 + centre, 9 + 1] == 1           # a neighbour now
    assert cube[9 + centre, 1] == 1               # a neighbour a step earlier
    assert not cube[centre, 9 + centre]           # never a later step
    assert not cube[18 + centre, centre]          # two steps back is outside lag 1
    assert cube[centre].sum() == 8 and cube[9 + centre].sum() == 8 + 9
    with pytest.raises(InvalidTestSettingError):
        space_time_weights(spatial, steps=3, time_steps=3)
    with pytest.raises(InvalidTestSettingError):
        space_time_weights(spatial, steps=3, time_steps=-1)


def test_emerging_hot_spots_checks_its_input() -> None:
    weights = lattice_queen(3, 3)
    with pytest.raises(InvalidValuesError):
        emerging_hot_spots(np.ones(9), weights)
    with pytest.raises(InvalidValuesError):
        emerging_hot_spots(np.ones((1, 9)), weights)
