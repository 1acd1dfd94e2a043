"""Fixtures of the job tests: a committed scratch database (a worker in another thread or
process sees only committed rows), the app on it, users, and a real worker."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import db
from app.auth import users
from app.jobs.worker import Worker
from tests.app.jobs.support import register_test_kind
from tests.conftest import DatabaseInfo, make_app, scratch_database


@pytest.fixture(scope="module")
def jobs_database() -> Iterator[DatabaseInfo]:
    with scratch_database("jobs") as info:
        yield info


@pytest.fixture(scope="module")
def jobs_app(jobs_database: DatabaseInfo) -> Iterator[Flask]:
    register_test_kind()
    app = make_app(jobs_database)
    yield app
    pooled = app.extensions["gridpatrol_db"].get("engine")
    if pooled is not None:
        pooled.dispose()


@pytest.fixture(scope="module")
def engine(jobs_database: DatabaseInfo) -> Iterator[sa.Engine]:
    engine = db.make_engine(jobs_database.app_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


class People:
    """Users committed to the scratch database, each with a bearer header."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def make(self, role: str) -> dict[str, Any]:
        with self.app.app_context():
            session = db.get_session()
            name = f"{role}-{secrets.token_hex(3)}"
            user = users.create_user(session, name, "correct horse battery", role)
            token = users.issue_token(session, user, label="test")
            session.commit()
            return {"id": user.id, "username": name,
                    "headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture(scope="module")
def people(jobs_app: Flask) -> People:
    return People(jobs_app)


@pytest.fixture
def worker(jobs_app: Flask) -> Iterator[Worker]:
    """A real worker loop in a thread of this process (stopped after the test)."""
    running = Worker(jobs_app, concurrency=2, poll_s=0.2, sweep_every_s=1.0, grace_s=5.0)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield running
    running.stop()
    thread.join(30)
    assert not thread.is_alive(), "the worker did not stop"
