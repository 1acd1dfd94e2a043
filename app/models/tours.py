"""Video patrol tours: tours and their stops, each time an operator plays one (a run)
with what its wall showed tile by tile, and the findings flagged. Schema: migration
0020."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class Tour(Base):
    """A video patrol tour: ordered cameras (``tour_stops``) on a wall of ``layout`` tiles,
    due when its ``schedule`` says. Deleting one keeps it (``deleted_at``) for its log."""

    __tablename__ = "tours"
    __table_args__ = (
        sa.CheckConstraint("layout IN (1, 4, 9, 16)", name="ck_tours_layout"),
        sa.CheckConstraint("source IN ('manual', 'proposed')", name="ck_tours_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    layout: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    area: Mapped[str | None] = mapped_column(sa.Text)
    """The area's name or the patrol grid's code it was made for (the report groups by it)."""
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                     server_default=sa.text("'{}'::jsonb"))
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False,
                                        server_default="manual")
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """What a proposed tour was proposed from (area, hours, period, counts)."""
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None] = mapped_column(_tz())


class TourStop(Base):
    """One camera of a tour, in order, with its dwell time; the camera's name is kept so a
    deleted camera (``camera_id`` NULL) can still be named when it is skipped."""

    __tablename__ = "tour_stops"
    __table_args__ = (
        sa.UniqueConstraint("tour_id", "position", name="uq_tour_stops_position"),
        sa.CheckConstraint("dwell_s BETWEEN 5 AND 3600", name="ck_tour_stops_dwell"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(sa.ForeignKey("tours.id", ondelete="CASCADE"),
                                         nullable=False)
    position: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    camera_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cameras.id",
                                                                ondelete="SET NULL"))
    camera_name: Mapped[str | None] = mapped_column(sa.Text)
    dwell_s: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    reason: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class TourRun(Base):
    """One operator playing one tour, from start to end (or to its last sign of life);
    ``planned`` the cameras it was to show, ``skipped`` those it could not and why."""

    __tablename__ = "tour_runs"
    __table_args__ = (sa.Index("ix_tour_runs_started", "started_at"),
                      sa.Index("ix_tour_runs_tour", "tour_id"))

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    tour_id: Mapped[int] = mapped_column(sa.ForeignKey("tours.id", ondelete="CASCADE"),
                                         nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(_tz())
    end_how: Mapped[str | None] = mapped_column(sa.String(16))
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    paused_at: Mapped[datetime | None] = mapped_column(_tz())
    paused_s: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0")
    layout: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    area: Mapped[str | None] = mapped_column(sa.Text)
    planned: Mapped[list[int]] = mapped_column(ARRAY(sa.Integer), nullable=False,
                                               server_default="{}")
    skipped: Mapped[list[Any]] = mapped_column(JSONB, nullable=False,
                                               server_default=sa.text("'[]'::jsonb"))
    client: Mapped[str | None] = mapped_column(sa.String(64))


class TourShown(Base):
    """A camera on one tile of a run's wall, from ``started_at`` to ``ended_at`` (NULL while
    on screen: the run's last sign of life ends it), as the server's clock saw it."""

    __tablename__ = "tour_shown"
    __table_args__ = (sa.Index("ix_tour_shown_run", "run_id", "ended_at"),
                      sa.Index("ix_tour_shown_camera", "camera_id", "started_at"))

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tour_runs.id", ondelete="CASCADE"),
                                        nullable=False)
    step: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    tile: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    camera_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cameras.id",
                                                                ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(_tz())
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="loading")
    played: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    problem: Mapped[str | None] = mapped_column(sa.Text)


class VideoFinding(Base):
    """Something an operator saw on a camera and flagged: its kind and note, the frame the
    server took at that moment, and the incident or red alert it became."""

    __tablename__ = "video_findings"
    __table_args__ = (
        sa.CheckConstraint("outcome IN ('incident', 'alert')", name="ck_video_findings_outcome"),
        sa.Index("ix_video_findings_at", "at"),
        sa.Index("ix_video_findings_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tour_runs.id",
                                                             ondelete="SET NULL"))
    camera_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cameras.id",
                                                                ondelete="SET NULL"))
    camera_name: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id",
                                                                  ondelete="SET NULL"))
    alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    frame: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    frame_at: Mapped[datetime | None] = mapped_column(_tz())
    frame_source: Mapped[str | None] = mapped_column(sa.String(16))
    frame_error: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True),
                                             nullable=False)
    """The place the camera watches (where the incident or alert is put)."""
