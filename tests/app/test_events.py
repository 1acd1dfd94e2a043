"""Live events: a committed change reaches every listening server process within a second,
through PostgreSQL NOTIFY, and comes out of /api/v1/events as Server-Sent Events."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import engine
from app.events import RESYNC, hub
from tests.conftest import DatabaseInfo, make_app, scratch_database


@pytest.fixture(scope="module")
def events_database() -> Iterator[DatabaseInfo]:
    with scratch_database("events") as info:
        yield info


def _commit(info: DatabaseInfo, sql: str) -> None:
    with psycopg.connect(info.app_url.replace("+psycopg", "")) as conn:
        conn.execute(sql)


def _next_of(subscriber: queue.Queue[str], kind: str, timeout_s: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        payload = subscriber.get(timeout=left)
        if payload != RESYNC and json.loads(payload)["type"] == kind:
            return json.loads(payload)  # type: ignore[no-any-return]
    raise AssertionError(f"no {kind} event within {timeout_s} s")


def test_a_change_reaches_two_processes_within_a_second(events_database: DatabaseInfo) -> None:
    apps = [make_app(events_database), make_app(events_database)]  # two "processes"
    hubs = [hub(app) for app in apps]
    subscribers = [h.subscribe() for h in hubs]
    try:
        started = time.monotonic()
        _commit(events_database, "INSERT INTO units (callsign, kind, status, geom) VALUES "
                "('EV-1', 'foot', 'available', ST_SetSRID(ST_MakePoint(8.69, 49.41), 4326))")
        for subscriber in subscribers:
            event = _next_of(subscriber, "unit", 1.0)
            assert (event["callsign"], event["status"], event["lon"]) == ("EV-1", "available",
                                                                           8.69)
        assert time.monotonic() - started < 1.0
        # nothing is announced for a transaction that rolls back
        with psycopg.connect(events_database.app_url.replace("+psycopg", "")) as conn:
            conn.execute("UPDATE units SET status = 'on_scene' WHERE callsign = 'EV-1'")
            conn.rollback()
        with pytest.raises(queue.Empty):
            subscribers[0].get(timeout=0.3)
    finally:
        for h, s in zip(hubs, subscribers, strict=True):
            h.unsubscribe(s)
            h.stop()


def test_event_stream_over_http(events_database: DatabaseInfo) -> None:
    app: Flask = make_app(events_database, EVENTS_HEARTBEAT_S=0.2)
    with app.app_context():
        from app.auth import users
        from app.db import get_session

        session = get_session()
        user = users.create_user(session, "events-viewer", "correct horse battery", "viewer")
        token = users.issue_token(session, user, label="test")
        session.commit()
    client = app.test_client()
    try:
        _stream_over_http(client, token, events_database)
    finally:
        hub(app).stop()
        engine(app).dispose()


def _stream_over_http(client: FlaskClient, token: str, events_database: DatabaseInfo) -> None:
    response = client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"},
                          buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = (c.decode() if isinstance(c, bytes) else c for c in response.response)
    assert next(chunks).startswith("retry:")
    assert next(chunks).startswith("event: hello")
    assert next(chunks) == ": keep-alive\n\n"  # an idle stream still says it is alive
    _commit(events_database, "INSERT INTO alerts (level, source, raised_by, geom) VALUES "
            "('red', 'api', 'test', ST_SetSRID(ST_MakePoint(8.7, 49.4), 4326))")
    for chunk in chunks:
        if chunk.startswith("event: alert"):
            data = json.loads(chunk.split("data: ", 1)[1])
            assert (data["level"], data["status"]) == ("red", "open")
            break
    response.close()
