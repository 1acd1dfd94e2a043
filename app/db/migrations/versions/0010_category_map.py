"""An analyst's category map (source category value → common category), applied by the
incident import and by re-classification of stored incidents; an index to find the
incidents of one source category.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_category_map",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(64), nullable=False, server_default=""),
        sa.Column("source_category", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.UniqueConstraint("source", "key", name="uq_incident_category_map"),
    )
    op.create_index("ix_incidents_source_category", "incidents", ["source_category"])


def downgrade() -> None:
    op.drop_index("ix_incidents_source_category", table_name="incidents")
    op.drop_table("incident_category_map")
