"""Patrol planning: stations, the roster, plans with their routes, overdue notices, and
APScheduler's job store (created here so the app role needs no CREATE right).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def geom(kind: str) -> geoalchemy2.Geometry:
    return geoalchemy2.Geometry(kind, srid=4326, spatial_index=False)


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def now() -> sa.TextClause:
    return sa.text("now()")


def user_fk(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("geom", geom("POINT"), nullable=False),
        sa.Column("created_at", tz(), nullable=False, server_default=now()),
    )
    op.create_index("idx_stations_geom", "stations", ["geom"], postgresql_using="gist")
    op.add_column("units", sa.Column("station_id", sa.Integer,
                                     sa.ForeignKey("stations.id", ondelete="SET NULL")))
    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("shift", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("grids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("station_id", sa.Integer,
                  sa.ForeignKey("stations.id", ondelete="SET NULL")),
        sa.Column("start_at", tz(), nullable=False),
        sa.Column("end_at", tz(), nullable=False),
        sa.Column("note", sa.Text),
        user_fk("created_by"),
        sa.Column("created_at", tz(), nullable=False, server_default=now()),
        sa.UniqueConstraint("day", "shift", "unit_id", name="uq_roster_day_shift_unit"),
        sa.CheckConstraint("end_at > start_at", name="ck_roster_interval"),
    )
    op.create_index("ix_roster_entries_day", "roster_entries", ["day"])
    op.create_table(
        "patrol_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("shift", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("summary", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("unserved", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        user_fk("created_by"),
        sa.Column("created_at", tz(), nullable=False, server_default=now()),
        sa.Column("published_at", tz()),
        user_fk("published_by"),
        sa.UniqueConstraint("day", "shift", name="uq_patrol_plans_day_shift"),
    )
    op.create_table(
        "plan_routes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("patrol_plans.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("start_at", tz(), nullable=False),
        sa.Column("end_at", tz(), nullable=False),
        sa.Column("travel_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("distance_m", sa.Float, nullable=False, server_default="0"),
        sa.Column("stops", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("geom", geom("MULTILINESTRING")),
        sa.UniqueConstraint("plan_id", "unit_id", name="uq_plan_routes_plan_unit"),
    )
    op.create_index("idx_plan_routes_geom", "plan_routes", ["geom"], postgresql_using="gist")
    op.create_table(
        "overdue_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer,
                  sa.ForeignKey("must_visit_points.id", ondelete="CASCADE"), nullable=False),
        sa.Column("window_end", tz(), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("patrol_plans.id", ondelete="SET NULL")),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", tz(), nullable=False, server_default=now()),
        sa.UniqueConstraint("point_id", "window_end", name="uq_overdue_point_window"),
    )
    op.create_table(  # APScheduler 3 SQLAlchemyJobStore's table, as it would create it
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in ("apscheduler_jobs", "overdue_notices", "plan_routes", "patrol_plans",
                  "roster_entries"):
        op.drop_table(table)
    op.drop_column("units", "station_id")
    op.drop_table("stations")
