"""The ingest service against a real Mosquitto and the real PostGIS: terminals and
trunk-recorder move units, statuses go through the model, unknown radios are kept and
listed, the ACL holds, rejects are kept with their reason, and nothing is lost or applied
twice while PostgreSQL restarts."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.db.cluster import Cluster
from app.db.geometry import from_ewkb
from app.ingest import radios
from app.ingest.broker import Broker
from app.ingest.repository import messages
from app.ingest.service import RECEIVE_MAXIMUM
from app.models import (
    AlertEvent,
    IngestMessage,
    PositionReject,
    RadioLogEntry,
    Unit,
    UnitPosition,
)
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import Publisher, ServiceThread, wait_for
from tests.conftest import ROOT, DatabaseInfo

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def unit(app: Flask, unit_id: int) -> Unit:
    with app.app_context():
        session = get_session()
        return session.get(Unit, unit_id)


def scalar(app: Flask, query: Any) -> Any:
    with app.app_context():
        return get_session().execute(query).scalar()


def outcomes(app: Flask, radio_id: str) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [tuple(r) for r in get_session().execute(
            sa.select(IngestMessage.outcome, IngestMessage.reason)
            .where(IngestMessage.radio_id == radio_id).order_by(IngestMessage.received_at))]


def terminal(broker: Broker, radio_id: str) -> Publisher:
    broker.add_terminal(radio_id)
    return Publisher(broker, f"radio-{radio_id}")


def test_a_terminal_position_moves_the_unit_holding_the_radio(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    first, second = units.add(), units.add()
    with ingest_app.app_context():  # the radio changes hands at T0 + 1 h
        session = get_session()
        radios.assign(session, radio_id="4711", unit_id=first, valid_from=T0,
                      valid_until=None, alias="day handheld", note=None, actor="test")
        radios.assign(session, radio_id="4711", unit_id=second,
                      valid_from=T0 + timedelta(minutes=30), valid_until=None, alias="",
                      note=None, actor="test")
        session.commit()
    radio = terminal(broker, "4711")
    with ServiceThread(ingest_app, broker, journal):
        assert radio.publish("gridpatrol/units/4711/position", json.dumps(
            {"lon": 24.9384, "lat": 60.1699, "at": (T0 + timedelta(minutes=10)).isoformat(),
             "speed_mps": 8.5, "course_deg": 270})).is_failure is False
        radio.publish("gridpatrol/units/4711/position", json.dumps(
            {"lon": 24.95, "lat": 60.18, "at": (T0 + timedelta(minutes=40)).isoformat()}))
        wait_for(lambda: unit(ingest_app, second).fix_at, what="the second unit to move")
    radio.close()
    moved = unit(ingest_app, first)
    point = from_ewkb(moved.geom)
    assert (round(point.x, 4), round(point.y, 4)) == (24.9384, 60.1699)
    assert moved.speed_mps == 8.5 and moved.course_deg == 270
    assert moved.fix_at == T0 + timedelta(minutes=10)
    assert round(from_ewkb(unit(ingest_app, second).geom).x, 2) == 24.95
    assert scalar(ingest_app, sa.select(sa.func.count()).select_from(UnitPosition).where(
        UnitPosition.unit_id == first, UnitPosition.source == "mqtt",
        UnitPosition.at > T0 - timedelta(days=1))) == 1
    assert [o for o, _ in outcomes(ingest_app, "4711")] == ["applied", "applied"]


def test_a_trunk_recorder_location_moves_the_unit_with_that_radio(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    held = units.add(radio_ids=("54126",))
    recorder = Publisher(broker, "trunk-recorder")
    body = {"type": "location", "timestamp": int(T0.timestamp()) + 60, "instance_id": "east",
            "location": {"sys_num": 3, "sys_name": "p25trunk", "unit": 54126,
                         "unit_alpha_tag": "FD Port. 126", "talkgroup": 23507}}
    with ServiceThread(ingest_app, broker, journal) as running:
        recorder.publish("trunk-recorder/units/p25trunk/location", json.dumps(body))
        body["location"] |= {"latitude": 60.2, "longitude": 24.9}
        body["timestamp"] += 1
        recorder.publish("trunk-recorder/units/p25trunk/location", json.dumps(body))
        recorder.publish("trunk-recorder/units/p25trunk/join", json.dumps(
            {"type": "join", "timestamp": int(T0.timestamp()),
             "join": {"unit": 54126, "talkgroup": 1}}))
        wait_for(lambda: unit(ingest_app, held).fix_at, what="the unit to move")
        wait_for(lambda: running.service.counters["ignored"] == 1, what="the join counted")
    recorder.close()
    point = from_ewkb(unit(ingest_app, held).geom)
    assert (point.x, point.y) == (24.9, 60.2)
    with ingest_app.app_context():
        logged = get_session().execute(sa.select(RadioLogEntry.body).where(
            RadioLogEntry.unit_id == held)).scalars().all()
    assert logged == ["radio 54126 location registration on p25trunk"]


def test_an_unknown_radio_is_kept_and_listed_for_mapping(
        broker: Broker, ingest_app: Flask, journal: Path) -> None:
    radio = terminal(broker, "9999")
    with ServiceThread(ingest_app, broker, journal):
        radio.publish("gridpatrol/units/9999/position", '{"lon": 24.9, "lat": 60.1}')
        radio.publish("gridpatrol/units/9999/text", "anyone there?")
        wait_for(lambda: len(outcomes(ingest_app, "9999")) == 2, what="both kept")
    radio.close()
    assert [o for o, _ in outcomes(ingest_app, "9999")] == ["unmapped", "unmapped"]
    with ingest_app.app_context():
        session = get_session()
        listed = {r[0]: r for r in messages.unknown_radios(session, now=datetime.now(UTC),
                                                           limit=50)}
        kept = messages.unmapped_messages(session, "9999", limit=10)
    assert listed["9999"][2] == 2 and sorted(listed["9999"][5]) == ["position", "text"]
    assert {m.payload for m in kept} == {'{"lon": 24.9, "lat": 60.1}', "anyone there?"}


def test_a_terminal_cannot_publish_under_another_radio_id(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    victim = units.add(radio_ids=("4812",))
    radio = terminal(broker, "4811")
    with ServiceThread(ingest_app, broker, journal) as running:
        refused = radio.publish("gridpatrol/units/4812/position", '{"lon": 24.9, "lat": 60.1}')
        orders = radio.publish("gridpatrol/units/4811/orders", '{"text": "self-dispatch"}')
        accepted = radio.publish("gridpatrol/units/4811/text", "hello")
        wait_for(lambda: running.service.counters["received"] >= 1, what="the own text")
    radio.close()
    assert refused.is_failure and refused.getName() == "Not authorized"
    assert orders.is_failure
    assert not accepted.is_failure
    assert running.service.counters["received"] == 1
    assert unit(ingest_app, victim).fix_at is None


def test_a_rejected_message_is_kept_with_its_reason(
        broker: Broker, ingest_app: Flask, journal: Path) -> None:
    radio = terminal(broker, "4911")
    with ServiceThread(ingest_app, broker, journal) as running:
        radio.publish("gridpatrol/units/4911/position", '{"lon": 500, "lat": 60.1}')
        radio.publish("gridpatrol/units/4911/position", "not json")
        wait_for(lambda: running.service.counters["rejected"] == 2, what="two rejects")
    radio.close()
    assert dict(running.service.rejected) == {"invalid_field": 1, "not_json": 1}
    reasons = [r for _, r in outcomes(ingest_app, "4911")]
    assert reasons[0].startswith("invalid_field: lon: expected degrees within ±180")
    assert reasons[1].startswith("not_json")
    with ingest_app.app_context():
        kept = get_session().execute(sa.select(PositionReject.line, PositionReject.reason)
                                     .where(PositionReject.radio_id == "4911")).all()
    assert {line for line, _ in kept} == {'{"lon": 500, "lat": 60.1}', "not json"}


def test_statuses_and_acknowledgements_go_through_the_model(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    car = units.add(radio_ids=("5011",))
    resting = units.add(radio_ids=("5012",), status="out_of_service")
    alert_id = units.dispatch(car)
    radio, other = terminal(broker, "5011"), terminal(broker, "5012")
    with ServiceThread(ingest_app, broker, journal) as running:
        radio.publish("gridpatrol/units/5011/ack", json.dumps({"alert_id": alert_id}))
        wait_for(lambda: unit(ingest_app, car).status == "en_route", what="acknowledged")
        radio.publish("gridpatrol/units/5011/status", "到达现场")
        other.publish("gridpatrol/units/5012/status", '{"status": "10-97"}')
        other.publish("gridpatrol/units/5012/status", "10-99")
        wait_for(lambda: running.service.counters["illegal"] == 1, what="the illegal change")
        wait_for(lambda: running.service.counters["rejected"] == 1, what="the unknown code")
    radio.close()
    other.close()
    assert unit(ingest_app, car).status == "on_scene"
    assert unit(ingest_app, resting).status == "out_of_service"
    (illegal, unknown) = outcomes(ingest_app, "5012")
    assert illegal[0] == "illegal" and "cannot go to on_scene" in illegal[1]
    assert unknown[0] == "rejected" and unknown[1].startswith("unknown_status_code")
    with ingest_app.app_context():
        events = get_session().execute(sa.select(AlertEvent.event).where(
            AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)).scalars().all()
    assert events == ["acknowledged", "arrived"]


def _server_started(app: Flask) -> datetime:
    return scalar(app, sa.select(sa.func.pg_postmaster_start_time()))


def _restart_database(database: DatabaseInfo) -> None:
    """Restart the embedded cluster (with an external server: cut the app role's
    connections, which is what a restart does to them)."""
    if not os.environ.get("GRIDPATROL_DATABASE_URL"):
        Cluster.for_instance(ROOT / "instance").restart()
        return
    import psycopg

    with psycopg.connect(database.admin_conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (database.name,))


def test_nothing_is_lost_or_applied_twice_while_postgresql_restarts(
        broker: Broker, ingest_app: Flask, ingest_database: DatabaseInfo, units: Units,
        journal: Path) -> None:
    burst, repeats = 400, 40
    car = units.add(radio_ids=("6011",))
    radio = terminal(broker, "6011")
    started = _server_started(ingest_app)
    payloads = [json.dumps({"lon": 24.9 + i * 1e-4, "lat": 60.1,
                            "at": (T0 + timedelta(seconds=i)).isoformat()})
                for i in range(burst)]
    with ServiceThread(ingest_app, broker, journal) as running:
        for i, payload in enumerate(payloads):
            radio.publish("gridpatrol/units/6011/position", payload)
            if i == burst // 4:
                _restart_database(ingest_database)
            if i % 10 == 0 and i // 10 < repeats:  # a terminal's retries: the same bytes
                radio.publish("gridpatrol/units/6011/position", payloads[i // 10])
        wait_for(lambda: running.service.counters["applied"] >= burst,
                 what="every position applied", timeout_s=120)
        counters = dict(running.service.counters)
    radio.close()
    assert counters["received"] == burst + repeats
    assert counters["journal_duplicates"] + counters["duplicates"] == repeats
    assert counters["applied"] == burst
    # the server did restart under the burst (a batch caught by it is retried and
    # counted; one that is not finds a fresh connection through the pool's pre-ping)
    if not os.environ.get("GRIDPATROL_DATABASE_URL"):
        assert _server_started(ingest_app) > started
    positions = scalar(ingest_app, sa.select(sa.func.count()).select_from(UnitPosition).where(
        UnitPosition.unit_id == car, UnitPosition.at > T0 - timedelta(days=1)))
    distinct = scalar(ingest_app, sa.select(sa.func.count(sa.distinct(UnitPosition.at))).where(
        UnitPosition.unit_id == car, UnitPosition.at > T0 - timedelta(days=1)))
    assert positions == distinct == burst  # 0 lost, 0 twice
    assert unit(ingest_app, car).fix_at == T0 + timedelta(seconds=burst - 1)


def test_messages_wait_in_the_journal_while_the_database_is_away_and_memory_stays_bounded(
        broker: Broker, ingest_app: Flask, ingest_database: DatabaseInfo, units: Units,
        journal: Path, tmp_path: Path) -> None:
    from tests.conftest import make_app

    car = units.add(radio_ids=("7011",))
    radio = terminal(broker, "7011")
    away = make_app(ingest_database, DATABASE_URL=ingest_database.app_url.replace(
        "port=5432", "port=1").replace("host=", "host=/nonexistent", 1)
        if "port=5432" in ingest_database.app_url else
        "postgresql+psycopg://nobody@127.0.0.1:1/none")
    total, limit = RECEIVE_MAXIMUM + 200, 30
    with ServiceThread(away, broker, journal, backlog_limit=limit) as running:
        for i in range(total):
            radio.client.publish("gridpatrol/units/7011/position", json.dumps(
                {"lon": 24.9, "lat": 60.1 + i * 1e-4,
                 "at": (T0 + timedelta(seconds=i)).isoformat()}), qos=1)
        wait_for(lambda: running.service.paused, what="the service to stop taking messages")
        wait_for(lambda: running.service.inbox.qsize() >= RECEIVE_MAXIMUM - limit,
                 what="the broker to fill the window")
        time.sleep(1)  # the broker would send more now if it were allowed to
        assert running.service.backlog == running.service.counters["received"] == limit
        assert running.service.inbox.qsize() <= RECEIVE_MAXIMUM  # the rest stays with it
        assert running.service.counters["applied"] == 0
    with ServiceThread(ingest_app, broker, journal) as back:
        wait_for(lambda: back.service.counters["applied"] >= total,
                 what="everything applied once the database is back")
    radio.close()
    assert back.service.counters["applied"] == total  # the journal's 30, then the broker's
    assert scalar(ingest_app, sa.select(sa.func.count()).select_from(UnitPosition).where(
        UnitPosition.unit_id == car, UnitPosition.at > T0 - timedelta(days=1))) == total
