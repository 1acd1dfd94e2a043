"""In-memory road graph: directed, oneway-aware, travel time from speed.

A package, being split by concept; until then everything lives in `gis.routing.isochrones`.
"""

from gis.routing.isochrones import (
    REQUIRED_COLUMNS,
    GraphError,
    Isochrone,
    NoRoute,
    RoadGraph,
    Route,
    Snap,
    TooFarFromRoad,
    UnknownNode,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "GraphError",
    "Isochrone",
    "NoRoute",
    "RoadGraph",
    "Route",
    "Snap",
    "TooFarFromRoad",
    "UnknownNode",
]
