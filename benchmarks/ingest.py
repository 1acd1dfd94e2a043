"""Ingest: parsing rate on mixed NMEA and JSON messages against gpsd's own decoder
(`gpsdecode`, Debian's gpsd-clients) on the same NMEA logs, and positions persisted per
second through the whole path (Mosquitto → journal → PostgreSQL), against the issue's
targets (20,000 messages/s parsed, 2,000 positions/s persisted). Loopback only, bounded.

    cd benchmarks && ../.venv/bin/python ingest.py [--positions 20000] [--terminals 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from common import SHARED, bench_database, table
from paho.mqtt.enums import CallbackAPIVersion

from app.db import get_session
from app.ingest.apply import Applier
from app.ingest.broker import Broker
from app.ingest.service import IngestService
from app.ingest.settings import status_codes
from app.ingest.target import parse_mqtt_url
from app.models import Unit
from app.serving.service_user import Account, running_as_root
from dispatch.inbound import message_identity, read_message

NMEA = SHARED / "radio" / "nmea"
NOW = datetime.now(UTC)


def mixed_messages() -> tuple[list[tuple[str, bytes]], str]:
    """NMEA logs cut into payloads of 10 lines (as an AVL box sends a burst), and as many
    JSON positions; and the whole NMEA text for gpsdecode."""
    text = "".join(p.read_text(errors="replace") for p in sorted(NMEA.glob("*.log")))
    lines = text.splitlines()
    out = [(f"gridpatrol/units/{i % 50}/nmea", "\n".join(lines[i:i + 10]).encode())
           for i in range(0, len(lines), 10)]
    out += [(f"gridpatrol/units/{i % 50}/position", json.dumps(
        {"lon": 24.9 + i * 1e-6, "lat": 60.1, "at": (NOW - timedelta(seconds=i)).isoformat(),
         "speed_mps": 5.0, "course_deg": 90}).encode()) for i in range(len(out))]
    return out, text


def parse_rate(messages: list[tuple[str, bytes]], rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for topic, payload in messages:
            message_identity(topic, payload)
            with contextlib.suppress(ValueError):
                read_message(topic, payload, received_at=NOW, trunk_prefixes=("tr",))
        best = min(best, time.perf_counter() - start)
    return len(messages) / best


def gpsdecode_rate(text: str, rounds: int = 5) -> float | None:
    binary = shutil.which("gpsdecode")
    if binary is None:
        return None
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([binary], input=text.encode(), stdout=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return len(text.splitlines()) / best


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def persist_rate(total: int, terminals: int) -> tuple[float, dict[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-mqtt-"))
    os.chmod(folder, 0o711)  # noqa: S103
    broker = Broker(folder / "mqtt", folder / "secrets", port=free_port(),
                    account=Account.named() if running_as_root() else None)
    radios = [f"B{i}" for i in range(terminals)]
    for radio in radios:
        broker.secrets.ensure(f"radio-{radio}")
    broker.start()
    try:
        with bench_database("gridpatrol_bench_ingest") as bench:
            app = bench["app"]
            with app.app_context():
                session = get_session()
                session.add_all(Unit(callsign=f"BENCH-{r}", kind="patrol_car",
                                     status="available", radio_ids=[r]) for r in radios)
                session.commit()
            service = IngestService(
                app, target=parse_mqtt_url(broker.url("gridpatrol-ingest")),
                journal_path=folder / "journal.sqlite",
                applier=Applier(status_codes(app), trunk_prefixes=("trunk-recorder",)),
                backlog_limit=1_000_000)
            stop: dict[str, object] = {}

            def run() -> None:
                async def main() -> None:
                    stop["loop"], stop["event"] = asyncio.get_running_loop(), asyncio.Event()
                    await service.run(stop["event"])  # type: ignore[arg-type]
                asyncio.run(main())

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            while not service.connected:
                time.sleep(0.05)
            clients = []
            for radio in radios:
                client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
                client.username_pw_set(f"radio-{radio}", broker.secrets.secret(f"radio-{radio}"))
                client.max_inflight_messages_set(1000)
                client.connect("127.0.0.1", broker.port)
                client.loop_start()
                clients.append(client)
            start = time.perf_counter()
            per = total // terminals
            for i in range(per):
                for radio, client in zip(radios, clients, strict=True):
                    client.publish(f"gridpatrol/units/{radio}/position", json.dumps(
                        {"lon": 24.9 + i * 1e-5, "lat": 60.1,
                         "at": (NOW - timedelta(seconds=per - i)).isoformat()}), qos=1)
            deadline = time.monotonic() + 600
            while service.counters["applied"] < per * terminals and time.monotonic() < deadline:
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
            counters = dict(service.counters)
            for client in clients:
                client.disconnect()
                client.loop_stop()
            stop["loop"].call_soon_threadsafe(stop["event"].set)  # type: ignore[attr-defined]
            thread.join(60)
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return counters["applied"] / elapsed, counters


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=20_000)
    parser.add_argument("--terminals", type=int, default=10)
    args = parser.parse_args()
    messages, text = mixed_messages()
    ours = parse_rate(messages)
    nmea_only = [m for m in messages if m[0].endswith("/nmea")]
    ours_nmea_lines = parse_rate(nmea_only) * (len(text.splitlines()) / len(nmea_only))
    gpsd = gpsdecode_rate(text)
    persisted, counters = persist_rate(args.positions, args.terminals)
    rows = [
        ["parse mixed messages (NMEA bursts of 10 lines + JSON), messages/s",
         f"{ours:,.0f}", "20,000 (issue target)", f"{ours / 20_000:.2f}"],
        ["decode NMEA lines, lines/s", f"{ours_nmea_lines:,.0f}",
         f"{gpsd:,.0f} (gpsdecode)" if gpsd else "gpsdecode missing",
         f"{ours_nmea_lines / gpsd:.2f}" if gpsd else "—"],
        [f"persist positions, MQTT → journal → PostgreSQL ({args.terminals} terminals), "
         "positions/s", f"{persisted:,.0f}", "2,000 (issue target)", f"{persisted / 2000:.2f}"],
    ]
    print(table(rows, ["what", "gridpatrol", "reference", "ratio"]))
    print(f"{len(messages):,} messages ({len(text.splitlines()):,} NMEA lines); persisted run: "
          f"received {counters['received']:,}, applied {counters['applied']:,}, "
          f"duplicates {counters.get('duplicates', 0)}, rejected {counters.get('rejected', 0)}")


if __name__ == "__main__":
    main()
