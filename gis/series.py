"""Crime series and repeats: the hours that matter, and incidents grouped by place.

A series strikes at certain hours; a camera on a corridor between two incidents matters
around the hours those incidents happened. :func:`hour_ranges` turns a set of hours of the
day into ranges on the 24-hour clock, each hour widened on both sides and overlapping
ranges merged (a range may run past midnight: ``(22, 2)`` is 22:00–02:00).
:func:`linked_groups` groups places closer than a distance to each other (single
linkage): one patrol point per group.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

HOURS_PER_DAY = 24


def hour_ranges(hours: Iterable[int], *, widen_h: int = 1) -> list[tuple[int, int]]:
    """Hours of the day as ranges on the 24-hour clock, widened and merged.

    Parameters
    ----------
    hours : iterable of int
        Hours of the day, 0-23 (repeats allowed).
    widen_h : int, optional
        Hours added before and after each hour (0: the hour itself only).

    Returns
    -------
    list of tuple of int
        ``(start, end)`` ranges in hours, ``end`` exclusive, sorted by start; a range that
        runs past midnight has ``end < start`` (``(22, 2)``); ``[(0, 24)]`` when every hour
        is covered; empty for no hours.

    Raises
    ------
    ValueError
        An hour outside 0-23 or a negative ``widen_h``.
    """
    if widen_h < 0:
        raise ValueError("widen_h must not be negative")
    covered = [False] * HOURS_PER_DAY
    for hour in hours:
        if not 0 <= int(hour) < HOURS_PER_DAY:
            raise ValueError(f"hour {hour} is not 0-23")
        for step in range(-widen_h, widen_h + 1):
            covered[(int(hour) + step) % HOURS_PER_DAY] = True
    if all(covered):
        return [(0, HOURS_PER_DAY)]
    if not any(covered):
        return []
    first_gap = covered.index(False)  # start walking just after a free hour
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for offset in range(1, HOURS_PER_DAY + 1):
        hour = (first_gap + offset) % HOURS_PER_DAY
        if covered[hour] and start is None:
            start = hour
        elif not covered[hour] and start is not None:
            ranges.append((start, hour))
            start = None
    return sorted(ranges)


def linked_groups(x: npt.ArrayLike, y: npt.ArrayLike, *, within_m: float) -> list[list[int]]:
    """Groups of points joined by links shorter than ``within_m`` (single linkage).

    Parameters
    ----------
    x, y : array_like of float
        Coordinates in a metric CRS (metres).
    within_m : float
        Points closer than this share a group (and so do points joined through others).

    Returns
    -------
    list of list of int
        Indices of each group, ascending, the groups in the order of their first index.

    Raises
    ------
    ValueError
        Coordinates of different lengths, or ``within_m`` not a positive number.
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    if xs.shape != ys.shape:
        raise ValueError("x and y differ in length")
    if not (np.isfinite(within_m) and within_m > 0):
        raise ValueError("within_m must be a positive number of metres")
    parent = list(range(len(xs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(xs):
        close = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :]) < within_m
        for i, j in zip(*np.nonzero(np.triu(close, k=1)), strict=True):
            parent[root(int(j))] = root(int(i))
    groups: dict[int, list[int]] = {}
    for i in range(len(xs)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])
