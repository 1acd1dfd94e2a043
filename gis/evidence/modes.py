"""Modes of travel and the time window of recording that a camera's sighting asks for.

Decisions
---------
A path is timed at a *nominal* speed: cars and motorcycles at the speed of the road they
follow (the road graph's ``length_m / travel_s``: the speed limit or the class default),
or at :attr:`ModeModel.speed_mps` where the path leaves the roads; people on foot at
1.4 m/s (5 km/h) everywhere. The real vehicle was faster or slower, and the error grows
with the distance travelled, so a camera that sees the path between ``tau_in`` and
``tau_out`` seconds after the start (nominal) gets the window::

    window_start = at + tau_in / (1 + faster) - margin_s
    window_end   = at + tau_out * (1 + slower) + margin_s

``faster`` is how much faster than nominal the mode may have gone (a fleeing driver, a
runner), ``slower`` how much slower (traffic lights, congestion, stops); both slacks grow
in proportion to the nominal travel time, that is with the distance along the path.
``margin_s`` (default :data:`DEFAULT_MARGIN_S`) covers the uncertainty of the start time
itself and recorder clocks that drift (NVR clocks are often a minute or more off).

=========== ============= ========= ========= =============================================
mode        speed (m/s)   faster    slower    reasoning
=========== ============= ========= ========= =============================================
car         road / 8.33   0.3       1.0       30 % over limits; half the nominal speed in
                                                 town traffic
motorcycle  road / 8.33   0.5       0.8       filters through traffic: faster, rarely stuck
foot        1.4           1.4       0.6       a runner at 3.4 m/s; a slow walker at 0.9 m/s
=========== ============= ========= ========= =============================================

Example: a car camera 2 km along an urban road at 50 km/h (144 s nominal) with the
default margin: from 144 / 1.3 - 60 = 51 s to 144 * 2 + 60 = 348 s after the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from gis.errors import EvidenceInputError

DEFAULT_MARGIN_S: Final = 60.0
"""Seconds added before and after every window: the start time's own uncertainty and
recorder clock drift."""
MAX_MARGIN_S: Final = 3600.0
"""Largest margin accepted, in seconds."""


class Mode(StrEnum):
    """How the person or vehicle travelled."""

    CAR = "car"
    MOTORCYCLE = "motorcycle"
    FOOT = "foot"


@dataclass(frozen=True)
class ModeModel:
    """The speeds and slack of one mode.

    Parameters
    ----------
    speed_mps : float
        Nominal speed in m/s off the road graph (a car, a motorcycle) or everywhere
        (on foot).
    follows_road_speeds : bool
        True: where the path follows a road, that road's speed is the nominal one.
    faster : float
        Share by which the real speed may exceed the nominal one (>= 0).
    slower : float
        Share by which the real travel time may exceed the nominal one (>= 0).
    """

    speed_mps: float
    follows_road_speeds: bool
    faster: float
    slower: float


MODES: Final[dict[Mode, ModeModel]] = {
    Mode.CAR: ModeModel(speed_mps=30.0 / 3.6, follows_road_speeds=True, faster=0.3,
                        slower=1.0),
    Mode.MOTORCYCLE: ModeModel(speed_mps=30.0 / 3.6, follows_road_speeds=True, faster=0.5,
                               slower=0.8),
    Mode.FOOT: ModeModel(speed_mps=1.4, follows_road_speeds=False, faster=1.4, slower=0.6),
}
"""The model of each mode (see the module notes)."""


def time_window(first_s: npt.ArrayLike, last_s: npt.ArrayLike, *, mode: Mode,
                margin_s: float = DEFAULT_MARGIN_S
                ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The window of recording, in seconds after the start, for nominal sightings.

    Parameters
    ----------
    first_s, last_s : array_like of float
        Nominal seconds after the start when the path enters and leaves a camera's view
        (``first_s <= last_s``, both >= 0).
    mode : Mode
        The mode of travel (its ``faster`` and ``slower`` shares).
    margin_s : float, optional
        Seconds added on both sides, in [0, ``MAX_MARGIN_S``].

    Returns
    -------
    tuple of numpy.ndarray
        ``(start_s, end_s)``: ``first_s / (1 + faster) - margin_s`` and
        ``last_s * (1 + slower) + margin_s``. The start may be negative (before the
        start time): a recording is pulled from then.

    Raises
    ------
    EvidenceInputError
        A margin out of range (field ``margin_s``).
    """
    if not (np.isfinite(margin_s) and 0.0 <= margin_s <= MAX_MARGIN_S):
        raise EvidenceInputError(f"margin_s must be in [0, {MAX_MARGIN_S:g}] seconds, got "
                                 f"{margin_s!r}", field="margin_s")
    model = MODES[Mode(mode)]
    first = np.asarray(first_s, dtype=np.float64)
    last = np.asarray(last_s, dtype=np.float64)
    return first / (1.0 + model.faster) - margin_s, last * (1.0 + model.slower) + margin_s
