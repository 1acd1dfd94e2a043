"""Mann-Kendall trend test, vectorised over many series.

For a series ``x_1 .. x_T``::

    S = sum_{i < j} sign(x_j - x_i)
    Var(S) = (T (T - 1) (2T + 5) - sum_g t_g (t_g - 1) (2 t_g + 5)) / 18

where ``t_g`` are the sizes of groups of tied values (the tie correction), and

    Z = (S - 1) / sqrt(Var(S)) if S > 0,   0 if S == 0,   (S + 1) / sqrt(Var(S)) if S < 0

(with the usual continuity correction); the two-sided p-value is ``2 P(N(0,1) >= |Z|)``.
``S`` is the numerator of Kendall's tau between the series and time, and without the
continuity correction ``Z`` is the normal approximation ``scipy.stats.kendalltau(t, x)``
uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from gis.errors import InvalidValuesError

FloatArray = npt.NDArray[np.float64]

_PAIR_BUDGET = 8_000_000  # pairwise comparisons held at once


@dataclass(frozen=True)
class MannKendallResult:
    """Mann-Kendall test per series.

    Attributes
    ----------
    s : numpy.ndarray of float64
        Kendall's S (concordant minus discordant pairs with time).
    var_s : numpy.ndarray of float64
        Variance of S under no trend, tie-corrected.
    z : numpy.ndarray of float64
        Continuity-corrected normal score (> 0 increasing); 0 where ``var_s`` is 0.
    p : numpy.ndarray of float64
        Two-sided p-value from ``z``.
    """

    s: FloatArray
    var_s: FloatArray
    z: FloatArray
    p: FloatArray


def mann_kendall(series: npt.ArrayLike) -> MannKendallResult:
    """Mann-Kendall trend test of each row of ``series`` against time.

    Parameters
    ----------
    series : array_like of float, shape (T,) or (m, T)
        One series per row, in time order, equally spaced; T >= 2.

    Returns
    -------
    MannKendallResult
        Arrays of shape ``()`` for one series, ``(m,)`` for several.

    Raises
    ------
    InvalidValuesError
        Non-finite values, more than two dimensions, or fewer than 2 time steps.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim not in (1, 2) or values.shape[-1] < 2:
        raise InvalidValuesError(f"series must have shape (T,) or (m, T) with T >= 2, got "
                                 f"{values.shape}")
    if not np.isfinite(values).all():
        raise InvalidValuesError("series must be finite (no NaN or infinity)")
    rows = np.atleast_2d(values)
    m, t = rows.shape
    first, second = np.triu_indices(t, k=1)
    s = np.empty(m)
    ties = np.empty(m)
    block = max(1, _PAIR_BUDGET // (t * t))
    for start in range(0, m, block):  # blocks of series, bounded memory
        chunk = rows[start:start + block]
        s[start:start + block] = np.sign(chunk[:, second] - chunk[:, first]).sum(axis=1)
        group_size = (chunk[:, :, None] == chunk[:, None, :]).sum(axis=2)
        # each member of a tie group of size g adds (g - 1)(2g + 5): g of them per group
        ties[start:start + block] = ((group_size - 1) * (2 * group_size + 5)).sum(axis=1)
    var_s = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    corrected = s - np.sign(s)
    z = np.divide(corrected, np.sqrt(var_s), out=np.zeros(m), where=var_s > 0)
    p = 2.0 * ndtr(-np.abs(z))
    shape = values.shape[:-1]
    return MannKendallResult(s=s.reshape(shape), var_s=var_s.reshape(shape),
                             z=z.reshape(shape), p=p.reshape(shape))
