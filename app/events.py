"""Live events: PostgreSQL NOTIFY in, Server-Sent Events out.

Triggers (migration 0003) announce every committed change to units, alerts, alert
timelines, the radio log and cameras on the ``gridpatrol_events`` channel. Each server
process runs one listener thread (started on the first subscriber, not in the factory)
holding one extra connection with ``LISTEN``; it fans each payload out to the queues of
that process's open event streams. Several processes, or a CLI import, therefore all reach
every browser: the database is the bus.

A browser that falls behind (its queue full) is told to reload its state
(``event: resync``) instead of growing memory without bound; after a listener reconnect the
same happens, since notifications sent while it was away are lost.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from flask import Flask

from app.db import app_database_url
from app.db.notify import listening

logger = logging.getLogger(__name__)

QUEUE_SIZE = 500
HEARTBEAT_S = 15.0
RECONNECT_S = 2.0
RESYNC = "__resync__"


class EventHub:
    """One listener per process; any number of subscribers (one per open event stream)."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._lock = threading.Lock()
        self._subscribers: set[queue.Queue[str]] = set()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()

    def subscribe(self) -> queue.Queue[str]:
        """A new queue receiving every payload from now on (JSON text, or RESYNC)."""
        subscriber: queue.Queue[str] = queue.Queue(QUEUE_SIZE)
        with self._lock:
            self._subscribers.add(subscriber)
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._ready.clear()
                self._thread = threading.Thread(target=self._run, name="gridpatrol-events",
                                                daemon=True)
                self._thread.start()
        self._ready.wait(timeout=5.0)
        return subscriber

    def unsubscribe(self, subscriber: queue.Queue[str]) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def stop(self) -> None:
        """Stop the listener (tests; a server process just exits)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5.0)

    def _publish(self, payload: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber.put_nowait(payload)
            except queue.Full:
                _drain(subscriber)
                subscriber.put_nowait(RESYNC)

    def _run(self) -> None:
        first = True
        while not self._stopping.is_set():
            try:
                with listening(self._conninfo) as conn:
                    self._ready.set()
                    if not first:
                        self._publish(RESYNC)
                    first = False
                    while not self._stopping.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._publish(notify.payload)
            except psycopg.Error:
                logger.exception("event listener lost its connection; retrying")
                self._ready.set()
                time.sleep(RECONNECT_S)


def _drain(subscriber: queue.Queue[str]) -> None:
    while True:
        try:
            subscriber.get_nowait()
        except queue.Empty:
            return


_create_lock = threading.Lock()


def hub(app: Flask) -> EventHub:
    """This app's hub, created on first use."""
    ext = app.extensions.setdefault("gridpatrol_events", {})
    with _create_lock:
        if "hub" not in ext:
            url = app.config.get("EVENTS_DATABASE_URL") or app_database_url(app)
            ext["hub"] = EventHub(_conninfo(url))
    return ext["hub"]  # type: ignore[no-any-return]


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def stream(app: Flask, *, heartbeat_s: float = HEARTBEAT_S,
           types: frozenset[str] | None = None) -> Iterator[str]:
    """Server-Sent Events text for one browser until it disconnects."""
    events = hub(app)
    subscriber = events.subscribe()
    try:
        yield "retry: 2000\n\n"
        yield _sse("hello", {"at": time.time()})
        while True:
            try:
                payload = subscriber.get(timeout=heartbeat_s)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if payload == RESYNC:
                yield _sse("resync", {})
                continue
            try:
                data = json.loads(payload)
            except ValueError:
                logger.warning("ignored a malformed event payload")
                continue
            kind = str(data.get("type", "message"))
            if types is None or kind in types:
                yield _sse(kind, data)
    finally:
        events.unsubscribe(subscriber)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
