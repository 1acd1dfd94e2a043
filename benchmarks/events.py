"""Live events at scale: 500 consoles on `gridpatrol serve`, every position to every one.

Set-up (not timed): a database of its own in the embedded cluster; 300 units; 50 viewer
users with a token each (10 consoles each: the default `GRIDPATROL_EVENTS_PER_USER`); a
device token that posts positions. The real server (`gridpatrol serve`: the front and
gunicorn, 2 workers × 8 threads, as `make demo` runs it) on 127.0.0.1.

1. Proxy cost, no consoles open: `GET /api/v1/units` through the front against the same
   request sent straight to gunicorn's unix socket.
2. 500 consoles open (asyncio, aiohttp, in this process); for `--seconds` positions are
   posted at `--rate` a second through the API (a unit in turn), while `GET /api/v1/units`
   and `/healthz` are timed at a steady 5 and 1 a second. Counted: positions acknowledged
   (200) × consoles against positions received by all consoles; delivery latency from the
   post being sent to each console reading its event.
3. The old design for comparison (`--old`, on by default): the same app under gunicorn
   alone, each event stream generated in the request thread that opened it (as
   `app/events.py` did before): 30 consoles, then the same health checks and posts.

Targets: all received; `GET /api/v1/units` p95 <= 200 ms; position -> console p95 <= 1 s.
Run: `cd benchmarks && ../.venv/bin/python events.py` (about three minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from common import ROOT, bench_database, percentile, table
from live import (
    TIMING_HEADER,
    Console,
    CpuMeter,
    Deliveries,
    Timings,
    position_poster,
    process_groups,
    steadily,
    timed,
)

sys.path.insert(0, str(ROOT))
from app.auth import users  # noqa: E402
from app.db import get_session  # noqa: E402
from tests.served import free_port, served  # noqa: E402

UNITS = 300
USERS = 50


def seed(bench: dict[str, Any]) -> dict[str, Any]:
    """Units, viewers with tokens, one device token."""
    with psycopg.connect(bench["app_conninfo"]) as conn:
        unit_ids = [row[0] for row in conn.execute(
            "INSERT INTO units (callsign, kind, status, geom) SELECT 'B-' || n, 'patrol_car', "
            "'available', ST_SetSRID(ST_MakePoint(24.90 + n * 1e-4, 60.17), 4326) "
            "FROM generate_series(1, %s) AS n RETURNING id", (UNITS,)).fetchall()]
    with bench["app"].app_context():
        session = get_session()
        viewers = []
        for n in range(USERS):
            user = users.create_user(session, f"bench-viewer-{n}", "correct horse battery",
                                     "viewer")
            viewers.append(users.issue_token(session, user, label="bench"))
        device = users.create_user(session, "bench-radio", "correct horse battery", "device")
        device_token = users.issue_token(session, device, label="bench")
        session.commit()
    return {"units": unit_ids, "viewers": viewers, "device": device_token}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def proxy_cost(url: str, socket_path: Path, token: str, requests: int = 200
                     ) -> list[list[Any]]:
    """`GET /api/v1/units` through the front, and straight to gunicorn's socket."""
    rows = []
    for name, connector, base in (
            ("through the front", aiohttp.TCPConnector(), url),
            ("straight to gunicorn (unix socket)", aiohttp.UnixConnector(str(socket_path)),
             "http://localhost")):
        async with aiohttp.ClientSession(connector=connector) as http:
            timings = Timings()
            for _ in range(requests // 10):  # warm
                await timed(http, Timings(), "GET", base + "/api/v1/units", headers=bearer(token))
            for _ in range(requests):
                await timed(http, timings, "GET", base + "/api/v1/units", headers=bearer(token))
            rows.append(timings.row(name))
    return rows


async def consoles_under_load(url: str, seeded: dict[str, Any], *, consoles: int,
                              rate: float, seconds: float, meter: CpuMeter
                              ) -> dict[str, Any]:
    deliveries = Deliveries()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        viewers = [Console(n, deliveries) for n in range(consoles)]
        opened = time.monotonic()
        tasks = [asyncio.create_task(c.run(http, url, bearer(seeded["viewers"][n % USERS])))
                 for n, c in enumerate(viewers)]
        try:
            async with asyncio.timeout(120):
                await asyncio.gather(*(c.hello.wait() for c in viewers))
        except TimeoutError:
            pass
        connected = sum(c.hello.is_set() for c in viewers)
        open_s = time.monotonic() - opened
        posts, units, health = Timings(), Timings(), Timings()
        poster = position_poster(http, url, bearer(seeded["device"]), seeded["units"],
                                 deliveries, posts)
        viewer = bearer(seeded["viewers"][0])

        async def get_units(_: int) -> None:
            await timed(http, units, "GET", url + "/api/v1/units", headers=viewer)

        async def get_health(_: int) -> None:
            await timed(http, health, "GET", url + "/healthz")

        async def sample(_: int) -> None:
            meter.sample()

        meter.start()
        await asyncio.gather(steadily(rate, seconds, poster),
                             steadily(5, seconds, get_units), steadily(1, seconds, get_health),
                             steadily(1, seconds, sample))
        meter.stop()
        expected = len(deliveries.acknowledged) * connected
        deadline = time.monotonic() + 15
        while sum(deliveries.received.values()) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"connected": connected, "open_s": open_s, "deliveries": deliveries,
            "posts": posts, "units": units, "health": health,
            "resyncs": sum(c.resyncs for c in viewers)}


# -- the design before: one request thread per open stream -------------------------------

