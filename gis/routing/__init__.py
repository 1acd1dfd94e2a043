"""In-memory road graph: directed, oneway-aware, travel time from speed.

A package being split by concept, one module each; `RoadGraph` is assembled in
`gis.routing.isochrones` until the split is done.
"""

from gis.errors import GraphError, NoRoute, TooFarFromRoad, UnknownNode
from gis.routing.graph import REQUIRED_COLUMNS
from gis.routing.isochrones import Isochrone, RoadGraph
from gis.routing.routes import Route
from gis.routing.snapping import Snap

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
