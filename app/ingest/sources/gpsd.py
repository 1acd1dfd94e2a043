"""gpsd daemons as an ingest input: a client per daemon watches its JSON reports, one
position per device and receiver epoch (:mod:`dispatch.gpsd`), sent on as the position of
the radio the device is mapped to. A daemon that is away or closes the connection is
connected to again (after 1 s, doubling to 30 s)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.ingest.sources import Offer, SourceMessage
from dispatch.errors import TerminalMessageError
from dispatch.gpsd import EPOCH_WAIT_S, EpochCollector, GpsdFix, TimeSource, Tpv, read_report
from dispatch.gpsd import radio_for as gpsd_radio_for
from dispatch.terminals import TOPIC_ROOT

logger = logging.getLogger(__name__)

WATCH = b'?WATCH={"enable":true,"json":true};\n'
MAX_BACKOFF_S = 30.0
MAX_LINE = 256 * 1024


@dataclass
class GpsdSource:
    """One gpsd daemon (``host:port``) and how its devices map to radios."""

    host: str
    port: int
    devices: Mapping[str, str] = field(default_factory=dict)
    daemons: Mapping[str, str] = field(default_factory=dict)
    time_source: TimeSource = "receiver"
    connected: bool = False
    counters: Counter[str] = field(default_factory=Counter)
    _unmapped: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"  # as GRIDPATROL_GPSD_DEVICES names the daemon

    async def run(self, offer: Offer) -> None:
        """Read the daemon until cancelled, reconnecting when it goes away."""
        backoff = 1.0
        while True:
            collector = EpochCollector(time_source=self.time_source)
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port,
                                                               limit=MAX_LINE)
            except OSError as exc:
                logger.warning("gpsd %s: cannot connect (%s); again in %g s", self.name,
                               exc.strerror or type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF_S, backoff * 2)
                continue
            try:
                writer.write(WATCH)
                await writer.drain()
                self.connected, backoff = True, 1.0
                logger.info("gpsd %s: watching", self.name)
                await self._read(reader, collector, offer)
            except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                logger.warning("gpsd %s: connection lost (%s); again in %g s", self.name,
                               type(exc).__name__, backoff)
            finally:
                self.connected = False
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            for fix in collector.flush(datetime.now(UTC), wait_s=0):
                await self._send(fix, offer)
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF_S, backoff * 2)

    async def _read(self, reader: asyncio.StreamReader, collector: EpochCollector,
                    offer: Offer) -> None:
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), EPOCH_WAIT_S)
            except TimeoutError:
                line = None
            now = datetime.now(UTC)
            if line == b"":
                raise ConnectionResetError("gpsd closed the connection")
            fixes: list[GpsdFix] = []
            if line:
                fixes += self._take(line, collector, now)
            fixes += collector.flush(now)
            for fix in fixes:
                await self._send(fix, offer)

    def _take(self, line: bytes, collector: EpochCollector, now: datetime) -> list[GpsdFix]:
        try:
            report = read_report(line.decode("utf-8", "replace"))
        except TerminalMessageError as exc:
            self.counters[f"gpsd_rejected_{exc.reason}"] += 1
            return []
        if isinstance(report, Tpv):
            self.counters["gpsd_reports"] += 1
            return collector.feed(report, now)
        if report == "no_fix":
            self.counters["gpsd_no_fix"] += 1
        return []

    async def _send(self, fix: GpsdFix, offer: Offer) -> None:
        radio = gpsd_radio_for(fix.device, self.name, devices=self.devices,
                               daemons=self.daemons)
        if radio is None:
            self.counters["gpsd_unmapped"] += 1
            if fix.device not in self._unmapped:
                self._unmapped.add(fix.device)
                logger.warning("gpsd %s: device %s is mapped to no radio "
                               "(GRIDPATROL_GPSD_DEVICES); its fixes are dropped", self.name,
                               fix.device)
            return
        self.counters["gpsd_fixes"] += 1
        await offer(SourceMessage(f"{TOPIC_ROOT}/{radio}/position",
                                  json.dumps(fix.payload()).encode(), time.time()))
