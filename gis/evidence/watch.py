"""Which cameras watch a timed path, when, and the window of recording to pull.

Decisions
---------
* A camera *watches* the path where the path crosses its coverage: the wedge from its
  position, direction, field of view and range, cut by buildings (what the cameras area
  stores as ``coverage``). A camera beside the path but facing away has a wedge that does
  not meet it and is not listed; one of unknown direction has the whole disc and is
  listed with that said (``all_round``).
* At least :data:`MIN_SEEN_M` of the path must lie in view: a wedge whose apex merely
  touches the path sees nothing of it.
* A journey that passes the same camera twice (a loop, a return) gets two *passages*
  when the nominal times of the two stretches in view are more than ``gap_s`` apart;
  closer stretches are one passage. For "all ways out" the stretches are alternatives
  and make one passage per camera, from the earliest entry to the latest exit.
* A passage's *road* is the edge under its longest stretch in view.
* Windows: :func:`gis.evidence.modes.time_window`. Sightings are ordered by window start,
  then nominal first sight, then camera id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gis.evidence.modes import DEFAULT_MARGIN_S, Mode, time_window
from gis.evidence.path import TimedPath

MIN_SEEN_M: Final = 1.0
"""Metres of path a camera must see to be listed."""
DEFAULT_GAP_S: Final = 60.0
"""Nominal seconds between two stretches in view of one camera that make them two
passages (a journey only)."""
_GEOD = pyproj.Geod(ellps="WGS84")
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CoverageRecord:
    """A camera's coverage as the plan reads it.

    Parameters
    ----------
    id : int
        The camera's id.
    coverage : shapely.Polygon or shapely.MultiPolygon
        What it sees, EPSG:4326.
    all_round : bool
        Its direction or field of view is unknown (the coverage is a whole disc).
    """

    id: int
    coverage: BaseGeometry
    all_round: bool = False


@dataclass(frozen=True)
class Passage:
    """One camera's view of the path, in nominal terms.

    Parameters
    ----------
    camera_id : int
    first_s, last_s : float
        Nominal seconds after the start when the path enters and leaves the view.
    first_m, last_m : float
        Metres along the journey at those points (NaN for ways out).
    seen_m : float
        Metres of path in view.
    edge_id : int
        Road edge under the longest stretch in view (-1: none known).
    lon, lat : float
        Middle of that stretch, EPSG:4326 degrees.
    all_round : bool
        The camera's direction is unknown.
    """

    camera_id: int
    first_s: float
    last_s: float
    first_m: float
    last_m: float
    seen_m: float
    edge_id: int
    lon: float
    lat: float
    all_round: bool


@dataclass(frozen=True)
class Sighting:
    """A passage with its window of recording.

    Parameters
    ----------
    passage : Passage
    window_start_s, window_end_s : float
        Seconds after the start time (the start may be negative).
    """

    passage: Passage
    window_start_s: float
    window_end_s: float


def watch_passages(path: TimedPath, cameras: list[CoverageRecord], *,
                   gap_s: float = DEFAULT_GAP_S,
                   min_seen_m: float = MIN_SEEN_M) -> list[Passage]:
    """Where each camera's coverage meets the path, as passages.

    Parameters
    ----------
    path : TimedPath
        The timed segments.
    cameras : list of CoverageRecord
        Candidates (any; those whose coverage misses the path are dropped).
    gap_s : float, optional
        Nominal seconds between stretches that split a journey's passages.
    min_seen_m : float, optional
        Metres of path a passage must see.

    Returns
    -------
    list of Passage
        By camera id, then first_s.
    """
    if len(path) == 0 or not cameras:
        return []
    coverages = np.asarray([c.coverage for c in cameras], dtype=np.object_)
    lines = path.lines()
    # the short segments are the query side: preparing them is cheap, and a path meets
    # the boxes of few wedges
    seg_of, cam_of = shapely.STRtree(coverages).query(lines, predicate="intersects")
    if len(cam_of) == 0:
        return []
    cut = shapely.intersection(lines[seg_of], coverages[cam_of])
    parts, which = shapely.get_parts(cut, return_index=True)
    is_line = shapely.get_type_id(parts) == 1
    parts, which = parts[is_line], which[is_line]
    if len(parts) == 0:
        return []
    cam_of, seg_of = cam_of[which], seg_of[which]
    a, b = path.coords[seg_of, 0], path.coords[seg_of, 1]
    first = np.asarray(shapely.get_coordinates(shapely.get_point(parts, 0)))
    last = np.asarray(shapely.get_coordinates(shapely.get_point(parts, -1)))
    f0, f1 = _fraction(a, b, first), _fraction(a, b, last)
    low, high = np.minimum(f0, f1), np.maximum(f0, f1)
    seg_m = _segment_m(a, b)
    seen = (high - low) * seg_m
    t_in = path.start_s[seg_of] + low * (path.end_s[seg_of] - path.start_s[seg_of])
    t_out = path.start_s[seg_of] + high * (path.end_s[seg_of] - path.start_s[seg_of])
    m_in = path.start_m[seg_of] + low * seg_m
    m_out = path.start_m[seg_of] + high * seg_m
    middle = a + ((low + high) / 2.0)[:, None] * (b - a)
    order = np.lexsort((t_out, t_in, cam_of))
    passages: list[Passage] = []
    start = 0
    while start < len(order):
        camera = cam_of[order[start]]
        stop = start
        while stop + 1 < len(order) and cam_of[order[stop + 1]] == camera:
            stop += 1
        group = order[start:stop + 1]
        for run in _runs(group, t_in, t_out, gap_s=gap_s, ways_out=path.ways_out):
            total = float(seen[run].sum())
            if total < min_seen_m:
                continue
            longest = run[int(np.argmax(seen[run]))]
            record = cameras[int(camera)]
            passages.append(Passage(
                camera_id=record.id, first_s=float(t_in[run].min()),
                last_s=float(t_out[run].max()), first_m=float(np.min(m_in[run])),
                last_m=float(np.max(m_out[run])), seen_m=total,
                edge_id=int(path.edge_id[seg_of[longest]]), lon=float(middle[longest, 0]),
                lat=float(middle[longest, 1]), all_round=record.all_round))
        start = stop + 1
    passages.sort(key=lambda p: (p.camera_id, p.first_s))
    return passages


def plan_sightings(passages: list[Passage], *, mode: Mode,
                   margin_s: float = DEFAULT_MARGIN_S) -> list[Sighting]:
    """Each passage with its window, ordered by time.

    Parameters
    ----------
    passages : list of Passage
        From :func:`watch_passages`.
    mode : Mode
        The mode of travel.
    margin_s : float, optional
        Seconds added on both sides of every window.

    Returns
    -------
    list of Sighting
        By window start, then nominal first sight, then camera id.

    Raises
    ------
    EvidenceInputError
        A margin out of range.
    """
    first = np.array([p.first_s for p in passages], dtype=np.float64)
    last = np.array([p.last_s for p in passages], dtype=np.float64)
    start, end = time_window(first, last, mode=mode, margin_s=margin_s)
    sightings = [Sighting(p, float(s), float(e))
                 for p, s, e in zip(passages, start, end, strict=True)]
    sightings.sort(key=lambda s: (s.window_start_s, s.passage.first_s, s.passage.camera_id))
    return sightings


def _runs(group: npt.NDArray[np.int64], t_in: FloatArray, t_out: FloatArray, *,
          gap_s: float, ways_out: bool) -> list[npt.NDArray[np.int64]]:
    """Split one camera's stretches (sorted by entry time) into passages."""
    if ways_out or len(group) == 1:
        return [group]
    runs, current, reach = [], [group[0]], t_out[group[0]]
    for index in group[1:]:
        if t_in[index] - reach > gap_s:
            runs.append(np.asarray(current, dtype=np.int64))
            current = []
        current.append(index)
        reach = max(reach, t_out[index])
    runs.append(np.asarray(current, dtype=np.int64))
    return runs


def _fraction(a: FloatArray, b: FloatArray, p: FloatArray) -> FloatArray:
    """Where each point lies along its segment a -> b, 0..1 (lon scaled by cos lat)."""
    scale = np.cos(np.radians((a[:, 1] + b[:, 1]) / 2.0))
    d = (b - a) * np.column_stack([scale, np.ones(len(scale))])
    q = (p - a) * np.column_stack([scale, np.ones(len(scale))])
    norm = np.einsum("ij,ij->i", d, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(norm > 0, np.einsum("ij,ij->i", q, d) / norm, 0.0)
    return np.asarray(np.clip(t, 0.0, 1.0), dtype=np.float64)


def _segment_m(a: FloatArray, b: FloatArray) -> FloatArray:
    _, _, length = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(length, dtype=np.float64)
