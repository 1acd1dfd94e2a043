"""``gridpatrol ingest``: the long-running service that takes radio and terminal messages
from MQTT, journals them and applies them to PostgreSQL; one asyncio loop.

::

    broker ──QoS 1──► paho (network thread) ──► inbox ──► journal writer ──► journal (fsync)
                          ▲                                    │ then PUBACK
                          └────────── acks ────────────────────┘
    journal ──► applier (a thread per batch: one PostgreSQL transaction) ──► applied_through

- **Nothing lost.** A message is acknowledged to the broker only once it is in the
  journal on disk; until then the broker keeps it (a persistent session, QoS 1) and
  sends it again after any failure. The applier takes journaled messages in order; when
  PostgreSQL is down or restarting the same batch is tried again (back-off up to 5 s)
  while the journal keeps filling.
- **Nothing twice.** The journal refuses a known identity; PostgreSQL's
  ``ingest_messages`` key refuses one applied before (in the batch's own transaction), so
  a crash between the commit and ``applied_through`` costs a duplicate counted, not a
  position twice.
- **Bounded memory.** Past ``GRIDPATROL_INGEST_BACKLOG`` messages journaled and not
  applied, the writer stops taking messages: unacknowledged, they stay with the broker,
  which sends no more than the Receive Maximum (:data:`RECEIVE_MAXIMUM`) unacknowledged.
- **Counters** are published every :data:`STATUS_EVERY_S` into ``ingest_status``, read
  by ``GET /api/v1/ingest/status``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.orm import Session

from app.db import engine
from app.ingest.apply import Applier, BatchResult
from app.ingest.broker import INGEST_CLIENT
from app.ingest.repository import messages
from app.ingest.repository.journal import Entry, Journal, Received
from app.ingest.sources import Source, SourceMessage
from app.ingest.target import MqttTarget
from dispatch.inbound import message_identity
from dispatch.terminals import TERMINAL_KINDS, TOPIC_ROOT

logger = logging.getLogger(__name__)

RECEIVE_MAXIMUM = 200
SESSION_EXPIRY_S = 14 * 86400
BATCH = 500
STATUS_EVERY_S = 2.0
JOURNAL_KEEP_S = 3600.0
OUTCOMES_KEEP = timedelta(days=7)
MAX_BACKOFF_S = 5.0
# Errors that mean the database is away (restarting, connection cut): try the batch again.
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclass(frozen=True)
class Arrival:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: float
    generation: int = -1  # the broker connection it came on (-1: another input)
    journaled: asyncio.Future[bool] | None = None  # told whether it was new, once on disk


def subscriptions(trunk_prefixes: tuple[str, ...]) -> list[str]:
    return [f"{TOPIC_ROOT}/+/{kind}" for kind in TERMINAL_KINDS] + [
        f"{p.rstrip('/')}/#" for p in trunk_prefixes]


class IngestService:
    """One ingest service: a broker connection, a journal, an applier."""

    def __init__(self, app: Flask, *, target: MqttTarget, journal_path: Path,
                 applier: Applier, backlog_limit: int, name: str = "mqtt",
                 client_id: str = INGEST_CLIENT, sources: Sequence[Source] = ()) -> None:
        self.app = app
        self.target = target
        self.journal_path = journal_path
        self.applier = applier
        self.backlog_limit = backlog_limit
        self.name = name
        self.client_id = client_id
        self.sources = list(sources)
        self.counters: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.started_at = datetime.now(UTC)
        self.connected = False
        self.paused = False
        self.database_ok = True
        self.backlog = 0
        self.apply_lag_s = 0.0
        self.generation = 0  # broker connections so far: a mid means something on one only
        self._overflowed = False  # the broker sent past the receive window
        # MQTT messages in memory, not yet journaled, by the connection they came on
        # (paho's thread adds): the broker's Receive Maximum counts per connection, so a
        # new connection's window is free the moment it opens, whatever of the old one
        # still waits in the inbox to be dropped
        self._held: Counter[int] = Counter()
        self._held_lock = threading.Lock()
        self._stopping = False

    # -- the loop --------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; then stop reading, finish the batch in hand and
        publish the last counters."""
        loop = asyncio.get_running_loop()
        self.inbox: asyncio.Queue[Arrival] = asyncio.Queue()
        self.work = asyncio.Event()
        self.journal = Journal(self.journal_path)
        self.backlog = self.journal.backlog()
        self.client = self._connect(loop)
        tasks = [asyncio.create_task(self._write_journal(loop)),
                 asyncio.create_task(self._apply_journal()),
                 asyncio.create_task(self._publish_status())]
        tasks += [asyncio.create_task(source.run(self.offer)) for source in self.sources]
        try:
            await stop.wait()
        finally:
            self._stopping = True
            self.client.disconnect()
            self.client.loop_stop()
            self.work.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    if task is tasks[1]:
                        await asyncio.wait_for(task, 60)
                    else:
                        task.cancel()
                        await task
            with contextlib.suppress(*UNAVAILABLE):
                await asyncio.to_thread(self._write_status, self._status_details())
            self.journal.close()

    def _connect(self, loop: asyncio.AbstractEventLoop) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        client.username_pw_set(self.target.username, self.target.password_now())
        if self.target.tls:
            client.tls_set(ca_certs=str(self.target.cafile) if self.target.cafile else None)
        client.reconnect_delay_set(1, 30)
        topics = subscriptions(self.applier.trunk_prefixes)

        def on_connect(client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                logger.error("broker %s refused the connection: %s", self.target.safe(), reason)
                return
            self.connected = True
            self.generation += 1
            loop.call_soon_threadsafe(self._forget_stale)
            client.subscribe([(t, 1) for t in topics])
            logger.info("connected to %s; subscribed to %s", self.target.safe(),
                        ", ".join(topics))

        def on_disconnect(client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            self.connected = False
            if not self._stopping:
                logger.warning("lost the broker (%s); reconnecting", reason)
                with contextlib.suppress(Exception):  # a rotated password, read again
                    client.username_pw_set(self.target.username, self.target.password_now())

        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            with self._held_lock:
                held = self._held[self.generation]
                if held >= RECEIVE_MAXIMUM and self.backlog + held >= self.backlog_limit:
                    # ingest is taking no more, and more than the Receive Maximum waits in
                    # memory: the broker sent past it (Mosquitto 2.0.11 miscounts its quota
                    # now and then) — not taken, not acknowledged, sent again after a
                    # reconnection — or QoS 0 messages (no flow control; their sender
                    # accepted their loss). While the journal keeps up, a burst past the
                    # window is taken: it drains in milliseconds.
                    if msg.qos > 0:
                        self._overflowed = True
                    else:
                        self.counters["qos0_dropped"] += 1
                    return
                self._held[self.generation] += 1
            arrival = Arrival(msg.topic, bytes(msg.payload), msg.mid, msg.qos, time.time(),
                              self.generation)
            loop.call_soon_threadsafe(self.inbox.put_nowait, arrival)

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_message = on_message
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        client.connect_async(self.target.host, self.target.port, keepalive=30,
                             clean_start=False, properties=props)
        client.loop_start()
        return client

    def _forget_stale(self) -> None:
        """After a reconnection: the messages of the earlier connection still waiting in
        the inbox are dropped — unacknowledged, the broker sends them again on this one
        (their packet ids mean nothing on it), so the inbox stays bounded however often
        the connection drops while ingest is paused."""
        kept, dropped = [], []
        while not self.inbox.empty():
            arrival = self.inbox.get_nowait()
            if arrival.generation in (-1, self.generation):
                kept.append(arrival)
            else:
                dropped.append(arrival)
        for arrival in kept:
            self.inbox.put_nowait(arrival)
        self._release(dropped)
        if dropped:
            self.counters["redelivered_dropped"] += len(dropped)

    def _release(self, arrivals: list[Arrival]) -> None:
        """The arrivals are out of memory: their connections' windows have room again."""
        with self._held_lock:
            for arrival in arrivals:
                if arrival.generation != -1:
                    self._held[arrival.generation] -= 1
            for generation in [g for g, n in self._held.items()
                               if n <= 0 and g != self.generation]:
                del self._held[generation]

    async def offer(self, message: SourceMessage) -> None:
        """A message from another input (gpsd, NMEA over UDP/TCP): journaled and applied as
        an MQTT message is (nothing to acknowledge). Waits while ingest takes no more."""
        while self.paused or self.backlog >= self.backlog_limit:
            await asyncio.sleep(0.2)
        self.inbox.put_nowait(Arrival(message.topic, message.payload, 0, 0,
                                      message.received_at, journaled=message.journaled))

    async def _write_journal(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            while self.backlog >= self.backlog_limit:
                if not self.paused:
                    logger.warning("backlog of %d messages: taking no more from the broker "
                                   "until the database catches up", self.backlog)
                    self.counters["paused"] += 1
                self.paused = True
                await asyncio.sleep(0.2)
            self.paused = False
            if self._overflowed:  # what was not taken comes again on a new connection
                self._overflowed = False
                self.counters["reconnections_for_overflow"] += 1
                logger.warning("the broker sent past the receive window while paused; "
                               "reconnecting to be sent what was not taken")
                old = self.client
                await asyncio.to_thread(old.disconnect)
                await asyncio.to_thread(old.loop_stop)
                self.client = self._connect(loop)
            client = self.client
            room = min(2 * BATCH, self.backlog_limit - self.backlog)
            batch = [await self.inbox.get()]
            while len(batch) < room and not self.inbox.empty():
                batch.append(self.inbox.get_nowait())
            self._release(batch)
            fresh = self.journal.append([
                Received(message_identity(a.topic, a.payload), a.topic, a.payload,
                         a.received_at) for a in batch])
            for arrival in batch:  # on disk now: the broker may forget them
                # (one from an earlier connection is not acknowledged: its packet id may
                # name another message now; the broker sends it again, the journal
                # refuses the repeat)
                if arrival.qos > 0 and arrival.generation == self.generation:
                    client.ack(arrival.mid, arrival.qos)
            for arrival, new_one in zip(batch, fresh, strict=True):
                if arrival.journaled is not None and not arrival.journaled.done():
                    arrival.journaled.set_result(bool(new_one))
            new = sum(fresh)
            self.counters["received"] += len(batch)
            self.counters["journaled"] += new
            self.counters["journal_duplicates"] += len(batch) - new
            self.backlog += new
            self.work.set()

    async def _apply_journal(self) -> None:
        backoff = 0.25
        while True:
            self.work.clear()
            entries = self.journal.pending(BATCH)
            if not entries:
                if self._stopping:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.work.wait(), 0.5)
                continue
            try:
                result = await asyncio.to_thread(self._apply_batch, entries)
            except UNAVAILABLE as exc:
                self._database_lost(exc)
                if self._stopping:
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = 0.25
            if not self.database_ok:
                logger.info("database back: applying the %d messages waiting", self.backlog)
            self.database_ok = True
            self.journal.mark_applied(result.last_seq)
            self.backlog = self.journal.backlog()
            self._count(result)

    def _apply_batch(self, entries: list[Entry]) -> BatchResult:
        """One batch in one transaction; a batch that fails for another reason than the
        database being away is applied one message per transaction, and a message that
        still fails is recorded as refused (it must not block the ones after it)."""
        with self.app.app_context():
            try:
                return self._in_transaction(entries)
            except UNAVAILABLE:
                raise
            except sa.exc.SQLAlchemyError:
                logger.exception("a batch of %d failed; applying it message by message",
                                 len(entries))
            total = BatchResult(last_seq=entries[-1].seq)
            for entry in entries:
                try:
                    part = self._in_transaction([entry])
                except UNAVAILABLE:
                    raise
                except sa.exc.SQLAlchemyError as exc:
                    logger.exception("message %s could not be applied", entry.identity)
                    part = self._record_failure(entry, exc)
                _add(total, part)
            return total

    def _in_transaction(self, entries: list[Entry]) -> BatchResult:
        with Session(bind=engine(self.app), expire_on_commit=False) as session:
            result = self.applier.apply(session, entries)
            session.commit()
            return result

    def _record_failure(self, entry: Entry, exc: Exception) -> BatchResult:
        reason = f"database_error: {type(exc).__name__}"
        with Session(bind=engine(self.app)) as session:
            messages.add_outcomes(session, [{
                "identity": entry.identity, "source": "unknown", "kind": "unknown",
                "topic": entry.topic[:1000], "received_at": datetime.fromtimestamp(
                    entry.received_at, UTC), "outcome": "rejected", "reason": reason,
                "payload": entry.payload.decode("utf-8", "replace")[:4000]}])
            session.commit()
        result = BatchResult(last_seq=entry.seq)
        result.rejected["database_error"] += 1
        return result

    def _database_lost(self, exc: BaseException) -> None:
        self.counters["database_retries"] += 1
        if self.database_ok:
            logger.warning("database unavailable (%s); %d messages wait in the journal",
                           type(exc).__name__, self.backlog)
        self.database_ok = False

    def _count(self, result: BatchResult) -> None:
        for key in ("parsed", "applied", "duplicates", "unmapped", "illegal", "ignored",
                    "nmea_ignored", "positions"):
            self.counters[key] += getattr(result, key)
        self.rejected.update(result.rejected)
        self.counters["rejected"] += sum(result.rejected.values())
        if result.received_at:
            self.apply_lag_s = max(0.0, time.time() - min(result.received_at))

    # -- status --------------------------------------------------------------------------
    async def _publish_status(self) -> None:
        last_prune = 0.0
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            details = self._status_details()
            try:
                await asyncio.to_thread(self._write_status, details)
                if time.monotonic() - last_prune > 600:
                    last_prune = time.monotonic()
                    self.journal.prune(keep_s=JOURNAL_KEEP_S)
                    await asyncio.to_thread(self._prune_outcomes)
            except UNAVAILABLE:
                continue  # the applier reports the database; counters go out when back

    def _status_details(self) -> dict[str, Any]:
        oldest = self.journal.oldest_pending()
        return {"connected": self.connected, "paused": self.paused,
                "database_ok": self.database_ok, "backlog": self.backlog,
                "backlog_limit": self.backlog_limit,
                "lag_s": round(time.time() - oldest, 3) if oldest else 0.0,
                "apply_lag_s": round(self.apply_lag_s, 3), "broker": self.target.safe(),
                "sources": {source.name: source.connected for source in self.sources},
                "inputs": {source.name: {"connected": source.connected,
                                         "counters": dict(source.counters)}
                           for source in self.sources}}

    def _write_status(self, details: dict[str, Any]) -> None:
        counters = dict(self.counters) | {"rejected_by_reason": dict(self.rejected)}
        for source in self.sources:
            for key, value in source.counters.items():
                counters[key] = counters.get(key, 0) + value
        with self.app.app_context(), Session(bind=engine(self.app)) as session:
            messages.publish_status(session, name=self.name, started_at=self.started_at,
                                    updated_at=datetime.now(UTC), counters=counters,
                                    details=details)
            session.commit()

    def _prune_outcomes(self) -> None:
        with self.app.app_context(), Session(bind=engine(self.app)) as session:
            messages.prune_outcomes(session, before=datetime.now(UTC) - OUTCOMES_KEEP)
            session.commit()


def _add(total: BatchResult, part: BatchResult) -> None:
    for key in ("parsed", "applied", "duplicates", "unmapped", "illegal", "ignored",
                "nmea_ignored", "positions"):
        setattr(total, key, getattr(total, key) + getattr(part, key))
    total.rejected.update(part.rejected)
    total.received_at.extend(part.received_at)
