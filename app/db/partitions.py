"""Monthly partitions of the position history (``unit_positions``, by the fix time ``at``).

Each UTC calendar month is one partition: ``unit_positions_y2026m12`` holds
[2026-12-01, 2027-01-01) UTC. ``unit_positions_default`` takes fixes of a month without a
partition (a receiver clock years off, a replay of old logs), so no position is ever
refused for its time. Maintenance — :func:`maintain_position_partitions`, run as the schema
owner by ``gridpatrol scheduler`` (every 6 hours) and ``gridpatrol db upgrade`` —

* creates the partitions of this month and the next :data:`MONTHS_AHEAD`, and of any
  month within the retention that has fixes in the default partition (posted late), moving
  those fixes out of the default partition into their month;
* drops every partition wholly older than the retention (``GRIDPATROL_POSITION_RETENTION_DAYS``)
  and deletes fixes older than it from the default partition.

Dropping a month is a catalogue change, not a DELETE of millions of rows (no bloat, no
vacuum). It needs a moment's exclusive lock on ``unit_positions``: a run waits at most
:data:`LOCK_TIMEOUT` for it and otherwise gives up until the next run, so position posts
never queue behind it. Runs are serialised by an advisory lock (any number of schedulers).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import alembic_helpers
from psycopg import sql
from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

TABLE = "unit_positions"
MONTHS_AHEAD = 2
LOCK_TIMEOUT = "5s"
LOCK_KEY = 0x67705F7061  # pg advisory lock: one partition maintenance at a time
_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")
_PARTITION_NAME = re.compile(rf"^{TABLE}_(y\d{{4}}m\d{{2}}|default)$")


def is_history_partition(table_name: str | None) -> bool:
    """Whether a table is one of the partitions made here."""
    return bool(table_name and _PARTITION_NAME.match(table_name))


def include_in_schema_comparison(obj: Any, name: str | None, kind: str, reflected: bool,
                                 compare_to: Any) -> bool:
    """Alembic's ``include_object``: PostGIS's rules, and the monthly partitions (no model
    declares them) left out, so autogenerate never proposes dropping them."""
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    if is_history_partition(table):
        return False
    return bool(alembic_helpers.include_object(obj, name, kind, reflected, compare_to))


@dataclass(frozen=True, order=True)
class MonthPartition:
    """One month of history: fixes with ``start <= at < end`` (UTC)."""

    start: datetime
    end: datetime
    name: str


@dataclass
class PartitionRun:
    """What one maintenance run did (``ran`` is False when it could not: the table is not
    partitioned, another run holds the lock, or the table lock was not granted in time)."""

    ran: bool = True
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    moved_from_default: int = 0
    deleted_from_default: int = 0
    reason: str | None = None

    def describe(self) -> str:
        if not self.ran:
            return f"position partitions: not maintained ({self.reason})"
        return (f"position partitions: {len(self.created)} created "
                f"({', '.join(self.created) or '-'}), {len(self.dropped)} dropped "
                f"({', '.join(self.dropped) or '-'}); {self.moved_from_default} fixes moved "
                f"out of the default partition, {self.deleted_from_default} expired there")


# -- decisions --------------------------------------------------------------------------------

def month_of(moment: datetime) -> MonthPartition:
    """The month partition holding ``moment`` (an aware datetime)."""
    utc = moment.astimezone(UTC)
    start = datetime(utc.year, utc.month, 1, tzinfo=UTC)
    end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
    return MonthPartition(start, end, f"{TABLE}_y{start:%Y}m{start:%m}")


def months_wanted(now: datetime, *, ahead: int = MONTHS_AHEAD,
                  waiting: Sequence[datetime] = ()) -> list[MonthPartition]:
    """This month and the next ``ahead``, and the months of ``waiting`` fixes (in the
    default partition) from the retention's first month up to the last of those."""
    months = [month_of(now)]
    for _ in range(ahead):
        months.append(month_of(months[-1].end))
    late = {month_of(at) for at in waiting if at < months[-1].end}
    return sorted(late | set(months))


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Fixes before this instant are past the retention."""
    return now - timedelta(days=retention_days)


def months_expired(existing: list[MonthPartition], cutoff: datetime) -> list[MonthPartition]:
    """Partitions whose every fix is older than ``cutoff`` (a month straddling it stays)."""
    return [p for p in existing if p.end <= cutoff]


# -- acting -----------------------------------------------------------------------------------

def is_partitioned(conn: Connection) -> bool:
    return conn.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table "
        "WHERE partrelid = to_regclass(:t))"), {"t": TABLE}).scalar_one() is True


def existing_partitions(conn: Connection) -> tuple[list[MonthPartition], str | None]:
    """The range partitions (by start) and the default partition's name, if any. Bounds are
    read as the server prints them, so the session's time zone must be UTC."""
    rows = conn.execute(sa.text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)"),
        {"t": TABLE}).all()
    months, default = [], None
    for name, bound in rows:
        found = _BOUNDS.search(bound)
        if bound == "DEFAULT":
            default = name
        elif found:
            months.append(MonthPartition(datetime.fromisoformat(found.group(1)),
                                         datetime.fromisoformat(found.group(2)), name))
    return sorted(months), default


