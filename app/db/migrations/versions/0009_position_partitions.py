"""Position history partitioned by month: ``unit_positions`` becomes a table partitioned by
range of the fix time ``at``, one partition per UTC month plus a default one.

Existing rows move into the partitions: one per month that holds fixes, and this month and
the next two (more are made ahead, and old ones dropped, by ``app.db.partitions`` from
``gridpatrol scheduler`` and ``gridpatrol db upgrade``). The primary key becomes
``(id, at)`` (a unique constraint of a partitioned table must hold the partition key); ids
keep coming from the same sequence. The indexes — ``(unit_id, at)`` and GiST on ``geom`` —
are partitioned indexes, so every partition gets them.

The copy runs in the migration's transaction: on a large history, plan a maintenance window
(positions posted meanwhile wait for the lock).

Revision ID: 0009
Revises: 0007 (written beside 0008, the audit hash chain: re-point to "0008" when both are
merged; nothing here depends on it)
Create Date: 2026-12-04
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = "unit_positions_unpartitioned"
COLUMNS = "id, unit_id, at, received_at, source, speed_mps, course_deg, geom"


def _month_after(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _copy_grants(source: str, target: str) -> None:
    """Give every role the rights it had on ``source`` on ``target`` too (the app role's
    SELECT/INSERT/… survive the swap, whoever granted them)."""
    rows = op.get_bind().execute(sa.text(
        "SELECT grantee, string_agg(privilege_type, ', ') FROM "
        "information_schema.role_table_grants WHERE table_schema = 'public' AND "
        "table_name = :t AND grantee <> current_user GROUP BY grantee"), {"t": source}).all()
    for grantee, privileges in rows:
        op.execute(f'GRANT {privileges} ON {target} TO "{grantee}"')


def upgrade() -> None:
    op.execute(f"ALTER TABLE unit_positions RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT unit_positions_pkey TO {OLD}_pkey")
    op.execute(f"ALTER INDEX ix_unit_positions_unit_at RENAME TO ix_{OLD}_unit_at")
    op.execute(f"ALTER INDEX idx_unit_positions_geom RENAME TO idx_{OLD}_geom")
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY NONE")
    op.execute("""
CREATE TABLE unit_positions (
    id bigint NOT NULL DEFAULT nextval('unit_positions_id_seq'),
    unit_id integer NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    source varchar(16) NOT NULL,
    speed_mps double precision,
    course_deg double precision,
    geom geometry(POINT, 4326) NOT NULL,
    CONSTRAINT unit_positions_pkey PRIMARY KEY (id, at)
) PARTITION BY RANGE (at)""")
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY unit_positions.id")
    op.execute("CREATE INDEX ix_unit_positions_unit_at ON unit_positions (unit_id, at)")
    op.execute("CREATE INDEX idx_unit_positions_geom ON unit_positions USING gist (geom)")
    op.execute("CREATE TABLE unit_positions_default PARTITION OF unit_positions DEFAULT")
    bind = op.get_bind()
    months = set(bind.execute(sa.text(
        f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') FROM {OLD}")  # noqa: S608
    ).scalars())
    this_month = datetime.now(UTC).replace(tzinfo=None, day=1, hour=0, minute=0, second=0,
                                           microsecond=0)
    months |= {this_month, _month_after(this_month), _month_after(_month_after(this_month))}
    for month in sorted(months):
        start, end = month.replace(tzinfo=UTC), _month_after(month).replace(tzinfo=UTC)
        op.execute(f"CREATE TABLE unit_positions_y{month:%Y}m{month:%m} PARTITION OF "
                   f"unit_positions FOR VALUES FROM ('{start.isoformat()}') "
                   f"TO ('{end.isoformat()}')")
    op.execute(f"INSERT INTO unit_positions ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")  # noqa: S608
    _copy_grants(OLD, "unit_positions")
    op.execute(f"DROP TABLE {OLD}")


def downgrade() -> None:
    op.execute(f"""
CREATE TABLE {OLD} (
    id bigint NOT NULL DEFAULT nextval('unit_positions_id_seq') PRIMARY KEY,
    unit_id integer NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    source varchar(16) NOT NULL,
    speed_mps double precision,
    course_deg double precision,
    geom geometry(POINT, 4326) NOT NULL
)""")
    op.execute(f"INSERT INTO {OLD} ({COLUMNS}) SELECT {COLUMNS} FROM unit_positions")  # noqa: S608
    _copy_grants("unit_positions", OLD)
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY NONE")
    op.execute("DROP TABLE unit_positions")  # and every partition
    op.execute(f"ALTER TABLE {OLD} RENAME TO unit_positions")
    op.execute(f"ALTER TABLE unit_positions RENAME CONSTRAINT {OLD}_pkey TO unit_positions_pkey")
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY unit_positions.id")
    op.execute("CREATE INDEX ix_unit_positions_unit_at ON unit_positions (unit_id, at)")
    op.execute("CREATE INDEX idx_unit_positions_geom ON unit_positions USING gist (geom)")
