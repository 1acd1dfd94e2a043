"""Camera call-up for a place: who sees it, who is near, who watches the ways out.

* ``cameras`` — cameras whose view holds the point: a candidate is any camera within the
  radius or whose stored wedge (``sector``, GiST) covers the point; each is then tested
  exactly with :func:`gis.coverage.sees` against the building footprints around it (the
  one sight line, no ray sampling). Ranked by a score adding the distance as a share of
  the camera's range and the off-axis angle as a share of half its field of view (an
  all-round camera counts as half off axis): a near camera looking straight at the place
  first.
* ``nearby_cameras`` — the other candidates within the radius, nearest first (at most
  ``MAX_NEARBY_CAMERAS``), each with why it does not see the place (out of range, facing
  away, a building in the way).
* ``escape_cameras`` — cameras whose ``coverage`` (the wedge cut by buildings) meets a road
  segment a car can enter within ``escape_s`` seconds of the point (``camera_roads``, kept
  with the coverage, so this is an index join), soonest road first, at most
  ``MAX_ESCAPE_CAMERAS``, cameras already seeing the place left out. The reached segments
  are joined in order of entry time, in batches growing fourfold, until that many cameras
  are found: a dense city answers from its first few dozen segments. A segment counts
  from the second it is entered, so a camera at the far end of a long segment is listed
  with that segment's entry time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from flask_babel import gettext
from sqlalchemy.orm import Session

from app.cameras.coverage import default_range_m
from app.db.bulk import raw_cursor
from app.geography.graph import ServedGraph
from gis.coverage import off_axis_deg, sees
from gis.routing import GraphError

_EARTH_M_PER_DEG = 111_320.0
_CANDIDATES_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT c.id, c.name, c.kind, c.status, c.azimuth_deg, c.fov_deg, c.range_m, c.stream_url,
       c.gb_id, ST_X(c.geom), ST_Y(c.geom),
       ST_Distance(c.geom::geography, p.g::geography) AS distance_m
FROM cameras c, p
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
_FIRST_ESCAPE_BATCH = 64  # edges; each further batch four times larger
MAX_ESCAPE_CAMERAS = 50
MAX_NEARBY_CAMERAS = 30
_GEOD = pyproj.Geod(ellps="WGS84")
_NEAR_DEG = 1.0 / _EARTH_M_PER_DEG  # 1 m north-south; at least 0.5 m east-west below 60°


@dataclass(frozen=True)
class CameraRow:
    id: int
    name: str | None
    kind: str
    status: str
    azimuth_deg: float | None
    fov_deg: float | None
    range_m: float | None
    stream_url: str | None
    gb_id: str | None
    lon: float
    lat: float
    distance_m: float

    @property
    def reach_m(self) -> float:
        """The range, or the default of the camera's kind (as its stored coverage)."""
        return self.range_m if self.range_m else default_range_m(self.kind)


def candidates(session: Session, lon: float, lat: float, *, radius_m: float) -> list[CameraRow]:
    dy = radius_m / _EARTH_M_PER_DEG * 1.01
    dx = dy / max(math.cos(math.radians(lat)), 0.01)
    with raw_cursor(session) as cur:
        cur.execute(_CANDIDATES_SQL, {"lon": lon, "lat": lat, "dx": dx, "dy": dy,
                                      "radius": radius_m})
        return [CameraRow(*row) for row in cur.fetchall()]


def buildings_around(session: Session, lon: float, lat: float,
                     cameras: list[CameraRow]) -> list[Any]:
    """Footprints in the box holding the point and these cameras' positions."""
    if not cameras:
        return []
    lons = [lon, *(c.lon for c in cameras)]
    lats = [lat, *(c.lat for c in cameras)]
    with raw_cursor(session) as cur:
        cur.execute(_BUILDINGS_SQL, (min(lons), min(lats), max(lons), max(lats)))
        rows = cur.fetchall()
    return list(shapely.from_wkb([bytes(r[0]) for r in rows])) if rows else []


