"""Crime series: a named set of incidents an analyst links (the same motorcycle thief,
night after night). Schema: migration 0018."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


class IncidentSeries(Base):
    """A series: its name, notes, the filter it was built from (``params``) and who made
    it; its incidents are rows of :class:`IncidentSeriesMember`."""

    __tablename__ = "incident_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                   server_default=sa.text("'{}'::jsonb"))
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False,
                                                 server_default=sa.func.now())


class IncidentSeriesMember(Base):
    """One incident of a series (deleted with either)."""

    __tablename__ = "incident_series_members"
    __table_args__ = (sa.Index("ix_incident_series_members_incident", "incident_id"),)

    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident_series.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
