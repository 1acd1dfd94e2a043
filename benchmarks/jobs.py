"""The long cases of issue 14 as jobs: time to the 202 answer, time until the job is done,
against the same work done inside one request (what the request blocked for before).

    .venv/bin/python benchmarks/jobs.py

Data (../shared/data): London central (map, a 500 m grid, 31,413 burglaries 2023–24),
the San Francisco export (11,884 incidents, December 2018), five units rostered for
tomorrow's three shifts over every cell with the must-visit points proposed from
London's schools, banks, markets, nightlife and stations. Cases: planning tomorrow (all
shifts); the near-repeat test on every SF incident (999 permutations); Gi* with 999
permutations over the whole London area.

The worker is a process of its own (``python -m app.jobs``-like, one job at a time), as
``gridpatrol serve`` starts it; requests go through the Flask app in this process. The
inline column runs the same service function directly, on the same data and machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, SHARED, bench_database, table, timed

from app.analysis.hotspots import run_hotspots
from app.analysis.params import HotspotParams, NearRepeatParams
from app.analysis.patterns import near_repeat
from app.auth import users
from app.db import get_session
from app.planning.demo import DEMO_UNITS
from app.planning.plans import configured_shifts, plan_shift
from app.planning.points import propose_from_pois
from app.planning.repository import add_unit, grid_codes
from app.planning.roster import StationInput, save_station, write_roster
from patrol.roster import parse_roster_json

LONDON = SHARED / "osm" / "london-central.osm.pbf"
BURGLARY = SHARED / "incidents" / "london_burglary"
SF = SHARED / "incidents" / "sf" / "SFPD_Incident_Reports_2018-12_subset.csv"
LONDON_BOX = (-0.322, 51.462, -0.045, 51.542)
SF_BOX = (-122.53, 37.69, -122.35, 37.84)
TOMORROW = date.today() + timedelta(days=1)
WORKER = """
import sys
from app import create_app
from app.jobs.worker import serve_forever
serve_forever(create_app({"SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": sys.argv[1]}),
              concurrency=1)
"""


def box_file(folder: Path, name: str, box: tuple[float, float, float, float]) -> Path:
    west, south, east, north = box
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path = folder / f"{name}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def load(app: Any, folder: Path) -> dict[str, str]:
    runner = app.test_cli_runner()
    for args in (["import", "osm", str(LONDON)],
                 ["import", "boundary", str(box_file(folder, "London", LONDON_BOX))],
                 ["grids", "build", "--cell-m", "500"],
                 ["import", "incidents", str(BURGLARY), "--rejects", str(folder / "r1.csv")],
                 ["import", "boundary", str(box_file(folder, "San Francisco", SF_BOX))],
                 ["import", "incidents", str(SF), "--rejects", str(folder / "r2.csv")]):
        result = runner.invoke(args=args)
        if result.exit_code not in (0, 3):
            raise SystemExit(f"{args}: {result.output}")
    with app.app_context():
        session = get_session()
        for callsign, kind in DEMO_UNITS:
            add_unit(session, callsign, kind, f"9{callsign[2:]}0")
        save_station(session, StationInput(name="Wood Street", lon=-0.0985, lat=51.5155,
                                           units=[c for c, _ in DEMO_UNITS]))
        propose_from_pois(session, kinds=["school", "bank", "market", "nightlife",
                                          "rail_station"])
        codes = grid_codes(session)
        write_roster(session, parse_roster_json(
            [{"date": TOMORROW.isoformat(), "shift": s.code, "unit": c, "grids": codes}
             for s in configured_shifts() for c, _ in DEMO_UNITS],
            shifts=configured_shifts()))
        tokens = {}
        for role in ("supervisor", "analyst"):
            user = users.create_user(session, f"bench-{role}", "correct horse battery", role)
            tokens[role] = users.issue_token(session, user, label="bench")
        session.commit()
    return tokens


def inline_times(app: Any) -> dict[str, float]:
    """The same work inside one request's transaction (rolled back: nothing kept)."""
    times = {}
    with app.app_context():
        session = get_session()
        times["plan"], _ = timed(lambda: [plan_shift(session, TOMORROW, s)
                                          for s in configured_shifts()])
        session.rollback()
        wanted = NearRepeatParams.model_validate({"from": "2018-12", "to": "2018-12"})
        times["near_repeat"], _ = timed(lambda: near_repeat(session, wanted))
        times["gi_star"], _ = timed(lambda: run_hotspots(session, HotspotParams.model_validate(
            {"method": "gi_star", "cell_m": 500, "category": ["burglary"], "from": "2023-01",
             "to": "2024-12", "p_method": "permutation", "permutations": 999})))
        session.rollback()
    return times


CASES = {
    "plan": ("POST", "/api/v1/patrol-plans", {"date": TOMORROW.isoformat()}, "supervisor"),
    "near_repeat": ("GET", "/api/v1/near-repeat?from=2018-12&to=2018-12", None, "analyst"),
    "gi_star": ("GET", "/api/v1/hotspots?method=gi_star&cell_m=500&category=burglary"
                       "&from=2023-01&to=2024-12&p_method=permutation&permutations=999",
                None, "analyst"),
}
LABELS = {"plan": "plan tomorrow, 3 shifts, 5 units (London)",
          "near_repeat": "near repeat, 11,884 SF incidents, 999 permutations",
          "gi_star": "Gi*, 999 permutations, 31,413 London burglaries, 500 m"}


def as_jobs(app: Any, tokens: dict[str, str]) -> dict[str, tuple[float, float]]:
    client = app.test_client()
    measured = {}
    for name, (method, path, body, role) in CASES.items():
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        started = time.perf_counter()
        answer = client.open(path, method=method, json=body, headers=headers)
        accepted = time.perf_counter() - started
        if answer.status_code != 202:
            raise SystemExit(f"{name}: {answer.status_code} {answer.get_data(as_text=True)}")
        while True:
            job = client.get(answer.headers["Location"], headers=headers).json
            if job["state"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        if job["state"] != "done":
            raise SystemExit(f"{name}: {job}")
        measured[name] = (accepted, time.perf_counter() - started)
    return measured


def main() -> None:
    with bench_database("gridpatrol_bench_jobs") as bench, \
            tempfile.TemporaryDirectory() as folder:
        app = bench["app"]
        tokens = load(app, Path(folder))
        inline = inline_times(app)
        url = app.config["DATABASE_URL"]
        worker = subprocess.Popen([sys.executable, "-c", WORKER, url], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            jobs = as_jobs(app, tokens)
        finally:
            worker.terminate()
            worker.wait(60)
    rows = [[LABELS[name], f"{inline[name]:.2f}", f"{accepted:.3f}", f"{done:.2f}",
             f"{accepted / inline[name]:.4f}"] for name, (accepted, done) in jobs.items()]
    print(table(rows, ["case", "inline request (s)", "time to 202 (s)", "time to done (s)",
                       "202 / inline"]))


if __name__ == "__main__":
    main()
