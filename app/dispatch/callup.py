"""Camera call-up for a place: load the candidates, decide who sees it, who is near and
who watches the ways out (`dispatch.callup`, pure), and present the answer as JSON with
its reasons in the user's language.

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

import math
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.cameras.coverage import default_range_m
from app.db.bulk import raw_cursor
from app.db.geometry import from_ewkb_many
from app.geography.graph import ServedGraph
from dispatch.callup import (
    BUILDING_IN_THE_WAY,
    FACES_AWAY,
    OUT_OF_RANGE,
    SEES,
    SEES_ALL_ROUND,
    CameraRecord,
    EdgeBatch,
    EscapeCamera,
    EscapeSearch,
    Reason,
    Sighting,
    call_up,
    look_at,
)
from gis.routing import GraphError

_EARTH_M_PER_DEG = 111_320.0
_CANDIDATES_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT c.id, c.name, c.kind, c.status, c.azimuth_deg, c.fov_deg, c.range_m, c.stream_url,
       c.gb_id, ST_X(c.geom), ST_Y(c.geom)
FROM cameras c
WHERE c.id IN (
    SELECT k.id FROM cameras k, p
    WHERE k.geom && ST_Expand(p.g, %(dx)s, %(dy)s)
      AND ST_DWithin(k.geom::geography, p.g::geography, %(radius)s)
    UNION
    SELECT k.id FROM cameras k, p WHERE ST_Covers(k.sector, p.g))
"""
_BUILDINGS_SQL = ("SELECT ST_AsBinary(geom) FROM buildings "
                  "WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
_ESCAPE_SQL = """
SELECT DISTINCT ON (c.id) c.id, c.name, c.kind, c.status, c.stream_url, c.gb_id,
       ST_X(c.geom), ST_Y(c.geom), r.reached_s, e.id, e.name, e.highway
FROM unnest(%(edges)s::int[], %(reached)s::float8[]) AS r(edge_id, reached_s)
JOIN camera_roads cr ON cr.edge_id = r.edge_id
JOIN road_edges e ON e.id = r.edge_id
JOIN cameras c ON c.id = cr.camera_id
WHERE NOT (c.id = ANY(%(skip)s::int[]))
ORDER BY c.id, r.reached_s, e.id
"""


def cameras_near(session: Session, lon: float, lat: float, *,
                 radius_m: float) -> list[CameraRecord]:
    """Cameras within ``radius_m`` of the point, or whose stored wedge covers it."""
    dy = radius_m / _EARTH_M_PER_DEG * 1.01
    dx = dy / max(math.cos(math.radians(lat)), 0.01)
    with raw_cursor(session) as cur:
        cur.execute(_CANDIDATES_SQL, {"lon": lon, "lat": lat, "dx": dx, "dy": dy,
                                      "radius": radius_m})
        rows = cur.fetchall()
    return [CameraRecord(id=camera_id, lon=cam_lon, lat=cam_lat, azimuth_deg=azimuth,
                         fov_deg=fov, reach_m=range_m if range_m else default_range_m(kind),
                         name=name, kind=kind, status=status, range_m=range_m,
                         stream_url=stream_url, gb_id=gb_id)
            for (camera_id, name, kind, status, azimuth, fov, range_m, stream_url, gb_id,
                 cam_lon, cam_lat) in rows]


def buildings_around(session: Session, lon: float, lat: float,
                     cameras: Sequence[CameraRecord]) -> list[BaseGeometry]:
    """Footprints in the box holding the point and these cameras' positions (none for no
    cameras)."""
    if not cameras:
        return []
    lons = [lon, *(c.lon for c in cameras)]
    lats = [lat, *(c.lat for c in cameras)]
    with raw_cursor(session) as cur:
        cur.execute(_BUILDINGS_SQL, (min(lons), min(lats), max(lons), max(lats)))
        rows = cur.fetchall()
    return list(from_ewkb_many(r[0] for r in rows))


def cameras_watching(session: Session, batch: EdgeBatch, *,
                     skip: Sequence[int]) -> list[EscapeCamera]:
    """Cameras (but those in ``skip``) watching the batch's road segments, each with the
    soonest segment it watches."""
    with raw_cursor(session) as cur:
        cur.execute(_ESCAPE_SQL, {"edges": batch.edge_ids, "reached": batch.reached_s,
                                  "skip": list(skip)})
        rows = cur.fetchall()
    return [EscapeCamera(id=camera_id, reached_s=reached_s, edge_id=edge_id, road=road,
                         highway=highway, name=name, kind=kind, status=status,
                         stream_url=stream_url, gb_id=gb_id, lon=cam_lon, lat=cam_lat)
            for (camera_id, name, kind, status, stream_url, gb_id, cam_lon, cam_lat,
                 reached_s, edge_id, road, highway) in rows]


def cameras_for(session: Session, lon: float, lat: float, *,
                radius_m: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``cameras`` that see the point (best first) and ``nearby_cameras`` that do not."""
    found = cameras_near(session, lon, lat, radius_m=radius_m)
    if not found:
        return [], []
    looks = look_at(lon, lat, found)
    buildings = buildings_around(session, lon, lat, looks.in_view())
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
        search.add(cameras_watching(session, batch, skip=[*seen, *search.found_ids]))
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
