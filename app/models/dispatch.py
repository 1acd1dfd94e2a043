"""Units, their positions and status history, alerts with their timeline, the radio log
and positions refused at the door. Schema: migration 0003."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _point() -> Any:
    return Geometry("POINT", srid=4326, spatial_index=True)


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (sa.Index("ix_units_radio_ids", "radio_ids", postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    callsign: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    skills: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                              server_default="{}")
    radio_ids: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                                 server_default="{}")
    station_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stations.id", ondelete="SET NULL"))
    home_area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(24), nullable=False,
                                        server_default="out_of_service")
    status_since: Mapped[datetime] = created_at_column()
    alert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("alerts.id", ondelete="SET NULL", name="fk_units_alert"))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    fix_at: Mapped[datetime | None] = mapped_column(_tz())
    speed_mps: Mapped[float | None] = mapped_column(sa.Float)
    course_deg: Mapped[float | None] = mapped_column(sa.Float)
    geom: Mapped[WKBElement | None] = mapped_column(_point())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class UnitPosition(Base):
    """The position history, partitioned by month of the fix time (migration 0009,
    ``app.db.partitions``): the primary key holds ``at``, the partition key."""

    __tablename__ = "unit_positions"
    __table_args__ = (sa.Index("ix_unit_positions_unit_at", "unit_id", "at"),
                      {"postgresql_partition_by": "RANGE (at)"})

    id: Mapped[int] = mapped_column(
        sa.BigInteger, primary_key=True, autoincrement=True,
        server_default=sa.text("nextval('unit_positions_id_seq')"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"),
                                         nullable=False)
    at: Mapped[datetime] = mapped_column(_tz(), primary_key=True)
    received_at: Mapped[datetime] = created_at_column()
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    speed_mps: Mapped[float | None] = mapped_column(sa.Float)
    course_deg: Mapped[float | None] = mapped_column(sa.Float)
    geom: Mapped[WKBElement] = mapped_column(_point(), nullable=False)


class UnitStatusChange(Base):
    __tablename__ = "unit_status_log"
    __table_args__ = (sa.Index("ix_unit_status_log_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"),
                                         nullable=False)
    at: Mapped[datetime] = created_at_column()
    previous: Mapped[str | None] = mapped_column(sa.String(24))
    status: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    alert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("alerts.id", ondelete="SET NULL", name="fk_unit_status_log_alert"))
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (sa.Index("ix_alerts_status_raised", "status", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    kind: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.Text)
    covert: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="open")
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    raised_at: Mapped[datetime] = created_at_column()
    raised_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(_tz())
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"))
    callup: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                   server_default=sa.text("'{}'::jsonb"))
    geom: Mapped[WKBElement] = mapped_column(_point(), nullable=False)


class AlertEvent(Base):
    """One line of an alert's timeline (raised, cameras called up, units recommended,
    dispatched, acknowledged, arrived, closed)."""

    __tablename__ = "alert_events"
    __table_args__ = (sa.Index("ix_alert_events_alert_at", "alert_id", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alerts.id", ondelete="CASCADE"),
                                          nullable=False)
    at: Mapped[datetime] = created_at_column()
    event: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))


class RadioLogEntry(Base):
    """A message to or from the radio network: orders out, acknowledgements, calls and
    positions in. ``delivery`` is an outbound message's state (``dispatch.delivery``:
    queued, sent, delivered, acknowledged, failed, expired; ``none`` inbound); the
    delivery columns are migration 0013's."""

    __tablename__ = "radio_log"
    __table_args__ = (sa.Index("ix_radio_log_at", "at"),
                      sa.Index("ix_radio_log_alert", "alert_id"),
                      sa.Index("ix_radio_log_unit_at", "unit_id", "at"),
                      sa.Index("ix_radio_log_outstanding", "id", postgresql_where=sa.text(
                          "direction = 'out' AND (delivery = 'queued' OR (needs_ack AND "
                          "delivery IN ('sent', 'delivered', 'failed')))")))

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = created_at_column()
    direction: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    alert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("alerts.id", ondelete="SET NULL"))
    radio_id: Mapped[str | None] = mapped_column(sa.String(32))
    talkgroup: Mapped[str | None] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
    delivery: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="none")
    delivery_detail: Mapped[str | None] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    needs_ack: Mapped[bool] = mapped_column(sa.Boolean, nullable=False,
                                            server_default=sa.false())
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    sends: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(_tz())
    last_sent_at: Mapped[datetime | None] = mapped_column(_tz())
    delivered_at: Mapped[datetime | None] = mapped_column(_tz())
    acknowledged_at: Mapped[datetime | None] = mapped_column(_tz())
    transport: Mapped[str | None] = mapped_column(sa.String(16))
    sent_to: Mapped[list[str]] = mapped_column(JSONB, nullable=False,
                                               server_default=sa.text("'[]'::jsonb"))


class ConsoleAlarm(Base):
    """A console alarm: an order not acknowledged in time or not delivered (a dead
    letter), a status timer run out. ``key`` makes one alarm per occurrence; it is cleared
    when its cause is gone (the order acknowledged, the status changed) and may be
    acknowledged (silenced) by a dispatcher. Schema: migration 0013."""

    __tablename__ = "console_alarms"
    __table_args__ = (sa.Index("ix_console_alarms_open", "raised_at",
                               postgresql_where=sa.text("cleared_at IS NULL")),
                      sa.Index("ix_console_alarms_radio_log", "radio_log_id"))

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(160), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("alerts.id", ondelete="SET NULL"))
    radio_log_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("radio_log.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = created_at_column()
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
    cleared_at: Mapped[datetime | None] = mapped_column(_tz())
    cleared_reason: Mapped[str | None] = mapped_column(sa.Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(_tz())
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(64))


class PositionReject(Base):
    """A position report refused (bad checksum, no fix, unknown radio), kept for review."""

    __tablename__ = "position_rejects"
    __table_args__ = (sa.Index("ix_position_rejects_received", "received_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    received_at: Mapped[datetime] = created_at_column()
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    radio_id: Mapped[str | None] = mapped_column(sa.String(32))
    line: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
