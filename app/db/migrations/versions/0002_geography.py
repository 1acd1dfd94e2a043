"""Geography: roads and the road graph, buildings, POIs, land cover, cameras, grids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def geom(kind: str) -> geoalchemy2.Geometry:
    return geoalchemy2.Geometry(kind, srid=4326, spatial_index=False)


def gist(table: str) -> None:
    op.create_index(f"idx_{table}_geom", table, ["geom"], postgresql_using="gist")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "roads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("osm_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("highway", sa.String(32), nullable=False),
        sa.Column("name", sa.Text), sa.Column("name_zh", sa.Text), sa.Column("name_en", sa.Text),
        sa.Column("ref", sa.Text),
        sa.Column("oneway", sa.SmallInteger, nullable=False),
        sa.Column("maxspeed_kmh", sa.Float),
        sa.Column("speed_kmh", sa.Float, nullable=False),
        sa.Column("drivable", sa.Boolean, nullable=False),
        sa.Column("walkable", sa.Boolean, nullable=False),
        sa.Column("geom", geom("LINESTRING"), nullable=False),
    )
    gist("roads")
    op.execute("CREATE INDEX ix_roads_names_trgm ON roads USING gin "
               "((coalesce(name, '') || ' ' || coalesce(name_zh, '') || ' ' || "
               "coalesce(name_en, '')) gin_trgm_ops)")

    op.create_table(
        "road_edges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("osm_way_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("u", sa.BigInteger, nullable=False, index=True),
        sa.Column("v", sa.BigInteger, nullable=False, index=True),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("travel_s", sa.Float, nullable=False),
        sa.Column("oneway", sa.Boolean, nullable=False),
        sa.Column("highway", sa.String(32), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("geom", geom("LINESTRING"), nullable=False),
        sa.UniqueConstraint("osm_way_id", "seq"),
    )
    gist("road_edges")

    op.create_table(
        "buildings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("osm_key", sa.String(24), nullable=False, unique=True),
        sa.Column("building", sa.String(64), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("height_m", sa.Float),
        sa.Column("levels", sa.Integer),
        sa.Column("geom", geom("MULTIPOLYGON"), nullable=False),
    )
    gist("buildings")

    op.create_table(
        "pois",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("osm_key", sa.String(24), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("name", sa.Text), sa.Column("name_zh", sa.Text), sa.Column("name_en", sa.Text),
        sa.Column("tags", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("geom", geom("POINT"), nullable=False),
    )
    gist("pois")
    op.execute("CREATE INDEX ix_pois_names_trgm ON pois USING gin "
               "((coalesce(name, '') || ' ' || coalesce(name_zh, '') || ' ' || "
               "coalesce(name_en, '')) gin_trgm_ops)")

    op.create_table(
        "landcover",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("osm_key", sa.String(24), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("geom", geom("MULTIPOLYGON"), nullable=False),
    )
    gist("landcover")

    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("osm_key", sa.String(24), unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("kind", sa.String(16), nullable=False, server_default="fixed"),
        sa.Column("azimuth_deg", sa.Float),
        sa.Column("fov_deg", sa.Float),
        sa.Column("range_m", sa.Float),
        sa.Column("height_m", sa.Float),
        sa.Column("mount", sa.String(32)),
        sa.Column("stream_url", sa.Text),
        sa.Column("gb_id", sa.String(20), unique=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("tags", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("geom", geom("POINT"), nullable=False),
    )
    gist("cameras")

    op.create_table(
        "grid_cells",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("shape", sa.String(8), nullable=False),
        sa.Column("cell_m", sa.Float, nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("assigned_to", sa.Text),
        sa.Column("road_length_m", sa.Float, nullable=False, server_default="0"),
        sa.Column("area_m2", sa.Float, nullable=False, server_default="0"),
        sa.Column("geom", geom("MULTIPOLYGON"), nullable=False),
    )
    gist("grid_cells")

    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("data_versions", "grid_cells", "cameras", "landcover", "pois", "buildings",
                  "road_edges", "roads"):
        op.drop_table(table)
