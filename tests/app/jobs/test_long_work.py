"""The long cases of issue 14 answer 202 at once and finish as jobs, on real data with a
real worker: planning tomorrow's three shifts (London, five units, the must-visit points
proposed from its POIs), the near-repeat test on the 11,884 San Francisco incidents, and
Gi* with permutations over the whole London area (31,413 burglaries). How fast the 202
comes is measured by benchmarks/jobs.py, not asserted here."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.analysis.jobs import INLINE_CELLS
from app.analysis.repository import cells_estimate
from app.db import get_session
from app.jobs.cli import TerminalBar
from app.jobs.worker import Worker
from app.planning.demo import DEMO_UNITS
from app.planning.points import propose_from_pois
from app.planning.repository import add_unit, grid_codes
from app.planning.roster import StationInput, save_station, write_roster
from patrol.roster import parse_roster_json
from tests.app.analysis.test_import_incidents import BURGLARY, LONDON_BOX, SF, write_box
from tests.app.jobs.conftest import People
from tests.app.jobs.support import job_row, wait_for
from tests.conftest import SHARED_DATA

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
TOMORROW = date.today() + timedelta(days=1)
SF_BOX = (-122.53, 37.69, -122.35, 37.84)


@pytest.fixture(scope="module")
def london(jobs_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> None:
    """London's map, a 500 m grid, the burglaries and the SF export, and a roster of five
    units for tomorrow's three shifts — all committed, as a worker must see them."""
    folder = tmp_path_factory.mktemp("london")
    runner = jobs_app.test_cli_runner()
    box = write_box(folder / "box.geojson", "London central", LONDON_BOX)
    sf_box = write_box(folder / "sf.geojson", "San Francisco", SF_BOX)
    for args in (["import", "osm", str(LONDON)], ["import", "boundary", str(box)],
                 ["grids", "build", "--cell-m", "500"],
                 ["import", "incidents", str(BURGLARY), "--rejects", str(folder / "r1.csv")],
                 ["import", "boundary", str(sf_box)],
                 ["import", "incidents", str(SF), "--rejects", str(folder / "r2.csv")]):
        result = runner.invoke(args=args)
        assert result.exit_code in (0, 3), (args, result.output)
    with jobs_app.app_context():
        session = get_session()
        for callsign, kind in DEMO_UNITS:
            add_unit(session, callsign, kind, f"9{callsign[2:]}0")
        save_station(session, StationInput(name="Wood Street", lon=-0.0985, lat=51.5155,
                                           units=[c for c, _ in DEMO_UNITS]))
        assert propose_from_pois(session, kinds=["school", "bank", "market", "nightlife",
                                                 "rail_station"]) >= 20
        codes = grid_codes(session)
        rows = [{"date": TOMORROW.isoformat(), "shift": shift, "unit": callsign,
                 "grids": codes} for shift in ("day", "evening", "night")
                for callsign, _ in DEMO_UNITS]
        write_roster(session, parse_roster_json(rows, shifts=_shifts(jobs_app)))
        session.commit()


def _shifts(app: Flask) -> Any:
    from app.planning.plans import configured_shifts

    with app.app_context():
        return configured_shifts()


def follow(client: FlaskClient, answer: Any, headers: dict[str, str],
           engine: sa.Engine) -> dict[str, Any]:
    """Assert a 202 with its Location, then wait for the job to end; its final view."""
    assert answer.status_code == 202, answer.get_data(as_text=True)[:300]
    job = answer.json
    assert answer.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["state"] in ("queued", "running") and job["result"] is None
    wait_for(lambda: job_row(engine, job["id"])["state"] not in ("queued", "running"),
             timeout_s=600, what=f"job {job['id']} ({job['kind']})")
    final = client.get(answer.headers["Location"], headers=headers).json
    assert final["state"] == "done", final
    assert final["progress"] == 1
    return final


def test_planning_tomorrow_is_a_job(jobs_app: Flask, london: None, people: People,
                                    engine: sa.Engine, worker: Worker) -> None:
    client = jobs_app.test_client()
    supervisor, colleague, viewer = (people.make("supervisor"), people.make("supervisor"),
                                     people.make("viewer"))
    answer = client.post("/api/v1/patrol-plans", json={"date": TOMORROW.isoformat()},
                         headers=supervisor["headers"])
    job_id = answer.json["id"]
    # a plan being made is seen by every planning reader; a viewer may not cancel it
    assert client.get(f"/api/v1/jobs/{job_id}", headers=viewer["headers"]).status_code == 200
    refused = client.delete(f"/api/v1/jobs/{job_id}", headers=viewer["headers"])
    assert refused.status_code == 403
    assert job_id in [j["id"] for j in client.get(
        "/api/v1/jobs?all=true&kind=plan", headers=colleague["headers"]).json["jobs"]]
    final = follow(client, answer, supervisor["headers"], engine)
    assert final["result"] == f"/api/v1/patrol-plans?date={TOMORROW.isoformat()}"
    assert final["page"] == f"/planning?date={TOMORROW.isoformat()}&job={job_id}"
    plans = client.get(final["result"], headers=supervisor["headers"]).json
    assert sorted(p["shift"] for p in plans["plans"]) == ["day", "evening", "night"]
    assert plans["routes"]["features"], "no route planned"
    with engine.connect() as conn:  # the plans and the job's own audit rows
        actions = conn.execute(sa.text(
            "SELECT action, actor FROM audit_log WHERE action IN ('job.submit', "
            "'patrol_plan.plan') AND actor = :who ORDER BY id"),
            {"who": supervisor["username"]}).all()
    assert [a for a, _ in actions] == ["job.submit"] + ["patrol_plan.plan"] * 3


