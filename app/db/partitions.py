"""Range partitions of the time-ordered histories, so that expiring old rows is a DROP.

Two histories are partitioned by time (:class:`History`):

* the position history, ``unit_positions`` by the fix time ``at``, one partition per UTC
  calendar **month** (``unit_positions_y2026m12`` holds [2026-12-01, 2027-01-01) UTC),
  kept ``GRIDPATROL_POSITION_RETENTION_DAYS``;
* the checkpoint passages, ``passages`` by ``passed_at``, one partition per UTC **day**
  (``passages_y2026m12d01``), kept ``GRIDPATROL_PASSAGE_RETENTION_DAYS``: a plate search
  within a day reads one or two small partitions, and the retention is kept to the day.

Each has a default partition (``unit_positions_default``, ``passages_default``) that takes
rows of a period without a partition (a receiver clock years off, a replay of old logs, an
import of last year's export), so no row is ever refused for its time. Maintenance —
:func:`maintain_history`, run as the schema owner by ``gridpatrol scheduler`` and
``gridpatrol db upgrade`` —

* creates the partitions of this period and the next ones (``ahead``), and of any period
  within the retention that has rows in the default partition (posted or imported late),
  moving those rows out of the default partition into their period;
* drops every partition wholly older than the retention and deletes rows older than it
  from the default partition.

Dropping a period is a catalogue change, not a DELETE of millions of rows (no bloat, no
vacuum). It needs a moment's exclusive lock on the table: a run waits at most
:data:`LOCK_TIMEOUT` for it and otherwise gives up until the next run, so writers never
queue behind it. Runs are serialised per history by an advisory lock (any number of
schedulers).
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

LOCK_TIMEOUT = "5s"
LOCK_KEY = 0x67705F7061  # pg advisory lock: one position partition maintenance at a time
MONTHS_AHEAD = 2
DAYS_AHEAD = 14
_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class History:
    """A table partitioned by range of a time column, one partition per ``period``."""

    table: str
    column: str
    period: str  # "month" or "day"
    ahead: int
    lock_key: int
    rows: str  # what its rows are called in messages ("fixes", "passages")
    setting: str  # the retention's environment variable

    @property
    def label(self) -> str:
        return {"unit_positions": "position", "passages": "passage"}.get(
            self.table, self.table) + " partitions"

    def partition_name(self, start: datetime) -> str:
        suffix = f"y{start:%Y}m{start:%m}" + (f"d{start:%d}" if self.period == "day" else "")
        return f"{self.table}_{suffix}"


POSITIONS = History("unit_positions", "at", "month", MONTHS_AHEAD, LOCK_KEY, "fixes",
                    "GRIDPATROL_POSITION_RETENTION_DAYS")
PASSAGES = History("passages", "passed_at", "day", DAYS_AHEAD, LOCK_KEY + 1, "passages",
                   "GRIDPATROL_PASSAGE_RETENTION_DAYS")
HISTORIES = (POSITIONS, PASSAGES)
TABLE = POSITIONS.table
_PARTITION_NAME = re.compile(r"^(unit_positions_(y\d{4}m\d{2}|default)"
                             r"|passages_(y\d{4}m\d{2}d\d{2}|default))$")


def is_history_partition(table_name: str | None) -> bool:
    """Whether a table is one of the partitions made here."""
    return bool(table_name and _PARTITION_NAME.match(table_name))


def include_in_schema_comparison(obj: Any, name: str | None, kind: str, reflected: bool,
                                 compare_to: Any) -> bool:
    """Alembic's ``include_object``: PostGIS's rules, and the partitions (no model declares
    them) left out, so autogenerate never proposes dropping them."""
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    if is_history_partition(table):
        return False
    return bool(alembic_helpers.include_object(obj, name, kind, reflected, compare_to))


@dataclass(frozen=True, order=True)
class Partition:
    """One period of history: rows with ``start <= time < end`` (UTC)."""

    start: datetime
    end: datetime
    name: str


MonthPartition = Partition  # the name the position history's callers know


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
    history: History = POSITIONS

    def describe(self) -> str:
        label, rows = self.history.label, self.history.rows
        if not self.ran:
            return f"{label}: not maintained ({self.reason})"
        return (f"{label}: {len(self.created)} created "
                f"({', '.join(_shortened(self.created)) or '-'}), {len(self.dropped)} dropped "
                f"({', '.join(_shortened(self.dropped)) or '-'}); {self.moved_from_default} "
                f"{rows} moved out of the default partition, {self.deleted_from_default} "
                "expired there")


def _shortened(names: list[str], most: int = 6) -> list[str]:
    """Long lists of daily partitions shown by their ends."""
    if len(names) <= most:
        return names
    return [*names[:2], f"… {len(names) - 4} more …", *names[-2:]]


# -- decisions --------------------------------------------------------------------------------

def period_of(history: History, moment: datetime) -> Partition:
    """The partition of ``history`` holding ``moment`` (an aware datetime)."""
    utc = moment.astimezone(UTC)
    if history.period == "day":
        start = datetime(utc.year, utc.month, utc.day, tzinfo=UTC)
        end = start + timedelta(days=1)
    else:
        start = datetime(utc.year, utc.month, 1, tzinfo=UTC)
        end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
    return Partition(start, end, history.partition_name(start))


def periods_wanted(history: History, now: datetime, *, ahead: int | None = None,
                   waiting: Sequence[datetime] = ()) -> list[Partition]:
    """This period and the next ``ahead``, and the periods of ``waiting`` rows (in the
    default partition) up to the last of those."""
    periods = [period_of(history, now)]
    for _ in range(history.ahead if ahead is None else ahead):
        periods.append(period_of(history, periods[-1].end))
    late = {period_of(history, at) for at in waiting if at < periods[-1].end}
    return sorted(late | set(periods))


def month_of(moment: datetime) -> Partition:
    """The month partition of the position history holding ``moment``."""
    return period_of(POSITIONS, moment)


def months_wanted(now: datetime, *, ahead: int = MONTHS_AHEAD,
                  waiting: Sequence[datetime] = ()) -> list[Partition]:
    """This month and the next ``ahead``, and the months of ``waiting`` fixes."""
    return periods_wanted(POSITIONS, now, ahead=ahead, waiting=waiting)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Rows before this instant are past the retention."""
    return now - timedelta(days=retention_days)


