"""Inputs of ``gridpatrol ingest`` besides MQTT: gpsd daemons, NMEA 0183 over UDP and
TCP, the trunk-recorder call folder, TAK clients (:mod:`app.ingest.tak`). Each turns what
it reads into a message as a terminal, trunk-recorder or a TAK client sends it, and
offers it to the service, which journals and applies it exactly as an MQTT message
(:meth:`app.ingest.service.IngestService.offer`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SourceMessage:
    """What a source offers the service: a topic and a payload, as if from MQTT."""

    topic: str
    payload: bytes
    received_at: float  # epoch seconds
    # set once the message is in the journal on disk: True new, False a repeat it knew
    journaled: asyncio.Future[bool] | None = None


Offer = Callable[[SourceMessage], Awaitable[None]]


class Source(Protocol):
    """An input: runs until cancelled, offering what it reads."""

    counters: Counter[str]
    connected: bool

    @property
    def name(self) -> str:
        """How logs and the status name it."""
        ...

    async def run(self, offer: Offer) -> None:
        """Read and offer until cancelled."""
        ...
