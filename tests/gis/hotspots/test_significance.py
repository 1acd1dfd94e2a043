"""gis.hotspots.significance: two-sided p-values, Esri's FDR rule and Gi_Bin against hand
computation."""

from __future__ import annotations

import numpy as np
import pytest

from gis.errors import InvalidTestSettingError
from gis.hotspots.significance import (
    benjamini_hochberg,
    check_alpha,
    check_p_method,
    confidence_bins,
    critical_p_values,
    fdr_critical_p,
    significant,
    two_sided_from_folded,
    two_sided_from_z,
)


def step_up_rejections(p: np.ndarray, q: float) -> np.ndarray:
    """The Benjamini-Hochberg step-up procedure, written out: reject p_(1..k) for the
    largest k with p_(k) <= k q / m."""
    m = len(p)
    order = np.argsort(p)
    passing = [k for k in range(1, m + 1) if p[order[k - 1]] <= k * q / m]
    rejected = np.zeros(m, dtype=bool)
    if passing:
        rejected[order[:max(passing)]] = True
    return rejected


def test_adjusted_p_values_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.20])
    # sorted 0.005, 0.01, 0.03, 0.04, 0.20 -> x m/k: 0.025, 0.025, 0.05, 0.05, 0.20
    np.testing.assert_allclose(benjamini_hochberg(p), [0.025, 0.05, 0.05, 0.025, 0.20])


def test_adjusted_p_values_take_the_running_minimum_from_the_top_and_cap_at_one() -> None:
    p = np.array([0.9, 0.02, 0.021, 0.99])
    # x m/k: 0.08, 0.042, 1.2, 0.99 -> running min from the top: 0.042, 0.042, 0.99, 0.99
    np.testing.assert_allclose(benjamini_hochberg(p), [0.99, 0.042, 0.042, 0.99])
    assert benjamini_hochberg(np.array([])).size == 0


@pytest.mark.parametrize("q", [0.01, 0.05, 0.10])
def test_adjusted_values_reject_exactly_what_the_step_up_procedure_rejects(q: float) -> None:
    p = np.random.default_rng(1).beta(0.3, 2.0, size=300)
    np.testing.assert_array_equal(benjamini_hochberg(p) <= q, step_up_rejections(p, q))


def test_bins_are_confidence_levels_of_two_sided_p_values() -> None:
    direction = np.array([1, -1, 1, -1, 1, 1, -1])
    p = np.array([0.008, 0.01, 0.04, 0.05, 0.098, 0.102, 0.6])
    np.testing.assert_array_equal(confidence_bins(direction, p, fdr=False),
                                  [3, -3, 2, -2, 1, 0, 0])


def test_bins_are_esri_z_thresholds_for_analytical_p_values() -> None:
    z = np.array([2.58, -2.57, 1.97, -1.95, 1.65, 1.64, 0.0])
    np.testing.assert_array_equal(confidence_bins(z, two_sided_from_z(z), fdr=False),
                                  [3, -2, 2, -1, 1, 0, 0])


def test_fdr_bins_pass_each_level_by_the_step_up_procedure() -> None:
    rng = np.random.default_rng(2)
    p = np.concatenate([rng.uniform(0, 0.0004, 15), rng.uniform(0, 1.0, 185)])
    direction = rng.choice([-1, 1], size=p.size)
    bins = confidence_bins(direction, p, fdr=True)
    for magnitude, level in ((3, 0.01), (2, 0.05), (1, 0.10)):
        assert ((np.abs(bins) >= magnitude) == step_up_rejections(p, level)).all()
        critical = fdr_critical_p(p, alpha=level)
        assert critical is not None
        np.testing.assert_array_equal(np.abs(bins) >= magnitude, p <= critical)
    assert (np.sign(bins[bins != 0]) == direction[bins != 0]).all()
    # FDR is stricter than the plain test
    assert (np.abs(bins) <= np.abs(confidence_bins(direction, p, fdr=False))).all()


def test_fdr_critical_p_is_the_largest_passing_cutoff_and_none_when_nothing_passes() -> None:
    # m = 4, a = 0.05: cut-offs 0.0125, 0.025, 0.0375, 0.05
    p = np.array([0.03, 0.001, 0.2, 0.02])
    assert fdr_critical_p(p, alpha=0.05) == pytest.approx(0.0375)  # p_(3) = 0.03 passes
    assert fdr_critical_p(np.array([0.3, 0.9]), alpha=0.05) is None
    assert critical_p_values(p, fdr=False) == {90: 0.10, 95: 0.05, 99: 0.01}
    with_fdr = critical_p_values(p, fdr=True)
    assert with_fdr[95] == pytest.approx(0.0375) and with_fdr[99] == pytest.approx(0.0025)


def test_the_smallest_pseudo_p_value_cannot_pass_fdr_over_many_cells() -> None:
    # The Los Angeles report: 16,240 cells, 999 permutations. Even if 50 cells share the
    # smallest two-sided pseudo p-value 2/1000, 50 * 0.05 / 16240 is far below it.
    p = np.ones(16_240)
    p[:50] = two_sided_from_folded(np.full(50, 1 / 1000))
    assert fdr_critical_p(p, alpha=0.05) is None
    assert not significant(p, alpha=0.05, fdr=True).any()
    z = np.zeros(16_240)
    z[:50] = 54.7
    assert significant(two_sided_from_z(z), alpha=0.01, fdr=True)[:50].all()


def test_significant_uses_the_level_on_two_sided_p_values() -> None:
    p = np.array([0.049, 0.051])
    np.testing.assert_array_equal(significant(p, alpha=0.05, fdr=False), [True, False])


def test_two_sided_p_values() -> None:
    np.testing.assert_allclose(two_sided_from_z([0.0, 1.959963984540054, -2.5758293035489]),
                               [1.0, 0.05, 0.01], rtol=1e-9)
    assert two_sided_from_z([54.7])[0] == 0.0  # beyond double precision: exactly 0
    np.testing.assert_array_equal(two_sided_from_folded([0.001, 0.4, 0.5, 0.7]),
                                  [0.002, 0.8, 1.0, 1.0])


def test_p_method_needs_permutations_only_for_permutation_p_values() -> None:
    assert check_p_method("analytical", 999) == ("analytical", 0)
    assert check_p_method("permutation", 499) == ("permutation", 499)
    for bad in (("permutation", 0), ("normal", 99), ("analytical", -1)):
        with pytest.raises(InvalidTestSettingError):
            check_p_method(*bad)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, float("nan"), True, "0.05"])
def test_levels_must_lie_between_zero_and_one(alpha: object) -> None:
    with pytest.raises(InvalidTestSettingError):
        check_alpha(alpha)