def periods_expired(existing: list[Partition], cutoff: datetime) -> list[Partition]:
    """Partitions whose every row is older than ``cutoff`` (one straddling it stays)."""
    return [p for p in existing if p.end <= cutoff]


months_expired = periods_expired


# -- acting -----------------------------------------------------------------------------------

def is_partitioned(conn: Connection, history: History = POSITIONS) -> bool:
    return conn.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table "
        "WHERE partrelid = to_regclass(:t))"), {"t": history.table}).scalar_one() is True


def existing_partitions(conn: Connection, history: History = POSITIONS
                        ) -> tuple[list[Partition], str | None]:
    """The range partitions (by start) and the default partition's name, if any. Bounds are
    read as the server prints them, so the session's time zone must be UTC."""
    rows = conn.execute(sa.text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)"),
        {"t": history.table}).all()
    periods, default = [], None
    for name, bound in rows:
        found = _BOUNDS.search(bound)
        if bound == "DEFAULT":
            default = name
        elif found:
            periods.append(Partition(datetime.fromisoformat(found.group(1)),
                                     datetime.fromisoformat(found.group(2)), name))
    return sorted(periods), default


def maintain_position_partitions(conn: Connection, *, now: datetime, retention_days: int,
                                 ahead: int = MONTHS_AHEAD) -> PartitionRun:
    """:func:`maintain_history` of the position history."""
    return maintain_history(conn, POSITIONS, now=now, retention_days=retention_days,
                            ahead=ahead)


