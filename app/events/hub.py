"""The events service's hub: one LISTEN connection in the event loop, any number of streams.

:meth:`Hub.run` holds one ``psycopg.AsyncConnection`` listening on the events channel and
numbers every notification into the :class:`~app.events.ring.EventRing`; each open stream
is a :class:`Subscriber` with a bounded backlog of frames still to write. Nothing here
blocks: a slow browser only grows its own backlog, and when that passes ``backlog`` frames
it is dropped for one ``resync`` frame and the stream is ended (the browser reconnects and
reloads its state).

Notifications sent while the listener is away (the database restarting) are lost, so after
a reconnect a ``resync`` is numbered into the ring like any event: every console reloads,
and a console replaying across the gap meets it too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from app.db.notify import listening_async
from app.events.ring import HELLO, RESYNC, EventRing, frame

logger = logging.getLogger(__name__)

RECONNECT_S = 1.0


class TooManyStreams(Exception):
    """A user (``scope="user"``) or the whole service (``"service"``) has as many open
    streams as allowed."""

    def __init__(self, scope: str, limit: int) -> None:
        super().__init__(f"{scope} limit of {limit} open event streams reached")
        self.scope = scope
        self.limit = limit


KEEPALIVE = b": keep-alive\n\n"


@dataclass(eq=False)
class Subscriber:
    """One open stream: the frames it has still to write, and whether it is being ended.

    Its writer (``app.events.stream``) marks when a write starts and ends; the hub's
    :meth:`Hub.keep_streams_alive` uses that to add keep-alives to idle streams and to
    abort a stream whose write has stalled (one timer for all streams, none per write).
    """

    user_id: int
    backlog: int
    pending: deque[bytes] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    ending: bool = False  # write what is pending (a resync, when cut off), then end
    cut_off: bool = False
    idle_since: float = field(default_factory=time.monotonic)
    writing_since: float | None = None
    abort: Callable[[], None] | None = None

    def offer(self, data: bytes, resync: bytes) -> None:
        if self.ending:
            return
        if len(self.pending) >= self.backlog:
            self.pending.clear()
            self.pending.append(resync)
            self.ending = self.cut_off = True
        else:
            self.pending.append(data)
        self.wakeup.set()

    def end(self) -> None:
        """End the stream after what is pending (service shutdown)."""
        self.ending = True
        self.wakeup.set()

    def take(self) -> bytes:
        data = b"".join(self.pending)
        self.pending.clear()
        return data

    def check(self, now: float, *, heartbeat_s: float, write_timeout_s: float) -> None:
        """A keep-alive when idle for ``heartbeat_s``; abort when a write has taken longer
        than ``write_timeout_s`` (the browser stopped reading, its backlog still short)."""
        if self.writing_since is not None:
            if now - self.writing_since > write_timeout_s and self.abort is not None:
                self.cut_off = True
                self.abort()
        elif not self.pending and not self.ending and now - self.idle_since >= heartbeat_s:
            self.pending.append(KEEPALIVE)
            self.wakeup.set()


@dataclass
class HubStats:
    notifications: int = 0
    frames_queued: int = 0
    cut_off: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0


class Hub:
    """Fans the database's notifications out to the open streams of this service."""

    def __init__(self, conninfo: str, *, replay: int, backlog: int, per_user: int,
                 max_streams: int, heartbeat_s: float = 15.0, write_timeout_s: float = 30.0,
                 epoch: str | None = None) -> None:
        self._conninfo = conninfo
        self.heartbeat_s = heartbeat_s
        self.write_timeout_s = write_timeout_s
        self.ring = EventRing(replay, epoch=epoch)
        self._backlog = backlog
        self._per_user = per_user
        self._max_streams = max_streams
        self._subscribers: set[Subscriber] = set()
        self._streams_of: Counter[int] = Counter()
        self.listening = asyncio.Event()
        self.stats = HubStats()

    # -- streams ------------------------------------------------------------------
    def open(self, user_id: int, last_event_id: str | None) -> tuple[Subscriber, bytes]:
        """Register a stream for ``user_id`` and return it with its first frames: the
        replay of what it missed after ``last_event_id``, a ``resync`` when that is not
        known any more, or a ``hello`` with the newest id for a new console."""
        if self._streams_of[user_id] >= self._per_user:
            self.stats.refused["user"] += 1
            raise TooManyStreams("user", self._per_user)
        if len(self._subscribers) >= self._max_streams:
            self.stats.refused["service"] += 1
            raise TooManyStreams("service", self._max_streams)
        if last_event_id is None:
            first = frame(HELLO, {"at": _now()}, event_id=self.ring.last_id)
        else:  # the hello keeps the browser's last id; what follows moves it on
            missed = self.ring.since(last_event_id)
            if missed is not None and len(missed) > self._backlog:
                missed = None  # more than a console may fall behind: reloading is cheaper
            first = frame(HELLO, {"at": _now()}) + (
                self.ring.resync_frame() if missed is None else b"".join(missed))
        subscriber = Subscriber(user_id, self._backlog)
        self._subscribers.add(subscriber)
        self._streams_of[user_id] += 1
        return subscriber, first

    def close(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
            self._streams_of[subscriber.user_id] -= 1
            if self._streams_of[subscriber.user_id] <= 0:
                del self._streams_of[subscriber.user_id]
            if subscriber.cut_off:
                self.stats.cut_off += 1
                logger.info("a console of user %d fell behind and was cut off with a resync "
                            "(%d cut off so far)", subscriber.user_id, self.stats.cut_off)

    @property
    def open_streams(self) -> int:
        return len(self._subscribers)

    def streams_of(self, user_id: int) -> int:
        return self._streams_of[user_id]

    def end_all(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.end()

    async def keep_streams_alive(self) -> None:
        """Until cancelled: keep-alives for idle streams, an end to stalled ones."""
        period = min(1.0, self.heartbeat_s / 2)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for subscriber in list(self._subscribers):
                subscriber.check(now, heartbeat_s=self.heartbeat_s,
                                 write_timeout_s=self.write_timeout_s)

    # -- notifications ------------------------------------------------------------
    def publish(self, payload: str) -> None:
        """Number one notification's payload and queue it on every stream."""
        try:
            data = json.loads(payload)
        except ValueError:
            logger.warning("ignored a malformed event payload")
            return
        if not isinstance(data, dict):
            logger.warning("ignored an event payload that is not an object")
            return
        self.stats.notifications += 1
        self._fan_out(self.ring.append(str(data.get("type", "message")), data))

    def publish_resync(self) -> None:
        """Tell every console to reload its state (numbered, so a replay meets it too)."""
        self._fan_out(self.ring.append(RESYNC, {}))

    def _fan_out(self, encoded: bytes) -> None:
        resync = self.ring.resync_frame()
        for subscriber in self._subscribers:
            subscriber.offer(encoded, resync)
        self.stats.frames_queued += len(self._subscribers)

    async def run(self) -> None:
        """Listen until cancelled; reconnect (and resync every console) after a loss."""
        connected_before = False
        while True:
            try:
                async with listening_async(self._conninfo) as conn:
                    if connected_before:
                        self.stats.reconnects += 1
                        logger.info("event listener reconnected; consoles resync")
                        self.publish_resync()
                    connected_before = True
                    self.listening.set()
                    async for notify in conn.notifies():
                        self.publish(notify.payload)
                        # a burst arrives as one batch: let the streams write between its
                        # events, so a console that keeps up is not cut off by a burst
                        await asyncio.sleep(0)
            except (psycopg.Error, OSError) as exc:
                logger.warning("event listener lost the database (%s); retrying in %g s",
                               type(exc).__name__, RECONNECT_S)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_S)


def _now() -> float:
    return round(time.time(), 3)
