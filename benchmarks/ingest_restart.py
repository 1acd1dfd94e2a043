"""PostgreSQL restarted during a steady run of positions over MQTT: nothing lost, nothing
applied twice, counted from the database against what the broker acknowledged (the
issue's target: 0 and 0 at 2,000 messages/s).

Set-up (not timed): a database of its own in the embedded cluster with `--units` units,
each holding a radio; the own Mosquitto in a folder of its own; the ingest service in a
process of its own.

Run: positions are published at `--rate` a second for `--seconds` (QoS 1, as
gridpatrol-replay over 4 connections, a unit in turn, every one with a longitude of its
own). At `--at` seconds the embedded cluster is stopped (`pg_ctl stop -m fast`: every
session ended), left down `--down-s` seconds, and started again. Publishing goes on
meanwhile: the broker takes the messages, ingest journals them and waits for the
database. Then, up to `--drain-s` seconds for the journal to drain, and the count: per
unit, the positions in `unit_positions` and their distinct longitudes, against the
messages the broker acknowledged.

    cd benchmarks && ../.venv/bin/python ingest_restart.py [--rate 2000] [--seconds 40]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from common import bench_database, table
from ingest_rig import Publisher, ingest_counters, ingest_process, own_broker, seed_units


def count_positions(conninfo: str, unit_ids: list[int]) -> tuple[int, int]:
    """Rows, and distinct (unit, longitude) pairs, of the run's positions."""
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT (unit_id, round(ST_X(geom)::numeric, 7))) "
            "FROM unit_positions WHERE unit_id = ANY(%s) AND source = 'mqtt'",
            (unit_ids,)).fetchone()
    return int(rows), int(distinct)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with bench_database("gridpatrol_bench_ingest_restart") as bench, own_broker() as broker:
        cluster, conninfo = bench["cluster"], bench["app_conninfo"]
        units = seed_units(conninfo, args.units, "RS")
        unit_ids = [u for u, _ in units]
        events: dict[str, float] = {}
        peak_backlog = 0
        with ingest_process(bench["app"].config["DATABASE_URL"], broker):
            while not ingest_counters(conninfo).get("details.connected"):
                time.sleep(0.2)
            publisher = Publisher(broker)
            started = time.monotonic()
            n = 0
            while (elapsed := time.monotonic() - started) < args.seconds:
                due = int(elapsed * args.rate) + 1
                while n < due:
                    radio = units[n % len(units)][1]
                    payload = json.dumps({"lon": round(24.0 + (n + 1) * 1e-7, 7),
                                          "lat": 60.17,
                                          "at": datetime.now(UTC).isoformat()}).encode()
                    publisher.publish(n, f"gridpatrol/units/{radio}/position", payload)
                    n += 1
                if "stopped" not in events and elapsed >= args.at:
                    events["stopped"] = elapsed
                    cluster.stop()
                    events["stop_s"] = time.monotonic() - started - elapsed
                if "stopped" in events and "started" not in events and \
                        elapsed >= events["stopped"] + args.down_s:
                    cluster.start()
                    events["started"] = time.monotonic() - started
                time.sleep(0.005)
            publish_s = time.monotonic() - started
            deadline = time.monotonic() + args.drain_s
            while time.monotonic() < deadline:
                counters = ingest_counters(conninfo)
                peak_backlog = max(peak_backlog, int(counters.get("details.backlog", 0)))
                done = counters.get("applied", 0) + counters.get("duplicates", 0)
                if publisher.acked == n and done >= n and not counters.get("details.backlog"):
                    break
                time.sleep(0.5)
            drained = time.monotonic() - started
            acked, refused = publisher.acked, publisher.refused
            publisher.close()
            time.sleep(2.5)  # the last counters published
            counters = ingest_counters(conninfo)
        rows, distinct = count_positions(conninfo, unit_ids)
        with psycopg.connect(conninfo) as conn:
            outcomes = dict(conn.execute("SELECT outcome, count(*) FROM ingest_messages "
                                         "GROUP BY outcome").fetchall())
    return {"n": n, "acked": acked, "refused": refused, "rows": rows, "distinct": distinct,
            "counters": counters, "events": events, "publish_s": publish_s,
            "drained_s": drained, "outcomes": outcomes, "peak_backlog": peak_backlog}


def report(args: argparse.Namespace, r: dict[str, Any]) -> None:
    lost = r["acked"] - r["distinct"]
    twice = r["rows"] - r["distinct"]
    rate = r["n"] / r["publish_s"]
    rows = [
        ["published (acknowledged by the broker)", f"{r['acked']:,}", "", ""],
        ["positions in the database (distinct)", f"{r['distinct']:,}", "", ""],
        ["lost", f"{lost:,}", "0 (issue target)", "met" if lost == 0 else "NOT met"],
        ["applied twice", f"{twice:,}", "0 (issue target)", "met" if twice == 0 else "NOT met"],
        ["publishing rate, messages/s", f"{rate:,.0f}", f"{args.rate:,.0f} (asked) / "
         "2,000 (issue)", f"{rate / 2000:.2f}"],
    ]
    print(table(rows, ["what", "counted", "target", "ratio / verdict"]))
    e, c = r["events"], r["counters"]
    print(f"PostgreSQL stopped at {e.get('stopped', 0):.1f} s (took {e.get('stop_s', 0):.1f} s),"
          f" started again at {e.get('started', 0):.1f} s; publishing ended at "
          f"{r['publish_s']:.1f} s, the journal drained at {r['drained_s']:.1f} s; "
          f"peak backlog seen {r['peak_backlog']:,}; ingest: received {c.get('received', 0):,},"
          f" journaled {c.get('journaled', 0):,}, applied {c.get('applied', 0):,}, "
          f"duplicates {c.get('duplicates', 0)} + {c.get('journal_duplicates', 0)} in the "
          f"journal, database retries {c.get('database_retries', 0)}, rejected "
          f"{c.get('rejected', 0)}; outcomes recorded {r['outcomes']}; refused by the broker "
          f"{r['refused']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="positions a second")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--at", type=float, default=10.0, help="stop PostgreSQL after …s")
    parser.add_argument("--down-s", type=float, default=5.0)
    parser.add_argument("--drain-s", type=float, default=120.0)
    args = parser.parse_args()
    report(args, run(args))


if __name__ == "__main__":
    main()
