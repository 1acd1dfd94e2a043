"""The position history partitioned by month: the migration moves existing fixes into
their months, maintenance makes months ahead and drops expired ones (also from `gridpatrol
db upgrade` and the scheduler), and every query on the history prunes by time."""

from __future__ import annotations

import ast
import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from app import create_app, db
from app.db import partitions
from app.db.cluster import ADMIN_ROLE, APP_ROLE, OWNER_ROLE, Cluster
from app.db.partitions import (
    maintain_position_partitions,
    month_of,
    months_expired,
    months_wanted,
)
from app.dispatch.repository import add_positions
from app.planning.repository import unit_track
from tests.conftest import ROOT, TEST_SECRET, DatabaseInfo, rolled_back_connection

NOW = datetime.now(UTC)


# -- decisions, no database -------------------------------------------------------------------

def test_months_are_utc_calendar_months_across_the_year_end() -> None:
    november = month_of(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert (november.start, november.end, november.name) == (
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC),
        "unit_positions_y2026m11")
    shanghai_new_year = datetime.fromisoformat("2027-01-01T07:00:00+08:00")  # 2026-12-31 UTC
    assert month_of(shanghai_new_year).name == "unit_positions_y2026m12"
    wanted = months_wanted(datetime(2026, 11, 15, tzinfo=UTC), ahead=2)
    assert [m.name for m in wanted] == ["unit_positions_y2026m11", "unit_positions_y2026m12",
                                        "unit_positions_y2027m01"]
    late = months_wanted(datetime(2026, 11, 15, tzinfo=UTC), ahead=2, waiting=[
        datetime(2026, 8, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)])
    assert [m.name for m in late][0] == "unit_positions_y2026m08"  # a late fix's month
    assert "unit_positions_y2031m01" not in {m.name for m in late}  # a clock years ahead


def test_a_month_straddling_the_cutoff_is_kept() -> None:
    months = [month_of(datetime(2025, m, 1, tzinfo=UTC)) for m in (9, 10, 11)]
    cutoff = datetime(2025, 11, 1, tzinfo=UTC) + timedelta(hours=1)
    assert [m.name for m in months_expired(months, cutoff)] == [
        "unit_positions_y2025m09", "unit_positions_y2025m10"]


# -- maintenance inside a rolled-back transaction as the schema owner ------------------------

@pytest.fixture
def owner(database: DatabaseInfo) -> Iterator[sa.Connection]:
    with rolled_back_connection(database.owner_url) as conn:
        yield conn


def new_unit(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text(
        "INSERT INTO units (callsign, kind) VALUES (:c, 'car') RETURNING id"),
        {"c": f"T-{secrets.token_hex(3)}"}).scalar_one())


def fixes(conn: sa.Connection, unit_id: int, times: list[datetime]) -> None:
    with Session(bind=conn) as session:
        add_positions(session, unit_id, [SimpleNamespace(
            lon=24.94 + i * 1e-4, lat=60.17, at=at, speed_mps=None, course_deg=None)
            for i, at in enumerate(times)], source="test")
        session.flush()


def where_rows_are(conn: sa.Connection) -> dict[datetime, str]:
    return {r[0]: r[1] for r in conn.execute(sa.text(
        "SELECT at, tableoid::regclass::text FROM unit_positions"))}


def partition_names(conn: sa.Connection) -> set[str]:
    existing, default = partitions.existing_partitions(conn)
    return {p.name for p in existing} | {default}


