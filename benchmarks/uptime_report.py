"""The monthly uptime and SLA report on a prefecture: 2,504 cameras, a month of health
checks every 10 minutes (10.8 M rows in camera_health_checks), the state history those
checks make, and tickets.

    .venv/bin/python benchmarks/uptime_report.py [--cameras 2504] [--repeats 5]

The report reads the state history (camera_status_changes), not the checks: a state
change is written only when a check's verdict differs from the camera's state. How many
changes a month holds depends on how often cameras fail, so three histories are timed:

- calm: a camera goes bad in 2 % of 6-hour windows (a few changes a month each);
- busy: in 10 % of 1-hour windows (about 130 changes a month each);
- storm: every check decides afresh, bad half the time (a change at every other check,
  about 2,200 a month each: the most the checks can make).

"busy" is made from the checks themselves (their verdicts, then a change wherever the
verdict differs from the one before); "calm" and "storm" are written directly. Each is
timed as the report's SQL (uptime per camera grouped by maintainer and area, and the
ticket figures) and, as the reference, the same uptime computed in Python by
dispatch.cameras.health.time_in_status over the rows fetched (the way the API's one
camera uptime is computed); both must agree to the second.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from common import bench_database, median, table

from app import db
from app.cameras.health import repository as health_rows
from app.db.cluster import OWNER_ROLE
from app.maintenance import repository as ticket_rows
from dispatch.cameras.health import time_in_status

MONTH = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
CHECK_MIN = 10
STATES = ("online", "degraded", "offline")

SETUP = """
INSERT INTO areas (name, kind, geom)
SELECT 'Area ' || n, 'district', ST_Multi(ST_MakeEnvelope(n, 0, n + 1, 1, 4326))
FROM generate_series(1, 12) n;
INSERT INTO maintainers (code, name, kind, response_h, repair_h)
VALUES ('EQ', 'Equipment Co', 'equipment', 2, 24), ('PW', 'Power Co', 'power', 4, 48),
       ('TC', 'Telecom Co', 'telecom', 1, 12);
INSERT INTO cameras (source, name, status, area_id, geom)
SELECT 'bench', 'Camera ' || n, 'online', 1 + n %% 12,
       ST_SetSRID(ST_MakePoint(1 + n %% 12 + 0.5, 0.5), 4326)
FROM generate_series(1, %(cameras)s) n;
INSERT INTO camera_maintainers (camera_id, maintainer_id)
SELECT c.id, 1 + c.id %% 3 FROM cameras c;
"""

# a month of checks, every 10 minutes: bad in 10 % of 1-hour windows (busy)
CHECKS = """
INSERT INTO camera_health_checks (camera_id, checked_at, verdict)
SELECT c.id, t, CASE WHEN b.bad THEN b.kind ELSE 'online' END
FROM cameras c
CROSS JOIN generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 second',
                           interval '1 hour') AS w
CROSS JOIN LATERAL (SELECT random() < 0.10 AS bad,
                           (ARRAY['degraded', 'offline'])[1 + (random() < 0.5)::int] AS kind
                    WHERE c.id > 0 AND w IS NOT NULL) b
CROSS JOIN LATERAL generate_series(w, w + interval '50 minutes', interval '10 minutes') AS t
WHERE c.id BETWEEN %(first)s AND %(last)s
"""

CHANGES_FROM_CHECKS = """
TRUNCATE camera_status_changes;
INSERT INTO camera_status_changes (camera_id, at, from_status, to_status)
SELECT camera_id, checked_at, previous, verdict FROM (
    SELECT camera_id, checked_at, verdict,
           coalesce(lag(verdict) OVER (PARTITION BY camera_id ORDER BY checked_at),
                    'unknown') AS previous
    FROM camera_health_checks) v
WHERE verdict <> previous;
"""

# windows of `window` minutes, bad with probability `p`
CHANGES_DIRECT = """
TRUNCATE camera_status_changes;
INSERT INTO camera_status_changes (camera_id, at, from_status, to_status)
SELECT camera_id, at, previous, state FROM (
    SELECT camera_id, at, state,
           coalesce(lag(state) OVER (PARTITION BY camera_id ORDER BY at), 'unknown')
               AS previous
    FROM (SELECT c.id AS camera_id, w AS at,
                 CASE WHEN random() < %(p)s
                      THEN (ARRAY['degraded', 'offline'])[1 + (random() < 0.5)::int]
                      ELSE 'online' END AS state
          FROM cameras c
          CROSS JOIN generate_series(%(start)s::timestamptz - interval '1 day',
                                     %(end)s::timestamptz, %(window)s * interval '1 minute')
              AS w) s) v
WHERE state <> previous;
"""

TICKETS = """
TRUNCATE maintenance_tickets CASCADE;
INSERT INTO maintenance_tickets (camera_id, maintainer_id, status, faults, opened_at,
                                 respond_by, repair_by, acknowledged_at, closed_at, close_how)
