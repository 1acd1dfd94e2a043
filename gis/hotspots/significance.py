"""Significance shared by the hot-spot statistics: two-sided p-values, Esri's FDR, Gi_Bin.

Conventions
-----------
Every p-value this module decides on is **two-sided**, as Esri reports them (GiPValue,
the pseudo p-value of Cluster and Outlier Analysis) and as esda recommends for its
permutation tests:

* analytical: ``p = 2 P(Z >= |z|)`` from the z-score (:func:`two_sided_from_z`); esda's
  ``p_norm`` is the folded half of it, ``P(Z >= |z|)``;
* permutation: ``p = min(1, 2 p_folded)`` with the folded pseudo p-value
  ``(min(#{R >= L}, #{R <= L}) + 1) / (P + 1)`` (:func:`two_sided_from_folded`), which
  is Esri's ``twoSidedPermPV`` in its Spatial Statistics scripts (``Stats.py``). esda's
  ``p_sim`` is the folded value; esda announces that its default will move to a
  two-sided alternative because the folded one "will be uniformly too small".

A cell is significant at confidence ``1 - a`` when its p-value is at most ``a``: Esri's
Gi_Bin of +/-3, 2, 1 (99, 95, 90 % confidence) is ``p <= 0.01, 0.05, 0.10``, i.e.
``|z| >= 2.576, 1.960, 1.645``.

False discovery rate (FDR)
--------------------------
Esri's "Apply False Discovery Rate (FDR) Correction" lowers the critical p-value of each
confidence level separately: its ``fdrTransform`` multiplies the cut-offs 0.10, 0.05 and
0.01 by ``k / m`` (``m`` the number of cells, ``k`` the rank of a p-value from the
smallest) and walks the p-values from the largest down; the first one at or below its
cut-off and every smaller one are significant at that level. That is the
Benjamini-Hochberg (1995) step-up procedure at level ``a`` over all ``m`` cells::

    k* = max { k : p_(k) <= k a / m };   significant: p <= p_(k*)   (none if no such k)

applied to the two-sided p-values, once per level. It is computed here through the
Benjamini-Hochberg adjusted p-values (:func:`benjamini_hochberg`): a cell passes at level
``a`` exactly when its adjusted value is at most ``a``; :func:`fdr_critical_p` gives
the lowered critical p-value ``k* a / m`` itself. References: Benjamini & Hochberg
(1995), JRSS B 57, 289-300; Esri, "What is a z-score? What is a p-value?" and the Hot Spot
Analysis (Getis-Ord Gi*) tool reference ("the critical p-values determining confidence
levels are reduced to account for multiple testing and spatial dependence").
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from gis.errors import InvalidTestSettingError

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]
PMethod = Literal["analytical", "permutation"]

P_METHODS: tuple[PMethod, ...] = ("analytical", "permutation")
CONFIDENCE_LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))
"""Gi_Bin magnitude and the two-sided significance level it stands for."""


def check_alpha(alpha: object, *, name: str = "alpha") -> float:
    """Return ``alpha`` as a float, raising unless it is a level in (0, 1)."""
    if (isinstance(alpha, bool) or not isinstance(alpha, Real)
            or not math.isfinite(float(alpha)) or not 0.0 < float(alpha) < 1.0):
        raise InvalidTestSettingError(f"{name} must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


def check_permutations(permutations: object) -> int:
    """Return ``permutations`` as an int, raising unless it is a whole number >= 0."""
    if isinstance(permutations, bool) or not isinstance(permutations, Integral) \
            or int(permutations) < 0:
        raise InvalidTestSettingError(
            f"permutations must be a whole number >= 0, got {permutations!r}")
    return int(permutations)


def check_p_method(p_method: object, permutations: object) -> tuple[PMethod, int]:
    """Return the p-value method and the permutations it uses (0 for analytical).

    Raises
    ------
    InvalidTestSettingError
        An unknown method, or permutation p-values with fewer than 1 permutation.
    """
    if p_method not in P_METHODS:
        raise InvalidTestSettingError(
            f"p_method must be 'analytical' or 'permutation', got {p_method!r}")
    n_perm = check_permutations(permutations)
    if p_method == "analytical":
        return "analytical", 0
    if n_perm == 0:
        raise InvalidTestSettingError("permutation p-values need permutations >= 1")
    return "permutation", n_perm


def two_sided_from_z(z: npt.ArrayLike) -> FloatArray:
    """Two-sided normal p-values ``2 P(Z >= |z|)`` (Esri's GiPValue)."""
    return np.asarray(2.0 * ndtr(-np.abs(np.asarray(z, dtype=np.float64))), dtype=np.float64)


def two_sided_from_folded(p_folded: npt.ArrayLike) -> FloatArray:
    """Two-sided pseudo p-values ``min(1, 2 p)`` from folded ones (Esri's twoSidedPermPV)."""
    return np.minimum(1.0, 2.0 * np.asarray(p_folded, dtype=np.float64))


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate).

    Parameters
    ----------
    p_values : array_like of float, shape (m,)
        p-values in [0, 1].

    Returns
    -------
    numpy.ndarray of float64, shape (m,)
        ``min(1, min over k >= rank of p_(k) * m / k)`` for each p-value: a test is
        rejected by the step-up procedure at FDR level ``q`` exactly when its adjusted
        value is at most ``q``.
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m, dtype=np.float64)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def fdr_critical_p(p_values: npt.ArrayLike, *, alpha: float) -> float | None:
    """Esri's FDR-lowered critical p-value at level ``alpha`` (see the module notes).

    Returns
    -------
    float or None
        ``k* alpha / m`` for the largest rank ``k*`` with ``p_(k*) <= k* alpha / m``: the
        cells with a p-value at or below it are significant. None when no cell passes.
    """
    level = check_alpha(alpha)
    p = np.sort(np.asarray(p_values, dtype=np.float64))
    m = p.size
    cutoffs = np.arange(1, m + 1) * level / m
    passing = np.flatnonzero(p <= cutoffs)
    return float(cutoffs[passing[-1]]) if passing.size else None


