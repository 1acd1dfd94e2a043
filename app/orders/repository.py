"""Outbound messages and console alarms in PostgreSQL: what is due, what a unit holds,
alarms raised once. Plain arguments in; ORM objects or plain rows out. Nothing commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.models import ConsoleAlarm, RadioAssignment, RadioLogEntry, Unit

HANDOFF_S = 10.0  # a message nobody scheduled is the request's to send first; then ours
OUTSTANDING = sa.and_(RadioLogEntry.direction == "out", sa.or_(
    RadioLogEntry.delivery == "queued",
    sa.and_(RadioLogEntry.needs_ack,
            RadioLogEntry.delivery.in_(("sent", "delivered", "failed")))))
"""The partial index ``ix_radio_log_outstanding``'s predicate, written the same way so the
planner uses it."""


def claim_due(session: Session, *, now: datetime, limit: int) -> list[RadioLogEntry]:
    """Outbound messages due a look — queued and due, or waiting for an acknowledgement
    past ``next_attempt_at`` — locked (rows another process holds are skipped), oldest
    first. A row nobody scheduled is due :data:`HANDOFF_S` after it was written."""
    due = sa.func.coalesce(RadioLogEntry.next_attempt_at,
                           RadioLogEntry.at + timedelta(seconds=HANDOFF_S)) <= now
    query = (sa.select(RadioLogEntry)
             .where(OUTSTANDING, due, RadioLogEntry.delivery != "failed")
             .order_by(RadioLogEntry.id).limit(limit).with_for_update(skip_locked=True)
             .execution_options(populate_existing=True))
    return list(session.execute(query).scalars())


def entry_for_update(session: Session, entry_id: int) -> RadioLogEntry | None:
    return session.execute(sa.select(RadioLogEntry).where(RadioLogEntry.id == entry_id)
                           .with_for_update().execution_options(populate_existing=True)
                           ).scalar_one_or_none()


def outbound_by_id(session: Session, entry_id: int) -> RadioLogEntry | None:
    return session.execute(sa.select(RadioLogEntry).where(
        RadioLogEntry.id == entry_id, RadioLogEntry.direction == "out")).scalar_one_or_none()


def entries_for_update(session: Session, entry_ids: Sequence[int], *,
                       skip_locked: bool = False) -> list[RadioLogEntry]:
    if not entry_ids:
        return []
    return list(session.execute(
        sa.select(RadioLogEntry).where(RadioLogEntry.id.in_(list(entry_ids)))
        .order_by(RadioLogEntry.id).with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)).scalars())


def outstanding_for(session: Session, unit_id: int, alert_id: int) -> list[RadioLogEntry]:
    """The unit's orders and cancellations for the alert still open (not acknowledged,
    not expired), locked."""
    return list(session.execute(
        sa.select(RadioLogEntry).where(
            RadioLogEntry.direction == "out", RadioLogEntry.needs_ack,
            RadioLogEntry.unit_id == unit_id, RadioLogEntry.alert_id == alert_id,
            RadioLogEntry.delivery.in_(("queued", "sent", "delivered", "failed")))
        .order_by(RadioLogEntry.id).with_for_update()
        .execution_options(populate_existing=True)).scalars())


def latest_order(session: Session, unit_id: int, alert_id: int) -> RadioLogEntry | None:
    """The unit's newest order or cancellation for the alert, whatever its state."""
    return session.execute(
        sa.select(RadioLogEntry).where(
            RadioLogEntry.direction == "out", RadioLogEntry.needs_ack,
            RadioLogEntry.unit_id == unit_id, RadioLogEntry.alert_id == alert_id)
        .order_by(RadioLogEntry.id.desc()).limit(1)).scalar_one_or_none()


def outbound_of_alert(session: Session, alert_id: int) -> list[RadioLogEntry]:
    """The alert's outbound messages, oldest first."""
    return list(session.execute(
        sa.select(RadioLogEntry).where(RadioLogEntry.direction == "out",
                                       RadioLogEntry.alert_id == alert_id)
        .order_by(RadioLogEntry.id)).scalars())


