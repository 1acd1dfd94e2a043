"""The events hub: committed changes reach every listening service through PostgreSQL
NOTIFY; streams are capped per user and in all; a slow stream is cut off with a resync;
a lost listener reconnects and makes every console resync."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator

import psycopg
import pytest

from app.events.hub import KEEPALIVE, Hub, Subscriber, TooManyStreams
from tests.conftest import DatabaseInfo, scratch_database

UNIT = ("INSERT INTO units (callsign, kind, status, geom) VALUES "
        "('{callsign}', 'foot', 'available', ST_SetSRID(ST_MakePoint(8.69, 49.41), 4326))")


@pytest.fixture(scope="module")
def events_database() -> Iterator[DatabaseInfo]:
    with scratch_database("events") as info:
        yield info


def _conninfo(info: DatabaseInfo) -> str:
    return info.app_url.replace("postgresql+psycopg://", "postgresql://")


def _hub(info: DatabaseInfo, **limits: int) -> Hub:
    settings = {"replay": 100, "backlog": 100, "per_user": 5, "max_streams": 50} | limits
    return Hub(_conninfo(info), **settings)


async def _commit(info: DatabaseInfo, statement: str) -> None:
    async with await psycopg.AsyncConnection.connect(_conninfo(info)) as conn:
        await conn.execute(statement)


def _events(data: bytes) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in data.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            out.append((fields["event"], json.loads(fields["data"])))
    return out


async def _next(subscriber: Subscriber, kind: str, timeout_s: float = 5.0) -> dict[str, object]:
    async with asyncio.timeout(timeout_s):
        while True:
            await subscriber.wakeup.wait()
            subscriber.wakeup.clear()
            for event, data in _events(subscriber.take()):
                if event == kind:
                    return data


@contextlib.asynccontextmanager
async def _running(*hubs: Hub):  # type: ignore[no-untyped-def]
    tasks = [asyncio.create_task(h.run()) for h in hubs]
    try:
        async with asyncio.timeout(10):
            for h in hubs:
                await h.listening.wait()
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_a_change_reaches_every_listening_service(events_database: DatabaseInfo) -> None:
    async def scenario() -> None:
        hubs = [_hub(events_database), _hub(events_database)]  # two "servers"
        async with _running(*hubs):
            streams = [h.open(user_id=1, last_event_id=None)[0] for h in hubs]
            await _commit(events_database, UNIT.format(callsign="EV-1"))
            for stream in streams:
                unit = await _next(stream, "unit")
                assert (unit["callsign"], unit["status"], unit["lon"]) == ("EV-1", "available",
                                                                           8.69)
            # nothing is announced for a transaction that rolls back
            async with await psycopg.AsyncConnection.connect(_conninfo(events_database)) as c:
                await c.execute("UPDATE units SET status = 'on_scene' WHERE callsign = 'EV-1'")
                await c.rollback()
            await _commit(events_database, "INSERT INTO alerts (level, source, raised_by, geom) "
                          "VALUES ('red', 'api', 'test', ST_SetSRID(ST_MakePoint(8.7, 49.4), "
                          "4326))")
            alert = await _next(streams[0], "alert")
            assert (alert["level"], alert["status"]) == ("red", "open")
            assert not streams[0].pending  # the rolled-back update never came
            assert hubs[0].ring.last_id.endswith(".2") and hubs[1].ring.last_id.endswith(".2")

    asyncio.run(scenario())


def test_a_lost_listener_reconnects_and_every_console_resyncs(
        events_database: DatabaseInfo) -> None:
    async def scenario() -> None:
        hub = _hub(events_database)
        async with _running(hub):
            stream, first = hub.open(user_id=1, last_event_id=None)
            hello_id = first.decode().split("\n", 1)[0].removeprefix("id: ")
            async with await psycopg.AsyncConnection.connect(
                    events_database.admin_conninfo, autocommit=True) as admin:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND query LIKE 'LISTEN%%'", (events_database.name,))
            await _next(stream, "resync", timeout_s=15)
            async with asyncio.timeout(10):
                await hub.listening.wait()
            assert hub.stats.reconnects == 1
            # a console that was away across the gap meets the resync in its replay
            _, replay = hub.open(user_id=2, last_event_id=hello_id)
            assert [e for e, _ in _events(replay)] == ["hello", "resync"]
            await _commit(events_database, UNIT.format(callsign="EV-2"))
            assert (await _next(stream, "unit"))["callsign"] == "EV-2"

    asyncio.run(scenario())


def test_first_frames_hello_replay_or_resync() -> None:
    hub = Hub("unused", replay=3, backlog=10, per_user=10, max_streams=10, epoch="run")
    _, first = hub.open(1, None)
    assert first.startswith(b"id: run.0\nevent: hello\n")
    for n in range(5):
        hub.publish(json.dumps({"type": "unit", "id": n}))
    _, replay = hub.open(1, "run.3")
    assert [(e, d.get("id")) for e, d in _events(replay)] == [("hello", None), ("unit", 3),
                                                              ("unit", 4)]
    assert b"\nid: " not in replay.split(b"\n\n", 1)[0]  # the hello keeps the browser's id
    for stale in ("run.1", "other.4", "nonsense"):
        _, answer = hub.open(2, stale)
        assert [e for e, _ in _events(answer)] == ["hello", "resync"], stale
        assert b"id: run.5\nevent: resync" in answer
    busy = Hub("unused", replay=100, backlog=3, per_user=10, max_streams=10, epoch="b")
    for n in range(5):
        busy.publish(json.dumps({"type": "unit", "id": n}))
    _, few = busy.open(1, "b.2")
    assert [e for e, _ in _events(few)] == ["hello", "unit", "unit", "unit"]
    _, many = busy.open(1, "b.1")  # 4 missed: more than its backlog, so a reload instead
    assert [e for e, _ in _events(many)] == ["hello", "resync"]
    hub.publish("not json")
    hub.publish("[1, 2]")
    assert hub.stats.notifications == 5


def test_streams_are_capped_per_user_and_in_all() -> None:
    hub = Hub("unused", replay=10, backlog=10, per_user=2, max_streams=3)
    first, _ = hub.open(7, None)
    hub.open(7, None)
    with pytest.raises(TooManyStreams) as refused:
        hub.open(7, None)
    assert (refused.value.scope, refused.value.limit) == ("user", 2)
    other, _ = hub.open(8, None)  # another user is not affected
    with pytest.raises(TooManyStreams) as full:
        hub.open(9, None)
    assert full.value.scope == "service"
    hub.close(first)
    hub.close(first)  # closing twice changes nothing
    assert hub.streams_of(7) == 1 and hub.open_streams == 2
    hub.open(7, None)
    assert hub.stats.refused == {"user": 1, "service": 1}


def test_a_slow_stream_is_cut_off_with_a_resync() -> None:
    hub = Hub("unused", replay=100, backlog=4, per_user=5, max_streams=5, epoch="r")
    slow, _ = hub.open(1, None)
    quick, _ = hub.open(2, None)
    for n in range(4):
        hub.publish(json.dumps({"type": "unit", "id": n}))
        quick.take()  # this one keeps up
    assert len(slow.pending) == 4 and not slow.ending
    hub.publish(json.dumps({"type": "unit", "id": 4}))
    assert list(slow.pending) == [b"id: r.5\nevent: resync\ndata: {}\n\n"]
    assert slow.ending and slow.cut_off
    hub.publish(json.dumps({"type": "unit", "id": 5}))
    assert len(slow.pending) == 1  # nothing more is queued for it
    assert [d["id"] for _, d in _events(quick.take())] == [4, 5]
    hub.close(slow)
    assert hub.stats.cut_off == 1


def test_idle_streams_get_keep_alives_and_stalled_ones_are_aborted() -> None:
    hub = Hub("unused", replay=10, backlog=10, per_user=5, max_streams=5, heartbeat_s=15,
              write_timeout_s=30)
    idle, _ = hub.open(1, None)
    busy, _ = hub.open(2, None)
    stalled, _ = hub.open(3, None)
    aborted: list[int] = []
    stalled.abort = lambda: aborted.append(3)
    start = idle.idle_since
    busy.idle_since = stalled.idle_since = start
    busy.offer(b"event", b"resync")
    stalled.writing_since = start
    for sub in (idle, busy, stalled):
        sub.check(start + 10, heartbeat_s=15, write_timeout_s=30)
    assert not idle.pending and aborted == []  # not idle long enough, not stalled long enough
    for sub in (idle, busy, stalled):
        sub.check(start + 31, heartbeat_s=15, write_timeout_s=30)
    assert list(idle.pending) == [KEEPALIVE] and idle.wakeup.is_set()
    assert list(busy.pending) == [b"event"]  # something to write already: no keep-alive
    assert aborted == [3] and stalled.cut_off and not stalled.pending
