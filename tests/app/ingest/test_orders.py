"""Orders out and their fate, against a real Mosquitto and the real PostGIS: a dispatched
order reaches the terminal of the radio the unit holds and its receipt and acknowledgement
move its delivery state; trunk-recorder's ackresp and a text "ACK" acknowledge too; a
closed alert and a reassignment send cancellations; an unacknowledged order raises the
console alarm and is sent again; the status timers raise and clear their alarms."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import shapely
import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.db.geometry import to_ewkb
from app.dispatch import alerts as alert_service
from app.dispatch.units import get_unit
from app.ingest import radios
from app.ingest.broker import Broker
from app.models import Alert, AuditEntry, ConsoleAlarm, RadioLogEntry, Unit
from app.orders.outbox import deliver_orders
from dispatch.delivery import DeliveryPolicy
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import DeskThread, Publisher, ServiceThread, Terminal, wait_for

FAST = DeliveryPolicy(ack_timeout_s=1.5, resends=1, max_attempts=3, retry_base_s=0.2,
                      retry_max_s=1.0, lifetime_s=600)


def raise_alert(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        alert = Alert(level="red", kind="robbery", source="test", raised_by="test",
                      geom=to_ewkb(shapely.Point(24.94, 60.17)))
        session.add(alert)
        session.commit()
        return alert.id


def dispatch(app: Flask, alert_id: int, unit_id: int, *, reassign: bool = False) -> list[int]:
    """Dispatch as the API does: the orders committed, then handed to the radio desk."""
    with app.app_context():
        session = get_session()
        alert = alert_service.alert_of(session, alert_id, lock=True)
        orders = alert_service.dispatch_units(session, alert, [unit_id], actor="test-dispatcher",
                                              reassign=reassign)
        session.commit()
        ids = [o.id for o in orders]
        deliver_orders(session, ids)
        return ids


def close(app: Flask, alert_id: int) -> list[int]:
    with app.app_context():
        session = get_session()
        alert = alert_service.alert_of(session, alert_id, lock=True)
        cancels = alert_service.close_alert(session, alert, actor="test-dispatcher",
                                            reason="done")
        session.commit()
        deliver_orders(session, [c.id for c in cancels])
        return [c.id for c in cancels]


def order(app: Flask, entry_id: int) -> RadioLogEntry:
    with app.app_context():
        return get_session().get(RadioLogEntry, entry_id)


def unit_status(app: Flask, unit_id: int) -> str:
    with app.app_context():
        return get_session().get(Unit, unit_id).status


def alarms(app: Flask, **where: Any) -> list[ConsoleAlarm]:
    with app.app_context():
        query = sa.select(ConsoleAlarm).filter_by(**where).order_by(ConsoleAlarm.id)
        return list(get_session().execute(query).scalars())


def test_an_order_reaches_the_radio_the_unit_holds_and_its_ack_acknowledges_it(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    car = units.add(radio_ids=("6101",))  # its own set, but a handheld is given out too
    with ingest_app.app_context():
        session = get_session()
        radios.assign(session, radio_id="6102", unit_id=car,
                      valid_from=datetime.now(UTC) - timedelta(hours=1), valid_until=None,
                      alias="", note=None, actor="test")
        session.commit()
    set_, handheld = Terminal(broker, "6101"), Terminal(broker, "6102")
    alert_id = raise_alert(ingest_app)
    with ServiceThread(ingest_app, broker, journal), DeskThread(ingest_app, broker,
                                                                 policy=FAST):
        (order_id,) = dispatch(ingest_app, alert_id, car)
        wait_for(lambda: order(ingest_app, order_id).delivery == "sent", what="PUBACK")
        wait_for(lambda: set_.orders and handheld.orders, what="the order on both radios")
        got = handheld.orders[0]
        assert (got["kind"], got["message_id"], got["alert"]["id"]) == (
            "dispatch_order", str(order_id), alert_id)
        assert got["text"].startswith("派遣 ")
        handheld.answer("receipt", {"message_id": order_id})
        wait_for(lambda: order(ingest_app, order_id).delivery == "delivered",
                 what="the receipt")
        handheld.answer("ack", {"message_id": order_id, "note": "ETA 4 min"})
        wait_for(lambda: order(ingest_app, order_id).delivery == "acknowledged",
                 what="the acknowledgement")
    set_.close()
    handheld.close()
    sent = order(ingest_app, order_id)
    assert sorted(sent.sent_to) == ["6101", "6102"] and sent.transport == "mqtt"
    assert sent.delivered_at <= sent.acknowledged_at
    assert "ack from radio 6102" in sent.delivery_detail
    assert unit_status(ingest_app, car) == "en_route"  # the acknowledgement sent it off
    assert alarms(ingest_app, radio_log_id=order_id) == []
    with ingest_app.app_context():
        steps = get_session().execute(
            sa.select(AuditEntry.details["to"].astext).where(
                AuditEntry.action == "radio.delivery",
                AuditEntry.object_id == str(order_id)).order_by(AuditEntry.id)).scalars().all()
    assert steps == ["sent", "delivered", "acknowledged"]


def test_ackresp_and_a_text_ack_acknowledge_and_a_closed_alert_sends_a_cancellation(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    first = units.add(radio_ids=("6201",))
    second = units.add(radio_ids=("6202",))
    one, two = Terminal(broker, "6201"), Terminal(broker, "6202")
    recorder = Publisher(broker, "trunk-recorder")
    alert_id = raise_alert(ingest_app)
    with ServiceThread(ingest_app, broker, journal), DeskThread(ingest_app, broker,
                                                                 policy=FAST):
        (first_order,) = dispatch(ingest_app, alert_id, first)
        (second_order,) = dispatch(ingest_app, alert_id, second)
        wait_for(lambda: one.orders and two.orders, what="both orders")
        recorder.publish("trunk-recorder/units/p25trunk/ackresp", json.dumps(
            {"type": "ackresp", "timestamp": int(datetime.now(UTC).timestamp()),
             "ackresp": {"sys_num": 2, "sys_name": "p25trunk", "unit": 6201,
                         "unit_alpha_tag": "P 6201"}}))
        callsign = two.orders[0]["callsign"]
        two.publish("gridpatrol/units/6202/text", f"确认 #{alert_id} {callsign} 马上到")
        wait_for(lambda: order(ingest_app, first_order).delivery == "acknowledged",
                 what="ackresp")
        wait_for(lambda: order(ingest_app, second_order).delivery == "acknowledged",
                 what="the text ACK")
        cancels = close(ingest_app, alert_id)
        assert len(cancels) == 2
        wait_for(lambda: len(one.orders) == 2 and len(two.orders) == 2,
                 what="the cancellations")
        assert {one.orders[1]["kind"], two.orders[1]["kind"]} == {"cancel"}
        assert one.orders[1]["alert"]["id"] == alert_id
        assert "CANCEL" in one.orders[1]["text"]
        # a cancellation is acknowledged like an order, even though the unit is released
        one.answer("ack", {"alert_id": alert_id})
        wait_for(lambda: order(ingest_app, cancels[0]).delivery == "acknowledged",
                 what="the cancellation acknowledged")
    for client in (one, two, recorder):
        client.close()
    assert unit_status(ingest_app, first) == unit_status(ingest_app, second) == "available"


def test_a_reassigned_unit_is_told_its_old_order_is_off(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    car = units.add(radio_ids=("6301",))
    radio = Terminal(broker, "6301")
    old, new = raise_alert(ingest_app), raise_alert(ingest_app)
    with DeskThread(ingest_app, broker, policy=FAST):
        (old_order,) = dispatch(ingest_app, old, car)
        wait_for(lambda: radio.orders, what="the first order")
        cancel, new_order = dispatch(ingest_app, new, car, reassign=True)
        wait_for(lambda: len(radio.orders) == 3, what="the cancellation and the new order")
    radio.close()
    assert [(m["kind"], m["alert"]["id"]) for m in radio.orders] == [
        ("dispatch_order", old), ("cancel", old), ("dispatch_order", new)]
    assert order(ingest_app, old_order).delivery == "expired"
    assert "reassigned to alert" in order(ingest_app, old_order).delivery_detail
    assert order(ingest_app, cancel).kind == "cancel"
    with ingest_app.app_context():
        assert get_unit(get_session(), car).alert_id == new


def test_an_unacknowledged_order_raises_the_alarm_and_is_sent_again(
        broker: Broker, ingest_app: Flask, units: Units) -> None:
    car = units.add(radio_ids=("6401",))
    radio = Terminal(broker, "6401")
    alert_id = raise_alert(ingest_app)
    with DeskThread(ingest_app, broker, policy=FAST) as running:
        (order_id,) = dispatch(ingest_app, alert_id, car)
        wait_for(lambda: len(radio.orders) == 2, what="the order sent again", timeout_s=30)
        (alarm,) = wait_for(lambda: alarms(ingest_app, radio_log_id=order_id),
                            what="the alarm")
        assert alarm.kind == "order_unacknowledged" and alarm.alert_id == alert_id
        assert "not acknowledged" in alarm.message and alarm.cleared_at is None
        wait_for(lambda: running.desk.counters["resent"] >= 1, what="the re-send counted")
    radio.close()
    assert radio.orders[0]["message_id"] == radio.orders[1]["message_id"] == str(order_id)
    resent = order(ingest_app, order_id)
    assert (resent.delivery, resent.sends) == ("sent", 2)
    assert resent.delivery_detail.startswith("sent again (2×)")
    assert len(alarms(ingest_app, radio_log_id=order_id)) == 1  # one alarm per order
    # the acknowledgement, however late, clears it
    with ingest_app.app_context():
        session = get_session()
        alert = alert_service.alert_of(session, alert_id)
        alert_service.acknowledge(session, alert, get_unit(session, car, lock=True),
                                  actor="test-dispatcher", source="console")
        session.commit()
    (cleared,) = alarms(ingest_app, radio_log_id=order_id)
    assert cleared.cleared_at is not None and "acknowledged" in cleared.cleared_reason


def test_status_timers_raise_alarms_and_clear_them_when_the_unit_moves_on(
        broker: Broker, ingest_app: Flask, units: Units) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=25)
    driving = units.add(status="en_route")
    with ingest_app.app_context():
        session = get_session()
        session.get(Unit, driving).status_since = long_ago
        session.commit()
    with DeskThread(ingest_app, broker, policy=FAST):
        (alarm,) = wait_for(lambda: alarms(ingest_app, unit_id=driving), what="the alarm")
        assert alarm.kind == "en_route_too_long" and "en route for 25 min" in alarm.message
        with ingest_app.app_context():
            session = get_session()
            from app.dispatch.units import change_status
            from dispatch.status import UnitStatus

            change_status(session, get_unit(session, driving, lock=True), UnitStatus.ON_SCENE,
                          actor="test", source="console")
            session.commit()
        wait_for(lambda: alarms(ingest_app, unit_id=driving)[0].cleared_at, what="cleared")
