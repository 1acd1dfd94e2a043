"""The read session without a (working) replica: heavy reads fall back to the primary and
say so; light requests carry no read header. The real replica: test_read_replica.py."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import db
from app.db.replica import LAG_HEADER, SOURCE_HEADER
from tests.conftest import Accounts, DatabaseInfo, bearer, make_app

HEAVY = ("/api/v1/hotspots", "/api/v1/near-repeat", "/api/v1/incident-times",
         "/api/v1/incidents/summary")


def test_without_a_replica_heavy_reads_use_the_primary_session(
        app: Flask, client: FlaskClient, accounts: Accounts) -> None:
    analyst = bearer(accounts.create("analyst"))
    for path in HEAVY:
        response = client.get(path, headers=analyst)
        assert response.status_code in (200, 422), (path, response.json)
        assert response.headers[SOURCE_HEADER] == "primary", path
        assert LAG_HEADER not in response.headers
    assert SOURCE_HEADER not in client.get("/api/v1/me", headers=analyst).headers
    with app.app_context():
        assert db.read_engine() is None
        assert db.get_read_session() is db.get_session()  # reads see the request's writes


def test_an_unreachable_replica_is_left_alone_and_the_primary_answers(
        database: DatabaseInfo, connection: sa.Connection,
        caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(database, DB_CONNECTION=connection,
                   READ_DATABASE_URL="postgresql://gridpatrol_app@/gridpatrol"
                                     "?host=/nonexistent-gridpatrol-socket&port=5999")
    analyst = bearer(Accounts(app).create("analyst"))
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="app.db.replica"):
        for _ in range(3):
            response = client.get("/api/v1/incidents/summary", headers=analyst)
            assert response.status_code == 200, response.json
            assert response.headers[SOURCE_HEADER] == "primary"
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1  # tried once, then left alone for a while
    assert app.extensions["gridpatrol_db"]["replica_down_until"] > 0
