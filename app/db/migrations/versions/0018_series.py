"""Crime series (a named set of incidents an analyst links: the same thief, night after
night) and must-visit points that end: ``expires_at`` (a series' or a near repeat's
temporary points are not planned once it has passed).

Revision ID: 0018
Revises: 0017
Create Date: 2027-02-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("must_visit_points", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.create_table(
        "incident_series",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )
    op.create_table(
        "incident_series_members",
        sa.Column("series_id", sa.Integer,
                  sa.ForeignKey("incident_series.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("incident_id", sa.BigInteger,
                  sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_incident_series_members_incident", "incident_series_members",
                    ["incident_id"])


def downgrade() -> None:
    op.drop_table("incident_series_members")
    op.drop_table("incident_series")
    op.drop_column("must_visit_points", "expires_at")
