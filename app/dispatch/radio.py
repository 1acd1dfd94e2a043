"""The radio log against the outside: orders out through the configured gateway after
their transaction commits, acknowledgements and calls in."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.dispatch import repository
from app.dispatch.gateways import RadioGateway, gateway_from_config
from app.models import RadioLogEntry
from dispatch.radio import AlertRef, RadioMessage, dispatch_order, text_message

logger = logging.getLogger(__name__)


def gateway() -> RadioGateway:
    """The gateway named by ``RADIO_GATEWAY`` (default: an outbox file in instance/)."""
    value = current_app.config.get("RADIO_GATEWAY")
    if not value:
        value = "file:" + str(Path(current_app.instance_path) / "radio-outbox.jsonl")
    return gateway_from_config(value, token=current_app.config.get("RADIO_GATEWAY_TOKEN"))


def outbound_message(entry: RadioLogEntry) -> RadioMessage:
    """The message of an outbound row: a dispatch order from its payload, else its text."""
    if entry.kind == "dispatch_order":
        return order_message(entry)
    return text_message(str(entry.id), callsign=entry.payload["callsign"], text=entry.body,
                        created_at=entry.at if entry.at.tzinfo else entry.at.replace(
                            tzinfo=UTC),
                        radio_ids=tuple(entry.payload.get("radio_ids") or ()),
                        talkgroup=entry.talkgroup)


def order_message(entry: RadioLogEntry) -> RadioMessage:
    """The outbound message of a ``dispatch_order`` row (built from its payload)."""
    payload = entry.payload
    ref = payload["alert"]
    return dispatch_order(
        str(entry.id), callsign=payload["callsign"],
        alert=AlertRef(int(ref["id"]), ref["level"], ref["kind"], float(ref["lon"]),
                       float(ref["lat"]), ref.get("description") or "",
                       place_zh=ref.get("place_zh") or "", place_en=ref.get("place_en") or ""),
        created_at=entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC),
        radio_ids=tuple(payload.get("radio_ids") or ()), talkgroup=entry.talkgroup)


def deliver_orders(session: Session, entry_ids: list[int]) -> list[dict[str, Any]]:
    """Send committed orders and record how each went (own commit). A gateway failure
    leaves the order in the log marked ``failed`` for the dispatcher to voice it."""
    if not entry_ids:
        return []
    out = gateway()
    entries = repository.radio_entries(session, entry_ids)
    for entry in entries:
        result = out.send(outbound_message(entry))
        entry.delivery = "delivered" if result.delivered else "failed"
        entry.delivery_detail = result.detail[:1000]
        audit.record(session, "radio.delivery", object_type="radio_log", object_id=entry.id,
                     actor_name="system:radio-gateway",
                     details={"delivered": result.delivered, "detail": result.detail[:200],
                              "gateway": repr(out)})
    session.commit()
    return [entry_json(e) for e in entries]


def entry_json(entry: RadioLogEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "direction": entry.direction,
            "kind": entry.kind, "unit_id": entry.unit_id, "alert_id": entry.alert_id,
            "radio_id": entry.radio_id, "talkgroup": entry.talkgroup, "body": entry.body,
            "delivery": entry.delivery, "delivery_detail": entry.delivery_detail,
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
