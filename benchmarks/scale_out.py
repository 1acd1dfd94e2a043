"""Scaling out, measured on one node pair: analysis on the primary versus a streaming
replica, replica lag under a position-write load, the cost of NOTIFY on commits, and the
partitioned position history (track query; retention by DROP versus DELETE).

Set-up (not timed): a fresh database; London burglary (31,413 incidents) and its box
imported; 300 units; then a replica made with ``pg_basebackup -R``
(``Cluster.start_standby``) on its own socket. Both servers run on this one machine and
share its cores, so the replica adds no capacity here: the tables show what each node
does, not the gain of a second machine.

1. ``GET /api/v1/hotspots`` (Gi*, 250 m, 999 permutations, in-process test client) with
   reads on the primary, then on the replica (``GRIDPATROL_READ_DATABASE_URL``), idle and
   under the write load. "load" is reading the incidents from PostgreSQL (the part a
   replica takes over) and building the grid; the rest is Gi* maths on the app node.
2. Write load: ``--writers`` threads each committing position posts as the API does (one
   fix into ``unit_positions`` and the unit's row updated, which NOTIFYs) for
   ``--seconds``; replica lag sampled every 100 ms from ``pg_stat_replication``.
3. NOTIFY: the same posts with the units trigger disabled (ratio = the cost of fan-out on
   the committing side).
4. History: ``--rows`` fixes over two past months; the plan-versus-actual track query (one
   unit, one 8-hour shift) on the partitioned table and on a plain copy; then retention:
   one month dropped as a partition versus the same number of fixes deleted from the
   plain copy (time and WAL the replica must replay).

Run: ``cd benchmarks && ../.venv/bin/python scale_out.py`` (about two minutes).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from common import ROOT, SHARED, bench_database, percentile, table

from app import create_app, db
from app.analysis.import_incidents import import_incidents
from app.auth import users
from app.db.cluster import ADMIN_ROLE, APP_ROLE, OWNER_ROLE
from app.db.partitions import maintain_position_partitions, month_of
from app.geography.import_boundary import import_boundary

BURGLARY = SHARED / "incidents" / "london_burglary"
BOX = (-0.322, 51.462, -0.045, 51.542)
HOTSPOTS = ("/api/v1/hotspots?method=gi_star&cell_m=250&permutations=999&category=burglary"
            "&from=2023-01&to=2024-12")
UNITS = 300
POST_SQL = ("INSERT INTO unit_positions (unit_id, at, source, geom) VALUES "
            "(%(u)s, now(), 'api', ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326))",
            "UPDATE units SET fix_at = now(), geom = ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), "
            "4326), updated_at = now() WHERE id = %(u)s")


def box_file(folder: Path) -> Path:
    west, south, east, north = BOX
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path = folder / "box.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "London central"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def set_up(bench: dict[str, Any], folder: Path) -> str:
    """Incidents, units and an analyst; returns the analyst's token."""
    with bench["app"].test_request_context():
        session = db.get_session()
        import_boundary(session, box_file(folder), reason="benchmark")
        import_incidents(session, [BURGLARY], rejects_path=folder / "r.csv",
                         reason="benchmark")
        user = users.create_user(session, "bench-analyst", "bench-password-1", "analyst")
        token = users.issue_token(session, user, label="bench")
        session.commit()
    with psycopg.connect(bench["app_conninfo"], autocommit=True) as conn:
        conn.execute("INSERT INTO units (callsign, kind, status, geom) SELECT 'B-' || n, "
                     "'car', 'available', ST_SetSRID(ST_MakePoint(-0.2, 51.5), 4326) "
                     "FROM generate_series(1, %s) n", (UNITS,))
    return token


def analyse(app: Any, token: str, runs: int) -> list[tuple[float, float, str]]:
    """(total s, db s, source) per request."""
    client = app.test_client()
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(HOTSPOTS, headers={"Authorization": f"Bearer {token}"})
        total = time.perf_counter() - start
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        load_ms = json.loads(response.get_data(as_text=True))["properties"]["timings_ms"]["load"]
        found.append((total, load_ms / 1000, response.headers["X-Read-Source"]))
    return found


