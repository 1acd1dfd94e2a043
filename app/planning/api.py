"""Patrol planning: must-visit points, stations, the roster, plans and their exports."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import shapely
from flask import Response, request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from app import audit
from app.api import bp, json_body
from app.api.docs import (
    FEATURE_COLLECTION,
    GEOJSON,
    JSON,
    Answer,
    Body,
    Param,
    documented,
    validate_json,
)
from app.auth.access import PLANNERS, PLANNING_READERS, allow
from app.db import get_read_session, get_session
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, MalformedRequest, RecordNotFound, nothing_imported
from app.jobs.api import ACCEPTED, TOO_MANY
from app.jobs.service import accepted, prefers_async, submit
from app.models import MustVisitPoint, PatrolPlan, PlanRoute
from app.notes import note_text
from app.planning.actual import plan_compliance
from app.planning.adjust import move_stop, set_locked
from app.planning.jobs import page_link, plan_is_small, plan_params
from app.planning.plans import (
    configured_shifts,
    existing_plan,
    known_shift,
    plan_shift,
    route_gpx,
    routes_geojson,
)
from app.planning.points import (
    PointInput,
    create_point,
    point_json,
    point_values,
    points_geojson,
)
from app.planning.publish import publish_plan
from app.planning.repository import plans_on
from app.planning.roster import StationInput, roster_for, save_station, stations_json, write_roster
from patrol.roster import parse_roster_csv, parse_roster_json

DATE = Param("date", "the day, YYYY-MM-DD (local)", required=True, format="date")
SHIFT = Param("shift", "shift code (default: every shift of the day)")
ROUTE_ID = Param("route_id", "route id", location="path", type="integer")
PLAN_ID = Param("plan_id", "plan id", location="path", type="integer")
UNKNOWN_SHIFT = {"unknown_shift": "no shift of the configured pattern has this code"}
POINTS = {200: Answer("Must-visit points: GeoJSON FeatureCollection", GEOJSON,
                      FEATURE_COLLECTION)}


def _point_change_schema() -> dict[str, Any]:
    schema = PointInput.model_json_schema()
    schema["properties"]["active"] = {"type": "boolean"}
    return schema | {"title": "PointChange", "required": []}


POINT_CHANGE = Body({JSON: _point_change_schema()})
OFF_THE_EARTH = {"coordinates_out_of_range": "lon and lat given in bd09 leave the Earth once "
                                             "converted to WGS-84 (near the antimeridian)"}
ROSTER = Body({JSON: {"type": "array", "items": {
                   "description": "{date, shift, unit, grids, station?, start?, end?, note?}: "
                                  "a row that cannot be read is listed in errors, the "
                                  "others are written"}},
               "text/csv": {"type": "string", "minLength": 1}})
LOCK = Body({JSON: {"type": "object", "additionalProperties": False, "properties": {
    "locked": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 500}}}})


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: date
    shift: str | None = None
    engine: str | None = Field(default=None, pattern="^(vroom|ortools)$")
    seed: int | None = Field(default=None, ge=0, le=2**31)
    reason: str | None = Field(default=None, max_length=500)


def _day(value: str | None) -> date:
    return date.fromisoformat(value or "")  # required and checked as the parameter says


# -- must-visit points ------------------------------------------------------------------

@bp.post("/must-visit-points")
@allow(*PLANNERS)
@documented("Create a must-visit point (必巡点) with weekday windows; lon and lat in "
            "`datum` (answered in WGS-84)", tag="planning",
            body=PointInput, responses={201: "{id, …}"}, refusals=OFF_THE_EARTH)
def create_must_visit_point() -> tuple[dict[str, Any], int]:
    point = validate_json(PointInput, json_body())
    session = get_session()
    row = create_point(session, point, actor=current_user)
    session.commit()
    lon, lat = point.wgs84()
    return {"id": row.id, **point_json(point), "lon": lon, "lat": lat,
            "grid_cell_id": row.grid_cell_id}, 201


@bp.get("/must-visit-points")
@allow(*PLANNING_READERS)
@documented("Must-visit points (GeoJSON); temporary points past their `expires_at` count "
            "as inactive (`expired`: true)", tag="planning", responses=POINTS,
            params=(Param("all", "true: include inactive and expired points",
                          type="boolean"),))
def must_visit_points() -> Response:
    return Response(json.dumps(points_geojson(get_session(), active_only=request.args.get(
        "all") != "true")), mimetype=GEOJSON)


@bp.patch("/must-visit-points/<int:point_id>")
@allow(*PLANNERS)
@documented("Change a must-visit point (any field; active: false retires it; a `datum` "
            "applies to a lon and lat given together)",
            tag="planning", body=POINT_CHANGE, refusals=OFF_THE_EARTH | {
                "datum_without_position": "a datum was given without both lon and lat"},
            params=(Param("point_id", "point id", location="path", type="integer"),))
def change_must_visit_point(point_id: int) -> dict[str, Any]:
    session = get_session()
    row = session.get(MustVisitPoint, point_id)
    if row is None:
        raise RecordNotFound(f"No must-visit point {point_id}.", field="point_id")
    changes = dict(json_body())
    if "datum" in changes and not ("lon" in changes and "lat" in changes):
        raise InvalidValue("datum applies to a lon and lat given together.", field="datum",
                           code="datum_without_position")
    active = changes.pop("active", None)
    current = points_geojson(session, active_only=False)
    feature = next(f for f in current["features"] if f["properties"]["id"] == point_id)
    merged = {k: feature["properties"][k] for k in ("name", "windows", "dwell_min",
                                                    "visits_per_shift", "priority", "covert",
                                                    "unit_kinds", "skills",
                                                    "expires_at")}
    lon, lat = feature["geometry"]["coordinates"]
    point = validate_json(PointInput, merged | {"lon": lon, "lat": lat} | changes)
    for key, value in point_values(point).items():
        setattr(row, key, value)
    if "lon" in changes or "lat" in changes:
        row.geom = to_ewkb(shapely.Point(*point.wgs84()))
    if isinstance(active, bool):
        row.active = active
    audit.record(session, "must_visit_point.update", object_type="must_visit_point",
                 object_id=point_id, reason=point.reason,
                 details={k: v for k, v in changes.items() if k != "reason"}
                 | ({"active": active} if active is not None else {}))
    session.commit()
    return {"id": point_id, **point_json(point), "active": row.active}


# -- stations and roster ----------------------------------------------------------------

@bp.post("/stations")
@allow(*PLANNERS)
@documented("Create or move a station (by name) and make it home to units", tag="planning",
            body=StationInput, responses={201: "{id, name}", 409: "A unit named is unknown"})
def save_station_view() -> tuple[dict[str, Any], int]:
    station = validate_json(StationInput, json_body())
    session = get_session()
    row = save_station(session, station, actor=current_user)
    session.commit()
    return {"id": row.id, "name": row.name}, 201


@bp.get("/stations")
@allow(*PLANNING_READERS)
@documented("Stations and their units", tag="planning")
def stations() -> dict[str, Any]:
    return {"stations": stations_json(get_session())}


@bp.post("/roster")
@allow(*PLANNERS)
@documented("Add roster rows: a JSON list of {date, shift, unit, grids, station?, start?, "
            "end?, note?} or a CSV body (text/csv); bad rows named by line, good ones kept",
            tag="planning", body=ROSTER, responses={200: "{written, errors}"},
            refusals={"nothing_imported": "nothing written: the file is empty or unreadable, "
                                          "or every row was refused; errors lists why"})
def import_roster() -> dict[str, Any]:
    shifts = configured_shifts()
    if request.mimetype == "text/csv":
        if not request.get_data().strip():
            raise MalformedRequest("The CSV body is empty.", field="body")
        parsed = parse_roster_csv(request.get_data(), shifts=shifts)
    else:
        rows = json_body(lists=True)
        if not isinstance(rows, list):
            raise MalformedRequest("The body must be a JSON list of roster rows (or CSV).",
                                   field="body")
        parsed = parse_roster_json(rows, shifts=shifts)
    session = get_session()
    result = write_roster(session, parsed, reason=request.headers.get("X-Audit-Reason"),
                          actor=current_user)
    if not result.written:  # nothing to commit: not even the audit row
        raise nothing_imported("roster rows", result.errors, field="body")
    session.commit()
    return {"written": result.written, "errors": result.errors}


@bp.get("/roster")
@allow(*PLANNING_READERS)
@documented("Who works which shift in which grids on a day", tag="planning", params=(DATE,))
def roster() -> dict[str, Any]:
    day = _day(request.args.get("date"))
    return {"date": day.isoformat(), "entries": roster_for(get_session(), day)}


# -- plans ------------------------------------------------------------------------------

@bp.post("/patrol-plans")
@allow(*PLANNERS)
@documented("Plan a day (every shift) or one shift: routes from each unit's station and "
            "back, visiting the must-visit points in their windows and dosing hot spots",
            tag="planning", body=PlanRequest, refusals=UNKNOWN_SHIFT,
            responses={200: "{routes: GeoJSON FeatureCollection, unserved: [{point_id, "
                            "reason, message, message_localised}], plans}: planned inline "
                            "(a small day: rostered units × places ≤ 100, and no `Prefer: "
                            "respond-async`)",
                       202: ACCEPTED, 429: TOO_MANY})
def create_patrol_plan() -> Any:
    wanted = validate_json(PlanRequest, json_body())
    shifts = [known_shift(wanted.shift)] if wanted.shift else list(configured_shifts())
    session = get_session()
    if prefers_async() or not plan_is_small(session, wanted.date, wanted.shift):
        job = submit(session, "plan", plan_params(
            day=wanted.date, shift=wanted.shift, engine=wanted.engine, seed=wanted.seed,
            reason=wanted.reason), actor=current_user, reason=wanted.reason,
            page=page_link(wanted.date.isoformat(), wanted.shift))
        session.commit()
        return accepted(job)
    plans = [plan_shift(session, wanted.date, shift, engine=wanted.engine, seed=wanted.seed,
                        actor=current_user, reason=wanted.reason) for shift in shifts]
    session.commit()
    return _plans_answer(session, plans)


@bp.get("/patrol-plans")
@allow(*PLANNING_READERS)
@documented("The routes of a day (or one shift)", tag="planning", params=(DATE, SHIFT),
            refusals=UNKNOWN_SHIFT, responses={200: "{routes, unserved, plans}",
                                               404: "No plan for that shift"})
def patrol_plans() -> dict[str, Any]:
    day = _day(request.args.get("date"))
    session = get_session()
    shift = request.args.get("shift")
    if shift:
        plans = [existing_plan(session, day, known_shift(shift).code)]
    else:
        plans = plans_on(session, day)
    return _plans_answer(session, plans)


def _plans_answer(session: Any, plans: list[PatrolPlan]) -> dict[str, Any]:
    return {"routes": routes_geojson(session, plans),
            "unserved": [unserved_view(u, p.shift) for p in plans for u in p.unserved],
            "plans": [{"id": p.id, "date": p.day.isoformat(), "shift": p.shift,
                       "status": p.status, "engine": p.engine, "seed": p.seed,
                       "summary": p.summary} for p in plans]}


def unserved_view(item: dict[str, Any], shift: str) -> dict[str, Any]:
    """An unserved stop or unit as the API shows it: ``message`` in English,
    ``message_localised`` in the reader's language (its stored note is not shown)."""
    shown = {k: v for k, v in item.items() if k != "note"}
    return shown | {"shift": shift,
                    "message_localised": note_text(item.get("note"), item.get("message", ""))}


