"""An alert anywhere is saved and answered: off the road network (nothing imported, or
farther than 500 m from a drivable road) the cameras are called up as usual and the unit
list is empty with the reason, through the console API and the radio log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.dispatch.support import (
    PLACE,
    add_camera,
    offset,
    place_units,
    raise_alert,
)
from tests.conftest import Accounts, bearer

# Beyond the western edge of the London extract: the nearest road in it is kilometres away.
FAR_LON, FAR_LAT = -0.2200, 51.5150


def saved(connection: sa.Connection, alert_id: int) -> tuple[str, Any]:
    return connection.execute(sa.text(
        "SELECT a.status, e.details FROM alerts a JOIN alert_events e ON e.alert_id = a.id "
        "WHERE a.id = :id AND e.event = 'units_recommended'"), {"id": alert_id}).one()


def test_an_alert_without_any_road_network_is_saved_with_the_reason(
        client: FlaskClient, supervisor: dict[str, str], dispatcher: dict[str, str],
        accounts: Accounts, connection: sa.Connection) -> None:
    place_units(client, supervisor, bearer(accounts.create("device")))
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    answer = raise_alert(client, dispatcher, *offset(camera["lon"], camera["lat"], 90, 40))
    assert [c["id"] for c in answer["cameras"]] == [camera["id"]]  # cameras as usual
    assert answer["units"] == []
    assert answer["units_unavailable"]["code"] == "no_road_graph"
    assert "no road network" in answer["units_unavailable"]["reason"]
    assert saved(connection, answer["id"]) == ("open", {"units": [],
                                                        "unavailable": "no_road_graph"})


def test_an_alert_far_from_any_road_answers_201_with_no_units_and_why(
        london: None, client: FlaskClient, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts, connection: sa.Connection) -> None:
    ids = place_units(client, supervisor, bearer(accounts.create("device")))
    near = raise_alert(client, dispatcher, *PLACE)  # on the network: ranked as ever
    assert {u["id"] for u in near["units"]} == set(ids.values())
    assert "units_unavailable" not in near
    camera = add_camera(client, supervisor, lon=FAR_LON, lat=FAR_LAT, azimuth_deg=0,
                        fov_deg=90, range_m=100)
    far = raise_alert(client, dispatcher, *offset(FAR_LON, FAR_LAT, 0, 50), covert=True)
    assert [c["id"] for c in far["cameras"]] == [camera["id"]]
    assert far["units"] == [] and far["escape_cameras"] == []
    why = far["units_unavailable"]
    assert why["code"] == "off_road_network"
    assert why["nearest_road_m"] > 500
    assert why["reason"].startswith("the place is ") and "(more than 500 m)" in why["reason"]
    assert any("no escape roads" in note for note in far["notes"])
    assert saved(connection, far["id"])[1]["unavailable"] == "off_road_network"
    shown = client.get(f"/api/v1/alerts/{far['id']}", headers=dispatcher).json
    assert shown["units_unavailable"] == why  # the call-up as raised
    zh = client.post("/api/v1/alerts", json={"lon": FAR_LON, "lat": FAR_LAT, "level": "red"},
                     headers=dispatcher | {"Accept-Language": "zh-CN"})
    assert zh.status_code == 201
    assert "最近的可通行道路" in zh.json["units_unavailable"]["reason"]


def test_a_radio_alert_at_sea_is_logged_and_raised(
        london: None, client: FlaskClient, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts) -> None:
    device = bearer(accounts.create("device"))
    place_units(client, supervisor, device)
    response = client.post("/api/v1/radio-log", json={
        "kind": "alert", "text": "man overboard", "lon": 1.5, "lat": 51.2, "level": "red"},
        headers=device)  # the Strait of Dover: no road within 50 km of the London graph
    assert response.status_code == 201, response.json
    alert = response.json["alert"]
    assert alert["units"] == []
    assert alert["units_unavailable"]["code"] == "off_road_network"
    assert alert["units_unavailable"]["nearest_road_m"] is None
    assert "no drivable road within 50 km" in alert["units_unavailable"]["reason"]
    listed = client.get("/api/v1/alerts", headers=dispatcher).json["alerts"]
    assert alert["id"] in [a["id"] for a in listed]
