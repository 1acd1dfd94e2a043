"""Alerts: raise one (camera call-up and ranked units in the answer), dispatch units,
acknowledge, close; the timeline. (The live event stream is app/events/.)"""

from __future__ import annotations

import logging
from typing import Any, Literal

from flask import request, url_for
from flask_login import current_user
from pydantic import Field

from app.api import bp
from app.api.docs import (
    DATE_TIME,
    NULLABLE_NUMBER,
    NULLABLE_STRING,
    Answer,
    Param,
    StrictBody,
    choice,
    documented,
    json_object,
    parse_body,
)
from app.auth.access import allow, any_role
from app.cameras.snapshots import prefetch_snapshots
from app.db import get_session
from app.dispatch import alerts as service
from app.dispatch import repository
from app.dispatch.units import current_recommendation, get_unit
from app.errors import Failure
from app.geography.graph import ServedGraph, road_graph
from app.orders.outbox import deliver_orders
from dispatch.recommend import UnitKind

logger = logging.getLogger(__name__)
ALERT_ID = Param("alert_id", "alert id", location="path", type="integer")
NAMES = {"anyOf": [json_object(("name", "name_zh", "name_en"), name=NULLABLE_STRING,
                               name_zh=NULLABLE_STRING, name_en=NULLABLE_STRING),
                   {"type": "null"}]}
PLACE = {**json_object(
    ("kind", "text_en", "text_zh"),
    kind={"enum": ["junction", "road", "poi", "unknown"]},
    text_en=NULLABLE_STRING, text_zh=NULLABLE_STRING, road=NAMES,
    road_distance_m=NULLABLE_NUMBER, cross_road=NAMES, junction_distance_m=NULLABLE_NUMBER,
    poi=NAMES, poi_kind=NULLABLE_STRING, poi_distance_m=NULLABLE_NUMBER),
    "description": (
        "The place in words, reverse geocoded from the imported roads and points of "
        "interest when the alert was raised: `junction` when a junction of the nearest "
        "named road with another lies within 30 m (`road` × `cross_road`), else `road` "
        "(the nearest named road within 150 m), plus the nearest named landmark within "
        "250 m (`poi`); `text_en`/`text_zh` say it in English and Chinese (\"Mannerheimintie "
        "× Simonkatu, 25 m from Lasipalatsi (bus station)\"), null when nothing named is "
        "near (`kind: unknown`). Names keep OSM's `name`, `name:zh` and `name:en`.")}
ALERT = json_object(
    ("id", "level", "status", "raised_at", "lon", "lat", "place"), place=PLACE,
    id={"type": "integer"},
    level={"enum": ["red", "orange", "yellow"]}, kind={"type": ["string", "null"]},
    covert={"type": "boolean"}, status={"type": "string"}, raised_at=DATE_TIME,
    closed_at={"anyOf": [DATE_TIME, {"type": "null"}]}, lon={"type": "number"},
    lat={"type": "number"}, timeline={"type": "array", "items": json_object(
        ("at", "event"), at=DATE_TIME, event={"type": "string"})})
WITH_TIMELINE = {**ALERT, "required": [*ALERT["required"], "timeline"]}


class AlertBody(StrictBody):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    level: Literal["red", "orange", "yellow"]
    kind: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=4000)
    covert: bool = False
    radius_m: float = Field(default=service.DEFAULT_RADIUS_M, gt=0, le=2000)
    escape_minutes: float = Field(default=service.DEFAULT_ESCAPE_S / 60, gt=0, le=30)
    unit_kinds: list[UnitKind] | None = Field(default=None, max_length=6)
    skills: list[str] | None = Field(default=None, max_length=10)


class DispatchBody(StrictBody):
    unit_ids: list[int] = Field(min_length=1, max_length=50)
    note: str | None = Field(default=None, max_length=500)
    reassign: bool = False


class AckBody(StrictBody):
    unit_id: int


class CloseBody(StrictBody):
    reason: str | None = Field(default=None, max_length=2000)


def graph_or_none() -> ServedGraph | None:
    try:
        return road_graph(get_session())
    except Failure:  # no roads imported: call-up still works, routing does not
        return None


def with_snapshot_urls(answer: dict[str, Any]) -> dict[str, Any]:
    for key in ("cameras", "nearby_cameras", "escape_cameras"):
        for camera in answer.get(key, []):
            camera["snapshot_url"] = (url_for("api.camera_snapshot", camera_id=camera["id"])
                                      if camera.get("has_stream") else None)
    return answer


