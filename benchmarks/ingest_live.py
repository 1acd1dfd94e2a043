"""Position published on MQTT → visible on a dispatcher's console in chromium, at a steady
rate, against the issue's target (p95 ≤ 1 s at 200 messages/s).

Set-up (not timed): a database of its own in the embedded cluster with `--units` units,
each holding a radio and a position; the own Mosquitto in a folder of its own; the ingest
service in a process of its own; `gridpatrol serve` (front + gunicorn, 2 × 8); Debian's
chromium through Playwright, signed in as a dispatcher on the map console, live.

Run: positions are published (QoS 1, as gridpatrol-replay over 4 connections, a unit in
turn, each with a longitude of its own) at `--rate` a second for `--seconds`. In the page,
an EventSource of its own records when each `unit` event arrives, and Leaflet's
`CircleMarker.setLatLng` is wrapped to record when the console moves a unit's marker and
when the next frame is drawn after it (requestAnimationFrame). A position counts as
visible once its marker shows it *or a later position of the same unit* (ingest applies a
batch per transaction, and a unit moved twice within one is announced once, at its newest
position). Latency = from just before `publish()` to that moment, on the one clock of
this machine.

    cd benchmarks && ../.venv/bin/python ingest_live.py [--rate 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from common import bench_database, percentile, table
from ingest_rig import Publisher, ingest_counters, ingest_process, own_broker, seed_units
from playwright.sync_api import Page, sync_playwright

from app.auth import users
from app.db import get_session
from tests.served import served

CHROMIUM = "/usr/bin/chromium"
PASSWORD = secrets.token_urlsafe(16)  # the benchmark's own dispatcher, in its own database
HOOKS = """(() => {
  const bench = window.__bench = {sse: [], moved: []};
  const source = new EventSource("/api/v1/events");
  source.addEventListener("unit", (e) => {
    const u = JSON.parse(e.data);
    bench.sse.push([u.lon, Date.now()]);
  });
  const original = L.CircleMarker.prototype.setLatLng;
  L.CircleMarker.prototype.setLatLng = function (latlng) {
    const answer = original.apply(this, arguments);
    const where = L.latLng(latlng), at = Date.now();
    requestAnimationFrame(() => bench.moved.push([where.lng, at, Date.now()]));
    return answer;
  };
  return true;
})()"""


def wait_in_page(page: Page, expression: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s:g} s: {expression} "
                                 f"(on {page.url})")
        page.wait_for_timeout(100)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with bench_database("gridpatrol_bench_ingest_live") as bench, own_broker() as broker:
        app, conninfo = bench["app"], bench["app_conninfo"]
        units = seed_units(conninfo, args.units, "LV")
        with app.app_context():
            session = get_session()
            users.create_user(session, "bench-dispatcher", PASSWORD, "dispatcher")
            session.commit()
        url_of_db = app.config["DATABASE_URL"]
        log = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-")) / "serve.log"
        with ingest_process(url_of_db, broker), \
                served(url_of_db, log, workers=2, threads=8) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda error: print("page error:", error, flush=True))
            page.on("console", lambda m: print("console:", m.text, flush=True)
                    if m.type in ("error", "warning") else None)
            page.goto(server.url + "/login")
            page.fill("#username", "bench-dispatcher")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("#sign-in")
            wait_in_page(page, "window.gridpatrol && gridpatrol.dispatchReady === true "
                               "&& gridpatrol.live === true")
            wait_in_page(page, f"Object.keys(gridpatrol.dispatch.units).length >= {len(units)}")
            page.evaluate(HOOKS)
            page.wait_for_timeout(1000)  # the page's own stream open
            publisher = Publisher(broker)
            published: dict[float, tuple[int, float]] = {}  # lon → (unit index, sent at)
            per_unit: dict[int, list[float]] = defaultdict(list)  # unit → lons in order
            started = time.monotonic()
            n = 0
            while (elapsed := time.monotonic() - started) < args.seconds:
                due = int(elapsed * args.rate) + 1
                while n < due:
                    unit = n % len(units)
                    lon = round(24.90 + (n + 1) * 1e-6, 7)  # a longitude of its own
                    radio = units[unit][1]
                    payload = json.dumps({"lon": lon, "lat": round(60.17 + unit * 1e-4, 7),
                                          "at": datetime.now(UTC).isoformat()}).encode()
                    published[lon] = (unit, time.time())
                    per_unit[unit].append(lon)
                    publisher.publish(n, f"gridpatrol/units/{radio}/position", payload)
                    n += 1
                time.sleep(0.005)
            page.wait_for_timeout(5000)  # stragglers
            seen = page.evaluate("window.__bench")
            seen["stored"] = stored_positions(conninfo, [u for u, _ in units])
            acked = publisher.acked
            publisher.close()
            counters = ingest_counters(conninfo)
            browser.close()
    return {"published": published, "per_unit": per_unit, "seen": seen, "acked": acked,
            "counters": counters, "n": n}


def stored_positions(conninfo: str, unit_ids: list[int]) -> list[list[float]]:
    """``[lon, ms]`` of each position stored: the start of the transaction that stored it
    (PostgreSQL's clock, this machine's)."""
    with psycopg.connect(conninfo) as conn:
        return [[float(lon), float(at) * 1000] for lon, at in conn.execute(
            "SELECT ST_X(geom), extract(epoch FROM received_at) FROM unit_positions "
            "WHERE unit_id = ANY(%s)", (unit_ids,))]


def latencies(result: dict[str, Any], stage: str, column: int) -> tuple[list[float], int]:
    """Per published position: seconds until its unit showed it or a later one."""
    published, per_unit = result["published"], result["per_unit"]
    first: dict[float, float] = {}
    for row in result["seen"][stage]:
        lon, at_ms = round(float(row[0]), 7), row[column]
        if lon in published:
            first[lon] = min(first.get(lon, float("inf")), at_ms / 1000)
    values, missing = [], 0
    for lons in per_unit.values():
        # earliest time any position at or after index i was shown: a suffix minimum
        suffix = [float("inf")] * (len(lons) + 1)
        for i in range(len(lons) - 1, -1, -1):
            suffix[i] = min(suffix[i + 1], first.get(lons[i], float("inf")))
        for i, lon in enumerate(lons):
            if suffix[i] == float("inf"):
                missing += 1
            else:
                values.append(suffix[i] - published[lon][1])
    return values, missing


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    rows = []
    for name, stage, column in (("stored in PostgreSQL (its transaction began)", "stored", 1),
                                ("SSE event in the page (EventSource)", "sse", 1),
                                ("marker moved (setLatLng)", "moved", 1),
                                ("marker drawn (next animation frame)", "moved", 2)):
        values, missing = latencies(result, stage, column)
        ms = [v * 1000 for v in values]
        p95 = percentile(ms, 95) if ms else float("nan")
        rows.append([name, f"{len(values):,}", missing, f"{percentile(ms, 50):.0f}",
                     f"{p95:.0f}", f"{percentile(ms, 99):.0f}", f"{max(ms):.0f}",
                     "1,000", f"{p95 / 1000:.2f}"])
    print(table(rows, ["published → …", "positions", "never shown", "p50 ms", "p95 ms",
                       "p99 ms", "max ms", "target p95 ms", "ratio"]))
    counters = result["counters"]
    exact = sum(1 for row in result["seen"]["moved"]
                if round(float(row[0]), 7) in result["published"])
    print(f"{result['n']:,} published at {args.rate:g}/s for {args.seconds:g} s to "
          f"{args.units} units, {result['acked']:,} acknowledged by the broker; ingest "
          f"applied {counters.get('applied', 0):,} (duplicates {counters.get('duplicates', 0)},"
          f" rejected {counters.get('rejected', 0)}); the console moved markers "
          f"{len(result['seen']['moved']):,} times, {exact:,} to a published position "
          "(the rest were superseded within an ingest batch)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=200.0, help="positions a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--units", type=int, default=100)
    args = parser.parse_args()
    report(args, run(args))


if __name__ == "__main__":
    main()
