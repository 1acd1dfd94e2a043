"""Incidents and their imports, saved hot-spot results, and what analysts promote from
them for planning. Schema: migration 0005."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _geom(kind: str) -> Any:
    return Geometry(kind, srid=4326, spatial_index=True)


def _json(default: str) -> Any:
    return mapped_column(JSONB, nullable=False, server_default=sa.text(f"'{default}'::jsonb"))


def _creator() -> Mapped[int | None]:
    return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class IncidentImport(Base):
    """One run of ``gridpatrol import incidents``: what was read, how, and what came of it."""

    __tablename__ = "incident_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    preset: Mapped[str | None] = mapped_column(sa.String(32))
    files: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False)
    mapping: Mapped[dict[str, Any]] = _json("{}")
    counts: Mapped[dict[str, Any]] = _json("{}")
    rejects_path: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = _creator()
    created_at: Mapped[datetime] = created_at_column()


class Incident(Base):
    """A recorded crime at a place and time; ``time_resolution`` says how exact the time is
    (a police.uk record knows only its month)."""

    __tablename__ = "incidents"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", name="uq_incidents_source_id"),
        sa.CheckConstraint("time_resolution IN ('month', 'day', 'minute')",
                           name="ck_incidents_time_resolution"),
        sa.Index("ix_incidents_occurred_at", "occurred_at"),
        sa.Index("ix_incidents_category", "category"),
        sa.Index("ix_incidents_source_category", "source_category"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    source_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    time_resolution: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    """The IANA zone the source's local times were read in (hour-of-day tables use it)."""
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    source_category: Mapped[str | None] = mapped_column(sa.Text)
    source_subcategory: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    address: Mapped[str | None] = mapped_column(sa.Text)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"))
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident_imports.id", ondelete="SET NULL"))
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"), nullable=False)


class IncidentCategoryMap(Base):
    """An analyst's choice of common category for a source's own category value (the
    import and re-classification apply it before the built-in tables). ``source`` is the
    data set it holds for; ``''`` for every data set. ``key`` is the value as compared:
    trimmed, spaces collapsed, case-folded. Schema: migration 0010."""

    __tablename__ = "incident_category_map"
    __table_args__ = (sa.UniqueConstraint("source", "key", name="uq_incident_category_map"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), nullable=False, server_default="")
    source_category: Mapped[str] = mapped_column(sa.Text, nullable=False)
    key: Mapped[str] = mapped_column(sa.Text, nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    created_by: Mapped[int | None] = _creator()
    created_at: Mapped[datetime] = created_at_column()


class HotspotResult(Base):
    """A hot-spot analysis saved with its parameters (the GeoJSON answer as it was)."""

    __tablename__ = "hotspot_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    method: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    summary: Mapped[dict[str, Any]] = _json("{}")
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_by: Mapped[int | None] = _creator()
    created_at: Mapped[datetime] = created_at_column()


class PatrolHotspot(Base):
    """A grid cell patrols should dose: ``dosage_min``–``dosage_max`` minutes at least every
    ``revisit_min`` minutes (the Koper curve)."""

    __tablename__ = "patrol_hotspots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("hotspot_results.id", ondelete="SET NULL"))
    incidents: Mapped[int | None] = mapped_column(sa.Integer)
    z: Mapped[float | None] = mapped_column(sa.Float)
    gi_bin: Mapped[int | None] = mapped_column(sa.SmallInteger)
    dosage_min: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="10")
    dosage_max: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="16")
    revisit_min: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="120")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"), nullable=False)
    created_by: Mapped[int | None] = _creator()
    created_at: Mapped[datetime] = created_at_column()


class MustVisitPoint(Base):
    """A place patrols must visit (必巡点), with weekday time windows, dwell and priority."""

    __tablename__ = "must_visit_points"
    __table_args__ = (sa.UniqueConstraint("source", "source_ref",
                                          name="uq_must_visit_points_source_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    windows: Mapped[list[dict[str, Any]]] = _json("[]")
    dwell_min: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="5")
    visits_per_shift: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False,
                                                  server_default="1")
    priority: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, server_default="3")
    covert: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    unit_kinds: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                                  server_default="{}")
    """Only units of these kinds may visit it (empty: any)."""
    skills: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                              server_default="{}")
    """Only units with all these skills may visit it."""
    grid_cell_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("grid_cells.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="manual")
    source_ref: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    """A temporary point (a series', a near repeat's) is not planned from then on
    (migration 0018)."""
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"), nullable=False)
    created_by: Mapped[int | None] = _creator()
    created_at: Mapped[datetime] = created_at_column()
