"""Statistics of issue 14 (the hour × weekday table and monthly counts of
``GET /api/v1/incident-times``, and ``GET /api/v1/incidents/summary``): may they stay
answers of the request, or must they become jobs (more than ~2 s)?

    .venv/bin/python benchmarks/incident_stats.py [--copies 8] [--runs 3]

Data (../shared/data): the San Francisco export (11,884 rows, 11,276 with a place: minute
times), then the London burglary export beside it (108,789 rows, 106,482 with a place:
month times; no area is loaded, so none is outside), then both copied ``--copies`` times
in the database (each copy a data set of its own, a year earlier per copy) — with 8
copies 1.06 M incidents, the prefecture of docs/product.md (1 M incidents in 5 years).

Compared, on the same data in the same run:
* **pandas** — how the tables were made before: every matching incident loaded
  (``load_incidents``: id, category, resolution, local time, point) and counted by
  ``gis.hotspots.hour_weekday_counts`` / ``monthly_counts``;
* **SQL** — how they are made now: ``app.analysis.patterns.time_tables``, one ``GROUP BY
  GROUPING SETS`` in PostgreSQL (168 + months rows come back);
* **API** — the whole ``GET /api/v1/incident-times`` request (token check, JSON) on the
  SQL path, through the Flask test client — past ``INLINE_TIME_INCIDENTS`` (a million)
  matching incidents that is the ``202`` of a job doing the SQL column's work (cancelled
  here); and ``GET /api/v1/incidents/summary``.
Both paths give the same tables (checked here on every scale).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import SHARED, bench_database, table  # noqa: E402

from app import db  # noqa: E402
from app.analysis.data import load_incidents  # noqa: E402
from app.analysis.import_incidents import import_incidents  # noqa: E402
from app.analysis.params import DataFilter, from_query  # noqa: E402
from app.analysis.patterns import time_tables  # noqa: E402
from app.auth import users  # noqa: E402
from app.db import get_session  # noqa: E402
from gis.hotspots import hour_weekday_counts, monthly_counts  # noqa: E402

SF = SHARED / "incidents" / "sf" / "SFPD_Incident_Reports_2018-12_subset.csv"
BURGLARY = SHARED / "incidents" / "london_burglary"
COPY_SQL = """
INSERT INTO incidents (source, source_id, occurred_at, time_resolution, timezone, category,
                       source_category, import_id, geom)
SELECT source || '-copy' || k, source_id, occurred_at - make_interval(years => k),
       time_resolution, timezone, category, source_category, import_id, geom
FROM incidents, generate_series(1, :copies) AS k
WHERE source NOT LIKE '%-copy%'
"""
QUERIES = {"everything": "", "theft": "category=theft",
           "December 2018": "from=2018-12&to=2018-12"}


def pandas_tables(session: Any, data: DataFilter) -> dict[str, Any]:
    """The tables as ``time_tables`` made them before: every incident loaded."""
    incidents = load_incidents(session, data)
    hours = hour_weekday_counts(incidents["local_time"], incidents["time_resolution"])
    months = monthly_counts(incidents["local_time"], incidents["time_resolution"])
    return {"incidents": len(incidents),
            "counts": hours.table.to_numpy().tolist(),
            "months": [str(m) for m in months.counts.index],
            "monthly": [int(c) for c in months.counts.to_numpy()]}


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """Median seconds of ``runs`` runs, and the last answer."""
    times, answer = [], None
    for _ in range(runs):
        start = time.perf_counter()
        answer = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), answer


def measure(app: Any, headers: dict[str, str], scale: str, runs: int,
            rows: list[list[Any]]) -> None:
    client = app.test_client()
    with db.engine(app).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE incidents"))  # as autovacuum would after a load
    with app.app_context():
        session = get_session()
        total = session.execute(sa.text("SELECT count(*) FROM incidents")).scalar_one()
        for name, query in QUERIES.items():
            data = from_query(DataFilter, MultiDict(
                [tuple(p.split("=", 1)) for p in query.split("&") if p]))
            old_s, old = best_of(runs, lambda data=data: pandas_tables(session, data))
            new_s, new = best_of(runs, lambda data=data: time_tables(session, data))
            session.rollback()
            same = (old["incidents"] == new["incidents"]
                    and old["counts"] == new["hour_weekday"]["counts"]
                    and old["months"] == new["monthly"]["months"]
                    and old["monthly"] == new["monthly"]["counts"])
            api_s, answer = best_of(runs, lambda query=query: client.get(
                f"/api/v1/incident-times?{query}", headers=headers))
            assert answer.status_code in (200, 202), answer.get_data(as_text=True)[:300]
            if answer.status_code == 202:  # past INLINE_TIME_INCIDENTS: a job
                for job_id in {answer.json["id"]}:
                    client.delete(f"/api/v1/jobs/{job_id}", headers=headers)
            rows.append([scale, f"{total:,}", name, f"{new['incidents']:,}",
                         f"{old_s:.3f}", f"{new_s:.3f}", f"{new_s / old_s:.3f}",
                         f"{api_s:.3f}" + (" (202 job)" if answer.status_code == 202 else ""),
                         "yes" if same else "NO"])
    summary_s, answer = best_of(runs, lambda: client.get("/api/v1/incidents/summary",
                                                         headers=headers))
    assert answer.status_code == 200
    rows.append([scale, f"{total:,}", "incidents/summary (API)", f"{total:,}", "—", "—", "—",
                 f"{summary_s:.3f}", "—"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[list[Any]] = []
    with bench_database("gridpatrol_bench_stats") as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            analyst = users.create_user(session, "bench-analyst", "correct horse battery",
                                        "analyst")
            token = users.issue_token(session, analyst, label="bench")
            session.commit()
            headers = {"Authorization": f"Bearer {token}"}
        steps: list[tuple[str, Callable[[Any], None]]] = [
            ("SF export", lambda s: import_incidents(s, [SF], rejects_path=Path("/dev/null"))),
            ("+ London burglary", lambda s: import_incidents(
                s, [BURGLARY], rejects_path=Path("/dev/null"))),
            (f"× {args.copies + 1}", lambda s: s.execute(sa.text(COPY_SQL),
                                                       {"copies": args.copies}))]
        for scale, load in steps:
            with app.app_context():
                session = get_session()
                load(session)
                session.commit()
            measure(app, headers, scale, args.runs, rows)
    print(table(rows, ["data", "incidents", "query", "matching", "pandas s", "SQL s",
                       "SQL / pandas", "API s", "same tables"]))


if __name__ == "__main__":
    main()
