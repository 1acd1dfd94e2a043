"""Stations, the roster, patrol plans with their routes, overdue notices and the
scheduler's job store. Schema: migration 0006."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _user() -> Mapped[int | None]:
    return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class Station(Base):
    """A police station or post: where a unit's patrol route starts and ends."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True),
                                             nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class RosterEntry(Base):
    """Which unit works which shift on which day, in which grids (from which station)."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        sa.UniqueConstraint("day", "shift", "unit_id", name="uq_roster_day_shift_unit"),
        sa.CheckConstraint("end_at > start_at", name="ck_roster_interval"),
        sa.Index("ix_roster_entries_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    shift: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"),
                                         nullable=False)
    grids: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                             server_default="{}")
    station_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stations.id", ondelete="SET NULL"))
    start_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    end_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = _user()
    created_at: Mapped[datetime] = created_at_column()


class PatrolPlan(Base):
    """The routes of one shift on one day (re-planning replaces them)."""

    __tablename__ = "patrol_plans"
    __table_args__ = (sa.UniqueConstraint("day", "shift", name="uq_patrol_plans_day_shift"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    shift: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="draft")
    engine: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    seed: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                   server_default=sa.text("'{}'::jsonb"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
    unserved: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    created_by: Mapped[int | None] = _user()
    created_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = mapped_column(_tz())
    published_by: Mapped[int | None] = _user()


class PlanRoute(Base):
    """One unit's route in a plan: timed stops and the road geometry."""

    __tablename__ = "plan_routes"
    __table_args__ = (sa.UniqueConstraint("plan_id", "unit_id", name="uq_plan_routes_plan_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_plans.id", ondelete="CASCADE"),
                                         nullable=False)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"),
                                         nullable=False)
    locked: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    start_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    end_at: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    travel_s: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0")
    distance_m: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0")
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False,
                                                        server_default=sa.text("'[]'::jsonb"))
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTILINESTRING", srid=4326, spatial_index=True))


class OverdueNotice(Base):
    """A must-visit point whose window was closing unvisited: sent once per window."""

    __tablename__ = "overdue_notices"
    __table_args__ = (sa.UniqueConstraint("point_id", "window_end",
                                          name="uq_overdue_point_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(
        sa.ForeignKey("must_visit_points.id", ondelete="CASCADE"), nullable=False)
    window_end: Mapped[datetime] = mapped_column(_tz(), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patrol_plans.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


# APScheduler 3's SQLAlchemyJobStore table, created by migration 0006 (the app role may
# not create tables); declared here so the schema test sees the models match.
APSCHEDULER_JOBS = sa.Table(
    "apscheduler_jobs", Base.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
