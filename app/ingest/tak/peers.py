"""The TAK network's ends: TCP peers (TAK clients connected to gridpatrol, a TAK Server
gridpatrol connects to), UDP listeners and UDP targets (unicast or multicast, TAK's SA
default being 239.2.3.1:6969).

Every TCP peer both ways: the feed's events go out through a bounded queue (a peer more
than :data:`OUT_QUEUE` events behind, or whose write stalls :data:`WRITE_TIMEOUT_S`, is
dropped: it reconnects and gets the whole picture again), and what it sends is cut into
events (:class:`dispatch.cot_in.CotStream`) for the :class:`Intake`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import struct
import time
from collections import Counter
from collections.abc import Iterable

from app.ingest.sources import Offer, SourceMessage
from dispatch.cot import UID_PREFIX
from dispatch.cot_in import COT_TOPIC, CotStream, is_position_report, peek_cot
from dispatch.errors import TerminalMessageError

logger = logging.getLogger(__name__)

OUT_QUEUE = 2000
WRITE_TIMEOUT_S = 10.0
READ_CHUNK = 16 * 1024
UDP_QUEUE = 10_000
MULTICAST_TTL = 1  # the LAN segment: a router forwards no further


class Intake:
    """Where CoT from TAK users goes: to the journal, unless it is gridpatrol's own event
    echoed back, or not a position report (chat, markers, drawings, pings: counted)."""

    def __init__(self, offer: Offer, counters: Counter[str]) -> None:
        self.offer = offer
        self.counters = counters

    async def take(self, event: bytes) -> None:
        name = peek_cot(event)
        if name.uid.startswith(UID_PREFIX + "."):
            self.counters["tak_own_echoes"] += 1
            return
        if name.type and not is_position_report(name.type, name.how):
            self.counters["tak_not_positions"] += 1  # what is unreadable goes on, refused
            return
        self.counters["tak_events_in"] += 1
        await self.offer(SourceMessage(COT_TOPIC, event, time.time()))


class Peer:
    """One TCP connection to or from a TAK client or server."""

    def __init__(self, name: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, intake: Intake, counters: Counter[str]) -> None:
        self.name = name
        self.reader = reader
        self.writer = writer
        self.intake = intake
        self.counters = counters
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(OUT_QUEUE)
        self.dropped = False

    def send(self, event: bytes) -> None:
        """Queue ``event``; a peer that fell :data:`OUT_QUEUE` behind is dropped."""
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self.counters["tak_peers_too_slow"] += 1
            logger.warning("TAK %s fell %d events behind: dropped", self.name, OUT_QUEUE)
            self.writer.transport.abort()

    async def serve(self, first: Iterable[bytes] = ()) -> None:
        """Send ``first`` (the picture so far), then both ways until either side ends."""
        for event in first:
            self.send(event)
        tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._read())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()

    async def _write(self) -> None:
        while True:
            events = [await self.queue.get()]
            while not self.queue.empty():
                events.append(self.queue.get_nowait())
            self.writer.write(b"".join(events))
            try:
                await asyncio.wait_for(self.writer.drain(), WRITE_TIMEOUT_S)
            except (TimeoutError, OSError):
                self.counters["tak_peers_stalled"] += 1
                logger.warning("TAK %s: writing stalled or failed; dropped", self.name)
                return

    async def _read(self) -> None:
        stream = CotStream()
        while True:
            try:
                data = await self.reader.read(READ_CHUNK)
            except OSError:
                return
            if not data:
                return
            try:
                events = stream.feed(data)
            except TerminalMessageError as exc:
                self.counters[f"tak_refused_{exc.reason}"] += 1
                logger.warning("TAK %s: %s; connection closed", self.name, exc)
                return
            for event in events:
                await self.intake.take(event)


async def listen_udp(host: str, port: int, intake: Intake, counters: Counter[str],
                     ready: asyncio.Event) -> None:
    """Take CoT datagrams on ``host:port`` until cancelled; a multicast group address
    is joined (on every interface the system picks)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(UDP_QUEUE)

    class Protocol(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                counters["tak_udp_dropped"] += 1

    transport, _ = await loop.create_datagram_endpoint(Protocol, sock=_udp_socket(host, port))
    ready.set()
    try:
        while True:
            data = await queue.get()
            counters["tak_datagrams"] += 1
            try:
                events = CotStream().feed(data)
            except TerminalMessageError as exc:
                counters[f"tak_refused_{exc.reason}"] += 1
                continue
            for event in events:
                await intake.take(event)
    finally:
        transport.close()


def _udp_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if _multicast(host):
        sock.bind(("", port))  # a group's datagrams are addressed to the group, any interface
        membership = struct.pack("4sl", socket.inet_aton(host), socket.INADDR_ANY)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    else:
        sock.bind((host, port))
    sock.setblocking(False)
    return sock


class UdpTarget:
    """Datagrams to ``host:port`` (a multicast group: sent with a TTL of 1)."""

    def __init__(self, host: str, port: int, counters: Counter[str]) -> None:
        self.host = host
        self.port = port
        self.counters = counters
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        if _multicast(host):
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MULTICAST_TTL)

    def send(self, event: bytes) -> None:
        try:
            self.sock.sendto(event, (self.host, self.port))
        except OSError:  # full buffer, no route: UDP may lose it; the next interval resends
            self.counters["tak_udp_send_failed"] += 1

    def close(self) -> None:
        self.sock.close()


def _multicast(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_multicast
    except ValueError:
        return False
