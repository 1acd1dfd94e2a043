"""Tour proposals on real PostGIS: incidents through the ordinary importer, cameras
through the API, coverage wedges computed by the app; counts checked by construction and
against PostGIS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from tests.app.analysis.test_import_incidents import write_box
from tests.app.tours.support import AREA, P


def propose(client: FlaskClient, headers: dict[str, str], status: int = 200,
            **body: Any) -> Any:
    answer = client.post("/api/v1/tours/propose", json={"area": AREA, "hour": 19} | body,
                         headers=headers)
    assert answer.status_code == status, answer.json
    return answer.json


def test_the_camera_watching_the_evening_hot_spot_comes_first_with_its_count(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        connection: sa.Connection) -> None:
    answer = propose(client, operator)
    assert answer["period"] == {"from": "2024-07-02", "to": "2024-09-30", "default": True}
    assert answer["hours"] == "18:00–21:00"
    assert answer["cells"]["method"] == "gi_star"
    assert answer["incidents"]["in_hot_cells"] == 31  # P's 17 and Q's 14, not the scatter
    ranked = [(c["camera_id"], c["sees"], c["new"]) for c in answer["cameras"]]
    assert ranked[:2] == [(town["B"]["id"], 17, 17), (town["A"]["id"], 14, 14)]
    assert town["C"]["id"] not in [c[0] for c in ranked]  # the night cluster is not due
    first = answer["cameras"][0]["reason"]
    assert first["en"].startswith("sees 17 of the 31 incidents at 18:00–21:00 from "
                                  "2024-07-02 to 2024-09-30")
    assert "31起警情中的17起" in first["zh"]
    assert "14 not seen by the cameras above" in answer["cameras"][1]["reason"]["en"]
    # PostGIS agrees: the incidents inside B's view at those hours in the period
    inside = connection.execute(sa.text("""
        SELECT count(*) FROM incidents i JOIN cameras c ON c.id = :c
        WHERE ST_Covers(c.coverage, i.geom) AND extract(hour FROM i.occurred_at) IN (18, 19, 20)
          AND i.occurred_at >= '2024-07-02'"""), {"c": town["B"]["id"]}).scalar_one()
    assert inside == 17
    draft = answer["tour"]
    assert [c["camera_id"] for c in draft["cameras"]][:2] == [town["B"]["id"], town["A"]["id"]]
    saved = client.post("/api/v1/tours", json=draft, headers=operator)
    assert saved.status_code == 201, saved.json
    assert saved.json["source"] == "proposed" and saved.json["cameras"][0]["reason"]["en"] \
        == first["en"]


def test_the_night_proposal_watches_the_night_cluster(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any]) -> None:
    answer = propose(client, operator, hour=3, hours=1)
    assert answer["cameras"][0]["camera_id"] == town["C"]["id"]
    assert answer["cameras"][0]["sees"] == 40
    assert answer["hour_profile"][3] == 40


def test_an_offline_camera_is_left_out_and_listed(
        client: FlaskClient, operator: dict[str, str], supervisor: dict[str, str],
        town: dict[str, Any]) -> None:
    changed = client.patch(f"/api/v1/cameras/{town['B']['id']}",
                           json={"status": "maintenance"}, headers=supervisor)
    assert changed.status_code == 200, changed.json
    answer = propose(client, operator)
    assert town["B"]["id"] not in [c["camera_id"] for c in answer["cameras"]]
    assert answer["cameras"][0]["camera_id"] == town["A"]["id"]
    assert answer["left_out"] == [{"camera_id": town["B"]["id"], "name": "B looks at P",
                                   "status": "maintenance", "sees": 17}]


def test_a_proposal_names_what_is_wrong(client: FlaskClient, operator: dict[str, str],
                                        town: dict[str, Any]) -> None:
    unknown = propose(client, operator, 422, area="Atlantis")
    assert (unknown["error"], unknown["field"]) == ("unknown_area", "area")
    bad = propose(client, operator, 422, hour=24, weekday=9, layout=5)
    assert {e["field"] for e in bad["errors"]} == {"hour", "weekday", "layout"}
    none = propose(client, operator, 422, **{"from": "2023-01", "to": "2023-03"})
    assert none["error"] == "no_incidents"
    no_such_day = propose(client, operator, 422, **{"from": "2024-02-30"})
    assert no_such_day["field"] == "from"
    reversed_period = propose(client, operator, 422, **{"from": "2024-09", "to": "2024-07"})
    assert reversed_period["field"] == "to"
    category = propose(client, operator, 422, category=["jaywalking"])
    assert category["field"].startswith("category")


def test_a_proposal_for_one_patrol_grid_cell(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        runner: FlaskCliRunner, connection: sa.Connection) -> None:
    assert runner.invoke(args=["grids", "build", "--cell-m", "500"]).exit_code == 0
    code = connection.execute(sa.text(
        "SELECT code FROM grid_cells WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), "
        "4326))"), {"x": P[0], "y": P[1]}).scalar_one()
    answer = propose(client, operator, area=code)
    assert answer["area_kind"] == "grid"
    assert answer["cameras"][0]["camera_id"] == town["B"]["id"]
    in_cell = connection.execute(sa.text("""
        SELECT count(*) FROM incidents i JOIN grid_cells g ON g.code = :g
        WHERE ST_Covers(g.geom, i.geom) AND extract(hour FROM i.occurred_at) IN (18, 19, 20)
          AND i.occurred_at >= '2024-07-02'"""), {"g": code}).scalar_one()
    assert answer["incidents"]["at_these_hours"] == in_cell


def test_an_area_too_large_for_the_cells_is_refused_naming_cell_m(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        runner: FlaskCliRunner, tmp_path: Path) -> None:
    county = write_box(tmp_path / "county.geojson", "County", (-0.40, 51.35, -0.00, 51.60))
    assert runner.invoke(args=["import", "boundary", str(county)]).exit_code == 0
    too_fine = propose(client, operator, 422, area="County", cell_m=50)  # ~700 km²
    assert (too_fine["error"], too_fine["field"]) == ("too_many_cells", "cell_m")
    assert propose(client, operator, area="County", cell_m=250)["cameras"][0][
        "camera_id"] == town["B"]["id"]


def test_a_camera_without_a_computed_coverage_is_judged_by_its_wedge(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        connection: sa.Connection) -> None:
    connection.execute(sa.text("UPDATE cameras SET coverage = NULL WHERE id = :c"),
                       {"c": town["B"]["id"]})
    answer = propose(client, operator)
    assert (answer["cameras"][0]["camera_id"], answer["cameras"][0]["sees"]) == (
        town["B"]["id"], 17)


def test_a_large_region_or_an_async_request_is_a_job_whose_result_is_the_proposal(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        monkeypatch: Any) -> None:
    from app.db import get_session
    from app.jobs.worker import run_inline
    from app.tours import jobs

    inline = propose(client, operator)
    monkeypatch.setattr(jobs, "INLINE_INCIDENTS", 10)  # the town's 31+ evening incidents
    queued = client.post("/api/v1/tours/propose", json={"area": AREA, "hour": 19},
                         headers=operator)
    assert queued.status_code == 202, queued.json
    assert queued.json["kind"] == "tour_proposal"
    assert queued.headers["Location"] == f"/api/v1/jobs/{queued.json['id']}"
    with client.application.app_context():
        session = get_session()
        run_inline(session, queued.json["id"])
        session.commit()
    done = client.get(queued.headers["Location"], headers=operator).json
    assert done["state"] == "done", done
    result = client.get(done["result"], headers=operator).json
    assert result["cameras"] == inline["cameras"] and result["tour"] == inline["tour"]
    # what the page sends: a job whatever the size; a refusal is still immediate
    monkeypatch.setattr(jobs, "INLINE_INCIDENTS", 20_000)
    asked = client.post("/api/v1/tours/propose", json={"area": AREA, "hour": 19},
                        headers=operator | {"Prefer": "respond-async"})
    assert asked.status_code == 202
    unknown = client.post("/api/v1/tours/propose", json={"area": "Atlantis", "hour": 19},
                          headers=operator)
    assert unknown.status_code == 422 and unknown.json["error"] == "unknown_area"
