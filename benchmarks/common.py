"""Shared set-up for benchmarks: a database of their own in the embedded cluster."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, db  # noqa: E402
from app.db.cluster import ADMIN_ROLE, APP_ROLE, OWNER_ROLE, Cluster  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
HEIDELBERG = SHARED / "osm" / "heidelberg.osm.pbf"


@contextmanager
def bench_database(name: str = "gridpatrol_bench",
                   **config: Any) -> Iterator[dict[str, Any]]:
    """A fresh, migrated database in the embedded cluster, dropped afterwards; ``config``
    adds app settings."""
    cluster = Cluster.for_instance(ROOT / "instance")
    cluster.start()
    cluster.drop_database(name)
    cluster.ensure_database(name)
    db.upgrade(cluster.url(OWNER_ROLE, name), APP_ROLE)
    app = create_app({"SECRET_KEY": "bench-" + "x" * 40,
                      "DATABASE_URL": cluster.url(APP_ROLE, name), **config})
    try:
        yield {"app": app, "cluster": cluster, "name": name,
               "admin": cluster.conninfo(ADMIN_ROLE, name),
               "app_conninfo": cluster.conninfo(APP_ROLE, name)}
    finally:
        db.engine(app).dispose()
        cluster.drop_database(name)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)
