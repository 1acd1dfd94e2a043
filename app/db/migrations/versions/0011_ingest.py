"""Ingest: radio assignments (radio ID ↔ unit with validity periods, never overlapping),
every inbound message's identity and outcome (duplicates are refused by its key), and the
ingest service's published counters.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # trusted: the owner may
    op.create_table(
        "radio_assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("radio_id", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("alias", sa.String(64), nullable=False, server_default=""),
        sa.Column("valid_from", tz(), nullable=False),
        sa.Column("valid_until", tz()),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", tz(), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint("valid_until IS NULL OR valid_until > valid_from",
                           name="ck_radio_assignments_period"),
    )
    op.execute("ALTER TABLE radio_assignments ADD CONSTRAINT ex_radio_assignments_overlap "
               "EXCLUDE USING gist (radio_id WITH =, tstzrange(valid_from, valid_until) "
               "WITH &&)")
    op.create_index("ix_radio_assignments_unit", "radio_assignments", ["unit_id"])
    op.create_table(
        "ingest_messages",
        sa.Column("identity", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("radio_id", sa.String(32)),
        sa.Column("alias", sa.String(64)),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("at", tz()),
        sa.Column("received_at", tz(), nullable=False),
        sa.Column("applied_at", tz(), nullable=False, server_default=sa.text("now()")),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("payload", sa.Text),
    )
    op.create_index("ix_ingest_messages_received", "ingest_messages", ["received_at"])
    op.create_index("ix_ingest_messages_outcome", "ingest_messages",
                    ["outcome", "received_at"])
    op.create_index("ix_ingest_messages_unmapped", "ingest_messages", ["radio_id"],
                    postgresql_where=sa.text("outcome = 'unmapped'"))
    op.create_table(
        "ingest_status",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("started_at", tz(), nullable=False),
        sa.Column("updated_at", tz(), nullable=False),
        sa.Column("counters", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_table("ingest_status")
    op.drop_table("ingest_messages")
    op.drop_table("radio_assignments")
