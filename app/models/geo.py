"""The jurisdiction's geography: areas, roads and the road graph, buildings, points of
interest, land cover, cameras and patrol grids. Every geometry is SRID 4326 with GiST."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _geom(kind: str) -> Any:
    return Geometry(kind, srid=4326, spatial_index=True)


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False, server_default="area")
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class Road(Base):
    """One OSM way with a highway tag (drivable or walkable)."""

    __tablename__ = "roads"

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True, nullable=False)
    highway: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    name_zh: Mapped[str | None] = mapped_column(sa.Text)
    name_en: Mapped[str | None] = mapped_column(sa.Text)
    ref: Mapped[str | None] = mapped_column(sa.Text)
    oneway: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    maxspeed_kmh: Mapped[float | None] = mapped_column(sa.Float)
    speed_kmh: Mapped[float] = mapped_column(sa.Float, nullable=False)
    drivable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    walkable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    geom: Mapped[WKBElement] = mapped_column(_geom("LINESTRING"), nullable=False)


class RoadEdge(Base):
    """A drivable way between two junctions; runs u→v (one way when ``oneway``)."""

    __tablename__ = "road_edges"
    __table_args__ = (sa.UniqueConstraint("osm_way_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_way_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    u: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, index=True)
    v: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, index=True)
    length_m: Mapped[float] = mapped_column(sa.Float, nullable=False)
    travel_s: Mapped[float] = mapped_column(sa.Float, nullable=False)
    oneway: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    highway: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    geom: Mapped[WKBElement] = mapped_column(_geom("LINESTRING"), nullable=False)


class Building(Base):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_key: Mapped[str] = mapped_column(sa.String(24), unique=True, nullable=False)
    building: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    height_m: Mapped[float | None] = mapped_column(sa.Float)
    levels: Mapped[int | None] = mapped_column(sa.Integer)
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class Poi(Base):
    __tablename__ = "pois"

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_key: Mapped[str] = mapped_column(sa.String(24), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    name: Mapped[str | None] = mapped_column(sa.Text)
    name_zh: Mapped[str | None] = mapped_column(sa.Text)
    name_en: Mapped[str | None] = mapped_column(sa.Text)
    tags: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                 server_default=sa.text("'{}'::jsonb"))
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"), nullable=False)


class Landcover(Base):
    """Water, parks, forest and land use, for the basemap."""

    __tablename__ = "landcover"

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_key: Mapped[str] = mapped_column(sa.String(24), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_key: Mapped[str | None] = mapped_column(sa.String(24), unique=True)
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="fixed")
    azimuth_deg: Mapped[float | None] = mapped_column(sa.Float)
    fov_deg: Mapped[float | None] = mapped_column(sa.Float)
    range_m: Mapped[float | None] = mapped_column(sa.Float)
    height_m: Mapped[float | None] = mapped_column(sa.Float)
    mount: Mapped[str | None] = mapped_column(sa.String(32))
    stream_url: Mapped[str | None] = mapped_column(sa.Text)
    recording_url: Mapped[str | None] = mapped_column(sa.Text)
    """Playback URL template with ``{start}`` and ``{end}`` (dispatch.cameras.recording)."""
    gb_id: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="unknown")
    tags: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                 server_default=sa.text("'{}'::jsonb"))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"))
    status_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = created_at_column()
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"), nullable=False)
    sector: Mapped[WKBElement | None] = mapped_column(_geom("POLYGON"))
    """The plain wedge (or disc) from azimuth, field of view and range."""
    coverage: Mapped[WKBElement | None] = mapped_column(_geom("MULTIPOLYGON"))
    """The wedge cut by building footprints: what the camera can actually see."""


class CameraCatalogEntry(Base):
    """What the last GB/T 28181 catalogue imported said of a camera (one row per camera)."""

    __tablename__ = "camera_catalog"

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           primary_key=True)
    platform_id: Mapped[str | None] = mapped_column(sa.Text)
    """The device or platform that answered the catalogue query."""
    manufacturer: Mapped[str | None] = mapped_column(sa.Text)
    model: Mapped[str | None] = mapped_column(sa.Text)
    owner: Mapped[str | None] = mapped_column(sa.Text)
    civil_code: Mapped[str | None] = mapped_column(sa.Text)
    address: Mapped[str | None] = mapped_column(sa.Text)
    parent_id: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str | None] = mapped_column(sa.String(8))
    """``on`` or ``off`` as the catalogue said; None when it said neither."""
    source_lon: Mapped[float | None] = mapped_column(sa.Float)
    source_lat: Mapped[float | None] = mapped_column(sa.Float)
    """The coordinates as written, in ``datum`` (the camera's point is WGS-84)."""
    datum: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                    server_default=sa.text("'{}'::jsonb"))
    source: Mapped[str | None] = mapped_column(sa.Text)
    imported_at: Mapped[datetime] = created_at_column()


class CameraRoad(Base):
    """A road segment (graph edge) a camera's coverage meets."""

    __tablename__ = "camera_roads"
    __table_args__ = (sa.Index("ix_camera_roads_edge", "edge_id"),)

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                                           primary_key=True)
    edge_id: Mapped[int] = mapped_column(sa.ForeignKey("road_edges.id", ondelete="CASCADE"),
                                         primary_key=True)


class GridCell(Base):
    """A patrol grid cell (网格) with a stable code."""

    __tablename__ = "grid_cells"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.Text)
    shape: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    cell_m: Mapped[float] = mapped_column(sa.Float, nullable=False)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"))
    assigned_to: Mapped[str | None] = mapped_column(sa.Text)
    road_length_m: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0")
    area_m2: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0")
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class DataVersion(Base):
    """A counter per data set, bumped on change, so every process rebuilds its caches."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    changed_at: Mapped[datetime] = created_at_column()
