"""In-memory road graph: directed, oneway-aware, travel time from speed.

`RoadGraph.from_edges` takes road edges in EPSG:4326 (one row per OSM way piece, cost in
seconds) and answers the questions dispatch asks: how long from one incident to every unit
(`travel_times_from`), from every unit's position to one incident
(`travel_times_to_point`), a many-to-many table for planning (`travel_time_table`), a
drivable route with its geometry (`route`), what is reachable within a time (`isochrone`,
`reachable_from_point`, `isochrone_from_point`), and where a point meets the road (`snap`,
plus the point-level helpers built on it).

Engine, chosen by measurement (benchmarks/routing_engines.py, benchmarks/README.md):

* one-to-many and tables run on a *core contraction hierarchy*: nodes whose contraction
  adds no more shortcuts than it removes arcs (dead ends, chains, most simple crossings)
  are contracted at build time; the rest, the core, is kept as a plain graph. A query is
  one scipy Dijkstra per source over upward arcs plus the core, then a vectorised minimum
  over each target's precomputed downward cone. Shortcuts are only omitted when an
  existing direct arc is no longer, so answers are exact (equal to a plain Dijkstra up to
  float summation order);
* many-to-one runs on the mirror image of that hierarchy (the same contraction with every
  arc reversed, built with the graph: about a tenth of its build time), so 300 units to
  one incident cost one or two Dijkstras instead of 300. Its arcs and cones also carry
  metres, which gives the driven distance of each fastest path;
* routes and isochrones run a plain scipy Dijkstra on the original arcs, bounded by the
  route's travel time (found first in the hierarchy) or by the isochrone's time limit.

One module per concept; `RoadGraph` (below) combines the base class of the first with
the query mixins of the others:

* :mod:`~gis.routing.graph` - building: edges checked and turned into arrays, the spatial
  index and both hierarchies (`RoadGraphBase`: `from_edges`, node and edge counts);
* :mod:`~gis.routing.snapping` - `Snap` and `snap`, and the ways off and onto a snapped edge;
* :mod:`~gis.routing.routes` - `Route`: `route` and `route_between_points`;
* :mod:`~gis.routing.isochrones` - `Isochrone`: `isochrone`, `reachable_from_point`,
  `isochrone_from_point`;
* :mod:`~gis.routing.tables` - `travel_times_from`, `travel_time_table`,
  `travel_times_from_point`, `travel_times_to_point`, `travel_time_table_between_points`;
* :mod:`~gis.routing.along` - `Along`: `edges_under` (edge and speed under points) and
  `pieces_within` (timed directed pieces of road from a point, by car or on foot).

The errors (`GraphError`, `UnknownNode`, `NoRoute`, `TooFarFromRoad`) live in `gis.errors`
and are importable from here.

All coordinates handed in and out are lon/lat in EPSG:4326; distances, snapping and buffers
are computed in the graph's local UTM zone; times are in seconds.
"""

from __future__ import annotations

from gis.errors import GraphError, NoRoute, TooFarFromRoad, UnknownNode
from gis.routing.along import Along
from gis.routing.graph import REQUIRED_COLUMNS
from gis.routing.isochrones import Isochrone, Reachability
from gis.routing.routes import Route, Routing
from gis.routing.snapping import Snap
from gis.routing.tables import TravelTimeTables


class RoadGraph(Routing, Reachability, TravelTimeTables, Along):
    """A directed road graph with exact shortest travel times.

    Build it with `RoadGraph.from_edges`. Node ids are the edges' ``u``/``v`` (OSM node
    ids); an edge with ``oneway`` False can be driven both ways at the same cost.

    Built by `gis.routing.graph.RoadGraphBase`; its queries come from the mixins
    `gis.routing.routes.Routing`, `gis.routing.isochrones.Reachability` and
    `gis.routing.tables.TravelTimeTables` and `gis.routing.along.Along`, all built on
    `gis.routing.snapping.Snapping`. Coordinates are lon/lat in EPSG:4326, distances are
    metres (measured in the graph's UTM zone), times are seconds.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable (see `from_edges`).
    """


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
