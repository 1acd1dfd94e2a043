"""gis.hotspots.gi_star: z-scores against esda to 1e-9, p_sim against esda statistically
and against exact enumeration, Gi_Bin on hand-made lattices."""

from __future__ import annotations

import itertools
import warnings
from typing import Literal

import numpy as np
import pytest
import scipy.sparse as sp
from esda.getisord import G_Local

from gis.errors import InvalidTestSettingError, InvalidValuesError, InvalidWeightsError
from gis.hotspots.gi_star import GiStarResult, gi_star
from gis.hotspots.weights import distance_band_weights_xy, to_libpysal
from tests.gis.hotspots.lattice import block_counts, lattice_queen

# esda's conditional randomisation announces a future change of its default alternative
# hypothesis on every call with permutations; nothing to act on in a cross-check.
ESDA_ALTERNATIVE_NOTICE = ("ignore:The alternative hypothesis for conditional randomization"
                           ":DeprecationWarning")


def esda_gi_star(values: np.ndarray, weights: sp.csr_array, *, permutations: int = 0,
                 seed: int = 0) -> G_Local:
    return G_Local(values, to_libpysal(weights), transform="B", star=True,
                   permutations=permutations, seed=seed, n_jobs=1)


# -- analytical z against esda ------------------------------------------------------------

def test_z_scores_equal_esda_on_a_lattice_with_a_hot_block() -> None:
    values = block_counts()
    weights = lattice_queen(10, 10)
    ours = gi_star(values, weights, permutations=0)
    theirs = esda_gi_star(values, weights)
    np.testing.assert_allclose(ours.z, theirs.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.p_norm, theirs.p_norm, rtol=0, atol=1e-12)
    # the p-value decided on is two-sided (Esri's GiPValue): twice esda's folded p_norm
    np.testing.assert_allclose(ours.p, 2 * theirs.p_norm, rtol=0, atol=1e-12)
    assert ours.p_method == "analytical" and ours.permutations == 0
    assert np.isnan(ours.p_sim).all()


# esda's Gi* adds the diagonal through libpysal's fill_diagonal, which rebuilds the W
# without silence_warnings and warns about the islands this test includes on purpose.
@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected:UserWarning")
def test_z_scores_equal_esda_on_random_counts_with_a_distance_band() -> None:
    rng = np.random.default_rng(42)
    xy = rng.uniform(0, 5000, size=(800, 2))
    weights = distance_band_weights_xy(xy, threshold_m=260.0)
    assert (np.diff(weights.indptr) == 0).any()  # islands included
    values = rng.negative_binomial(2, 0.4, size=800).astype(float)
    ours = gi_star(values, weights, permutations=0)
    theirs = esda_gi_star(values, weights)
    np.testing.assert_allclose(ours.z, theirs.Zs, rtol=0, atol=1e-9)


# -- Gi_Bin on hand-made lattices ----------------------------------------------------------

# With FDR over 100 cells and the 9 block cells at the smallest two-sided pseudo p-value
# 2/(P+1), 99 % needs 2 * 100/(9 (P+1)) <= 0.01: 999 permutations cannot get there,
# 9999 can; the analytical p-value has no such floor.
@pytest.mark.parametrize(("p_method", "permutations", "fdr"),
                         [("analytical", 0, False), ("analytical", 999, True),
                          ("permutation", 999, False), ("permutation", 9999, True)])
def test_a_block_of_high_counts_is_a_99_percent_hot_spot_at_its_centre(
        p_method: Literal["analytical", "permutation"], permutations: int, fdr: bool) -> None:
    values = block_counts(block=(4, 4, 3), high=20.0)
    result = gi_star(values, lattice_queen(10, 10), p_method=p_method,
                     permutations=permutations, seed=1, fdr=fdr)
    centre = 5 * 10 + 5
    assert result.bin[centre] == 3
    assert result.z[centre] > 5
    far_corner = 0
    assert result.bin[far_corner] <= 0


@pytest.mark.parametrize("p_method", ["analytical", "permutation"])
def test_a_block_of_zeros_in_busy_streets_is_a_99_percent_cold_spot(
        p_method: Literal["analytical", "permutation"]) -> None:
    values = block_counts(block=(2, 3, 3), high=0.0) + 10.0
    values[(4 * 10 + 3)] = 10.0  # the block's centre row/col: keep the block at 10
    block = [r * 10 + c for r in range(3, 6) for c in range(2, 5)]
    values[block] = 0.0
    result = gi_star(values, lattice_queen(10, 10), p_method=p_method, seed=2)
    assert result.bin[4 * 10 + 3] == -3


