"""The video centre: the video_operator and maintainer roles; camera health (the latest
check per camera, the history of checks, baselines and reference views per time-of-day
band, state changes for uptime); maintainers, who works for them, which cameras they
keep, and their tickets; live views (who watched which camera, from when to when).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ROLES = [
    ("video_operator", "Watches the camera network: tours, live view, findings, snapshots"),
    ("maintainer", "A contractor keeping cameras running: sees cameras, their health and "
                   "its own tickets, nothing else"),
]


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def camera_fk() -> sa.Column:
    return sa.Column("camera_id", sa.Integer, sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    roles = sa.table("roles", sa.column("name", sa.String), sa.column("description", sa.Text))
    op.bulk_insert(roles, [{"name": n, "description": d} for n, d in ROLES])
    op.create_table(
        "maintainers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("contact", sa.Text),
        sa.Column("response_h", sa.Float, nullable=False),
        sa.Column("repair_h", sa.Float, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", tz(), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('equipment', 'power', 'telecom')",
                           name="ck_maintainers_kind"),
        sa.CheckConstraint("response_h > 0 AND repair_h > 0", name="ck_maintainers_sla"),
    )
    op.create_table(
        "maintainer_members",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("maintainer_id", sa.Integer,
                  sa.ForeignKey("maintainers.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_maintainer_members_maintainer_id", "maintainer_members",
                    ["maintainer_id"])
    op.create_table(
        "camera_maintainers",
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("maintainer_id", sa.Integer,
                  sa.ForeignKey("maintainers.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_camera_maintainers_maintainer_id", "camera_maintainers",
                    ["maintainer_id"])
    op.create_table(
        "camera_health",
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("checked_at", tz(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("fault_codes", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("findings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("measures", JSONB),
        sa.Column("comparison", JSONB),
        sa.Column("stream", JSONB),
        sa.Column("streaks", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("duration_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_healthy_at", tz()),
    )
    op.create_table(
        "camera_health_checks",
        sa.Column("id", sa.BigInteger, primary_key=True),
        camera_fk(),
        sa.Column("checked_at", tz(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("fault_codes", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("findings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("measures", JSONB),
        sa.Column("duration_ms", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_camera_health_checks_camera", "camera_health_checks",
                    ["camera_id", "checked_at"])
    op.create_index("ix_camera_health_checks_at", "camera_health_checks", ["checked_at"])
    op.create_table(
        "camera_baselines",
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("band", sa.SmallInteger, primary_key=True),
        sa.Column("checks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stats", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("updated_at", tz(), nullable=False, server_default=sa.func.now()),
        sa.Column("reference_png", sa.LargeBinary),
        sa.Column("reference_cells", JSONB),
        sa.Column("reference_at", tz()),
    )
    op.create_table(
        "camera_status_changes",
        sa.Column("id", sa.BigInteger, primary_key=True),
        camera_fk(),
        sa.Column("at", tz(), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_camera_status_changes_camera", "camera_status_changes",
                    ["camera_id", "at"])
    op.create_table(
        "maintenance_tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        camera_fk(),
        sa.Column("maintainer_id", sa.Integer,
                  sa.ForeignKey("maintainers.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("faults", ARRAY(sa.Text), nullable=False),
        sa.Column("findings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("opened_at", tz(), nullable=False),
        sa.Column("respond_by", tz()),
        sa.Column("repair_by", tz()),
        sa.Column("acknowledged_at", tz()),
        sa.Column("acknowledged_by", sa.String(64)),
        sa.Column("closed_at", tz()),
        sa.Column("closed_by", sa.String(64)),
        sa.Column("close_how", sa.String(8)),
        sa.Column("close_note", sa.Text),
        sa.Column("delivered", sa.Boolean),
        sa.Column("delivery_detail", sa.Text),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_tickets_status"),
        sa.CheckConstraint("close_how IS NULL OR close_how IN ('auto', 'manual')",
                           name="ck_tickets_close_how"),
    )
    op.create_index("ix_tickets_one_open_per_camera", "maintenance_tickets", ["camera_id"],
                    unique=True, postgresql_where=sa.text("status = 'open'"))
    op.create_index("ix_tickets_maintainer", "maintenance_tickets",
                    ["maintainer_id", "status"])
    op.create_table(
        "live_views",
        sa.Column("id", sa.BigInteger, primary_key=True),
        camera_fk(),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("started_at", tz(), nullable=False),
        sa.Column("last_seen_at", tz(), nullable=False),
        sa.Column("client", sa.String(64)),
    )
    op.create_index("ix_live_views_camera", "live_views", ["camera_id", "started_at"])
    op.create_index("ix_live_views_started", "live_views", ["started_at"])


def downgrade() -> None:
    for table in ("live_views", "maintenance_tickets", "camera_status_changes", "camera_baselines",
                  "camera_health_checks", "camera_health", "camera_maintainers",
                  "maintainer_members", "maintainers"):
        op.drop_table(table)
    op.execute("UPDATE users SET role = 'viewer' WHERE role IN ('video_operator', "
               "'maintainer')")
    op.execute("DELETE FROM roles WHERE name IN ('video_operator', 'maintainer')")
