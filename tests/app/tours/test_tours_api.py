"""Tours by hand on real PostGIS: picked cameras, every camera of an area or grid in the
order of a walk, validation naming every field, a deleted camera skipped and said so,
deletion kept for the log, schedules and who may do what."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.tours.support import AREA, P, add_camera
from tests.conftest import Accounts, bearer


def test_a_tour_by_hand_is_saved_read_changed_and_deleted(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        connection: sa.Connection) -> None:
    body = {"name": "Market <evening>", "layout": 1, "area": AREA,
            "cameras": [{"camera_id": town["A"]["id"], "dwell_s": 15},
                        {"camera_id": town["B"]["id"]}],
            "schedule": {"windows": [{"weekdays": [4, 5, 6], "start": "18:00",
                                      "end": "02:00"}],
                         "dates": {"from": "2025-10-01", "to": "2025-10-07"}}}
    created = client.post("/api/v1/tours", json=body, headers=operator)
    assert created.status_code == 201, created.json
    tour = created.json
    assert [(c["camera_id"], c["dwell_s"]) for c in tour["cameras"]] == [
        (town["A"]["id"], 15), (town["B"]["id"], 20)]
    assert tour["steps"] == 2 and tour["skipped"] == [] and tour["source"] == "manual"
    assert tour["schedule_text"] == "fri-sun 18:00–02:00; 2025-10-01 – 2025-10-07"
    listed = client.get("/api/v1/tours", headers=operator).json["tours"]
    assert [(t["id"], t["cameras"]) for t in listed] == [(tour["id"], 2)]
    body["layout"] = 4
    body["cameras"] = body["cameras"][::-1]
    changed = client.put(f"/api/v1/tours/{tour['id']}", json=body, headers=operator)
    assert changed.status_code == 200, changed.json
    assert [c["camera_id"] for c in changed.json["cameras"]] == [town["B"]["id"],
                                                                 town["A"]["id"]]
    assert changed.json["steps"] == 1
    gone = client.delete(f"/api/v1/tours/{tour['id']}", headers=operator)
    assert gone.status_code == 200
    assert client.get(f"/api/v1/tours/{tour['id']}", headers=operator).status_code == 404
    assert client.get("/api/v1/tours", headers=operator).json["tours"] == []
    actions = connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE object_type = 'tour' ORDER BY id")).scalars().all()
    assert actions == ["tour.create", "tour.update", "tour.delete"]
    assert connection.execute(sa.text("SELECT count(*) FROM tours WHERE id = :t"),
                              {"t": tour["id"]}).scalar_one() == 1  # kept for the log


def test_every_camera_of_an_area_in_walking_order(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any]) -> None:
    created = client.post("/api/v1/tours", json={"name": "All of the town",
                                                 "all_cameras_in": AREA, "dwell_s": 10},
                          headers=operator)
    assert created.status_code == 201, created.json
    cameras = [c["camera_id"] for c in created.json["cameras"]]
    assert sorted(cameras) == sorted(c["id"] for c in town.values())
    assert created.json["area"] == AREA
    assert {c["dwell_s"] for c in created.json["cameras"]} == {10}


def test_bad_tours_name_every_field(client: FlaskClient, operator: dict[str, str],
                                    supervisor: dict[str, str], town: dict[str, Any]) -> None:
    bad = client.post("/api/v1/tours", json={"name": "", "layout": 6, "cameras": [
        {"camera_id": 1, "dwell_s": 2}], "colour": "red"}, headers=operator)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"name", "layout", "cameras.0.dwell_s",
                                                       "colour"}
    dark = add_camera(client, supervisor, "no stream", P, looking_deg=0, stream_url=None)
    cameras = [{"camera_id": town["A"]["id"]}, {"camera_id": 999999},
               {"camera_id": dark["id"]}, {"camera_id": town["A"]["id"]}]
    refused = client.post("/api/v1/tours", json={"name": "x", "cameras": cameras},
                          headers=operator)
    assert (refused.status_code, refused.json["error"]) == (422, "cameras_refused")
    assert [(e["field"], e["message"]) for e in refused.json["errors"]] == [
        ("cameras.1.camera_id", "no camera 999999"),
        ("cameras.2.camera_id", f"camera {dark['id']} has no stream to show"),
        ("cameras.3.camera_id", f"camera {town['A']['id']} is already at cameras.0")]
    window = client.post("/api/v1/tours", json={
        "name": "x", "cameras": [{"camera_id": town["A"]["id"]}],
        "schedule": {"windows": [{"start": "25:00", "end": "02:00", "weekdays": [7]}]}},
        headers=operator)
    assert window.status_code == 422
    assert {e["field"] for e in window.json["errors"]} == {"schedule.windows.0.start",
                                                          "schedule.windows.0.weekdays.0"}
    holiday = client.post("/api/v1/tours", json={
        "name": "x", "cameras": [{"camera_id": town["A"]["id"]}],
        "schedule": {"dates": {"from": "2025-10-07", "to": "2025-10-01"}}}, headers=operator)
    assert (holiday.status_code, holiday.json["field"]) == (422, "schedule.dates.to")
    both = client.post("/api/v1/tours", json={"name": "x", "all_cameras_in": AREA,
                                              "cameras": [{"camera_id": town["A"]["id"]}]},
                       headers=operator)
    assert (both.status_code, both.json["field"]) == (422, "cameras")
    nowhere = client.post("/api/v1/tours", json={"name": "x", "all_cameras_in": "Atlantis"},
                          headers=operator)
    assert (nowhere.json["error"], nowhere.json["field"]) == ("unknown_area", "all_cameras_in")
    assert client.get("/api/v1/tours", headers=operator).json["tours"] == []  # nothing written


def test_a_deleted_camera_is_skipped_and_said_so(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any],
        connection: sa.Connection) -> None:
    tour = client.post("/api/v1/tours", json={"name": "two", "cameras": [
        {"camera_id": town["A"]["id"]}, {"camera_id": town["C"]["id"]}]},
        headers=operator).json
    connection.execute(sa.text("DELETE FROM cameras WHERE id = :c"), {"c": town["C"]["id"]})
    shown = client.get(f"/api/v1/tours/{tour['id']}", headers=operator).json
    assert shown["skipped"] == [{"position": 1, "camera_id": None, "name": "C looks at R",
                                 "code": "camera_deleted",
                                 "message": "Camera C looks at R was deleted; the tour "
                                            "skips it."}]
    run = client.post(f"/api/v1/tours/{tour['id']}/runs", headers=operator)
    assert run.status_code == 201, run.json
    assert [[c["camera_id"] for c in s["cameras"]] for s in run.json["steps"]] == [
        [town["A"]["id"]]]
    assert run.json["skipped"][0]["code"] == "camera_deleted"


def test_tours_are_for_the_video_centre_only(client: FlaskClient, accounts: Accounts,
                                             town: dict[str, Any]) -> None:
    for role in ("maintainer", "viewer", "analyst", "device"):
        headers = bearer(accounts.create(role))
        assert client.get("/api/v1/tours", headers=headers).status_code == 403
        assert client.post("/api/v1/tours/propose", json={"area": AREA, "hour": 19},
                           headers=headers).status_code == 403
    dispatcher = bearer(accounts.create("dispatcher"))
    assert client.get("/api/v1/tours", headers=dispatcher).status_code == 200
