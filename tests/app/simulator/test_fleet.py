"""A simulated unit answers its orders as an officer would and drives where it is sent:
receipt at once, acknowledgement after a pause, on scene on arrival, available after the
scene, back to patrol on a cancellation; a repeated order is acknowledged again."""

from __future__ import annotations

from datetime import UTC, datetime

from app.simulator.fleet import ACK_DELAY_S, SCENE_S, SimulatedUnit
from gis.moving import Path

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
HOME = (24.9384, 60.1699)
ALERT = (24.9450, 60.1699)  # about 366 m east
ORDER = {"format": "gridpatrol.radio/1", "message_id": "41", "kind": "dispatch_order",
         "alert": {"id": 7, "lon": ALERT[0], "lat": ALERT[1]}}


def unit() -> SimulatedUnit:
    return SimulatedUnit(1, "D-11", "patrol_car", "9110", *HOME)


def test_an_order_is_received_acknowledged_driven_to_and_cleared() -> None:
    car = unit()
    said = car.on_message(ORDER, NOW)
    assert [(o.kind, o.payload["message_id"]) for o in said] == [("receipt", 41)]
    assert car.wants is not None and car.wants.purpose == "respond"
    assert car.wants.target == ALERT
    assert car.advance(ACK_DELAY_S - 1, NOW) == []  # not routed yet: no arrival either
    car.follow(Path.from_coords([HOME, ALERT]))
    acked = car.advance(1.0, NOW)
    assert [(o.kind, o.payload["message_id"]) for o in acked] == [("ack", 41)]
    moved = car.position(NOW).payload
    assert moved["lon"] > HOME[0] and moved["speed_mps"] == 14.0 and moved["course_deg"] == 90
    arrived = car.advance(60.0, NOW)  # 840 m of driving: there
    assert [(o.kind, o.payload["status"]) for o in arrived] == [("status", "10-97")]
    assert (car.lon, car.lat) == ALERT and car.mode == "on_scene" and car.wants is None
    assert car.advance(SCENE_S - 1, NOW) == []
    cleared = car.advance(1.0, NOW)
    assert [(o.kind, o.payload["status"]) for o in cleared] == [("status", "10-8")]
    assert car.wants is not None and car.wants.purpose == "patrol"


def test_a_cancellation_sends_it_back_to_patrol_and_repeats_are_answered() -> None:
    car = unit()
    car.on_message(ORDER, NOW)
    car.follow(Path.from_coords([HOME, ALERT]))
    car.advance(5.0, NOW)
    again = car.on_message(ORDER, NOW)  # sent again: the first ack was not seen
    assert [o.kind for o in again] == ["receipt"]
    assert [o.kind for o in car.advance(0.1, NOW)] == ["ack"]
    assert car.mode == "respond" and car.legs  # still on its way
    cancel = {"message_id": 42, "kind": "cancel", "alert": {"id": 7}}
    assert [o.kind for o in car.on_message(cancel, NOW)] == ["receipt"]
    assert car.mode == "patrol" and not car.legs
    assert [o.payload["message_id"] for o in car.advance(ACK_DELAY_S, NOW)] == [42]
    text = {"message_id": 43, "kind": "text", "text": "patrol route"}
    assert [o.kind for o in car.on_message(text, NOW)] == ["receipt"]
    assert car.on_message({"kind": "text"}, NOW) == []  # not ours to answer
