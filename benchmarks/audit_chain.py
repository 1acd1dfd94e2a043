"""What the audit hash chain costs: audited writes per second with the chain (one lock
held to commit) against the same table without it, from 1, 4 and 16 writers; and how
fast `audit verify` walks and migration 0008 back-fills a large log.

    .venv/bin/python benchmarks/audit_chain.py [--transactions 300] [--rows 100000]

Each audited write is what a position post does: UPDATE the writer's unit, INSERT one
audit row, COMMIT (fsync on, as in production).
"""

from __future__ import annotations

import argparse
import threading
import time

import psycopg
from common import bench_database, table, timed
from psycopg import sql

from app import db
from app.audit import verify_chain
from app.db.cluster import APP_ROLE, OWNER_ROLE, Cluster

PLAIN_TWIN = """
CREATE TABLE audit_plain (LIKE audit_log INCLUDING DEFAULTS INCLUDING INDEXES);
ALTER TABLE audit_plain ALTER prev_hash DROP NOT NULL, ALTER row_hash DROP NOT NULL;
CREATE SEQUENCE audit_plain_id_seq OWNED BY audit_plain.id;
ALTER TABLE audit_plain ALTER id SET DEFAULT nextval('audit_plain_id_seq');
GRANT INSERT, SELECT ON audit_plain TO gridpatrol_app;
GRANT USAGE ON audit_plain_id_seq TO gridpatrol_app;
"""

ROW = ("INSERT INTO {} (actor, action, object_type, object_id, details) "
       "VALUES ('bench', 'unit.position', 'unit', %s, '{{\"source\": \"api\", \"n\": 1}}')")


def writes_per_s(conninfo: str, target: str, writers: int, transactions: int) -> float:
    insert = sql.SQL(ROW).format(sql.Identifier(target))

    def write(unit_id: int) -> None:
        with psycopg.connect(conninfo) as conn:
            for _ in range(transactions):
                conn.execute("UPDATE units SET updated_at = now() WHERE id = %s", (unit_id,))
                conn.execute(insert, (str(unit_id),))
                conn.commit()

    with psycopg.connect(conninfo) as conn:
        unit_ids = [conn.execute("INSERT INTO units (callsign, kind) VALUES (%s, 'foot') "
                                 "ON CONFLICT (callsign) DO UPDATE SET kind = 'foot' "
                                 "RETURNING id", (f"B-{n}",)).fetchone()[0]
                    for n in range(writers)]
    threads = [threading.Thread(target=write, args=(u,)) for u in unit_ids]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return writers * transactions / (time.perf_counter() - start)


def back_fill_seconds(cluster: Cluster, rows: int) -> float:
    name = "gridpatrol_bench_backfill"
    cluster.drop_database(name)
    cluster.ensure_database(name)
    try:
        db.upgrade(cluster.url(OWNER_ROLE, name), APP_ROLE, "0007")
        with psycopg.connect(cluster.conninfo(OWNER_ROLE, name)) as conn:
            conn.execute("INSERT INTO audit_log (actor, action, object_id, details) "
                         "SELECT 'bench', 'unit.position', n::text, jsonb_build_object('n', n) "
                         "FROM generate_series(1, %s) AS n", (rows,))
        seconds, _ = timed(lambda: db.upgrade(cluster.url(OWNER_ROLE, name), APP_ROLE))
        return seconds
    finally:
        cluster.drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=300, help="per writer")
    parser.add_argument("--rows", type=int, default=100_000, help="log size for verify")
    args = parser.parse_args()
    with bench_database() as bench:
        cluster, name = bench["cluster"], bench["name"]
        with psycopg.connect(cluster.conninfo(OWNER_ROLE, name), autocommit=True) as conn:
            conn.execute(PLAIN_TWIN)
        rows = []
        for writers in (1, 4, 16):
            plain = writes_per_s(bench["app_conninfo"], "audit_plain", writers,
                                 args.transactions)
            chained = writes_per_s(bench["app_conninfo"], "audit_log", writers,
                                   args.transactions)
            rows.append([writers, f"{plain:,.0f}", f"{chained:,.0f}", f"{chained / plain:.2f}"])
        print(f"audited writes per second (UPDATE unit + INSERT audit row + COMMIT), "
              f"{args.transactions} transactions per writer")
        print(table(rows, ["writers", "unchained /s", "chained /s", "ratio"]))

        with psycopg.connect(cluster.conninfo(OWNER_ROLE, name)) as conn:
            # 1,000 rows per transaction: every row moves the chain head, and a transaction
            # walks its own versions of it (quadratic in the rows of one transaction)
            for start in range(0, args.rows, 1000):
                conn.execute("INSERT INTO audit_log (actor, action, object_id, details) "
                             "SELECT 'bench', 'unit.position', n::text, jsonb_build_object("
                             "'n', n) FROM generate_series(%s::int, %s::int) AS n",
                             (start + 1, min(start + 1000, args.rows)))
                conn.commit()
            total = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        with bench["app"].app_context():
            seconds, report = timed(lambda: verify_chain(db.get_session()))
        assert report.ok, report.broken
        fill = back_fill_seconds(cluster, args.rows)
    print()
    print(table([["gridpatrol audit verify", f"{total:,}", f"{seconds:.2f}",
                  f"{total / seconds:,.0f}"],
                 ["migration 0008 back-fill", f"{args.rows:,}", f"{fill:.2f}",
                  f"{args.rows / fill:,.0f}"]],
                ["walk", "rows", "s", "rows/s"]))


if __name__ == "__main__":
    main()
