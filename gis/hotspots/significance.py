"""Significance helpers shared by the hot-spot statistics: FDR, Gi_Bin classes, checks.

Conventions
-----------
p-values here are *folded* (one-sided in the direction the cell deviates), as esda
reports them: ``p_norm = P(Z >= |z|)`` and the permutation ``p_sim``. A two-sided test
at level ``a`` ("confidence 1 - a" in Esri's words) is passed when the folded p-value is
at most ``a / 2``: Esri's Gi_Bin of +/-3, 2, 1 (99, 95, 90 % confidence) is |z| >= 2.576,
1.960, 1.645, i.e. ``p_norm <= 0.005, 0.025, 0.05``.

With the false discovery rate (FDR) correction, Esri applies the Benjamini-Hochberg
step-up procedure at each confidence level separately. Doing that on the two-sided
p-values ``2 p`` at level ``a`` rejects exactly the cells whose Benjamini-Hochberg
adjusted folded p-value is at most ``a / 2``, which is how it is computed here.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import numpy.typing as npt

from gis.errors import InvalidTestSettingError

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]

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


def significant(p_folded: npt.ArrayLike, *, alpha: float, fdr: bool) -> npt.NDArray[np.bool_]:
    """Cells significant in a two-sided test at level ``alpha`` (see the module notes).

    Parameters
    ----------
    p_folded : array_like of float
        Folded (one-sided, direction of the deviation) p-values.
    alpha : float
        Two-sided significance level, e.g. 0.05 for 95 % confidence.
    fdr : bool
        Apply the Benjamini-Hochberg correction (at this level) first.
    """
    level = check_alpha(alpha)
    p = np.asarray(p_folded, dtype=np.float64)
    q = benjamini_hochberg(p) if fdr else p
    return np.asarray(q <= level / 2.0)


def confidence_bins(direction: npt.ArrayLike, p_folded: npt.ArrayLike, *,
                    fdr: bool) -> Int8Array:
    """Esri-style Gi_Bin: -3..3 for cold/hot at 99, 95, 90 % confidence, 0 otherwise.

    Parameters
    ----------
    direction : array_like
        Sign of the deviation per cell (> 0 hot, < 0 cold, 0 none), e.g. the z-score.
    p_folded : array_like of float
        Folded p-values (see the module notes).
    fdr : bool
        Use the FDR-corrected significance at each confidence level.

    Returns
    -------
    numpy.ndarray of int8
    """
    p = np.asarray(p_folded, dtype=np.float64)
    q = benjamini_hochberg(p) if fdr else p
    magnitude = np.zeros(p.shape, dtype=np.int8)
    for value, level in reversed(CONFIDENCE_LEVELS):  # weakest first, strongest wins
        magnitude[q <= level / 2.0] = value
    sign = np.sign(np.asarray(direction, dtype=np.float64)).astype(np.int8)
    return (sign * magnitude).astype(np.int8)
