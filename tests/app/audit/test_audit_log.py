"""The audit log is append-only: PostgreSQL refuses UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Accounts, DatabaseInfo, bearer


def _conninfo(url: str) -> str:
    return url.replace("+psycopg", "")


@pytest.fixture
def committed_entry(database: DatabaseInfo) -> int:
    with psycopg.connect(_conninfo(database.app_url)) as conn:
        entry_id = conn.execute(
            "INSERT INTO audit_log (actor, action, reason) VALUES ('tester', 'test.append', "
            "'checking append-only') RETURNING id").fetchone()[0]
    return int(entry_id)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET reason = 'rewritten' WHERE id = %s",
    "DELETE FROM audit_log WHERE id = %s",
])
def test_app_role_cannot_rewrite_or_delete_audit_rows(database: DatabaseInfo,
                                                      committed_entry: int,
                                                      statement: str) -> None:
    with psycopg.connect(_conninfo(database.app_url)) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement, (committed_entry,))
        conn.rollback()
        reason = conn.execute("SELECT reason FROM audit_log WHERE id = %s",
                              (committed_entry,)).fetchone()[0]
    assert reason == "checking append-only"


def test_app_role_cannot_truncate(database: DatabaseInfo, committed_entry: int) -> None:
    with (psycopg.connect(_conninfo(database.app_url)) as conn,
          pytest.raises(psycopg.errors.InsufficientPrivilege)):
        conn.execute("TRUNCATE audit_log")


def test_even_the_owner_cannot_update(database: DatabaseInfo, committed_entry: int) -> None:
    with (psycopg.connect(_conninfo(database.owner_url)) as conn,
          pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only")):
        conn.execute("UPDATE audit_log SET reason = 'x' WHERE id = %s", (committed_entry,))


def test_state_change_and_audit_row_commit_together(app: Flask, client: FlaskClient,
                                                    accounts: Accounts,
                                                    connection: sa.Connection) -> None:
    admin = accounts.create("admin")
    response = client.post("/api/v1/users", headers={**bearer(admin),
                                                     "X-Audit-Reason": "new analyst joined",
                                                     "X-Request-ID": "req-audit-0001"},
                           json={"username": "new.analyst", "password": "long enough pw",
                                 "role": "analyst"})
    assert response.status_code == 201
    row = connection.execute(sa.text(
        "SELECT actor, action, object_id, reason, request_id, client_addr FROM audit_log "
        "WHERE action = 'user.create' AND object_id = 'new.analyst'")).one()
    assert tuple(row) == (admin["username"], "user.create", "new.analyst",
                          "new analyst joined", "req-audit-0001", "127.0.0.1")


def test_a_rejected_change_writes_nothing(client: FlaskClient, accounts: Accounts,
                                          connection: sa.Connection) -> None:
    admin = accounts.create("admin")
    before = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    response = client.post("/api/v1/users", headers=bearer(admin),
                           json={"username": admin["username"], "password": "long enough pw",
                                 "role": "viewer"})
    assert response.status_code == 409
    assert response.json["field"] == "username"
    after = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    assert after == before


def test_admins_filter_the_audit_log(client: FlaskClient, accounts: Accounts) -> None:
    admin = accounts.create("admin")
    client.patch(f"/api/v1/users/{admin['username']}", headers=bearer(admin),
                 json={"locale": "zh_CN", "reason": "prefers Chinese"})
    answer = client.get("/api/v1/audit?action=user.&object_id=" + admin["username"],
                        headers=bearer(admin)).json
    actions = [e["action"] for e in answer["entries"]]
    assert actions[:2] == ["user.update", "user.create"]
    assert answer["entries"][0]["details"] == {"locale": [None, "zh_CN"]}
    assert answer["entries"][0]["reason"] == "prefers Chinese"
    page = client.get(f"/admin/audit?object_id={admin['username']}", headers=bearer(admin))
    assert page.status_code == 200 and b"user.update" in page.data


def test_audit_filters_are_validated(client: FlaskClient, accounts: Accounts) -> None:
    admin = accounts.create("admin")
    response = client.get("/api/v1/audit?since=yesterday", headers=bearer(admin))
    assert response.status_code == 422
    assert response.json["field"] == "since"