def call_up(session: Session, lon: float, lat: float, *,
            radius_m: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``cameras`` that see the point (best first) and ``nearby_cameras`` that do not.

    Distance and bearing of every candidate are computed at once (geodesic); only those in
    range and in their field of view get the exact sight-line test against buildings."""
    found = candidates(session, lon, lat, radius_m=radius_m)
    if not found:
        return [], []
    cam_lon = np.array([c.lon for c in found])
    cam_lat = np.array([c.lat for c in found])
    bearing, _, distance = _GEOD.inv(cam_lon, cam_lat, np.full(len(found), lon),
                                     np.full(len(found), lat))
    azimuth = np.array([np.nan if c.azimuth_deg is None else c.azimuth_deg for c in found])
    fov = np.array([np.nan if c.fov_deg is None else c.fov_deg for c in found])
    reach = np.array([c.reach_m for c in found])
    off = np.where(distance == 0.0, 0.0, off_axis_deg(bearing, np.nan_to_num(azimuth)))
    all_round = np.isnan(azimuth) | np.isnan(fov) | (fov >= 360.0)
    maybe = (distance <= reach) & (all_round | (off <= np.nan_to_num(fov) / 2.0 + 1e-9))
    obstacles = buildings_around(session, lon, lat,
                                 [c for c, m in zip(found, maybe, strict=True) if m])
    near_blocker = _near_a_building(lon, lat, cam_lon, cam_lat, obstacles)
    seeing: list[tuple[float, dict[str, Any]]] = []
    blind: list[tuple[float, int, int]] = []
    for i, camera in enumerate(found):
        off_axis = None if np.isnan(azimuth[i]) else float(off[i])
        visible = bool(maybe[i]) and (not near_blocker[i] or sees(
            lon, lat, camera_lon=camera.lon, camera_lat=camera.lat,
            azimuth_deg=camera.azimuth_deg, fov_deg=camera.fov_deg, range_m=camera.reach_m,
            obstacles=obstacles).visible)
        if visible:
            entry = _entry(camera, float(distance[i]), off_axis)
            entry["reason"] = _seeing_reason(float(distance[i]), off_axis)
            seeing.append((_score(camera, float(distance[i]), off_axis), entry))
        elif distance[i] <= radius_m:
            blind.append((round(float(distance[i]), 1), camera.id, i))
    seeing.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    blind.sort()
    nearby = []
    for _, _, i in blind[:MAX_NEARBY_CAMERAS]:  # the nearest; a dispatcher reads no more
        off_axis = None if np.isnan(azimuth[i]) else float(off[i])
        entry = _entry(found[i], float(distance[i]), off_axis)
        entry["reason"] = _blind_reason(found[i], float(distance[i]), off_axis)
        nearby.append(entry)
    return [entry for _, entry in seeing], nearby


def _entry(camera: CameraRow, distance_m: float, off_axis: float | None) -> dict[str, Any]:
    return camera_json(camera) | {
        "distance_m": round(distance_m, 1),
        "off_axis_deg": None if off_axis is None else round(off_axis, 1)}


def _near_a_building(lon: float, lat: float, cam_lon: npt.NDArray[np.float64],
                     cam_lat: npt.NDArray[np.float64], obstacles: list[Any]
                     ) -> npt.NDArray[np.bool_]:
    """Which sight lines (straight in lon/lat) pass within about a metre of a footprint:
    only those need the exact test in the camera's own projection; over a few hundred
    metres the two lines differ by millimetres, so the others are clear."""
    flags = np.zeros(len(cam_lon), dtype=bool)
    if not obstacles:
        return flags
    coords = np.stack([np.column_stack([cam_lon, cam_lat]),
                       np.column_stack([np.full(len(cam_lon), lon),
                                        np.full(len(cam_lat), lat)])], axis=1)
    lines = shapely.linestrings(coords)
    hits, _ = shapely.STRtree(obstacles).query(lines, predicate="dwithin",
                                               distance=_NEAR_DEG)
    flags[hits] = True
    return flags


def escape_cameras(session: Session, served: ServedGraph, lon: float, lat: float, *,
                   escape_s: float, seen: list[int]) -> list[dict[str, Any]]:
    """Cameras watching roads a car can enter within ``escape_s`` of the point."""
    try:
        reach = served.graph.reachable_from_point(lon, lat, max_travel_s=escape_s)
    except GraphError:
        return []  # off the road network: no road to flee along (the answer says so)
    if reach.empty:
        return []
    ordered = reach.sort_values(["reached_s", "edge_id"], kind="stable")
    edges = ordered["edge_id"].to_numpy(dtype=np.int64)
    reached = ordered["reached_s"].to_numpy(dtype=np.float64)
    found: dict[int, tuple[Any, ...]] = {}
    start, size = 0, _FIRST_ESCAPE_BATCH
    with raw_cursor(session) as cur:
        while start < len(edges) and len(found) < MAX_ESCAPE_CAMERAS:
            stop = _batch_end(reached, start + size)
            cur.execute(_ESCAPE_SQL, {"edges": edges[start:stop].tolist(),
                                      "reached": reached[start:stop].tolist(),
                                      "skip": [*seen, *found]})
            for row in cur.fetchall():
                found[row[0]] = row
            start, size = stop, size * 4
    rows = sorted(found.values(), key=lambda r: (r[8], r[0]))
    result = []
    for (camera_id, name, kind, status, stream_url, gb_id, cam_lon, cam_lat, reached_s,
         edge_id, road, highway) in rows[:MAX_ESCAPE_CAMERAS]:
        road_name = road or gettext("an unnamed %(kind)s road", kind=highway)
        result.append({
            "id": camera_id, "name": name, "kind": kind, "status": status,
            "lon": cam_lon, "lat": cam_lat, "gb_id": gb_id, "has_stream": bool(stream_url),
            "road": road, "edge_id": edge_id, "travel_s": round(float(reached_s), 1),
            "reason": gettext("watches %(road)s, %(minutes).1f min away", road=road_name,
                              minutes=float(reached_s) / 60.0)})
    return result


def _batch_end(reached: npt.NDArray[np.float64], stop: int) -> int:
    """``stop``, moved past edges entered at the same second as the last one taken, so
    that no camera left for the next batch can tie with one already found."""
    if stop >= len(reached):
        return len(reached)
    return int(np.searchsorted(reached, reached[stop - 1], side="right"))


def camera_json(camera: CameraRow) -> dict[str, Any]:
    return {"id": camera.id, "name": camera.name, "kind": camera.kind,
            "status": camera.status, "lon": camera.lon, "lat": camera.lat,
            "azimuth_deg": camera.azimuth_deg, "fov_deg": camera.fov_deg,
            "range_m": camera.range_m, "gb_id": camera.gb_id,
            "has_stream": bool(camera.stream_url)}


def _score(camera: CameraRow, distance_m: float, off_axis_deg: float | None) -> float:
    near = distance_m / camera.reach_m
    if off_axis_deg is None or camera.fov_deg is None or camera.fov_deg >= 360.0:
        return near + 0.5
    return near + off_axis_deg / max(camera.fov_deg / 2.0, 1e-6)


def _seeing_reason(distance_m: float, off_axis_deg: float | None) -> str:
    if off_axis_deg is None:
        return gettext("sees it %(m).0f m away (direction unknown: all-round view assumed)",
                       m=distance_m)
    return gettext("sees it %(m).0f m away, %(deg).0f° off its axis", m=distance_m,
                   deg=off_axis_deg)


def _blind_reason(camera: CameraRow, distance_m: float, off_axis_deg: float | None) -> str:
    if distance_m > camera.reach_m:
        return gettext("out of range: %(m).0f m away, sees %(range).0f m", m=distance_m,
                       range=camera.reach_m)
    if (off_axis_deg is not None and camera.fov_deg is not None
            and off_axis_deg > camera.fov_deg / 2.0):
        return gettext("faces away: %(deg).0f° off its axis, field of view %(fov).0f°",
                       deg=off_axis_deg, fov=camera.fov_deg)
    return gettext("a building stands between the camera and the place")
