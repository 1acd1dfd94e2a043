"""Radio assignments in PostgreSQL: listed, looked up for the radios of a batch, added,
ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import RadioAssignment


def assignments_of(session: Session, radio_ids: Sequence[str]) -> list[RadioAssignment]:
    """Every assignment of these radios."""
    if not radio_ids:
        return []
    return list(session.execute(sa.select(RadioAssignment).where(
        RadioAssignment.radio_id.in_(list(radio_ids)))).scalars())


def assignments(session: Session, *, radio_id: str | None, unit_id: int | None,
                at: datetime | None, limit: int) -> list[RadioAssignment]:
    """Assignments, newest start first: of a radio, of a unit, holding at a time."""
    query = sa.select(RadioAssignment)
    if radio_id is not None:
        query = query.where(RadioAssignment.radio_id == radio_id)
    if unit_id is not None:
        query = query.where(RadioAssignment.unit_id == unit_id)
    if at is not None:
        query = query.where(RadioAssignment.valid_from <= at, sa.or_(
            RadioAssignment.valid_until.is_(None), RadioAssignment.valid_until > at))
    return list(session.execute(query.order_by(RadioAssignment.valid_from.desc(),
                                               RadioAssignment.id.desc())
                                .limit(limit)).scalars())


def assignment_by_id(session: Session, assignment_id: int, *,
                     lock: bool = False) -> RadioAssignment | None:
    query = sa.select(RadioAssignment).where(RadioAssignment.id == assignment_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def lock_radio(session: Session, radio_id: str) -> None:
    """Serialise changes to one radio's assignments until the transaction ends."""
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(
        sa.func.hashtext("radio:" + radio_id))))
