"""Playing a tour: the log the server keeps by its own clock from the wall's events —
steps, heartbeats, retries ignored, a lost page never counted as watching, the end —
and the report per day, operator and area (JSON and CSV). Time passing is made by moving
the stored times back."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.tours.support import AREA
from tests.conftest import Accounts, bearer


def back_in_time(connection: sa.Connection, run_id: int, seconds: float, *,
                 heard_meanwhile: bool = False) -> None:
    """Every stored time of the run moves ``seconds`` into the past; with
    ``heard_meanwhile`` but its last sign of life (heartbeats kept coming)."""
    shift = {"r": run_id, "s": 0 if heard_meanwhile else seconds, "all": seconds}
    connection.execute(sa.text(
        "UPDATE tour_runs SET started_at = started_at - make_interval(secs => :all), "
        "last_seen_at = last_seen_at - make_interval(secs => :s), "
        "paused_at = paused_at - make_interval(secs => :all) WHERE id = :r"), shift)
    connection.execute(sa.text(
        "UPDATE tour_shown SET started_at = started_at - make_interval(secs => :all), "
        "ended_at = ended_at - make_interval(secs => :all) WHERE run_id = :r"), shift)


@pytest.fixture
def run(client: FlaskClient, operator: dict[str, str], town: dict[str, Any]) -> dict[str, Any]:
    tour = client.post("/api/v1/tours", json={
        "name": "pair", "layout": 1, "area": AREA,
        "cameras": [{"camera_id": town["A"]["id"], "dwell_s": 20},
                    {"camera_id": town["B"]["id"], "dwell_s": 30}]}, headers=operator).json
    started = client.post(f"/api/v1/tours/{tour['id']}/runs", headers=operator)
    assert started.status_code == 201, started.json
    return started.json  # type: ignore[no-any-return]


def event(client: FlaskClient, headers: dict[str, str], run: dict[str, Any],
          status: int = 200, **body: Any) -> Any:
    answer = client.post(f"/api/v1/tour-runs/{run['run_id']}/events", json=body,
                         headers=headers)
    assert answer.status_code == status, answer.json
    return answer.json


def test_the_log_is_kept_by_the_servers_clock(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        run: dict[str, Any], connection: sa.Connection) -> None:
    a, b = town["A"]["id"], town["B"]["id"]
    assert [s["dwell_s"] for s in run["steps"]] == [20.0, 30.0]
    event(client, operator, run, seq=1, event="show", step=0,
          tiles=[{"tile": 0, "camera_id": a}])
    event(client, operator, run, seq=2, event="heartbeat", step=0,
          tiles=[{"tile": 0, "camera_id": a, "state": "playing"}])
    back_in_time(connection, run["run_id"], 20)
    event(client, operator, run, seq=3, event="show", step=1,
          tiles=[{"tile": 0, "camera_id": b}])
    assert event(client, operator, run, seq=3, event="show", step=1,
                 tiles=[{"tile": 0, "camera_id": b}])["ignored"] is True  # a retry
    event(client, operator, run, seq=4, event="heartbeat", step=1, tiles=[
        {"tile": 0, "camera_id": b, "state": "unreachable",
         "problem": "camera_offline: no video <in time>"}])
    back_in_time(connection, run["run_id"], 10)
    assert event(client, operator, run, seq=5, event="end")["ended"] is True
    log = client.get(f"/api/v1/tour-runs/{run['run_id']}", headers=operator).json
    assert log["state"] == "ended" and 29 < log["seconds"] < 35
    tiles = [(t["camera_id"], t["played"], t["state"], round(t["seconds"])) for t in
             log["shown_tiles"]]
    assert [(c, p, s) for c, p, s, _ in tiles] == [(a, True, "playing"),
                                                   (b, False, "unreachable")]
    assert 19 <= tiles[0][3] <= 22 and 9 <= tiles[1][3] <= 12
    assert log["shown_tiles"][1]["problem"] == "camera_offline: no video <in time>"
    assert (log["planned"], log["shown"], log["played"]) == (2, 2, 1)
    again = client.post(f"/api/v1/tour-runs/{run['run_id']}/events",
                        json={"seq": 6, "event": "heartbeat"}, headers=operator)
    assert (again.status_code, again.json["error"]) == (409, "run_ended")
    audited = connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE object_type = 'tour_run' ORDER BY id")).scalars()
    assert list(audited) == ["tour.run_start", "tour.run_end"]


def test_a_lost_page_is_not_counted_as_watching(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        run: dict[str, Any], connection: sa.Connection) -> None:
    a = town["A"]["id"]
    event(client, operator, run, seq=1, event="show", step=0,
          tiles=[{"tile": 0, "camera_id": a, "state": "playing"}])
    back_in_time(connection, run["run_id"], 600)  # ten minutes without a word
    lost = client.get(f"/api/v1/tour-runs/{run['run_id']}", headers=operator).json
    assert lost["state"] == "lost" and lost["seconds"] < 1
    assert lost["shown_tiles"][0]["seconds"] < 1  # ended at its last sign of life
    event(client, operator, run, seq=2, event="heartbeat", step=0,
          tiles=[{"tile": 0, "camera_id": a, "state": "playing"}])  # the page is back
    log = client.get(f"/api/v1/tour-runs/{run['run_id']}", headers=operator).json
    assert log["state"] == "running"
    assert [t["on_screen"] for t in log["shown_tiles"]] == [False, True]
    assert sum(t["seconds"] for t in log["shown_tiles"]) < 5  # the gap is not in it


def test_events_are_checked_and_belong_to_their_operator(
        client: FlaskClient, operator: dict[str, str], accounts: Accounts,
        town: dict[str, Any], run: dict[str, Any]) -> None:
    wrong = event(client, operator, run, 422, seq=1, event="show", step=0,
                  tiles=[{"tile": 0, "camera_id": town["C"]["id"]}])
    assert wrong["field"] == "tiles.0.camera_id"
    off_wall = event(client, operator, run, 422, seq=1, event="show", step=0,
                     tiles=[{"tile": 3, "camera_id": town["A"]["id"]}])
    assert off_wall["field"] == "tiles.0.tile"
    malformed = event(client, operator, run, 422, seq=0, event="dance")
    assert {e["field"] for e in malformed["errors"]} == {"seq", "event"}
    other = bearer(accounts.create("video_operator"))
    assert client.post(f"/api/v1/tour-runs/{run['run_id']}/events", json={
        "seq": 1, "event": "heartbeat"}, headers=other).status_code == 404
    assert client.get(f"/api/v1/tour-runs/{run['run_id']}", headers=other).status_code == 404
    assert client.get("/api/v1/tour-runs", headers=other).json["runs"] == []


def test_the_report_counts_planned_shown_minutes_and_findings(
        client: FlaskClient, operator: dict[str, str], supervisor: dict[str, str],
        town: dict[str, Any], run: dict[str, Any], connection: sa.Connection) -> None:
    a, b = town["A"]["id"], town["B"]["id"]
    event(client, operator, run, seq=1, event="show", step=0,
          tiles=[{"tile": 0, "camera_id": a, "state": "playing"}])
    back_in_time(connection, run["run_id"], 120, heard_meanwhile=True)
    event(client, operator, run, seq=2, event="show", step=1,
          tiles=[{"tile": 0, "camera_id": b, "state": "unreachable", "problem": "busy"}])
    flagged = client.post("/api/v1/findings", json={
        "camera_id": a, "kind": "theft", "run_id": run["run_id"]}, headers=operator)
    assert flagged.status_code == 201, flagged.json
    back_in_time(connection, run["run_id"], 60, heard_meanwhile=True)
    event(client, operator, run, seq=3, event="end")
    day = connection.execute(sa.text(
        "SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one().isoformat()
    report = client.get(f"/api/v1/tours/report?from={day}&to={day}", headers=supervisor).json
    (row,) = report["rows"]
    assert (row["operator"], row["area"], row["runs"]) == (run_operator(connection, run),
                                                           AREA, 1)
    assert (row["planned"], row["shown"], row["played"], row["not_played"]) == (2, 2, 1, 1)
    assert 2.9 < row["minutes_on_wall"] < 3.2 and 1.9 < row["camera_minutes"] < 2.2
    assert (row["findings"], row["incidents"], row["alerts"]) == (1, 1, 0)
    text = client.get(f"/api/v1/tours/report?from={day}&to={day}&format=csv",
                      headers=supervisor)
    assert text.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text.get_data(as_text=True))))
    assert rows[0]["planned"] == "2" and rows[0]["area"] == AREA
    bad = client.get("/api/v1/tours/report?from=2025-02-30", headers=supervisor)
    assert (bad.status_code, bad.json["field"]) == (422, "from")


def run_operator(connection: sa.Connection, run: dict[str, Any]) -> str:
    return str(connection.execute(sa.text("SELECT username FROM tour_runs WHERE id = :r"),
                                  {"r": run["run_id"]}).scalar_one())