def outbound(session: Session, *, delivery: str | None, unit_id: int | None,
             alert_id: int | None, limit: int) -> list[RadioLogEntry]:
    """Outbound messages, newest first (of a state, a unit, an alert)."""
    query = sa.select(RadioLogEntry).where(RadioLogEntry.direction == "out")
    if delivery is not None:
        query = query.where(RadioLogEntry.delivery == delivery)
    if unit_id is not None:
        query = query.where(RadioLogEntry.unit_id == unit_id)
    if alert_id is not None:
        query = query.where(RadioLogEntry.alert_id == alert_id)
    return list(session.execute(query.order_by(RadioLogEntry.id.desc()).limit(limit))
                .scalars())


def radios_held(session: Session, unit_id: int, at: datetime) -> list[str]:
    """The radios the unit holds at ``at``: its assignments holding then, and the radios of
    its own list that no assignment gives to anyone then."""
    holding = sa.and_(RadioAssignment.valid_from <= at, sa.or_(
        RadioAssignment.valid_until.is_(None), RadioAssignment.valid_until > at))
    assigned = list(session.execute(
        sa.select(RadioAssignment.radio_id).where(RadioAssignment.unit_id == unit_id, holding)
        .order_by(RadioAssignment.valid_from)).scalars())
    own = session.execute(sa.select(Unit.radio_ids).where(Unit.id == unit_id)).scalar()
    own = list(own or [])
    taken = set(session.execute(sa.select(RadioAssignment.radio_id).where(
        RadioAssignment.radio_id.in_(own), holding)).scalars()) if own else set()
    return list(dict.fromkeys(assigned + [r for r in own if r not in taken]))


# -- alarms -----------------------------------------------------------------------------

def add_alarm(session: Session, values: dict[str, Any]) -> int | None:
    """Insert an alarm unless one with its key exists; its id, or None."""
    statement = pg_insert(ConsoleAlarm).values(**values).on_conflict_do_nothing(
        index_elements=[ConsoleAlarm.key]).returning(ConsoleAlarm.id)
    return session.execute(statement).scalar()


def alarm_for_update(session: Session, alarm_id: int) -> ConsoleAlarm | None:
    return session.execute(sa.select(ConsoleAlarm).where(ConsoleAlarm.id == alarm_id)
                           .with_for_update()).scalar_one_or_none()


def alarm_by_key(session: Session, key: str) -> ConsoleAlarm | None:
    return session.execute(sa.select(ConsoleAlarm).where(ConsoleAlarm.key == key)
                           ).scalar_one_or_none()


def open_alarms_of_entries(session: Session, entry_ids: Sequence[int]) -> list[ConsoleAlarm]:
    if not entry_ids:
        return []
    return list(session.execute(sa.select(ConsoleAlarm).where(
        ConsoleAlarm.radio_log_id.in_(list(entry_ids)), ConsoleAlarm.cleared_at.is_(None))
        .with_for_update()).scalars())


def open_alarms(session: Session, *, kinds: Sequence[str] | None = None,
                limit: int = 500) -> list[ConsoleAlarm]:
    """Alarms not cleared, newest first."""
    query = sa.select(ConsoleAlarm).where(ConsoleAlarm.cleared_at.is_(None))
    if kinds:
        query = query.where(ConsoleAlarm.kind.in_(list(kinds)))
    return list(session.execute(query.order_by(ConsoleAlarm.raised_at.desc(),
                                               ConsoleAlarm.id.desc()).limit(limit)).scalars())


def alarms(session: Session, *, include_cleared: bool, alert_id: int | None,
           limit: int) -> list[ConsoleAlarm]:
    query = sa.select(ConsoleAlarm)
    if not include_cleared:
        query = query.where(ConsoleAlarm.cleared_at.is_(None))
    if alert_id is not None:
        query = query.where(ConsoleAlarm.alert_id == alert_id)
    return list(session.execute(query.order_by(ConsoleAlarm.raised_at.desc(),
                                               ConsoleAlarm.id.desc()).limit(limit)).scalars())


def timed_units(session: Session, statuses: Sequence[str]) -> list[Any]:
    """``(id, callsign, status, status_since, alert_id, last_update)`` of the active units
    in these statuses; ``last_update`` is the newest message received from the unit."""
    last = (sa.select(sa.func.max(RadioLogEntry.at))
            .where(RadioLogEntry.unit_id == Unit.id, RadioLogEntry.direction == "in")
            .correlate(Unit).scalar_subquery())
    return list(session.execute(
        sa.select(Unit.id, Unit.callsign, Unit.status, Unit.status_since, Unit.alert_id,
                  last.label("last_update"))
        .where(Unit.active, Unit.status.in_(list(statuses)))).all())