def test_bins_follow_the_two_sided_confidence_of_the_z_score_without_permutations() -> None:
    values = np.random.default_rng(3).lognormal(size=400)
    values[:30] *= 6
    result = gi_star(values, lattice_queen(20, 20), permutations=0)
    expected = np.sign(result.z) * np.select(
        [np.abs(result.z) >= 2.5758293035489, np.abs(result.z) >= 1.959963984540,
         np.abs(result.z) >= 1.6448536269514], [3, 2, 1], 0)
    np.testing.assert_array_equal(result.bin, expected)
    assert (result.bin != 0).any()


# -- permutation p-values --------------------------------------------------------------------

@pytest.mark.filterwarnings(ESDA_ALTERNATIVE_NOTICE)
def test_p_sim_agrees_with_esda_on_continuous_values() -> None:
    rng = np.random.default_rng(4)
    values = rng.lognormal(size=400)
    values[[42, 43, 62, 63]] += 4.0
    weights = lattice_queen(20, 20)
    ours = gi_star(values, weights, p_method="permutation", permutations=999, seed=5)
    theirs = esda_gi_star(values, weights, permutations=999, seed=6)
    assert np.corrcoef(ours.p_sim, theirs.p_sim)[0, 1] > 0.95
    assert np.abs(ours.p_sim - theirs.p_sim).mean() < 0.02


@pytest.mark.filterwarnings(ESDA_ALTERNATIVE_NOTICE)
def test_p_sim_finds_the_same_significant_cells_as_esda_on_a_strong_hot_spot() -> None:
    # A 4 x 4 block of 50 in a field of 10: a cell with k block neighbours has
    # p = P(X >= k), X hypergeometric (8 draws, 16 high cells of 399), about 0.0033 for
    # k = 3 and 0.037 for k = 2, far from the 0.01 cut for either estimate.
    grid = np.full((20, 20), 10.0)
    grid[6:10, 6:10] = 50.0
    values = grid.ravel()
    weights = lattice_queen(20, 20)
    ours = gi_star(values, weights, p_method="permutation", permutations=9999, seed=9)
    theirs = esda_gi_star(values, weights, permutations=9999, seed=10)
    ours_hot = set(np.flatnonzero((ours.p_sim <= 0.01) & (ours.z > 0)).tolist())
    esda_hot = set(np.flatnonzero((theirs.p_sim <= 0.01) & (theirs.Zs > 0)).tolist())
    assert ours_hot == esda_hot
    block = {r * 20 + c for r in range(6, 10) for c in range(6, 10)}
    assert block < ours_hot  # the block and the cells along its sides (k = 3)
    assert len(ours_hot) == 16 + 4 * 2


def exact_folded_p(values: np.ndarray, weights: sp.csr_array) -> np.ndarray:
    """min(P(R >= L), P(R <= L)) over every subset of the other cells (exact null)."""
    n = len(values)
    out = np.empty(n)
    for i in range(n):
        neighbours = weights.indices[weights.indptr[i]:weights.indptr[i + 1]]
        observed = values[neighbours].sum()
        others = np.delete(values, i)
        sums = np.array([others[list(c)].sum()
                         for c in itertools.combinations(range(n - 1), len(neighbours))])
        out[i] = min((sums >= observed).mean(), (sums <= observed).mean())
    return out


def test_p_sim_converges_to_the_exact_conditional_permutation_p_value() -> None:
    values = np.array([0, 3, 1, 0, 2, 7, 5, 0, 1, 6, 4, 0, 0, 2, 1, 0], dtype=float)  # ties
    weights = lattice_queen(4, 4)
    permutations = 20_000
    result = gi_star(values, weights, p_method="permutation", permutations=permutations,
                     seed=11)
    exact = exact_folded_p(values, weights)
    standard_error = np.sqrt(exact * (1 - exact) / permutations) + 1 / permutations
    assert (np.abs(result.p_sim - exact) <= 5 * standard_error).all()


def test_cells_with_all_zero_neighbourhoods_are_not_significant_cold_spots() -> None:
    # Crime counts are mostly zeros. esda counts a tie as "larger" only and reports every
    # all-zero neighbourhood as p_sim = 0.001; with ties on both sides they are not
    # significant (an all-zero random neighbourhood is common).
    rng = np.random.default_rng(12)
    values = (rng.random(900) < 0.1).astype(float)
    weights = lattice_queen(30, 30)
    local = weights @ values + values
    result = gi_star(values, weights, p_method="permutation", permutations=999, seed=13)
    empty = local == 0
    assert empty.sum() > 50
    assert (result.p_sim[empty] > 0.1).all()
    assert (result.bin[empty] == 0).all()


