"""Video patrol tours: tours and their stops (cameras in order with dwell times), runs
(an operator playing a tour), what each run's wall showed tile by tile, and the findings
flagged (with the server's frame and the incident or alert each became).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-14
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def fk(name: str, target: str, *, kind: type[sa.types.TypeEngine] = sa.Integer,
       ondelete: str = "SET NULL", nullable: bool = True) -> sa.Column:
    return sa.Column(name, kind, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tours",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("layout", sa.SmallInteger, nullable=False),
        sa.Column("area", sa.Text),
        sa.Column("schedule", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("source", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("proposal", JSONB),
        fk("created_by", "users.id"),
        sa.Column("created_at", tz(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", tz(), nullable=False, server_default=sa.func.now()),
        sa.Column("deleted_at", tz()),
        sa.CheckConstraint("layout IN (1, 4, 9, 16)", name="ck_tours_layout"),
        sa.CheckConstraint("source IN ('manual', 'proposed')", name="ck_tours_source"),
    )
    op.create_table(
        "tour_stops",
        sa.Column("id", sa.Integer, primary_key=True),
        fk("tour_id", "tours.id", ondelete="CASCADE", nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        fk("camera_id", "cameras.id"),
        sa.Column("camera_name", sa.Text),
        sa.Column("dwell_s", sa.SmallInteger, nullable=False),
        sa.Column("reason", JSONB),
        sa.UniqueConstraint("tour_id", "position", name="uq_tour_stops_position"),
        sa.CheckConstraint("dwell_s BETWEEN 5 AND 3600", name="ck_tour_stops_dwell"),
    )
    op.create_table(
        "tour_runs",
        sa.Column("id", sa.BigInteger, primary_key=True),
        fk("tour_id", "tours.id", ondelete="CASCADE", nullable=False),
        fk("user_id", "users.id"),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("started_at", tz(), nullable=False),
        sa.Column("last_seen_at", tz(), nullable=False),
        sa.Column("ended_at", tz()),
        sa.Column("end_how", sa.String(16)),
        sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("paused_at", tz()),
        sa.Column("paused_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("layout", sa.SmallInteger, nullable=False),
        sa.Column("area", sa.Text),
        sa.Column("planned", ARRAY(sa.Integer), nullable=False, server_default="{}"),
        sa.Column("skipped", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("client", sa.String(64)),
    )
    op.create_index("ix_tour_runs_started", "tour_runs", ["started_at"])
    op.create_index("ix_tour_runs_tour", "tour_runs", ["tour_id"])
    op.create_table(
        "tour_shown",
        sa.Column("id", sa.BigInteger, primary_key=True),
        fk("run_id", "tour_runs.id", kind=sa.BigInteger, ondelete="CASCADE", nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("tile", sa.SmallInteger, nullable=False),
        fk("camera_id", "cameras.id"),
        sa.Column("started_at", tz(), nullable=False),
        sa.Column("ended_at", tz()),
        sa.Column("state", sa.String(16), nullable=False, server_default="loading"),
        sa.Column("played", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("problem", sa.Text),
    )
    op.create_index("ix_tour_shown_run", "tour_shown", ["run_id", "ended_at"])
    op.create_index("ix_tour_shown_camera", "tour_shown", ["camera_id", "started_at"])
    op.create_table(
        "video_findings",
        sa.Column("id", sa.Integer, primary_key=True),
        fk("run_id", "tour_runs.id", kind=sa.BigInteger),
        fk("camera_id", "cameras.id"),
        sa.Column("camera_name", sa.Text),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("outcome", sa.String(16), nullable=False),
        fk("incident_id", "incidents.id", kind=sa.BigInteger),
        fk("alert_id", "alerts.id"),
        sa.Column("at", tz(), nullable=False),
        sa.Column("frame", sa.LargeBinary),
        sa.Column("frame_at", tz()),
        sa.Column("frame_source", sa.String(16)),
        sa.Column("frame_error", sa.Text),
        fk("user_id", "users.id"),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("geom", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False),
                  nullable=False),
        sa.CheckConstraint("outcome IN ('incident', 'alert')", name="ck_video_findings_outcome"),
    )
    op.create_index("ix_video_findings_at", "video_findings", ["at"])
    op.create_index("ix_video_findings_run", "video_findings", ["run_id"])
    op.create_index("idx_video_findings_geom", "video_findings", ["geom"],
                    postgresql_using="gist")


def downgrade() -> None:
    for table in ("video_findings", "tour_shown", "tour_runs", "tour_stops", "tours"):
        op.drop_table(table)
