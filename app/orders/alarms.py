"""Console alarms: raised once per occurrence (a unique key), cleared when their cause is
gone, silenced by a dispatcher. Every console hears them live (a trigger announces each
change, migration 0013). The caller commits.

Kinds (:class:`dispatch.delivery.AlarmKind`): an order not acknowledged in time, a message
that could not be delivered (a dead letter), a unit en route too long, a unit on scene
without an update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.errors import RecordNotFound
from app.models import ConsoleAlarm, RadioLogEntry
from app.orders import repository
from dispatch.delivery import TIMER_ALARMS, AlarmKind, UnitTimer, timer_alarms
from dispatch.status import DEFAULT_LIMITS, UnitStatus

SYSTEM = "system:alarms"
ORDER_KINDS = (AlarmKind.ORDER_UNACKNOWLEDGED.value, AlarmKind.ORDER_FAILED.value)
TIMER_KINDS = tuple(kind.value for kind in TIMER_ALARMS.values())


def raise_alarm(session: Session, *, key: str, kind: AlarmKind, message: str, at: datetime,
                unit_id: int | None = None, alert_id: int | None = None,
                radio_log_id: int | None = None,
                details: dict[str, Any] | None = None) -> int | None:
    """Raise the alarm unless its key was raised before; its id when new (audited)."""
    alarm_id = repository.add_alarm(session, {
        "key": key[:160], "kind": kind.value, "message": message[:2000], "raised_at": at,
        "unit_id": unit_id, "alert_id": alert_id, "radio_log_id": radio_log_id,
        "details": details or {}})
    if alarm_id is not None:
        audit.record(session, "alarm.raise", object_type="console_alarm", object_id=alarm_id,
                     actor_name=SYSTEM, details={"kind": kind.value, "unit_id": unit_id,
                                                 "alert_id": alert_id,
                                                 "radio_log_id": radio_log_id})
    return alarm_id


def raise_order_alarm(session: Session, entry: RadioLogEntry, kind: AlarmKind, *,
                      at: datetime, why: str) -> int | None:
    """An alarm about one outbound message (one per message and kind)."""
    callsign = entry.payload.get("callsign") or f"unit {entry.unit_id}"
    what = {"dispatch_order": "order", "cancel": "cancellation"}.get(entry.kind, entry.kind)
    if kind == AlarmKind.ORDER_UNACKNOWLEDGED:
        text = f"{callsign}: {what} #{entry.id} not acknowledged ({why})"
    else:
        text = f"{callsign}: {what} #{entry.id} not delivered ({why})"
    return raise_alarm(session, key=f"{kind.value}:{entry.id}", kind=kind, message=text, at=at,
                       unit_id=entry.unit_id, alert_id=entry.alert_id, radio_log_id=entry.id,
                       details={"sends": entry.sends, "attempts": entry.attempts})


def clear_alarms_of(session: Session, entry_ids: Sequence[int], *, at: datetime,
                    reason: str) -> int:
    """Clear the open alarms about these outbound messages."""
    cleared = repository.open_alarms_of_entries(session, entry_ids)
    for alarm in cleared:
        _clear(session, alarm, at=at, reason=reason)
    return len(cleared)


def _clear(session: Session, alarm: ConsoleAlarm, *, at: datetime, reason: str) -> None:
    alarm.cleared_at = at
    alarm.cleared_reason = reason[:1000]
    audit.record(session, "alarm.clear", object_type="console_alarm", object_id=alarm.id,
                 actor_name=SYSTEM, details={"kind": alarm.kind, "reason": reason[:200]})


def acknowledge_alarm(session: Session, alarm_id: int, *, actor: str, at: datetime,
                      reason: str | None) -> ConsoleAlarm:
    """A dispatcher has seen the alarm: it stays listed (until its cause is gone) but no
    longer calls for attention. Audited."""
    alarm = repository.alarm_for_update(session, alarm_id)
    if alarm is None:
        raise RecordNotFound(f"No alarm {alarm_id}.", field="alarm_id")
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at = at
        alarm.acknowledged_by = actor[:64]
        audit.record(session, "alarm.acknowledge", object_type="console_alarm",
                     object_id=alarm.id, reason=reason, details={"kind": alarm.kind})
    return alarm


def check_status_timers(session: Session, now: datetime, *,
                        limits: Mapping[UnitStatus, timedelta] = DEFAULT_LIMITS
                        ) -> tuple[int, int]:
    """Raise an alarm for every status timer run out and clear those whose unit has moved
    on (another status, or it spoke while on scene). Returns (raised, cleared)."""
    rows = repository.timed_units(session, [s.value for s in TIMER_ALARMS])
    timers = [UnitTimer(r.id, r.callsign, UnitStatus(r.status), r.status_since,
                        r.last_update) for r in rows]
    alerts = {r.id: r.alert_id for r in rows}
    due = timer_alarms(timers, now, limits=limits)
    raised = 0
    for alarm in due:
        raised += raise_alarm(
            session, key=alarm.key, kind=alarm.kind, message=alarm.message_en, at=now,
            unit_id=alarm.unit_id, alert_id=alerts.get(alarm.unit_id),
            details={"message_zh": alarm.message_zh, "limit_s": alarm.limit_s,
                     "started_at": alarm.started_at.isoformat()}) is not None
    current = {a.key for a in due}
    cleared = 0
    for old in repository.open_alarms(session, kinds=TIMER_KINDS):
        if old.key not in current:
            _clear(session, old, at=now, reason="the unit's status or update moved on")
            cleared += 1
    return raised, cleared


def alarm_json(alarm: ConsoleAlarm, *, zh: bool = False) -> dict[str, Any]:
    kind = AlarmKind(alarm.kind)
    message = alarm.details.get("message_zh") if zh else None
    return {"id": alarm.id, "kind": alarm.kind,
            "kind_label": kind.label_zh if zh else kind.label_en,
            "message": message or alarm.message, "unit_id": alarm.unit_id,
            "alert_id": alarm.alert_id, "radio_log_id": alarm.radio_log_id,
            "raised_at": alarm.raised_at.isoformat(),
            "cleared_at": alarm.cleared_at.isoformat() if alarm.cleared_at else None,
            "cleared_reason": alarm.cleared_reason,
            "acknowledged_at": (alarm.acknowledged_at.isoformat()
                                if alarm.acknowledged_at else None),
            "acknowledged_by": alarm.acknowledged_by, "details": alarm.details}