SELECT c.id, cm.maintainer_id, 'closed', ARRAY['frozen'], o,
       o + m.response_h * interval '1 hour', o + m.repair_h * interval '1 hour',
       o + random() * 2 * m.response_h * interval '1 hour',
       o + random() * 2 * m.repair_h * interval '1 hour', 'auto'
FROM cameras c JOIN camera_maintainers cm ON cm.camera_id = c.id
JOIN maintainers m ON m.id = cm.maintainer_id
CROSS JOIN LATERAL (SELECT %(start)s::timestamptz + random() * interval '29 days' AS o
                    FROM generate_series(1, 3) WHERE c.id > 0) t;
"""


def run(conn: psycopg.Connection[Any], script: str, params: dict[str, Any]) -> None:
    """Each statement of ``script`` (server-side parameters allow one per call)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement, params)


def python_uptime(session: Any) -> tuple[float, dict[int, dict[str, float]]]:
    """The reference: every camera's changes fetched, time_in_status per camera."""
    started = time.perf_counter()
    camera_ids = [int(i) for i in session.execute(sa.text("SELECT id FROM cameras")).scalars()]
    changes = health_rows.status_changes(session, camera_ids, until=MONTH[1])
    found = {}
    for camera_id in camera_ids:
        rows = changes.get(camera_id, [])
        before = [s for at, s in rows if at <= MONTH[0]]
        found[camera_id] = time_in_status(rows, start=MONTH[0], end=MONTH[1],
                                          initial=before[-1] if before else "unknown")
    return time.perf_counter() - started, found


def sql_report(session: Any) -> tuple[float, list[dict[str, Any]]]:
    started = time.perf_counter()
    groups = health_rows.uptime_by_group(session, start=MONTH[0], end=MONTH[1])
    ticket_rows.ticket_figures(session, start=MONTH[0], end=MONTH[1], now=MONTH[1])
    return time.perf_counter() - started, groups


def agree(groups: list[dict[str, Any]], reference: dict[int, dict[str, float]]) -> bool:
    """Every camera's seconds in every state the same (to the second), and the total."""
    cameras = {int(g["camera_id"]): g for g in groups if g["level"] == health_rows.CAMERA_LEVEL}
    if set(cameras) != set(reference):
        return False
    for camera_id, spent in reference.items():
        for state in STATES:
            if abs(float(cameras[camera_id][f"{state}_s"]) - spent.get(state, 0.0)) > 1.0:
                return False
    total = next(g for g in groups if g["level"] == health_rows.TOTAL_LEVEL)
    return all(abs(float(total[f"{state}_s"]) - sum(s.get(state, 0.0) for s in
                                                    reference.values())) <= 1.0
               for state in STATES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=2504)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    window = {"start": MONTH[0], "end": MONTH[1]}
    with bench_database("gridpatrol_bench_uptime") as bench:
        owner = bench["cluster"].conninfo(OWNER_ROLE, bench["name"])
        with psycopg.connect(owner, autocommit=True) as conn:
            run(conn, SETUP, {"cameras": args.cameras})
            started = time.perf_counter()
            for first in range(1, args.cameras + 1, 250):
                conn.execute(CHECKS, {**window, "first": first, "last": first + 249})
            checks = conn.execute("SELECT count(*) FROM camera_health_checks").fetchone()[0]
            print(f"{checks:,} checks written in {time.perf_counter() - started:.0f} s")
            run(conn, TICKETS, window)
            conn.execute("VACUUM ANALYZE")
        rows = []
        for name, statement, params in (
                ("calm", CHANGES_DIRECT, {"p": 0.02, "window": 360}),
                ("busy", CHANGES_FROM_CHECKS, {}),
                ("storm", CHANGES_DIRECT, {"p": 0.5, "window": CHECK_MIN})):
            with psycopg.connect(owner, autocommit=True) as conn:
                run(conn, statement, {**window, **params})
                conn.execute("VACUUM ANALYZE camera_status_changes")
                changes = conn.execute("SELECT count(*) FROM camera_status_changes"
                                       ).fetchone()[0]
            with bench["app"].app_context():
                session = db.get_session()
                sql_times, py_times, same = [], [], True
                for _ in range(args.repeats):
                    seconds, groups = sql_report(session)
                    sql_times.append(seconds)
                    session.rollback()
                for _ in range(max(1, args.repeats // 2)):
                    seconds, reference = python_uptime(session)
                    py_times.append(seconds)
                    session.rollback()
                same = agree(groups, reference)
            sql_s, py_s = median(sql_times), median(py_times)
            rows.append([name, f"{changes:,}", f"{changes / args.cameras:,.0f}",
                         f"{sql_s:.2f}", f"{max(sql_times):.2f}", f"{py_s:.2f}",
                         f"{py_s / sql_s:.1f}", "yes" if same else "NO"])
    print(f"monthly report over {args.cameras:,} cameras and {checks:,} checks "
          f"(median of {args.repeats}; Python reference median of "
          f"{max(1, args.repeats // 2)})")
    print(table(rows, ["history", "state changes", "per camera", "report SQL s", "max s",
                       "Python s", "Python / SQL", "same seconds"]))


if __name__ == "__main__":
    main()

