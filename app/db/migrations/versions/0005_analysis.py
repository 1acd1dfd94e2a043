"""Crime analysis: incidents and their imports, saved hot-spot results, and what analysts
promote from them for planning (patrol hot-spot cells, must-visit points).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def geom(kind: str) -> geoalchemy2.Geometry:
    return geoalchemy2.Geometry(kind, srid=4326, spatial_index=False)


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def created_by() -> sa.Column:
    return sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))


def created_at() -> sa.Column:
    return sa.Column("created_at", tz(), nullable=False, server_default=sa.text("now()"))


def upgrade() -> None:
    op.create_table(
        "incident_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("preset", sa.String(32)),
        sa.Column("files", ARRAY(sa.Text), nullable=False),
        sa.Column("mapping", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("counts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("rejects_path", sa.Text),
        created_by(), created_at(),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("occurred_at", tz(), nullable=False),
        sa.Column("time_resolution", sa.String(8), nullable=False),
        sa.Column("timezone", sa.String(64)),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("source_category", sa.Text),
        sa.Column("source_subcategory", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("import_id", sa.Integer,
                  sa.ForeignKey("incident_imports.id", ondelete="SET NULL")),
        sa.Column("geom", geom("POINT"), nullable=False),
        sa.UniqueConstraint("source", "source_id", name="uq_incidents_source_id"),
        sa.CheckConstraint("time_resolution IN ('month', 'day', 'minute')",
                           name="ck_incidents_time_resolution"),
    )
    op.create_index("idx_incidents_geom", "incidents", ["geom"], postgresql_using="gist")
    op.create_index("ix_incidents_occurred_at", "incidents", ["occurred_at"])
    op.create_index("ix_incidents_category", "incidents", ["category"])

    op.create_table(
        "hotspot_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("summary", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("result", JSONB, nullable=False),
        created_by(), created_at(),
    )
    op.create_table(
        "patrol_hotspots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("result_id", sa.Integer,
                  sa.ForeignKey("hotspot_results.id", ondelete="SET NULL")),
        sa.Column("incidents", sa.Integer),
        sa.Column("z", sa.Float),
        sa.Column("gi_bin", sa.SmallInteger),
        sa.Column("dosage_min", sa.Float, nullable=False, server_default="10"),
        sa.Column("dosage_max", sa.Float, nullable=False, server_default="16"),
        sa.Column("revisit_min", sa.Float, nullable=False, server_default="120"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("geom", geom("MULTIPOLYGON"), nullable=False),
        created_by(), created_at(),
    )
    op.create_index("idx_patrol_hotspots_geom", "patrol_hotspots", ["geom"],
                    postgresql_using="gist")
    op.create_table(
        "must_visit_points",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("windows", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("dwell_min", sa.Float, nullable=False, server_default="5"),
        sa.Column("visits_per_shift", sa.SmallInteger, nullable=False, server_default="1"),
        sa.Column("priority", sa.SmallInteger, nullable=False, server_default="3"),
        sa.Column("covert", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("grid_cell_id", sa.Integer,
                  sa.ForeignKey("grid_cells.id", ondelete="SET NULL")),
        sa.Column("source", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("source_ref", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("geom", geom("POINT"), nullable=False),
        created_by(), created_at(),
        sa.UniqueConstraint("source", "source_ref", name="uq_must_visit_points_source_ref"),
    )
    op.create_index("idx_must_visit_points_geom", "must_visit_points", ["geom"],
                    postgresql_using="gist")


def downgrade() -> None:
    for table in ("must_visit_points", "patrol_hotspots", "hotspot_results", "incidents",
                  "incident_imports"):
        op.drop_table(table)
