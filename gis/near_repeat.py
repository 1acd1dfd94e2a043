"""Near-repeat analysis: the Knox test with Monte-Carlo permutations.

This is the test behind Ratcliffe's Near Repeat Calculator (NRC): every pair of events is
placed in a cell of a distance band x time band table; the observed count of each cell is
compared with the counts obtained after shuffling the times among the events.

Conventions
-----------
* **Pairs.** Every unordered pair of distinct events (rows) counts once: ``n (n - 1) / 2``
  pairs. Two rows at the same place and the same time are a pair at distance 0 and time
  difference 0, counted in the first distance and the first time band; nothing is
  de-duplicated (drop repeated rows of one incident, e.g. one per offence code, first).
* **Bands are half-open**, ``[lower, upper)``: ``distance_bands_m`` and ``time_bands_days``
  list the upper edges, strictly increasing and positive; the first band starts at 0 and
  a final band ``[last edge, inf)`` holds everything beyond. This is what the NRC computes:
  Steenbeek's comparison (R package ``NearRepeat``, vignette "NRC") shows that its band
  labelled "8 to 14" days holds pairs 7-13 days apart, i.e. ``[7, 14)``, and its "101 to
  200" metres holds ``[100, 200)``. The labels here say ``[7, 14) d`` instead.
* **Same location.** The NRC adds a band "same location", ``[0, 1)`` metres, before its
  equal bands. Ask for it with a first edge of 1 m:
  ``distance_bands_m=(1.0, *equal_bands(n=3, width=100.0))`` gives the NRC table
  "same location / 1 to 100 / 101 to 200 / 201 to 300 / more than 300".
* **Distance** is measured between projected coordinates in metres, Euclidean (default)
  or Manhattan ``|dx| + |dy|`` (the NRC's default).
* **Time.** ``t_days`` may hold fractions of days. The NRC reads dates, so its time
  differences are whole days; :func:`near_repeat_events` does the same by default
  (calendar dates), so ``[0, 7)`` means 0-6 days apart.
* **Permutations.** Permutation ``k`` is the ``k``-th ``rng.permutation(n)`` drawn from
  ``numpy.random.default_rng(seed)``; event ``i`` takes the time of event ``perm[i]``
  while keeping its place. ``expected`` is the mean count over the permutations,
  ``ratio = observed / expected`` (the Knox ratio; NaN where ``expected`` is 0) and
  ``p_value = (#{permutations with count >= observed} + 1) / (permutations + 1)``.

How it is fast
--------------
Distances do not change under a permutation of times: the pairs closer than the last
distance edge are found once (k-d tree). Nor does the multiset of all pairwise time
differences: the per-time-band totals over all pairs are counted once from sorted times,
and the "beyond" row is that total minus the near rows. Per permutation only the near
pairs are re-binned, exactly, whichever way is cheaper: per pair (gather, bin, bincount),
or, when events share few distinct times (dates) and places, by classes: with ``H`` the
location x time-value counts and ``W_d`` the location pairs in distance band ``d``, a row
of the table is ``H.T @ W_d @ H`` summed over the cells of each time band.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
from runtime.notes import Note
from scipy import sparse
from scipy.spatial import cKDTree

from gis.crs import require_crs, to_metric
from gis.errors import (
    EmptyInputError,
    GeometryTypeError,
    InvalidGeometryError,
    InvalidTimeResolutionError,
    InvalidValuesError,
    MissingColumnError,
    NearRepeatParameterError,
)

logger = logging.getLogger(__name__)

Metric = Literal["euclidean", "manhattan"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Counter = Callable[[IntArray], FloatArray]

RESOLUTIONS = ("month", "day", "minute")
"""Time resolutions (``time_resolution`` of :mod:`gis.incidents`), coarse to fine."""
_CHUNK_ELEMENTS = {"pairs": 1 << 21, "classes": 1 << 19}  # per chunk of permutations
_FLOAT32_MAX_PER_TIME = 2048  # class counts are exact in float32 up to this many per time
_PAIR_COST = 16.0  # re-binning one near pair costs about this many class-path operations
_MAX_CLASS_TIMES = 1024  # the class path keeps (distinct times)**2 cells per band


# -- results -------------------------------------------------------------------------------

def _labels(edges: FloatArray, unit: str) -> list[str]:
    bounds = [0.0, *edges.tolist(), float("inf")]
    return [f"[{lo:g}, {hi:g}) {unit}" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


@dataclass(frozen=True, eq=False)
class KnoxResult:
    """The Knox table: (n_dist + 1) x (n_time + 1) cells, the last row/column "beyond".

    Attributes
    ----------
    distance_edges_m, time_edges_days : numpy.ndarray
        Upper band edges in metres and days; bands are ``[previous edge, edge)``.
    observed : numpy.ndarray of int64
        Pairs of events in each cell.
    permuted : numpy.ndarray of int64, shape (permutations, n_dist + 1, n_time + 1)
        The same counts after each permutation of the times.
    expected, ratio, p_value : numpy.ndarray of float64
        Mean permuted count, Knox ratio, Monte-Carlo p-value (see the module docstring).
    """

    distance_edges_m: FloatArray
    time_edges_days: FloatArray
    observed: IntArray
    permuted: IntArray
    events: int
    permutations: int
    seed: int
    metric: Metric
    expected: FloatArray = field(init=False)
    ratio: FloatArray = field(init=False)
    p_value: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        expected = self.permuted.mean(axis=0)
        ratio = np.divide(self.observed, expected, out=np.full(expected.shape, np.nan),
                          where=expected > 0)
        at_least = (self.permuted >= self.observed).sum(axis=0)
        p_value = (at_least + 1.0) / (self.permutations + 1.0)
        for name, value in (("expected", expected), ("ratio", ratio), ("p_value", p_value)):
            object.__setattr__(self, name, value)
        for frozen in (self.distance_edges_m, self.time_edges_days, self.observed,
                       self.permuted, expected, ratio, p_value):
            frozen.setflags(write=False)

    @property
    def near_pairs(self) -> int:
        """Pairs closer than the last distance edge (all time differences)."""
        return int(self.observed[:-1].sum())

    @property
    def total_pairs(self) -> int:
        """All pairs of events, ``n (n - 1) / 2``."""
        return int(self.observed.sum())

    def distance_labels(self) -> list[str]:
        """Row labels, e.g. ``["[0, 100) m", ..., "[1000, inf) m"]``."""
        return _labels(self.distance_edges_m, "m")

    def time_labels(self) -> list[str]:
        """Column labels, e.g. ``["[0, 1) d", ..., "[10, inf) d"]``."""
        return _labels(self.time_edges_days, "d")

    def band_table(self) -> list[dict[str, Any]]:
        """One dict per cell, row by row: distance, time, observed, expected, ratio, p_value."""
        return [{"distance": d_label, "time": t_label, "observed": int(self.observed[i, j]),
                 "expected": float(self.expected[i, j]), "ratio": float(self.ratio[i, j]),
                 "p_value": float(self.p_value[i, j])}
                for i, d_label in enumerate(self.distance_labels())
                for j, t_label in enumerate(self.time_labels())]


# -- numeric core --------------------------------------------------------------------------

def equal_bands(*, n: int, width: float) -> tuple[float, ...]:
    """Upper edges of ``n`` equal bands: ``(width, 2 * width, ..., n * width)``.

    Parameters
    ----------
    n : int
        Number of bands (the NRC uses 1-10).
    width : float
        Band width, in the unit of the option it is passed to (metres or days).

    Raises
    ------
    NearRepeatParameterError
        ``n`` is not a positive integer or ``width`` not a finite positive number.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise NearRepeatParameterError(f"the number of bands must be a positive int, not {n!r}")
    if not np.isfinite(width) or width <= 0:
        raise NearRepeatParameterError(f"the band width must be finite and > 0, not {width!r}")
    return tuple(float(width) * k for k in range(1, int(n) + 1))


