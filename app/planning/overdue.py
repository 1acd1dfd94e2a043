"""Overdue must-visit points: a window closing soon and the point not yet visited for its
dwell. The scheduler runs :func:`check_overdue` every minute; it warns each unit once per
point and window (a unique row in ``overdue_notices``, so several scheduler processes, or a
re-run, never warn twice), by radio message through the gateway, seen on every console
(the radio log is live)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.models import PatrolPlan, RadioLogEntry, Unit
from app.orders.outbox import deliver_orders
from app.planning.actual import planned_stops, visits_at_stops
from app.planning.repository import (
    insert_notice,
    notices_sent,
    plans_between,
    try_check_lock,
    unit_routes,
    unit_track,
)
from patrol.compliance import overdue_points, stop_compliance

logger = logging.getLogger(__name__)
LOCK_KEY = 0x67705F6F76  # pg advisory lock: one overdue check at a time, any process


def check_overdue(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Warn about every point whose window closes within ``OVERDUE_WARN_MIN`` unvisited.
    Returns the notices written (none when another process holds the check)."""
    if not try_check_lock(session, LOCK_KEY):
        return []
    warn = float(current_app.config.get("OVERDUE_WARN_MIN") or 15.0)
    radius = float(current_app.config.get("VISIT_RADIUS_M") or 50.0)
    plans = plans_between(session, (now - timedelta(days=1)).date(), now.date())
    written: list[dict[str, Any]] = []
    entries: list[int] = []
    for plan in plans:
        start = datetime.fromisoformat(plan.params["shift_start"])
        end = datetime.fromisoformat(plan.params["shift_end"])
        if not start <= now <= end:
            continue
        already = notices_sent(session, plan.id)
        routes = unit_routes(session, plan.id)
        planned = planned_stops(plan, routes)
        for unit_id, callsign, stops in routes:
            mine = [p for p in planned if p.unit == callsign]
            if not mine:
                continue
            track = unit_track(session, unit_id, start - timedelta(minutes=30), now)
            visits = visits_at_stops(track, stops, radius)
            checks = stop_compliance(mine, visits, now=now)
            for due in overdue_points(now, checks, warn_before_min=warn, already=already):
                notice = _notice(session, plan, unit_id, callsign, stops, due)
                if notice is not None:
                    written.append(notice)
                    entries.append(notice["radio_log_id"])
    session.commit()
    deliver_orders(session, entries)
    return written


def _notice(session: Session, plan: PatrolPlan, unit_id: int, callsign: str,
            stops: list[dict[str, Any]], due: Any) -> dict[str, Any] | None:
    name = next((s.get("name") for s in stops if s.get("point_id") == due.point_id), "")
    closes = due.window_end.astimezone(datetime.fromisoformat(
        plan.params["shift_start"]).tzinfo).strftime("%H:%M")
    text = (f"{callsign} 必巡点即将超时/must-visit point overdue: {name} — window closes "
            f"{closes} ({due.minutes_left:.0f} min), "
            f"{'not visited' if str(due.reason) == 'not_visited' else 'stay too short'}")
    notice_id = insert_notice(session, point_id=int(due.point_id), window_end=due.window_end,
                              unit_id=unit_id, plan_id=plan.id, message=text)
    if notice_id is None:
        return None  # another check already warned about this window
    unit = session.get(Unit, unit_id)
    assert unit is not None
    entry = RadioLogEntry(direction="out", kind="overdue", unit_id=unit_id,
                          radio_id=unit.radio_ids[0] if unit.radio_ids else None, body=text,
                          delivery="queued", actor="system:scheduler",
                          payload={"callsign": callsign, "radio_ids": list(unit.radio_ids),
                                   "point_id": int(due.point_id), "plan_id": plan.id})
    session.add(entry)
    session.flush()
    audit.record(session, "patrol.overdue", object_type="must_visit_point",
                 object_id=int(due.point_id), actor_name="system:scheduler",
                 details={"plan_id": plan.id, "unit": callsign,
                          "window_end": due.window_end.isoformat(),
                          "reason": str(due.reason)})
    logger.info("overdue: %s at point %s (window ends %s)", callsign, due.point_id,
                due.window_end.isoformat())
    return {"id": notice_id, "point_id": int(due.point_id), "unit": callsign,
            "window_end": due.window_end.isoformat(), "message": text,
            "radio_log_id": entry.id}
