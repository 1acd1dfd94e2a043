"""Local Moran's I: clusters (HH, LL) and outliers (HL, LH) of values over grid cells.

A thin layer over ``esda.Moran_Local`` with row-standardised weights: Anselin's (1995)
``I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2`` with ``z`` the values standardised
and ``w`` the binary weights divided by each row's neighbour count. Quadrants are esda's:
HH (high value, high neighbours), LH, LL, HL.

Significance, as the references decide it: both esda's ``Moran_Local`` and Esri's
Cluster and Outlier Analysis take the p-value from conditional permutations (esda 999 by
default, Esri 499), not from a normal approximation (esda: "we recommend using EI_sim,
not EI"). Esri reports the **two-sided** pseudo p-value, twice the folded count
(``twoSidedPermPV`` in its ``Stats.py``), and labels COType at 95 % confidence, with an
optional FDR correction (off by default). esda's ``p_sim`` is the folded value; esda warns
that its default is moving to a two-sided alternative and calls the folded one
"uniformly too small". So a cell is labelled here when the two-sided ``p = min(1,
2 p_sim)`` is at most ``alpha`` (0.05), FDR-corrected over all cells when ``fdr`` is true
(:mod:`gis.hotspots.significance`); ``p_sim`` itself is kept for comparison with esda.

Three things differ from calling esda directly:

* ``p_sim`` is recomputed from esda's simulations counting ties on both sides, as in
  :mod:`gis.hotspots.permutation`: esda counts a tie as "larger" only, so on count data a
  high cell among all-zero neighbours gets ``p = 1 / (P + 1)`` whatever the chance of an
  all-zero random neighbourhood. Without ties the two agree.
* esda runs single-process here (``n_jobs=1``: no worker processes inside a web worker),
  its deprecation notice about the ``alternative`` argument and its 0/0 in ``z_sim`` are
  silenced, and its process-wide ``simplefilter("always", SparseEfficiencyWarning)`` is
  undone on return.
* Constant values (no variance) give ``I = 0``, ``z = 0``, ``p_sim = 1`` for every cell
  instead of NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from gis.errors import InvalidValuesError
from gis.hotspots.gi_star import DEFAULT_PERMUTATIONS, check_binary_weights, check_values
from gis.hotspots.permutation import folded_pseudo_p
from gis.hotspots.significance import (
    benjamini_hochberg,
    check_alpha,
    check_permutations,
    two_sided_from_folded,
)
from gis.hotspots.weights import to_libpysal

FloatArray = npt.NDArray[np.float64]
Quadrant = Literal["HH", "LH", "LL", "HL", "not significant"]

NOT_SIGNIFICANT = "not significant"
_ESDA_QUADRANTS = np.array(["", "HH", "LH", "LL", "HL"])  # esda's q 1..4 (not GeoDa's)
_TIE_RTOL = 1e-9


@dataclass(frozen=True)
class LocalMoranResult:
    """Local Moran's I per cell, in the order of the values.

    Attributes
    ----------
    i : numpy.ndarray of float64
        Local Moran's I (> 0: like neighbours, a cluster; < 0: unlike, an outlier).
    z : numpy.ndarray of float64
        I standardised by the permutation distribution (esda's ``z_sim``); 0 where that
        distribution has no spread.
    p_sim : numpy.ndarray of float64
        Folded conditional-permutation pseudo p-value, ties counted on both sides
        (esda's ``p_sim``).
    p : numpy.ndarray of float64
        Two-sided pseudo p-value ``min(1, 2 p_sim)`` (Esri's), the one decided on.
    p_fdr : numpy.ndarray of float64
        Benjamini-Hochberg adjusted ``p``.
    quadrant : numpy.ndarray of str
        "HH", "LH", "LL", "HL" where ``p`` (``p_fdr`` with FDR) is at most ``alpha``,
        else "not significant".
    alpha : float
    permutations : int
    fdr : bool
    """

    i: FloatArray
    z: FloatArray
    p_sim: FloatArray
    p: FloatArray
    p_fdr: FloatArray
    quadrant: npt.NDArray[np.str_]
    alpha: float
    permutations: int
    fdr: bool

    def as_frame(self, index: Any = None) -> pd.DataFrame:
        """Columns ``lisa_i, lisa_z, lisa_p, lisa_p_fdr, lisa_p_sim, lisa_quadrant``."""
        return pd.DataFrame({"lisa_i": self.i, "lisa_z": self.z, "lisa_p": self.p,
                             "lisa_p_fdr": self.p_fdr, "lisa_p_sim": self.p_sim,
                             "lisa_quadrant": self.quadrant}, index=index)


def _run_esda(y: FloatArray, weights: Any, *, permutations: int, seed: int | None) -> Any:
    from esda.moran import Moran_Local  # optional dependency, only for this module

    # esda's crand announces a future change of its default alternative hypothesis; its
    # z_sim divides 0 by 0 where a cell's simulated I has no spread (a value equal to the
    # mean). z is recomputed in local_moran.
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional",
                                category=DeprecationWarning)
        return Moran_Local(y, to_libpysal(weights), transformation="r",
                           permutations=permutations, n_jobs=1, keep_simulations=True,
                           seed=seed)


def local_moran(values: npt.ArrayLike, weights: Any, *, alpha: float = 0.05,
                permutations: int = DEFAULT_PERMUTATIONS, seed: int | None = None,
                fdr: bool = False) -> LocalMoranResult:
    """Local Moran's I clusters and outliers (LISA) with row-standardised weights.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Value per cell, e.g. incident counts.
    weights : scipy.sparse matrix or array, shape (n, n)
        Binary weights with a zero diagonal, rows aligned with ``values``; they are
        row-standardised here.
    alpha : float, default 0.05
        A cell gets a quadrant label when its two-sided pseudo p-value is at most
        ``alpha`` (95 % confidence, as Esri's COType).
    permutations : int, default 999
        Conditional permutations (at least 1).
    seed : int, optional
        Makes ``p_sim`` reproducible (passed to esda).
    fdr : bool, default False
        Esri's FDR correction (Benjamini-Hochberg at ``alpha`` over all cells).

    Returns
    -------
    LocalMoranResult

    Raises
    ------
    InvalidValuesError, InvalidWeightsError, InvalidTestSettingError
        Bad values or weights (see :func:`gis.hotspots.gi_star.gi_star`); ``alpha`` not in
        (0, 1); ``permutations`` < 1.
    """
    y = check_values(values)
    n = len(y)
    if n < 3:
        raise InvalidValuesError(f"local Moran's I needs at least 3 cells, got {n}")
    w = check_binary_weights(weights, n)
    level = check_alpha(alpha)
    n_perm = check_permutations(permutations)
    if n_perm == 0:
        raise InvalidValuesError("local Moran's I needs permutations >= 1 for p_sim")
    if np.ptp(y) == 0.0:
        return LocalMoranResult(i=np.zeros(n), z=np.zeros(n), p_sim=np.ones(n),
                                p=np.ones(n), p_fdr=np.ones(n),
                                quadrant=np.full(n, NOT_SIGNIFICANT), alpha=level,
                                permutations=n_perm, fdr=bool(fdr))
    moran = _run_esda(y, w, permutations=n_perm, seed=seed)
    local_i = np.asarray(moran.Is, dtype=np.float64)
    simulated = np.asarray(moran.sim, dtype=np.float64).reshape(n_perm, n)
    tolerance = _TIE_RTOL * np.maximum(np.abs(local_i), 1e-12)
    above = (simulated >= local_i - tolerance).sum(axis=0)
    below = (simulated <= local_i + tolerance).sum(axis=0)
    p_sim = folded_pseudo_p(above, below, permutations=n_perm)
    spread = simulated.std(axis=0)
    z = np.divide(local_i - simulated.mean(axis=0), spread, out=np.zeros(n), where=spread > 0)
    labels = _ESDA_QUADRANTS[np.asarray(moran.q, dtype=np.int64)]
    p = two_sided_from_folded(p_sim)
    p_fdr = benjamini_hochberg(p)
    passed = (p_fdr if fdr else p) <= level
    quadrant = np.where(passed, labels, NOT_SIGNIFICANT).astype(str)
    return LocalMoranResult(i=local_i, z=z.astype(np.float64), p_sim=p_sim, p=p,
                            p_fdr=p_fdr, quadrant=quadrant, alpha=level,
                            permutations=n_perm, fdr=bool(fdr))