def _edges(values: Sequence[float], *, what: str) -> FloatArray:
    edges = np.array(values, dtype=np.float64)  # a copy: the result freezes it
    if (edges.ndim != 1 or edges.size == 0 or not np.all(np.isfinite(edges))
            or edges[0] <= 0 or np.any(np.diff(edges) <= 0)):
        raise NearRepeatParameterError(
            f"{what} must be finite, positive, strictly increasing upper edges; got {values!r}")
    return edges


def _distances(dx: FloatArray, dy: FloatArray, metric: Metric) -> FloatArray:
    return np.abs(dx) + np.abs(dy) if metric == "manhattan" else np.hypot(dx, dy)


def _band(edges: FloatArray, values: FloatArray) -> IntArray:
    """Band index of each value: ``k`` where ``edges[k-1] <= value < edges[k]``."""
    return np.searchsorted(edges, values, side="right").astype(np.int64)


def _pairs_within(x: FloatArray, y: FloatArray, limit_m: float,
                  metric: Metric) -> tuple[IntArray, FloatArray]:
    """Pairs ``(i, j)``, ``i < j``, closer than ``limit_m``, with their distances."""
    tree = cKDTree(np.column_stack([x, y]))
    radius = limit_m * (1.0 + 1e-9) + 1e-9  # the exact test follows; the tree may round
    pairs = tree.query_pairs(radius, p=1.0 if metric == "manhattan" else 2.0,
                             output_type="ndarray").astype(np.int64)
    distance = _distances(x[pairs[:, 1]] - x[pairs[:, 0]], y[pairs[:, 1]] - y[pairs[:, 0]],
                          metric)
    keep = distance < limit_m
    return pairs[keep], distance[keep]


