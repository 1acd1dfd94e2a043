"""Units, alerts, recommendation, dispatch and the radio log through the API, on real
PostGIS.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from dispatch.nmea_epochs import read_log
from tests.app.dispatch.support import (
    PLACE,
    UNIT_SPOTS,
    add_unit,
    place_units,
    raise_alert,
)
from tests.conftest import SHARED_DATA, Accounts, bearer
from tests.streams import dead_url

NMEA = SHARED_DATA / "radio" / "nmea"
TRUNK = SHARED_DATA / "radio" / "trunk-recorder"


# -- units -----------------------------------------------------------------------------

def test_unit_status_model_over_the_api(client: FlaskClient, supervisor: dict[str, str],
                                        dispatcher: dict[str, str]) -> None:
    unit = add_unit(client, supervisor, "P-1", "patrol_car")
    assert client.post("/api/v1/units", json={"callsign": "P-1", "kind": "foot"},
                       headers=supervisor).status_code == 409
    illegal = client.post(f"/api/v1/units/{unit['id']}/status", json={"status": "en_route"},
                          headers=dispatcher)
    assert illegal.status_code == 409 and illegal.json["error"] == "illegal_status_change"
    for status in ("out_of_service", "available", "on_scene", "committed_available"):
        ok = client.post(f"/api/v1/units/{unit['id']}/status", json={"status": status},
                         headers=dispatcher)
        assert ok.status_code == 200 and ok.json["status"] == status
    history = client.get(f"/api/v1/units/{unit['id']}", headers=dispatcher).json
    assert [h["to"] for h in history["status_history"]][:4] == [
        "committed_available", "on_scene", "available", "out_of_service"]
    assert client.post(f"/api/v1/units/{unit['id']}/status", json={"status": "flying"},
                       headers=dispatcher).status_code == 422


def test_positions_json_and_real_nmea(client: FlaskClient, supervisor: dict[str, str],
                                      accounts: Accounts, connection: sa.Connection) -> None:
    device = bearer(accounts.create("device"))
    unit = add_unit(client, supervisor, "BD-1", "foot", radio_ids=["460001"])
    raw = (NMEA / "beidou-bd.log").read_bytes()
    log = read_log(raw.decode("ascii").splitlines())
    newest = max(reversed(log.fixes), key=lambda f: f.at)  # type: ignore[arg-type, return-value]
    response = client.post("/api/v1/positions/nmea?radio_id=460001", data=raw,
                           headers=device | {"Content-Type": "text/plain"})
    assert response.status_code == 200, response.json
    body = response.json
    # one position per receiver epoch (GGA, GNS and RMC of one instant joined), with the
    # RMC's speed and course; GSV/GSA/proprietary sentences ignored, not rejected
    assert body["accepted"] == len(log.fixes) == 5 and body["sentences"] == 15
    assert body["ignored"] == {"GSV": 17, "GSA": 20, "proprietary": 12}
    assert body["reasons"] == {"no fix": 10, "void status": 5}
    assert (body["unit"]["lon"], body["unit"]["lat"]) == (newest.lon, newest.lat)
    assert body["unit"]["speed_mps"] == pytest.approx(newest.speed_ms)
    assert body["unit"]["course_deg"] == newest.course_deg == 4.94
    stored = connection.execute(sa.text(
        "SELECT count(*), count(speed_mps), count(course_deg), count(DISTINCT at) "
        "FROM unit_positions WHERE unit_id = :u"), {"u": unit["id"]}).one()
    assert tuple(stored) == (5, 5, 5, 5)
    # a live fix moves the unit; replaying the old log afterwards only adds history
    moved = client.post(f"/api/v1/units/{unit['id']}/position",
                        json={"lon": 8.69, "lat": 49.41}, headers=device)
    assert moved.status_code == 200 and (moved.json["lon"], moved.json["lat"]) == (8.69, 49.41)
    replay = client.post("/api/v1/positions/nmea?radio_id=460001", data=raw,
                         headers=device).json
    assert (replay["unit"]["lon"], replay["unit"]["lat"]) == (8.69, 49.41)
    kept = connection.execute(sa.text("SELECT count(*) FROM position_rejects WHERE unit_id = :u"),
                              {"u": unit["id"]}).scalar_one()
    assert kept == body["rejected"] + replay["rejected"]
    assert body["rejected"] == sum(body["reasons"].values()) > 0
    stored = connection.execute(sa.text(
        "SELECT count(*) FROM unit_positions WHERE unit_id = :u AND source = 'nmea'"),
        {"u": unit["id"]}).scalar_one()
    assert stored == body["accepted"] + replay["accepted"]
    unknown = client.post("/api/v1/positions/nmea?radio_id=999", data=raw, headers=device)
    assert unknown.status_code == 404 and unknown.json["field"] == "radio_id"
    assert client.post("/api/v1/alerts", json={"lon": 8.69, "lat": 49.41, "level": "red"},
                       headers=device).status_code == 403  # a device only reports


def test_a_capture_with_a_non_ascii_byte_keeps_its_good_lines(
        client: FlaskClient, supervisor: dict[str, str], accounts: Accounts,
        connection: sa.Connection) -> None:
    # the real boat capture's header names the receiver "B&G Zeus² 9": that one byte
    # spoils nothing but its own (comment) line; a garbled sentence is kept aside as bad
    device = bearer(accounts.create("device"))
    unit = add_unit(client, supervisor, "BOAT-1", "foot", radio_ids=["460009"])
    raw = (NMEA / "bundg_zeus_9.log").read_bytes()
    assert b"Zeus\xc2\xb2" in raw
    log = read_log(raw.decode("ascii", errors="replace").splitlines())
    garbled = raw + b"$GPRMC,095004.00,A,5250.87\xff,N,00518.51,E,6.7,96.5,200818,,,A*00\r\n"
    answer = client.post("/api/v1/positions/nmea?radio_id=460009", data=garbled,
                         headers=device | {"Content-Type": "text/plain"})
    assert answer.status_code == 200, answer.json
    assert answer.json["accepted"] == len(log.fixes) > 100 and answer.json["rejected"] == 1
    speeds = connection.execute(sa.text(
        "SELECT count(*) FROM unit_positions WHERE unit_id = :u AND speed_mps IS NOT NULL "
        "AND course_deg IS NOT NULL"), {"u": unit["id"]}).scalar_one()
    assert speeds == sum(1 for f in log.fixes if f.speed_ms is not None) > 100


def test_a_radio_id_held_by_two_units_is_named_not_guessed(
        client: FlaskClient, supervisor: dict[str, str], accounts: Accounts,
        connection: sa.Connection) -> None:
    device = bearer(accounts.create("device"))
    first = add_unit(client, supervisor, "DUP-1", "foot", radio_ids=["460010"])
    second = add_unit(client, supervisor, "DUP-2", "foot", radio_ids=["460011"])
    taken = client.patch(f"/api/v1/units/{second['id']}", json={"radio_ids": ["460010"]},
                         headers=supervisor)
    assert taken.status_code == 409  # the API never gives one radio id to two units
    connection.execute(sa.text(  # ... but a restored database or a script may
        "UPDATE units SET radio_ids = ARRAY['460010'] WHERE id = :u"), {"u": second["id"]})
    raw = (NMEA / "beidou-bd.log").read_bytes()
    answer = client.post("/api/v1/positions/nmea?radio_id=460010", data=raw, headers=device)
    assert answer.status_code == 409 and answer.json["error"] == "radio_id_ambiguous"
    assert "DUP-1" in answer.json["message"] and "DUP-2" in answer.json["message"]
    assert first["id"] != second["id"]


# -- alerts, recommendation, dispatch ---------------------------------------------------

def test_unit_order_matches_route_travel_times(
        client: FlaskClient, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts) -> None:
    place_units(client, supervisor, bearer(accounts.create("device")))
    answer = raise_alert(client, dispatcher, *PLACE)
    ranked = answer["units"]
    assert {u["callsign"] for u in ranked} == set(UNIT_SPOTS), answer["excluded_units"]
    for unit in ranked:
        lon, lat = UNIT_SPOTS[unit["callsign"]]
        route = client.get(f"/api/v1/route?from={lon},{lat}&to={PLACE[0]},{PLACE[1]}",
                           headers=dispatcher).json
        assert unit["eta_s"] == pytest.approx(route["eta_s"], abs=0.11)
        assert unit["distance_m"] == pytest.approx(route["distance_m"], abs=0.11)
    assert [u["eta_s"] for u in ranked] == sorted(u["eta_s"] for u in ranked)
    # a unit on a piece of road cut off from the place is listed apart, with why
    island = add_unit(client, supervisor, "P-island", "patrol_car")
    client.post(f"/api/v1/units/{island['id']}/position", json={"lon": -0.1180, "lat": 51.5125},
                headers=dispatcher)
    apart = raise_alert(client, dispatcher, *PLACE)["excluded_units"]
    assert [(u["callsign"], u["reason"]) for u in apart] == [("P-island",
                                                               "no road route to the alert")]
    covert = raise_alert(client, dispatcher, *PLACE, covert=True)["units"]
    assert covert[0]["callsign"] == "B-covert"
    only_cars = raise_alert(client, dispatcher, *PLACE, unit_kinds=["patrol_car"])["units"]
    assert "B-covert" not in {u["callsign"] for u in only_cars}
    assert set(answer["timings_ms"]) == {"cameras", "escape", "units"}


def test_dispatch_acknowledge_and_timeline(
        client: FlaskClient, app: Flask, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts, tmp_path: Path,
        connection: sa.Connection) -> None:
    outbox = tmp_path / "outbox.jsonl"
    app.config["RADIO_GATEWAY"] = f"file:{outbox}"
    device = bearer(accounts.create("device"))
    ids = place_units(client, supervisor, device)
    alert = raise_alert(client, dispatcher, *PLACE, kind="burglary")
    first = alert["units"][0]
    response = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                           json={"unit_ids": [first["id"]]}, headers=dispatcher)
    assert response.status_code == 200, response.json
    order = response.json["orders"][0]
    assert order["delivery"] == "sent" and order["kind"] == "dispatch_order"
    assert order["needs_ack"] and order["sends"] == 1
    assert f"#{alert['id']}" in order["body"] and first["callsign"] in order["body"]
    # the order names the place in words in both languages, not by its coordinates
    place = alert["place"]
    assert place["kind"] in {"junction", "road"} and place["text_en"] and place["text_zh"]
    assert place["text_en"] in order["body"] and place["text_zh"] in order["body"]
    assert f"{PLACE[1]:.5f}" not in order["body"]
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [(m["message_id"], m["callsign"]) for m in sent] == [(str(order["id"]),
                                                                  first["callsign"])]
    assert sent[0]["alert"]["place_en"] == place["text_en"]
    assert (sent[0]["alert"]["lon"], sent[0]["alert"]["lat"]) == PLACE
    unit = client.get(f"/api/v1/units/{first['id']}", headers=dispatcher).json
    assert (unit["status"], unit["alert_id"]) == ("dispatched", alert["id"])
    # a second click sends nothing new; a unit on another job cannot be taken
    again = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                        json={"unit_ids": [first["id"]]}, headers=dispatcher).json
    assert again["orders"] == []
    other = raise_alert(client, dispatcher, *PLACE)
    busy = client.post(f"/api/v1/alerts/{other['id']}/dispatch",
                       json={"unit_ids": [first["id"]]}, headers=dispatcher)
    assert (busy.status_code, busy.json["error"]) == (409, "unit_assigned_elsewhere")
    # the acknowledgement comes back through the radio log
    ack = client.post("/api/v1/radio-log", json={
        "kind": "ack", "text": f"确认 #{alert['id']} {first['callsign'].lower()} 已出发"},
        headers=device)
    assert ack.status_code == 201, ack.json
    assert client.get(f"/api/v1/units/{first['id']}", headers=dispatcher
                      ).json["status"] == "en_route"
    acked = client.get(f"/api/v1/alerts/{alert['id']}", headers=dispatcher).json["orders"]
    assert [(o["id"], o["delivery"]) for o in acked] == [(order["id"], "acknowledged")]
    assert client.post(f"/api/v1/units/{first['id']}/status", json={"status": "on_scene"},
                       headers=device).status_code == 200
    assert client.post(f"/api/v1/alerts/{alert['id']}/close", json={"reason": "arrest"},
                       headers=dispatcher).status_code == 200
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=dispatcher).json
    assert [e["event"] for e in shown["timeline"]] == [
        "raised", "cameras_called_up", "units_recommended", "dispatched", "acknowledged",
        "arrived", "closed", "cancelled", "cleared"]
    assert shown["status"] == "closed" and shown["units"]  # the call-up as it was raised
    # closing released the unit and told it so: a cancellation, sent through the gateway
    assert client.get(f"/api/v1/units/{first['id']}", headers=dispatcher
                      ).json["status"] == "available"
    assert [(o["kind"], o["delivery"]) for o in shown["orders"]] == [
        ("dispatch_order", "acknowledged"), ("cancel", "sent")]
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [(m["kind"], m["alert"]["id"]) for m in sent] == [
        ("dispatch_order", alert["id"]), ("cancel", alert["id"])]
    assert sent[1]["text"].startswith(f"取消 {first['callsign']}")
    log = client.get(f"/api/v1/radio-log?alert_id={alert['id']}", headers=dispatcher).json
    assert [(e["direction"], e["kind"]) for e in log["entries"]] == [
        ("out", "dispatch_order"), ("in", "ack"), ("out", "cancel")]
    actions = set(connection.execute(sa.text("SELECT action FROM audit_log")).scalars())
    assert {"alert.raise", "alert.dispatch", "radio.delivery", "radio.in", "unit.status",
            "alert.close"} <= actions
    assert ids  # every unit was placed


def test_a_failed_gateway_retries_then_keeps_a_dead_letter(
        client: FlaskClient, app: Flask, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts, tmp_path: Path) -> None:
    app.config["RADIO_GATEWAY"] = dead_url().replace("rtsp://", "http://")
    place_units(client, supervisor, bearer(accounts.create("device")))
    alert = raise_alert(client, dispatcher, *PLACE)
    orders = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                         json={"unit_ids": [alert["units"][0]["id"]]},
                         headers=dispatcher).json["orders"]
    # the first attempt failed: still queued, to be tried again after a back-off
    assert (orders[0]["delivery"], orders[0]["attempts"]) == ("queued", 1)
    assert "attempt 1 failed" in orders[0]["delivery_detail"]
    # the radio desk tries again as each back-off runs out, until it gives up
    from datetime import UTC, datetime, timedelta

    from app.db import get_session
    from app.orders.outbox import process_due
    from app.orders.settings import build_gateway, delivery_policy

    with app.app_context():
        policy = delivery_policy(app)
        now = datetime.now(UTC)
        for _ in range(policy.max_attempts + 2):
            now += timedelta(seconds=policy.retry_max_s + 1)
            process_due(get_session(), build_gateway(app), policy=policy, now=now)
    order = client.get(f"/api/v1/orders?alert_id={alert['id']}", headers=dispatcher
                       ).json["orders"][0]
    assert (order["delivery"], order["attempts"]) == ("failed", policy.max_attempts)
    dead = client.get("/api/v1/orders?delivery=failed", headers=dispatcher).json["orders"]
    assert [o["id"] for o in dead] == [order["id"]]
    alarms = client.get(f"/api/v1/alarms?alert_id={alert['id']}", headers=dispatcher
                        ).json["alarms"]
    assert [(a["kind"], a["radio_log_id"]) for a in alarms] == [("order_failed", order["id"])]
    # the dispatcher points the gateway somewhere that works and sends it again
    outbox = tmp_path / "outbox.jsonl"
    app.config["RADIO_GATEWAY"] = f"file:{outbox}"
    again = client.post(f"/api/v1/orders/{order['id']}/retry", json={"reason": "fixed"},
                        headers=dispatcher)
    assert again.status_code == 200, again.json
    assert (again.json["delivery"], again.json["attempts"]) == ("sent", 1)
    assert client.get(f"/api/v1/alarms?alert_id={alert['id']}", headers=dispatcher
                      ).json["alarms"] == []
    assert client.post(f"/api/v1/orders/{order['id']}/retry", json={},
                       headers=dispatcher).json["error"] == "not_failed"


def test_trunk_recorder_call_is_logged_with_its_units(
        client: FlaskClient, supervisor: dict[str, str], accounts: Accounts) -> None:
    files = sorted(TRUNK.glob("*.json"))
    assert files, f"no trunk-recorder call record in {TRUNK}"
    call = json.loads(files[0].read_text())
    speaker = str(call["srcList"][0]["src"])
    unit = add_unit(client, supervisor, "TR-1", "patrol_car", radio_ids=[speaker])
    device = bearer(accounts.create("device"))
    response = client.post("/api/v1/radio-log/trunk-recorder", json=call, headers=device)
    assert response.status_code == 201, response.json
    entry = response.json["entry"]
    assert entry["kind"] == "call" and entry["talkgroup"] == str(call["talkgroup"])
    assert {"unit_id": unit["id"], "callsign": "TR-1"} in entry["payload"]["units"]
    broken = client.post("/api/v1/radio-log/trunk-recorder", json={"srcList": []},
                         headers=device)
    assert broken.status_code == 422 and broken.json["field"]


def test_alert_input_is_validated(client: FlaskClient, dispatcher: dict[str, str]) -> None:
    for body, field in (({"lon": 1, "lat": 1, "level": "purple"}, "level"),
                        ({"lon": 1, "lat": 91, "level": "red"}, "lat"),
                        ({"lon": 1, "lat": 1, "level": "red", "extra": 1}, "extra")):
        response = client.post("/api/v1/alerts", json=body, headers=dispatcher)
        assert response.status_code == 422 and field in json.dumps(response.json)


def test_an_alert_names_its_place(client: FlaskClient, london: None,
                                  dispatcher: dict[str, str]) -> None:
    """By St Paul's: on New Change, by the "New Change / Cannon Street" stop; the list of
    alerts and the alert itself carry the same place."""
    alert = raise_alert(client, dispatcher, -0.09646, 51.51395, kind="robbery")
    place = alert["place"]
    assert place["road"]["name"] == "New Change" and place["poi_kind"] == "bus_station"
    assert place["text_en"].startswith("New Change, ")
    assert "New Change / Cannon Street (bus station)" in place["text_en"]
    assert "公交站" in place["text_zh"]
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=dispatcher).json
    listed = client.get("/api/v1/alerts", headers=dispatcher).json["alerts"]
    assert shown["place"] == place
    assert [a["place"] for a in listed if a["id"] == alert["id"]] == [place]
