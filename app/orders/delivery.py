"""Delivery states of outbound messages changed by what comes back: a terminal's receipt,
a unit's acknowledgement (of one message, or of its orders for an alert), a cancellation
superseding an order, a dispatcher queueing a dead letter again. Each change is audited in
the caller's transaction and clears the alarms it answers; the caller commits.

The rules of which state may follow which are :mod:`dispatch.delivery`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.errors import RecordNotFound, StateConflict
from app.models import RadioLogEntry
from app.orders import repository
from app.orders.alarms import clear_alarms_of
from dispatch.delivery import NEEDS_ACKNOWLEDGEMENT, DeliveryState, can_advance

SYSTEM = "system:orders"


def advance(session: Session, entry: RadioLogEntry, new: DeliveryState, *, at: datetime,
            detail: str | None = None, actor: str = SYSTEM,
            audit_details: dict[str, Any] | None = None) -> bool:
    """Move ``entry`` to ``new`` when the rules allow (a late or repeated step is ignored);
    audited, and its alarms cleared once it is acknowledged or expired. Whether it moved."""
    current = DeliveryState(entry.delivery)
    if not can_advance(current, new):
        return False
    entry.delivery = new.value
    if detail is not None:
        entry.delivery_detail = detail[:1000]
    if new == DeliveryState.DELIVERED:
        entry.delivered_at = at
    elif new == DeliveryState.ACKNOWLEDGED:
        entry.acknowledged_at = at
    elif new == DeliveryState.QUEUED:
        entry.next_attempt_at = at
    audit.record(session, "radio.delivery", object_type="radio_log", object_id=entry.id,
                 actor_name=actor, details={"from": current.value, "to": new.value,
                                            "detail": (detail or "")[:200]}
                 | (audit_details or {}))
    if new in (DeliveryState.ACKNOWLEDGED, DeliveryState.EXPIRED, DeliveryState.QUEUED):
        clear_alarms_of(session, [entry.id], at=at,
                        reason=f"message {new.value}" + (f": {detail}" if detail else ""))
    return True


def acknowledge_alert_orders(session: Session, *, unit_id: int, alert_id: int, at: datetime,
                             how: str, actor: str = SYSTEM) -> int:
    """The unit acknowledges its open orders (and cancellations) for the alert. Returns how
    many were acknowledged."""
    count = 0
    for entry in repository.outstanding_for(session, unit_id, alert_id):
        count += advance(session, entry, DeliveryState.ACKNOWLEDGED, at=at,
                         detail=f"acknowledged: {how}", actor=actor)
    return count


def acknowledge_message(session: Session, entry_id: int, *, unit_id: int, at: datetime,
                        how: str, actor: str = SYSTEM) -> RadioLogEntry:
    """The unit acknowledges one message addressed to it (404 when there is none, 409
    when it was addressed to another unit)."""
    entry = _addressed(session, entry_id, unit_id)
    advance(session, entry, DeliveryState.ACKNOWLEDGED, at=at,
            detail=f"acknowledged: {how}", actor=actor)
    return entry


def mark_delivered(session: Session, entry_id: int, *, unit_id: int, at: datetime,
                   how: str, actor: str = SYSTEM) -> RadioLogEntry:
    """The unit's terminal has the message (its receipt)."""
    entry = _addressed(session, entry_id, unit_id)
    advance(session, entry, DeliveryState.DELIVERED, at=at, detail=f"delivered: {how}",
            actor=actor)
    return entry


def outbound_of(session: Session, entry_id: int) -> RadioLogEntry:
    """The outbound message (404 when there is none)."""
    entry = repository.outbound_by_id(session, entry_id)
    if entry is None:
        raise RecordNotFound(f"No outbound message {entry_id}.", field="message_id")
    return entry


def _addressed(session: Session, entry_id: int, unit_id: int) -> RadioLogEntry:
    entry = repository.entry_for_update(session, entry_id)
    if entry is None or entry.direction != "out":
        raise RecordNotFound(f"No outbound message {entry_id}.", field="message_id")
    if entry.unit_id != unit_id:
        raise StateConflict(f"Message {entry_id} was not sent to this unit.",
                            field="message_id", code="not_addressed")
    return entry


def supersede(session: Session, *, unit_id: int, alert_id: int, at: datetime,
              why: str, actor: str = SYSTEM) -> bool:
    """Expire the unit's open orders for the alert (the alert closed, or the unit was sent
    elsewhere). Returns whether the unit may have an order for it to be told to forget:
    its newest order was handed to a transport at least once (even if the answer is not
    recorded yet), or came back delivered or acknowledged; one never tried is only
    expired."""
    latest = repository.latest_order(session, unit_id, alert_id)
    for entry in repository.outstanding_for(session, unit_id, alert_id):
        advance(session, entry, DeliveryState.EXPIRED, at=at, detail=f"superseded: {why}",
                actor=actor)
    return latest is not None and latest.kind == "dispatch_order" and (
        latest.attempts > 0 or latest.sends > 0 or latest.acknowledged_at is not None
        or latest.delivered_at is not None)


def queue_again(session: Session, entry_id: int, *, actor: str,
                reason: str | None) -> RadioLogEntry:
    """A dispatcher sends a dead letter (failed) again: queued, its attempts counted afresh
    (409 for any other state)."""
    entry = repository.entry_for_update(session, entry_id)
    if entry is None or entry.direction != "out":
        raise RecordNotFound(f"No outbound message {entry_id}.", field="message_id")
    if entry.delivery != DeliveryState.FAILED:
        raise StateConflict(f"Message {entry_id} is {entry.delivery}; only a failed message "
                            "is sent again.", field="message_id", code="not_failed")
    now = datetime.now(UTC)
    entry.attempts = 0
    advance(session, entry, DeliveryState.QUEUED, at=now, detail="queued again",
            actor=actor, audit_details={"reason": reason})
    return entry


def needs_acknowledgement(kind: str) -> bool:
    return kind in NEEDS_ACKNOWLEDGEMENT


def order_json(entry: RadioLogEntry, *, zh: bool = False) -> dict[str, Any]:
    """An outbound message with its fate."""
    state = DeliveryState(entry.delivery) if entry.delivery != "none" else None
    return {"id": entry.id, "at": entry.at.isoformat(), "kind": entry.kind,
            "unit_id": entry.unit_id, "alert_id": entry.alert_id,
            "callsign": entry.payload.get("callsign"), "body": entry.body,
            "delivery": entry.delivery,
            "delivery_label": (state.label_zh if zh else state.label_en) if state else None,
            "delivery_detail": entry.delivery_detail, "needs_ack": entry.needs_ack,
            "attempts": entry.attempts, "sends": entry.sends, "transport": entry.transport,
            "sent_to": list(entry.sent_to or []),
            "next_attempt_at": _iso(entry.next_attempt_at),
            "last_sent_at": _iso(entry.last_sent_at),
            "delivered_at": _iso(entry.delivered_at),
            "acknowledged_at": _iso(entry.acknowledged_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
