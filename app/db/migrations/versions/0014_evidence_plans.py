"""Evidence plans (which cameras, which minutes) kept in an alert's or an incident's case
file; cameras carry a recording URL template.

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-10
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cameras", sa.Column("recording_url", sa.Text))
    op.create_table(
        "evidence_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
        sa.Column("incident_id", sa.BigInteger,
                  sa.ForeignKey("incidents.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("sightings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("path", Geometry("MULTILINESTRING", srid=4326, spatial_index=False)),
    )
    op.create_index("ix_evidence_plans_alert", "evidence_plans", ["alert_id"])
    op.create_index("ix_evidence_plans_incident", "evidence_plans", ["incident_id"])
    op.create_index("idx_evidence_plans_geom", "evidence_plans", ["geom"],
                    postgresql_using="gist")
    op.create_index("idx_evidence_plans_path", "evidence_plans", ["path"],
                    postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("evidence_plans")
    op.drop_column("cameras", "recording_url")
