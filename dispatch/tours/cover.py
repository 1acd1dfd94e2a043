"""Which cameras best watch where incidents concentrate: a greedy maximum cover.

The numeric core of a tour proposal. Each candidate camera *sees* a set of targets (the
incidents of the hot-spot cells at that hour that lie inside its coverage). Cameras are
picked one at a time, each the one that sees the most targets no camera picked before it
sees (the greedy algorithm for maximum coverage: within 1 − 1/e of the best possible
set of that size; Nemhauser, Wolsey and Fisher 1978). When no camera adds a target, the
places left are filled, if asked, by the cameras that see the most targets at all (a
second angle on a hot place is worth a tile). Ties go to the camera seeing more targets
in all, then to the smaller key, so the same data gives the same proposal.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class CameraPick(Generic[K, T]):
    """One camera of a proposal.

    Attributes
    ----------
    camera : key
        The camera.
    rank : int
        1 for the first pick.
    new : int
        Targets it sees that no earlier pick sees (0 for a fill).
    seen : frozenset
        Every target it sees.
    """

    camera: K
    rank: int
    new: int
    seen: frozenset[T]


def greedy_cover(sees: Mapping[K, Iterable[T]], *, limit: int,
                 fill: bool = True) -> list[CameraPick[K, T]]:
    """Pick up to ``limit`` cameras that together see the most targets.

    Parameters
    ----------
    sees : mapping of camera key to iterable of target keys
        What each candidate sees; cameras that see nothing are never picked. Keys must be
        mutually orderable (ties are broken by key).
    limit : int, keyword-only
        Most cameras to pick (at least 1).
    fill : bool, keyword-only
        Once no camera adds a target, go on picking the cameras that see the most targets
        (``new == 0``) until ``limit``.

    Returns
    -------
    list of CameraPick
        In picking order.

    Raises
    ------
    ValueError
        ``limit`` below 1.
    """
    if isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit!r}")
    candidates = {camera: frozenset(targets) for camera, targets in sees.items()}
    candidates = {camera: seen for camera, seen in candidates.items() if seen}
    covered: set[T] = set()
    picks: list[CameraPick[K, T]] = []
    while candidates and len(picks) < limit:
        camera = min(candidates, key=lambda c: (-len(candidates[c] - covered),
                                                -len(candidates[c]), c))
        seen = candidates.pop(camera)
        new = len(seen - covered)
        if new == 0 and not fill:
            break
        picks.append(CameraPick(camera, len(picks) + 1, new, seen))
        covered |= seen
    return picks
