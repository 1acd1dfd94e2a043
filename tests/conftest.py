"""Fixtures: a real PostGIS test database per run, a rolled-back transaction per test.

With no GRIDPATROL_DATABASE_URL the embedded cluster under instance/ is used (started if
needed); either way the tests get their own database, created, migrated and dropped here,
so demo data is never touched. Nothing here skips: an unreachable database fails the run.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from psycopg import sql
from sqlalchemy.engine import make_url

from app import create_app, db
from app.auth import users
from app.db.cluster import ADMIN_ROLE, APP_ROLE, OWNER_ROLE, Cluster

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_SECRET = "test-secret-" + "x" * 40


@dataclass(frozen=True)
class DatabaseInfo:
    name: str
    app_url: str
    owner_url: str
    admin_conninfo: str
    app_role: str


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def scratch_database(purpose: str, revision: str = "head") -> Iterator[DatabaseInfo]:
    """Create, migrate (to ``revision``), yield and finally drop a database of its own."""
    name = f"gridpatrol_test_{purpose}_{os.getpid()}_{secrets.token_hex(3)}"
    external = os.environ.get("GRIDPATROL_DATABASE_URL")
    started_here = False
    if external:
        base = make_url(_plain(external).replace("postgresql://", "postgresql+psycopg://", 1))
        admin = base.render_as_string(hide_password=False).replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        test_url = base.set(database=name).render_as_string(hide_password=False)
        with psycopg.connect(test_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
        info = DatabaseInfo(name, test_url, test_url, admin, str(base.username))
    else:
        cluster = Cluster.for_instance(ROOT / "instance")
        started_here = not cluster.is_running()
        cluster.start()  # also moves a cluster made before passwords to them
        cluster.ensure_database(name)
        info = DatabaseInfo(name, cluster.url(APP_ROLE, name), cluster.url(OWNER_ROLE, name),
                            cluster.conninfo(ADMIN_ROLE, "postgres"), APP_ROLE)
    try:
        db.upgrade(info.owner_url, info.app_role if not external else None, revision)
        yield info
    finally:
        with psycopg.connect(info.admin_conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        if started_here:
            Cluster.for_instance(ROOT / "instance").stop()


@contextmanager
def copied_database(template: DatabaseInfo, purpose: str) -> Iterator[DatabaseInfo]:
    """A database of its own copied from the migrated ``template`` (``CREATE DATABASE …
    TEMPLATE``: much faster than migrating anew), dropped at the end. Nothing may be
    connected to the template meanwhile."""
    name = f"gridpatrol_test_{purpose}_{os.getpid()}_{secrets.token_hex(3)}"
    owner = make_url(template.owner_url).username

    def renamed(url: str) -> str:
        return make_url(url).set(database=name).render_as_string(hide_password=False)

    with psycopg.connect(template.admin_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(template.name), sql.Identifier(str(owner))))
    try:
        yield DatabaseInfo(name, renamed(template.app_url), renamed(template.owner_url),
                           template.admin_conninfo, template.app_role)
    finally:
        with psycopg.connect(template.admin_conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@pytest.fixture(autouse=True)
def _no_fork_in_the_test_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work that may run in a forked child (`runtime.forked`) runs in-process here, so a test
    takes the same path whatever threads earlier tests left behind; the forked path is
    tested in fresh interpreters (`run_fresh`)."""
    monkeypatch.setattr("runtime.forked.can_fork", lambda: False)


def run_fresh(code: str) -> str:
    """Run ``code`` (dedented) in a new interpreter from the checkout and return its
    stdout: one thread and no test fixtures, so `runtime.forked` may fork there."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def database() -> Iterator[DatabaseInfo]:
    with scratch_database("unit") as info:
        yield info


@contextmanager
def rolled_back_connection(url: str) -> Iterator[sa.Connection]:
    """A connection to ``url`` inside a transaction that is rolled back at the end."""
    engine = db.make_engine(url, poolclass=sa.pool.NullPool)
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()
        engine.dispose()


@pytest.fixture
def connection(database: DatabaseInfo) -> Iterator[sa.Connection]:
    """A connection as the app role inside a transaction rolled back after the test."""
    with rolled_back_connection(database.app_url) as conn:
        yield conn


# The test cameras (tests/streams.py) listen on 127.0.0.1, which the stream fence refuses
# unless a loopback network is listed; the fence's own tests set what they test.
TEST_CAMERA_NETWORKS = "127.0.0.1/32,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


def make_app(database: DatabaseInfo, **overrides: Any) -> Flask:
    config = {"TESTING": True, "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database.app_url,
              "CAMERA_NETWORKS": TEST_CAMERA_NETWORKS}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database: DatabaseInfo, connection: sa.Connection) -> Flask:
    return make_app(database, DB_CONNECTION=connection)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Accounts:
    """Creates users and tokens inside the test's transaction."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def create(self, role: str, *, username: str | None = None,
               password: str = "correct horse battery") -> dict[str, str]:
        from app.db import get_session

        username = username or f"{role}-{secrets.token_hex(3)}"
        with self.app.app_context():
            session = get_session()
            user = users.create_user(session, username, password, role)
            token = users.issue_token(session, user, label="test")
            session.commit()
        return {"username": username, "password": password, "token": token, "role": role}


@pytest.fixture
def accounts(app: Flask) -> Accounts:
    return Accounts(app)


def bearer(account: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['token']}"}


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, account: dict[str, str]) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"username": account["username"],
                                       "password": account["password"], "csrf_token": token})


# -- a skipped test in CI is a failure -------------------------------------------------

def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped:
        if reporter:
            reporter.write_line(f"{len(skipped)} test(s) skipped in CI: that is a failure",
                                red=True)
        session.exitstatus = 1
