"""The MQTT radio gateway: outbound messages published QoS 1 to the terminals' order
topics, ``gridpatrol/units/<radio_id>/orders``, one per radio the unit holds.

``sent`` means the broker answered every PUBLISH with a successful PUBACK (MQTT 5: a
refusal such as ``Not authorized`` comes back as a failure) within ``timeout_s``. Each
PUBLISH carries a Message Expiry Interval, so a terminal that reconnects after the message
stopped mattering never gets it; the payload is the same JSON as the outbox file's line
(``format: gridpatrol.radio/1``, with ``message_id``, ``kind``, ``alert`` and the text),
which the terminal answers on ``…/receipt`` and ``…/ack`` with that ``message_id``.

One connection per gateway (client id ``gridpatrol-app``), opened on first use and kept;
``send`` is called from one thread at a time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from app.dispatch.gateways import DeliveryResult, RadioGateway
from app.ingest.target import MqttTarget, MqttUrlError
from dispatch.errors import TerminalMessageError
from dispatch.radio import RadioMessage, encode_message
from dispatch.terminals import orders_topic

logger = logging.getLogger(__name__)


class MqttGateway(RadioGateway):
    """Publish outbound messages to the units' radios over MQTT (see the module)."""

    def __init__(self, target: MqttTarget, *, client_id: str = "gridpatrol-app",
                 timeout_s: float = 5.0, expiry_s: float = 1800.0) -> None:
        self.target = target
        self.client_id = client_id
        self.timeout_s = timeout_s
        self.expiry_s = expiry_s
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._refused: str | None = None
        self._results: dict[int, Any] = {}
        self._done = threading.Condition()

    def __repr__(self) -> str:
        return f"MqttGateway({self.target.safe()!r})"

    # -- connection ------------------------------------------------------------------------
    def _client_now(self) -> mqtt.Client:
        if self._client is not None:
            return self._client
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5)
        client.username_pw_set(self.target.username, self.target.password_now())
        if self.target.tls:
            client.tls_set(ca_certs=str(self.target.cafile) if self.target.cafile else None)
        client.reconnect_delay_set(1, 10)

        def on_connect(client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                self._refused = str(reason)
                logger.error("broker %s refused the orders connection: %s",
                             self.target.safe(), reason)
                return
            self._refused = None
            self._connected.set()

        def on_disconnect(client: mqtt.Client, _u: Any, _f: Any, reason: Any,
                          _p: Any) -> None:
            self._connected.clear()
            with contextlib.suppress(MqttUrlError):  # a rotated password, read again
                client.username_pw_set(self.target.username, self.target.password_now())

        def on_publish(_c: mqtt.Client, _u: Any, mid: int, reason: Any, _p: Any) -> None:
            with self._done:
                if len(self._results) > 10_000:  # answers to sends that timed out
                    self._results.clear()
                self._results[mid] = reason
                self._done.notify_all()

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_publish = on_publish
        client.connect_async(self.target.host, self.target.port, keepalive=30)
        client.loop_start()
        self._client = client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
            self._connected.clear()

    # -- sending ---------------------------------------------------------------------------
    def send(self, message: RadioMessage) -> DeliveryResult:
        """Publish ``message`` to every radio in ``message.radio_ids``; delivered (taken
        by the broker) when every PUBACK succeeded in time."""
        if not message.radio_ids:
            return DeliveryResult(False, f"{message.callsign} holds no radio")
        try:
            topics = [orders_topic(radio_id) for radio_id in message.radio_ids]
        except TerminalMessageError as exc:
            return DeliveryResult(False, f"a radio id cannot be a topic: {exc}")
        try:
            client = self._client_now()
        except MqttUrlError as exc:
            return DeliveryResult(False, str(exc))
        if not self._connected.wait(self.timeout_s):
            why = f"refused: {self._refused}" if self._refused else "not reachable"
            return DeliveryResult(False, f"broker {self.target.safe()} {why}")
        payload = encode_message(message)
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = max(1, round(self.expiry_s))
        pending = {}
        for radio_id, topic in zip(message.radio_ids, topics, strict=True):
            info = client.publish(topic, payload, qos=1, properties=props)
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                return DeliveryResult(False, f"publish failed: {mqtt.error_string(info.rc)}")
            pending[info.mid] = radio_id
        deadline = time.monotonic() + self.timeout_s
        with self._done:
            while not all(mid in self._results for mid in pending):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._done.wait(left)
            results = {mid: self._results.pop(mid, None) for mid in pending}
        missing = [pending[mid] for mid, reason in results.items() if reason is None]
        refused = [f"{pending[mid]}: {reason}" for mid, reason in results.items()
                   if reason is not None and reason.is_failure]
        if missing:
            return DeliveryResult(False, f"no PUBACK within {self.timeout_s:g} s for radio "
                                         f"{', '.join(missing)}")
        if refused:
            return DeliveryResult(False, "refused by the broker: " + "; ".join(refused))
        return DeliveryResult(True, "PUBACK for " + ", ".join(topics))