def test_p_sim_is_reproducible_with_a_seed() -> None:
    values = block_counts()
    weights = lattice_queen(10, 10)
    def run(seed: int) -> GiStarResult:
        return gi_star(values, weights, p_method="permutation", seed=seed)

    first = run(21)
    np.testing.assert_array_equal(first.p_sim, run(21).p_sim)
    assert not np.array_equal(first.p_sim, run(22).p_sim)
    assert first.p_sim.min() >= 1 / 1000 and first.p_sim.max() <= 1.0
    # two-sided: twice the folded pseudo p-value, at most 1 (Esri's twoSidedPermPV)
    np.testing.assert_array_equal(first.p, np.minimum(1.0, 2 * first.p_sim))
    assert first.permutations == 999 and first.p_method == "permutation"


def test_permutations_are_drawn_only_when_asked_for() -> None:
    values = block_counts()
    weights = lattice_queen(10, 10)
    analytical = gi_star(values, weights, permutations=999, seed=21)
    assert analytical.permutations == 0 and np.isnan(analytical.p_sim).all()
    # the same answer whatever the seed: nothing random happened
    again = gi_star(values, weights, permutations=999, seed=22)
    np.testing.assert_array_equal(analytical.p, again.p)
    np.testing.assert_array_equal(analytical.bin, again.bin)


def test_a_cell_without_neighbours_or_neighbouring_all_is_not_significant() -> None:
    values = np.array([5.0, 1.0, 0.0, 9.0, 2.0])
    dense = np.zeros((5, 5))
    dense[0, 1:] = dense[1:, 0] = 1.0  # cell 0 neighbours everyone; nobody else connects
    dense[1, 2] = dense[2, 1] = 1.0
    # cell 3 and 4 only touch cell 0
    result = gi_star(values, sp.csr_array(dense), p_method="permutation", permutations=199,
                     seed=3)
    assert result.p_sim[0] == 1.0
    assert result.z[0] == 0.0


def test_constant_values_give_zero_z_and_no_hot_spots() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analytical = gi_star(np.full(25, 3.0), lattice_queen(5, 5), fdr=True)
        permuted = gi_star(np.full(25, 3.0), lattice_queen(5, 5), p_method="permutation",
                           seed=1)
    for result in (analytical, permuted):
        np.testing.assert_array_equal(result.z, 0.0)
        np.testing.assert_array_equal(result.p, 1.0)
        np.testing.assert_array_equal(result.bin, 0)
    np.testing.assert_array_equal(permuted.p_sim, 1.0)
    assert analytical.critical_p == {90: None, 95: None, 99: None}


def test_results_come_as_a_frame_aligned_with_the_cells() -> None:
    result = gi_star(block_counts(), lattice_queen(10, 10), p_method="permutation",
                     permutations=99, seed=1)
    assert isinstance(result, GiStarResult)
    frame = result.as_frame(index=range(100, 200))
    assert list(frame.columns) == ["gi_z", "gi_p", "gi_p_fdr", "gi_bin", "gi_p_norm",
                                   "gi_p_sim"]
    assert frame.index[0] == 100 and frame["gi_bin"].dtype == np.int8


# -- input checks ----------------------------------------------------------------------------

def test_weights_must_be_binary_square_sparse_and_without_diagonal() -> None:
    values = np.arange(9.0)
    queen = lattice_queen(3, 3)
    with pytest.raises(InvalidWeightsError, match="sparse"):
        gi_star(values, queen.toarray())
    with pytest.raises(InvalidWeightsError, match="shape"):
        gi_star(values[:8], queen)
    with pytest.raises(InvalidWeightsError, match="binary"):
        gi_star(values, queen * 0.5)
    with pytest.raises(InvalidWeightsError, match="diagonal"):
        gi_star(values, queen + sp.eye_array(9))


def test_values_and_settings_are_checked() -> None:
    queen = lattice_queen(3, 3)
    with pytest.raises(InvalidValuesError):
        gi_star(np.r_[np.nan, np.ones(8)], queen)
    with pytest.raises(InvalidValuesError):
        gi_star(np.ones((3, 3)), queen)
    with pytest.raises(InvalidValuesError):
        gi_star([1.0, 2.0], sp.csr_array((2, 2)))
    with pytest.raises(InvalidTestSettingError):
        gi_star(np.arange(9.0), queen, permutations=-1)
    with pytest.raises(InvalidTestSettingError):
        gi_star(np.arange(9.0), queen, permutations=9.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidTestSettingError, match="p_method"):
        gi_star(np.arange(9.0), queen, p_method="bootstrap")  # type: ignore[arg-type]
    with pytest.raises(InvalidTestSettingError, match="permutations >= 1"):
        gi_star(np.arange(9.0), queen, p_method="permutation", permutations=0)
