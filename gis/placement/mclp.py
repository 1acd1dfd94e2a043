"""The maximal covering location problem (MCLP), solved with HiGHS, and a greedy pick.

Given candidate cameras, demand points with weights and which candidates cover which
points, choose at most ``k`` candidates (at most one per site) to maximise the weight
covered (Church and ReVelle, 1974)::

    maximise   sum_i w_i y_i
    subject to y_i <= sum_{j covers i} x_j      for every demand point i
               sum_j x_j <= k
               sum_{j at site s} x_j <= 1      for every site s with several candidates
               x_j in {0, 1},  0 <= y_i <= 1

``y`` may be continuous: at an optimum each ``y_i`` is 1 exactly when some chosen
candidate covers ``i``. HiGHS (branch and cut) proves the answer optimal within a relative
gap; the greedy pick (the candidate of largest marginal gain, ``k`` times) is its
warm start and the baseline it is compared with (greedy reaches at least 1 - 1/e of the
optimum; the solver's answer is never worse than the greedy one it starts from).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from runtime.notes import Note

from gis.errors import PlacementError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PlacementSolution:
    """Chosen candidates and how good they are.

    Attributes
    ----------
    chosen : list of int
        Candidate indices, in the order of their marginal gain (largest first).
    covered : float
        Weight covered by the chosen candidates.
    bound : float
        Proven upper bound on the weight any choice covers (``covered`` for greedy).
    gap : float
        ``(bound - covered) / bound`` (0 when ``bound`` is 0).
    gains : list of float
        Marginal gain of each chosen candidate, in order.
    status : str
        ``optimal``, ``time_limit`` (the best found; gap as stated) or ``greedy``.
    seconds : float
        Time spent.
    """

    chosen: list[int]
    covered: float
    bound: float
    gap: float
    gains: list[float]
    status: str
    seconds: float


def _check(cover: sp.csr_matrix, weights: FloatArray, k: int,
           site_of: IntArray | None) -> tuple[sp.csr_matrix, FloatArray, IntArray]:
    matrix = sp.csr_matrix(cover, dtype=bool)
    weight = np.asarray(weights, dtype=np.float64)
    if matrix.shape[1] != len(weight):
        raise PlacementError(f"cover has {matrix.shape[1]} demand columns for "
                             f"{len(weight)} weights")
    if not (np.all(np.isfinite(weight)) and np.all(weight >= 0)):
        raise PlacementError("demand weights must be finite and >= 0")
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise PlacementError(f"k must be a whole number >= 1, got {k!r}", field="k")
    sites = (np.arange(matrix.shape[0], dtype=np.int64) if site_of is None
             else np.asarray(site_of, dtype=np.int64))
    if len(sites) != matrix.shape[0]:
        raise PlacementError("site_of needs one site per candidate")
    return matrix, weight, sites


def covered_weight(cover: sp.csr_matrix, weights: npt.ArrayLike, chosen: list[int]) -> float:
    """Weight of the demand points some chosen candidate covers.

    Parameters
    ----------
    cover : scipy.sparse matrix, candidates x demand points, bool
    weights : array_like of float
    chosen : list of int

    Returns
    -------
    float
    """
    if not chosen:
        return 0.0
    hit = np.asarray(sp.csr_matrix(cover, dtype=bool)[chosen].sum(axis=0)).ravel() > 0
    return float(np.asarray(weights, dtype=np.float64)[hit].sum())


def greedy_mclp(cover: sp.csr_matrix, weights: npt.ArrayLike, *, k: int,
                site_of: npt.ArrayLike | None = None) -> PlacementSolution:
    """Pick ``k`` candidates one at a time, each time the one covering most new weight.

    Parameters
    ----------
    cover : scipy.sparse matrix
        Candidates x demand points; True where the candidate covers the point.
    weights : array_like of float
        Demand weights (>= 0).
    k : int
        Candidates to pick (fewer when nothing more can be gained).
    site_of : array_like of int, optional
        The site of each candidate; at most one candidate per site is picked.

    Returns
    -------
    PlacementSolution
        ``status`` ``greedy``; ``bound`` equals ``covered`` (nothing is proven).

    Raises
    ------
    PlacementError
        Shapes that do not match, negative weights, or ``k`` < 1.
    """
    started = time.perf_counter()
    matrix, weight, sites = _check(cover, np.asarray(weights, dtype=np.float64), k,
                                   None if site_of is None else np.asarray(site_of))
    csc = matrix.tocsc()
    open_weight = weight.copy()
    gains_now = np.asarray(matrix @ open_weight).ravel()
    usable = np.ones(matrix.shape[0], dtype=bool)
    chosen: list[int] = []
    gains: list[float] = []
    for _ in range(int(k)):
        scores = np.where(usable, gains_now, -1.0)
        best = int(np.argmax(scores))
        if scores[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(scores[best]))
        points = matrix.indices[matrix.indptr[best]:matrix.indptr[best + 1]]
        newly = points[open_weight[points] > 0]
        if len(newly):
            # every candidate covering a newly covered point loses that point's weight
            sub = csc[:, newly]
            gains_now -= np.asarray(sub @ open_weight[newly]).ravel()
            open_weight[newly] = 0.0
        usable[sites == sites[best]] = False
    covered = float(sum(gains))
    return PlacementSolution(chosen, covered, covered, 0.0, gains, "greedy",
                             time.perf_counter() - started)


def solve_mclp(cover: sp.csr_matrix, weights: npt.ArrayLike, *, k: int,
               site_of: npt.ArrayLike | None = None, time_limit_s: float = 60.0,
               gap: float = 0.01,
               progress: Callable[[str, float], None] | None = None) -> PlacementSolution:
    """Solve the MCLP with HiGHS to a proven relative gap, starting from the greedy pick.

    Parameters
    ----------
    cover : scipy.sparse matrix
        Candidates x demand points; True where the candidate covers the point.
    weights : array_like of float
        Demand weights (>= 0).
    k : int
        Most candidates chosen.
    site_of : array_like of int, optional
        The site of each candidate; at most one candidate per site.
    time_limit_s : float, optional
        Stop after this long with the best answer found (status ``time_limit``).
    gap : float, optional
        Stop once the answer is proven within this relative gap of the optimum.
    progress : callable, optional
        Told ``(stage, share done)`` at each stage (``greedy``, ``model``, ``solved``) and
        at most every :data:`PROGRESS_EVERY_S` while HiGHS searches (``solving: gap …``,
        the share growing with the time spent; HiGHS offers these points between nodes).
        The stages are :class:`~runtime.notes.Note` objects (English text that can be
        worded again in another language).
        If it raises, HiGHS is interrupted at its next such point and the exception is
        raised again from here (a cancelled job stops mid-solve).

    Returns
    -------
    PlacementSolution
        The chosen candidates ordered by marginal gain, the weight covered, HiGHS's
        proven bound and gap.

    Raises
    ------
    PlacementError
        Shapes that do not match, negative weights, ``k`` < 1, or HiGHS failing.
    """
    import highspy

    started = time.perf_counter()
    matrix, weight, sites = _check(cover, np.asarray(weights, dtype=np.float64), k,
                                   None if site_of is None else np.asarray(site_of))
    greedy = greedy_mclp(matrix, weight, k=k, site_of=sites)
    if progress is not None:
        progress(Note("greedy"), 0.1)
    reachable = np.flatnonzero(np.asarray(matrix.sum(axis=0)).ravel() > 0)
    reachable = reachable[weight[reachable] > 0]
    total = float(weight[reachable].sum())
    if total == 0.0 or len(greedy.chosen) == 0:
        return PlacementSolution([], 0.0, 0.0, 0.0, [], "optimal",
                                 time.perf_counter() - started)
    model = _model(highspy, matrix[:, reachable], weight[reachable], int(k), sites)
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", float(time_limit_s))
    solver.setOptionValue("mip_rel_gap", float(gap))
    solver.setOptionValue("threads", 1)
    solver.passModel(model)
    start = np.zeros(model.num_col_)
    start[greedy.chosen] = 1.0
    covered_now = np.asarray(matrix[greedy.chosen][:, reachable].sum(axis=0)).ravel() > 0
    start[matrix.shape[0]:] = covered_now
    solution = highspy.HighsSolution()
    solution.col_value = list(start)
    solution.value_valid = True
    solver.setSolution(solution)
    if progress is not None:
        progress(Note("model"), 0.2)
    stopped = _report_while_solving(solver, progress, time_limit_s=float(time_limit_s))
    solver.run()
    if stopped:  # the progress callable raised (a cancelled job): HiGHS was interrupted
        raise stopped[0]
    status = solver.getModelStatus()
    values = np.asarray(solver.getSolution().col_value[:matrix.shape[0]])
    chosen = [int(j) for j in np.flatnonzero(values > 0.5)]
    info = solver.getInfo()
    if status not in (highspy.HighsModelStatus.kOptimal,
                      highspy.HighsModelStatus.kTimeLimit) or not chosen:
        raise PlacementError(f"HiGHS did not solve the placement: "
                             f"{solver.modelStatusToString(status)}")
    ordered, gains = _by_gain(matrix, weight, chosen)
    covered = float(sum(gains))
    if covered < greedy.covered - 1e-9:  # never worse than the start it was given
        ordered, gains, covered = greedy.chosen, greedy.gains, greedy.covered
    bound = max(float(info.mip_dual_bound), covered)
    if progress is not None:
        progress(Note("solved"), 1.0)
    return PlacementSolution(
        ordered, covered, bound, (bound - covered) / bound if bound > 0 else 0.0, gains,
        "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit",
        time.perf_counter() - started)


PROGRESS_EVERY_S = 1.0
"""Seconds between progress reports while HiGHS searches."""


def _report_while_solving(solver: Any, progress: Callable[[str, float], None] | None, *,
                          time_limit_s: float) -> list[BaseException]:
    """Report the gap from HiGHS's MIP interrupt callback; stop when ``progress`` raises.

    HiGHS calls it between its steps (presolve, nodes), not during a long root node, so
    reports may be sparse. The exception is kept in the returned list, to raise after.
    """
    raised: list[BaseException] = []
    if progress is None:
        return raised
    last = [float("-inf")]

    def on_interrupt(event: Any) -> None:
        if raised:
            event.interrupt()
            return
        now = time.perf_counter()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        out = event.data_out
        share = min(1.0, float(out.running_time) / time_limit_s) if time_limit_s > 0 else 0.0
        gap = float(out.mip_gap)
        percent = f"{100 * gap:.1f}"
        stage = Note("solving: gap %(gap)s %%", gap=percent) if np.isfinite(gap) else \
            Note("solving")
        try:
            progress(stage, 0.2 + 0.75 * share)
        except BaseException as exc:  # noqa: BLE001 - kept and raised after HiGHS stops
            raised.append(exc)
            event.interrupt()

    solver.cbMipInterrupt += on_interrupt
    return raised


def _model(highspy: Any, cover: sp.csr_matrix, weight: FloatArray, k: int,
           sites: IntArray) -> Any:
    """The MCLP as a HiGHS model (columns: candidates then demand points)."""
    candidates, demand = cover.shape
    shared = np.flatnonzero(np.bincount(sites) > 1)
    site_rows = sp.csr_matrix(
        (np.ones(int(np.isin(sites, shared).sum())),
         (np.searchsorted(shared, sites[np.isin(sites, shared)]),
          np.flatnonzero(np.isin(sites, shared)))), shape=(len(shared), candidates))
    matrix = sp.vstack([
        sp.hstack([-cover.T.astype(np.float64), sp.identity(demand)]),
        sp.hstack([sp.csr_matrix(np.ones((1, candidates))), sp.csr_matrix((1, demand))]),
        sp.hstack([site_rows, sp.csr_matrix((len(shared), demand))]),
    ]).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = candidates + demand
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.concatenate([np.zeros(candidates), weight])
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.ones(lp.num_col_)
    lp.row_lower_ = np.full(lp.num_row_, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(demand), [float(k)], np.ones(len(shared))])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = ([highspy.HighsVarType.kInteger] * candidates
                       + [highspy.HighsVarType.kContinuous] * demand)
    return lp


def _by_gain(matrix: sp.csr_matrix, weight: FloatArray,
             chosen: list[int]) -> tuple[list[int], list[float]]:
    """The chosen candidates re-ordered greedily among themselves, with marginal gains."""
    sub = greedy_mclp(matrix[chosen], weight, k=len(chosen))
    order = [chosen[i] for i in sub.chosen]
    rest = [j for j in chosen if j not in order]  # adds nothing beyond the others
    return order + rest, sub.gains + [0.0] * len(rest)
