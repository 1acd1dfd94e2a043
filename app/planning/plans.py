"""Plan a shift, keep the plan, hand it out (GeoJSON, GPX, route sheets, radio messages).

Re-planning a day and shift replaces its routes, except routes a supervisor locked: those
units, and the stops they serve, are left out of the new problem and kept as they were.
The order of stops varies from day to day: the solver's seed is derived from the date and
shift (reproducible: planning the same day twice gives the same routes).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import shapely
from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, RecordNotFound
from app.geography.graph import road_graph
from app.models import PatrolPlan, PlanRoute
from app.planning.problem import Problem, build_problem
from app.planning.repository import delete_unlocked_routes, find_plan, route_rows, routes_of
from gis.routing import GraphError, RoadGraph
from patrol.shifts import DEFAULT_SHIFTS, ShiftDef, parse_shifts, shift_named
from patrol.solver import PlanSolution, solve_plan
from runtime.notes import Note, note_json

logger = logging.getLogger(__name__)


def configured_shifts() -> tuple[ShiftDef, ...]:
    text = current_app.config.get("SHIFTS")
    return parse_shifts(text) if text else DEFAULT_SHIFTS


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")


def known_shift(code: str) -> ShiftDef:
    found = shift_named(code, configured_shifts())
    if found is None:
        names = ", ".join(s.code for s in configured_shifts())
        raise InvalidValue(f"No shift {code!r}; the shifts are {names}.", field="shift",
                           code="unknown_shift")
    return found


def shift_hours(shift: ShiftDef) -> str:
    """A shift by its hours (``08:00–16:00``), in notes read in either language."""
    return f"{shift.start:%H:%M}–{shift.end:%H:%M}"


def day_seed(day: date, shift: str) -> int:
    digest = hashlib.sha256(f"{day.isoformat()}:{shift}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def plan_shift(session: Session, day: date, shift: ShiftDef, *, engine: str | None = None,
               seed: int | None = None, actor: Any = None,
               reason: str | None = None,
               progress: Callable[[float, str], None] | None = None) -> PatrolPlan:
    """Plan (or re-plan) one shift; routes that are locked stay as they are.
    ``progress(fraction, message)`` is told each stage (a job's progress bar; it may
    raise to cancel: nothing is written then, the caller rolls back)."""
    report = progress or (lambda _f, _m: None)
    hours = shift_hours(shift)  # not its code: the notes are read in either language
    report(0.0, Note("%(shift)s: loading the road graph", shift=hours))
    graph = road_graph(session).graph
    existing = find_plan(session, day, shift.code, for_update=True)
    locked = _locked_routes(session, existing)
    skip_stops = {stop["stop_id"] for route in locked for stop in route.stops
                  if stop.get("stop_id")}
    report(0.1, Note("%(shift)s: stops, windows and travel times", shift=hours))
    problem = build_problem(session, graph, day, shift, tz=local_zone(),
                            skip_units={route.unit_id for route in locked},
                            skip_stops=skip_stops)
    engine = engine or current_app.config.get("PLAN_ENGINE") or "vroom"
    seed = day_seed(day, shift.code) if seed is None else seed
    report(0.4, Note("%(shift)s: solving routes for %(units)s units and %(stops)s stops "
                     "(%(engine)s)", shift=hours, units=len(problem.vehicles),
                     stops=len(problem.stops), engine=engine))
    solution = _solve(problem, engine=engine, seed=seed)
    report(0.9, Note("%(shift)s: storing the routes", shift=hours))
    plan = existing or PatrolPlan(day=day, shift=shift.code)
    plan.engine, plan.seed, plan.status = engine, seed, "draft"
    plan.published_at = plan.published_by = None
    plan.created_by = getattr(actor, "id", None)
    plan.params = {"engine": engine, "seed": seed, "timezone": str(problem.epoch.tzinfo),
                   "shift_start": problem.shift_start.isoformat(),
                   "shift_end": problem.shift_end.isoformat()}
    plan.unserved = _unserved(problem, solution)
    if existing is None:
        session.add(plan)
    session.flush()
    delete_unlocked_routes(session, plan.id)
    _store_routes(session, graph, plan, problem, solution)
    plan.summary = _summary(session, plan, problem, solution, locked=len(locked))
    audit.record(session, "patrol_plan.plan", object_type="patrol_plan", object_id=plan.id,
                 reason=reason, actor=actor,
                 details={"day": day.isoformat(), "shift": shift.code, "engine": engine,
                          "seed": seed, "routes": plan.summary["routes"],
                          "unserved": len(plan.unserved), "locked": len(locked)})
    return plan


def _locked_routes(session: Session, plan: PatrolPlan | None) -> list[PlanRoute]:
    if plan is None:
        return []
    return routes_of(session, plan.id, locked=True)


def _solve(problem: Problem, *, engine: str, seed: int) -> PlanSolution | None:
    if not problem.vehicles or not problem.stops or problem.matrix_s is None:
        return None
    limit = float(current_app.config.get("PLAN_TIME_LIMIT_S") or 30.0)
    return solve_plan(problem.matrix_s, problem.vehicles, problem.stops, engine=engine,  # type: ignore[arg-type]
                      seed=seed, time_limit_s=limit)


def _unserved(problem: Problem, solution: PlanSolution | None) -> list[dict[str, Any]]:
    """The stops the solver could not serve, and the rostered units left out. Without a
    solution there was no unit to plan for (or nothing to visit). Each says why: a
    ``reason`` code, and a ``message`` in English with its ``note`` (template and
    arguments: the page words it in its reader's language)."""
    if solution is not None:
        found = [{"stop_id": u.stop_id, "reason": u.reason, **_why(u.message)}
                 for u in solution.unserved]
    else:
        found = [{"stop_id": s.id, "reason": "no_suitable_unit",
                  **_why(Note("no unit with a station is rostered for this shift"))}
                 for s in problem.stops]
    for item in found:
        info = problem.stop_info.get(item["stop_id"], {})
        item.update({k: info[k] for k in ("kind", "point_id", "code", "name") if k in info})
    unrostered = [{**{k: u[k] for k in ("stop_id", "reason", "kind", "point_id", "name",
                                        "grids")}, **_why(u["message"])}
                  for u in problem.unrostered]
    return found + unrostered + [{"unit_id": u["unit_id"], "callsign": u["callsign"],
                                  "reason": u["reason"], **_why(u["message"])}
                                 for u in problem.left_out]


def _why(message: str) -> dict[str, Any]:
    """An unserved item's ``message`` (English) and, when it is a note, its ``note``."""
    note = note_json(message)
    return {"message": str(message), **({"note": note} if note is not None else {})}


def _store_routes(session: Session, graph: RoadGraph, plan: PatrolPlan, problem: Problem,
                  solution: PlanSolution | None) -> None:
    if solution is None:
        return
    for route in solution.routes:
        unit = problem.units[route.vehicle_id]
        station = next(p for p in problem.places if p.kind == "station"
                       and p.name == unit["station"])
        stops: list[dict[str, Any]] = [{
            "kind": "station", "name": station.name, "lon": station.lon, "lat": station.lat,
            "depart": problem.at(route.start_s).isoformat()}]
        timeline = sorted([(v.start_s, "visit", v) for v in route.visits]
                          + [(b.start_s, "break", b) for b in route.breaks],
                          key=lambda item: item[0])
        for _, what, visit in timeline:
            if what == "break":
                stops.append({"kind": "break", "arrive": problem.at(visit.arrive_s).isoformat(),
                              "start": problem.at(visit.start_s).isoformat(),
                              "depart": problem.at(visit.depart_s).isoformat()})
                continue
            info = problem.stop_info[visit.stop_id]
            stops.append({"stop_id": visit.stop_id, **{k: info[k] for k in (
                "kind", "point_id", "code", "name", "lon", "lat", "visit", "dose", "windows",
                "dwell_min", "dosage_min", "grids") if k in info},
                "arrive": problem.at(visit.arrive_s).isoformat(),
                "start": problem.at(visit.start_s).isoformat(),
                "depart": problem.at(visit.depart_s).isoformat()})
        stops.append({"kind": "station", "name": station.name, "lon": station.lon,
                      "lat": station.lat, "arrive": problem.at(route.end_s).isoformat()})
        lines, distance = road_legs(graph, stops)
        session.add(PlanRoute(
            plan_id=plan.id, unit_id=unit["unit_id"], start_at=problem.at(route.start_s),
            end_at=problem.at(route.end_s), travel_s=float(route.travel_s),
            distance_m=distance, stops=stops,
            geom=to_ewkb(shapely.multilinestrings(lines)) if lines else None))
    session.flush()


def road_legs(graph: RoadGraph, stops: list[dict[str, Any]]) -> tuple[list[Any], float]:
    """The road geometry between consecutive places (breaks are taken where the unit is)."""
    places = [s for s in stops if "lon" in s]
    lines, distance = [], 0.0
    for here, there in zip(places, places[1:], strict=False):
        if (here["lon"], here["lat"]) == (there["lon"], there["lat"]):
            continue
        try:
            leg = graph.route_between_points(here["lon"], here["lat"], there["lon"],
                                             there["lat"])
        except GraphError:
            continue
        if leg.geometry.length > 0:
            lines.append(leg.geometry)
        distance += leg.distance_m
    return lines, distance


def _summary(session: Session, plan: PatrolPlan, problem: Problem,
             solution: PlanSolution | None, *, locked: int) -> dict[str, Any]:
    routes = routes_of(session, plan.id)
    work = [(r.end_at - r.start_at).total_seconds() for r in routes]
    stops = len(problem.stops) + len(problem.unrostered)
    return {"routes": len(routes), "locked": locked, "stops": stops,
            "served": stops - sum(1 for u in plan.unserved if "stop_id" in u),
            "unserved": len(plan.unserved), "not_due": problem.not_due,
            "travel_s": round(sum(r.travel_s for r in routes), 1),
            "distance_m": round(sum(r.distance_m for r in routes), 1),
            "route_s": round(sum(work), 1),
            "solve_s": round(solution.solve_s, 3) if solution else 0.0,
            "engine": plan.engine}


# -- reading and handing out ---------------------------------------------------------------

def existing_plan(session: Session, day: date, shift: str) -> PatrolPlan:
    plan = find_plan(session, day, shift)
    if plan is None:
        raise RecordNotFound(f"No plan for {day.isoformat()} {shift}.", field="date")
    return plan


def routes_geojson(session: Session, plans: list[PatrolPlan]) -> dict[str, Any]:
    """One feature per route: properties ``unit``, ``shift``, ``stops: [{point_id,
    arrive, depart}, …]`` (ISO local times) and more; geometry the road path."""
    features = []
    for plan in plans:
        tz = ZoneInfo(plan.params.get("timezone", "UTC"))
        for (route_id, unit_id, callsign, kind, locked, start_at, end_at, travel_s,
             distance_m, stops, geometry) in route_rows(session, plan.id):
            features.append({"type": "Feature", "id": route_id,
                             "geometry": json.loads(geometry) if geometry else None,
                             "properties": {
                                 "plan_id": plan.id, "route_id": route_id, "unit": callsign,
                                 "unit_id": unit_id, "unit_kind": kind, "shift": plan.shift,
                                 "date": plan.day.isoformat(), "status": plan.status,
                                 "locked": locked,
                                 "start": start_at.astimezone(tz).isoformat(),
                                 "end": end_at.astimezone(tz).isoformat(),
                                 "travel_s": travel_s, "distance_m": round(distance_m, 1),
                                 "stops": stops}})
    return {"type": "FeatureCollection", "features": features}


def route_gpx(feature: dict[str, Any]) -> str:
    """GPX 1.1: the stops as waypoints (with their times) and the road path as a track."""
    props = feature["properties"]
    points = [s for s in props["stops"] if "lon" in s]
    waypoints = "".join(
        f'<wpt lat="{s["lat"]:.7f}" lon="{s["lon"]:.7f}"><time>{escape(_utc(s))}</time>'
        f'<name>{escape(str(s.get("name") or s["kind"]))}</name>'
        f'<desc>{escape(_stop_text(s))}</desc></wpt>' for s in points)
    lines = (feature["geometry"] or {}).get("coordinates", [])
    segments = "".join("<trkseg>" + "".join(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"/>'
                                            for lon, lat in line) + "</trkseg>"
                       for line in lines)
    name = f"{props['unit']} {props['date']} {props['shift']}"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="gridpatrol" '
            'xmlns="http://www.topografix.com/GPX/1/1">'
            f"<metadata><name>{escape(name)}</name></metadata>{waypoints}"
            f"<trk><name>{escape(name)}</name>{segments}</trk></gpx>\n")


def _utc(stop: dict[str, Any]) -> str:
    moment = stop.get("start") or stop.get("depart") or stop.get("arrive")
    return datetime.fromisoformat(moment).astimezone(ZoneInfo("UTC")).strftime(
        "%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _stop_text(stop: dict[str, Any]) -> str:
    times = " ".join(f"{k} {stop[k][11:16]}" for k in ("arrive", "start", "depart")
                     if stop.get(k))
    return f"{stop['kind']}: {times}"
