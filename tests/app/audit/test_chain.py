"""The audit log's hash chain: PostgreSQL chains every row in commit order, and
`gridpatrol audit verify` finds the first row an attacker with the owner's rights altered,
deleted or slipped in. Tampering commits for real, so each such test has a database of
its own."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from psycopg.types.json import Jsonb

from app import audit, db
from app.audit.chain import GENESIS
from app.db import get_session
from app.models import Unit
from tests.conftest import (
    Accounts,
    DatabaseInfo,
    bearer,
    copied_database,
    make_app,
    scratch_database,
)

ANCHOR = re.compile(r"anchor: (\d+:[0-9a-f]{64})")


def _plain(url: str) -> str:
    return url.replace("+psycopg", "")


@pytest.fixture(scope="module")
def chain_template() -> Iterator[DatabaseInfo]:
    with scratch_database("chaintpl") as info:
        yield info


@pytest.fixture
def chain_db(chain_template: DatabaseInfo) -> Iterator[DatabaseInfo]:
    with copied_database(chain_template, "chain") as info:
        yield info


def _insert(info: DatabaseInfo, count: int, *, action: str = "test.chain") -> list[int]:
    """``count`` audit rows as the app role, each committed on its own."""
    ids = []
    with psycopg.connect(_plain(info.app_url)) as conn:
        for n in range(count):
            row = conn.execute(
                "INSERT INTO audit_log (actor, action, object_id, reason, details) "
                "VALUES ('tester', %s, %s, %s, %s) RETURNING id",
                (action, str(n), f"reason {n} — 理由", Jsonb({"n": n, "nested": {"ok": True}}))
            ).fetchone()
            conn.commit()
            assert row is not None
            ids.append(int(row[0]))
    return ids


def _as_owner(info: DatabaseInfo, *statements: tuple[str, tuple[Any, ...]],
              disable: str = "audit_log_no_update_delete") -> None:
    """What an attacker holding the owner's password does: lift a trigger, change rows,
    put the trigger back, commit."""
    with psycopg.connect(_plain(info.owner_url)) as conn:
        conn.execute(f"ALTER TABLE audit_log DISABLE TRIGGER {disable}")
        for statement, params in statements:
            conn.execute(statement, params)
        conn.execute(f"ALTER TABLE audit_log ENABLE TRIGGER {disable}")


def _verify(info: DatabaseInfo, *args: str) -> Result:
    app = make_app(info)
    try:
        return app.test_cli_runner().invoke(args=["audit", "verify", *args])
    finally:
        db.engine(app).dispose()


def _assert_ok(result: Result, rows: int) -> str:
    assert result.exit_code == 0, result.output
    assert f"audit log OK: {rows:,} rows chained" in result.output
    match = ANCHOR.search(result.output)
    assert match, result.output
    return match.group(1)


def _assert_broken(result: Result, row_id: int, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"audit log BROKEN at row {row_id}:" in result.output
    for word in words:
        assert word in result.output


# -- a clean log -------------------------------------------------------------------------

def test_a_clean_log_verifies_and_every_hash_is_the_documented_one(
        app: Flask, client: Any, accounts: Accounts, connection: sa.Connection) -> None:
    admin = accounts.create("admin")
    assert client.post("/api/v1/users", headers=bearer(admin),
                       json={"username": "chain.user", "password": "long enough pw",
                             "role": "viewer"}).status_code == 201

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    count = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    anchor = _assert_ok(result, count)
    head = connection.execute(sa.text("SELECT last_id, last_hash FROM audit_chain_head")).one()
    assert anchor == f"{head[0]}:{bytes(head[1]).hex()}"
    # independently of the walk: sha256(previous hash || canonical JSON), in id order,
    # whatever the session's time zone
    connection.execute(sa.text("SET LOCAL TimeZone = 'Asia/Shanghai'"))
    rows = connection.execute(sa.text(
        "SELECT id, prev_hash, row_hash, audit_log_canonical(a) FROM audit_log a ORDER BY id"
    )).all()
    previous = GENESIS
    for row_id, prev_hash, row_hash, canonical in rows:
        assert bytes(prev_hash) == previous, row_id
        assert hashlib.sha256(previous + canonical.encode()).digest() == bytes(row_hash), row_id
        previous = bytes(row_hash)
    assert '"at": "' in rows[-1][3] and rows[-1][3].split('"at": "')[1][26] == "Z"


def test_the_app_role_cannot_move_the_chain_head(database: DatabaseInfo) -> None:
    with psycopg.connect(_plain(database.app_url)) as conn:
        for statement in ("UPDATE audit_chain_head SET last_id = 0",
                          "DELETE FROM audit_chain_head"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


# -- tampering -----------------------------------------------------------------------------

def test_a_row_altered_by_the_owner_is_named(chain_db: DatabaseInfo) -> None:
    ids = _insert(chain_db, 5)
    _as_owner(chain_db, ("UPDATE audit_log SET reason = 'nothing happened' WHERE id = %s",
                         (ids[2],)))
    _assert_broken(_verify(chain_db), ids[2], "altered", "(2 rows from the first checked")


def test_an_altered_and_rehashed_row_breaks_the_next_link(chain_db: DatabaseInfo) -> None:
    ids = _insert(chain_db, 5)
    _as_owner(chain_db,
              ("UPDATE audit_log SET actor = 'someone else' WHERE id = %s", (ids[2],)),
              ("UPDATE audit_log a SET row_hash = sha256(prev_hash || "
               "convert_to(audit_log_canonical(a), 'UTF8')) WHERE id = %s", (ids[2],)))
    _assert_broken(_verify(chain_db), ids[3], f"does not follow row {ids[2]}")


def test_a_deleted_row_in_the_middle_is_named(chain_db: DatabaseInfo) -> None:
    ids = _insert(chain_db, 5)
    _as_owner(chain_db, ("DELETE FROM audit_log WHERE id = %s", (ids[2],)))
    _assert_broken(_verify(chain_db), ids[3], f"does not follow row {ids[1]}",
                   "a row between them was deleted")


def test_deleting_the_newest_row_is_caught(chain_db: DatabaseInfo) -> None:
    ids = _insert(chain_db, 3)
    _as_owner(chain_db, ("DELETE FROM audit_log WHERE id = %s", (ids[-1],)))
    _assert_broken(_verify(chain_db), ids[-1], "the newest rows are missing",
                   f"the log ends at row {ids[-2]}")


def test_a_row_slipped_in_with_the_chain_trigger_off_is_caught(chain_db: DatabaseInfo) -> None:
    ids = _insert(chain_db, 3)
    forged = ids[-1] + 1
    _as_owner(chain_db, (
        "INSERT INTO audit_log (id, actor, action, prev_hash, row_hash) "
        "SELECT %s, 'ghost', 'test.forged', row_hash, row_hash FROM audit_log WHERE id = %s",
        (forged, ids[-1])), (
        "UPDATE audit_log a SET row_hash = sha256(prev_hash || "
        "convert_to(audit_log_canonical(a), 'UTF8')) WHERE id = %s", (forged,)),
        disable="USER")
    _assert_broken(_verify(chain_db), forged, "comes after the chain head")


def test_a_rewritten_chain_passes_alone_but_not_against_an_anchor(
        chain_db: DatabaseInfo) -> None:
    """What the chain does not prove: an owner can recompute every hash and the head. An
    anchor kept elsewhere catches it."""
    ids = _insert(chain_db, 4)
    anchor = _assert_ok(_verify(chain_db), 4)
    _as_owner(chain_db, ("UPDATE audit_log SET reason = 'rewritten' WHERE id = %s", (ids[1],)),
              ("""DO $$
                  DECLARE r audit_log; previous bytea := decode(repeat('00', 32), 'hex');
                  BEGIN
                      FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
                          UPDATE audit_log SET prev_hash = previous,
                              row_hash = sha256(previous || convert_to(
                                  audit_log_canonical(r), 'UTF8'))
                          WHERE id = r.id RETURNING row_hash INTO previous;
                      END LOOP;
                      UPDATE audit_chain_head SET last_hash = previous;
                  END $$""", ()))

    _assert_ok(_verify(chain_db), 4)
    _assert_broken(_verify(chain_db, "--from", anchor), ids[-1], "the anchor says",
                   "rewritten after the anchor")


def test_verify_from_an_anchor_checks_what_follows(chain_db: DatabaseInfo) -> None:
    _insert(chain_db, 2)
    anchor = _assert_ok(_verify(chain_db), 2)
    assert _assert_ok(_verify(chain_db, "--from", anchor), 0) == anchor
    later = _insert(chain_db, 3)
    result = _verify(chain_db, "--from", anchor)
    _assert_ok(result, 3)
    assert f"after row {anchor.split(':')[0]} (ids {later[0]}–{later[-1]})" in result.output
    bad = _verify(chain_db, "--from", "12:zz")
    assert bad.exit_code == 2 and "ID:HASH" in bad.output


# -- concurrency ---------------------------------------------------------------------------

def _wait_until_blocked(observer: psycopg.Connection, pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                               (pid,)).fetchone()
        if row is not None and row[0] == "Lock":
            return
        time.sleep(0.02)
    pytest.fail(f"backend {pid} never waited for the chain lock")


def test_a_second_writer_waits_and_chains_onto_the_first(chain_db: DatabaseInfo) -> None:
    url = _plain(chain_db.app_url)
    with (psycopg.connect(url) as first, psycopg.connect(url) as second,
          psycopg.connect(url, autocommit=True) as observer):
        first_id = first.execute("INSERT INTO audit_log (actor, action) "
                                 "VALUES ('first', 'test.race') RETURNING id").fetchone()[0]
        second_done: dict[str, Any] = {}

        def insert_second() -> None:
            second_done["id"] = second.execute(
                "INSERT INTO audit_log (actor, action) VALUES ('second', 'test.race') "
                "RETURNING id").fetchone()[0]
            second.commit()

        worker = threading.Thread(target=insert_second)
        worker.start()
        _wait_until_blocked(observer, second.info.backend_pid)
        first.commit()
        worker.join(30)
        assert not worker.is_alive()
        links = dict(observer.execute(
            "SELECT actor, prev_hash = lag(row_hash) OVER (ORDER BY id) FROM audit_log "
            "ORDER BY id").fetchall())
    assert second_done["id"] > first_id
    assert links == {"first": None, "second": True}
    _assert_ok(_verify(chain_db), 2)


def test_two_busy_writers_still_verify(chain_db: DatabaseInfo) -> None:
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with psycopg.connect(_plain(chain_db.app_url)) as conn:
                for n in range(40):  # 40 transactions of 2 rows each
                    for part in ("a", "b"):
                        conn.execute("INSERT INTO audit_log (actor, action, object_id) "
                                     "VALUES (%s, 'test.busy', %s)", (name, f"{n}{part}"))
                    conn.commit()
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(name,)) for name in ("one", "two")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    _assert_ok(_verify(chain_db), 160)


def test_a_repeatable_read_writer_fails_rather_than_fork_the_chain(
        chain_db: DatabaseInfo) -> None:
    url = _plain(chain_db.app_url)
    with psycopg.connect(url) as late, psycopg.connect(url, autocommit=True) as other:
        late.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        late.execute("SELECT count(*) FROM audit_log")  # its snapshot starts here
        other.execute("INSERT INTO audit_log (actor, action) VALUES ('other', 'test.rr')")
        with pytest.raises(psycopg.errors.SerializationFailure):
            late.execute("INSERT INTO audit_log (actor, action) VALUES ('late', 'test.rr')")
        late.rollback()
    _assert_ok(_verify(chain_db), 1)


# -- how the app writes its rows -----------------------------------------------------------

def test_audit_rows_are_inserted_last_in_their_transaction(
        app: Flask, connection: sa.Connection) -> None:
    """The chain lock is held to commit: taken last, it never waits for another lock
    (no deadlock with a writer holding a row this transaction still has to change)."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split(None, 3)[2] if statement.startswith("INSERT")
                          else statement.split(None, 1)[0])

    sa.event.listen(connection, "before_cursor_execute", seen)
    try:
        with app.app_context():
            session = get_session()
            audit.record(session, "test.order", object_type="unit", object_id="P-77")
            session.add(Unit(callsign="P-77", kind="foot"))
            session.commit()
    finally:
        sa.event.remove(connection, "before_cursor_execute", seen)
    writes = [s for s in statements if s in ("audit_log", "units", "UPDATE", "DELETE")]
    assert writes == ["units", "audit_log"]


