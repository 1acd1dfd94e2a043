"""gis.hotspots.lisa: local Moran's I against esda, and quadrants on hand-made lattices."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from esda.moran import Moran_Local

from gis.errors import InvalidTestSettingError, InvalidValuesError
from gis.hotspots.lisa import NOT_SIGNIFICANT, local_moran
from gis.hotspots.weights import to_libpysal
from tests.gis.hotspots.lattice import lattice_queen


@pytest.mark.filterwarnings(
    # esda's conditional randomisation announces a change of its default alternative.
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning")
def test_local_moran_equals_esda_on_continuous_values() -> None:
    values = np.random.default_rng(1).lognormal(size=400)
    values[:40] += 3.0
    weights = lattice_queen(20, 20)
    ours = local_moran(values, weights, permutations=999, seed=7)
    w = to_libpysal(weights)
    w.transform = "r"
    theirs = Moran_Local(values, w, permutations=999, seed=7, n_jobs=1)
    np.testing.assert_allclose(ours.i, theirs.Is, rtol=0, atol=1e-12)
    # Without ties the both-sides tie count changes nothing: the same draws, same p.
    np.testing.assert_array_equal(ours.p_sim, theirs.p_sim)
    np.testing.assert_allclose(ours.z, theirs.z_sim, rtol=0, atol=1e-9)
    quadrant = np.array(["", "HH", "LH", "LL", "HL"])[theirs.q]
    # decided on the two-sided pseudo p-value, twice esda's folded p_sim (Esri's rule)
    np.testing.assert_array_equal(ours.p, np.minimum(1.0, 2 * theirs.p_sim))
    significant = 2 * theirs.p_sim <= 0.05
    assert 0 < significant.sum() < (theirs.p_sim <= 0.05).sum()  # stricter than folded
    np.testing.assert_array_equal(ours.quadrant[significant], quadrant[significant])
    assert (ours.quadrant[~significant] == NOT_SIGNIFICANT).all()
    assert {"HH", "LL"} <= set(ours.quadrant.tolist())


def test_clusters_and_outliers_on_a_hand_made_lattice() -> None:
    grid = np.random.default_rng(2).uniform(0.0, 10.0, size=(12, 12))
    grid[1:4, 1:4] = 30.0                # high block: HH at its centre (2, 2)
    grid[1:4, 8:11] = 0.0                # low block: LL at its centre (2, 9)
    grid[7:10, 2:5] = 0.0
    grid[8, 3] = 30.0                    # a high cell ringed by zeros: HL
    grid[7:10, 8:11] = 30.0
    grid[8, 9] = 0.0                     # a zero ringed by high cells: LH
    result = local_moran(grid.ravel(), lattice_queen(12, 12), permutations=999, seed=3)
    label = result.quadrant.reshape(12, 12)
    assert (label[2, 2], label[2, 9], label[8, 3], label[8, 9]) == ("HH", "LL", "HL", "LH")
    local_i = result.i.reshape(12, 12)
    assert local_i[2, 2] > 0 and local_i[2, 9] > 0 and local_i[8, 3] < 0 and local_i[8, 9] < 0


def test_seed_makes_results_reproducible_and_alpha_sets_the_cut() -> None:
    values = np.random.default_rng(4).poisson(3, 100).astype(float)
    weights = lattice_queen(10, 10)
    first = local_moran(values, weights, seed=5)
    np.testing.assert_array_equal(first.p_sim, local_moran(values, weights, seed=5).p_sim)
    strict = local_moran(values, weights, seed=5, alpha=0.01)
    assert (strict.quadrant != NOT_SIGNIFICANT).sum() <= (first.quadrant != NOT_SIGNIFICANT).sum()
    assert ((strict.quadrant != NOT_SIGNIFICANT) == (2 * strict.p_sim <= 0.01)).all()


def test_fdr_labels_only_cells_passing_the_step_up_rule() -> None:
    grid = np.random.default_rng(8).poisson(2.0, size=(20, 20)).astype(float)
    grid[3:7, 3:7] = 12.0
    grid[12:16, 12:16] = 0.0
    weights = lattice_queen(20, 20)
    plain = local_moran(grid.ravel(), weights, seed=9)
    corrected = local_moran(grid.ravel(), weights, seed=9, fdr=True)
    np.testing.assert_array_equal(plain.p, corrected.p)  # same draws
    labelled = corrected.quadrant != NOT_SIGNIFICANT
    # Benjamini-Hochberg written out: largest k with p_(k) <= k 0.05 / m
    ordered = np.sort(corrected.p)
    ranks = np.flatnonzero(ordered <= np.arange(1, 401) * 0.05 / 400)
    assert ranks.size > 0
    np.testing.assert_array_equal(labelled, corrected.p <= ordered[ranks[-1]])
    assert labelled.sum() < (plain.quadrant != NOT_SIGNIFICANT).sum()
    assert corrected.quadrant.reshape(20, 20)[4, 4] == "HH" and corrected.fdr


def test_a_high_count_among_zeros_is_not_an_outlier_just_because_of_ties() -> None:
    # esda counts ties as "larger" only: every random all-zero neighbourhood ties with the
    # observed one, and esda reports p_sim = 1/(P+1) for the cell; counting ties on both
    # sides leaves it at the chance of an all-zero neighbourhood.
    values = np.zeros(100)
    values[[0, 9, 45, 90, 99, 23, 67, 38, 71, 52]] = [3, 1, 2, 1, 4, 1, 2, 1, 1, 2]
    result = local_moran(values, lattice_queen(10, 10), permutations=999, seed=6)
    alone = 45  # every neighbour of cell 45 is zero
    assert result.p_sim[alone] > 0.05
    assert result.quadrant[alone] == NOT_SIGNIFICANT


def test_constant_values_are_not_significant_and_warn_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = local_moran(np.full(16, 2.0), lattice_queen(4, 4))
    assert (result.quadrant == NOT_SIGNIFICANT).all()
    np.testing.assert_array_equal(result.p_sim, 1.0)


def test_esda_does_not_leave_its_warning_filters_behind() -> None:
    before = list(warnings.filters)
    local_moran(np.arange(25.0), lattice_queen(5, 5), permutations=99, seed=1)
    assert warnings.filters == before


def test_settings_are_checked() -> None:
    weights = lattice_queen(3, 3)
    with pytest.raises(InvalidTestSettingError):
        local_moran(np.arange(9.0), weights, alpha=1.5)
    with pytest.raises(InvalidValuesError):
        local_moran(np.arange(9.0), weights, permutations=0)
    frame = local_moran(np.arange(9.0), weights, permutations=9, seed=1).as_frame()
    assert list(frame.columns) == ["lisa_i", "lisa_z", "lisa_p", "lisa_p_fdr", "lisa_p_sim",
                                   "lisa_quadrant"]
