"""Routes and isochrones on the road graph held by this process."""

from __future__ import annotations

from typing import Any

from flask import request
from shapely.geometry import mapping

from app.api import bp
from app.api.docs import FEATURE_COLLECTION, Answer, Param, documented
from app.auth.access import any_role
from app.db import get_session
from app.errors import InvalidValue
from app.geography.graph import road_graph, snap_near_road
from app.geography.params import POINT_PATTERN, parse_int, parse_point
from gis.routing import NoRoute

MAX_ISOCHRONE_S = 3600


def snap_json(snap: Any) -> dict[str, Any]:
    return {"edge_id": snap.edge_id, "lon": snap.lon, "lat": snap.lat,
            "distance_m": round(snap.distance_m, 1)}


@bp.get("/route")
@any_role
@documented("Fastest drivable route between two points", tag="routing", params=(
    Param("from", "LON,LAT", required=True, schema={"pattern": POINT_PATTERN}),
    Param("to", "LON,LAT", required=True, schema={"pattern": POINT_PATTERN})),
    responses={200: "{eta_s, distance_m, geometry, from_snap, to_snap}"},
    refusals={"no_roads": "no road graph yet (no OSM extract imported)",
              "too_far_from_road": "a point is more than 500 m from a drivable road",
              "no_route": "no drivable route joins the points"})
def route() -> dict[str, Any]:
    start = parse_point(request.args.get("from"), "from")
    end = parse_point(request.args.get("to"), "to")
    served = road_graph(get_session())
    start_snap = snap_near_road(served.graph, *start, field="from")
    end_snap = snap_near_road(served.graph, *end, field="to")
    try:
        found = served.graph.route_between_points(*start, *end)
    except NoRoute:
        raise InvalidValue("No drivable route joins these points (one-way streets or a "
                            "disconnected part of the network).", field="to",
                            code="no_route") from None
    return {"eta_s": round(found.eta_s, 1), "distance_m": round(found.distance_m, 1),
            "geometry": mapping(found.geometry), "from_snap": snap_json(start_snap),
            "to_snap": snap_json(end_snap)}


@bp.get("/isochrone")
@any_role
@documented("Area and road segments reachable by car within N seconds", tag="routing", params=(
    Param("at", "LON,LAT", required=True, schema={"pattern": POINT_PATTERN}),
    Param("seconds", f"travel time, 1–{MAX_ISOCHRONE_S}", type="integer", required=True,
          schema={"minimum": 1, "maximum": MAX_ISOCHRONE_S})),
    responses={200: Answer("GeoJSON FeatureCollection: the polygon, then each reachable "
                           "road segment with reached_s", schema=FEATURE_COLLECTION)},
    refusals={"no_roads": "no road graph yet (no OSM extract imported)",
              "too_far_from_road": "the point is more than 500 m from a drivable road"})
def isochrone() -> dict[str, Any]:
    lon, lat = parse_point(request.args.get("at"), "at")
    seconds = parse_int(request.args, "seconds", default=None, low=1, high=MAX_ISOCHRONE_S)
    served = road_graph(get_session())
    snap = snap_near_road(served.graph, lon, lat, field="at")
    reach = served.graph.isochrone_from_point(lon, lat, max_travel_s=seconds)
    features: list[dict[str, Any]] = [{
        "type": "Feature", "geometry": mapping(reach.polygon),
        "properties": {"kind": "isochrone", "seconds": seconds, "at": [lon, lat],
                       "snap": snap_json(snap)}}]
    edges = served.edges
    for edge_id, reached_s, full in zip(reach.edges["edge_id"], reach.edges["reached_s"],
                                        reach.edges["fully_reachable"], strict=True):
        edge = edges.loc[int(edge_id)]
        features.append({"type": "Feature", "geometry": mapping(edge.geometry), "properties": {
            "kind": "road", "edge_id": int(edge_id), "name": edge["name"],
            "reached_s": round(float(reached_s), 1),
            "fully_reachable": bool(full)}})
    return {"type": "FeatureCollection", "features": features}
