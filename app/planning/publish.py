"""Publishing a plan: one radio message per unit (its stops and times, Chinese then
English), logged in the radio log and sent through the gateway after the commit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.models import PatrolPlan, RadioLogEntry, Unit
from app.orders.outbox import deliver_orders
from app.planning.repository import routes_of

MAX_STOPS_IN_MESSAGE = 12


def route_text(callsign: str, plan: PatrolPlan, stops: list[dict[str, Any]]) -> str:
    """``P-12 2026-11-25 day: 08:20 St Mary's school (10 min); 09:05 hot spot S250-…``"""
    items = []
    for stop in stops:
        if stop["kind"] in ("point", "hotspot"):
            minutes = round((datetime.fromisoformat(stop["depart"]) -
                             datetime.fromisoformat(stop["start"])).total_seconds() / 60)
            items.append(f"{stop['start'][11:16]} {stop.get('name') or stop.get('code')} "
                         f"({minutes} min)")
        elif stop["kind"] == "break":
            items.append(f"{stop['start'][11:16]} 休息/break")
    more = len(items) - MAX_STOPS_IN_MESSAGE
    shown = items[:MAX_STOPS_IN_MESSAGE] + ([f"… +{more}"] if more > 0 else [])
    return (f"{callsign} 巡逻路线/patrol route {plan.day.isoformat()} {plan.shift}: "
            + "; ".join(shown))


def publish_plan(session: Session, plan: PatrolPlan, *, actor: Any = None) -> dict[str, Any]:
    routes = routes_of(session, plan.id)
    now = datetime.now(UTC)
    entries = []
    for route in routes:
        unit = session.get(Unit, route.unit_id)
        assert unit is not None
        entry = RadioLogEntry(
            at=now, direction="out", kind="patrol_plan", unit_id=unit.id,
            radio_id=unit.radio_ids[0] if unit.radio_ids else None,
            body=route_text(unit.callsign, plan, route.stops), delivery="queued",
            actor=getattr(actor, "username", None) or "system",
            payload={"callsign": unit.callsign, "radio_ids": list(unit.radio_ids),
                     "plan_id": plan.id})
        session.add(entry)
        entries.append(entry)
    plan.status = "published"
    plan.published_at = now
    plan.published_by = getattr(actor, "id", None)
    session.flush()
    audit.record(session, "patrol_plan.publish", object_type="patrol_plan",
                 object_id=plan.id, actor=actor,
                 details={"messages": [e.id for e in entries]})
    session.commit()
    delivered = deliver_orders(session, [e.id for e in entries])
    return {"plan_id": plan.id, "status": plan.status,
            "messages": [{"id": d["id"], "unit_id": d["unit_id"], "body": d["body"],
                          "delivery": d["delivery"]} for d in delivered]}
