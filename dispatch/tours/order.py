"""The order a tour made from every camera of an area visits them: a walk.

A tour taken "by area" should pan across the area as a patrol would walk it, not jump
about in the order cameras were registered. The walk starts at the north-westernmost
camera and always goes on to the nearest camera not yet visited (distances on a local
equirectangular projection, good to a fraction of a percent over a city).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6_371_008.8


def walk_order(points: Sequence[tuple[float, float]]) -> list[int]:
    """Order points by a nearest-neighbour walk from the north-west.

    Parameters
    ----------
    points : sequence of (lon, lat)
        WGS-84 degrees.

    Returns
    -------
    list of int
        Indices into ``points``, each once; ties go to the smaller index.
    """
    if not points:
        return []
    mean_lat = math.radians(sum(lat for _, lat in points) / len(points))
    xy = [(math.radians(lon) * math.cos(mean_lat) * EARTH_RADIUS_M,
           math.radians(lat) * EARTH_RADIUS_M) for lon, lat in points]
    current = min(range(len(xy)), key=lambda i: (xy[i][0] - xy[i][1], i))
    order = [current]
    left = set(range(len(xy))) - {current}
    while left:
        x, y = xy[current]
        current = min(left, key=lambda i: ((xy[i][0] - x) ** 2 + (xy[i][1] - y) ** 2, i))
        order.append(current)
        left.remove(current)
    return order