def maintain_history(conn: Connection, history: History, *, now: datetime,
                     retention_days: int, ahead: int | None = None) -> PartitionRun:
    """Create the periods ahead and drop the expired ones, inside the caller's transaction
    (under a savepoint: a run that gives up changes nothing). The caller commits."""
    table = history.table
    if not is_partitioned(conn, history):
        return PartitionRun(ran=False, reason=f"{table} is not partitioned", history=history)
    savepoint = conn.begin_nested()
    try:
        run = _maintain(conn, history, now=now, retention_days=retention_days,
                        ahead=history.ahead if ahead is None else ahead)
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        state = getattr(exc.orig, "sqlstate", None)
        if state == "55P03":  # lock_not_available
            logger.warning("%s: %s busy for %s, trying again next run", history.label,
                           table, LOCK_TIMEOUT)
            return PartitionRun(ran=False, reason=f"{table} was busy for {LOCK_TIMEOUT}",
                                history=history)
        if state == "42501":  # insufficient_privilege
            logger.error("%s: this role may not create or drop tables; set "
                         "GRIDPATROL_MIGRATION_DATABASE_URL to the schema owner",
                         history.label)
            return PartitionRun(ran=False, reason="the role may not create or drop tables "
                                "(set GRIDPATROL_MIGRATION_DATABASE_URL to the owner)",
                                history=history)
        raise
    if not run.ran:
        savepoint.rollback()
        return run
    savepoint.commit()
    if run.created or run.dropped:
        logger.info("%s", run.describe())
    return run


def _maintain(conn: Connection, history: History, *, now: datetime, retention_days: int,
              ahead: int) -> PartitionRun:
    if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                        {"k": history.lock_key}).scalar_one():
        return PartitionRun(ran=False, reason="another maintenance run is under way",
                            history=history)
    conn.execute(sa.text("SELECT set_config('lock_timeout', :v, true), "
                         "set_config('TimeZone', 'UTC', true)"), {"v": LOCK_TIMEOUT})
    run = PartitionRun(history=history)
    existing, default = existing_partitions(conn, history)
    have = {p.start for p in existing}
    cutoff = retention_cutoff(now, retention_days)
    waiting = _periods_waiting(conn, history, default, cutoff) if default else []
    for period in periods_wanted(history, now, ahead=ahead, waiting=waiting):
        if period.start not in have and period.end > cutoff:
            run.moved_from_default += _create(conn, history, period, default)
            run.created.append(period.name)
    for period in periods_expired(existing, cutoff):
        conn.exec_driver_sql(_compose(sql.SQL("DROP TABLE {}").format(
            sql.Identifier(period.name)), conn))
        run.dropped.append(period.name)
    if default:
        run.deleted_from_default = conn.exec_driver_sql(_compose(sql.SQL(
            "DELETE FROM {} WHERE {} < {}").format(
                sql.Identifier(default), sql.Identifier(history.column),
                sql.Literal(cutoff)), conn)).rowcount
    return run


def _periods_waiting(conn: Connection, history: History, default: str,
                     cutoff: datetime) -> list[datetime]:
    """The first instant of each period with rows in the default partition (not expired)."""
    column = sql.Identifier(history.column)
    rows = conn.exec_driver_sql(_compose(sql.SQL(
        "SELECT DISTINCT date_trunc({}, {}) FROM {} WHERE {} >= {}").format(
            sql.Literal(history.period), column, sql.Identifier(default), column,
            sql.Literal(cutoff)), conn)).scalars()
    return list(rows)


def _create(conn: Connection, history: History, period: Partition,
            default: str | None) -> int:
    """Make ``period``'s partition; rows of that period waiting in the default partition
    move into it first. Attaching (not ``CREATE … PARTITION OF``) keeps the lock on the
    table weak: inserts go on meanwhile. Returns how many rows moved."""
    name, bounds = sql.Identifier(period.name), (sql.Literal(period.start),
                                                 sql.Literal(period.end))
    table, column = sql.Identifier(history.table), sql.Identifier(history.column)
    conn.exec_driver_sql(_compose(sql.SQL(
        "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
            name, table), conn))
    moved = 0
    if default:
        moved = conn.exec_driver_sql(_compose(sql.SQL(
            "WITH moved AS (DELETE FROM {} WHERE {} >= {} AND {} < {} RETURNING *) "
            "INSERT INTO {} SELECT * FROM moved").format(
                sql.Identifier(default), column, bounds[0], column, bounds[1], name),
            conn)).rowcount
    conn.exec_driver_sql(_compose(sql.SQL(
        "ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
            table, name, *bounds), conn))
    return moved


def _compose(statement: sql.Composed, conn: Connection) -> str:
    """DDL takes no bound parameters: render identifiers and literals on the driver side."""
    return statement.as_string(conn.connection.driver_connection)
