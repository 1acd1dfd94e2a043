"""The road graph of the serving process: built from ``road_edges`` on first use and
rebuilt when the ``roads`` data version changes (an import in any process bumps it)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import geopandas as gpd
from flask import current_app
from sqlalchemy.orm import Session

from app.db.versions import data_version
from app.errors import InvalidValue
from app.geography.repository.edges import load_edges
from gis.routing import RoadGraph, Snap, TooFarFromRoad

logger = logging.getLogger(__name__)


@dataclass
class ServedGraph:
    """The graph and its edges (indexed by ``edge_id``) as of one data version."""

    version: int
    graph: RoadGraph
    edges: gpd.GeoDataFrame


_lock = threading.Lock()


def road_graph(session: Session) -> ServedGraph:
    """This process's graph, rebuilt if the roads changed since it was built."""
    cache: dict[str, ServedGraph] = current_app.extensions.setdefault("gridpatrol_graph", {})
    version = data_version(session, "roads")
    cached = cache.get("graph")
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        cached = cache.get("graph")
        if cached is not None and cached.version == version:
            return cached
        edges = load_edges(session)
        if edges.empty:
            raise InvalidValue("There is no road graph yet: import an OSM extract first.",
                                field="roads", code="no_roads")
        graph = RoadGraph.from_edges(edges)
        logger.info("road graph v%s built: %d nodes, %d edges", version, graph.node_count,
                    graph.edge_count)
        served = ServedGraph(version, graph, edges.set_index("edge_id", drop=False))
        cache["graph"] = served
        return served


def snap_near_road(graph: RoadGraph, lon: float, lat: float, field: str,
                   max_distance_m: float = 500.0) -> Snap:
    try:
        return graph.snap(lon, lat, max_distance_m=max_distance_m)
    except TooFarFromRoad:
        raise InvalidValue(f"{field} is more than {max_distance_m:g} m from any drivable road.",
                            field=field, code="too_far_from_road") from None
