"""Moving a stop by hand: within a route or to another unit's route of the same plan.
The routes involved keep their order as the supervisor left it; their times are
recomputed on the road graph (wait for a window to open; a stop whose dwell no longer
fits any of its windows is kept and marked ``late``), and their road paths redrawn."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import shapely
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app import audit
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.geography.graph import road_graph
from app.models import PlanRoute
from app.planning.plans import road_legs
from gis.routing import RoadGraph


def set_locked(session: Session, route_id: int, locked: bool, *, actor: Any = None,
               reason: str | None = None) -> PlanRoute:
    """Lock a route (re-planning keeps it, and its stops go to nobody else) or unlock it."""
    route = session.get(PlanRoute, route_id)
    if route is None:
        raise RecordNotFound(f"No route {route_id}.", field="route_id")
    route.locked = locked
    audit.record(session, "patrol_plan.lock" if locked else "patrol_plan.unlock",
                 object_type="plan_route", object_id=route_id, actor=actor, reason=reason)
    return route


def move_stop(session: Session, route_id: int, stop_id: str, *, position: int,
              to_route_id: int | None = None, actor: Any = None,
              reason: str | None = None) -> list[PlanRoute]:
    source = session.get(PlanRoute, route_id)
    if source is None:
        raise RecordNotFound(f"No route {route_id}.", field="route_id")
    target = source if to_route_id in (None, route_id) else session.get(PlanRoute, to_route_id)
    if target is None or target.plan_id != source.plan_id:
        raise InvalidValue("to_route_id must be a route of the same plan.",
                            field="to_route_id", code="not_same_plan")
    if source.locked or target.locked:
        raise StateConflict("A locked route cannot be changed: unlock it first.",
                            field="route_id", code="route_locked")
    stops = list(source.stops)
    index = next((i for i, s in enumerate(stops) if s.get("stop_id") == stop_id), None)
    if index is None:
        raise RecordNotFound(f"Route {route_id} has no stop {stop_id!r}.", field="stop_id")
    moved = stops.pop(index)
    graph = road_graph(session).graph
    if target is source:
        source.stops = _insert(stops, moved, position)
        changed = [source]
    else:
        source.stops = stops
        target.stops = _insert(list(target.stops), moved, position)
        changed = [source, target]
    for route in changed:
        _reschedule(graph, route)
    audit.record(session, "patrol_plan.move_stop", object_type="plan_route",
                 object_id=route_id, reason=reason, actor=actor,
                 details={"stop_id": stop_id, "to_route_id": target.id, "position": position})
    return changed


def _insert(stops: list[dict[str, Any]], stop: dict[str, Any],
            position: int) -> list[dict[str, Any]]:
    """Put ``stop`` at ``position`` (1 = first visit) among the visits, stations kept at
    both ends; breaks are dropped here and put back by time in :func:`_reschedule`."""
    visits = [s for s in stops if s["kind"] in ("point", "hotspot")]
    if not 1 <= position <= len(visits) + 1:
        raise InvalidValue(f"position must be 1 to {len(visits) + 1}.", field="position",
                           code="no_such_position")
    visits.insert(position - 1, stop)
    others = [s for s in stops if s["kind"] not in ("point", "hotspot")]
    return [others[0], *visits, *others[1:]]


def _reschedule(graph: RoadGraph, route: PlanRoute) -> None:
    stops = [s for s in route.stops if s["kind"] != "break"]
    breaks = [s for s in route.stops if s["kind"] == "break"]
    places = [(s["lon"], s["lat"]) for s in stops]
    matrix = graph.travel_time_table_between_points([p[0] for p in places],
                                                    [p[1] for p in places])
    clock = datetime.fromisoformat(stops[0]["depart"])
    travel = 0.0
    for i in range(1, len(stops)):
        leg = float(matrix[i - 1, i])
        travel += leg if leg != float("inf") else 0.0
        arrive = clock + timedelta(seconds=leg if leg != float("inf") else 0.0)
        stop = stops[i]
        if stop["kind"] == "station":
            stop["arrive"] = arrive.isoformat()
            clock = arrive
            continue
        dwell = (datetime.fromisoformat(stop["depart"])
                 - datetime.fromisoformat(stop["start"]))
        start, late = _start(arrive, dwell, stop.get("windows") or [])
        stop.update({"arrive": arrive.isoformat(), "start": start.isoformat(),
                     "depart": (start + dwell).isoformat(), "late": late})
        clock = start + dwell
    merged = sorted([*stops[1:-1], *breaks], key=lambda s: s["start"])
    route.stops = [stops[0], *merged, stops[-1]]
    flag_modified(route, "stops")
    route.travel_s = travel
    route.end_at = datetime.fromisoformat(stops[-1]["arrive"])
    lines, distance = road_legs(graph, route.stops)
    route.distance_m = distance
    route.geom = to_ewkb(shapely.multilinestrings(lines)) if lines else None


def _start(arrive: datetime, dwell: timedelta,
           windows: list[list[str]]) -> tuple[datetime, bool]:
    """The earliest start at or after arrival whose whole dwell lies in a window."""
    for opens, closes in sorted(windows):
        start = max(arrive, datetime.fromisoformat(opens))
        if start + dwell <= datetime.fromisoformat(closes):
            return start, False
    return arrive, bool(windows)
