"""The video centre: camera health (latest state, check history, baselines and reference
views, state changes), maintainers and their tickets with their notes, live views.
Schema: migrations 0016 and 0021."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column

MAINTAINER_KINDS = ("equipment", "power", "telecom")
TICKET_STATUSES = ("open", "closed")


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class Maintainer(Base):
    """A contractor keeping cameras running (equipment, power or telecom), with its
    contract's response and repair times (hours). ``code`` is how the outbound gateway
    addresses it."""

    __tablename__ = "maintainers"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('equipment', 'power', 'telecom')",
                           name="ck_maintainers_kind"),
        sa.CheckConstraint("response_h > 0 AND repair_h > 0", name="ck_maintainers_sla"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    contact: Mapped[str | None] = mapped_column(sa.Text)
    response_h: Mapped[float] = mapped_column(sa.Float, nullable=False)
    repair_h: Mapped[float] = mapped_column(sa.Float, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    created_at: Mapped[datetime] = created_at_column()


class MaintainerMember(Base):
    """A user (role ``maintainer``) working for a maintainer: sees its tickets."""

    __tablename__ = "maintainer_members"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    maintainer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("maintainers.id", ondelete="CASCADE"), nullable=False, index=True)


class CameraMaintainer(Base):
    """The maintainer responsible for a camera (one per camera)."""

    __tablename__ = "camera_maintainers"

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           primary_key=True)
    maintainer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("maintainers.id", ondelete="CASCADE"), nullable=False, index=True)


class CameraHealth(Base):
    """A camera's latest check: verdict, findings, measures and fault streaks."""

    __tablename__ = "camera_health"

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    verdict: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    fault_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                                   server_default="{}")
    findings: Mapped[list[Any]] = mapped_column(JSONB, nullable=False,
                                                server_default=sa.text("'[]'::jsonb"))
    measures: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    stream: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    streaks: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    last_healthy_at: Mapped[datetime | None] = mapped_column(_tz())
    frame_jpeg: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    """The last frame a check decoded (JPEG at the analysis width); kept while later
    checks get no picture."""
    frame_at: Mapped[datetime | None] = mapped_column(_tz())


class CameraHealthCheck(Base):
    """Every check kept (for the history and the reports) until the retention drops it."""

    __tablename__ = "camera_health_checks"
    __table_args__ = (
        sa.Index("ix_camera_health_checks_camera", "camera_id", "checked_at"),
        sa.Index("ix_camera_health_checks_at", "checked_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           nullable=False)
    checked_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    verdict: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    fault_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                                   server_default="{}")
    findings: Mapped[list[Any]] = mapped_column(JSONB, nullable=False,
                                                server_default=sa.text("'[]'::jsonb"))
    measures: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")


class CameraBaseline(Base):
    """A camera's usual values in one time-of-day band, and its reference view there
    (a grey PNG at the analysis width and the texture of its grid cells)."""

    __tablename__ = "camera_baselines"

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           primary_key=True)
    band: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    checks: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                  server_default=sa.text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = created_at_column()
    reference_png: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    reference_cells: Mapped[list[Any] | None] = mapped_column(JSONB)
    reference_at: Mapped[datetime | None] = mapped_column(_tz())


class CameraStatusChange(Base):
    """A change of a camera's state (online, degraded, offline, maintenance): uptime
    history."""

    __tablename__ = "camera_status_changes"
    __table_args__ = (sa.Index("ix_camera_status_changes_camera", "camera_id", "at"),
                      sa.Index("ix_camera_status_changes_at", "at"))

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           nullable=False)
    at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)


class MaintenanceTicket(Base):
    """A fault that persisted, sent to the camera's maintainer, with its SLA clocks."""

    __tablename__ = "maintenance_tickets"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_tickets_status"),
        sa.CheckConstraint("close_how IS NULL OR close_how IN ('auto', 'manual')",
                           name="ck_tickets_close_how"),
        sa.Index("ix_tickets_one_open_per_camera", "camera_id", unique=True,
                 postgresql_where=sa.text("status = 'open'")),
        sa.Index("ix_tickets_maintainer", "maintainer_id", "status"),
        sa.Index("ix_tickets_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           nullable=False)
    maintainer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("maintainers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="open")
    faults: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False)
    findings: Mapped[list[Any]] = mapped_column(JSONB, nullable=False,
                                                server_default=sa.text("'[]'::jsonb"))
    opened_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    respond_by: Mapped[datetime | None] = mapped_column(_tz())
    repair_by: Mapped[datetime | None] = mapped_column(_tz())
    acknowledged_at: Mapped[datetime | None] = mapped_column(_tz())
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(64))
    closed_at: Mapped[datetime | None] = mapped_column(_tz())
    closed_by: Mapped[str | None] = mapped_column(sa.String(64))
    close_how: Mapped[str | None] = mapped_column(sa.String(8))
    close_note: Mapped[str | None] = mapped_column(sa.Text)
    delivered: Mapped[bool | None] = mapped_column(sa.Boolean)
    delivery_detail: Mapped[str | None] = mapped_column(sa.Text)


TICKET_NOTE_KINDS = ("acknowledge", "note", "close")


class MaintenanceTicketNote(Base):
    """What someone wrote on a ticket: on taking it on, along the way, or closing it."""

    __tablename__ = "maintenance_ticket_notes"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('acknowledge', 'note', 'close')",
                           name="ck_ticket_notes_kind"),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 2000", name="ck_ticket_notes_body"),
        sa.Index("ix_ticket_notes_ticket", "ticket_id", "at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("maintenance_tickets.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)


class LiveView(Base):
    """One person watching one camera live: from ``started_at`` to ``last_seen_at`` (the
    last time their player asked for the playlist)."""

    __tablename__ = "live_views"
    __table_args__ = (sa.Index("ix_live_views_camera", "camera_id", "started_at"),
                      sa.Index("ix_live_views_started", "started_at"))

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    client: Mapped[str | None] = mapped_column(sa.String(64))
