"""Load against a served gridpatrol, for ``events.py`` and ``soak.py``: consoles (event
streams read by asyncio tasks, counting what arrives and when), position posts at a steady
rate, and timed requests. Loopback only; every loop is bounded by its caller."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from common import percentile

#: A position is known by its unit and longitude (every post gets a longitude of its own).
Key = tuple[int, float]


@dataclass
class Deliveries:
    """When each position was posted, and when each console saw it."""

    posted_at: dict[Key, float] = field(default_factory=dict)
    acknowledged: set[Key] = field(default_factory=set)
    latencies_s: list[float] = field(default_factory=list)
    received: Counter[int] = field(default_factory=Counter)  # console -> positions seen
    seen_keys: Counter[Key] = field(default_factory=Counter)  # position -> consoles
    events: Counter[str] = field(default_factory=Counter)  # event type -> frames, all consoles

    def saw(self, console: int, data: dict[str, Any], now: float) -> None:
        key = (int(data["id"]), float(data["lon"]))
        sent = self.posted_at.get(key)
        if sent is not None:
            self.latencies_s.append(now - sent)
            self.received[console] += 1
            self.seen_keys[key] += 1


class Console:
    """One open event stream, read until cancelled."""

    def __init__(self, number: int, deliveries: Deliveries) -> None:
        self.number = number
        self.deliveries = deliveries
        self.hello = asyncio.Event()
        self.resyncs = 0
        self.status: int | None = None
        self.ended = False
        self.last_id: str | None = None

    async def run(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str],
                  *, reconnect: bool = False) -> None:
        while True:
            extra = {"Last-Event-ID": self.last_id} if self.last_id else {}
            try:
                async with http.get(url + "/api/v1/events", headers=headers | extra) as answer:
                    self.status = answer.status
                    if answer.status != 200:
                        await answer.read()
                    else:
                        await self._read(answer)
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.ended = True
            if not reconnect:
                return
            await asyncio.sleep(1.0)  # the browser's retry

    async def _read(self, answer: aiohttp.ClientResponse) -> None:
        buffer = b""
        async for chunk in answer.content.iter_any():
            now = time.monotonic()
            buffer += chunk
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                self._block(block, now)

    def _block(self, block: bytes, now: float) -> None:
        event, data, event_id = "", b"", None
        for line in block.split(b"\n"):
            if line.startswith(b"event: "):
                event = line[7:].decode()
            elif line.startswith(b"data: "):
                data = line[6:]
            elif line.startswith(b"id: "):
                event_id = line[4:].decode()
        if event_id is not None:
            self.last_id = event_id
        if not event:
            return
        self.deliveries.events[event] += 1
        if event == "hello":
            self.hello.set()
        elif event == "resync":
            self.resyncs += 1
        elif event == "unit":
            self.deliveries.saw(self.number, json.loads(data), now)


@dataclass
class Timings:
    """Latencies and statuses of one kind of request."""

    seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    def row(self, name: str) -> list[Any]:
        ms = [s * 1000 for s in self.seconds]
        five = sum(n for status, n in self.statuses.items() if status >= 500)
        return [name, len(self.seconds), _ms(percentile(ms, 50) if ms else None),
                _ms(percentile(ms, 95) if ms else None), _ms(percentile(ms, 99) if ms else None),
                _ms(max(ms) if ms else None), five, sum(self.failures.values())]


TIMING_HEADER = ["requests", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "5xx",
                 "no answer"]


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


async def timed(http: aiohttp.ClientSession, timings: Timings, method: str, url: str,
                *, timeout_s: float = 10.0, **kwargs: Any) -> int | None:
    started = time.monotonic()
    try:
        async with http.request(method, url, timeout=aiohttp.ClientTimeout(total=timeout_s),
                                **kwargs) as answer:
            await answer.read()
            timings.seconds.append(time.monotonic() - started)
            timings.statuses[answer.status] += 1
            return answer.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        timings.failures[type(exc).__name__] += 1
        return None


async def steadily(rate_per_s: float, duration_s: float,
                   action: Callable[[int], Any]) -> int:
    """Start ``action(n)`` ``rate_per_s`` times a second for ``duration_s`` (not waiting
    for each to finish, as independent clients would not); returns how many started."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks: set[asyncio.Task[Any]] = set()
    n = 0
    while (due := started + n / rate_per_s) < started + duration_s:
        await asyncio.sleep(max(0.0, due - loop.time()))
        task = asyncio.create_task(action(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    return n


def position_poster(http: aiohttp.ClientSession, url: str, headers: dict[str, str],
                    unit_ids: list[int], deliveries: Deliveries,
                    timings: Timings) -> Callable[[int], Any]:
    """An action for :func:`steadily`: post the n-th position (a unit in turn, a longitude
    of its own), remembering when it was sent and whether it was acknowledged."""
    base_lon = defaultdict(lambda: 24.90)

    async def post(n: int) -> None:
        unit = unit_ids[n % len(unit_ids)]
        lon = round(base_lon[unit] + n * 1e-6, 7)
        key = (unit, lon)
        deliveries.posted_at[key] = time.monotonic()
        status = await timed(http, timings, "POST", f"{url}/api/v1/units/{unit}/position",
                             headers=headers, json={"lon": lon, "lat": 60.17})
        if status == 200:
            deliveries.acknowledged.add(key)
    return post


# -- where the CPU went -----------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def process_groups(front_pid: int, postmaster_pid: int) -> dict[str, list[int]]:
    """The server's processes by part: the front, gunicorn (master and workers), the
    PostgreSQL server (postmaster and backends), this load client."""
    gunicorn = children(front_pid)
    return {"front (events + proxy)": [front_pid],
            "gunicorn (app)": gunicorn + [w for g in gunicorn for w in children(g)],
            "PostgreSQL": [postmaster_pid, *children(postmaster_pid)],
            "load client (this process)": [os.getpid()]}


class CpuMeter:
    """CPU seconds used by each group between :meth:`start` and :meth:`stop` (a process
    that ends meanwhile counts up to its last sample)."""

    def __init__(self, groups: Callable[[], dict[str, list[int]]]) -> None:
        self._groups = groups
        self._seen: dict[int, tuple[str, float, float]] = {}  # pid -> group, first, last
        self._started = 0.0
        self.wall_s = 0.0

    def sample(self) -> None:
        for name, pids in self._groups().items():
            for pid in pids:
                used = cpu_seconds(pid)
                group, first, _ = self._seen.get(pid, (name, used, used))
                self._seen[pid] = (group, first, max(used, first))

    def start(self) -> None:
        self._seen.clear()
        self._started = time.monotonic()
        self.sample()

    def stop(self) -> None:
        self.sample()
        self.wall_s = time.monotonic() - self._started

    def rows(self) -> list[list[Any]]:
        used: Counter[str] = Counter()
        for group, first, last in self._seen.values():
            used[group] += last - first
        return [[group, f"{seconds:.1f}", f"{seconds / max(self.wall_s, 1e-9):.2f}"]
                for group, seconds in used.items()]
