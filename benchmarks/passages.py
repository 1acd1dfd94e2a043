"""Plate search over 10 million checkpoint passages: a partial plate within one day.

Set-up (timed, not judged): a database of its own; 100 checkpoints; 2 million vehicles
(plates like 粤B3K7Q2: nine provinces, 粤 most; the five last characters mostly digits)
passing them 10 million times over 30 days (a few vehicles very often, most rarely),
written with COPY into the daily partitions the way a bulk load is done: the plate
indexes, the unique read key, the primary key and the foreign key dropped first and built
again after (the design's own indexes, as migration 0022 makes them).

Timed: partial plates of five kinds, each built from a plate that passed that day so
that something is found — prefix ``粤B3K*``, suffix ``*7Q2``, middle ``*K7Q*``, one
unknown character twice ``粤B3?7?2``, province and suffix ``粤B*Q2`` — within one day:

* **design** — ``app.passages.repository.find_passages`` on the daily partitions with the
  trigram GIN index and the ``(plate, passed_at)`` b-tree in collation C (the planner
  picks one per pattern), and the whole API ``GET /api/v1/passages`` (reason checked,
  audited with the hash chain, JSON) through the Flask test client;
* **references**, the same statement with its ``LIKE`` on the same rows without the index
  design: the daily partitions without the plate indexes (index scans off: the day's
  partition read whole); one plain table without partitions and without any index (the
  "sequential scan / LIKE" of the issue); the same plain table with a b-tree on the time
  (what a first design has).

Also timed: a whole plate's trace over the 30 days (the b-tree, every partition), and
vehicles through one checkpoint then another within 15 minutes in one day.
Target: a partial plate within a day ≤ 500 ms p95. Everything is dropped at the end.

Run: ``cd benchmarks && ../.venv/bin/python passages.py`` (about 10 minutes on the
2-core test machine; ``--rows`` for fewer).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import bench_database, percentile, table  # noqa: E402

from app.auth import users  # noqa: E402
from app.db import get_session, maintain_partitions  # noqa: E402
from app.db.cluster import OWNER_ROLE  # noqa: E402
from app.db.partitions import PASSAGES  # noqa: E402
from app.passages.repository import find_passages, through_a_then_b  # noqa: E402

DAYS = 30
CHECKPOINTS = 100
VEHICLES = 2_000_000
PROVINCES = np.array(list("粤粤粤粤粤粤湘赣桂闽川豫鄂"))
LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
DIGITS = np.array(list("0123456789"))
DROP = [
    "ALTER TABLE passages DROP CONSTRAINT passages_checkpoint_id_fkey",
    "ALTER TABLE passages DROP CONSTRAINT passages_pkey",
    "DROP INDEX uq_passages_read", "DROP INDEX ix_passages_plate_at",
    "DROP INDEX ix_passages_plate_trgm"]
BUILD = [  # as migration 0022 makes them
    ("primary key", "ALTER TABLE passages ADD CONSTRAINT passages_pkey "
                    "PRIMARY KEY (id, passed_at)"),
    ("unique read", "CREATE UNIQUE INDEX uq_passages_read ON passages "
                    "(checkpoint_id, passed_at, lane, plate) NULLS NOT DISTINCT"),
    ("b-tree (plate, time)", "CREATE INDEX ix_passages_plate_at ON passages "
                             "(plate, passed_at)"),
    ("trigram GIN (plate)", "CREATE INDEX ix_passages_plate_trgm ON passages USING gin "
                            "(plate gin_trgm_ops)"),
    ("foreign key", "ALTER TABLE passages ADD CONSTRAINT passages_checkpoint_id_fkey "
                    "FOREIGN KEY (checkpoint_id) REFERENCES checkpoints (id) "
                    "ON DELETE RESTRICT"),
]
REFERENCE = """SELECT p.id, p.passed_at, p.plate, p.direction, p.lane, p.vehicle_type,
    p.vehicle_colour, p.plate_colour, c.id, c.code, c.name, ST_X(c.geom), ST_Y(c.geom)
