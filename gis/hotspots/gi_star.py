"""Getis-Ord Gi* hot spots over grid cells, with binary weights.

For cell ``i`` with ``c_i`` neighbours (binary weights, the cell itself included with
weight 1, so ``c*_i = c_i + 1``), ``n`` cells, mean ``x̄`` and population standard
deviation ``s`` of the values::

    z_i = (sum_{j in N*(i)} x_j - c*_i x̄) / (s * sqrt(c*_i (n - c*_i) / (n - 1)))

This is Getis & Ord (1992, 1995) and Esri's Hot Spot Analysis with binary weights, and
equals esda's ``G_Local(y, w, transform="B", star=True).Zs`` (to rounding). A cell whose
z-score is undefined (all values equal, or the cell neighbours every other cell) gets
``z = 0`` (esda gives NaN).

p-values are folded (one-sided in the direction of the deviation), as esda reports them;
see :mod:`gis.hotspots.significance` for how they map to Esri's 99/95/90 % Gi_Bin and to
the FDR correction. ``p_sim`` comes from conditional permutation
(:mod:`gis.hotspots.permutation`).

Nothing here knows about coordinates: values and weights are aligned by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.special import ndtr

from gis.errors import InvalidValuesError, InvalidWeightsError
from gis.hotspots.permutation import folded_pseudo_p, permutation_tail_counts
from gis.hotspots.significance import benjamini_hochberg, check_permutations, confidence_bins

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]

DEFAULT_PERMUTATIONS = 999
_FLAT_RTOL = 1e-12  # a standard deviation this small relative to the values is zero


@dataclass(frozen=True)
class GiStarResult:
    """Gi* per cell, in the order of the values.

    Attributes
    ----------
    z : numpy.ndarray of float64
        Analytical z-score (> 0 hot, < 0 cold).
    p_norm : numpy.ndarray of float64
        Folded normal p-value ``P(Z >= |z|)`` (esda's ``p_norm``; Esri's two-sided
        GiPValue is twice this).
    p_sim : numpy.ndarray of float64
        Folded conditional-permutation pseudo p-value; NaN when ``permutations == 0``.
    p_fdr : numpy.ndarray of float64
        Benjamini-Hochberg adjusted ``p_sim`` (``p_norm`` without permutations).
    bin : numpy.ndarray of int8
        Esri's Gi_Bin: +/-3, 2, 1 for a hot/cold spot at 99, 95, 90 % confidence, 0 when
        not significant; from ``p_sim`` (``p_norm`` without permutations), FDR-corrected
        when ``fdr`` is true.
    permutations : int
    fdr : bool
    """

    z: FloatArray
    p_norm: FloatArray
    p_sim: FloatArray
    p_fdr: FloatArray
    bin: Int8Array
    permutations: int
    fdr: bool

    def as_frame(self, index: Any = None) -> pd.DataFrame:
        """The results as columns ``gi_z, gi_p_norm, gi_p_sim, gi_p_fdr, gi_bin``.

        Pass ``index=cells.index`` to join them onto the cells.
        """
        return pd.DataFrame({"gi_z": self.z, "gi_p_norm": self.p_norm, "gi_p_sim": self.p_sim,
                             "gi_p_fdr": self.p_fdr, "gi_bin": self.bin}, index=index)


def check_values(values: npt.ArrayLike, *, ndim: int = 1) -> FloatArray:
    """Values as float64, raising unless they are finite with ``ndim`` dimensions."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != ndim:
        raise InvalidValuesError(f"values must have {ndim} dimension(s), got shape "
                                 f"{array.shape}")
    if not np.isfinite(array).all():
        raise InvalidValuesError("values must be finite (no NaN or infinity)")
    return array


def check_binary_weights(weights: Any, n: int) -> sparse.csr_array:
    """Weights as a binary CSR array, raising unless square ``n x n`` with a zero diagonal.

    Raises
    ------
    InvalidWeightsError
        Not a scipy.sparse matrix/array, wrong shape, a weight other than 0 or 1, or a
        non-zero diagonal (Gi* adds the cell itself).
    """
    if not sparse.issparse(weights):
        raise InvalidWeightsError("weights must be a scipy.sparse matrix or array "
                                  "(see gis.hotspots.weights)")
    if weights.shape != (n, n):
        raise InvalidWeightsError(f"weights have shape {weights.shape}, values need ({n}, {n})")
    csr = sparse.csr_array(weights, dtype=np.float64)
    csr.eliminate_zeros()
    if not np.all(csr.data == 1.0):
        raise InvalidWeightsError("weights must be binary (1 for neighbours)")
    if csr.diagonal().any():
        raise InvalidWeightsError("weights must have a zero diagonal; Gi* adds the cell "
                                  "itself")
    csr.sort_indices()
    return csr


