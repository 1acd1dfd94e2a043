"""Evidence plans: which cameras, which minutes of recording, kept in the case file of an
alert or an incident. Schema: migration 0014."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


class EvidencePlan(Base):
    """One evidence plan as it was answered: the request, the path and every sighting."""

    __tablename__ = "evidence_plans"
    __table_args__ = (sa.Index("ix_evidence_plans_alert", "alert_id"),
                      sa.Index("ix_evidence_plans_incident", "incident_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = created_at_column()
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    alert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("alerts.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    """``path`` (drawn or uploaded), ``route`` (to a place) or ``ways_out``."""
    mode: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                   server_default=sa.text("'{}'::jsonb"))
    sightings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True),
                                             nullable=False)
    path: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTILINESTRING", srid=4326, spatial_index=True))


class CoverageZone(Base):
    """What the cameras see of one zone: a grid cell's part inside one area. Kept current
    by app/evidence/coverage.py from the cells the triggers of migration 0015 mark."""

    __tablename__ = "coverage_zones"
    __table_args__ = (sa.Index("ix_coverage_zones_area", "area_id"),)

    cell_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grid_cells.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    area_m2: Mapped[float] = mapped_column(sa.Float, nullable=False)
    seen_m2: Mapped[float] = mapped_column(sa.Float, nullable=False)
    cameras: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    road_m: Mapped[dict[str, float]] = mapped_column(JSONB, nullable=False,
                                                     server_default=sa.text("'{}'::jsonb"))
    seen_road_m: Mapped[dict[str, float]] = mapped_column(
        JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    computed_at: Mapped[datetime] = created_at_column()
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    seen: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))


class CoverageDirty(Base):
    """A grid cell whose coverage figures must be recomputed."""

    __tablename__ = "coverage_dirty"

    cell_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grid_cells.id", ondelete="CASCADE"), primary_key=True)


class CoverageState(Base):
    """The roads version the coverage figures were computed with (one row)."""

    __tablename__ = "coverage_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_coverage_state_one_row"),)

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    roads_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False,
                                               server_default="-1")
