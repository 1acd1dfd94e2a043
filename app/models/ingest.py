"""Radio assignments, inbound message identities and outcomes, the ingest service's
counters. Schema: migration 0011."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class RadioAssignment(Base):
    """Radio ``radio_id`` belongs to ``unit_id`` from ``valid_from`` until ``valid_until``
    (exclusive; NULL: open-ended). Two periods of one radio never overlap (an exclusion
    constraint)."""

    __tablename__ = "radio_assignments"
    __table_args__ = (sa.Index("ix_radio_assignments_unit", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    radio_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"),
                                         nullable=False)
    alias: Mapped[str] = mapped_column(sa.String(64), nullable=False, server_default="")
    valid_from: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(_tz())
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class IngestMessage(Base):
    """One inbound message as applied: its identity (the key duplicates are refused by)
    and its outcome; the payload is kept when it was not applied (rejected, unmapped,
    illegal)."""

    __tablename__ = "ingest_messages"
    __table_args__ = (
        sa.Index("ix_ingest_messages_received", "received_at"),
        sa.Index("ix_ingest_messages_outcome", "outcome", "received_at"),
        sa.Index("ix_ingest_messages_unmapped", "radio_id",
                 postgresql_where=sa.text("outcome = 'unmapped'")),
    )

    identity: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    topic: Mapped[str] = mapped_column(sa.Text, nullable=False)
    radio_id: Mapped[str | None] = mapped_column(sa.String(32))
    alias: Mapped[str | None] = mapped_column(sa.String(64))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    at: Mapped[datetime | None] = mapped_column(_tz())
    received_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    applied_at: Mapped[datetime] = created_at_column()
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[str | None] = mapped_column(sa.Text)


class IngestStatus(Base):
    """The counters an ingest service publishes every few seconds."""

    __tablename__ = "ingest_status"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    counters: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                     server_default=sa.text("'{}'::jsonb"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
