"""Event ids and the bounded ring of recent events that a reconnecting console replays.

Every event the service sends gets an id ``<epoch>.<n>``: ``epoch`` names this run of the
events service (random, new at each start), ``n`` counts the notifications it received, in
commit order. A browser's ``EventSource`` sends the last id it saw as ``Last-Event-ID``
when it reconnects; :meth:`EventRing.since` answers the frames it missed, or ``None``
when that cannot be known (another run, an id older than the ring, a malformed id) and the
console must reload its state (``resync``).

Frames are encoded once, as the bytes every stream writes, so one event costs one
``json.dumps`` whatever the number of consoles.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from itertools import islice
from typing import Any

HELLO = "hello"
RESYNC = "resync"


def frame(event: str, data: dict[str, Any], *, event_id: str | None = None) -> bytes:
    """One Server-Sent Events frame (``id``, ``event`` and one ``data`` line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


class EventRing:
    """The last ``size`` events of this run, by id."""

    def __init__(self, size: int, *, epoch: str | None = None) -> None:
        if size < 1:
            raise ValueError("the ring must hold at least one event")
        self.epoch = epoch or secrets.token_hex(4)
        self._frames: deque[bytes] = deque(maxlen=size)
        self._last = 0  # n of the newest event; the ring holds n - len + 1 .. n

    @property
    def last_id(self) -> str:
        """The id of the newest event (``<epoch>.0`` before the first)."""
        return f"{self.epoch}.{self._last}"

    def append(self, event: str, data: dict[str, Any]) -> bytes:
        """Number the event, keep its frame and return it."""
        self._last += 1
        encoded = frame(event, data, event_id=self.last_id)
        self._frames.append(encoded)
        return encoded

    def resync_frame(self) -> bytes:
        """A ``resync`` frame carrying the newest id: after reloading its state, a console
        that reconnects asks only for what came after."""
        return frame(RESYNC, {}, event_id=self.last_id)

    def since(self, last_event_id: str) -> list[bytes] | None:
        """The frames after ``last_event_id`` (oldest first), or ``None`` when they are not
        all here any more (or the id is not one of this run's)."""
        epoch, _, number = last_event_id.strip().partition(".")
        if epoch != self.epoch or not number.isdigit():
            return None
        n = int(number)
        oldest = self._last - len(self._frames) + 1
        if n > self._last or n < oldest - 1:
            return None
        return list(islice(self._frames, n - oldest + 1, None))
