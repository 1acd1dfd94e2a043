"""A path cut into timed straight segments.

A journey (a drawn, uploaded or routed line) is one sequence of segments, each with the
nominal seconds and metres from the start at both ends. "All ways out" is a set of
alternative pieces of road, each timed from the place; their segments carry times but no
common distance (``start_m`` is NaN).

Within a segment time runs in proportion to distance (a constant speed per segment).
Lengths are geodesic (WGS-84).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString

from gis.errors import EvidenceInputError
from gis.evidence.modes import MODES, Mode

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_GEOD = pyproj.Geod(ellps="WGS84")


@dataclass(frozen=True)
class TimedPath:
    """Straight segments with nominal times and distances from the start.

    Parameters
    ----------
    coords : numpy.ndarray
        Shape (n, 2, 2): each segment's start and end, lon/lat EPSG:4326 degrees.
    start_s, end_s : numpy.ndarray
        Nominal seconds after the start at each segment's start and end.
    start_m, end_m : numpy.ndarray
        Metres along the journey at each end; NaN for alternative pieces (ways out).
    edge_id : numpy.ndarray of int64
        The road edge each segment lies on; -1 where none is known.
    ways_out : bool
        The segments are alternatives (every way out of a place), not one journey.
    """

    coords: FloatArray
    start_s: FloatArray
    end_s: FloatArray
    start_m: FloatArray
    end_m: FloatArray
    edge_id: IntArray
    ways_out: bool = False

    def __len__(self) -> int:
        return len(self.start_s)

    def lines(self) -> npt.NDArray[np.object_]:
        """The segments as shapely LineStrings (EPSG:4326).

        Returns
        -------
        numpy.ndarray of shapely.LineString
        """
        return np.asarray(shapely.linestrings(self.coords), dtype=np.object_)

    @property
    def duration_s(self) -> float:
        """Nominal seconds from the start to the last point reached."""
        return float(self.end_s.max()) if len(self) else 0.0

    @property
    def length_m(self) -> float:
        """Metres of the journey (NaN for ways out)."""
        return float(self.end_m.max()) if len(self) and not self.ways_out else float("nan")


def segment_midpoints(line: LineString) -> tuple[FloatArray, FloatArray]:
    """The midpoint of each straight segment of a line (lon/lat degrees).

    Parameters
    ----------
    line : shapely.LineString
        EPSG:4326.

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes, one per segment.
    """
    xy = np.asarray(shapely.get_coordinates(line), dtype=np.float64)
    middle = (xy[:-1] + xy[1:]) / 2.0
    return middle[:, 0].copy(), middle[:, 1].copy()


def path_from_line(line: LineString, *, mode: Mode, roads: pd.DataFrame | None = None,
                   speed_mps: float | None = None) -> TimedPath:
    """Time a journey along a line.

    Parameters
    ----------
    line : shapely.LineString
        The path in travel order, EPSG:4326 (repeated points are dropped).
    mode : Mode
        The mode of travel (its nominal speed; whether road speeds apply).
    roads : pandas.DataFrame, optional
        One row per segment of ``line`` (see :func:`segment_midpoints`): ``edge_id``
        (-1 none) and ``speed_mps`` (NaN none) of the road under it, as
        `gis.routing.RoadGraph.edges_under` answers. Cars and motorcycles take that speed
        where there is one.
    speed_mps : float, optional
        A speed in m/s that overrides every other (a known or assumed speed).

    Returns
    -------
    TimedPath
        One segment per straight piece of the line, timed from its first point.

    Raises
    ------
    EvidenceInputError
        A line with fewer than two distinct points, ``roads`` of the wrong length, or a
        speed that is not a number > 0 (field ``speed_kmh``).
    """
    xy = np.asarray(shapely.get_coordinates(line), dtype=np.float64)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    if roads is not None and len(roads) != max(len(xy) - 1, 0):
        raise EvidenceInputError(f"roads has {len(roads)} rows for {len(xy) - 1} segments",
                                 field="path")
    xy = xy[keep]
    if len(xy) < 2:
        raise EvidenceInputError("the path needs at least two distinct points",
                                 field="path")
    model = MODES[Mode(mode)]
    count = len(xy) - 1
    _, _, length = _GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    length_m = np.asarray(length, dtype=np.float64)
    speed = np.full(count, model.speed_mps)
    edge_id = np.full(count, -1, dtype=np.int64)
    if roads is not None:
        kept = roads.iloc[np.flatnonzero(keep[1:])]
        edge_id = kept["edge_id"].to_numpy(dtype=np.int64)
        road_speed = kept["speed_mps"].to_numpy(dtype=np.float64)
        if model.follows_road_speeds:
            speed = np.where(np.isfinite(road_speed) & (road_speed > 0), road_speed, speed)
    if speed_mps is not None:
        if not (np.isfinite(speed_mps) and speed_mps > 0):
            raise EvidenceInputError(f"the speed must be a number > 0, got {speed_mps!r}",
                                     field="speed_kmh")
        speed = np.full(count, float(speed_mps))
    seconds = length_m / speed
    end_s, end_m = np.cumsum(seconds), np.cumsum(length_m)
    return TimedPath(coords=np.stack([xy[:-1], xy[1:]], axis=1), start_s=end_s - seconds,
                     end_s=end_s, start_m=end_m - length_m, end_m=end_m, edge_id=edge_id)


def path_from_pieces(pieces: pd.DataFrame) -> TimedPath:
    """The segments of alternative timed pieces of road (every way out of a place).

    Parameters
    ----------
    pieces : pandas.DataFrame
        ``edge_id``, ``start_s`` (seconds when the piece is entered), ``duration_s`` and
        ``geometry`` (a LineString in travel order, EPSG:4326), as
        `gis.routing.RoadGraph.pieces_within` answers.

    Returns
    -------
    TimedPath
        ``ways_out`` True; times interpolated along each piece by distance; metres NaN.
    """
    lines = np.asarray(pieces["geometry"].to_numpy(), dtype=np.object_)
    if len(lines) == 0:
        empty = np.zeros(0)
        return TimedPath(np.zeros((0, 2, 2)), empty, empty.copy(), empty.copy(),
                         empty.copy(), np.zeros(0, dtype=np.int64), ways_out=True)
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    same_piece = owner[1:] == owner[:-1]
    first, second = np.flatnonzero(same_piece), np.flatnonzero(same_piece) + 1
    _, _, length = _GEOD.inv(xy[first, 0], xy[first, 1], xy[second, 0], xy[second, 1])
    length_m = np.asarray(length, dtype=np.float64)
    piece = owner[first]
    piece_m = np.bincount(piece, weights=length_m, minlength=len(lines))
    before_m = np.cumsum(length_m) - length_m
    offset_m = before_m - (np.cumsum(piece_m) - piece_m)[piece]  # metres into the piece
    start = pieces["start_s"].to_numpy(dtype=np.float64)[piece]
    duration = pieces["duration_s"].to_numpy(dtype=np.float64)[piece]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(piece_m[piece] > 0, duration / piece_m[piece], 0.0)
    nan = np.full(len(first), np.nan)
    return TimedPath(coords=np.stack([xy[first], xy[second]], axis=1),
                     start_s=start + offset_m * rate,
                     end_s=start + (offset_m + length_m) * rate, start_m=nan,
                     end_m=nan.copy(),
                     edge_id=pieces["edge_id"].to_numpy(dtype=np.int64)[piece],
                     ways_out=True)
