"""The broker restarting while ingest holds unacknowledged messages (the database away):
the messages of the old connection are not acknowledged on the new one (their packet ids
mean nothing there) but dropped from memory, the broker sends them again, memory stays
bounded, and once the database is back every message is applied exactly once — also when
ingest's event loop is busy while it reconnects (a loaded machine): the new connection's
receive window is free at once, so what the broker sends again at once is taken."""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.ingest.service import RECEIVE_MAXIMUM
from app.models import UnitPosition
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import Publisher, ServiceThread, running_broker, wait_for
from tests.conftest import DatabaseInfo, make_app

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@pytest.mark.parametrize("loop_busy", [False, True], ids=["calm", "loop-busy"])
def test_a_broker_restart_while_paused_loses_nothing_and_applies_nothing_twice(
        ingest_app: Flask, ingest_database: DatabaseInfo, units: Units, journal: Path,
        loop_busy: bool) -> None:
    radio_id = "8112" if loop_busy else "8111"  # the module's database is shared
    car = units.add(radio_ids=(radio_id,))
    away = make_app(ingest_database, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    total, limit = RECEIVE_MAXIMUM + 150, 20
    with running_broker() as broker:
        broker.add_terminal(radio_id)
        radio = Publisher(broker, f"radio-{radio_id}")
        with ServiceThread(away, broker, journal, backlog_limit=limit) as running:
            for i in range(total):
                radio.client.publish(f"gridpatrol/units/{radio_id}/position", json.dumps(
                    {"lon": 24.9, "lat": 60.1 + i * 1e-4,
                     "at": (T0 + timedelta(seconds=i)).isoformat()}), qos=1)
            wait_for(lambda: running.service.inbox.qsize() >= RECEIVE_MAXIMUM - limit,
                     what="the broker to fill the window")
            first = running.service.generation
            broker.stop()  # it saves its queue and the sessions; ingest reconnects
            with running.loop_held() if loop_busy else nullcontext():
                broker.start()
                wait_for(lambda: running.service.generation > first
                         and running.service.connected,
                         what="ingest back on the broker", timeout_s=60)
                if loop_busy:
                    time.sleep(1)  # the broker sends the held messages again meanwhile
            wait_for(lambda: running.service.counters["redelivered_dropped"] > 0,
                     what="the old connection's messages dropped")
            wait_for(lambda: running.service.inbox.qsize() > 0,
                     what="the broker to send them again")
            time.sleep(1)  # it would send more now if it were allowed to
            assert running.service.inbox.qsize() <= RECEIVE_MAXIMUM  # bounded, not doubled
            assert running.service.counters["received"] == limit
        radio.close()
        with ServiceThread(ingest_app, broker, journal) as back:
            wait_for(lambda: back.service.counters["applied"] >= total,
                     what="everything applied once the database is back", timeout_s=90)
    with ingest_app.app_context():
        count, distinct = get_session().execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(UnitPosition.at))).where(
                UnitPosition.unit_id == car)).one()
    assert count == distinct == total  # 0 lost, 0 twice
