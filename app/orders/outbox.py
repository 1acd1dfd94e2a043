"""Sending outbound messages and recording their fate.

Every outbound message is a ``radio_log`` row written ``queued`` in the transaction that
decided it (a dispatch, a cancellation, a plan published, an overdue warning). After the
commit:

- with a file or webhook gateway the request sends it at once (:func:`deliver_orders`);
- over MQTT the radio desk in ``gridpatrol ingest`` sends it within a poll
  (:func:`process_due`), as it does every retry, re-send and expiry for every gateway.

Each pass is two steps, so that no row lock is held while a transport waits: **claim**
(lock the due rows, skipping those another process holds; decide with
:func:`dispatch.delivery.next_step`; count the attempt and take a lease on the row by
moving its ``next_attempt_at`` past the send's timeout; commit), then **send** each
outside any transaction and **record** the result in a short transaction of its own. A
process that dies mid-send leaves the lease to run out and the message is sent again: at
least once, the ``message_id`` letting a terminal drop the repeat.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.dispatch.gateways import DeliveryResult, RadioGateway
from app.dispatch.radio import entry_json, outbound_message
from app.dispatch.repository import radio_entries
from app.models import RadioLogEntry
from app.orders import repository
from app.orders.alarms import raise_order_alarm
from app.orders.delivery import SYSTEM, advance
from app.orders.settings import build_gateway, delivery_policy, sends_over_mqtt
from dispatch.delivery import (
    AlarmKind,
    DeliveryPolicy,
    DeliveryState,
    Outbound,
    Step,
    after_failure,
    next_step,
)
from dispatch.errors import InvalidRadioMessage
from dispatch.radio import RadioMessage

logger = logging.getLogger(__name__)

LEASE_S = 30.0  # beyond any transport's timeout: a claimed row is not claimed again before
CLAIM_LIMIT = 100


@dataclass(frozen=True)
class Claimed:
    """A message taken for sending: what goes out and why."""

    entry_id: int
    step: Step
    message: RadioMessage | None
    problem: str | None = None


def transport_name(gateway: RadioGateway) -> str:
    return {"FileGateway": "file", "WebhookGateway": "webhook", "MqttGateway": "mqtt",
            "NullGateway": "none"}.get(type(gateway).__name__, type(gateway).__name__)[:16]


def view(entry: RadioLogEntry, *, alarmed: bool = False) -> Outbound:
    return Outbound(DeliveryState(entry.delivery), entry.needs_ack, entry.at,
                    entry.next_attempt_at, entry.last_sent_at, entry.sends, alarmed)


# -- claiming -------------------------------------------------------------------------------

def claim(session: Session, entries: Sequence[RadioLogEntry], *, now: datetime,
          policy: DeliveryPolicy, force: bool = False) -> list[Claimed]:
    """Decide for each locked row; expire, alarm or take a lease; return what to send.
    ``force`` sends a queued row whatever its ``next_attempt_at`` (the request's own)."""
    taken = []
    for entry in entries:
        if force and entry.delivery == DeliveryState.QUEUED:
            step = Step.SEND
        else:
            alarmed = repository.alarm_by_key(
                session, f"{AlarmKind.ORDER_UNACKNOWLEDGED.value}:{entry.id}") is not None
            step = next_step(view(entry, alarmed=alarmed), now, policy)
        if step == Step.EXPIRE:
            never = entry.delivery == DeliveryState.QUEUED
            advance(session, entry, DeliveryState.EXPIRED, at=now, detail=(
                "never sent" if never else "not acknowledged") + f" within "
                f"{policy.lifetime_s:g} s")
        elif step == Step.ALARM:
            raise_order_alarm(session, entry, AlarmKind.ORDER_UNACKNOWLEDGED, at=now,
                              why=f"sent {entry.sends}×, no re-send left")
            entry.next_attempt_at = entry.at + timedelta(seconds=policy.lifetime_s)
        elif step == Step.WAIT:
            entry.next_attempt_at = _next_look(entry, now, policy)
        else:
            entry.attempts += 1
            entry.next_attempt_at = now + timedelta(seconds=LEASE_S)
            taken.append(_claimed(session, entry, step, now))
    return taken


def _next_look(entry: RadioLogEntry, now: datetime, policy: DeliveryPolicy) -> datetime | None:
    if entry.delivery == DeliveryState.QUEUED:
        return entry.next_attempt_at
    if entry.needs_ack and entry.delivery in (DeliveryState.SENT, DeliveryState.DELIVERED):
        return (entry.last_sent_at or entry.at) + timedelta(seconds=policy.ack_timeout_s)
    return None


def _claimed(session: Session, entry: RadioLogEntry, step: Step, now: datetime) -> Claimed:
    radios = repository.radios_held(session, entry.unit_id, now) if entry.unit_id else []
    try:
        message = replace(outbound_message(entry), radio_ids=tuple(radios))
    except (InvalidRadioMessage, KeyError, TypeError, ValueError) as exc:
        return Claimed(entry.id, step, None, f"cannot build the message: {exc}")
    return Claimed(entry.id, step, message)


# -- sending and recording -------------------------------------------------------------------

def send_claimed(session: Session, gateway: RadioGateway, taken: Sequence[Claimed], *,
                 policy: DeliveryPolicy) -> Counter[str]:
    """Send each claimed message (no transaction open), then record how it went (a
    transaction each). Returns counters for the log."""
    counts: Counter[str] = Counter()
    for item in taken:
        if item.message is None:
            result = DeliveryResult(False, item.problem or "no message")
        else:
            result = gateway.send(item.message)
        at = datetime.now(UTC)
        record(session, item, result, at=at, policy=policy, transport=transport_name(gateway))
        session.commit()
        counts["sent" if result.delivered else "failed"] += 1
        if item.step == Step.RESEND:
            counts["resent"] += 1
    return counts


def record(session: Session, item: Claimed, result: DeliveryResult, *, at: datetime,
           policy: DeliveryPolicy, transport: str) -> None:
    """Record one transmission's result on its row (see the module docstring)."""
    entry = repository.entry_for_update(session, item.entry_id)
    if entry is None:
        return
    entry.transport = transport
    detail = result.detail[:900]
    if result.delivered:
        entry.sends += 1
        entry.last_sent_at = at
        entry.sent_to = list(item.message.radio_ids) if item.message else []
        entry.next_attempt_at = (at + timedelta(seconds=policy.ack_timeout_s)
                                 if entry.needs_ack else None)
        if not advance(session, entry, DeliveryState.SENT, at=at, detail=detail,
                       audit_details={"transport": transport, "attempt": entry.attempts}):
            entry.delivery_detail = f"sent again ({entry.sends}×): {detail}"
            audit.record(session, "radio.resend", object_type="radio_log",
                         object_id=entry.id, actor_name=SYSTEM,
                         details={"sends": entry.sends, "detail": detail[:200]})
    elif entry.delivery == DeliveryState.QUEUED:
        retry_at = after_failure(entry.attempts, at, policy)
        if retry_at is None:
            advance(session, entry, DeliveryState.FAILED, at=at,
                    detail=f"{entry.attempts} attempts failed; last: {detail}",
                    audit_details={"transport": transport})
            raise_order_alarm(session, entry, AlarmKind.ORDER_FAILED, at=at, why=detail)
        else:
            entry.next_attempt_at = retry_at
            entry.delivery_detail = (f"attempt {entry.attempts} failed: {detail}; next "
                                     f"try {retry_at.strftime('%H:%M:%S')} UTC")
            audit.record(session, "radio.delivery_attempt", object_type="radio_log",
                         object_id=entry.id, actor_name=SYSTEM,
                         details={"attempt": entry.attempts, "delivered": False,
                                  "detail": detail[:200], "transport": transport})
    else:
        entry.next_attempt_at = at + timedelta(seconds=policy.ack_timeout_s)
        entry.delivery_detail = f"sending again failed: {detail}"
    if item.step == Step.RESEND and entry.delivery in (DeliveryState.SENT,
                                                       DeliveryState.DELIVERED):
        raise_order_alarm(session, entry, AlarmKind.ORDER_UNACKNOWLEDGED, at=at,
                          why=f"no acknowledgement {policy.ack_timeout_s:g} s after "
                              "sending; sent again")


def process_due(session: Session, gateway: RadioGateway, *, policy: DeliveryPolicy,
                now: datetime | None = None) -> Counter[str]:
    """One pass of the radio desk: claim what is due, send it, record it."""
    now = now or datetime.now(UTC)
    entries = repository.claim_due(session, now=now, limit=CLAIM_LIMIT)
    if not entries:
        session.rollback()
        return Counter()
    taken = claim(session, entries, now=now, policy=policy)
    session.commit()
    counts = send_claimed(session, gateway, taken, policy=policy)
    counts["claimed"] += len(entries)
    return counts


def deliver_orders(session: Session, entry_ids: list[int]) -> list[dict[str, Any]]:
    """After the commit that wrote them: send these messages now through a file or
    webhook gateway, or hand them to the radio desk at once over MQTT (own commit).
    Returns the rows as they stand."""
    if not entry_ids:
        return []
    app = current_app
    policy = delivery_policy(app)
    now = datetime.now(UTC)
    if sends_over_mqtt(app):
        for entry in repository.entries_for_update(session, entry_ids, skip_locked=True):
            if entry.delivery == DeliveryState.QUEUED and entry.next_attempt_at is None:
                entry.next_attempt_at = now
                entry.transport = "mqtt"
        session.commit()
    else:
        entries = repository.entries_for_update(session, entry_ids, skip_locked=True)
        taken = claim(session, entries, now=now, policy=policy, force=True)
        session.commit()
        send_claimed(session, build_gateway(app), taken, policy=policy)
    return [entry_json(e) for e in radio_entries(session, entry_ids)]
