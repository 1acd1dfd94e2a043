"""Faults layer and maintenance desk: the latest frame a health check saw (a small JPEG
on the camera's latest check, for the faults layer's popup and the camera's page), and
the notes of a ticket (acknowledgements, notes and closing notes, who and when).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("camera_health", sa.Column("frame_jpeg", sa.LargeBinary))
    op.add_column("camera_health", sa.Column("frame_at", sa.DateTime(timezone=True)))
    op.create_table(
        "maintenance_ticket_notes",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("ticket_id", sa.Integer,
                  sa.ForeignKey("maintenance_tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('acknowledge', 'note', 'close')",
                           name="ck_ticket_notes_kind"),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 2000", name="ck_ticket_notes_body"),
    )
    op.create_index("ix_ticket_notes_ticket", "maintenance_ticket_notes", ["ticket_id", "at"])
    # the monthly report reads tickets by the month they were opened in, and counts a
    # month's state changes before it decides to run inline or as a job
    op.create_index("ix_tickets_opened_at", "maintenance_tickets", ["opened_at"])
    op.create_index("ix_camera_status_changes_at", "camera_status_changes", ["at"])


def downgrade() -> None:
    op.drop_index("ix_camera_status_changes_at", table_name="camera_status_changes")
    op.drop_index("ix_tickets_opened_at", table_name="maintenance_tickets")
    op.drop_table("maintenance_ticket_notes")
    op.drop_column("camera_health", "frame_at")
    op.drop_column("camera_health", "frame_jpeg")
