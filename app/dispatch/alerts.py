"""Alerts: raise (with camera call-up and unit recommendation), dispatch, acknowledge,
close. Each step loads (`repository`), decides (`dispatch.callup`, `dispatch.recommend`,
`dispatch.status`), then writes its timeline events and audit row into the caller's
transaction; the caller commits and only then talks to the outside (radio orders,
camera snapshots)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import to_ewkb
from app.dispatch import callup, repository
from app.dispatch.radio import order_message
from app.dispatch.units import (
    change_status,
    check_status_change,
    get_unit,
    in_chinese,
    recommend,
    recommendation_json,
    unavailable_json,
    why_units_cannot_be_ranked,
)
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.geography.graph import ServedGraph
from app.geography.places import place_json_at
from app.geography.repository import area_id_at
from app.models import Alert, AlertEvent, RadioLogEntry, Unit
from app.orders import delivery
from app.orders import repository as orders_repository
from app.orders.alarms import alarm_json
from dispatch.recommend import UnitKind
from dispatch.status import UnitStatus

LEVELS = ("red", "orange", "yellow")
DEFAULT_RADIUS_M = 300.0
DEFAULT_ESCAPE_S = 180.0
ON_THE_JOB = (UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE)


@dataclass(frozen=True)
class AlertRequest:
    lon: float
    lat: float
    level: str
    kind: str | None = None
    description: str | None = None
    covert: bool = False
    radius_m: float = DEFAULT_RADIUS_M
    escape_s: float = DEFAULT_ESCAPE_S
    unit_kinds: frozenset[UnitKind] | None = None
    skills: frozenset[str] | None = None


def alert_of(session: Session, alert_id: int, *, lock: bool = False) -> Alert:
    """The alert (its row locked with ``lock``); 404 when there is none."""
    alert = (repository.alert_for_update(session, alert_id) if lock
             else session.get(Alert, alert_id))
    if alert is None:
        raise RecordNotFound(f"No alert {alert_id}.", field="alert_id")
    return alert


def raise_alert(session: Session, served: ServedGraph | None, request: AlertRequest, *,
                actor: str, source: str) -> tuple[Alert, dict[str, Any]]:
    """Work out the call-up and ranked units for the place, then add the alert with its
    timeline and audit row (not committed)."""
    now = datetime.now(UTC)
    answer = call_up(session, served, request, now=now)
    answer["place"] = place_json_at(session, request.lon, request.lat)
    alert = Alert(level=request.level, kind=request.kind, description=request.description,
                  covert=request.covert, source=source, raised_at=now, raised_by=actor,
                  geom=to_ewkb(shapely.Point(request.lon, request.lat)), callup=answer)
    session.add(alert)
    session.flush()
    alert.area_id = area_id_at(session, request.lon, request.lat)
    session.add(AlertEvent(alert_id=alert.id, at=now, event="raised", actor=actor,
                           details={"level": request.level, "source": source}))
    session.add(AlertEvent(alert_id=alert.id, at=datetime.now(UTC), event="cameras_called_up",
                           actor="system", details={
                               "cameras": [c["id"] for c in answer["cameras"]],
                               "nearby": [c["id"] for c in answer["nearby_cameras"]],
                               "escape": [c["id"] for c in answer["escape_cameras"]]}))
    session.add(AlertEvent(alert_id=alert.id, at=datetime.now(UTC), event="units_recommended",
                           actor="system", details={
                               "units": [[u["id"], u["eta_s"]] for u in answer["units"]]}
                           | ({"unavailable": answer["units_unavailable"]["code"]}
                              if "units_unavailable" in answer else {})))
    audit.record(session, "alert.raise", object_type="alert", object_id=alert.id,
                 details={"level": request.level, "kind": request.kind, "covert": request.covert,
                          "lon": request.lon, "lat": request.lat, "source": source,
                          "cameras": len(answer["cameras"]), "units": len(answer["units"])})
    return alert, answer


def call_up(session: Session, served: ServedGraph | None, request: AlertRequest, *,
            now: datetime) -> dict[str, Any]:
    """The answer to an alert at a place: cameras that see it, nearby and escape cameras,
    ranked units, with notes and timings (reads only)."""
    started = time.perf_counter()
    cameras, nearby = callup.cameras_for(session, request.lon, request.lat,
                                         radius_m=request.radius_m)
    seen_at = time.perf_counter()
    escape: list[dict[str, Any]] = []
    notes: list[str] = []
    if served is None:
        notes.append("no road graph: escape cameras and travel times unavailable")
    else:
        escape = callup.escape_cameras(session, served, request.lon, request.lat,
                                       escape_s=request.escape_s,
                                       seen=[c["id"] for c in cameras])
    escape_at = time.perf_counter()
    units: dict[str, Any] = {"units": [], "excluded_units": []}
    unranked = why_units_cannot_be_ranked(served, request.lon, request.lat)
    if unranked is not None:  # the alert is still raised and its cameras called up
        units["units_unavailable"] = unavailable_json(unranked)
        if served is not None:
            notes.append(f"{unranked.reason_en}; no escape roads either")
    elif served is not None:
        ranking, _ = recommend(session, served, request.lon, request.lat,
                               covert=request.covert, kinds=request.unit_kinds,
                               skills=request.skills, now=now)
        units = recommendation_json(ranking)
    done = time.perf_counter()
    return {
        "cameras": cameras, "nearby_cameras": nearby, "escape_cameras": escape, **units,
        "radius_m": request.radius_m, "escape_s": request.escape_s, "notes": notes,
        "timings_ms": {"cameras": round(1000 * (seen_at - started), 2),
                       "escape": round(1000 * (escape_at - seen_at), 2),
                       "units": round(1000 * (done - escape_at), 2)}}


def dispatch_units(session: Session, alert: Alert, unit_ids: list[int], *, actor: str,
                   note: str | None = None, reassign: bool = False) -> list[RadioLogEntry]:
    """Assign units to the alert: statuses, timeline, one radio order per unit (queued; the
    caller commits, then delivers). All or nothing: one unit that may not be dispatched
    refuses the whole request (409). A unit working another alert is only diverted when
    ``reassign`` says so."""
    if alert.status == "closed":
        raise StateConflict(f"Alert {alert.id} is closed.", field="alert_id", code="alert_closed")
    if not unit_ids:
        raise InvalidValue("unit_ids must name at least one unit.", field="unit_ids")
    now = datetime.now(UTC)
    lon, lat = repository.alert_position(session, alert.id)
    place = alert_place(session, alert, float(lon), float(lat))
    chosen = []
    for unit_id in sorted(set(unit_ids)):  # a fixed lock order: no deadlocks
        unit = get_unit(session, unit_id, lock=True)
        if needs_order(alert, unit, reassign=reassign):
            chosen.append(unit)
    orders = []
    for unit in chosen:
        if unit.alert_id not in (None, alert.id):  # diverted: the old order is cancelled
            orders += cancel_unit_order(session, unit, unit.alert_id, actor=actor, now=now,
                                        why=f"reassigned to alert {alert.id}")
        change_status(session, unit, UnitStatus.DISPATCHED, actor=actor, source="console",
                      alert_id=alert.id, now=now)
        session.add(AlertEvent(alert_id=alert.id, at=now, event="dispatched", actor=actor,
                               unit_id=unit.id, details={"callsign": unit.callsign}))
        orders.append(_order(alert, unit, float(lon), float(lat), actor=actor, note=note,
                             now=now, place=place))
    session.add_all(orders)
    if alert.status == "open" and orders:
        alert.status = "dispatched"
    session.flush()
    for order in orders:
        order.body = order_message(order).text
    audit.record(session, "alert.dispatch", object_type="alert", object_id=alert.id,
                 details={"units": [o.unit_id for o in orders if o.kind == "dispatch_order"],
                          "radio_log": [o.id for o in orders]})
    return orders


def needs_order(alert: Alert, unit: Unit, *, reassign: bool) -> bool:
    """Whether ``unit`` gets an order for ``alert``: not when it is already on it (a double
    click must not send a second one); refused (409) when it is inactive, working another
    alert without ``reassign``, or the status model forbids dispatching it."""
    if not unit.active:
        raise StateConflict(f"Unit {unit.callsign} is not active.", field="unit_ids",
                            code="unit_inactive")
    if unit.alert_id == alert.id and unit.status in ON_THE_JOB:
        return False
    if unit.alert_id not in (None, alert.id) and not reassign:
        raise StateConflict(f"Unit {unit.callsign} is working alert {unit.alert_id}; send "
                            "reassign: true to divert it.", field="unit_ids",
                            code="unit_assigned_elsewhere")
    check_status_change(unit, UnitStatus.DISPATCHED)
    return True


def alert_place(session: Session, alert: Alert, lon: float, lat: float) -> dict[str, Any]:
    """The alert's place in words: as worked out when it was raised (stored with its
    call-up), or now for an alert raised before places were named."""
    stored = (alert.callup or {}).get("place")
    return stored if isinstance(stored, dict) else place_json_at(session, lon, lat)


def _order(alert: Alert, unit: Unit, lon: float, lat: float, *, actor: str,
           note: str | None, now: datetime, place: dict[str, Any],
           kind: str = "dispatch_order") -> RadioLogEntry:
    """The radio log row of an order (or a cancellation); its text is set once the row
    has its id. It must be acknowledged."""
    return RadioLogEntry(at=now, direction="out", kind=kind, unit_id=unit.id,
                         alert_id=alert.id, radio_id=unit.radio_ids[0] if unit.radio_ids else None,
                         body="", delivery="queued", needs_ack=True, actor=actor, payload={
                             "callsign": unit.callsign, "radio_ids": list(unit.radio_ids),
                             "alert": {"id": alert.id, "level": alert.level,
                                       "kind": alert.kind or "alert", "lon": lon, "lat": lat,
                                       "description": alert.description or "",
                                       "covert": alert.covert,
                                       "place_en": place.get("text_en") or "",
                                       "place_zh": place.get("text_zh") or ""},
                             "note": note})


def cancel_unit_order(session: Session, unit: Unit, alert_id: int, *, actor: str,
                      now: datetime, why: str) -> list[RadioLogEntry]:
    """The unit's orders for the alert are off: those not yet acknowledged expire, and a
    cancellation goes out when an order had reached the unit (none when it never left).
    Returns the cancellation to send (not flushed: the caller sets its text)."""
    told = delivery.supersede(session, unit_id=unit.id, alert_id=alert_id, at=now, why=why,
                              actor=actor)
    if not told:
        return []
    alert = alert_of(session, alert_id)
    lon, lat = repository.alert_position(session, alert_id)
    cancel = _order(alert, unit, float(lon), float(lat), actor=actor, note=why, now=now,
                    place=alert_place(session, alert, float(lon), float(lat)), kind="cancel")
    session.add(AlertEvent(alert_id=alert_id, at=now, event="cancelled", actor=actor,
                           unit_id=unit.id, details={"callsign": unit.callsign, "why": why}))
    return [cancel]


def acknowledge(session: Session, alert: Alert, unit: Unit, *, actor: str,
                source: str, at: datetime | None = None, how: str | None = None) -> bool:
    """The unit confirms its order: its open orders and cancellations for the alert are
    acknowledged, and a dispatched unit goes en route (a repeat is a no-op). A unit no
    longer on the alert may still acknowledge its cancellation; with nothing to
    acknowledge that is refused (409)."""
    at = at or datetime.now(UTC)
    acknowledged = delivery.acknowledge_alert_orders(
        session, unit_id=unit.id, alert_id=alert.id, at=at, how=how or source, actor=actor)
    if unit.alert_id != alert.id:
        if acknowledged:
            return False
        raise StateConflict(f"Unit {unit.callsign} is not assigned to alert {alert.id}.",
                            field="unit_id", code="not_assigned")
    if unit.status != UnitStatus.DISPATCHED:
        return False
    return change_status(session, unit, UnitStatus.EN_ROUTE, actor=actor, source=source)


def close_alert(session: Session, alert: Alert, *, actor: str,
                reason: str | None) -> list[RadioLogEntry]:
    """Close the alert: its units are released (available) and every one that had its
    order is sent a cancellation. Returns the cancellations (the caller commits, then
    delivers them)."""
    if alert.status == "closed":
        return []
    now = datetime.now(UTC)
    alert.status = "closed"
    alert.closed_at = now
    session.add(AlertEvent(alert_id=alert.id, at=now, event="closed", actor=actor,
                           details={"reason": reason} if reason else {}))
    cancels: list[RadioLogEntry] = []
    for unit in repository.units_on_alert(session, alert.id, lock=True):
        cancels += cancel_unit_order(session, unit, alert.id, actor=actor, now=now,
                                     why="alert closed")
        change_status(session, unit, UnitStatus.AVAILABLE, actor=actor, source="console",
                      reason=f"alert {alert.id} closed", now=now)
    session.add_all(cancels)
    session.flush()
    for cancel in cancels:
        cancel.body = order_message(cancel).text
    audit.record(session, "alert.close", object_type="alert", object_id=alert.id,
                 reason=reason, details={"released": [c.unit_id for c in cancels],
                                         "cancellations": [c.id for c in cancels]})
    return cancels


def alert_json(session: Session, alert: Alert, *, timeline: bool = True) -> dict[str, Any]:
    lon, lat = repository.alert_position(session, alert.id)
    data: dict[str, Any] = {
        "id": alert.id, "level": alert.level, "kind": alert.kind,
        "description": alert.description, "covert": alert.covert, "status": alert.status,
        "source": alert.source, "raised_at": alert.raised_at.isoformat(),
        "raised_by": alert.raised_by, "area_id": alert.area_id,
        "closed_at": alert.closed_at.isoformat() if alert.closed_at else None,
        "lon": lon, "lat": lat, "place": alert_place(session, alert, lon, lat)}
    if timeline:
        data["timeline"] = [{"at": e.at.isoformat(), "event": e.event, "actor": e.actor,
                             "unit_id": e.unit_id, "details": e.details}
                            for e in repository.alert_events(session, alert.id)]
        data["assigned_units"] = [{"id": u.id, "callsign": u.callsign, "status": u.status}
                                  for u in repository.units_on_alert(session, alert.id)]
        zh = in_chinese()
        data["orders"] = [delivery.order_json(e, zh=zh)
                          for e in orders_repository.outbound_of_alert(session, alert.id)]
        data["alarms"] = [alarm_json(a, zh=zh) for a in orders_repository.alarms(
            session, include_cleared=False, alert_id=alert.id, limit=50)]
    return data
