"""`gridpatrol db` and the app's database URL: the web process gets the app role's
password file only; secrets are never printed; rotation is audited."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app, db
from app.db.cluster import ADMIN_ROLE, APP_ROLE, OWNER_ROLE, ROLES, Cluster
from tests.conftest import ROOT, TEST_SECRET, DatabaseInfo

CLI = ("import sys; from app.cli import main; sys.argv[0] = 'gridpatrol'; main()")


@pytest.fixture
def embedded(database: DatabaseInfo) -> Iterator[Cluster]:
    """The checkout's embedded cluster, running (started here if the tests use another
    server, and then stopped again)."""
    cluster = Cluster.for_instance(ROOT / "instance")
    started_here = not cluster.is_running()
    cluster.start()
    try:
        yield cluster
    finally:
        if started_here:
            cluster.stop()


def _gridpatrol(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDPATROL_")}
    env["GRIDPATROL_SECRET_KEY"] = TEST_SECRET
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_web_app_is_given_the_app_password_file_only(embedded: Cluster) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET})
    url = make_url(db.app_database_url(app))
    assert (url.username, url.password) == (APP_ROLE, None)
    assert url.query["passfile"] == str(embedded.passfile(APP_ROLE))
    with db.engine(app).connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar_one() == APP_ROLE
    db.engine(app).dispose()
    config_text = repr(dict(app.config))
    for role in ROLES:
        assert embedded.credentials.secret(role) not in config_text
    for role in (OWNER_ROLE, ADMIN_ROLE):
        assert str(embedded.passfile(role)) not in config_text


def test_db_start_and_status_print_no_secret(embedded: Cluster) -> None:
    started = _gridpatrol("db", "start")
    status = _gridpatrol("db", "status")
    assert started.returncode == 0, started.stderr
    assert status.returncode == 0, status.stderr
    assert "running" in started.stdout and "embedded cluster: running" in status.stdout
    printed = started.stdout + started.stderr + status.stdout + status.stderr
    for role in ROLES:
        assert embedded.credentials.secret(role) not in printed


def test_rotate_passwords_is_audited_and_retires_the_old_one(
        embedded: Cluster, database: DatabaseInfo, connection: sa.Connection) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "DB_CONNECTION": connection})
    old = embedded.credentials.secret(APP_ROLE)

    result = app.test_cli_runner().invoke(
        args=["db", "rotate-passwords", "--role", "app", "--reason", "quarterly rotation"])

    assert result.exit_code == 0, result.output
    new = embedded.credentials.secret(APP_ROLE)
    assert new != old
    assert new not in result.output and str(embedded.passfile(APP_ROLE)) in result.output
    refused = (f"host={embedded.socket_dir} port={embedded.port} user={APP_ROLE} "
               f"dbname=postgres passfile=/nonexistent password={old}")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(refused).close()
    with psycopg.connect(embedded.conninfo(APP_ROLE, database.name)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (APP_ROLE,)
    row = connection.execute(sa.text(
        "SELECT actor, object_type, object_id, reason, details::text FROM audit_log "
        "WHERE action = 'db.rotate_password'")).one()
    assert row[0].startswith("cli:")
    assert tuple(row[1:4]) == ("db_role", APP_ROLE, "quarterly rotation")
    assert new not in repr(tuple(row)) and old not in repr(tuple(row))


def test_rotate_passwords_refuses_before_the_schema_exists(embedded: Cluster) -> None:
    """Nothing is rotated when the rotation could not be audited."""
    name = f"gridpatrol_test_unmigrated_{os.getpid()}"
    embedded.ensure_database(name)
    engine = db.make_engine(embedded.url(APP_ROLE, name), poolclass=sa.pool.NullPool)
    before = embedded.credentials.secret(OWNER_ROLE)
    try:
        with engine.connect() as conn:
            app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET,
                              "DB_CONNECTION": conn})
            result = app.test_cli_runner().invoke(
                args=["db", "rotate-passwords", "--role", "owner"])
    finally:
        engine.dispose()
        embedded.drop_database(name)
    assert result.exit_code != 0 and "gridpatrol db upgrade" in result.output
    assert embedded.credentials.secret(OWNER_ROLE) == before
