"""The MCLP core: a case greedy gets wrong, worked out by hand, and random small cases
against a brute force over every choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from gis.errors import PlacementError
from gis.placement import covered_weight, greedy_mclp, solve_mclp


def matrix(rows: list[list[int]], points: int) -> sp.csr_matrix:
    dense = np.zeros((len(rows), points), dtype=bool)
    for j, covered in enumerate(rows):
        dense[j, covered] = True
    return sp.csr_matrix(dense)


def brute_force(cover: sp.csr_matrix, weights: np.ndarray, k: int,
                sites: np.ndarray) -> float:
    best = 0.0
    for size in range(1, k + 1):
        for choice in itertools.combinations(range(cover.shape[0]), size):
            if len(set(sites[list(choice)])) < size:
                continue
            best = max(best, covered_weight(cover, weights, list(choice)))
    return best


def test_greedy_is_fooled_and_the_solver_is_not() -> None:
    # points a1 a2 a3 b1 b2 b3 (weight 1 each); C0 covers a1 a2 b1 b2, C1 the a's, C2 the b's.
    cover = matrix([[0, 1, 3, 4], [0, 1, 2], [3, 4, 5]], 6)
    weights = np.ones(6)
    greedy = greedy_mclp(cover, weights, k=2)
    assert greedy.chosen[0] == 0 and greedy.covered == 5.0
    best = solve_mclp(cover, weights, k=2, gap=0.0)
    assert sorted(best.chosen) == [1, 2] and best.covered == 6.0
    assert best.status == "optimal" and best.gap == pytest.approx(0.0)
    assert best.gains == [3.0, 3.0]


@pytest.mark.parametrize("seed", range(6))
def test_small_random_cases_match_the_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    candidates, points, k = 9, 25, 3
    cover = sp.csr_matrix(rng.uniform(size=(candidates, points)) < 0.2)
    weights = rng.uniform(0.1, 5.0, points).round(2)
    sites = np.arange(candidates) // 2  # pairs of candidates share a site
    solved = solve_mclp(cover, weights, k=k, site_of=sites, gap=0.0)
    greedy = greedy_mclp(cover, weights, k=k, site_of=sites)
    expected = brute_force(cover, weights, k, sites)
    assert solved.covered == pytest.approx(expected, abs=1e-6)
    assert solved.covered >= greedy.covered - 1e-9
    assert len(set(sites[solved.chosen])) == len(solved.chosen) <= k
    assert covered_weight(cover, weights, solved.chosen) == pytest.approx(solved.covered)
    assert sum(solved.gains) == pytest.approx(solved.covered)


def test_bad_input_is_named() -> None:
    cover = matrix([[0]], 1)
    with pytest.raises(PlacementError) as caught:
        solve_mclp(cover, np.ones(1), k=0)
    assert caught.value.field == "k"
    with pytest.raises(PlacementError):
        greedy_mclp(cover, np.ones(2), k=1)
    with pytest.raises(PlacementError):
        greedy_mclp(cover, -np.ones(1), k=1)


def test_a_progress_callable_that_raises_stops_the_solver() -> None:
    """A cancelled job: the callable raises at HiGHS's first progress point and the same
    exception comes out of solve_mclp, with no answer."""
    rng = np.random.default_rng(1)
    cover = (sp.random(600, 6000, density=0.01, random_state=2, format="csr") > 0).tocsr()
    stages: list[str] = []

    class Cancelled(Exception):
        pass

    def progress(stage: str, _share: float) -> None:
        stages.append(stage)
        if stage.startswith("solving"):
            raise Cancelled(stage)

    with pytest.raises(Cancelled, match="solving"):
        solve_mclp(cover, rng.random(6000), k=40, time_limit_s=30, progress=progress)
    assert stages[:2] == ["greedy", "model"] and "solved" not in stages