class WriteLoad:
    """Writer threads committing position posts until stopped; a sampler of replica lag."""

    def __init__(self, conninfo: str, admin: str, writers: int) -> None:
        self.conninfo, self.admin, self.writers = conninfo, admin, writers
        self.stop = threading.Event()
        self.commits = 0
        self.lag_s: list[float] = []
        self.lag_bytes: list[int] = []
        self.lock = threading.Lock()

    def _write(self, seed: int) -> None:
        rng = random.Random(seed)
        with psycopg.connect(self.conninfo) as conn:
            while not self.stop.is_set():
                fix = {"u": rng.randint(1, UNITS), "x": -0.2 + rng.uniform(-0.05, 0.05),
                       "y": 51.5 + rng.uniform(-0.03, 0.03)}
                for statement in POST_SQL:
                    conn.execute(statement, fix)
                conn.commit()
                with self.lock:
                    self.commits += 1

    def _sample(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT extract(epoch FROM replay_lag), "
                    "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) "
                    "FROM pg_stat_replication LIMIT 1").fetchone()
                if row is not None:
                    self.lag_s.append(float(row[0] or 0.0))
                    self.lag_bytes.append(int(row[1] or 0))
                time.sleep(0.1)

    def __enter__(self) -> WriteLoad:
        self.threads = [threading.Thread(target=self._write, args=(n,), daemon=True)
                        for n in range(self.writers)]
        self.threads.append(threading.Thread(target=self._sample, daemon=True))
        self.started = time.perf_counter()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        self.elapsed = time.perf_counter() - self.started


def posts_per_s(conninfo: str, admin: str, writers: int, seconds: float) -> float:
    with WriteLoad(conninfo, admin, writers) as load:
        time.sleep(seconds)
    return load.commits / load.elapsed


