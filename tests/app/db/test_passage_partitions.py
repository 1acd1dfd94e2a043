"""The passages partitioned by day: maintenance makes days ahead, files late passages from
the default partition into their day, and keeps the retention by dropping whole days (also
from the scheduler, as the schema owner); a search within a day reads only that day."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import partitions
from app.db.partitions import PASSAGES, maintain_history, period_of, periods_expired
from app.passages.repository import find_passages
from tests.conftest import DatabaseInfo, make_app, rolled_back_connection

NOW = datetime.now(UTC)


def test_days_are_utc_days_named_by_date() -> None:
    day = period_of(PASSAGES, datetime.fromisoformat("2027-01-01T07:00:00+08:00"))
    assert (day.start, day.end, day.name) == (
        datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC),
        "passages_y2026m12d31")
    assert partitions.is_history_partition("passages_y2026m12d31")
    assert partitions.is_history_partition("passages_default")
    assert not partitions.is_history_partition("passages_y2026m12")
    days = [period_of(PASSAGES, datetime(2026, 3, d, tzinfo=UTC)) for d in (1, 2, 3)]
    cutoff = datetime(2026, 3, 3, 6, tzinfo=UTC)
    assert [d.name for d in periods_expired(days, cutoff)] == [
        "passages_y2026m03d01", "passages_y2026m03d02"]  # the 3rd straddles it: kept


@pytest.fixture
def owner(database: DatabaseInfo) -> Iterator[sa.Connection]:
    with rolled_back_connection(database.owner_url) as conn:
        yield conn


def checkpoint(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text(
        "INSERT INTO checkpoints (code, name, geom) VALUES (:c, 'test', "
        "ST_SetSRID(ST_MakePoint(114.06, 22.54), 4326)) RETURNING id"),
        {"c": f"T{secrets.token_hex(3)}"}).scalar_one())


def passages(conn: sa.Connection, site: int, times: list[datetime]) -> None:
    for i, at in enumerate(times):
        conn.execute(sa.text(
            "INSERT INTO passages (checkpoint_id, passed_at, plate, source) "
            "VALUES (:s, :at, :p, 'import')"), {"s": site, "at": at, "p": f"粤B{i:05d}"})


def where_rows_are(conn: sa.Connection) -> dict[datetime, str]:
    return {r[0]: r[1] for r in conn.execute(sa.text(
        "SELECT passed_at, tableoid::regclass::text FROM passages"))}


def names(conn: sa.Connection) -> set[str]:
    existing, default = partitions.existing_partitions(conn, PASSAGES)
    return {p.name for p in existing} | {default}


def test_retention_drops_whole_days_and_late_passages_are_filed(owner: sa.Connection) -> None:
    site = checkpoint(owner)
    late, expired = NOW - timedelta(days=20), NOW - timedelta(days=400)
    passages(owner, site, [late, expired, NOW])
    assert where_rows_are(owner)[late] == "passages_default"  # no day made for it yet

    run = maintain_history(owner, PASSAGES, now=NOW, retention_days=180)
    assert run.ran and run.created == [period_of(PASSAGES, late).name]
    assert (run.moved_from_default, run.deleted_from_default) == (1, 1)
    assert where_rows_are(owner) == {late: period_of(PASSAGES, late).name,
                                     NOW: period_of(PASSAGES, NOW).name}
    ahead = {period_of(PASSAGES, NOW + timedelta(days=d)).name for d in range(15)}
    assert ahead <= names(owner)
    assert run.describe().startswith("passage partitions: 1 created")

    # 30 days on with a 7-day retention: every day older than a week goes by DROP, the
    # passages with them; a DELETE never runs on a day's partition
    later = NOW + timedelta(days=30)
    before = names(owner)
    dropped = maintain_history(owner, PASSAGES, now=later, retention_days=7)
    cutoff = later - timedelta(days=7)
    expected = {n for n in before - {"passages_default"}
                if datetime.strptime(n[-11:], "y%Ym%md%d").replace(tzinfo=UTC)
                + timedelta(days=1) <= cutoff}
    assert set(dropped.dropped) == expected
    assert {period_of(PASSAGES, late).name, period_of(PASSAGES, NOW).name} <= expected
    assert where_rows_are(owner) == {}
    kept, _ = partitions.existing_partitions(owner, PASSAGES)
    assert kept and all(day.end > cutoff for day in kept)
    assert {period_of(PASSAGES, later + timedelta(days=d)).name for d in range(15)} <= {
        day.name for day in kept}
    assert "dropped" in dropped.describe() and "more" in dropped.describe()  # shortened


def test_the_scheduler_keeps_the_passage_retention_as_the_owner(
        database: DatabaseInfo) -> None:
    from app.cli.scheduler import maintain_passage_history

    app = make_app(database, MIGRATION_DATABASE_URL=database.owner_url,
                   PASSAGE_RETENTION_DAYS=30)
    run = maintain_passage_history(app, NOW + timedelta(days=3))
    assert run.ran and run.history is PASSAGES
    assert period_of(PASSAGES, NOW + timedelta(days=17)).name in run.created


def test_a_search_within_a_day_reads_only_that_day(owner: sa.Connection) -> None:
    site = checkpoint(owner)
    days = [NOW - timedelta(days=d) for d in (3, 2, 1)]
    middle = days[1].replace(hour=12, minute=0, second=0, microsecond=0)
    passages(owner, site, [d.replace(hour=12) + timedelta(minutes=k) for d in days
                           for k in range(3)])
    maintain_history(owner, PASSAGES, now=NOW, retention_days=180)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM passages" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, parameters))

    sa.event.listen(owner, "before_cursor_execute", capture)
    try:
        with Session(bind=owner) as session:
            found = find_passages(session, plate="粤B%", exact=False,
                                  start=middle - timedelta(hours=1),
                                  end=middle + timedelta(hours=1), checkpoint_ids=None,
                                  limit=100)
    finally:
        sa.event.remove(owner, "before_cursor_execute", capture)
    assert len(found) == 3
    assert seen, "the search ran no query on passages"
    for statement, parameters in seen:
        plan = owner.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                     parameters).scalar_one()
        scanned = {r for r in _relations(plan if isinstance(plan, list) else json.loads(plan))
                   if r.startswith("passages")}
        assert scanned == {period_of(PASSAGES, middle).name}, scanned


def _relations(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "Relation Name" in node:
            yield node["Relation Name"]
        for value in node.values():
            yield from _relations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _relations(item)