def _pairs_closer_in_time(t: FloatArray, edges: FloatArray) -> IntArray:
    """Count all pairs by time band without listing them (sorted distinct times)."""
    values, counts = np.unique(t, return_counts=True)
    before = np.concatenate([[0], np.cumsum(counts)])
    size, index = values.size, np.arange(values.size)
    closer = []  # pairs with |dt| < edge, for each edge
    for edge in edges:
        end = np.maximum(np.searchsorted(values, values + edge, side="left"), index + 1)
        while True:  # make values[end] - values >= edge > values[end - 1] - values exact
            back = (end > index + 1) & (values[end - 1] - values >= edge)
            ahead = (end < size) & (values[np.minimum(end, size - 1)] - values < edge)
            if not (back.any() or ahead.any()):
                break
            end = end - back + ahead
        closer.append(int((counts * (counts - 1) // 2).sum()
                          + (counts * (before[end] - before[index + 1])).sum()))
    total = t.size * (t.size - 1) // 2
    bounds: IntArray = np.array([0, *closer, total], dtype=np.int64)
    return bounds[1:] - bounds[:-1]


def _pair_counter(x: FloatArray, y: FloatArray, t: FloatArray, dist_edges: FloatArray,
                  time_edges: FloatArray, metric: Metric) -> Counter:
    """Per pair: gather permuted times of the near pairs, bin them, bincount."""
    pairs, distance = _pairs_within(x, y, float(dist_edges[-1]), metric)
    first, second = pairs[:, 0], pairs[:, 1]
    row_base = _band(dist_edges, distance) * (time_edges.size + 1)
    cells = dist_edges.size * (time_edges.size + 1)

    def count(perms: IntArray) -> FloatArray:
        times = t[perms]
        bins = _band(time_edges, np.abs(times[:, first] - times[:, second]))
        code = (np.arange(len(perms))[:, None] * cells + row_base) + bins
        flat = np.bincount(code.ravel(), minlength=len(perms) * cells)
        return flat.reshape(len(perms), dist_edges.size, -1).astype(np.float64)
    return count


def _class_counter(location_of: IntArray, location_pairs: IntArray, pair_band: IntArray,
                   locations: int, t: FloatArray, dist_edges: FloatArray,
                   time_edges: FloatArray) -> Counter:
    """By classes: ``H.T @ W_d @ H`` on location x distinct-time counts.

    For a chunk of ``P`` permutations ``H`` is dense, rows = locations, columns =
    (permutation, time value); ``H.T`` is sparse, rows = (permutation, time value), columns
    = (location, permutation). ``W`` stacks the distance bands' location pairs, each
    unordered pair once. Sparse products only, so no BLAS threads fight over the cores.
    Every entry is an integer below ``3 c**2`` (``c``: most events sharing one time), so
    float32 is exact while ``c <= 2048``; float64 otherwise.
    """
    values, time_of, per_time = np.unique(t, return_inverse=True, return_counts=True)
    n_times, n_dist, n_bands = values.size, dist_edges.size, time_edges.size + 1
    dtype = np.float32 if int(per_time.max()) <= _FLOAT32_MAX_PER_TIME else np.float64
    cell_band = _band(time_edges, np.abs(values[:, None] - values[None, :])).ravel()
    w = sparse.csr_matrix((np.full(len(location_pairs), 2.0, dtype=dtype),
                           (pair_band * locations + location_pairs[:, 0], location_pairs[:, 1])),
                          shape=(n_dist * locations, locations))

    def count(perms: IntArray) -> FloatArray:
        n_perms = len(perms)
        row = (np.arange(n_perms)[:, None] * n_times + time_of[perms]).ravel()
        column = (location_of * n_perms + np.arange(n_perms)[:, None]).ravel()
        h = np.bincount(column * n_times + row % n_times,
                        minlength=locations * n_perms * n_times).astype(dtype)
        h_t = sparse.csr_matrix((np.ones(row.size, dtype=dtype), (row, column)),
                                shape=(n_perms * n_times, locations * n_perms))
        # twice the pairs at distinct locations (W holds 2), ...
        g = (w @ h.reshape(locations, n_perms * n_times)).reshape(n_dist, -1, n_times)
        twice = np.stack([h_t @ g[d] for d in range(n_dist)])
        # ... plus the ordered pairs at one location, each event with itself included
        twice[0] += h_t @ h.reshape(-1, n_times)
        index = ((np.arange(n_dist)[:, None] * n_perms + np.arange(n_perms))[:, :, None]
                 * n_bands + cell_band)
        flat = np.bincount(index.ravel(), weights=twice.ravel(),
                           minlength=n_dist * n_perms * n_bands)
        out = flat.reshape(n_dist, n_perms, n_bands).transpose(1, 0, 2)
        out[:, 0, 0] -= location_of.size  # the n events paired with themselves
        return out / 2.0
    return count


def _counter(x: FloatArray, y: FloatArray, t: FloatArray, dist_edges: FloatArray,
             time_edges: FloatArray, metric: Metric) -> tuple[Counter, int]:
    """Choose the cheaper exact way of counting near pairs, and permutations per chunk."""
    locations, location_of = np.unique(np.column_stack([x, y]), axis=0, return_inverse=True)
    location_of = location_of.ravel().astype(np.int64)
    pairs, distance = _pairs_within(locations[:, 0], locations[:, 1], float(dist_edges[-1]),
                                    metric)
    per_location = np.bincount(location_of, minlength=len(locations))
    event_pairs = int((per_location[pairs[:, 0]] * per_location[pairs[:, 1]]).sum()
                      + (per_location * (per_location - 1) // 2).sum())
    n_times, n_dist, m = np.unique(t).size, dist_edges.size, len(locations)
    # Cost per permutation in class-path operations (sparse products of float32 counts).
    class_cost = n_times * (len(pairs) + t.size * n_dist + m)
    if n_times <= _MAX_CLASS_TIMES and class_cost < _PAIR_COST * event_pairs:
        logger.debug("knox: %d locations x %d times (%d location pairs)", m, n_times,
                     len(pairs))
        return (_class_counter(location_of, pairs, _band(dist_edges, distance), m, t,
                               dist_edges, time_edges),
                max(1, _CHUNK_ELEMENTS["classes"] // max(m * n_times, n_dist * n_times**2)))
    logger.debug("knox: %d near pairs of events", event_pairs)
    return (_pair_counter(x, y, t, dist_edges, time_edges, metric),
            max(1, _CHUNK_ELEMENTS["pairs"] // max(1, event_pairs)))


def knox_test(x_m: npt.ArrayLike, y_m: npt.ArrayLike, t_days: npt.ArrayLike, *,
              distance_bands_m: Sequence[float], time_bands_days: Sequence[float],
              permutations: int = 999, seed: int = 0,
              metric: Metric = "euclidean",
              progress: Callable[[float, str], None] | None = None) -> KnoxResult:
    """Run the Knox test for near repeats with Monte-Carlo permutations of the times.

    Parameters
    ----------
    x_m, y_m : array_like
        Event coordinates in metres in a projected CRS (e.g. the local UTM zone).
    t_days : array_like
        Event times in days from any origin (whole days for dates; fractions allowed).
    distance_bands_m : sequence of float
        Upper edges of the distance bands in metres, e.g. ``equal_bands(n=10, width=100)``;
        prepend ``1.0`` for the NRC's "same location" band (see the module docstring).
    time_bands_days : sequence of float
        Upper edges of the time bands in days.
    permutations : int, default 999
        Number of Monte-Carlo permutations of the times (at least 1).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives the same permutations.
    metric : {"euclidean", "manhattan"}, default "euclidean"
        Distance between two events.
    progress : callable, optional
        Called as ``progress(fraction, message)`` after each chunk of permutations
        (``fraction`` 0-1 of the permutations done; the message a
        :class:`~runtime.notes.Note`). An exception it raises (a job's cancellation) ends
        the test there.

    Returns
    -------
    KnoxResult
        Observed and permuted counts, expected counts, Knox ratios and p-values, each
        ``(len(distance_bands_m) + 1, len(time_bands_days) + 1)``; bands ``[lower, upper)``.

    Raises
    ------
    NearRepeatParameterError
        Bad bands, permutations, seed, metric, or arrays of different lengths.
    InvalidGeometryError, InvalidValuesError, EmptyInputError
        A coordinate or a time is not finite; fewer than two events.
    """
    x, y, t = (np.asarray(v, dtype=np.float64).ravel() for v in (x_m, y_m, t_days))
    if not x.size == y.size == t.size:
        raise NearRepeatParameterError(
            f"x_m, y_m and t_days differ in length ({x.size}, {y.size}, {t.size})")
    if x.size < 2:
        raise EmptyInputError(f"the Knox test needs at least two events, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InvalidGeometryError("event coordinates must be finite metres")
    if not np.all(np.isfinite(t)):
        raise InvalidValuesError("event times must be finite numbers of days")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise NearRepeatParameterError(f"permutations must be an int >= 1, not {permutations!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise NearRepeatParameterError(f"seed must be an int, not {seed!r}")
    if metric not in ("euclidean", "manhattan"):
        raise NearRepeatParameterError(f"metric must be 'euclidean' or 'manhattan', not {metric!r}")
    dist_edges = _edges(distance_bands_m, what="distance_bands_m")
    time_edges = _edges(time_bands_days, what="time_bands_days")

    totals = _pairs_closer_in_time(t, time_edges)
    count, chunk = _counter(x, y, t, dist_edges, time_edges, metric)
    rng = np.random.default_rng(seed)
    near = [count(np.arange(x.size, dtype=np.int64)[None, :])]
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        near.append(count(np.stack([rng.permutation(x.size) for _ in range(size)])))
        if progress is not None:
            progress((start + size) / permutations,
                     Note("%(done)s of %(total)s permutations", done=start + size,
                          total=permutations))
    near_counts = np.rint(np.concatenate(near)).astype(np.int64)
    beyond = totals[None, None, :] - near_counts.sum(axis=1, keepdims=True)
    table = np.concatenate([near_counts, beyond], axis=1)
    return KnoxResult(distance_edges_m=dist_edges, time_edges_days=time_edges,
                      observed=table[0], permuted=table[1:], events=int(x.size),
                      permutations=permutations, seed=int(seed), metric=metric)


# -- GeoDataFrame adapter ------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class NearRepeatEvents:
    """Events ready for :func:`knox_test`: metres in ``crs``, days since ``origin``.

    ``too_coarse`` rows were left out for a time resolution coarser than a day, ``missing``
    rows for having no time; both are counted, never silently dropped.
    """

    x_m: FloatArray
    y_m: FloatArray
    t_days: FloatArray
    crs: pyproj.CRS
    origin: pd.Timestamp
    too_coarse: int
    missing: int


def near_repeat_events(gdf: gpd.GeoDataFrame, *, time_column: str,
                       resolution_column: str | None = "time_resolution",
                       whole_days: bool = True, metric_crs: Any = None) -> NearRepeatEvents:
    """Prepare point events for :func:`knox_test`: project them and express times in days.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Point events in any CRS (which must be set).
    time_column : str
        Column of datetimes. Dates are read in the timestamps' own zone: convert aware
        ones to the local zone first (``dt.tz_convert``); naive ones are local wall time.
    resolution_column : str or None, default "time_resolution"
        Each row's time resolution, one of :data:`RESOLUTIONS`; ``"month"`` rows are left
        out (near repeats need the day). None: every row is a day or finer.
    whole_days : bool, default True
        Calendar dates, as the NRC reads, so differences are whole days; False: elapsed
        time in fractions of days.
    metric_crs : pyproj.CRS or anything pyproj accepts, optional
        Projected CRS in metres; default the local UTM zone (:func:`gis.crs.metric_crs_for`).

    Returns
    -------
    NearRepeatEvents
        Metres, days since the earliest kept event, and the counts of rows left out.

    Raises
    ------
    MissingCrsError, CrsError
        No CRS on ``gdf``; a ``metric_crs`` not in metres.
    MissingColumnError
        ``time_column`` or ``resolution_column`` is absent.
    InvalidValuesError, InvalidTimeResolutionError
        ``time_column`` does not hold datetimes; a resolution is not in :data:`RESOLUTIONS`.
    GeometryTypeError, InvalidGeometryError, EmptyInputError
        A geometry is not a point, or is missing or empty; no row is left.
    """
    require_crs(gdf, what="the events")
    for column in (time_column, resolution_column):
        if column is not None and column not in gdf.columns:
            raise MissingColumnError(f"the events have no column {column!r}")
    if not pd.api.types.is_datetime64_any_dtype(gdf[time_column]):
        raise InvalidValuesError(f"column {time_column!r} does not hold datetimes")
    present = gdf[time_column].notna().to_numpy()
    fine = present
    if resolution_column is not None:
        resolution = gdf[resolution_column]
        unknown = present & ~resolution.isin(RESOLUTIONS).to_numpy(dtype=bool)
        if unknown.any():
            raise InvalidTimeResolutionError(
                f"unknown time resolution(s) {sorted(set(map(repr, resolution[unknown])))}; "
                f"expected one of {list(RESOLUTIONS)}")
        fine = present & resolution.isin(("day", "minute")).to_numpy(dtype=bool)
    events = gdf.loc[fine]
    if events.empty:
        raise EmptyInputError("no events with a time of day or date resolution")
    if events.geometry.isna().any() or events.geometry.is_empty.any():
        raise InvalidGeometryError("some events have a missing or empty geometry")
    if (events.geom_type != "Point").any():
        raise GeometryTypeError("near-repeat events must be points")
    times = events[time_column]
    if whole_days:
        dates = (times.dt.tz_localize(None) if times.dt.tz is not None else times).dt.normalize()
        origin, t_days = dates.min(), (dates - dates.min()).dt.days.to_numpy(np.float64)
    else:
        origin = times.min()
        t_days = ((times - origin) / pd.Timedelta(days=1)).to_numpy(np.float64)
    projected = to_metric(events, metric_crs=metric_crs, require_wgs84_input=False)
    too_coarse, missing = int((present & ~fine).sum()), int((~present).sum())
    if too_coarse or missing:
        logger.info("near-repeat: of %d events, %d left out (coarser than a day), %d without "
                    "a time", len(gdf), too_coarse, missing)
    return NearRepeatEvents(x_m=projected.geometry.x.to_numpy(np.float64),
                            y_m=projected.geometry.y.to_numpy(np.float64), t_days=t_days,
                            crs=pyproj.CRS(projected.crs), origin=pd.Timestamp(origin),
                            too_coarse=too_coarse, missing=missing)
