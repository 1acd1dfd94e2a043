"""Evidence plans: from a place, a past time, a mode and a path (drawn, uploaded, routed
to a place, or every way out within some minutes), the cameras that watch the path, each
with the window of recording to pull (`gis.evidence`), their recording URLs filled, kept
in the case file of the alert or incident named, audited with its reason. A plan never
raises an alert.

Every plan is stored (``evidence_plans``) so it can be printed and exported later; one
made for an alert also goes on the alert's timeline (``evidence_plan``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from flask_babel import gettext
from shapely.geometry import LineString, MultiLineString, Point, mapping
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, RecordNotFound
from app.evidence import repository
from app.evidence.body import EvidencePlanBody
from app.geography.graph import ServedGraph, road_graph
from app.models import AlertEvent, EvidencePlan, User
from dispatch.cameras.recording import fill_recording_template
from gis.crs import datum_to_wgs84_array
from gis.errors import EvidenceInputError, NoRoute, TooFarFromRoad
from gis.evidence import (
    MODES,
    CoverageRecord,
    Mode,
    Sighting,
    TimedPath,
    line_from_geojson,
    line_from_gpx,
    path_from_line,
    path_from_pieces,
    plan_sightings,
    watch_passages,
)
from gis.evidence.path import segment_midpoints

logger = logging.getLogger(__name__)

ROAD_UNDER_PATH_M = 15.0
"""A drawn path follows a road where the road lies within this many metres."""


@dataclass(frozen=True)
class Start:
    lon: float
    lat: float
    at: datetime
    alert_id: int | None
    incident_id: int | None


def make_plan(session: Session, body: EvidencePlanBody, *, actor: User | None) -> EvidencePlan:
    """Work out the plan, store it in the case file, audit it (the caller commits)."""
    start = _start_of(session, body)
    kind, path, line = _timed_path(session, body, start)
    cameras = (repository.cameras_on_edges(session, [int(e) for e in set(path.edge_id)])
               if kind == "ways_out" else
               repository.cameras_covering(session, MultiLineString([line])))
    records = [CoverageRecord(c["id"], c["coverage"], all_round=_all_round(c))
               for c in cameras if c["coverage"] is not None]
    try:
        sightings = plan_sightings(watch_passages(path, records), mode=body.mode,
                                   margin_s=body.margin_s)
    except EvidenceInputError as exc:
        raise InvalidValue(str(exc), field=exc.field) from None
    roads = _road_names(session, sightings)
    by_id = {c["id"]: c for c in cameras}
    rows = [_sighting_json(n, s, by_id[s.passage.camera_id], roads, start)
            for n, s in enumerate(sightings, start=1)]
    stored_path = (MultiLineString([line]) if line is not None
                   else _pieces_multiline(path))
    plan = EvidencePlan(
        actor=(actor.username if actor is not None else "cli")[:64], reason=body.reason,
        created_by=actor.id if actor is not None else None, alert_id=start.alert_id,
        incident_id=start.incident_id, kind=kind, mode=str(body.mode), at=start.at,
        params=_params(body, path), sightings=rows,
        geom=to_ewkb(Point(start.lon, start.lat)),
        path=to_ewkb(stored_path) if stored_path is not None else None)
    session.add(plan)
    session.flush()
    if start.alert_id is not None:
        session.add(AlertEvent(alert_id=start.alert_id, event="evidence_plan",
                               actor=plan.actor,
                               details={"plan_id": plan.id, "cameras": len(rows),
                                        "mode": str(body.mode), "kind": kind}))
    audit.record(session, "evidence_plan.create", object_type="evidence_plan",
                 object_id=plan.id, reason=body.reason, actor=actor,
                 details={"kind": kind, "mode": str(body.mode), "at": start.at.isoformat(),
                          "cameras": len(rows), "alert_id": start.alert_id,
                          "incident_id": start.incident_id})
    logger.info("evidence plan %d: %s by %s, %d cameras", plan.id, kind, body.mode, len(rows))
    return plan


def plan_json(session: Session, plan: EvidencePlan) -> dict[str, Any]:
    """A stored plan as the API answers it."""
    path, lon, lat = repository.plan_geometry(session, plan.id)
    start = {"lon": lon, "lat": lat}
    return {"id": plan.id, "kind": plan.kind, "mode": plan.mode,
            "at": _local(plan.at).isoformat(), "reason": plan.reason,
            "alert_id": plan.alert_id, "incident_id": plan.incident_id,
            "created_at": plan.created_at.isoformat(), "created_by": plan.actor,
            "start": start, "params": plan.params,
            "path": mapping(path) if path is not None else None,
            "cameras": plan.sightings}


def find_plan(session: Session, plan_id: int) -> EvidencePlan:
    plan = repository.plan(session, plan_id)
    if plan is None:
        raise RecordNotFound(f"No evidence plan {plan_id}.", field="plan_id")
    return plan


CSV_COLUMNS = ("order", "camera_id", "name", "gb_id", "kind", "status", "road",
               "window_start", "window_end", "expected_first", "expected_last", "seen_m",
               "along_m", "reason", "recording_url")


def csv_rows(plan: EvidencePlan) -> list[dict[str, Any]]:
    """The sightings as CSV rows (text cells guarded against spreadsheet formulas)."""
    return [{column: _cell(row.get(column)) for column in CSV_COLUMNS}
            for row in plan.sightings]


# -- the start and the path ------------------------------------------------------------------

def _start_of(session: Session, body: EvidencePlanBody) -> Start:
    known = None
    if body.alert_id is not None:
        known = repository.alert_place(session, body.alert_id)
        if known is None:
            raise RecordNotFound(f"No alert {body.alert_id}.", field="alert_id")
    if body.incident_id is not None:
        found = repository.incident_place(session, body.incident_id)
        if found is None:
            raise RecordNotFound(f"No incident {body.incident_id}.", field="incident_id")
        known = known or found
    if (body.lon is None) != (body.lat is None):
        raise InvalidValue("Give both lon and lat, or neither (the alert's or incident's "
                           "place is taken).", field="lat" if body.lat is None else "lon",
                           code="incomplete_place")
    if body.lon is not None and body.lat is not None:
        lon, lat = _to_wgs84(body.datum, body.lon, body.lat)
    elif known is not None:
        lon, lat = known[0], known[1]
    else:
        raise InvalidValue("Give lon, lat and at, or an alert_id or incident_id.",
                           field="lon", code="incomplete_place")
    at = body.at or (known[2] if known is not None else None)
    if at is None:
        raise InvalidValue("Give the time (at), or an alert_id or incident_id.", field="at",
                           code="incomplete_place")
    return Start(lon, lat, at, body.alert_id, body.incident_id)


def _timed_path(session: Session, body: EvidencePlanBody,
                start: Start) -> tuple[str, TimedPath, LineString | None]:
    speed = body.speed_kmh / 3.6 if body.speed_kmh is not None else None
    try:
        if body.minutes is not None:
            served = road_graph(session)
            walking = body.mode == Mode.FOOT
            pieces = served.graph.pieces_within(
                start.lon, start.lat, max_travel_s=body.minutes * 60.0,
                speed_mps=speed or (MODES[Mode.FOOT].speed_mps if walking else None),
                one_way_binds=not walking)
            return "ways_out", path_from_pieces(pieces), None
        if body.to is not None:
            served = road_graph(session)
            to_lon, to_lat = _to_wgs84(body.datum, body.to.lon, body.to.lat)
            route = served.graph.route_between_points(start.lon, start.lat, to_lon, to_lat)
            line = LineString([(start.lon, start.lat), *route.geometry.coords])
            return "route", _timed_line(session, line, body, speed, served), line
        line = (line_from_gpx(body.gpx) if body.gpx is not None
                else line_from_geojson(body.path))
        if body.datum != "wgs84":
            xy = np.asarray(line.coords)
            line = LineString(np.column_stack(datum_to_wgs84_array(body.datum, xy[:, 0],
                                                                   xy[:, 1])))
        return "path", _timed_line(session, line, body, speed, None), line
    except EvidenceInputError as exc:
        raise InvalidValue(str(exc), field=exc.field, code="unusable_path") from None
    except TooFarFromRoad:
        raise InvalidValue("The place (or the destination) is more than 500 m from any "
                           "drivable road.", field="to" if body.to else "lon",
                           code="too_far_from_road") from None
    except NoRoute:
        raise InvalidValue("No drivable route leads from the place to the destination.",
                           field="to", code="no_route") from None


def _timed_line(session: Session, line: LineString, body: EvidencePlanBody,
                speed: float | None, served: ServedGraph | None) -> TimedPath:
    roads = None
    if served is None:
        try:
            served = road_graph(session)
        except InvalidValue:  # no roads imported: the mode's own speed everywhere
            served = None
    if served is not None:
        lon, lat = segment_midpoints(line)
        roads = served.graph.edges_under(lon, lat, max_distance_m=ROAD_UNDER_PATH_M)
    return path_from_line(line, mode=body.mode, roads=roads, speed_mps=speed)


def _to_wgs84(datum: str, lon: float, lat: float) -> tuple[float, float]:
    x, y = datum_to_wgs84_array(datum, lon, lat)
    return float(x), float(y)


def _all_round(camera: dict[str, Any]) -> bool:
    fov = camera["fov_deg"]
    return camera["azimuth_deg"] is None or fov is None or fov >= 360.0


def _pieces_multiline(path: TimedPath) -> MultiLineString | None:
    if len(path) == 0:
        return None
    return MultiLineString([LineString(pair) for pair in path.coords])


def _params(body: EvidencePlanBody, path: TimedPath) -> dict[str, Any]:
    model = MODES[body.mode]
    return {"margin_s": body.margin_s, "minutes": body.minutes, "speed_kmh": body.speed_kmh,
            "datum": body.datum, "to": body.to.model_dump() if body.to else None,
            "faster": model.faster, "slower": model.slower,
            "duration_s": round(path.duration_s, 1),
            "length_m": None if np.isnan(path.length_m) else round(path.length_m, 1)}


# -- the answer -------------------------------------------------------------------------------

def _road_names(session: Session, sightings: list[Sighting]) -> dict[int, str | None]:
    edge_ids = {s.passage.edge_id for s in sightings if s.passage.edge_id >= 0}
    if not edge_ids:
        return {}
    edges = road_graph(session).edges
    return {int(e): _name(edges.at[e, "name"]) for e in edge_ids if e in edges.index}


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _sighting_json(order: int, sighting: Sighting, camera: dict[str, Any],
                   roads: dict[int, str | None], start: Start) -> dict[str, Any]:
    passage = sighting.passage
    window_start = start.at + timedelta(seconds=sighting.window_start_s)
    window_end = start.at + timedelta(seconds=sighting.window_end_s)
    road = roads.get(passage.edge_id)
    along = None if np.isnan(passage.first_m) else round(passage.first_m, 1)
    url = None
    if camera["recording_url"]:
        url = fill_recording_template(camera["recording_url"], start=window_start,
                                      end=window_end, local_zone=_zone_name())
    return {
        "order": order, "camera_id": camera["id"], "name": camera["name"],
        "kind": camera["kind"], "status": camera["status"], "gb_id": camera["gb_id"],
        "lon": camera["lon"], "lat": camera["lat"], "has_stream": camera["has_stream"],
        "window_start": _local(window_start).isoformat(),
        "window_end": _local(window_end).isoformat(),
        "expected_first": _local(start.at + timedelta(seconds=passage.first_s)).isoformat(),
        "expected_last": _local(start.at + timedelta(seconds=passage.last_s)).isoformat(),
        "seen_m": round(passage.seen_m, 1), "along_m": along, "road": road,
        "edge_id": passage.edge_id if passage.edge_id >= 0 else None,
        "watch_lon": round(passage.lon, 7), "watch_lat": round(passage.lat, 7),
        "direction_known": not passage.all_round,
        "reason": _reason(passage.seen_m, road, passage.first_s, passage.last_s,
                          passage.all_round),
        "recording_url": url,
    }


def _reason(seen_m: float, road: str | None, first_s: float, last_s: float,
            all_round: bool) -> str:
    where = road or gettext("the path")
    text: str = gettext("sees %(m).0f m of %(road)s, %(first).1f–%(last).1f min after the start "
                   "at the assumed speed", m=seen_m, road=where, first=first_s / 60.0,
                   last=last_s / 60.0)
    if all_round:
        text += gettext(" (direction unknown: all-round view assumed)")
    return text


def _zone_name() -> str:
    return str(current_app.config.get("TIMEZONE") or "UTC")


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(_zone_name()))


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value
