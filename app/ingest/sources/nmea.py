"""NMEA 0183 over UDP and TCP as ingest inputs, as vehicle AVL boxes send it: each
receiver epoch of a source becomes one message on its radio's ``…/nmea`` topic
(:mod:`dispatch.nmea_streams` cuts the epochs and names the radio), journaled and applied
as a terminal's NMEA is.

UDP: every datagram is read line by line, its source the sender's address (or an
``@<device id>`` line at its head); an epoch still open is sent after :data:`QUIET_S`
without a datagram from that source. TCP: a connection is one source (its address, or its
``@<device id>`` line); lines longer than :data:`MAX_LINE` end the connection; an idle
connection is closed after :data:`IDLE_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.ingest.sources import Offer, SourceMessage
from dispatch.nmea_streams import EpochSplitter, device_line, source_radio
from dispatch.terminals import TOPIC_ROOT

logger = logging.getLogger(__name__)

QUIET_S = 1.0
IDLE_S = 300.0
MAX_LINE = 4096
MAX_UDP_SOURCES = 10_000


@dataclass
class _Stream:
    splitter: EpochSplitter = field(default_factory=EpochSplitter)
    device: str | None = None
    last: float = 0.0


async def _send(address: str, stream: _Stream, epochs: list[list[str]], offer: Offer,
                sources: Mapping[str, str], counters: Counter[str]) -> None:
    radio = source_radio(address, stream.device, sources=sources)
    for lines in epochs:
        counters["nmea_epochs"] += 1
        await offer(SourceMessage(f"{TOPIC_ROOT}/{radio}/nmea",
                                  ("\r\n".join(lines) + "\r\n").encode(), time.time()))


@dataclass
class NmeaUdpSource:
    """NMEA datagrams on ``host:port``."""

    host: str
    port: int
    sources: Mapping[str, str] = field(default_factory=dict)
    connected: bool = False
    counters: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return f"nmea-udp {self.host}:{self.port}"

    async def run(self, offer: Offer) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue(maxsize=10_000)
        dropped = self.counters

        class Protocol(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                try:
                    queue.put_nowait((data, addr[0]))
                except asyncio.QueueFull:
                    dropped["nmea_udp_dropped"] += 1  # back-pressure: UDP may be lost

        transport, _ = await loop.create_datagram_endpoint(
            Protocol, local_addr=(self.host, self.port))
        self.connected = True
        logger.info("%s: listening", self.name)
        streams: dict[str, _Stream] = {}
        try:
            while True:
                try:
                    data, address = await asyncio.wait_for(queue.get(), QUIET_S)
                except TimeoutError:
                    data, address = b"", ""
                now = time.monotonic()
                if data:
                    self.counters["nmea_datagrams"] += 1
                    stream = streams.get(address)
                    if stream is None:
                        if len(streams) >= MAX_UDP_SOURCES:
                            streams.pop(next(iter(streams)))
                        stream = streams[address] = _Stream()
                    stream.last = now
                    epochs: list[list[str]] = []
                    for raw in data.decode("utf-8", "replace").splitlines():
                        device = device_line(raw)
                        if device is not None:
                            stream.device = device
                        else:
                            epochs += stream.splitter.feed(raw)
                    await _send(address, stream, epochs, offer, self.sources, self.counters)
                for quiet_address, quiet in list(streams.items()):
                    if now - quiet.last >= QUIET_S:
                        await _send(quiet_address, quiet, quiet.splitter.flush(), offer,
                                    self.sources, self.counters)
        finally:
            self.connected = False
            transport.close()


@dataclass
class NmeaTcpSource:
    """An NMEA line server on ``host:port``: each connection one source."""

    host: str
    port: int
    sources: Mapping[str, str] = field(default_factory=dict)
    connected: bool = False
    counters: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return f"nmea-tcp {self.host}:{self.port}"

    async def run(self, offer: Offer) -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            address = str(writer.get_extra_info("peername")[0])
            self.counters["nmea_connections"] += 1
            stream = _Stream(last=time.monotonic())
            try:
                while True:
                    try:
                        line = await asyncio.wait_for(reader.readline(), QUIET_S)
                    except TimeoutError:
                        await _send(address, stream, stream.splitter.flush(), offer,
                                    self.sources, self.counters)
                        if time.monotonic() - stream.last > IDLE_S:
                            break
                        continue
                    if not line:
                        break
                    stream.last = time.monotonic()
                    text = line.decode("utf-8", "replace")
                    device = device_line(text)
                    if device is not None:
                        stream.device = device
                        continue
                    await _send(address, stream, stream.splitter.feed(text), offer,
                                self.sources, self.counters)
            except (ValueError, OSError) as exc:  # a line too long, a reset
                logger.warning("%s: %s dropped (%s)", self.name, address,
                               type(exc).__name__)
            finally:
                await _send(address, stream, stream.splitter.flush(), offer, self.sources,
                            self.counters)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

        server = await asyncio.start_server(serve, self.host, self.port, limit=MAX_LINE)
        self.connected = True
        logger.info("%s: listening", self.name)
        try:
            async with server:
                await server.serve_forever()
        finally:
            self.connected = False
