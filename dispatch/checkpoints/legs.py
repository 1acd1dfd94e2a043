"""A vehicle's trace through the checkpoints, leg by leg, and whether each leg could be driven.

Two passages of one plate in a row make a *leg*. It is judged by comparing the time
between them with the road between the two checkpoints (:func:`judge_leg`):

- ``road_s`` is the fastest drivable route's time at the road graph's speeds (the speed
  limits, or the road class's typical speed), ``road_m`` its length; ``straight_m`` is
  the distance as the crow flies, a lower bound of any road.
- The **fastest credible time** is ``max(road_s / SPEEDING_FACTOR, road_m / MAX_SPEED,
  straight_m / MAX_SPEED)``: no vehicle averages more than twice the limits along a whole
  route, nor more than 200 km/h on any road. Without a route (no road graph, a checkpoint
  off the roads) only the straight line is used, which keeps the test sound: a road is
  never shorter than the straight line.
- A leg is **impossible** when its time, plus the tolerance of the checkpoints' clocks
  (``CLOCK_TOLERANCE_S``), is still shorter than the fastest credible time: two vehicles
  carry the plate (a cloned plate, 套牌). It is **fast** when it beats ``road_s`` (the
  vehicle sped, or took a faster way than the graph knows) and **plausible** otherwise;
  ``same_checkpoint`` when both passages are at one checkpoint; ``unknown`` when there
  is no route and the straight line does not rule the leg out.

Times are seconds, lengths metres, speeds metres per second.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

SPEEDING_FACTOR: Final = 2.0
"""A vehicle averages at most this many times the road graph's speeds along a route."""

MAX_SPEED_MPS: Final = 200 / 3.6
"""Fastest average a road vehicle is credited with, whatever the road (200 km/h)."""

CLOCK_TOLERANCE_S: Final = 60.0
"""How far two checkpoints' clocks may disagree (seconds): granted to every leg."""

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean Earth radius used for distances as the crow flies (IUGG)."""


class Verdict(StrEnum):
    """What a leg says about the plate."""

    PLAUSIBLE = "plausible"
    FAST = "fast"
    IMPOSSIBLE = "impossible"
    SAME_CHECKPOINT = "same_checkpoint"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Road:
    """The fastest route between two checkpoints: seconds at the graph's speeds, metres."""

    road_s: float
    road_m: float


@dataclass(frozen=True, slots=True)
class Judgement:
    """A leg judged (see the module docstring); ``min_credible_s`` None at one checkpoint."""

    verdict: Verdict
    elapsed_s: float
    straight_m: float
    road_s: float | None
    road_m: float | None
    min_credible_s: float | None
    speed_kmh: float | None


def straight_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance as the crow flies (haversine on the mean sphere).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float
        WGS-84 (EPSG:4326) degrees.

    Returns
    -------
    float
        Metres.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def judge_leg(elapsed_s: float, straight_m: float, road: Road | None, *,
              same_checkpoint: bool = False, speeding_factor: float = SPEEDING_FACTOR,
              max_speed_mps: float = MAX_SPEED_MPS,
              clock_tolerance_s: float = CLOCK_TOLERANCE_S) -> Judgement:
    """Judge one leg.

    Parameters
    ----------
    elapsed_s : float
        Seconds between the two passages (not negative).
    straight_m : float
        Metres between the checkpoints as the crow flies.
    road : Road or None
        The fastest route between them, or None when there is none.
    same_checkpoint : bool, keyword-only
        Both passages are at one checkpoint.
    speeding_factor, max_speed_mps, clock_tolerance_s : float, keyword-only
        The limits of the module docstring.

    Returns
    -------
    Judgement
        The verdict with the numbers it rests on; ``speed_kmh`` is the average speed the
        leg implies over the road (over the straight line without one), None for no time.

    Raises
    ------
    ValueError
        A negative or non-finite time or distance.
    """
    for name, value in (("elapsed_s", elapsed_s), ("straight_m", straight_m)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
    if same_checkpoint:
        return Judgement(Verdict.SAME_CHECKPOINT, elapsed_s, 0.0, None, None, None, None)
    bounds = [straight_m / max_speed_mps]
    if road is not None:
        bounds += [road.road_s / speeding_factor, road.road_m / max_speed_mps]
    min_credible_s = max(bounds)
    over_m = road.road_m if road is not None else straight_m
    speed = over_m / elapsed_s * 3.6 if elapsed_s > 0 else None
    if elapsed_s + clock_tolerance_s < min_credible_s:
        verdict = Verdict.IMPOSSIBLE
    elif road is None:
        verdict = Verdict.UNKNOWN
    elif elapsed_s < road.road_s:
        verdict = Verdict.FAST
    else:
        verdict = Verdict.PLAUSIBLE
    return Judgement(verdict, elapsed_s, straight_m, None if road is None else road.road_s,
                     None if road is None else road.road_m, min_credible_s,
                     None if speed is None else round(speed, 1))


@dataclass(frozen=True, slots=True)
class Sighting:
    """A passage as the trace needs it: where (a checkpoint key and its point) and when."""

    checkpoint: Hashable
    lon: float
    lat: float
    at: datetime


@dataclass(frozen=True, slots=True)
class Leg:
    """Two passages in a row (indices into the time-ordered sightings) and the judgement."""

    start: int
    end: int
    judgement: Judgement


def trace_legs(sightings: Sequence[Sighting],
               route: Callable[[Sighting, Sighting], Road | None], *,
               speeding_factor: float = SPEEDING_FACTOR, max_speed_mps: float = MAX_SPEED_MPS,
               clock_tolerance_s: float = CLOCK_TOLERANCE_S) -> list[Leg]:
    """Judge every leg of a trace.

    Parameters
    ----------
    sightings : sequence of Sighting
        One plate's passages, in time order.
    route : callable
        ``route(a, b)``: the fastest route from checkpoint ``a`` to ``b``, or None.
        Called once per leg between two checkpoints (the caller may cache).
    speeding_factor, max_speed_mps, clock_tolerance_s : float, keyword-only
        The limits of :func:`judge_leg`.

    Returns
    -------
    list of Leg
        ``len(sightings) - 1`` legs, in order.

    Raises
    ------
    ValueError
        When the sightings are not in time order.
    """
    legs = []
    for i in range(1, len(sightings)):
        a, b = sightings[i - 1], sightings[i]
        elapsed = (b.at - a.at).total_seconds()
        if elapsed < 0:
            raise ValueError(f"sightings {i - 1} and {i} are not in time order")
        same = a.checkpoint == b.checkpoint
        road = None if same else route(a, b)
        straight = 0.0 if same else straight_distance_m(a.lon, a.lat, b.lon, b.lat)
        legs.append(Leg(i - 1, i, judge_leg(
            elapsed, straight, road, same_checkpoint=same, speeding_factor=speeding_factor,
            max_speed_mps=max_speed_mps, clock_tolerance_s=clock_tolerance_s)))
    return legs
