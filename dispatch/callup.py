"""Camera call-up for a place, as pure decisions.

Which cameras see it (best first), which nearby ones do not and why, and how the roads
out are searched for escape cameras.

Plain records in (cameras as :class:`CameraRecord`, building footprints as shapely
geometries, reached road segments as arrays), plain answers out; no web framework,
database, translation or network. The service (`app.dispatch.callup`) loads the records,
asks here, and words the reasons in the user's language.

Decisions
---------
Seeing (:func:`look_at`, then :func:`call_up`):

- Distance and bearing from each camera to the place are geodesic (WGS-84). The off-axis
  angle is the smallest angle between that bearing and the camera's azimuth (0 when the
  camera stands on the place); None when the azimuth is unknown.
- A camera *may* see the place when it is within its reach (``reach_m``) and the place is
  in its field of view: off-axis <= fov / 2 (+1e-9°), or the camera looks all round
  (azimuth or field of view unknown, or fov >= 360°).
- It *sees* the place when, besides, no building footprint cuts the sight line. Only sight
  lines passing within about a metre of a footprint (straight in lon/lat) get the exact
  test, :func:`gis.coverage.sees`, in the camera's own projection: over a few hundred
  metres the two lines differ by millimetres, so the others are clear.
- Seeing cameras are ranked by a score, lowest first, ties by id: distance / reach plus
  off-axis / (fov / 2), or plus 0.5 looking all round (unknown azimuth or fov, or fov >=
  360°). A near camera looking straight at the place comes first.
- The others within ``radius_m`` are *nearby*: nearest first (distance rounded to 0.1 m,
  then id), at most :data:`MAX_NEARBY_CAMERAS`, each with the first reason that holds:
  ``out_of_range`` (distance > reach), ``faces_away`` (off-axis > fov / 2, no tolerance),
  else ``building_in_the_way``.

Escape cameras (:class:`EscapeSearch`): the reached road segments are taken in order of
entry time (then edge id) in batches, :data:`FIRST_ESCAPE_BATCH` segments first and each
batch four times larger than the last; a batch's end moves past segments entered at the
same second as its last one (:func:`batch_end`), so no camera left for a later batch ties
with one already found. The search stops once :data:`MAX_ESCAPE_CAMERAS` cameras are
found or the segments run out; the answer is ordered by entry time, then camera id, at
most :data:`MAX_ESCAPE_CAMERAS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from gis.coverage import off_axis_deg, sees

MAX_NEARBY_CAMERAS: Final = 30
"""Nearby cameras listed at most (the nearest; a dispatcher reads no more)."""
MAX_ESCAPE_CAMERAS: Final = 50
"""Escape cameras listed at most."""
FIRST_ESCAPE_BATCH: Final = 64
"""Road segments in the first escape batch; each further batch is four times larger."""

SEES: Final = "sees"  # the reason codes (the service words them)
SEES_ALL_ROUND: Final = "sees_all_round"
OUT_OF_RANGE: Final = "out_of_range"
FACES_AWAY: Final = "faces_away"
BUILDING_IN_THE_WAY: Final = "building_in_the_way"

Reason = tuple[str, dict[str, float]]
"""A reason code and its numbers, e.g. ``("out_of_range", {"m": 412.3, "range": 300.0})``."""

FloatArray = npt.NDArray[np.float64]

_EARTH_M_PER_DEG = 111_320.0
_NEAR_DEG = 1.0 / _EARTH_M_PER_DEG  # 1 m north-south; at least 0.5 m east-west below 60°
_FOV_TOLERANCE_DEG = 1e-9
_GEOD = pyproj.Geod(ellps="WGS84")


@dataclass(frozen=True)
class CameraRecord:
    """One camera as the call-up sees it.

    Parameters
    ----------
    id : int
        The camera's id.
    lon, lat : float
        Where it stands, EPSG:4326 degrees.
    azimuth_deg : float or None
        Where it looks, compass degrees clockwise from north; None: unknown (all round).
    fov_deg : float or None
        Its field of view in degrees; None or >= 360: all round.
    reach_m : float
        How far it sees, in metres: its range, else its kind's default.
    name, kind, status, range_m, stream_url, gb_id
        Carried for the answer, not decided on: ``range_m`` is the stored range (None when
        ``reach_m`` is the kind's default).
    """

    id: int
    lon: float
    lat: float
    azimuth_deg: float | None
    fov_deg: float | None
    reach_m: float
    name: str | None = None
    kind: str = "fixed"
    status: str = "unknown"
    range_m: float | None = None
    stream_url: str | None = None
    gb_id: str | None = None


@dataclass(frozen=True)
class Looks:
    """Each candidate's geodesic distance and off-axis angle to one place (:func:`look_at`).

    Parameters
    ----------
    lon, lat : float
        The place, EPSG:4326 degrees.
    cameras : tuple of CameraRecord
        The candidates, in the order given; the arrays are aligned with them.
    distance_m : numpy.ndarray
        Geodesic distance camera -> place, metres.
    off_axis_deg : numpy.ndarray
        Off-axis angle in degrees in [0, 180]; NaN where the azimuth is unknown.
    may_see : numpy.ndarray of bool
        Within reach and in the field of view (buildings not yet considered).
    """

    lon: float
    lat: float
    cameras: tuple[CameraRecord, ...]
    distance_m: FloatArray
    off_axis_deg: FloatArray
    may_see: npt.NDArray[np.bool_]

    def in_view(self) -> list[CameraRecord]:
        """The cameras that may see the place: only their sight lines need footprints.

        Returns
        -------
        list of CameraRecord
            In the order of ``cameras``.
        """
        return [c for c, m in zip(self.cameras, self.may_see, strict=True) if m]


@dataclass(frozen=True)
class Sighting:
    """One camera's verdict for the place.

    Parameters
    ----------
    camera : CameraRecord
    sees : bool
        Whether the camera sees the place.
    distance_m : float
        Geodesic distance to the place, metres (unrounded).
    off_axis_deg : float or None
        Off-axis angle in degrees (unrounded); None for an unknown azimuth.
    reason : Reason
        Why: ``sees`` (``m``, ``deg``), ``sees_all_round`` (``m``), ``out_of_range``
        (``m``, ``range``), ``faces_away`` (``deg``, ``fov``) or ``building_in_the_way``.
    score : float or None
        The ranking score of a seeing camera (lower is better); None for the others.
    """

    camera: CameraRecord
    sees: bool
    distance_m: float
    off_axis_deg: float | None
    reason: Reason
    score: float | None = None


@dataclass(frozen=True)
class CallUp:
    """The call-up of a place.

    Parameters
    ----------
    seeing : list of Sighting
        Cameras that see the place, best first.
    nearby : list of Sighting
        Other cameras within the radius, nearest first, at most ``max_nearby``.
    """

    seeing: list[Sighting]
    nearby: list[Sighting]


def look_at(lon: float, lat: float, cameras: Sequence[CameraRecord]) -> Looks:
    """Distance, off-axis angle and "may see" of every candidate camera, computed at once.

    Parameters
    ----------
    lon, lat : float
        The place, EPSG:4326 degrees.
    cameras : sequence of CameraRecord
        The candidates.

    Returns
    -------
    Looks
        Aligned with ``cameras``; :meth:`Looks.in_view` lists those that may see the place.
    """
    records = tuple(cameras)
    count = len(records)
    if count == 0:
        empty = np.zeros(0, dtype=np.float64)
        return Looks(lon, lat, records, empty, empty.copy(), np.zeros(0, dtype=bool))
    cam_lon = np.array([c.lon for c in records], dtype=np.float64)
    cam_lat = np.array([c.lat for c in records], dtype=np.float64)
    bearing, _, distance = _GEOD.inv(cam_lon, cam_lat, np.full(count, lon), np.full(count, lat))
    distance = np.asarray(distance, dtype=np.float64)
    azimuth = np.array([np.nan if c.azimuth_deg is None else c.azimuth_deg for c in records],
                       dtype=np.float64)
    fov = np.array([np.nan if c.fov_deg is None else c.fov_deg for c in records],
                   dtype=np.float64)
    reach = np.array([c.reach_m for c in records], dtype=np.float64)
    off = np.where(distance == 0.0, 0.0, off_axis_deg(bearing, np.nan_to_num(azimuth)))
    all_round = np.isnan(azimuth) | np.isnan(fov) | (fov >= 360.0)
    may_see = (distance <= reach) & (
        all_round | (off <= np.nan_to_num(fov) / 2.0 + _FOV_TOLERANCE_DEG))
    return Looks(lon, lat, records, distance, np.where(np.isnan(azimuth), np.nan, off),
                 np.asarray(may_see, dtype=bool))


def call_up(looks: Looks, buildings: Sequence[Any], *, radius_m: float,
            max_nearby: int = MAX_NEARBY_CAMERAS) -> CallUp:
    """Which cameras see the place (ranked) and which nearby ones do not (with why).

    Parameters
    ----------
    looks : Looks
        From :func:`look_at`.
    buildings : sequence of shapely geometries
        Building footprints (EPSG:4326) around the place and the cameras in view; empty:
        nothing blocks.
    radius_m : float
        Cameras within this many metres that do not see the place are listed as nearby.
    max_nearby : int, optional
        At most this many nearby cameras (the nearest).

    Returns
    -------
    CallUp
        ``seeing`` by score then id; ``nearby`` by distance (0.1 m) then id.
    """
    obstacles = list(buildings)
    near_blocker = _near_a_building(looks, obstacles)
    ranked: list[tuple[float, Sighting]] = []
    blind: list[tuple[float, int, int]] = []
    for i, camera in enumerate(looks.cameras):
        distance_m = float(looks.distance_m[i])
        off_axis = _off_axis_at(looks, i)
        visible = bool(looks.may_see[i]) and (not near_blocker[i] or sees(
            looks.lon, looks.lat, camera_lon=camera.lon, camera_lat=camera.lat,
            azimuth_deg=camera.azimuth_deg, fov_deg=camera.fov_deg, range_m=camera.reach_m,
            obstacles=obstacles).visible)
        if visible:
            points = score(camera, distance_m=distance_m, off_axis_deg=off_axis)
            ranked.append((points, Sighting(camera, True, distance_m, off_axis,
                                            _seeing_reason(distance_m, off_axis), points)))
        elif distance_m <= radius_m:
            blind.append((round(distance_m, 1), camera.id, i))
    ranked.sort(key=lambda pair: (pair[0], pair[1].camera.id))
    blind.sort()
    nearby = []
    for _, _, i in blind[:max_nearby]:
        camera = looks.cameras[i]
        distance_m = float(looks.distance_m[i])
        off_axis = _off_axis_at(looks, i)
        nearby.append(Sighting(camera, False, distance_m, off_axis,
                               blind_reason(camera, distance_m=distance_m,
                                            off_axis_deg=off_axis)))
    seeing = [sighting for _, sighting in ranked]
    return CallUp(seeing, nearby)


def score(camera: CameraRecord, *, distance_m: float, off_axis_deg: float | None) -> float:
    """The ranking score of a camera that sees the place: lower is better.

    Parameters
    ----------
    camera : CameraRecord
        The camera.
    distance_m : float
        Its distance to the place, metres.
    off_axis_deg : float or None
        Its off-axis angle, degrees; None for an unknown azimuth.

    Returns
    -------
    float
        ``distance_m / reach_m`` plus ``off_axis_deg / (fov_deg / 2)``, or plus 0.5 for a
        camera looking all round.
    """
    near = distance_m / camera.reach_m
    if off_axis_deg is None or camera.fov_deg is None or camera.fov_deg >= 360.0:
        return near + 0.5
    return near + off_axis_deg / max(camera.fov_deg / 2.0, 1e-6)


def blind_reason(camera: CameraRecord, *, distance_m: float,
                 off_axis_deg: float | None) -> Reason:
    """Why a camera does not see the place: the first reason that holds.

    Parameters
    ----------
    camera : CameraRecord
        The camera.
    distance_m : float
        Its distance to the place, metres.
    off_axis_deg : float or None
        Its off-axis angle, degrees; None for an unknown azimuth.

    Returns
    -------
    Reason
        ``("out_of_range", {"m", "range"})``, ``("faces_away", {"deg", "fov"})`` or
        ``("building_in_the_way", {})``.
    """
    if distance_m > camera.reach_m:
        return OUT_OF_RANGE, {"m": distance_m, "range": camera.reach_m}
    if (off_axis_deg is not None and camera.fov_deg is not None
            and off_axis_deg > camera.fov_deg / 2.0):
        return FACES_AWAY, {"deg": off_axis_deg, "fov": camera.fov_deg}
    return BUILDING_IN_THE_WAY, {}


def _seeing_reason(distance_m: float, off_axis_deg: float | None) -> Reason:
    if off_axis_deg is None:
        return SEES_ALL_ROUND, {"m": distance_m}
    return SEES, {"m": distance_m, "deg": off_axis_deg}


def _off_axis_at(looks: Looks, i: int) -> float | None:
    return None if np.isnan(looks.off_axis_deg[i]) else float(looks.off_axis_deg[i])


def _near_a_building(looks: Looks, obstacles: list[Any]) -> npt.NDArray[np.bool_]:
    """Which sight lines (straight in lon/lat) pass within about a metre of a footprint."""
    count = len(looks.cameras)
    flags = np.zeros(count, dtype=bool)
    if not obstacles or count == 0:
        return flags
    cam_lon = np.array([c.lon for c in looks.cameras], dtype=np.float64)
    cam_lat = np.array([c.lat for c in looks.cameras], dtype=np.float64)
    place = np.column_stack([np.full(count, looks.lon), np.full(count, looks.lat)])
    lines = shapely.linestrings(np.stack([np.column_stack([cam_lon, cam_lat]), place], axis=1))
    hits, _ = shapely.STRtree(obstacles).query(lines, predicate="dwithin", distance=_NEAR_DEG)
    flags[hits] = True
    return flags


# -- escape cameras -----------------------------------------------------------------------

@dataclass(frozen=True)
class EscapeCamera:
    """A camera watching a road segment a car from the place can enter.

    Parameters
    ----------
    id : int
        The camera's id.
    reached_s : float
        Seconds after which a car from the place enters the segment.
    edge_id : int
        The road segment (``road_edges.id``).
    road, highway : str or None
        The segment's name and OSM highway class.
    name, kind, status, stream_url, gb_id, lon, lat
        Carried for the answer (position in EPSG:4326 degrees).
    """

    id: int
    reached_s: float
    edge_id: int
    road: str | None = None
    highway: str | None = None
    name: str | None = None
    kind: str = "fixed"
    status: str = "unknown"
    stream_url: str | None = None
    gb_id: str | None = None
    lon: float = 0.0
    lat: float = 0.0


@dataclass(frozen=True)
class EdgeBatch:
    """Road segments to look up next, with their entry times (seconds).

    Parameters
    ----------
    edge_ids : list of int
        Segment ids, soonest entered first.
    reached_s : list of float
        Entry time of each, seconds.
    """

    edge_ids: list[int]
    reached_s: list[float]


def batch_end(reached_s: npt.ArrayLike, stop: int) -> int:
    """Where a batch ending before ``stop`` really ends, keeping ties together.

    Parameters
    ----------
    reached_s : array_like of float
        Entry times in seconds, sorted ascending.
    stop : int
        The batch's nominal end (exclusive index).

    Returns
    -------
    int
        ``stop`` moved past segments entered at the same second as the last one taken
        (``len(reached_s)`` at most), so no camera left for the next batch can tie with
        one already found.
    """
    times = np.asarray(reached_s, dtype=np.float64)
    if stop >= len(times):
        return len(times)
    return int(np.searchsorted(times, times[stop - 1], side="right"))


class EscapeSearch:
    """The walk over reached road segments: which to look up next, and when to stop.

    Feed the cameras found for each batch of :meth:`batches` to :meth:`add`; the walk ends
    once ``limit`` cameras are found or the segments run out. :meth:`cameras` is the answer.

    Parameters
    ----------
    edge_ids : array_like of int
        Reached road segments, in any order.
    reached_s : array_like of float
        Entry time of each, seconds.
    limit : int, optional
        Cameras wanted (:data:`MAX_ESCAPE_CAMERAS`).
    first_batch : int, optional
        Segments in the first batch (:data:`FIRST_ESCAPE_BATCH`); each next one is four
        times larger.
    """

    def __init__(self, edge_ids: npt.ArrayLike, reached_s: npt.ArrayLike, *,
                 limit: int = MAX_ESCAPE_CAMERAS,
                 first_batch: int = FIRST_ESCAPE_BATCH) -> None:
        edges = np.asarray(edge_ids, dtype=np.int64)
        reached = np.asarray(reached_s, dtype=np.float64)
        order = np.lexsort((edges, reached))  # by entry time, then edge id
        self._edges = edges[order]
        self._reached = reached[order]
        self.limit = limit
        self.first_batch = first_batch
        self._found: dict[int, EscapeCamera] = {}

    def batches(self) -> Iterator[EdgeBatch]:
        """The next segments to look up, while more cameras are wanted.

        Yields
        ------
        EdgeBatch
            Soonest segments first; ties in entry time never split across batches.
        """
        start, size = 0, self.first_batch
        while start < len(self._edges) and len(self._found) < self.limit:
            stop = batch_end(self._reached, start + size)
            yield EdgeBatch(self._edges[start:stop].tolist(),
                            self._reached[start:stop].tolist())
            start, size = stop, size * 4

    def add(self, cameras: Iterable[EscapeCamera]) -> None:
        """Record the cameras found for the last batch (one found again replaces its entry).

        Parameters
        ----------
        cameras : iterable of EscapeCamera
            Cameras watching the batch's segments.
        """
        for camera in cameras:
            self._found[camera.id] = camera

    @property
    def found_ids(self) -> list[int]:
        """Ids of the cameras found so far (to leave out of the next look-up)."""
        return list(self._found)

    def cameras(self) -> list[EscapeCamera]:
        """The answer: soonest entered first, then by camera id, at most ``limit``.

        Returns
        -------
        list of EscapeCamera
        """
        ordered = sorted(self._found.values(), key=lambda c: (c.reached_s, c.id))
        return ordered[:self.limit]