OLD_APP = '''
import time
from app import create_app

flask_app = create_app()


def app(environ, start_response):
    """/api/v1/events as before: a generator in the request thread, for as long as the
    browser keeps it open (the app checks who asks, as it did)."""
    if environ.get("PATH_INFO") != "/api/v1/events":
        return flask_app(environ, start_response)
    check = dict(environ, HTTP_X_GRIDPATROL_EVENTS_GATE="1")
    status = []
    body = b"".join(flask_app(check, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        start_response(status[0], [("Content-Type", "application/json")])
        return [body]
    start_response("200 OK", [("Content-Type", "text/event-stream")])

    def stream():
        yield b"retry: 2000\\n\\nevent: hello\\ndata: {}\\n\\n"
        while True:
            time.sleep(15)
            yield b": keep-alive\\n\\n"
    return stream()
'''


@contextmanager
def old_design(database_url: str) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="gridpatrol-old-"))
    (folder / "old_events_app.py").write_text(OLD_APP)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDPATROL_")}
    env |= {"GRIDPATROL_DATABASE_URL": database_url,
            "GRIDPATROL_SECRET_KEY": "bench-old-" + "x" * 40,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)])}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "8", "--worker-class", "gthread", "--timeout", "120", "--preload",
         "old_events_app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def old_design_under_streams(url: str, seeded: dict[str, Any], *, consoles: int
                                   ) -> dict[str, Any]:
    deliveries = Deliveries()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async with asyncio.timeout(60):  # the app is up
            while await timed(http, Timings(), "GET", url + "/healthz") != 200:
                await asyncio.sleep(0.5)
        viewers = [Console(n, deliveries) for n in range(consoles)]
        tasks = [asyncio.create_task(c.run(http, url, bearer(seeded["viewers"][n % USERS])))
                 for n, c in enumerate(viewers)]
        await asyncio.sleep(5)
        health, posts = Timings(), Timings()
        # each check on a connection of its own, as a load balancer's probe or curl
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(
                force_close=True)) as probe:
            poster = position_poster(probe, url, bearer(seeded["device"]), seeded["units"],
                                     deliveries, posts)
            for n in range(10):
                await timed(probe, health, "GET", url + "/healthz", timeout_s=5)
                await poster(n)
        connected = sum(c.hello.is_set() for c in viewers)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"connected": connected, "health": health, "posts": posts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--consoles", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="positions a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-old", action="store_true", help="skip the old design")
    args = parser.parse_args()
    with bench_database("gridpatrol_bench_events") as bench:
        seeded = seed(bench)
        url_of_db = bench["app"].config["DATABASE_URL"]
        log = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-")) / "serve.log"
        with served(url_of_db, log, workers=2, threads=8) as server:
            port = server.url.rsplit(":", 1)[1]
            socket_path = ROOT / "instance" / "run" / f"app-{port}.sock"
            print(f"server up: {server.url} (log {log})", flush=True)
            proxy_rows = asyncio.run(proxy_cost(server.url, socket_path, seeded["viewers"][0]))
            postmaster = int((bench["cluster"].data_dir / "postmaster.pid").read_text()
                             .split()[0])
            meter = CpuMeter(lambda: process_groups(server.process.pid, postmaster))
            result = asyncio.run(consoles_under_load(server.url, seeded,
                                                     consoles=args.consoles, rate=args.rate,
                                                     seconds=args.seconds, meter=meter))
            result["cpu"] = meter.rows()
        old = None
        if not args.no_old:
            with old_design(url_of_db) as old_url:
                old = asyncio.run(old_design_under_streams(old_url, seeded, consoles=30))
    report(args, proxy_rows, result, old)


def report(args: argparse.Namespace, proxy_rows: list[list[Any]], result: dict[str, Any],
           old: dict[str, Any] | None) -> None:
    print("\nGET /api/v1/units with no console open (2 workers × 8 threads):")
    print(table(proxy_rows, TIMING_HEADER))
    deliveries: Deliveries = result["deliveries"]
    acknowledged = len(deliveries.acknowledged)
    expected = acknowledged * result["connected"]
    received = sum(deliveries.received.values())
    latency = [s * 1000 for s in deliveries.latencies_s]
    print(f"\n{result['connected']} of {args.consoles} consoles open in "
          f"{result['open_s']:.1f} s; {acknowledged} positions acknowledged at "
          f"{args.rate:g}/s for {args.seconds:g} s; resyncs: {result['resyncs']}")
    print(table([
        ["positions × consoles", expected, received, f"{received / max(expected, 1):.4f}",
         f"{percentile(latency, 50):.0f}" if latency else "—",
         f"{percentile(latency, 95):.0f}" if latency else "—",
         f"{percentile(latency, 99):.0f}" if latency else "—",
         f"{max(latency):.0f}" if latency else "—"]],
        ["delivery", "sent", "received", "ratio", "p50 ms", "p95 ms", "p99 ms", "max ms"]))
    print(table([result["units"].row("GET /api/v1/units"), result["posts"].row(
        "POST position"), result["health"].row("GET /healthz")], TIMING_HEADER))
    print(f"\nCPU during the {args.seconds:g} s of load (2 cores; the machine is shared):")
    print(table(result["cpu"], ["process", "CPU s", "cores"]))
    if old is not None:
        print("\nThe old design (streams in request threads, gunicorn 2 × 8) with 30 "
              f"consoles ({old['connected']} got their hello):")
        print(table([old["health"].row("GET /healthz (5 s timeout)"),
                     old["posts"].row("POST position (10 s timeout)")], TIMING_HEADER))


if __name__ == "__main__":
    main()
