"""Checkpoint passages (卡口过车): checkpoints; passages partitioned by day of the passing
time, with a default partition and today's and the next 14 days' partitions (more are
made ahead, and expired days dropped, by ``app.db.partitions`` from ``gridpatrol
scheduler`` and ``gridpatrol db upgrade``); uploads waiting for their import job.

The plate is kept normalised in collation C: the b-tree ``(plate, passed_at)`` answers
whole plates, prefixes and a plate's trace over many days; the trigram GIN index answers
any other part (``*2345``, ``粤B*45``); the unique ``(checkpoint_id, passed_at, lane,
plate)`` answers "what passed checkpoint A between t1 and t2" and makes a repeated import
or feed batch write nothing. All three are partitioned indexes: every day gets its own.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

DAYS_AHEAD = 14


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("directions", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )
    op.create_index("idx_checkpoints_geom", "checkpoints", ["geom"], postgresql_using="gist")
    op.execute("CREATE SEQUENCE passages_id_seq")
    op.execute("""
CREATE TABLE passages (
    id bigint NOT NULL DEFAULT nextval('passages_id_seq'),
    passed_at timestamptz NOT NULL,
    checkpoint_id integer NOT NULL REFERENCES checkpoints (id) ON DELETE RESTRICT,
    plate varchar(12) COLLATE "C" NOT NULL,
    direction varchar(32),
    lane smallint,
    vehicle_type varchar(32),
    vehicle_colour varchar(16),
    plate_colour varchar(16),
    source varchar(16) NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT passages_pkey PRIMARY KEY (id, passed_at)
) PARTITION BY RANGE (passed_at)""")
    op.execute("ALTER SEQUENCE passages_id_seq OWNED BY passages.id")
    op.execute("CREATE UNIQUE INDEX uq_passages_read ON passages "
               "(checkpoint_id, passed_at, lane, plate) NULLS NOT DISTINCT")
    op.execute("CREATE INDEX ix_passages_plate_at ON passages (plate, passed_at)")
    op.execute("CREATE INDEX ix_passages_plate_trgm ON passages USING gin "
               "(plate gin_trgm_ops)")
    op.execute("CREATE TABLE passages_default PARTITION OF passages DEFAULT")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(DAYS_AHEAD + 1):
        start = today + timedelta(days=offset)
        end = start + timedelta(days=1)
        op.execute(f"CREATE TABLE passages_y{start:%Y}m{start:%m}d{start:%d} PARTITION OF "
                   f"passages FOR VALUES FROM ('{start.isoformat()}') "
                   f"TO ('{end.isoformat()}')")
    op.create_table(
        "passage_uploads",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )


def downgrade() -> None:
    op.drop_table("passage_uploads")
    op.execute("DROP TABLE passages")  # and every partition
    op.drop_table("checkpoints")
