"""How a tour fills a video wall: steps of as many cameras as the wall has tiles.

A tour is an ordered list of cameras, each with a dwell time; the wall shows 1, 4, 9 or
16 tiles. Step ``k`` shows the tour's cameras ``k·n … k·n + n − 1`` (``n`` tiles, the
last step possibly fewer) and lasts as long as the longest dwell among them, so no camera
is shown for less than its dwell. After the last step the tour starts again.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from dispatch.errors import InvalidTour

LAYOUTS = (1, 4, 9, 16)
MIN_DWELL_S = 5
MAX_DWELL_S = 3600
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class WallStep(Generic[K]):
    """One step of a tour on the wall.

    Attributes
    ----------
    index : int
        0-based step number.
    cameras : tuple
        The stops shown, tile by tile (tile 0 top left, row by row).
    dwell_s : float
        How long the step stays, in seconds.
    """

    index: int
    cameras: tuple[K, ...]
    dwell_s: float


def check_layout(layout: object, *, field: str = "layout") -> int:
    """Return ``layout`` if it is a wall the page draws (1, 4, 9 or 16 tiles).

    Raises
    ------
    InvalidTour
        Anything else.
    """
    if isinstance(layout, bool) or layout not in LAYOUTS:
        raise InvalidTour(field, f"{layout!r} is not a wall layout (1, 4, 9 or 16 tiles)")
    return int(layout)


def wall_steps(stops: Sequence[tuple[K, float]], *, layout: int) -> list[WallStep[K]]:
    """Cut a tour's stops into wall steps.

    Parameters
    ----------
    stops : sequence of (key, dwell_s)
        The cameras in tour order with their dwell times in seconds.
    layout : int, keyword-only
        Tiles on the wall: 1, 4, 9 or 16.

    Returns
    -------
    list of WallStep
        Empty when there are no stops.

    Raises
    ------
    InvalidTour
        A layout that is not one of :data:`LAYOUTS`, or a dwell time outside
        :data:`MIN_DWELL_S` – :data:`MAX_DWELL_S` (naming ``cameras.N.dwell_s``).
    """
    tiles = check_layout(layout)
    for index, (_, dwell) in enumerate(stops):
        if isinstance(dwell, bool) or not MIN_DWELL_S <= dwell <= MAX_DWELL_S:
            raise InvalidTour(f"cameras.{index}.dwell_s",
                              f"{dwell!r} s is not a dwell time ({MIN_DWELL_S}–{MAX_DWELL_S} s)")
    steps = []
    for number, first in enumerate(range(0, len(stops), tiles)):
        chunk = stops[first:first + tiles]
        steps.append(WallStep(number, tuple(key for key, _ in chunk),
                              float(max(dwell for _, dwell in chunk))))
    return steps