def test_maintenance_makes_months_ahead_files_late_fixes_and_drops_expired_months(
        owner: sa.Connection) -> None:
    unit = new_unit(owner)
    late, ancient = NOW - timedelta(days=70), NOW - timedelta(days=800)
    fixes(owner, unit, [late, ancient, NOW])
    assert where_rows_are(owner)[late] == "unit_positions_default"  # no month for it yet

    today = maintain_position_partitions(owner, now=NOW, retention_days=400)
    assert today.ran and today.created == [month_of(late).name]
    assert today.moved_from_default == 1 and today.deleted_from_default == 1  # the ancient one
    rows = where_rows_are(owner)
    assert rows == {late: month_of(late).name, NOW: month_of(NOW).name}
    assert {m.name for m in months_wanted(NOW)} <= partition_names(owner)
    again = maintain_position_partitions(owner, now=NOW, retention_days=400)
    assert again.ran and again.created == again.dropped == []  # nothing left to do

    # four months on, with a 60-day retention: three new months, the old ones dropped
    later = NOW + timedelta(days=120)
    cutoff = later - timedelta(days=60)
    before = partition_names(owner)
    run = maintain_position_partitions(owner, now=later, retention_days=60)
    assert set(run.created) == {m.name for m in months_wanted(later)} - before
    assert set(run.dropped) == {n for n in before if n != "unit_positions_default"
                                and month_of(datetime.strptime(n[-7:], "%Ym%m").replace(
                                    tzinfo=UTC)).end <= cutoff}
    assert month_of(late).name in run.dropped and month_of(NOW).name in run.dropped
    assert where_rows_are(owner) == {}  # the fixes went with their months
    assert month_of(cutoff).name in partition_names(owner)  # straddles the cutoff: kept


def test_maintenance_gives_up_rather_than_blocking_position_posts(
        owner: sa.Connection, database: DatabaseInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
    unit = new_unit(owner)
    fixes(owner, unit, [NOW - timedelta(days=40)])
    with psycopg.connect(database.owner_url.replace("+psycopg", "")) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (partitions.LOCK_KEY,))
        busy = maintain_position_partitions(owner, now=NOW, retention_days=400)
        assert not busy.ran and "another maintenance run" in (busy.reason or "")
        other.rollback()
        other.execute("LOCK TABLE unit_positions IN ACCESS SHARE MODE")  # a long analysis
        blocked = maintain_position_partitions(owner, now=NOW + timedelta(days=800),
                                               retention_days=30)
        assert not blocked.ran and "busy" in (blocked.reason or "")
        other.rollback()
    assert where_rows_are(owner)  # nothing changed: the fix is still there
    done = maintain_position_partitions(owner, now=NOW, retention_days=400)
    assert done.ran and done.moved_from_default == 1


def test_the_app_role_may_not_maintain_and_is_told_why(connection: sa.Connection) -> None:
    run = maintain_position_partitions(connection, now=NOW + timedelta(days=400),
                                       retention_days=30)
    assert not run.ran and "GRIDPATROL_MIGRATION_DATABASE_URL" in (run.reason or "")
    assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1  # still usable


def test_every_query_on_the_position_history_prunes_by_time(owner: sa.Connection) -> None:
    unit = new_unit(owner)
    months = [month_of(NOW - timedelta(days=d)).start + timedelta(days=14, hours=12)
              for d in (75, 45, 15)]  # mid-month: the windows below stay inside one
    times = [m + timedelta(minutes=k) for m in months for k in range(5)]
    fixes(owner, unit, times)
    maintain_position_partitions(owner, now=NOW, retention_days=400)
    middle = months[1]
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "unit_positions" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, parameters))

    sa.event.listen(owner, "before_cursor_execute", capture)
    try:
        with Session(bind=owner) as session:
            track = unit_track(session, unit, middle - timedelta(minutes=1),
                               middle + timedelta(minutes=10))
    finally:
        sa.event.remove(owner, "before_cursor_execute", capture)
    assert len(track) == 5
    assert seen, "unit_track ran no query on unit_positions"
    for statement, parameters in seen:
        plan = owner.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                     parameters).scalar_one()
        scanned = set(_relations(plan if isinstance(plan, list) else json.loads(plan)))
        assert scanned == {month_of(middle).name}, (statement, scanned)


def _relations(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "Relation Name" in node:
            yield node["Relation Name"]
        for value in node.values():
            yield from _relations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _relations(item)


def test_the_queries_on_the_position_history_are_the_ones_checked_here() -> None:
    """A new query on unit_positions must be added to the pruning test above."""
    found = set()
    for path in (ROOT / "app").rglob("*.py"):
        if "migrations" in path.parts or path.parent.name in {"db", "models"}:
            continue
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, ast.FunctionDef) and any(
                    (isinstance(node, ast.Constant) and isinstance(node.value, str)
                     and re.search(r"\bunit_positions\b", node.value))
                    or (isinstance(node, ast.Name) and node.id == "UnitPosition")
                    for node in ast.walk(function)):
                found.add(f"{path.relative_to(ROOT)}:{function.name}")
    assert found == {"app/planning/repository.py:unit_track",  # reads: pruning tested
                     "app/dispatch/repository.py:add_positions"}  # writes: routed by `at`


