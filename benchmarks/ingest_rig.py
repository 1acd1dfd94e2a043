"""Shared parts of the ingest benchmarks (`ingest_live.py`, `ingest_restart.py`): the own
Mosquitto in a folder of its own, `gridpatrol ingest`'s service in a process of its own
(as `gridpatrol serve` runs it: no GIL shared with the load), units with radios, and
publishers at a steady rate. Loopback only; everything is stopped by its context."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from common import ROOT
from paho.mqtt.enums import CallbackAPIVersion

from app.ingest.broker import INGEST_CLIENT, REPLAY_CLIENT, Broker
from app.serving.service_user import Account, running_as_root

INGEST = """
import asyncio, logging, signal, sys
from pathlib import Path
from app import create_app
from app.ingest.apply import Applier
from app.ingest.service import IngestService
from app.ingest.settings import status_codes
from app.ingest.target import parse_mqtt_url
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app({"SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": sys.argv[1]})
service = IngestService(app, target=parse_mqtt_url(sys.argv[2]), journal_path=Path(sys.argv[3]),
                        applier=Applier(status_codes(app), trunk_prefixes=("trunk-recorder",)),
                        backlog_limit=1_000_000)
async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await service.run(stop)
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def own_broker() -> Iterator[Broker]:
    folder = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-mqtt-"))
    os.chmod(folder, 0o711)  # noqa: S103 (the service account passes through to its folder)
    broker = Broker(folder / "mqtt", folder / "secrets", port=free_port(),
                    account=Account.named() if running_as_root() else None)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def ingest_process(database_url: str, broker: Broker) -> Iterator[subprocess.Popen[bytes]]:
    """The ingest service (no radio desk) in a child process; its log beside the journal."""
    folder = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-ingest-"))
    log = (folder / "ingest.log").open("wb")
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", INGEST, database_url, broker.url(INGEST_CLIENT),
         str(folder / "journal.sqlite")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def ingest_counters(conninfo: str) -> dict[str, Any]:
    """What the service last published (every 2 s)."""
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        row = conn.execute("SELECT counters, details FROM ingest_status "
                           "WHERE name = 'mqtt'").fetchone()
    return {} if row is None else {**row[0], **{f"details.{k}": v for k, v in row[1].items()}}


def seed_units(conninfo: str, count: int, prefix: str) -> list[tuple[int, str]]:
    """``count`` active units, each with a radio and a position: ``(id, radio_id)``."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "INSERT INTO units (callsign, kind, status, radio_ids, geom, fix_at) "
            "SELECT %s || n, 'patrol_car', 'available', ARRAY[%s || n], "
            "ST_SetSRID(ST_MakePoint(24.90 + n * 1e-4, 60.17), 4326), now() - interval '1 min' "
            "FROM generate_series(1, %s) AS n RETURNING id, radio_ids[1]",
            (prefix, prefix, count)).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


class Publisher:
    """``connections`` MQTT 5 clients publishing as gridpatrol-replay (the client the ACL
    lets publish as any terminal), QoS 1; counts the broker's PUBACKs."""

    def __init__(self, broker: Broker, connections: int = 4) -> None:
        self.acked = 0
        self.refused = 0
        self._lock = threading.Lock()
        self.clients = []
        for n in range(connections):
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{n}",
                                 protocol=mqtt.MQTTv5)
            client.username_pw_set(REPLAY_CLIENT, broker.secrets.secret(REPLAY_CLIENT))
            client.max_inflight_messages_set(2000)
            client.max_queued_messages_set(0)
            client.on_publish = self._on_publish
            client.connect("127.0.0.1", broker.port)
            client.loop_start()
            self.clients.append(client)

    def _on_publish(self, _c: Any, _u: Any, _mid: int, reason: Any, _p: Any) -> None:
        with self._lock:
            if reason.is_failure:
                self.refused += 1
            else:
                self.acked += 1

    def publish(self, n: int, topic: str, payload: bytes) -> None:
        self.clients[n % len(self.clients)].publish(topic, payload, qos=1)

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()
            client.loop_stop()


def steadily(rate_per_s: float, duration_s: float, action: Callable[[int], None],
             *, during: Callable[[float], None] | None = None) -> int:
    """Call ``action(n)`` ``rate_per_s`` times a second for ``duration_s`` (in ticks of
    10 ms); ``during(elapsed_s)`` after each tick. Returns how many were started."""
    started = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - started) < duration_s:
        due = int(elapsed * rate_per_s) + 1
        while n < due:
            action(n)
            n += 1
        if during is not None:
            during(elapsed)
        time.sleep(0.01)
    return n
