"""TAK interop (Cursor-on-Target) inside ``gridpatrol ingest``: units and open alerts out
to TAK clients, TAK users' positions in through the journal.

::

    TAK clients ──TCP (GRIDPATROL_TAK_TCP)──┐      ┌── feed: units, alerts (CoT) every
    CoT datagrams ──UDP (GRIDPATROL_TAK_UDP)─┼─ link ┤    TAK_INTERVAL_S and on change
    TAK Server, multicast ◄─(TAK_TARGETS)────┘      └── intake: positions → journal

The link (:class:`TakLink`, an ingest input like gpsd or NMEA) holds the listeners and
targets; :mod:`app.ingest.tak.feed` decides what goes out; :mod:`app.ingest.tak.peers`
moves the bytes; :mod:`dispatch.cot` and :mod:`dispatch.cot_in` write and read CoT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask

from app.ingest.sources import Offer
from app.ingest.tak.feed import TakFeed
from app.ingest.tak.peers import Intake, Peer, UdpTarget, listen_udp

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


@dataclass
class TakLink:
    """TAK clients and servers: listeners (``tcp``, ``udp``), ``targets`` to send to
    (``("udp" | "tcp", host, port)``), the outbound feed."""

    app: Flask
    tcp: tuple[tuple[str, int], ...] = ()
    udp: tuple[tuple[str, int], ...] = ()
    targets: tuple[tuple[str, str, int], ...] = ()
    interval_s: float = 10.0
    stale_s: float = 60.0
    connected: bool = False
    counters: Counter[str] = field(default_factory=Counter)
    ports: list[int] = field(default_factory=list)  # the TCP ports listened on

    @property
    def name(self) -> str:
        ends = [f"tcp {h}:{p}" for h, p in self.tcp] + [f"udp {h}:{p}" for h, p in self.udp] \
            + [f"→ {s}://{h}:{p}" for s, h, p in self.targets]
        return "tak " + ", ".join(ends)

    async def run(self, offer: Offer) -> None:
        """Listen, send and take until cancelled."""
        self.intake = Intake(offer, self.counters)
        self.peers: set[Peer] = set()
        self.udp_targets = [UdpTarget(h, p, self.counters) for s, h, p in self.targets
                            if s == "udp"]
        self.feed = TakFeed(self.app, send=self._broadcast, interval_s=self.interval_s,
                            stale_s=self.stale_s, counters=self.counters)
        servers = [await asyncio.start_server(self._accept, host, port)
                   for host, port in self.tcp]
        self.ports = [s.sockets[0].getsockname()[1] for s in servers]
        udp_ready = [asyncio.Event() for _ in self.udp]
        tasks = [asyncio.create_task(self.feed.run())]
        tasks += [asyncio.create_task(listen_udp(h, p, self.intake, self.counters, ready))
                  for (h, p), ready in zip(self.udp, udp_ready, strict=True)]
        tasks += [asyncio.create_task(self._connect(h, p)) for s, h, p in self.targets
                  if s == "tcp"]
        for ready in udp_ready:
            await ready.wait()
        self.connected = True
        logger.info("%s: running", self.name)
        try:
            await asyncio.gather(*tasks)
        finally:
            self.connected = False
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for server in servers:
                server.close()
            for target in self.udp_targets:
                target.close()

    def _broadcast(self, event: bytes) -> None:
        for peer in list(self.peers):
            peer.send(event)
        for target in self.udp_targets:
            target.send(event)

    async def _accept(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        self.counters["tak_clients"] += 1
        await self._serve(Peer(f"client {address[0]}:{address[1]}", reader, writer,
                               self.intake, self.counters))

    async def _connect(self, host: str, port: int) -> None:
        """A TAK Server's streaming input: kept connected (1 s, doubling to 30 s)."""
        backoff = 1.0
        while True:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError as exc:
                logger.warning("TAK server %s:%d: cannot connect (%s); again in %g s",
                               host, port, exc.strerror or type(exc).__name__, backoff)
            else:
                backoff = 1.0
                self.counters["tak_server_connections"] += 1
                await self._serve(Peer(f"server {host}:{port}", reader, writer,
                                       self.intake, self.counters))
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF_S, backoff * 2)

    async def _serve(self, peer: Peer) -> None:
        self.peers.add(peer)
        try:
            await peer.serve(first=list(self.feed.latest.values()))
        finally:
            self.peers.discard(peer)
