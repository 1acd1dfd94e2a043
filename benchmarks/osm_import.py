"""Import of heidelberg.osm.pbf: gridpatrol vs osm2pgsql into the same PostGIS.

    .venv/bin/python benchmarks/osm_import.py [--runs 3]

gridpatrol's time covers reading, roads + road graph edges + buildings + POIs +
cameras + land cover written to PostGIS, and building the in-memory routing graph.
osm2pgsql (Debian package, default pgsql output, non-slim) writes its planet_osm_*
tables into the same database. Target: gridpatrol ≤ 2× osm2pgsql.
"""

from __future__ import annotations

import argparse
import os
import subprocess

from common import HEIDELBERG, bench_database, median, table, timed

from app.db import get_session
from app.geography.import_osm import import_osm
from app.geography.repository.edges import load_edges
from gis.routing import RoadGraph


def ours(app: object) -> float:
    with app.app_context():  # type: ignore[attr-defined]
        session = get_session()

        def run() -> None:
            import_osm(session, HEIDELBERG)
            session.commit()
            RoadGraph.from_edges(load_edges(session))
        seconds, _ = timed(run)
    return seconds


def osm2pgsql(cluster: object, name: str) -> float:
    argv = ["osm2pgsql", "--create", "--database", name, "--host", str(cluster.socket_dir),  # type: ignore[attr-defined]
            "--port", str(cluster.port), "--username", "gridpatrol_admin",  # type: ignore[attr-defined]
            "--number-processes", "2", "--cache", "512", str(HEIDELBERG)]
    env = {**os.environ, "PGPASSFILE": str(cluster.passfile("gridpatrol_admin"))}  # type: ignore[attr-defined]
    seconds, result = timed(lambda: subprocess.run(argv, capture_output=True, text=True,
                                                   check=False, env=env))
    if result.returncode != 0:
        raise SystemExit(f"osm2pgsql failed: {result.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    theirs, fresh, again = [], [], []
    for _ in range(args.runs):  # every run into an empty database, like osm2pgsql --create
        with bench_database() as bench:
            theirs.append(osm2pgsql(bench["cluster"], bench["name"]))
        with bench_database() as bench:
            fresh.append(ours(bench["app"]))
            again.append(ours(bench["app"]))
    base = median(theirs)

    def row(label: str, runs: list[float]) -> list[str]:
        return [label, f"{median(runs):.2f}", " / ".join(f"{t:.2f}" for t in runs),
                f"{median(runs) / base:.2f}"]
    print(f"heidelberg.osm.pbf ({HEIDELBERG.stat().st_size / 1e6:.1f} MB), "
          f"median of {args.runs} runs, each into an empty database")
    print(table([row("osm2pgsql 1.8 --create (pgsql output)", theirs),
                 row("gridpatrol import osm + graph (new database)", fresh),
                 row("gridpatrol re-import of the same file + graph", again)],
                ["importer", "median s", "runs s", "ratio"]))
    ratio = median(fresh) / base
    print(f"target ≤ 2.0× osm2pgsql: {'met' if ratio <= 2.0 else 'NOT met'} ({ratio:.2f}×)")


if __name__ == "__main__":
    main()
