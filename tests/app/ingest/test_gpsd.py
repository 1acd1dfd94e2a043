"""gpsd as an ingest input, for real: Debian's gpsfake replays the shared BeiDou logs
through its own gpsd, the ingest service watches that daemon, and the unit mapped to it
moves along the logged track — each receiver epoch once, at the position the log holds.
A receiver whose clock is out (the logs are dated 2015; gpsd 3.22 puts them in 2034, a
GPS week-rollover) has its fixes refused as future times, unless they are dated by their
arrival."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.ingest.broker import Broker
from app.ingest.sources.gpsd import GpsdSource
from app.models import IngestMessage, UnitPosition
from dispatch.nmea_epochs import read_log
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import ServiceThread, free_port, wait_for
from tests.conftest import SHARED_DATA

LOGS = SHARED_DATA / "radio" / "nmea"
GPSFAKE = "/usr/bin/gpsfake"


@contextmanager
def gpsfake(log: Path) -> Iterator[int]:
    """gpsfake replaying ``log`` once (a sentence every 0.1 s, from the first client on)
    through a gpsd of its own on a free loopback port; killed with its gpsd afterwards."""
    assert os.path.exists(GPSFAKE), f"{GPSFAKE} is missing: scripts/bootstrap.sh installs gpsd"
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [GPSFAKE, "-1", "-q", "-c", "0.1", "-P", str(port), str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: _listening(port), what="gpsfake's gpsd", timeout_s=30)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def track(app: Flask, unit_id: int) -> list[tuple[float, float]]:
    with app.app_context():
        rows = get_session().execute(
            sa.select(sa.func.ST_X(UnitPosition.geom), sa.func.ST_Y(UnitPosition.geom))
            .where(UnitPosition.unit_id == unit_id)
            .order_by(UnitPosition.at, UnitPosition.id)).all()
    return [(round(x, 7), round(y, 7)) for x, y in rows]


@pytest.mark.parametrize("log", ["beidou-bd.log", "beidou-gb.log"])
def test_a_beidou_log_replayed_through_gpsd_moves_a_unit_along_the_logged_track(
        log: str, broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    radio = f"gps-{log[7:9]}"
    unit_id = units.add(radio_ids=(radio,))
    lines = (LOGS / log).read_text(encoding="utf-8", errors="replace").splitlines()
    logged = [(round(f.lon, 7), round(f.lat, 7)) for f in read_log(lines).fixes
              if f.at is not None]
    assert len(logged) >= 2, "the log holds a track"
    with gpsfake(LOGS / log) as port:
        source = GpsdSource("127.0.0.1", port, daemons={f"127.0.0.1:{port}": radio},
                            time_source="received")
        with ServiceThread(ingest_app, broker, journal, sources=[source]):
            wait_for(lambda: len(track(ingest_app, unit_id)) >= len(logged) - 1,
                     what="the logged track", timeout_s=90)
            time.sleep(2)  # nothing more than the log comes
    moved = track(ingest_app, unit_id)
    # every epoch of the log that gpsd dated, once and in order (gpsd gives the first fix
    # no time: its RMC is not valid yet)
    assert moved == logged[-len(moved):] and len(moved) >= len(logged) - 1
    assert source.counters["gpsd_fixes"] == len(moved)
    assert source.counters["gpsd_no_fix"] > 0  # the receiver's first seconds


def test_a_receiver_clock_out_by_a_rollover_is_refused_unless_dated_on_arrival(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    unit_id = units.add(radio_ids=("gps-clock",))
    with gpsfake(LOGS / "beidou-bd.log") as port:
        source = GpsdSource("127.0.0.1", port, daemons={f"127.0.0.1:{port}": "gps-clock"})
        with ServiceThread(ingest_app, broker, journal, sources=[source]):
            wait_for(lambda: source.counters["gpsd_fixes"] >= 3, what="fixes",
                     timeout_s=90)
            with ingest_app.app_context():
                wait_for(lambda: get_session().execute(sa.select(sa.func.count()).where(
                    IngestMessage.radio_id == "gps-clock",
                    IngestMessage.outcome == "rejected")).scalar() >= 3,
                    what="the fixes refused")
                reasons = set(get_session().execute(sa.select(IngestMessage.reason).where(
                    IngestMessage.radio_id == "gps-clock")).scalars())
    assert {r.split(":", 1)[0] for r in reasons} == {"future_time"}
    assert track(ingest_app, unit_id) == []
