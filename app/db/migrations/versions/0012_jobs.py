"""Background jobs: the ``jobs`` table, which is both the queue the workers take work from
(``SELECT … FOR UPDATE SKIP LOCKED``, woken by NOTIFY on ``gridpatrol_jobs``) and the
record the API shows (state, progress, message, result, who asked, when).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("result", JSONB),
        sa.Column("result_url", sa.Text),
        sa.Column("page_url", sa.Text),
        sa.Column("error", JSONB),
        sa.Column("requested_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("requested_by_name", sa.String(64), nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("cancelled_by", sa.String(64)),
        sa.Column("worker", sa.String(128)),
        sa.Column("worker_key", sa.BigInteger),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", tz, nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", tz),
        sa.Column("heartbeat_at", tz),
        sa.Column("finished_at", tz),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name="ck_jobs_state"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress"),
    )
    op.create_index("ix_jobs_state_id", "jobs", ["state", "id"])
    op.create_index("ix_jobs_requested_by", "jobs", ["requested_by", "id"])


def downgrade() -> None:
    op.drop_table("jobs")
