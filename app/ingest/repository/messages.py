"""Inbound messages in PostgreSQL: which identities are known, their outcomes, the
units radios point at, the counters the service publishes, radios nobody holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.models import IngestMessage, IngestStatus, RadioAssignment, Unit


def known_identities(session: Session, identities: Sequence[str]) -> set[str]:
    """Those of ``identities`` already applied (or refused) before."""
    if not identities:
        return set()
    return set(session.execute(sa.select(IngestMessage.identity).where(
        IngestMessage.identity.in_(list(identities)))).scalars())


def add_outcomes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record messages with their outcomes; a known identity fails the statement (the
    key that keeps a message from being applied twice)."""
    if rows:
        session.execute(sa.insert(IngestMessage), list(rows))


def units_for_update(session: Session, unit_ids: Sequence[int]) -> dict[int, Unit]:
    """The units, locked in id order (no deadlock with another writer locking several)."""
    if not unit_ids:
        return {}
    rows = session.execute(sa.select(Unit).where(Unit.id.in_(sorted(set(unit_ids))))
                           .order_by(Unit.id).with_for_update()).scalars()
    return {u.id: u for u in rows}


def standing_radios(session: Session, radio_ids: Sequence[str]) -> dict[str, int]:
    """``{radio id: unit id}`` from the units' own radio lists."""
    if not radio_ids:
        return {}
    rows = session.execute(sa.select(Unit.id, Unit.radio_ids).where(
        Unit.radio_ids.overlap(list(radio_ids)))).all()
    wanted = set(radio_ids)
    return {radio: unit_id for unit_id, radios in rows for radio in radios if radio in wanted}


def publish_status(session: Session, *, name: str, started_at: datetime, updated_at: datetime,
                   counters: dict[str, Any], details: dict[str, Any]) -> None:
    statement = pg_insert(IngestStatus).values(
        name=name, started_at=started_at, updated_at=updated_at, counters=counters,
        details=details)
    session.execute(statement.on_conflict_do_update(
        index_elements=[IngestStatus.name],
        set_={"started_at": statement.excluded.started_at,
              "updated_at": statement.excluded.updated_at,
              "counters": statement.excluded.counters,
              "details": statement.excluded.details}))


def statuses(session: Session) -> list[IngestStatus]:
    return list(session.execute(sa.select(IngestStatus).order_by(IngestStatus.name)).scalars())


def outcome_counts(session: Session, *, since: datetime) -> dict[str, int]:
    """Messages recorded since ``since``, by outcome."""
    rows = session.execute(
        sa.select(IngestMessage.outcome, sa.func.count()).where(
            IngestMessage.received_at >= since).group_by(IngestMessage.outcome)).all()
    return {outcome: int(count) for outcome, count in rows}


def outcomes_by_source(session: Session, *, since: datetime) -> list[Any]:
    """``(source, outcome, count)`` of the messages recorded since ``since``."""
    return list(session.execute(
        sa.select(IngestMessage.source, IngestMessage.outcome, sa.func.count())
        .where(IngestMessage.received_at >= since)
        .group_by(IngestMessage.source, IngestMessage.outcome)
        .order_by(IngestMessage.source, IngestMessage.outcome)).all())


def recent_refused(session: Session, *, limit: int) -> list[IngestMessage]:
    """The newest messages refused (rejected) or not allowed (illegal), newest first."""
    return list(session.execute(
        sa.select(IngestMessage).where(IngestMessage.outcome.in_(("rejected", "illegal")))
        .order_by(IngestMessage.received_at.desc()).limit(limit)).scalars())


def unknown_radios(session: Session, *, now: datetime, limit: int) -> list[Any]:
    """Radios whose messages found no unit and that nobody holds now: ``(radio_id, alias,
    messages, first_received, last_received, kinds)``, most recently heard first."""
    held = sa.select(RadioAssignment.radio_id).where(
        RadioAssignment.valid_from <= now,
        sa.or_(RadioAssignment.valid_until.is_(None), RadioAssignment.valid_until > now))
    standing = sa.select(sa.func.unnest(Unit.radio_ids))
    query = (sa.select(IngestMessage.radio_id,
                       sa.func.max(IngestMessage.alias),
                       sa.func.count(),
                       sa.func.min(IngestMessage.received_at),
                       sa.func.max(IngestMessage.received_at),
                       sa.func.array_agg(sa.distinct(IngestMessage.kind)))
             .where(IngestMessage.outcome == "unmapped",
                    IngestMessage.radio_id.is_not(None),
                    IngestMessage.radio_id.not_in(held),
                    IngestMessage.radio_id.not_in(standing))
             .group_by(IngestMessage.radio_id)
             .order_by(sa.func.max(IngestMessage.received_at).desc())
             .limit(limit))
    return list(session.execute(query).all())


def unmapped_messages(session: Session, radio_id: str, *, limit: int) -> list[IngestMessage]:
    """The kept messages of a radio nobody held, newest first."""
    return list(session.execute(
        sa.select(IngestMessage).where(IngestMessage.outcome == "unmapped",
                                       IngestMessage.radio_id == radio_id)
        .order_by(IngestMessage.received_at.desc()).limit(limit)).scalars())


def prune_outcomes(session: Session, *, before: datetime, limit: int = 50_000) -> int:
    """Delete up to ``limit`` message records received before ``before``."""
    doomed = sa.select(IngestMessage.identity).where(
        IngestMessage.received_at < before).limit(limit).scalar_subquery()
    result = session.execute(sa.delete(IngestMessage).where(IngestMessage.identity.in_(doomed)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
