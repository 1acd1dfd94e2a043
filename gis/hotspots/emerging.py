"""Emerging hot-spot analysis: how each cell's hot or cold spot status changes over time.

Following Esri's Emerging Hot Spot Analysis ("How Emerging Hot Spot Analysis works") with
its defaults: a space-time Gi* over the whole cube, the Mann-Kendall trend of each cell's
z-scores, and Esri's seventeen patterns.

1. **Space-time Gi*** of every bin (cell ``i`` in time step ``t``): its neighbourhood
   is the cell and its spatial neighbours in step ``t`` and in the ``time_steps``
   steps before it (Esri's *Neighborhood Time Step*, default 1; 0 gives a purely
   spatial neighbourhood), and it is compared with the mean and variance of **every
   bin of the cube** (Esri's default *Global Window*, "Entire cube"): one Gi* over
   the ``T n`` bins with these space-time weights
   (:func:`space_time_weights`). The p-value is Esri's analytical two-sided one from
   the z-score by default (``p_method="permutation"`` draws conditional permutations
   over the cube instead). A bin is a significant **hot** (cold) spot when its z-score
   is positive (negative) and its p-value passes at ``alpha`` (default 0.10, i.e. any
   non-zero Gi_Bin), with Esri's FDR correction by default ("the Getis-Ord Gi*
   statistic ... for each bin using an FDR correction") over the cube's bins, the one
   family of tests of that one Gi*. Esri's other global windows (each time step, or the
   neighbourhood's steps) are not offered.
2. **Trend**: the Mann-Kendall test (:mod:`gis.hotspots.mann_kendall`) on each cell's
   series of Gi* z-scores; significant at ``trend_alpha`` (default 0.05).
3. **Pattern** per cell, with "90 %" meaning at least 90 % of the ``T`` bins:

   ============== ===================================================================
   new            hot in the final bin only
   consecutive    one uninterrupted run of >= 2 hot bins at the end, never hot before
                  it, < 90 % of bins hot
   intensifying   hot in >= 90 % of bins including the final one, significant upward
                  trend
   persistent     hot in >= 90 % of bins including the final one, no significant trend
   diminishing    hot in >= 90 % of bins including the final one, significant downward
                  trend
   sporadic       hot in the final bin, hot on and off before, < 90 % hot, never cold
   oscillating    hot in the final bin, cold in some earlier bin, < 90 % hot
   historical     not hot in the final bin, hot in >= 90 % of bins
   ============== ===================================================================

   and the same eight for cold spots; otherwise "No Pattern Detected".

   Esri's definitions overlap in a few series; the order used here: the final bin decides
   between the hot and the cold patterns (a cell cold in the final bin after >= 90 % hot
   bins is an oscillating cold spot, not a historical hot spot); then the 90 % patterns;
   then **oscillating** (any earlier bin of the opposite kind) before new and consecutive,
   so new, consecutive and sporadic series are never of the opposite kind.

Esri requires at least 10 time steps for the trend test to mean much; any ``T >= 2``
works here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from gis.errors import InvalidTestSettingError, InvalidValuesError
from gis.hotspots.gi_star import check_binary_weights, check_values, gi_star
from gis.hotspots.mann_kendall import mann_kendall
from gis.hotspots.significance import (
    PMethod,
    check_alpha,
    check_p_method,
    significant,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class EmergingPattern(enum.StrEnum):
    """Esri's emerging hot-spot categories (their PATTERN names)."""

    NEW_HOT = "New Hot Spot"
    CONSECUTIVE_HOT = "Consecutive Hot Spot"
    INTENSIFYING_HOT = "Intensifying Hot Spot"
    PERSISTENT_HOT = "Persistent Hot Spot"
    DIMINISHING_HOT = "Diminishing Hot Spot"
    SPORADIC_HOT = "Sporadic Hot Spot"
    OSCILLATING_HOT = "Oscillating Hot Spot"
    HISTORICAL_HOT = "Historical Hot Spot"
    NEW_COLD = "New Cold Spot"
    CONSECUTIVE_COLD = "Consecutive Cold Spot"
    INTENSIFYING_COLD = "Intensifying Cold Spot"
    PERSISTENT_COLD = "Persistent Cold Spot"
    DIMINISHING_COLD = "Diminishing Cold Spot"
    SPORADIC_COLD = "Sporadic Cold Spot"
    OSCILLATING_COLD = "Oscillating Cold Spot"
    HISTORICAL_COLD = "Historical Cold Spot"
    NONE = "No Pattern Detected"


