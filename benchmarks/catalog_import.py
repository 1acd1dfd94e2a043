"""A prefecture's GB/T 28181 catalogue (2,504 cameras) imported, against the camera CSV
importer given the same cameras.

Set-up (not timed): Heidelberg imported (its buildings cut the cameras' views); 2,504
cameras at seeded random points a few metres off its drivable roads, written in BD-09
(Baidu applies its shift everywhere, so the datum conversion is really done) both as a
catalogue — GB18030, 20 items a message (125 messages and a last short one), with 5
civil-code and group items — and as a CSV with the same names, GB/T 28181 ids, kinds and
coordinates. Timed, each on an empty camera table and then again over the same cameras
(the upsert: every camera updated): the whole import as the command line does it (read,
check, write, coverage, audit, commit), and the catalogue's reading alone (read_catalog +
sort_catalog). The peer is the CSV importer: the catalogue should cost about what the
CSV does for the same cameras.

Run: ``cd benchmarks && ../.venv/bin/python catalog_import.py`` (about a minute).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from alerts import road_points  # noqa: E402
from common import HEIDELBERG, bench_database, table  # noqa: E402

from app.cameras.catalog import import_catalog  # noqa: E402
from app.cameras.importing import import_camera_csv  # noqa: E402
from app.db import get_session  # noqa: E402
from app.geography.graph import road_graph  # noqa: E402
from app.geography.import_osm import import_osm  # noqa: E402
from dispatch.cameras.catalog import read_catalog, sort_catalog  # noqa: E402
from gis.datums import wgs84_to_datum_array  # noqa: E402
from tests.catalogs import camera_id, group, item, split_responses  # noqa: E402

CAMERAS = 2504
PTZ = {"1": "ptz", "2": "dome", "3": "fixed"}


def sources(xy: np.ndarray, rng: np.random.Generator) -> tuple[bytes, bytes]:
    """The same cameras as a catalogue (GB18030) and as a CSV (UTF-8)."""
    lon, lat = wgs84_to_datum_array("bd09", xy[:, 0], xy[:, 1])
    ptz = rng.choice(list(PTZ), len(xy))
    items = [group("34", "安徽省"), group("3402", "芜湖市"), group("340202", "镜湖区"),
             group("34020000002150000001", "治安监控"), group("34020000002160000001", "派出所")]
    items += [item(camera_id(i + 1), f"路口 {i + 1} 号", lon=f"{x:.8f}", lat=f"{y:.8f}",
                   info={"PTZType": str(p)})
              for i, (x, y, p) in enumerate(zip(lon, lat, ptz, strict=True))]
    catalogue = "".join(split_responses(items, 20, encoding="GB2312")).encode("gb18030")
    rows = "".join(f"路口 {i + 1} 号,{x:.8f},{y:.8f},{PTZ[str(p)]},{camera_id(i + 1)}\n"
                   for i, (x, y, p) in enumerate(zip(lon, lat, ptz, strict=True)))
    return catalogue, ("名称,经度,纬度,类型,国标编码\n" + rows).encode()


def say(what: str) -> None:
    print(what, file=sys.stderr, flush=True)


def timed_import(session: object, run: object) -> float:
    start = time.perf_counter()
    result = run()  # type: ignore[operator]
    session.commit()  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    written = result.created + result.updated
    if written != CAMERAS:
        raise SystemExit(f"wrote {written} cameras, not {CAMERAS}")
    return elapsed


def main() -> None:
    rng = np.random.default_rng(2504)
    with bench_database(name="gridpatrol_bench_catalog") as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            say("importing Heidelberg")
            import_osm(session, HEIDELBERG, reason="benchmark")
            session.commit()
            say("writing the catalogue and the CSV")
            edges = road_graph(session).edges
            edges = edges[edges["length_m"] > 5]
            catalogue, csv = sources(road_points(edges, CAMERAS, rng, off_m=6.0), rng)
            start = time.perf_counter()
            sort_catalog(read_catalog([("catalog.xml", catalogue)]).items, datum="bd09")
            reading = time.perf_counter() - start
            runs: dict[str, list[float]] = {"catalogue": [], "CSV": []}
            say("importing")
            for label, run in (
                    ("catalogue", lambda: import_catalog(
                        session, [("catalog.xml", catalogue)], datum="bd09")),
                    ("CSV", lambda: import_camera_csv(session, csv, source="cameras.csv",
                                                      datum="bd09"))):
                session.execute(sa.text("DELETE FROM cameras"))
                session.commit()
                runs[label].append(timed_import(session, run))   # created
                runs[label].append(timed_import(session, run))   # updated
        rows = []
        for index, what in enumerate(("first import (2,504 created)",
                                      "again (2,504 updated)")):
            ours, peer = runs["catalogue"][index], runs["CSV"][index]
            rows.append([what, f"{ours:.2f}", f"{peer:.2f}", f"{ours / peer:.2f}"])
        print(f"catalogue: {len(catalogue):,} bytes, 126 messages, {CAMERAS + 5:,} items; "
              f"reading and sorting alone {reading:.2f} s")
        print(table(rows, ["import", "catalogue s", "CSV s", "ratio"]))


if __name__ == "__main__":
    main()