@bp.post("/alerts")
@allow("dispatcher")
@documented("Raise an alert: the answer calls up cameras and ranks units", tag="dispatch",
            body=AlertBody, responses={201: Answer(
                "{id, cameras, nearby_cameras, escape_cameras, units, excluded_units, "
                "timeline}", schema={**WITH_TIMELINE, "required": [
                    *WITH_TIMELINE["required"], "cameras", "nearby_cameras",
                    "escape_cameras", "units", "excluded_units"]})})
def create_alert() -> tuple[dict[str, Any], int]:
    body = parse_body(AlertBody)
    session = get_session()
    alert, answer = service.raise_alert(session, graph_or_none(), service.AlertRequest(
        lon=body.lon, lat=body.lat, level=body.level, kind=body.kind,
        description=body.description, covert=body.covert, radius_m=body.radius_m,
        escape_s=body.escape_minutes * 60,
        unit_kinds=frozenset(body.unit_kinds) if body.unit_kinds else None,
        skills=frozenset(body.skills) if body.skills else None),
        actor=current_user.username, source="console")
    session.commit()
    answer = with_snapshot_urls(answer)
    prefetch_snapshots(session, [c["id"] for c in answer["cameras"] if c["has_stream"]])
    return service.alert_json(session, alert) | answer, 201


@bp.get("/alerts")
@any_role
@documented("Alerts, newest first", tag="dispatch", params=(
    choice("status", "open (not closed, default), closed or all", ("open", "closed", "all")),),
    responses={200: Answer("{alerts}", schema=json_object(
        ("alerts",), alerts={"type": "array", "items": ALERT}))})
def list_alerts() -> dict[str, Any]:
    status = request.args.get("status", "open")
    session = get_session()
    return {"alerts": [service.alert_json(session, a, timeline=False)
                       for a in repository.alerts(session, status=status)]}


@bp.get("/alerts/<int:alert_id>")
@any_role
@documented("An alert with its timeline and its call-up as raised; units dispatched or no "
            "longer available since are moved from `units` to `excluded_units` with why",
            tag="dispatch", params=(ALERT_ID,),
            responses={200: Answer("The alert", schema=WITH_TIMELINE)})
def show_alert(alert_id: int) -> dict[str, Any]:
    session = get_session()
    alert = service.alert_of(session, alert_id)
    callup = current_recommendation(session, dict(alert.callup), alert.id)
    return service.alert_json(session, alert) | with_snapshot_urls(callup)


@bp.post("/alerts/<int:alert_id>/dispatch")
@allow("dispatcher")
@documented("Dispatch units to the alert: statuses change, orders go out by radio",
            tag="dispatch", body=DispatchBody, params=(ALERT_ID,),
            responses={200: Answer("{alert, orders}", schema=json_object(
                ("alert", "orders"), alert=WITH_TIMELINE, orders={"type": "array"})),
                       404: "No such alert or unit",
                       409: "A unit cannot be dispatched, or the alert is closed"})
def dispatch_alert(alert_id: int) -> dict[str, Any]:
    body = parse_body(DispatchBody)
    session = get_session()
    alert = service.alert_of(session, alert_id, lock=True)
    orders = service.dispatch_units(session, alert, body.unit_ids,
                                    actor=current_user.username, note=body.note,
                                    reassign=body.reassign)
    session.commit()
    delivered = deliver_orders(session, [o.id for o in orders])
    return {"alert": service.alert_json(session, alert), "orders": delivered}


@bp.post("/alerts/<int:alert_id>/acknowledge")
@allow("dispatcher", "device")
@documented("A unit acknowledges its order (dispatched → en route)", tag="dispatch",
            body=AckBody, params=(ALERT_ID,),
            responses={200: Answer("The alert", schema=WITH_TIMELINE),
                       404: "No such alert or unit", 409: "The unit has no order for it"})
def acknowledge_alert(alert_id: int) -> dict[str, Any]:
    body = parse_body(AckBody)
    session = get_session()
    alert = service.alert_of(session, alert_id)
    unit = get_unit(session, body.unit_id, lock=True)
    service.acknowledge(session, alert, unit, actor=current_user.username, source="console")
    session.commit()
    return service.alert_json(session, alert)


@bp.post("/alerts/<int:alert_id>/close")
@allow("dispatcher")
@documented("Close the alert: its units are released and sent a cancellation",
            tag="dispatch", body=CloseBody, params=(ALERT_ID,),
            responses={200: Answer("The alert", schema=WITH_TIMELINE)})
def close_alert(alert_id: int) -> dict[str, Any]:
    body = parse_body(CloseBody)
    session = get_session()
    alert = service.alert_of(session, alert_id, lock=True)
    cancels = service.close_alert(session, alert, actor=current_user.username,
                                  reason=body.reason)
    session.commit()
    deliver_orders(session, [c.id for c in cancels])
    return service.alert_json(session, alert)
