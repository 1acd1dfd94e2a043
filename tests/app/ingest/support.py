"""A real Mosquitto for the ingest tests (the project's own broker set-up, on a free
loopback port in a folder of its own), the ingest service run in a thread of the test
process, and MQTT publishers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion

from app.ingest.apply import Applier
from app.ingest.broker import Broker
from app.ingest.service import IngestService
from app.ingest.settings import status_codes
from app.ingest.target import parse_mqtt_url
from app.serving.service_user import Account, running_as_root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_broker() -> Iterator[Broker]:
    """The own broker's set-up in a temporary folder (the service account's when root:
    the broker never runs as root), started; stopped and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="gridpatrol-mqtt-test-"))
    os.chmod(folder, 0o711)  # noqa: S103 (the service account passes through to its folder)
    account = Account.named() if running_as_root() else None
    broker = Broker(folder / "mqtt", folder / "secrets", port=free_port(), account=account)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)


class LoopThread:
    """Something with ``async run(stop: asyncio.Event)`` in a thread of its own (its own
    event loop), stopped cleanly; what it raised is reported when it stops."""

    what = "the loop"
    stop_within_s = 60.0

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def runner(self) -> Any:
        raise NotImplementedError

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self.runner().run(self._stop)
        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 (reported by stop())
            self.error = exc

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    @contextmanager
    def loop_held(self) -> Iterator[None]:
        """Its event loop kept busy for the block (as on a loaded machine): nothing
        scheduled on it runs until the block ends."""
        assert self._loop is not None
        release, held = threading.Event(), threading.Event()

        def busy() -> None:
            held.set()
            release.wait(60)

        self._loop.call_soon_threadsafe(busy)
        assert held.wait(10), f"{self.what} never ran what was scheduled on its loop"
        try:
            yield
        finally:
            release.set()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(self.stop_within_s)
        assert not self._thread.is_alive(), f"{self.what} did not stop"
        assert self.error is None, repr(self.error)


class ServiceThread(LoopThread):
    """The ingest service in a thread of its own (its own event loop), stopped cleanly."""

    what = "the ingest service"
    stop_within_s = 90.0

    def __init__(self, app: Flask, broker: Broker, journal: Path, *,
                 backlog_limit: int = 50_000, sources: list[Any] | None = None) -> None:
        self.service = IngestService(
            app, target=parse_mqtt_url(broker.url("gridpatrol-ingest")), journal_path=journal,
            applier=Applier(status_codes(app), trunk_prefixes=("trunk-recorder",)),
            backlog_limit=backlog_limit, sources=sources or [])
        super().__init__()

    def runner(self) -> Any:
        return self.service

    def __enter__(self) -> ServiceThread:
        self.start()
        wait_for(lambda: self.service.connected, what="the service to connect")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for(check: Callable[[], Any], *, what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Publisher:
    """A client of the broker (MQTT 5, so a refused publish is answered, not dropped)."""

    def __init__(self, broker: Broker, client: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{client}",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(client, broker.secrets.secret(client))
        self.acks: dict[int, Any] = {}
        self.client.on_publish = lambda _c, _u, mid, reason, _p: self.acks.__setitem__(
            mid, (reason,))
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes | str) -> Any:
        """Publish with QoS 1 and return the broker's PUBACK reason."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(10)
        return wait_for(lambda: self.acks.get(info.mid), what=f"the PUBACK of {topic}")[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class DeskThread(LoopThread):
    """The radio desk (orders out, alarms) in a thread of its own, sending through the
    test broker as gridpatrol-app."""

    what = "the radio desk"

    def __init__(self, app: Flask, broker: Broker, *, policy: Any = None,
                 poll_s: float = 0.1) -> None:
        from app.orders.desk import RadioDesk
        from app.orders.mqtt import MqttGateway

        self.desk = RadioDesk(app, gateway=MqttGateway(
            parse_mqtt_url(broker.url("gridpatrol-app")), timeout_s=5.0), policy=policy,
            poll_s=poll_s, timers_s=0.5)
        super().__init__()

    def runner(self) -> Any:
        return self.desk

    def __enter__(self) -> DeskThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Terminal(Publisher):
    """A vehicle or handheld terminal: publishes as its radio and reads its orders."""

    def __init__(self, broker: Broker, radio_id: str) -> None:
        broker.add_terminal(radio_id)
        self.radio_id = radio_id
        self.orders: list[dict[str, Any]] = []
        self.subscribed = threading.Event()
        super().__init__(broker, f"radio-{radio_id}")
        self.client.on_message = lambda _c, _u, msg: self.orders.append(
            json.loads(msg.payload))
        self.client.on_subscribe = lambda *_a: self.subscribed.set()
        self.client.subscribe(f"gridpatrol/units/{radio_id}/orders", qos=1)
        assert self.subscribed.wait(10), "the terminal could not subscribe"

    def answer(self, kind: str, body: dict[str, Any]) -> Any:
        return self.publish(f"gridpatrol/units/{self.radio_id}/{kind}", json.dumps(body))