def gi_star_z(values: FloatArray, weights: sparse.csr_array) -> FloatArray:
    """Analytical Gi* z-scores of one or several value vectors (numeric core).

    Parameters
    ----------
    values : numpy.ndarray of float64, shape (n,) or (t, n)
        Checked values; each row is analysed on its own (e.g. one time slice per row).
    weights : scipy.sparse.csr_array, shape (n, n)
        Checked binary weights with a zero diagonal.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``values``
    """
    rows = np.atleast_2d(values)
    n = rows.shape[1]
    card_star = (np.diff(weights.indptr) + 1).astype(np.float64)
    local_sum = np.asarray((weights @ rows.T).T) + rows
    mean = rows.mean(axis=1, keepdims=True)
    spread = rows.std(axis=1, keepdims=True)
    scale = np.sqrt(card_star * (n - card_star) / (n - 1.0))
    flat = spread <= _FLAT_RTOL * np.maximum(np.abs(rows).max(axis=1, keepdims=True), 1e-300)
    denominator = np.where(flat | (scale == 0.0), np.inf, spread * scale)
    z = (local_sum - card_star * mean) / denominator
    return np.asarray(z, dtype=np.float64).reshape(np.shape(values))


def gi_star(values: npt.ArrayLike, weights: Any, *, permutations: int = DEFAULT_PERMUTATIONS,
            seed: int | np.random.Generator | None = None, fdr: bool = False) -> GiStarResult:
    """Getis-Ord Gi* hot and cold spots.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Value per cell, e.g. incident counts from
        :func:`gis.hotspots.weights.count_points_in_cells`.
    weights : scipy.sparse matrix or array, shape (n, n)
        Binary weights with a zero diagonal, rows aligned with ``values``
        (:func:`gis.hotspots.weights.queen_weights` or ``distance_band_weights``).
    permutations : int, default 999
        Conditional permutations for ``p_sim``; 0 skips them (``p_sim`` is NaN and the
        bins use ``p_norm``). With 999 the smallest ``p_sim`` is 0.001.
    seed : int or numpy.random.Generator, optional
        Makes ``p_sim`` reproducible.
    fdr : bool, default False
        Use the false-discovery-rate correction for ``bin`` (Esri's "Apply False
        Discovery Rate (FDR) Correction"). With permutations, the smallest ``p_sim`` is
        ``1 / (permutations + 1)`` and a cell ranked ``k`` among ``n`` reaches 99 % only
        if ``p_sim * n / k <= 0.005``: use 9999 permutations for FDR over hundreds of
        cells.

    Returns
    -------
    GiStarResult

    Raises
    ------
    InvalidValuesError
        Values not finite, not one-dimensional, or fewer than 3 cells.
    InvalidWeightsError
        Weights not binary, not square, not matching the values, or with a diagonal.
    InvalidTestSettingError
        ``permutations`` negative or not a whole number.
    """
    y = check_values(values)
    n = len(y)
    if n < 3:
        raise InvalidValuesError(f"Gi* needs at least 3 cells, got {n}")
    w = check_binary_weights(weights, n)
    n_perm = check_permutations(permutations)
    z = gi_star_z(y, w)
    p_norm = ndtr(-np.abs(z)).astype(np.float64)
    if n_perm:
        above, below = permutation_tail_counts(
            y, np.asarray(w @ y, dtype=np.float64), np.diff(w.indptr).astype(np.int64),
            permutations=n_perm, rng=np.random.default_rng(seed))
        p_sim = folded_pseudo_p(above, below, permutations=n_perm)
        # The tail the observed sum lies in; equal tails (a fixed random sum) are neither.
        direction = np.sign(below - above).astype(np.float64)
        p_used = p_sim
    else:
        p_sim = np.full(n, np.nan)
        direction = np.sign(z)
        p_used = p_norm
    return GiStarResult(z=z, p_norm=p_norm, p_sim=p_sim, p_fdr=benjamini_hochberg(p_used),
                        bin=confidence_bins(direction, p_used, fdr=fdr),
                        permutations=n_perm, fdr=bool(fdr))
