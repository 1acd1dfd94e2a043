"""``gridpatrol replay``: a recording published over MQTT at its own pace (or faster), so
it takes the path live messages take — broker, journal, PostgreSQL, every console — for
training and tests. What the recording becomes is :mod:`dispatch.replay`'s."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.ingest.target import MqttTarget
from dispatch.replay import ReplayItem

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
PUBACK_TIMEOUT_S = 10.0


class ReplayError(RuntimeError):
    """The broker cannot be reached or refused the replay's connection."""


class ReplayPublisher:
    """An MQTT 5 client that publishes QoS 1 and waits for each PUBACK."""

    def __init__(self, target: MqttTarget, *, client_id: str = "gridpatrol-replay") -> None:
        self.target = target
        self._connected = threading.Event()
        self._refused: str | None = None
        self._acks: dict[int, Any] = {}
        self._done = threading.Condition()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=mqtt.MQTTv5)
        client.username_pw_set(target.username, target.password_now())
        if target.tls:
            client.tls_set(ca_certs=str(target.cafile) if target.cafile else None)

        def on_connect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                self._refused = str(reason)
            self._connected.set()

        def on_publish(_c: mqtt.Client, _u: Any, mid: int, reason: Any, _p: Any) -> None:
            with self._done:
                self._acks[mid] = reason
                self._done.notify_all()

        client.on_connect = on_connect
        client.on_publish = on_publish
        try:
            client.connect(target.host, target.port, keepalive=30)
        except OSError as exc:
            raise ReplayError(f"cannot reach {target.safe()}: {exc.strerror or exc}") from None
        client.loop_start()
        if not self._connected.wait(CONNECT_TIMEOUT_S) or self._refused:
            client.loop_stop()
            raise ReplayError(f"{target.safe()} refused the connection: "
                              f"{self._refused or 'no answer'}")
        self.client = client

    def publish(self, topic: str, payload: bytes) -> bool:
        """Publish QoS 1; whether the broker took it (its PUBACK succeeded)."""
        info = self.client.publish(topic, payload, qos=1)
        deadline = time.monotonic() + PUBACK_TIMEOUT_S
        with self._done:
            while info.mid not in self._acks and time.monotonic() < deadline:
                self._done.wait(deadline - time.monotonic())
            reason = self._acks.pop(info.mid, None)
        return reason is not None and not reason.is_failure

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def replay(items: Sequence[ReplayItem], publish: Callable[[str, bytes], bool], *,
           speed: float, clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> Counter[str]:
    """Publish each item at its offset divided by ``speed`` (0: without waiting).
    Returns ``{"published": n, "refused": n}``."""
    counts: Counter[str] = Counter()
    started = clock()
    for item in items:
        if speed > 0:
            wait = item.offset_s / speed - (clock() - started)
            if wait > 0:
                sleep(wait)
        counts["published" if publish(item.topic, item.payload) else "refused"] += 1
    return counts
