"""The hot-spot defaults are the reference tools' defaults, and they find the hot spots of a
city-sized grid (the Los Angeles report: 16,240 cells of 500 m, z up to 54.7, every cell
"not significant" with 999 permutations and FDR)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from app.analysis.params import HotspotParams
from gis.hotspots import GiStarResult, gi_star
from tests.gis.hotspots.lattice import lattice_queen

N_COLS, N_ROWS = 140, 116  # 16,240 cells


def city_counts() -> tuple[np.ndarray, list[int]]:
    """Sparse counts (most cells 0 or 1) with six 3 x 3 blocks of very high counts."""
    rng = np.random.default_rng(54)
    grid = rng.poisson(0.5, size=(N_ROWS, N_COLS)).astype(np.float64)
    centres = []
    for row, col in ((20, 30), (40, 100), (60, 60), (80, 20), (95, 120), (100, 70)):
        grid[row - 1:row + 2, col - 1:col + 2] = rng.integers(300, 600, size=(3, 3))
        centres.append(row * N_COLS + col)
    return grid.ravel(), centres


def run(params: HotspotParams, values: np.ndarray) -> GiStarResult:
    return gi_star(values, lattice_queen(N_COLS, N_ROWS), p_method=params.p_method,
                   permutations=params.permutations, seed=params.seed, fdr=params.fdr)


def test_with_the_defaults_the_high_z_cells_of_a_city_grid_are_hot_spots() -> None:
    values, centres = city_counts()
    result = run(HotspotParams(), values)
    assert result.z[centres].min() > 40  # as high as Los Angeles' 54.7
    high = result.z >= 5.0
    assert high.sum() >= len(centres) * 9
    assert (result.bin[high] == 3).all()  # 99 %, FDR-corrected
    assert result.p_method == "analytical" and result.fdr and result.permutations == 0
    assert result.critical_p[99] is not None and result.critical_p[99] < 0.01


def test_permutations_with_fdr_cannot_flag_them_which_is_why_they_are_not_the_default(
        ) -> None:
    # The smallest two-sided pseudo p-value with 999 permutations is 0.002; FDR over
    # 16,240 cells needs k cells at or below k * 0.10 / 16,240, i.e. over 300 of them.
    values, centres = city_counts()
    params = HotspotParams(p_method="permutation", permutations=999)
    result = run(params, values)
    assert result.p[centres].max() == pytest.approx(0.002)
    assert (result.bin == 0).all()
    assert result.critical_p == {90: None, 95: None, 99: None}


def test_defaults_follow_the_reference_tool_of_each_method() -> None:
    gi = HotspotParams()
    assert (gi.p_method, gi.fdr) == ("analytical", True)  # Esri (Optimized) Hot Spot
    lisa = HotspotParams(method="lisa")
    assert (lisa.p_method, lisa.fdr, lisa.alpha) == ("permutation", False, 0.05)
    emerging = HotspotParams(method="emerging")
    assert (emerging.p_method, emerging.fdr, emerging.alpha) == ("analytical", True, 0.10)
    # asked for, a setting wins over the method's default
    assert HotspotParams.model_validate({"method": "lisa", "fdr": "true"}).fdr is True
    assert HotspotParams.model_validate({"fdr": "false"}).fdr is False


@pytest.mark.parametrize(("values", "field"), [
    ({"method": "lisa", "p_method": "analytical"}, "p_method"),
    ({"p_method": "permutation", "permutations": 10}, "permutations"),
    ({"p_method": "exact"}, "p_method"),
])
def test_impossible_significance_settings_name_their_field(values: dict[str, object],
                                                           field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        HotspotParams.model_validate(values)
    assert caught.value.errors()[0]["loc"] == (field,)
