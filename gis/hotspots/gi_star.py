"""Getis-Ord Gi* hot spots over grid cells, with binary weights.

For cell ``i`` with ``c_i`` neighbours (binary weights, the cell itself included with
weight 1, so ``c*_i = c_i + 1``), ``n`` cells, mean ``x̄`` and population standard
deviation ``s`` of the values::

    z_i = (sum_{j in N*(i)} x_j - c*_i x̄) / (s * sqrt(c*_i (n - c*_i) / (n - 1)))

This is Getis & Ord (1992, 1995) and Esri's Hot Spot Analysis with binary weights, and
equals esda's ``G_Local(y, w, transform="B", star=True).Zs`` (to rounding). A cell whose
z-score is undefined (all values equal, or the cell neighbours every other cell) gets
``z = 0`` (esda gives NaN).

Significance is decided as Esri's Hot Spot Analysis decides it: by default the p-value
comes from the z-score (**analytical**, two-sided ``2 P(Z >= |z|)``), and Gi_Bin is
+/-3, 2, 1 where that p-value is at most 0.01, 0.05, 0.10, optionally with Esri's FDR
correction (:mod:`gis.hotspots.significance`). Conditional **permutation** pseudo
p-values (:mod:`gis.hotspots.permutation`, esda's ``p_sim``) are an option; they are
computed only when asked for. With ``P`` permutations no pseudo p-value is below
``2 / (P + 1)``, so over thousands of cells the FDR threshold ``k a / m`` is out of reach
of all but very large clusters: a 54-sigma cell is "not significant". The analytical
p-value has no such floor.

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
from gis.hotspots.significance import (
    PMethod,
    benjamini_hochberg,
    check_p_method,
    confidence_bins,
    critical_p_values,
    two_sided_from_folded,
    two_sided_from_z,
)

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
    p : numpy.ndarray of float64
        Two-sided p-value the bins are decided on: ``2 P(Z >= |z|)`` (Esri's GiPValue)
        when ``p_method`` is "analytical", ``min(1, 2 p_sim)`` when "permutation".
    p_fdr : numpy.ndarray of float64
        Benjamini-Hochberg adjusted ``p``: a cell is significant at confidence
        ``1 - a`` with Esri's FDR correction exactly when ``p_fdr <= a``.
    bin : numpy.ndarray of int8
        Esri's Gi_Bin: +/-3, 2, 1 for a hot/cold spot at 99, 95, 90 % confidence, 0 when
        not significant; from ``p``, FDR-corrected when ``fdr`` is true.
    p_norm : numpy.ndarray of float64
        Folded normal p-value ``P(Z >= |z|)``, esda's ``p_norm`` (half of the analytical
        ``p``).
    p_sim : numpy.ndarray of float64
        Folded conditional-permutation pseudo p-value (esda's ``p_sim``, ties counted on
        both sides); NaN unless ``p_method`` is "permutation".
    p_method : {"analytical", "permutation"}
    permutations : int
        Permutations drawn (0 for analytical p-values).
    fdr : bool
    critical_p : dict of int to float or None
        The critical p-value each confidence level (90, 95, 99) used: 0.10, 0.05, 0.01
        without FDR, Esri's lowered ones with it (None: no cell reaches that level).
    """

    z: FloatArray
    p: FloatArray
    p_fdr: FloatArray
    bin: Int8Array
    p_norm: FloatArray
    p_sim: FloatArray
    p_method: PMethod
    permutations: int
    fdr: bool
    critical_p: dict[int, float | None]

    def as_frame(self, index: Any = None) -> pd.DataFrame:
        """The results as columns ``gi_z, gi_p, gi_p_fdr, gi_bin, gi_p_norm, gi_p_sim``.

        Pass ``index=cells.index`` to join them onto the cells.
        """
        return pd.DataFrame({"gi_z": self.z, "gi_p": self.p, "gi_p_fdr": self.p_fdr,
                             "gi_bin": self.bin, "gi_p_norm": self.p_norm,
                             "gi_p_sim": self.p_sim}, index=index)


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


def gi_star(values: npt.ArrayLike, weights: Any, *, p_method: PMethod = "analytical",
            permutations: int = DEFAULT_PERMUTATIONS,
            seed: int | np.random.Generator | None = None, fdr: bool = False) -> GiStarResult:
    """Getis-Ord Gi* hot and cold spots, decided as Esri's Hot Spot Analysis does.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Value per cell, e.g. incident counts from
        :func:`gis.hotspots.weights.count_points_in_cells`.
    weights : scipy.sparse matrix or array, shape (n, n)
        Binary weights with a zero diagonal, rows aligned with ``values``
        (:func:`gis.hotspots.weights.queen_weights` or ``distance_band_weights``).
    p_method : {"analytical", "permutation"}, default "analytical"
        Where the p-value comes from: the z-score (Esri), or conditional permutations
        (esda's ``p_sim``). Permutations are drawn only for "permutation".
    permutations : int, default 999
        Conditional permutations for ``p_method="permutation"`` (at least 1); ignored
        otherwise. With ``P`` of them the smallest two-sided pseudo p-value is
        ``2 / (P + 1)``.
    seed : int or numpy.random.Generator, optional
        Makes permutation p-values reproducible.
    fdr : bool, default False
        Esri's "Apply False Discovery Rate (FDR) Correction" (off by default in Esri's
        Hot Spot Analysis, always on in its Optimized Hot Spot Analysis): the critical
        p-value of each confidence level is lowered by the Benjamini-Hochberg rule over
        all cells (:mod:`gis.hotspots.significance`).

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
        Unknown ``p_method``; ``permutations`` negative, not a whole number, or 0 with
        permutation p-values.
    """
    y = check_values(values)
    n = len(y)
    if n < 3:
        raise InvalidValuesError(f"Gi* needs at least 3 cells, got {n}")
    w = check_binary_weights(weights, n)
    method, n_perm = check_p_method(p_method, permutations)
    z = gi_star_z(y, w)
    p_norm = ndtr(-np.abs(z)).astype(np.float64)
    if method == "permutation":
        above, below = permutation_tail_counts(
            y, np.asarray(w @ y, dtype=np.float64), np.diff(w.indptr).astype(np.int64),
            permutations=n_perm, rng=np.random.default_rng(seed))
        p_sim = folded_pseudo_p(above, below, permutations=n_perm)
        # The tail the observed sum lies in; equal tails (a fixed random sum) are neither.
        direction = np.sign(below - above).astype(np.float64)
        p = two_sided_from_folded(p_sim)
    else:
        p_sim = np.full(n, np.nan)
        direction = np.sign(z)
        p = two_sided_from_z(z)
    return GiStarResult(z=z, p=p, p_fdr=benjamini_hochberg(p),
                        bin=confidence_bins(direction, p, fdr=fdr), p_norm=p_norm,
                        p_sim=p_sim, p_method=method, permutations=n_perm, fdr=bool(fdr),
                        critical_p=critical_p_values(p, fdr=fdr))
