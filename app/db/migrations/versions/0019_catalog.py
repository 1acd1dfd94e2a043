"""GB/T 28181 catalogues: what the catalogue said of each camera it brought (maker, model,
owner, civil code, address, parent, status, the coordinates as written and their datum,
the other elements), one row per camera, replaced by the next import.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera_catalog",
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("platform_id", sa.Text),
        sa.Column("manufacturer", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("civil_code", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("parent_id", sa.Text),
        sa.Column("status", sa.String(8)),
        sa.Column("source_lon", sa.Float),
        sa.Column("source_lat", sa.Float),
        sa.Column("datum", sa.String(8), nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("source", sa.Text),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("datum IN ('wgs84', 'gcj02', 'bd09')",
                           name="ck_camera_catalog_datum"),
        sa.CheckConstraint("status IN ('on', 'off')", name="ck_camera_catalog_status"),
    )


def downgrade() -> None:
    op.drop_table("camera_catalog")