def _route_feature(session: Any, route_id: int) -> dict[str, Any]:
    route = session.get(PlanRoute, route_id)
    if route is None:
        raise RecordNotFound(f"No route {route_id}.", field="route_id")
    plan = session.get(PatrolPlan, route.plan_id)
    feature = next(f for f in routes_geojson(session, [plan])["features"]
                   if f["id"] == route_id)
    return feature


@bp.get("/patrol-plans/routes/<int:route_id>.geojson")
@allow(*PLANNING_READERS)
@documented("One unit's route as GeoJSON", tag="planning", params=(ROUTE_ID,),
            responses={200: Answer("GeoJSON FeatureCollection of the route", GEOJSON,
                                   FEATURE_COLLECTION)})
def route_geojson(route_id: int) -> Response:
    feature = _route_feature(get_session(), route_id)
    name = f"route-{feature['properties']['unit']}-{feature['properties']['date']}.geojson"
    return Response(json.dumps({"type": "FeatureCollection", "features": [feature]}),
                    mimetype=GEOJSON,
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/patrol-plans/routes/<int:route_id>.gpx")
@allow(*PLANNING_READERS)
@documented("One unit's route as GPX 1.1 (stops as waypoints, the road path as a track)",
            tag="planning", params=(ROUTE_ID,),
            responses={200: Answer("GPX 1.1", "application/gpx+xml")})
def route_gpx_view(route_id: int) -> Response:
    feature = _route_feature(get_session(), route_id)
    name = f"route-{feature['properties']['unit']}-{feature['properties']['date']}.gpx"
    return Response(route_gpx(feature), mimetype="application/gpx+xml",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.post("/patrol-plans/routes/<int:route_id>/lock")
@allow(*PLANNERS)
@documented("Lock (or unlock) a route: re-planning the shift keeps it as it is",
            tag="planning", params=(ROUTE_ID,), body=LOCK,
            responses={200: "{route_id, locked}"})
def lock_route(route_id: int) -> dict[str, Any]:
    body = json_body()
    unknown = sorted(set(body) - {"locked", "reason"})
    if unknown:
        raise InvalidValue(f"Unknown field {unknown[0]!r}; send locked and reason.",
                           field=unknown[0])
    locked = body.get("locked", True)
    if not isinstance(locked, bool):
        raise InvalidValue("locked must be true or false.", field="locked")
    if not isinstance(body.get("reason", ""), str) or len(body.get("reason") or "") > 500:
        raise InvalidValue("reason must be text of at most 500 characters.", field="reason")
    session = get_session()
    set_locked(session, route_id, locked, actor=current_user, reason=body.get("reason"))
    session.commit()
    return {"route_id": route_id, "locked": locked}


@bp.post("/patrol-plans/<int:plan_id>/publish")
@allow(*PLANNERS)
@documented("Publish a plan: one message per unit through the radio gateway", tag="planning",
            params=(PLAN_ID,), responses={200: "{plan_id, messages}"})
def publish(plan_id: int) -> dict[str, Any]:
    session = get_session()
    plan = session.get(PatrolPlan, plan_id)
    if plan is None:
        raise RecordNotFound(f"No plan {plan_id}.", field="plan_id")
    return publish_plan(session, plan, actor=current_user)


@bp.get("/patrol-plans/<int:plan_id>/compliance")
@allow(*PLANNING_READERS)
@documented("Plan versus actual from the units' positions: each must-visit point done, "
            "late, short, missed or pending; minutes in each hot-spot cell per period; "
            "compliance per unit, grid and shift", tag="planning",
            params=(PLAN_ID, Param("now", "judge as of this instant (ISO 8601 with a zone; "
                                          "default: now)", format="date-time")))
def plan_compliance_view(plan_id: int) -> dict[str, Any]:
    session = get_session()
    plan = session.get(PatrolPlan, plan_id)
    if plan is None:
        raise RecordNotFound(f"No plan {plan_id}.", field="plan_id")
    raw = request.args.get("now")
    now = datetime.fromisoformat(raw) if raw else datetime.now(UTC)
    return plan_compliance(get_read_session(), plan, now=now)


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stop_id: str = Field(min_length=1, max_length=100)
    position: int = Field(ge=1, le=1000)
    to_route_id: int | None = None
    reason: str | None = Field(default=None, max_length=500)


@bp.post("/patrol-plans/routes/<int:route_id>/move")
@allow(*PLANNERS)
@documented("Move a stop within a route or to another unit's route of the same plan; the "
            "times are recomputed (a stop that misses its window is marked late)",
            tag="planning", params=(ROUTE_ID,), body=MoveBody,
            responses={200: "the changed routes (GeoJSON features)",
                       409: "A route involved is locked"},
            refusals={"not_same_plan": "to_route_id is not a route of the same plan",
                      "no_such_position": "position is beyond the route's visits + 1"})
def move_stop_view(route_id: int) -> dict[str, Any]:
    body = validate_json(MoveBody, json_body())
    session = get_session()
    changed = move_stop(session, route_id, body.stop_id, position=body.position,
                        to_route_id=body.to_route_id, actor=current_user, reason=body.reason)
    session.commit()
    plan = session.get(PatrolPlan, changed[0].plan_id)
    ids = {route.id for route in changed}
    return {"routes": [f for f in routes_geojson(session, [plan])["features"]
                       if f["id"] in ids]}