@dataclass(frozen=True)
class EmergingHotSpots:
    """Emerging hot-spot analysis per cell.

    Attributes
    ----------
    pattern : numpy.ndarray of EmergingPattern, shape (n,)
    trend_z, trend_p : numpy.ndarray of float64, shape (n,)
        Mann-Kendall score and two-sided p-value of the cell's Gi* z-scores over time.
    z : numpy.ndarray of float64, shape (T, n)
        Gi* z-score of every cell in every time slice.
    hot, cold : numpy.ndarray of bool, shape (T, n)
        Significant hot / cold spot bins.
    """

    pattern: npt.NDArray[np.object_]
    trend_z: FloatArray
    trend_p: FloatArray
    z: FloatArray
    hot: BoolArray
    cold: BoolArray

    def as_frame(self, index: Any = None) -> pd.DataFrame:
        """Columns ``pattern`` (str), ``trend_z``, ``trend_p``, ``hot_bins``, ``cold_bins``."""
        return pd.DataFrame({"pattern": self.pattern.astype(str),
                             "trend_z": self.trend_z, "trend_p": self.trend_p,
                             "hot_bins": self.hot.sum(axis=0), "cold_bins": self.cold.sum(axis=0)},
                            index=index)


def _patterns_for(side: BoolArray, other: BoolArray, trend: npt.NDArray[np.int64],
                  names: tuple[EmergingPattern, ...]) -> npt.NDArray[np.object_]:
    """Patterns of the cells whose final bin is on ``side`` (hot or cold), vectorised.

    ``trend`` is +1 when the trend is significant *towards* ``side`` (more intense), -1
    away from it, 0 when not significant. ``names``: new, consecutive, intensifying,
    persistent, diminishing, sporadic, oscillating.
    """
    new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating = names
    steps = side.shape[0]
    count = side.sum(axis=0)
    reversed_side = side[::-1]
    final_run = np.where(reversed_side.all(axis=0), steps, np.argmax(~reversed_side, axis=0))
    mostly = count * 10 >= 9 * steps
    other_before = other[:-1].any(axis=0)
    return np.select(
        [mostly & (trend > 0), mostly & (trend < 0), mostly, other_before, count == 1,
         (final_run >= 2) & (final_run == count)],
        [intensifying, diminishing, persistent, oscillating, new, consecutive],
        default=sporadic).astype(object)


