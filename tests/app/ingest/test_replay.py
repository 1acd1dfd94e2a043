"""`gridpatrol replay` through the real broker and ingest: a BeiDou log re-dated to now
moves its unit along the logged track now; an MQTT capture's status and position apply;
trunk-recorder calls arrive as its plugin's messages (counted, changing nothing); what the
broker refuses is counted and the exit status says so; every replay is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.ingest.broker import REPLAY_CLIENT, Broker
from app.models import AuditEntry, Unit, UnitPosition
from dispatch.nmea_epochs import read_log
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import ServiceThread, wait_for
from tests.conftest import SHARED_DATA

BEIDOU = SHARED_DATA / "radio" / "nmea" / "beidou-bd.log"
CALL = SHARED_DATA / "radio" / "trunk-recorder" / "berkeley_pd1_call_1702617247.json"


def replay(app: Flask, broker: Broker, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["replay", *args, "--url",
                                                broker.url(REPLAY_CLIENT)])
    return result.exit_code, result.output


def test_a_log_replayed_moves_its_unit_along_the_track_now(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    unit_id = units.add(radio_ids=("rp-1",))
    logged = [(round(f.lon, 6), round(f.lat, 6)) for f in
              read_log(BEIDOU.read_text(errors="replace").splitlines()).fixes]
    began = datetime.now(UTC)
    with ServiceThread(ingest_app, broker, journal) as running:
        status, output = replay(ingest_app, broker, str(BEIDOU), "--speed", "10",
                                "--radio-id", "rp-1", "--reason", "training")
        assert status == 0, output
        assert "published, 0 refused" in output
        wait_for(lambda: running.service.counters["positions"] >= len(logged),
                 what="the replayed track")
    with ingest_app.app_context():
        session = get_session()
        rows = session.execute(
            sa.select(sa.func.ST_X(UnitPosition.geom), sa.func.ST_Y(UnitPosition.geom),
                      UnitPosition.at).where(UnitPosition.unit_id == unit_id)
            .order_by(UnitPosition.at)).all()
        fix_at = session.get(Unit, unit_id).fix_at
        audited = session.execute(sa.select(AuditEntry.details, AuditEntry.reason).where(
            AuditEntry.action == "ingest.replay")).all()
    assert [(round(x, 6), round(y, 6)) for x, y, _ in rows] == logged
    assert all(began - timedelta(seconds=5) <= at <= datetime.now(UTC) for *_, at in rows)
    assert fix_at == rows[-1][2]  # the unit stands at the last fix, dated now
    seconds = (rows[-1][2] - rows[0][2]).total_seconds()
    assert seconds == (len(logged) - 1) / 10  # the log's second per epoch, ten times faster
    assert any(d["kind"] == "nmea" and r == "training" for d, r in audited)


def test_captures_and_calls_take_the_same_path(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path,
        tmp_path: Path) -> None:
    unit_id = units.add(radio_ids=("rp-2",), status="out_of_service")
    now = datetime.now(UTC)
    capture = tmp_path / "capture.jsonl"
    capture.write_text("\n".join(json.dumps(line) for line in [
        {"topic": "gridpatrol/units/rp-2/status", "payload": "10-8", "at": now.timestamp()},
        {"topic": "gridpatrol/units/rp-2/position",
         "payload": {"lon": 24.95, "lat": 60.17, "at": now.isoformat()},
         "at": now.timestamp() + 0.5},
        {"topic": "gridpatrol/units/rp-2/orders", "payload": "not ours to send"}]))
    with ServiceThread(ingest_app, broker, journal) as running:
        status, output = replay(ingest_app, broker, str(capture), "--speed", "0")
        assert status == 3 and "2 published, 1 refused" in output  # orders: the ACL
        calls, told = replay(ingest_app, broker, str(CALL), "--speed", "0")
        assert calls == 0, told
        wait_for(lambda: running.service.counters["ignored"] >= 4, what="the call messages")
        wait_for(lambda: running.service.counters["positions"] >= 1, what="the position")
    with ingest_app.app_context():
        unit = get_session().get(Unit, unit_id)
    assert unit.status == "available" and unit.fix_at == now