def maintain_position_partitions(conn: Connection, *, now: datetime, retention_days: int,
                                 ahead: int = MONTHS_AHEAD) -> PartitionRun:
    """Create the months ahead and drop the expired ones, inside the caller's transaction
    (under a savepoint: a run that gives up changes nothing). The caller commits."""
    if not is_partitioned(conn):
        return PartitionRun(ran=False, reason=f"{TABLE} is not partitioned (migration 0009)")
    savepoint = conn.begin_nested()
    try:
        run = _maintain(conn, now=now, retention_days=retention_days, ahead=ahead)
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        state = getattr(exc.orig, "sqlstate", None)
        if state == "55P03":  # lock_not_available
            logger.warning("position partitions: %s busy for %s, trying again next run",
                           TABLE, LOCK_TIMEOUT)
            return PartitionRun(ran=False, reason=f"{TABLE} was busy for {LOCK_TIMEOUT}")
        if state == "42501":  # insufficient_privilege
            logger.error("position partitions: this role may not create or drop tables; "
                         "set GRIDPATROL_MIGRATION_DATABASE_URL to the schema owner")
            return PartitionRun(ran=False, reason="the role may not create or drop tables "
                                "(set GRIDPATROL_MIGRATION_DATABASE_URL to the owner)")
        raise
    if not run.ran:
        savepoint.rollback()
        return run
    savepoint.commit()
    if run.created or run.dropped:
        logger.info("%s", run.describe())
    return run


def _maintain(conn: Connection, *, now: datetime, retention_days: int,
              ahead: int) -> PartitionRun:
    if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                        {"k": LOCK_KEY}).scalar_one():
        return PartitionRun(ran=False, reason="another maintenance run is under way")
    conn.execute(sa.text("SELECT set_config('lock_timeout', :v, true), "
                         "set_config('TimeZone', 'UTC', true)"), {"v": LOCK_TIMEOUT})
    run = PartitionRun()
    existing, default = existing_partitions(conn)
    have = {p.start for p in existing}
    cutoff = retention_cutoff(now, retention_days)
    waiting = _months_waiting(conn, default, cutoff) if default else []
    for month in months_wanted(now, ahead=ahead, waiting=waiting):
        if month.start not in have and month.end > cutoff:
            run.moved_from_default += _create(conn, month, default)
            run.created.append(month.name)
    for month in months_expired(existing, cutoff):
        conn.exec_driver_sql(_compose(sql.SQL("DROP TABLE {}").format(
            sql.Identifier(month.name)), conn))
        run.dropped.append(month.name)
    if default:
        run.deleted_from_default = conn.exec_driver_sql(_compose(sql.SQL(
            "DELETE FROM {} WHERE at < {}").format(sql.Identifier(default),
                                                   sql.Literal(cutoff)), conn)).rowcount
    return run


def _months_waiting(conn: Connection, default: str, cutoff: datetime) -> list[datetime]:
    """The first instant of each month with fixes in the default partition (not expired)."""
    rows = conn.exec_driver_sql(_compose(sql.SQL(
        "SELECT DISTINCT date_trunc('month', at) FROM {} WHERE at >= {}").format(
            sql.Identifier(default), sql.Literal(cutoff)), conn)).scalars()
    return list(rows)


def _create(conn: Connection, month: MonthPartition, default: str | None) -> int:
    """Make ``month``'s partition; fixes of that month waiting in the default partition move
    into it first. Attaching (not ``CREATE … PARTITION OF``) keeps the lock on
    ``unit_positions`` weak: inserts go on meanwhile. Returns how many fixes moved."""
    name, bounds = sql.Identifier(month.name), (sql.Literal(month.start),
                                                sql.Literal(month.end))
    conn.exec_driver_sql(_compose(sql.SQL(
        "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
            name, sql.Identifier(TABLE)), conn))
    moved = 0
    if default:
        moved = conn.exec_driver_sql(_compose(sql.SQL(
            "WITH moved AS (DELETE FROM {} WHERE at >= {} AND at < {} RETURNING *) "
            "INSERT INTO {} SELECT * FROM moved").format(
                sql.Identifier(default), *bounds, name), conn)).rowcount
    conn.exec_driver_sql(_compose(sql.SQL(
        "ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
            sql.Identifier(TABLE), name, *bounds), conn))
    return moved


def _compose(statement: sql.Composed, conn: Connection) -> str:
    """DDL takes no bound parameters: render identifiers and literals on the driver side."""
    return statement.as_string(conn.connection.driver_connection)
