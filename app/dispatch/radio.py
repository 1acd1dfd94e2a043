"""The radio log: outbound messages built from their rows (sent by :mod:`app.orders`),
rows written for what comes in."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import RadioLogEntry
from dispatch.radio import AlertRef, RadioMessage, cancel_order, dispatch_order, text_message

logger = logging.getLogger(__name__)


def outbound_message(entry: RadioLogEntry) -> RadioMessage:
    """The message of an outbound row: an order or a cancellation from its payload, else
    its text."""
    if entry.kind in ("dispatch_order", "cancel"):
        return order_message(entry)
    return text_message(str(entry.id), callsign=entry.payload["callsign"], text=entry.body,
                        created_at=entry.at if entry.at.tzinfo else entry.at.replace(
                            tzinfo=UTC),
                        radio_ids=tuple(entry.payload.get("radio_ids") or ()),
                        talkgroup=entry.talkgroup)


def order_message(entry: RadioLogEntry) -> RadioMessage:
    """The outbound message of a ``dispatch_order`` or ``cancel`` row (from its payload)."""
    payload = entry.payload
    ref = payload["alert"]
    build = cancel_order if entry.kind == "cancel" else dispatch_order
    return build(
        str(entry.id), callsign=payload["callsign"],
        alert=AlertRef(int(ref["id"]), ref["level"], ref["kind"], float(ref["lon"]),
                       float(ref["lat"]), ref.get("description") or "",
                       place_zh=ref.get("place_zh") or "", place_en=ref.get("place_en") or ""),
        created_at=entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC),
        radio_ids=tuple(payload.get("radio_ids") or ()), talkgroup=entry.talkgroup)


def entry_json(entry: RadioLogEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "direction": entry.direction,
            "kind": entry.kind, "unit_id": entry.unit_id, "alert_id": entry.alert_id,
            "radio_id": entry.radio_id, "talkgroup": entry.talkgroup, "body": entry.body,
            "delivery": entry.delivery, "delivery_detail": entry.delivery_detail,
            "needs_ack": entry.needs_ack, "attempts": entry.attempts, "sends": entry.sends,
            "acknowledged_at": (entry.acknowledged_at.isoformat()
                                if entry.acknowledged_at else None),
            "actor": entry.actor, "payload": entry.payload}


def log_inbound(session: Session, *, kind: str, body: str, actor: str,
                unit_id: int | None = None, alert_id: int | None = None,
                radio_id: str | None = None, talkgroup: str | None = None,
                payload: dict[str, Any] | None = None,
                at: datetime | None = None) -> RadioLogEntry:
    entry = RadioLogEntry(at=at or datetime.now(UTC), direction="in", kind=kind,
                          unit_id=unit_id, alert_id=alert_id, radio_id=radio_id,
                          talkgroup=talkgroup, body=body, payload=payload or {},
                          delivery="none", actor=actor)
    session.add(entry)
    session.flush()
    return entry
