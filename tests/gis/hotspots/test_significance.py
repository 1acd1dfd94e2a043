"""gis.hotspots.significance: Benjamini-Hochberg and Gi_Bin against hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from gis.errors import InvalidTestSettingError
from gis.hotspots.significance import (
    benjamini_hochberg,
    check_alpha,
    confidence_bins,
    significant,
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


def test_bins_are_two_sided_confidence_levels_on_folded_p_values() -> None:
    direction = np.array([1, -1, 1, -1, 1, 1, -1])
    p = np.array([0.004, 0.005, 0.02, 0.025, 0.049, 0.051, 0.3])
    np.testing.assert_array_equal(confidence_bins(direction, p, fdr=False),
                                  [3, -3, 2, -2, 1, 0, 0])


def test_fdr_bins_pass_each_level_by_the_step_up_procedure_on_two_sided_p() -> None:
    rng = np.random.default_rng(2)
    p = np.concatenate([rng.uniform(0, 0.004, 15), rng.uniform(0, 0.5, 185)])
    direction = rng.choice([-1, 1], size=p.size)
    bins = confidence_bins(direction, p, fdr=True)
    two_sided = 2 * p
    for magnitude, level in ((3, 0.01), (2, 0.05), (1, 0.10)):
        assert ((np.abs(bins) >= magnitude) == step_up_rejections(two_sided, level)).all()
    assert (np.sign(bins[bins != 0]) == direction[bins != 0]).all()
    # FDR is stricter than the plain test
    assert (np.abs(bins) <= np.abs(confidence_bins(direction, p, fdr=False))).all()


def test_significant_uses_half_the_level_on_folded_p_values() -> None:
    p = np.array([0.024, 0.026])
    np.testing.assert_array_equal(significant(p, alpha=0.05, fdr=False), [True, False])


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, float("nan"), True, "0.05"])
def test_levels_must_lie_between_zero_and_one(alpha: object) -> None:
    with pytest.raises(InvalidTestSettingError):
        check_alpha(alpha)