# -- the migration and `gridpatrol db upgrade` on a database of their own --------------------

@pytest.fixture
def at_0007() -> Iterator[tuple[Cluster, str]]:
    cluster = Cluster.for_instance(ROOT / "instance")
    started_here = not cluster.is_running()
    cluster.start()
    name = f"gridpatrol_test_partitions_{secrets.token_hex(3)}"
    cluster.ensure_database(name)
    try:
        db.upgrade(cluster.url(OWNER_ROLE, name), APP_ROLE, "0007")
        yield cluster, name
    finally:
        with psycopg.connect(cluster.conninfo(ADMIN_ROLE, "postgres"), autocommit=True) as c:
            c.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                psycopg.sql.Identifier(name)))
        if started_here:
            cluster.stop()


def test_the_migration_moves_every_fix_into_its_month_and_upgrade_applies_the_retention(
        at_0007: tuple[Cluster, str], tmp_path: Path) -> None:
    cluster, name = at_0007
    app_engine = db.make_engine(cluster.url(APP_ROLE, name), poolclass=sa.pool.NullPool)
    owner_url = cluster.url(OWNER_ROLE, name)
    times = [NOW - timedelta(days=500), NOW - timedelta(days=40), NOW]
    with app_engine.begin() as conn:
        unit = new_unit(conn)
        fixes(conn, unit, times)
        before = conn.execute(sa.text("SELECT id, at, ST_AsText(geom) FROM unit_positions "
                                      "ORDER BY id")).all()
    db.upgrade(owner_url, APP_ROLE)  # to 0009, no retention yet
    with app_engine.begin() as conn:
        after = conn.execute(sa.text("SELECT id, at, ST_AsText(geom) FROM unit_positions "
                                     "ORDER BY id")).all()
        assert after == before  # same ids, times and places
        assert where_rows_are(conn) == {at: month_of(at).name for at in times}
        assert {m.name for m in months_wanted(NOW)} <= partition_names(conn)
        key = conn.execute(sa.text(
            "SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = 'unit_positions'::regclass AND i.indisprimary")).scalar_one()
        assert key == ["at", "id"]
        fixes(conn, unit, [NOW + timedelta(seconds=1)])  # the app role still writes
        newest = conn.execute(sa.text("SELECT max(id) FROM unit_positions")).scalar_one()
        assert newest > before[-1][0]  # the same sequence goes on

    # `gridpatrol db upgrade` applies the retention: the 500-day-old month goes
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET,
                      "DATABASE_URL": cluster.url(APP_ROLE, name),
                      "MIGRATION_DATABASE_URL": owner_url, "POSITION_RETENTION_DAYS": 400})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"1 dropped ({month_of(times[0]).name})" in result.output
    with app_engine.begin() as conn:
        assert sorted(where_rows_are(conn)) == [*times[1:], NOW + timedelta(seconds=1)]

    # the scheduler's job does the same, as the owner: with a day's retention, last month
    # goes (its every fix is older than a day); this month straddles the cutoff and stays
    app.config["POSITION_RETENTION_DAYS"] = 1
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert f"1 dropped ({month_of(times[1]).name})" in result.output
    with app_engine.begin() as conn:
        assert sorted(where_rows_are(conn)) == [NOW, NOW + timedelta(seconds=1)]

    # and back down: one plain table again, with the rows and the app role's rights
    command.downgrade(db.alembic_config(owner_url), "0007")
    with app_engine.begin() as conn:
        assert not partitions.is_partitioned(conn)
        assert len(where_rows_are(conn)) == 2
        fixes(conn, unit, [NOW + timedelta(seconds=2)])
    db.upgrade(owner_url, APP_ROLE)
    with app_engine.begin() as conn:
        assert partitions.is_partitioned(conn) and len(where_rows_are(conn)) == 3
    app_engine.dispose()
    db.engine(app).dispose()
