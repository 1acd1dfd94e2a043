"""Units: status changes with their history, positions, ranking for an alert (the
queries in `repository`, the decisions in `dispatch.status` and `dispatch.recommend`).
Every change adds an audit row to the caller's transaction; the caller commits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from flask import current_app
from flask_babel import get_locale
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import from_ewkb, to_ewkb
from app.dispatch import repository
from app.errors import RecordNotFound, StateConflict
from app.geography.graph import ServedGraph
from app.models import AlertEvent, Unit, UnitStatusChange
from app.orders import delivery
from dispatch.recommend import (
    Candidate,
    NotRanked,
    Ranking,
    RankingUnavailable,
    UnitKind,
    rank_units,
    why_not_ranked,
    withdrawn,
)
from dispatch.status import IllegalStatusChange, UnitStatus, check_change
from gis.routing import GraphError

MAX_SNAP_M = 500.0  # a place farther than this from a drivable road is off the network
NEAREST_ROAD_SEARCH_M = 50_000.0  # how far the nearest road is looked for, to say so

# Which timeline event a unit's own status change adds to its alert.
STATUS_EVENTS = {UnitStatus.EN_ROUTE: "acknowledged", UnitStatus.ON_SCENE: "arrived",
                 UnitStatus.AVAILABLE: "cleared"}


def get_unit(session: Session, unit_id: int, *, lock: bool = False) -> Unit:
    unit = repository.unit_by_id(session, unit_id, lock=lock)
    if unit is None:
        raise RecordNotFound(f"No unit {unit_id}.", field="unit_id")
    return unit


def unit_json(unit: Unit, *, now: datetime | None = None) -> dict[str, Any]:
    lon = lat = None
    point = from_ewkb(unit.geom)
    if point is not None:
        lon, lat = point.x, point.y
    status = UnitStatus(unit.status)
    now = now or datetime.now(UTC)
    return {
        "id": unit.id, "callsign": unit.callsign, "kind": unit.kind,
        "skills": list(unit.skills), "radio_ids": list(unit.radio_ids),
        "home_area_id": unit.home_area_id, "status": unit.status,
        "status_label": status.label_zh if in_chinese() else status.label_en,
        "status_since": unit.status_since.isoformat(),
        "status_s": round((now - unit.status_since).total_seconds()),
        "alert_id": unit.alert_id, "active": unit.active, "lon": lon, "lat": lat,
        "fix_at": unit.fix_at.isoformat() if unit.fix_at else None,
        "speed_mps": unit.speed_mps, "course_deg": unit.course_deg}


def in_chinese() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def change_status(session: Session, unit: Unit, new: UnitStatus, *, actor: str,
                  source: str, alert_id: int | None = None, reason: str | None = None,
                  now: datetime | None = None) -> bool:
    """Move ``unit`` to ``new`` (409 if the model forbids it). Repeating the current status
    is a no-op that keeps the timer. Returns whether anything changed."""
    current = UnitStatus(unit.status)
    check_status_change(unit, new)
    if current == new and (alert_id is None or alert_id == unit.alert_id):
        return False
    now = now or datetime.now(UTC)
    previous_alert = unit.alert_id
    unit.status = new.value
    unit.status_since = now
    unit.updated_at = now
    if new == UnitStatus.DISPATCHED:
        unit.alert_id = alert_id
    elif new in (UnitStatus.AVAILABLE, UnitStatus.OUT_OF_SERVICE):
        unit.alert_id = None
    session.add(UnitStatusChange(unit_id=unit.id, at=now, previous=current.value,
                                 status=new.value, alert_id=alert_id or previous_alert,
                                 actor=actor, source=source))
    event = STATUS_EVENTS.get(new)
    if event and previous_alert is not None and new != UnitStatus.DISPATCHED:
        session.add(AlertEvent(alert_id=previous_alert, at=now, event=event, actor=actor,
                               unit_id=unit.id, details={"status": new.value,
                                                         "source": source}))
    if new in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE) and previous_alert is not None:
        # moving to the alert is the clearest acknowledgement of its order
        delivery.acknowledge_alert_orders(session, unit_id=unit.id, alert_id=previous_alert,
                                          at=now, how=f"status {new.value} ({source})",
                                          actor=actor)
    audit.record(session, "unit.status", object_type="unit", object_id=unit.id, reason=reason,
                 details={"from": current.value, "to": new.value, "source": source,
                          "alert_id": alert_id or previous_alert})
    return True


def check_status_change(unit: Unit, new: UnitStatus) -> None:
    """Refuse (409, naming the unit) a change the status model forbids."""
    current = UnitStatus(unit.status)
    try:
        check_change(current, new)
    except IllegalStatusChange:
        raise StateConflict(f"Unit {unit.callsign} is {current.value}; it cannot go to "
                            f"{new.value} from there.", field="status",
                            code="illegal_status_change") from None


@dataclass(frozen=True)
class PositionIn:
    lon: float
    lat: float
    at: datetime
    speed_mps: float | None = None
    course_deg: float | None = None


def record_positions(session: Session, unit: Unit, positions: Sequence[PositionIn], *,
                     source: str) -> int:
    """Append positions to the history; the unit moves to the newest one if it is newer
    than what it has (late, out-of-order fixes go to the history only)."""
    if not positions:
        return 0
    repository.add_positions(session, unit.id, positions, source=source)
    newest = max(reversed(positions), key=lambda p: p.at)  # ties: the last one sent
    if unit.fix_at is None or newest.at > unit.fix_at:
        unit.geom = to_ewkb(shapely.Point(newest.lon, newest.lat))
        unit.fix_at = newest.at
        unit.speed_mps = newest.speed_mps
        unit.course_deg = newest.course_deg
        unit.updated_at = datetime.now(UTC)
    return len(positions)


def recommend(session: Session, served: ServedGraph, lon: float, lat: float, *,
              covert: bool, kinds: frozenset[UnitKind] | None,
              skills: frozenset[str] | None, now: datetime, alert_id: int | None = None,
              limit: int = 10) -> tuple[Ranking, dict[int, Unit]]:
    """Rank the active units for a place by road travel time from their last fix."""
    units = repository.active_units(session)
    by_id = {u.id: u for u in units}
    placed = [u for u in units if u.geom is not None]
    eta = np.full(len(placed), np.inf)
    dist = np.full(len(placed), np.inf)
    if placed:
        where = repository.unit_positions(session, [u.id for u in placed])
        lons = np.array([where[u.id][0] for u in placed])
        lats = np.array([where[u.id][1] for u in placed])
        eta, dist = served.graph.travel_times_to_point(lon, lat, lons, lats)
    times = {u.id: (float(e), float(d)) for u, e, d in zip(placed, eta, dist, strict=True)}
    candidates = [
        Candidate(unit_id=u.id, callsign=u.callsign, kind=UnitKind(u.kind),
                  skills=frozenset(u.skills), status=UnitStatus(u.status),
                  eta_s=times.get(u.id, (math.inf, math.inf))[0],
                  distance_m=times.get(u.id, (math.inf, math.inf))[1],
                  fix_at=u.fix_at, assigned=alert_id is not None and u.alert_id == alert_id)
        for u in units]
    ranking = rank_units(candidates, now=now, covert=covert, kinds=kinds, skills=skills,
                         stale_after_s=float(current_app.config["STALE_POSITION_S"]),
                         limit=limit)
    return ranking, by_id


def why_units_cannot_be_ranked(served: ServedGraph | None, lon: float,
                               lat: float) -> RankingUnavailable | None:
    """None when units can be ranked for the place; else why not: no road graph, or the
    place is off the road network (with how far the nearest drivable road is)."""
    if served is None:
        return why_not_ranked(NotRanked.NO_ROAD_GRAPH)
    try:
        served.graph.snap(lon, lat, max_distance_m=MAX_SNAP_M)
        return None
    except GraphError:
        pass
    try:
        nearest = served.graph.snap(lon, lat, max_distance_m=NEAREST_ROAD_SEARCH_M)
    except GraphError:
        return why_not_ranked(NotRanked.OFF_ROAD_NETWORK, max_snap_m=MAX_SNAP_M,
                              searched_m=NEAREST_ROAD_SEARCH_M)
    return why_not_ranked(NotRanked.OFF_ROAD_NETWORK, max_snap_m=MAX_SNAP_M,
                          nearest_road_m=nearest.distance_m)


def unavailable_json(why: RankingUnavailable) -> dict[str, Any]:
    return {"code": why.code.value, "reason": why.reason_zh if in_chinese() else why.reason_en,
            "nearest_road_m": None if why.nearest_road_m is None
            else round(why.nearest_road_m, 1)}


def recommendation_json(ranking: Ranking) -> dict[str, list[dict[str, Any]]]:
    zh = in_chinese()
    units = [{
        "id": r.unit_id, "callsign": r.callsign, "kind": r.kind.value, "status": r.status.value,
        "eta_s": round(r.eta_s, 1), "distance_m": round(r.distance_m, 1), "stale": r.stale,
        "fix_age_s": None if r.fix_age_s is None else round(r.fix_age_s),
        "reason": r.reason_zh if zh else r.reason_en} for r in ranking.units]
    excluded = [{"id": e.unit_id, "callsign": e.callsign,
                 "reason": e.reason_zh if zh else e.reason_en} for e in ranking.excluded]
    return {"units": units, "excluded_units": excluded}


def current_recommendation(session: Session, callup: dict[str, Any],
                           alert_id: int) -> dict[str, Any]:
    """The alert's ranked units as they stand now: a unit dispatched since (to this alert or
    another), or whose status no longer lets it be sent, leaves ``units`` for the front of
    ``excluded_units`` with why; the travel times stay as ranked when the alert was raised."""
    ranked = list(callup.get("units") or [])
    now = repository.units_by_id(session, [u["id"] for u in ranked])
    zh = in_chinese()
    kept: list[dict[str, Any]] = []
    gone: list[dict[str, Any]] = []
    for item in ranked:
        unit = now.get(item["id"])
        why = None if unit is None else withdrawn(
            unit.id, unit.callsign, UnitKind(unit.kind), UnitStatus(unit.status),
            assigned=unit.alert_id == alert_id)
        if unit is None or not unit.active:
            gone.append({"id": item["id"], "callsign": item["callsign"],
                         "reason": "不在岗" if zh else "no longer active"})
        elif why is not None:
            gone.append({"id": unit.id, "callsign": unit.callsign, "code": why.reason.value,
                         "reason": why.reason_zh if zh else why.reason_en})
        else:
            kept.append(item | {"status": unit.status})
    return callup | {"units": kept,
                     "excluded_units": gone + list(callup.get("excluded_units") or [])}
