"""The append-only audit log (UPDATE and DELETE are refused by PostgreSQL), chained by
hashes that PostgreSQL computes on insert (migration 0008, ``gridpatrol audit verify``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_at", "at"),
        sa.Index("ix_audit_log_action_at", "action", "at"),
        sa.Index("ix_audit_log_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(128))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    client_addr: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
    # Set by the audit_log_chain trigger (which also gives the id, in chain order).
    prev_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False,
                                             server_default=sa.FetchedValue())
    row_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False,
                                            server_default=sa.FetchedValue())


class AuditChainHead(Base):
    """The newest row of the chain, one row; locking it serialises audit inserts."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (sa.CheckConstraint("one_row", name="audit_chain_head_one_row"),)

    one_row: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True,
                                          server_default=sa.true())
    last_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