def history(bench: dict[str, Any], owner: str, rows: int) -> list[list[Any]]:
    """Track query on partitioned vs plain, and retention by DROP vs DELETE."""
    now = datetime.now(UTC)
    old, older = month_of(now - timedelta(days=62)), month_of(now - timedelta(days=93))
    per_month = rows // 2
    with psycopg.connect(owner, autocommit=True) as conn:
        for month in (older, old):
            span = (month.end - month.start).total_seconds()
            conn.execute(
                "INSERT INTO unit_positions (unit_id, at, source, geom) SELECT "
                "1 + (n %% %(units)s), %(start)s + (n * %(step)s) * interval '1 second', "
                "'nmea', ST_SetSRID(ST_MakePoint(-0.2 + (n %% 997) * 1e-5, 51.5), 4326) "
                "FROM generate_series(0, %(n)s - 1) n",
                {"units": UNITS, "start": month.start, "step": span / per_month,
                 "n": per_month})
    owner_engine = db.make_engine(bench["owner_url"], poolclass=sa.pool.NullPool)
    with owner_engine.begin() as conn:
        maintain_position_partitions(conn, now=now, retention_days=400)  # file them
    owner_engine.dispose()
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_positions_plain AS SELECT * FROM unit_positions")
        conn.execute("CREATE INDEX ON bench_positions_plain (unit_id, at)")
        conn.execute("ANALYZE unit_positions; ANALYZE bench_positions_plain")
        rng = random.Random(7)
        timings: dict[str, list[float]] = {"unit_positions": [], "bench_positions_plain": []}
        queries = [(rng.randint(1, UNITS), old.start + timedelta(
            hours=rng.randint(0, 24 * 27))) for _ in range(200)]
        for name in timings:
            for unit, start in queries:  # the plan-versus-actual track query
                began = time.perf_counter()
                conn.execute(psycopg.sql.SQL(
                    "SELECT DISTINCT ON (at) at, geom FROM {} WHERE unit_id = %s AND at "
                    "BETWEEN %s AND %s ORDER BY at, id").format(psycopg.sql.Identifier(name)),
                    (unit, start, start + timedelta(hours=8))).fetchall()
                timings[name].append(time.perf_counter() - began)
        parted, plain = (statistics.median(timings[n]) for n in timings)
        found = [["track query, one unit × 8 h (p50 ms)", f"{1000 * parted:.2f}",
                  f"{1000 * plain:.2f}", f"{parted / plain:.2f}"]]
        wal = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        began = time.perf_counter()
        conn.execute(psycopg.sql.SQL("DROP TABLE {}").format(psycopg.sql.Identifier(older.name)))
        drop_s = time.perf_counter() - began
        drop_wal = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)",
                                (wal,)).fetchone()[0]  # type: ignore[index]
        wal = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        began = time.perf_counter()
        deleted = conn.execute("DELETE FROM bench_positions_plain WHERE at >= %s AND at < %s",
                               (older.start, older.end)).rowcount
        delete_s = time.perf_counter() - began
        delete_wal = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)",
                                  (wal,)).fetchone()[0]  # type: ignore[index]
        conn.execute("DROP TABLE bench_positions_plain")
    found.append([f"retention: one month ({deleted:,} fixes) (ms)", f"{1000 * drop_s:.1f} "
                  "(DROP partition)", f"{1000 * delete_s:.0f} (DELETE)",
                  f"{drop_s / delete_s:.4f}"])
    found.append(["retention: WAL the replica replays (kB)", f"{drop_wal / 1024:.0f}",
                  f"{delete_wal / 1024:.0f}", f"{drop_wal / max(delete_wal, 1):.4f}"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rows", type=int, default=600_000)
    args = parser.parse_args()
    name = "gridpatrol_bench_scale"
    with bench_database(name) as bench, tempfile.TemporaryDirectory() as tmp:
        cluster = bench["cluster"]
        bench["owner_url"] = cluster.url(OWNER_ROLE, name)
        token = set_up(bench, Path(tmp))
        root = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-replica-"))
        standby = cluster.start_standby(root, port=cluster.port + 1)
        try:
            config = {"SECRET_KEY": "bench-" + "x" * 40,
                      "DATABASE_URL": cluster.url(APP_ROLE, name)}
            on_primary = create_app(config)
            on_replica = create_app(config | {"READ_DATABASE_URL": standby.url(APP_ROLE, name)})
            analyse(on_primary, token, 1), analyse(on_replica, token, 1)  # warm
            admin, writer = cluster.conninfo(ADMIN_ROLE, name), bench["app_conninfo"]
            rows = []
            for label, load in (("idle", False), (f"{args.writers} writers", True)):
                for app in (on_primary, on_replica):
                    if load:
                        with WriteLoad(writer, admin, args.writers) as running:
                            runs = analyse(app, token, args.runs)
                    else:
                        runs = analyse(app, token, args.runs)
                    rows.append([label, runs[0][2], f"{statistics.median(r[0] for r in runs):.2f}",
                                 f"{percentile([r[0] for r in runs], 95):.2f}",
                                 f"{1000 * statistics.median(r[1] for r in runs):.0f}"])
            base = float(rows[0][2])
            for row in rows:
                row.append(f"{float(row[2]) / base:.2f}")
            print("Hot spots (Gi*, 250 m, 999 permutations, 31,413 incidents), per request:")
            print(table(rows, ["writes", "read from", "p50 s", "p95 s", "load p50 ms",
                               "ratio to idle primary"]))

            with WriteLoad(writer, admin, args.writers) as running:
                time.sleep(args.seconds)
            lag = running.lag_s or [0.0]
            print(f"\nReplica lag under {args.writers} writers × position posts, "
                  f"{args.seconds:.0f} s:")
            print(table([[f"{running.commits / running.elapsed:.0f}",
                          f"{1000 * statistics.median(lag):.1f}",
                          f"{1000 * percentile(lag, 95):.1f}", f"{1000 * max(lag):.1f}",
                          f"{max(running.lag_bytes or [0]) / 1024:.0f}"]],
                         ["posts/s", "lag p50 ms", "lag p95 ms", "lag max ms",
                          "max behind kB"]))

            owner = cluster.conninfo(OWNER_ROLE, name)
            notify_rows = []
            for writers in sorted({args.writers, 2 * args.writers}):
                rates: dict[bool, list[float]] = {True: [], False: []}
                for notify in (True, False, True, False):  # alternated: the box is noisy
                    with psycopg.connect(owner, autocommit=True) as conn:
                        conn.execute("ALTER TABLE units {} TRIGGER units_notify".format(
                            "ENABLE" if notify else "DISABLE"))
                    rates[notify].append(posts_per_s(writer, admin, writers, args.seconds / 4))
                with_notify, without = (statistics.mean(rates[k]) for k in (True, False))
                notify_rows.append([writers, f"{with_notify:.0f}", f"{without:.0f}",
                                    f"{with_notify / without:.2f}"])
            print("\nPosition posts committed per second (each NOTIFYs through the units "
                  "trigger):")
            print(table(notify_rows, ["writers", "with NOTIFY", "trigger disabled", "ratio"]))

            print(f"\nPosition history, {args.rows:,} fixes over two months, {UNITS} units:")
            print(table(history(bench, owner, args.rows),
                        ["what", "partitioned", "plain table", "ratio"]))
            for app in (on_primary, on_replica):
                for engine in (db.engine(app), db.read_engine(app)):
                    if engine is not None:
                        engine.dispose()
        finally:
            standby.stop()
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    assert ROOT.is_dir()
    main()
