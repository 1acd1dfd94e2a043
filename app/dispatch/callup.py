"""Camera call-up for a place: load the candidates (`repository`), decide who sees it, who
is near and who watches the ways out (`dispatch.callup`, pure), and present the answer as
JSON with its reasons in the user's language.

* ``cameras`` — cameras whose view holds the point: a candidate is any camera within the
  radius or whose stored wedge (``sector``, GiST) covers the point; the decision (range,
  field of view, buildings in the way, ranking) is :func:`dispatch.callup.call_up`.
* ``nearby_cameras`` — the other candidates within the radius, nearest first, each with
  why it does not see the place (out of range, facing away, a building in the way).
* ``escape_cameras`` — cameras whose ``coverage`` (the wedge cut by buildings) meets a road
  segment a car can enter within ``escape_s`` seconds of the point (``camera_roads``, kept
  with the coverage, so this is an index join), soonest road first, cameras already seeing
  the place left out; the reached segments are looked up in the batches
  :class:`dispatch.callup.EscapeSearch` decides. A segment counts from the second it is
  entered, so a camera at the far end of a long segment is listed with that segment's
  entry time.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from app.dispatch import repository
from app.geography.graph import ServedGraph
from dispatch.callup import (
    BUILDING_IN_THE_WAY,
    FACES_AWAY,
    OUT_OF_RANGE,
    SEES,
    SEES_ALL_ROUND,
    CameraRecord,
    EscapeCamera,
    EscapeSearch,
    Reason,
    Sighting,
    call_up,
    look_at,
)
from gis.routing import GraphError


def cameras_for(session: Session, lon: float, lat: float, *,
                radius_m: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``cameras`` that see the point (best first) and ``nearby_cameras`` that do not."""
    found = repository.cameras_near(session, lon, lat, radius_m=radius_m)
    if not found:
        return [], []
    looks = look_at(lon, lat, found)
    buildings = repository.buildings_around(session, lon, lat, looks.in_view())
    decided = call_up(looks, buildings, radius_m=radius_m)
    return ([_sighting_json(s) for s in decided.seeing],
            [_sighting_json(s) for s in decided.nearby])


def escape_cameras(session: Session, served: ServedGraph, lon: float, lat: float, *,
                   escape_s: float, seen: list[int]) -> list[dict[str, Any]]:
    """Cameras watching roads a car can enter within ``escape_s`` of the point."""
    try:
        reach = served.graph.reachable_from_point(lon, lat, max_travel_s=escape_s)
    except GraphError:
        return []  # off the road network: no road to flee along (the answer says so)
    if reach.empty:
        return []
    search = EscapeSearch(reach["edge_id"].to_numpy(), reach["reached_s"].to_numpy())
    for batch in search.batches():
        search.add(repository.cameras_watching(session, batch,
                                               skip=[*seen, *search.found_ids]))
    return [_escape_json(camera) for camera in search.cameras()]


def camera_json(camera: CameraRecord) -> dict[str, Any]:
    return {"id": camera.id, "name": camera.name, "kind": camera.kind,
            "status": camera.status, "lon": camera.lon, "lat": camera.lat,
            "azimuth_deg": camera.azimuth_deg, "fov_deg": camera.fov_deg,
            "range_m": camera.range_m, "gb_id": camera.gb_id,
            "has_stream": bool(camera.stream_url)}


def _sighting_json(sighting: Sighting) -> dict[str, Any]:
    off_axis = sighting.off_axis_deg
    return camera_json(sighting.camera) | {
        "distance_m": round(sighting.distance_m, 1),
        "off_axis_deg": None if off_axis is None else round(off_axis, 1),
        "reason": reason_text(sighting.reason)}


def _escape_json(camera: EscapeCamera) -> dict[str, Any]:
    road_name = camera.road or gettext("an unnamed %(kind)s road", kind=camera.highway)
    return {"id": camera.id, "name": camera.name, "kind": camera.kind,
            "status": camera.status, "lon": camera.lon, "lat": camera.lat,
            "gb_id": camera.gb_id, "has_stream": bool(camera.stream_url),
            "road": camera.road, "edge_id": camera.edge_id,
            "travel_s": round(float(camera.reached_s), 1),
            "reason": gettext("watches %(road)s, %(minutes).1f min away", road=road_name,
                              minutes=float(camera.reached_s) / 60.0)}


def reason_text(reason: Reason) -> str:
    """A call-up reason in the user's language."""
    code, numbers = reason
    if code == SEES:
        return gettext("sees it %(m).0f m away, %(deg).0f° off its axis", m=numbers["m"],
                       deg=numbers["deg"])
    if code == SEES_ALL_ROUND:
        return gettext("sees it %(m).0f m away (direction unknown: all-round view assumed)",
                       m=numbers["m"])
    if code == OUT_OF_RANGE:
        return gettext("out of range: %(m).0f m away, sees %(range).0f m", m=numbers["m"],
                       range=numbers["range"])
    if code == FACES_AWAY:
        return gettext("faces away: %(deg).0f° off its axis, field of view %(fov).0f°",
                       deg=numbers["deg"], fov=numbers["fov"])
    if code == BUILDING_IN_THE_WAY:
        return gettext("a building stands between the camera and the place")
    raise ValueError(f"unknown call-up reason {code!r}")