def test_near_repeat_on_twelve_thousand_incidents_is_a_job(
        jobs_app: Flask, london: None, people: People, engine: sa.Engine,
        worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst, other = people.make("analyst"), people.make("analyst")
    answer = client.get("/api/v1/near-repeat?from=2018-12&to=2018-12",
                        headers=analyst["headers"])
    hidden = client.get(answer.headers["Location"], headers=other["headers"])
    assert hidden.status_code == 404
    final = follow(client, answer, analyst["headers"], engine)
    table = client.get(final["result"], headers=analyst["headers"]).json
    assert table["events"] > 11_000 and len(table["bands"]) == 11 * 11
    assert sum(b["observed"] for b in table["bands"]) == table["pairs"]
    csv = client.get(final["result"] + "?format=csv", headers=analyst["headers"])
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).count("\n") == 122


def test_gi_star_over_every_area_is_a_job(jobs_app: Flask, london: None, people: People,
                                          engine: sa.Engine, worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    query = ("/api/v1/hotspots?method=gi_star&cell_m=500&category=burglary&from=2023-01"
             "&to=2024-12")
    permuted = client.get(query + "&p_method=permutation&permutations=999",
                          headers=analyst["headers"])
    final = follow(client, permuted, analyst["headers"], engine)
    result = client.get(final["result"], headers=analyst["headers"])
    assert result.mimetype == "application/geo+json"
    summary = result.json["properties"]
    assert summary["incidents"] == 31_413 and summary["significance"]["permutations"] == 999
    assert len(result.json["features"]) == summary["cells"]
    # the same analysis inline when small enough, and as a job when asked to be one
    inline = client.get(query, headers=analyst["headers"])
    assert inline.status_code == 200 and inline.json["properties"]["incidents"] == 31_413
    asked = client.get(query, headers=analyst["headers"] | {"Prefer": "respond-async"})
    assert follow(client, asked, analyst["headers"], engine)["kind"] == "hotspots"


def test_a_fine_grid_is_a_job_however_few_incidents_match(
        jobs_app: Flask, london: None, people: People, engine: sa.Engine,
        worker: Worker) -> None:
    # San Francisco's box in 120 m squares: some 18,000 cells to build, locate and weigh
    # for 11,000 incidents — past INLINE_CELLS, so a job although few incidents match
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    answer = client.get("/api/v1/hotspots?method=gi_star&cell_m=120&area=San Francisco",
                        headers=analyst["headers"])
    final = follow(client, answer, analyst["headers"], engine)
    cells = client.get(final["result"], headers=analyst["headers"]).json["properties"]["cells"]
    assert cells > INLINE_CELLS
    with jobs_app.app_context():
        session = get_session()
        built = cells_estimate(session, shape="square", cell_m=120, area="San Francisco")
        stored = cells_estimate(session, shape="square", cell_m=500, area=None)
    assert 0.8 * cells <= built <= 1.25 * cells  # the areas' surface over a cell's
    inline = client.get("/api/v1/hotspots?method=gi_star&cell_m=500",
                        headers=analyst["headers"])
    assert inline.status_code == 200  # the stored grid's cells, counted exactly
    assert stored == inline.json["properties"]["cells"]


def test_a_result_is_saved_from_its_job_and_a_long_save_is_a_job(
        jobs_app: Flask, london: None, people: People, engine: sa.Engine,
        worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst, other = people.make("analyst"), people.make("analyst")
    asked = client.get("/api/v1/hotspots?method=gi_star&cell_m=500",
                       headers=analyst["headers"] | {"Prefer": "respond-async"})
    final = follow(client, asked, analyst["headers"], engine)
    saved = client.post("/api/v1/hotspot-results", json={"name": "from the job",
                                                         "job": final["id"]},
                        headers=analyst["headers"])
    assert saved.status_code == 201, saved.json
    kept = client.get(f"/api/v1/hotspot-results/{saved.json['id']}",
                      headers=analyst["headers"]).json
    shown = client.get(final["result"], headers=analyst["headers"]).json
    assert kept["features"] == shown["features"]  # kept as computed, not run again
    assert kept["properties"]["params"]["cell_m"] == 500
    refused = client.post("/api/v1/hotspot-results", json={"name": "not mine",
                                                           "job": final["id"]},
                          headers=other["headers"])
    assert refused.status_code == 404  # someone else's job is not confirmed to exist
    # a save too long for a request is a job that saves the result when it is done
    queued = client.post("/api/v1/hotspot-results",
                         json={"name": "saved by its job", "params": {"cell_m": 500}},
                         headers=analyst["headers"] | {"Prefer": "respond-async"})
    follow(client, queued, analyst["headers"], engine)
    names = [r["name"] for r in client.get("/api/v1/hotspot-results",
                                           headers=analyst["headers"]).json["results"]]
    assert names.count("saved by its job") == 1 and "from the job" in names


def test_the_terminal_bar_draws_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen, pipe = Terminal(), io.StringIO()
    for stream in (screen, pipe):
        bar = TerminalBar(stream)
        bar(0.45, "day: solving routes")
        bar.close()
    assert "45 %  day: solving routes" in screen.getvalue() and "[" in screen.getvalue()
    assert pipe.getvalue() == ""