def classify_emerging(hot: npt.ArrayLike, cold: npt.ArrayLike,
                      trend: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Classify cells into Esri's emerging hot-spot patterns (see the module docstring).

    Parameters
    ----------
    hot, cold : array_like of bool, shape (T, n)
        Significant hot / cold spot in each time bin (never both).
    trend : array_like of int, shape (n,)
        +1 significant increasing Gi* z-scores, -1 significant decreasing, 0 neither.

    Returns
    -------
    numpy.ndarray of EmergingPattern, shape (n,)
    """
    hot_bins = np.asarray(hot, dtype=bool)
    cold_bins = np.asarray(cold, dtype=bool)
    direction = np.sign(np.asarray(trend)).astype(np.int64)
    if hot_bins.ndim != 2 or hot_bins.shape != cold_bins.shape \
            or direction.shape != hot_bins.shape[1:]:
        raise InvalidValuesError("hot and cold must have shape (T, n) and trend (n,)")
    if (hot_bins & cold_bins).any():
        raise InvalidValuesError("a bin cannot be both a hot and a cold spot")
    steps = hot_bins.shape[0]
    hot_names = tuple(EmergingPattern[f"{k}_HOT"] for k in _KINDS)
    cold_names = tuple(EmergingPattern[f"{k}_COLD"] for k in _KINDS)
    pattern = np.full(hot_bins.shape[1], EmergingPattern.NONE, dtype=object)
    final_hot, final_cold = hot_bins[-1], cold_bins[-1]
    pattern[final_hot] = _patterns_for(hot_bins, cold_bins, direction, hot_names)[final_hot]
    # For cold spots "more intense" means more negative z-scores.
    pattern[final_cold] = _patterns_for(cold_bins, hot_bins, -direction, cold_names)[final_cold]
    neither = ~final_hot & ~final_cold
    pattern[neither & (hot_bins.sum(axis=0) * 10 >= 9 * steps)] = EmergingPattern.HISTORICAL_HOT
    pattern[neither & (cold_bins.sum(axis=0) * 10 >= 9 * steps)] = \
        EmergingPattern.HISTORICAL_COLD
    return pattern


_KINDS = ("NEW", "CONSECUTIVE", "INTENSIFYING", "PERSISTENT", "DIMINISHING", "SPORADIC",
          "OSCILLATING")


#: Esri's default Neighborhood Time Step.
DEFAULT_TIME_STEPS = 1


def space_time_weights(weights: Any, steps: int, time_steps: int = DEFAULT_TIME_STEPS
                       ) -> sparse.csr_array:
    """Binary weights between the ``steps * n`` bins of a space-time cube.

    Bin ``t * n + i`` is cell ``i`` in time step ``t`` (oldest first). Its neighbours are
    cell ``i``'s spatial neighbours in step ``t`` and cell ``i`` with its spatial
    neighbours in each of the ``time_steps`` steps before ``t`` (fewer at the start of
    the cube); the diagonal stays zero (Gi* adds the bin itself). Not symmetric: a bin
    looks back in time, never forward.

    Parameters
    ----------
    weights : scipy.sparse matrix or array, shape (n, n)
        Binary spatial weights with a zero diagonal.
    steps : int
        Time steps ``T`` of the cube (>= 1).
    time_steps : int, default 1
        Earlier time steps in the neighbourhood (Esri's Neighborhood Time Step), >= 0.
    """
    w = sparse.csr_array(weights, dtype=np.float64)
    n = w.shape[0]
    if isinstance(time_steps, bool) or not isinstance(time_steps, (int, np.integer)) \
            or not 0 <= time_steps < max(steps, 1):
        raise InvalidTestSettingError(
            f"time_steps must be a whole number from 0 to {max(steps - 1, 0)} (the earlier "
            f"time steps of a cube of {steps}), got {time_steps!r}")
    blocks = sparse.kron(sparse.identity(steps, format="csr"), w, format="csr")
    with_self = w + sparse.identity(n, format="csr")
    for lag in range(1, int(time_steps) + 1):
        earlier = sparse.eye(steps, k=-lag, format="csr")  # row t, column t - lag
        blocks = blocks + sparse.kron(earlier, with_self, format="csr")
    return sparse.csr_array(blocks)


def emerging_hot_spots(counts: npt.ArrayLike, weights: Any, *, alpha: float = 0.10,
                       trend_alpha: float = 0.05, fdr: bool = True,
                       p_method: PMethod = "analytical", permutations: int = 999,
                       seed: int | None = None,
                       time_steps: int = DEFAULT_TIME_STEPS) -> EmergingHotSpots:
    """Emerging hot-spot analysis of counts per time bin and cell.

    Parameters
    ----------
    counts : array_like of float, shape (T, n)
        Value (e.g. incident count) of each cell in each of ``T`` equal, consecutive time
        bins, oldest first; columns aligned with the weights.
    weights : scipy.sparse matrix or array, shape (n, n)
        Binary spatial weights with a zero diagonal (:mod:`gis.hotspots.weights`).
    alpha : float, default 0.10
        Two-sided significance level of a hot / cold spot bin.
    trend_alpha : float, default 0.05
        Two-sided significance level of the Mann-Kendall trend.
    fdr : bool, default True
        FDR-correct the hot / cold spot test over the cube's bins.
    p_method : {"analytical", "permutation"}, default "analytical"
        Gi* p-values from the z-scores (Esri), or from conditional permutations over
        the cube.
    permutations : int, default 999
        Permutations for ``p_method="permutation"``; ignored otherwise.
    seed : int, optional
        Makes permutation p-values reproducible.
    time_steps : int, default 1
        Earlier time steps in each bin's neighbourhood (Esri's Neighborhood Time Step).

    Returns
    -------
    EmergingHotSpots

    Raises
    ------
    InvalidValuesError, InvalidWeightsError, InvalidTestSettingError
        Counts not finite or not (T, n) with T >= 2 and n >= 3; bad weights; a level not
        in (0, 1), an unknown ``p_method``, unusable permutations or ``time_steps``.
    """
    values = check_values(counts, ndim=2)
    steps, n = values.shape
    if steps < 2 or n < 3:
        raise InvalidValuesError(f"need at least 2 time bins and 3 cells, got {values.shape}")
    w = check_binary_weights(weights, n)
    level = check_alpha(alpha)
    trend_level = check_alpha(trend_alpha, name="trend_alpha")
    method, n_perm = check_p_method(p_method, permutations)
    cube = space_time_weights(w, steps, time_steps)

    result = gi_star(values.ravel(), cube, p_method=method, permutations=permutations,
                     seed=seed)
    z = result.z.reshape(steps, n)
    passed = significant(result.p, alpha=level, fdr=fdr).reshape(steps, n)
    hot, cold = passed & (z > 0), passed & (z < 0)

    trend = mann_kendall(z.T)
    direction = np.where(trend.p <= trend_level, np.sign(trend.z), 0.0).astype(np.int64)
    return EmergingHotSpots(pattern=classify_emerging(hot, cold, direction),
                            trend_z=trend.z, trend_p=trend.p, z=z, hot=hot, cold=cold)
