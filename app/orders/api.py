"""The orders area's API: outbound messages with their fate (dead letters among them),
sending a dead letter again, a gateway reporting delivery, console alarms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask import request
from flask_login import current_user
from pydantic import Field

from app.api import bp
from app.api.docs import (
    DATE_TIME,
    ID_RANGE,
    Answer,
    Param,
    StrictBody,
    choice,
    documented,
    json_object,
    parse_body,
)
from app.auth.access import allow
from app.db import get_session
from app.dispatch import alerts as alert_service
from app.dispatch.units import get_unit, in_chinese
from app.errors import StateConflict
from app.orders import delivery, repository
from app.orders.alarms import acknowledge_alarm, alarm_json
from app.orders.outbox import deliver_orders
from dispatch.delivery import DeliveryState

MAX_ROWS = 500
_TIME_OR_NULL = {"anyOf": [DATE_TIME, {"type": "null"}]}
ORDER = json_object(
    ("id", "at", "kind", "delivery", "needs_ack", "attempts", "sends"),
    id={"type": "integer"}, at=DATE_TIME, kind={"type": "string"},
    unit_id={"type": ["integer", "null"]}, alert_id={"type": ["integer", "null"]},
    delivery={"enum": [s.value for s in DeliveryState]},
    delivery_detail={"type": ["string", "null"]}, needs_ack={"type": "boolean"},
    attempts={"type": "integer"}, sends={"type": "integer"},
    last_sent_at=_TIME_OR_NULL, delivered_at=_TIME_OR_NULL, acknowledged_at=_TIME_OR_NULL)
ALARM = json_object(
    ("id", "kind", "message", "raised_at"), id={"type": "integer"}, kind={"type": "string"},
    message={"type": "string"}, raised_at=DATE_TIME, cleared_at=_TIME_OR_NULL,
    acknowledged_at=_TIME_OR_NULL, unit_id={"type": ["integer", "null"]},
    alert_id={"type": ["integer", "null"]}, radio_log_id={"type": ["integer", "null"]})
MESSAGE_ID = Param("message_id", "outbound message id (the radio log row)", location="path",
                   type="integer")


class RetryBody(StrictBody):
    reason: str | None = Field(default=None, max_length=2000)


class DeliveryReport(StrictBody):
    state: Literal["delivered", "acknowledged"]
    note: str | None = Field(default=None, max_length=500)


class AlarmAck(StrictBody):
    reason: str | None = Field(default=None, max_length=2000)


@bp.get("/orders")
@allow("dispatcher", "supervisor")
@documented("Outbound radio messages (orders, cancellations, plan publications, overdue "
            "warnings) with their delivery state, newest first; `delivery=failed` lists "
            "the dead letters", tag="orders", params=(
                choice("delivery", "only messages in this state",
                       tuple(s.value for s in DeliveryState)),
                Param("unit_id", "only this unit's", type="integer", schema=ID_RANGE),
                Param("alert_id", "only this alert's", type="integer", schema=ID_RANGE),
                Param("limit", f"at most this many (default and maximum {MAX_ROWS})",
                      type="integer", schema={"minimum": 1, "maximum": MAX_ROWS})),
            responses={200: Answer("{orders}", schema=json_object(
                ("orders",), orders={"type": "array", "items": ORDER}))})
def list_orders() -> dict[str, Any]:
    args = request.args
    rows = repository.outbound(
        get_session(), delivery=args.get("delivery") or None,
        unit_id=int(args["unit_id"]) if args.get("unit_id") else None,
        alert_id=int(args["alert_id"]) if args.get("alert_id") else None,
        limit=int(args.get("limit", MAX_ROWS)))
    zh = in_chinese()
    return {"orders": [delivery.order_json(e, zh=zh) for e in rows]}


@bp.post("/orders/<int:message_id>/retry")
@allow("dispatcher")
@documented("Send a dead letter (a failed message) again: queued, its attempts counted "
            "afresh", tag="orders", params=(MESSAGE_ID,), body=RetryBody,
            responses={200: Answer("The message", schema=ORDER),
                       404: "No such outbound message", 409: "The message has not failed"})
def retry_order(message_id: int) -> dict[str, Any]:
    body = parse_body(RetryBody)
    session = get_session()
    delivery.queue_again(session, message_id, actor=current_user.username,
                         reason=body.reason)
    session.commit()
    deliver_orders(session, [message_id])
    entry = delivery.outbound_of(session, message_id)
    return delivery.order_json(entry, zh=in_chinese())


@bp.post("/orders/<int:message_id>/delivery")
@allow("dispatcher", "device")
@documented("A radio gateway (or a dispatcher) reports what became of a message: "
            "delivered to the unit's radio, or acknowledged by the unit (an order's "
            "acknowledgement also sends a dispatched unit en route)", tag="orders",
            params=(MESSAGE_ID,), body=DeliveryReport,
            responses={200: Answer("The message", schema=ORDER),
                       404: "No such outbound message",
                       409: "The message is addressed to no unit"})
def report_delivery(message_id: int) -> dict[str, Any]:
    body = parse_body(DeliveryReport)
    session = get_session()
    entry = delivery.outbound_of(session, message_id)
    if entry.unit_id is None:
        raise StateConflict(f"Message {message_id} is addressed to no unit.",
                            field="message_id", code="not_addressed")
    actor = current_user.username
    how = f"reported by {actor}" + (f": {body.note}" if body.note else "")
    now = datetime.now(UTC)
    if body.state == "delivered":
        delivery.mark_delivered(session, message_id, unit_id=entry.unit_id, at=now, how=how,
                                actor=actor)
    else:
        delivery.acknowledge_message(session, message_id, unit_id=entry.unit_id, at=now,
                                     how=how, actor=actor)
        unit = get_unit(session, entry.unit_id, lock=True)
        if entry.kind == "dispatch_order" and entry.alert_id is not None \
                and unit.alert_id == entry.alert_id:
            alert_service.acknowledge(session, alert_service.alert_of(session, entry.alert_id),
                                      unit, actor=actor, source="radio", at=now, how=how)
    session.commit()
    return delivery.order_json(entry, zh=in_chinese())


@bp.get("/alarms")
@allow("dispatcher", "supervisor")
@documented("Console alarms, newest first: orders not acknowledged in time, messages not "
            "delivered (dead letters), units en route too long, on scene without an update; "
            "open ones only unless `all=true`", tag="orders", params=(
                choice("all", "include cleared alarms", ("true", "false")),
                Param("alert_id", "only this alert's", type="integer", schema=ID_RANGE),
                Param("limit", f"at most this many (default and maximum {MAX_ROWS})",
                      type="integer", schema={"minimum": 1, "maximum": MAX_ROWS})),
            responses={200: Answer("{alarms}", schema=json_object(
                ("alarms",), alarms={"type": "array", "items": ALARM}))})
def list_alarms() -> dict[str, Any]:
    args = request.args
    rows = repository.alarms(get_session(), include_cleared=args.get("all") == "true",
                             alert_id=int(args["alert_id"]) if args.get("alert_id") else None,
                             limit=int(args.get("limit", MAX_ROWS)))
    zh = in_chinese()
    return {"alarms": [alarm_json(a, zh=zh) for a in rows]}


@bp.post("/alarms/<int:alarm_id>/acknowledge")
@allow("dispatcher")
@documented("The dispatcher has seen the alarm: it stays listed until its cause is gone, "
            "no longer calling for attention (audited)", tag="orders",
            params=(Param("alarm_id", "alarm id", location="path", type="integer"),),
            body=AlarmAck, responses={200: Answer("The alarm", schema=ALARM),
                                      404: "No such alarm"})
def acknowledge_console_alarm(alarm_id: int) -> dict[str, Any]:
    body = parse_body(AlarmAck)
    session = get_session()
    alarm = acknowledge_alarm(session, alarm_id, actor=current_user.username,
                              at=datetime.now(UTC), reason=body.reason)
    session.commit()
    return alarm_json(alarm, zh=in_chinese())