def critical_p_values(p_values: npt.ArrayLike, *, fdr: bool) -> dict[int, float | None]:
    """The critical p-value per confidence level (90, 95, 99 %) that the bins used.

    Without FDR these are 0.10, 0.05 and 0.01; with it, :func:`fdr_critical_p` at each.
    """
    return {round(100 * (1 - level)): (fdr_critical_p(p_values, alpha=level) if fdr
                                       else level)
            for _, level in reversed(CONFIDENCE_LEVELS)}


def significant(p_values: npt.ArrayLike, *, alpha: float,
                fdr: bool) -> npt.NDArray[np.bool_]:
    """Cells significant in a two-sided test at level ``alpha`` (see the module notes).

    Parameters
    ----------
    p_values : array_like of float
        Two-sided p-values.
    alpha : float
        Significance level, e.g. 0.05 for 95 % confidence.
    fdr : bool
        Apply Esri's FDR correction (Benjamini-Hochberg at this level) first.
    """
    level = check_alpha(alpha)
    p = np.asarray(p_values, dtype=np.float64)
    q = benjamini_hochberg(p) if fdr else p
    return np.asarray(q <= level)


def confidence_bins(direction: npt.ArrayLike, p_values: npt.ArrayLike, *,
                    fdr: bool) -> Int8Array:
    """Esri's Gi_Bin: -3..3 for cold/hot at 99, 95, 90 % confidence, 0 otherwise.

    Parameters
    ----------
    direction : array_like
        Sign of the deviation per cell (> 0 hot, < 0 cold, 0 none), e.g. the z-score.
    p_values : array_like of float
        Two-sided p-values.
    fdr : bool
        Use the FDR-lowered critical p-value at each confidence level.

    Returns
    -------
    numpy.ndarray of int8
    """
    p = np.asarray(p_values, dtype=np.float64)
    q = benjamini_hochberg(p) if fdr else p
    magnitude = np.zeros(p.shape, dtype=np.int8)
    for value, level in reversed(CONFIDENCE_LEVELS):  # weakest first, strongest wins
        magnitude[q <= level] = value
    sign = np.sign(np.asarray(direction, dtype=np.float64)).astype(np.int8)
    return (sign * magnitude).astype(np.int8)