def test_rows_written_together_get_the_ids_the_chain_gave_them(
        app: Flask, connection: sa.Connection) -> None:
    """Several audit rows in one flush: the ORM matches each object to its row although
    the trigger, not the column default, numbers them."""
    with app.app_context():
        session = get_session()
        entries = [audit.record(session, f"test.batch{n}", object_id=str(n)) for n in range(4)]
        session.commit()
    by_id = dict(connection.execute(sa.text(
        "SELECT id, action FROM audit_log WHERE action LIKE 'test.batch%'")).all())
    assert {e.id: e.action for e in entries} == by_id
    assert [e.id for e in entries] == sorted(by_id)


def test_a_rolled_back_change_leaves_no_audit_row(app: Flask,
                                                  connection: sa.Connection) -> None:
    with app.app_context():
        session = get_session()
        audit.record(session, "test.discarded")
        session.rollback()
        audit.record(session, "test.kept")
        session.commit()
    actions = connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE action LIKE 'test.%' ORDER BY id")).scalars().all()
    assert actions[-1:] == ["test.kept"] and "test.discarded" not in actions


# -- the migration -------------------------------------------------------------------------

def test_0008_back_fills_the_log_in_id_order_and_keeps_it_append_only() -> None:
    from alembic import command

    with scratch_database("backfill", revision="0007") as info:
        old = _insert(info, 4)
        with psycopg.connect(_plain(info.app_url)) as conn:
            conn.execute("INSERT INTO audit_log (actor, action, details) VALUES "
                         "('tester', 'test.nulls', '{}')")
        db.upgrade(info.owner_url, info.app_role)

        _assert_ok(_verify(info), 5)
        with psycopg.connect(_plain(info.owner_url)) as conn:
            first = conn.execute("SELECT id, row_hash FROM audit_log ORDER BY id").fetchall()
        new = _insert(info, 1)[0]
        assert new > first[-1][0] and first[0][0] == old[0]
        _assert_ok(_verify(info), 6)
        with (psycopg.connect(_plain(info.owner_url)) as conn,
              pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only")):
            conn.execute("UPDATE audit_log SET reason = 'x' WHERE id = %s", (old[0],))

        command.downgrade(db.alembic_config(info.owner_url), "0007")
        db.upgrade(info.owner_url, info.app_role)
        with psycopg.connect(_plain(info.owner_url)) as conn:
            again = conn.execute("SELECT id, row_hash FROM audit_log ORDER BY id").fetchall()
        assert again[:5] == first  # the same rows give the same chain
        _assert_ok(_verify(info), 6)