FROM {table} p JOIN checkpoints c ON c.id = p.checkpoint_id
WHERE p.passed_at >= %s AND p.passed_at < %s AND p.plate LIKE %s
ORDER BY p.passed_at, p.id LIMIT 501"""


def make_plates(rng: np.random.Generator) -> np.ndarray:
    """2 million distinct-looking plates: province, letter, five characters (a letter in a
    quarter of them at one place)."""
    n = VEHICLES
    tail = DIGITS[rng.integers(0, 10, size=(n, 5))]
    lettered = rng.random(n) < 0.25
    where = rng.integers(0, 5, size=n)
    tail[lettered, where[lettered]] = LETTERS[rng.integers(0, len(LETTERS),
                                                          size=int(lettered.sum()))]
    heads = np.char.add(PROVINCES[rng.integers(0, len(PROVINCES), n)],
                        LETTERS[np.minimum(rng.geometric(0.5, n) - 1, len(LETTERS) - 1)])
    return np.char.add(heads, np.array(["".join(r) for r in tail]))


def generate(conn: psycopg.Connection, rows: int, first_day: datetime, ids: list[int],
             rng: np.random.Generator) -> float:
    """COPY ``rows`` passages over the days from ``first_day``; the seconds it took."""
    plates = make_plates(rng)
    directions = np.array(["东向西", "西向东", "南向北", "北向南"])
    kinds = np.array(["小型汽车", "小型汽车", "小型汽车", "大型汽车", "挂车"])
    colours = np.array(["白", "黑", "银", "灰", "红", "蓝"])
    checkpoint_ids = np.array(ids)
    start = time.perf_counter()
    chunk = 500_000
    with conn.cursor() as cur, cur.copy(
            "COPY passages (checkpoint_id, passed_at, plate, direction, lane, vehicle_type, "
            "vehicle_colour, plate_colour, source) FROM STDIN") as copy:
        for done in range(0, rows, chunk):
            n = min(chunk, rows - done)
            vehicle = (VEHICLES * rng.random(n) ** 3).astype(np.int64)  # few very often
            day = rng.integers(0, DAYS, n)
            micros = (day * 86_400_000_000 + rng.integers(0, 86_400_000_000, n))
            at = (np.datetime64(first_day.replace(tzinfo=None), "us")
                  + micros.astype("timedelta64[us]"))
            stamps = np.datetime_as_string(at, unit="us")
            columns = zip(checkpoint_ids[rng.integers(0, len(ids), n)].tolist(),
                          stamps.tolist(), plates[vehicle].tolist(),
                          directions[rng.integers(0, 4, n)].tolist(),
                          rng.integers(1, 5, n).tolist(),
                          kinds[rng.integers(0, len(kinds), n)].tolist(),
                          colours[rng.integers(0, len(colours), n)].tolist(), strict=True)
            copy.write("".join(f"{c}\t{t}+00\t{p}\t{d}\t{lane}\t{k}\t{col}\t蓝\timport\n"
                               for c, t, p, d, lane, k, col in columns))
            print(f"\r  copied {done + n:,} of {rows:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return time.perf_counter() - start


def patterns(plates: list[str]) -> list[tuple[str, str]]:
    """The five kinds of partial plate, each from one plate seen that day."""
    kinds = [("prefix", lambda p: p[:4] + "*"), ("suffix", lambda p: "*" + p[-3:]),
             ("middle", lambda p: "*" + p[3:6] + "*"),
             ("two unknown", lambda p: p[:3] + "?" + p[4] + "?" + p[6:]),
             ("province+suffix", lambda p: p[:2] + "*" + p[-2:])]
    out = []
    for i, plate in enumerate(plates):
        name, make = kinds[i % len(kinds)]
        out.append((name, make(plate)))
    return out


def like_of(text: str) -> str:
    return text.replace("*", "%").replace("?", "_")


def timed_ms(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return (time.perf_counter() - start) * 1000, value


def stats(values: list[float]) -> tuple[float, float]:
    return percentile(values, 50), percentile(values, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=100,
                        help="partial plates timed on the design (20 per kind)")
    parser.add_argument("--reference-queries", type=int, default=10)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = today - timedelta(days=DAYS)
    with bench_database("gridpatrol_bench_passages") as bench:
        app = bench["app"]
        owner_url = bench["cluster"].url(OWNER_ROLE, bench["name"])
        owner = owner_url.replace("+psycopg", "")
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            ids = [row[0] for row in conn.execute(
                "INSERT INTO checkpoints (code, name, geom) SELECT 'K' || lpad(i::text, 3, "
                "'0'), 'checkpoint ' || i, ST_SetSRID(ST_MakePoint(8.60 + random() * 0.15, "
                "49.38 + random() * 0.05), 4326) FROM generate_series(1, %s) i RETURNING id",
                (CHECKPOINTS,))]
            for now in (first_day, first_day + timedelta(days=15)):  # the 30 days' partitions
                maintain_partitions(owner_url, now=now, retention_days=3650, history=PASSAGES)
            for statement in DROP:
                conn.execute(statement)
            copy_s = generate(conn, args.rows, first_day, ids, rng)
            built = []
            for name, statement in BUILD:
                start = time.perf_counter()
                conn.execute(statement)
                built.append([name, f"{time.perf_counter() - start:.1f}"])
                print(f"  built {name}", file=sys.stderr)
            conn.execute("VACUUM ANALYZE passages")
            size = conn.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) "
                                "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                "WHERE i.inhparent = 'passages'::regclass").fetchone()[0]
            print(f"\n{args.rows:,} passages over {DAYS} days ({args.rows // DAYS:,} a day), "
                  f"{CHECKPOINTS} checkpoints, {VEHICLES:,} vehicles: COPY "
                  f"{copy_s:.0f} s ({args.rows / copy_s:,.0f} rows/s); partitions with "
                  f"indexes {size}")
            print(table(built, ["built after the load", "s"]))

            days = [first_day + timedelta(days=int(d)) for d in rng.integers(1, DAYS - 1,
                                                                             args.queries)]
            queries = []
            for day, (kind, pattern) in zip(days, patterns([
                    conn.execute("SELECT plate FROM passages WHERE passed_at >= %s AND "
                                 "passed_at < %s OFFSET %s LIMIT 1",
                                 (day, day + timedelta(days=1), int(rng.integers(0, 1000))))
                    .fetchone()[0] for day in days]), strict=True):
                queries.append((kind, pattern, day, day + timedelta(days=1)))

            results = measure_design(app, queries)
            reference = measure_references(conn, queries, args.reference_queries)
            trace = measure_trace(app, conn, first_day, today)
            through = measure_through(app, ids, first_day, rng)
        report(args, results, reference, trace, through)


def measure_design(app: Any, queries: list[tuple[str, str, datetime, datetime]]
                   ) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = {}
    in_order: list[float] = []
    found: list[int] = []
    api: list[float] = []
    with app.test_request_context():
        session = get_session()
        user = users.create_user(session, "bench-analyst", "correct horse battery", "analyst")
        token = users.issue_token(session, user, label="bench")
        session.commit()
        for _kind, pattern, start, end in queries[:5]:  # warm the caches as service would
            find_passages(session, plate=like_of(pattern), exact=False, start=start,
                          end=end, checkpoint_ids=None, limit=501)
        for kind, pattern, start, end in queries:
            ms, rows = timed_ms(lambda p=pattern, s=start, e=end: find_passages(
                session, plate=like_of(p), exact=False, start=s, end=e, checkpoint_ids=None,
                limit=501))
            by_kind.setdefault(kind, []).append(ms)
            in_order.append(ms)
            found.append(len(rows))
        session.rollback()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for _kind, pattern, start, end in queries:
        ms, answer = timed_ms(lambda p=pattern, s=start, e=end: client.get(
            "/api/v1/passages", headers=headers, query_string={
                "plate": p, "from": s.isoformat(), "to": e.isoformat(),
                "reason": "benchmark"}))
        assert answer.status_code == 200, answer.json
        api.append(ms)
    return {"by_kind": by_kind, "in_order": in_order, "found": found, "api": api}


def measure_references(conn: psycopg.Connection,
                       queries: list[tuple[str, str, datetime, datetime]], count: int
                       ) -> dict[str, list[float]]:
    sample = queries[:count]
    out: dict[str, list[float]] = {}
    with conn.transaction():  # the day's partition read whole: no index scans
        conn.execute("SET LOCAL enable_indexscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        out["partitions, no plate index"] = [
            timed_ms(lambda q=q: conn.execute(REFERENCE.format(table="passages"),
                                              (q[2], q[3], like_of(q[1]))).fetchall())[0]
            for q in sample]
    print("  copying the plain reference table", file=sys.stderr)
    conn.execute("CREATE TABLE passages_plain AS SELECT * FROM passages")
    conn.execute("VACUUM ANALYZE passages_plain")
    out["plain table, no index (seq scan + LIKE)"] = [
        timed_ms(lambda q=q: conn.execute(REFERENCE.format(table="passages_plain"),
                                          (q[2], q[3], like_of(q[1]))).fetchall())[0]
        for q in sample]
    conn.execute("CREATE INDEX ON passages_plain (passed_at)")
    conn.execute("ANALYZE passages_plain")
    out["plain table, b-tree on time"] = [
        timed_ms(lambda q=q: conn.execute(REFERENCE.format(table="passages_plain"),
                                          (q[2], q[3], like_of(q[1]))).fetchall())[0]
        for q in sample]
    return out


def measure_trace(app: Any, conn: psycopg.Connection, first_day: datetime,
                  today: datetime) -> list[float]:
    plates = [row[0] for row in conn.execute(
        "SELECT plate FROM passages WHERE passed_at >= %s AND passed_at < %s LIMIT 20",
        (first_day + timedelta(days=5), first_day + timedelta(days=6)))]
    times = []
    with app.test_request_context():
        session = get_session()
        for plate in plates:
            times.append(timed_ms(lambda p=plate: find_passages(
                session, plate=p, exact=True, start=first_day, end=today,
                checkpoint_ids=None, limit=2001))[0])
        session.rollback()
    return times


def measure_through(app: Any, ids: list[int], first_day: datetime,
                    rng: np.random.Generator) -> list[float]:
    """Vehicles through one checkpoint then another within 15 minutes, in one day."""
    times = []
    with app.test_request_context():
        session = get_session()
        for _ in range(10):
            a, b = (int(x) for x in rng.choice(ids, 2, replace=False))
            day = first_day + timedelta(days=int(rng.integers(1, DAYS - 1)))
            times.append(timed_ms(lambda a=a, b=b, d=day: through_a_then_b(
                session, first=a, then=b, within=timedelta(minutes=15), start=d,
                end=d + timedelta(days=1), limit=501))[0])
        session.rollback()
    return times


def report(args: argparse.Namespace, results: dict[str, Any],
           reference: dict[str, list[float]], trace: list[float],
           through: list[float]) -> None:
    every = [ms for values in results["by_kind"].values() for ms in values]
    p50, p95 = stats(every)
    rows = [[kind, len(values), f"{stats(values)[0]:.1f}", f"{stats(values)[1]:.1f}"]
            for kind, values in results["by_kind"].items()]
    rows.append(["all partial plates", len(every), f"{p50:.1f}", f"{p95:.1f}"])
    api50, api95 = stats(results["api"])
    rows.append(["GET /api/v1/passages (audited)", len(results["api"]), f"{api50:.1f}",
                 f"{api95:.1f}"])
    print(f"\npartial plate within one day, {args.rows:,} passages: design "
          f"(median {int(np.median(results['found']))} passages found, "
          f"most {max(results['found'])})")
    print(table(rows, ["query", "n", "p50 ms", "p95 ms"]))
    design = results["in_order"][:args.reference_queries]  # the references' queries
    d50 = np.median(design)
    lines = [["design: daily partitions, trigram GIN + b-tree", len(design), f"{d50:.1f}",
              f"{percentile(design, 95):.1f}", "1.0"]]
    for name, values in reference.items():
        lines.append([name, len(values), f"{np.median(values):.1f}",
                      f"{percentile(values, 95):.1f}", f"{np.median(values) / d50:.0f}"])
    print("\nthe same queries, same rows, without the index design")
    print(table(lines, ["reference", "n", "p50 ms", "p95 ms", "× design (p50)"]))
    t50, t95 = stats(trace)
    print(f"\nwhole plate over {DAYS} days (trace): n {len(trace)}, p50 {t50:.1f} ms, "
          f"p95 {t95:.1f} ms")
    h50, h95 = stats(through)
    print(f"through A then B within 15 min, one day: n {len(through)}, p50 {h50:.1f} ms, "
          f"p95 {h95:.1f} ms")
    verdict = "met" if p95 <= 500 else "NOT met"
    print(f"\ntarget: partial plate within a day p95 <= 500 ms: {verdict} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
