"""Tours over the API: propose one from the crime data, list, create, read, change and
delete tours (video operators, dispatchers and supervisors)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from app.api import bp
from app.api.docs import (
    DATE_TIME,
    NULLABLE_STRING,
    Answer,
    Param,
    choice,
    documented,
    json_object,
    parse_body,
)
from app.auth.access import VIDEO_OPERATORS, allow
from app.db import get_read_session, get_session
from app.jobs.api import ACCEPTED, TOO_MANY
from app.jobs.service import accepted, prefers_async, submit
from app.tours import tours
from app.tours.jobs import KIND as PROPOSAL_KIND
from app.tours.jobs import params_of as proposal_params
from app.tours.jobs import proposal_is_small
from app.tours.propose import ProposeBody, propose_tour

TOUR_ID = Param("tour_id", "tour id", location="path", type="integer")
REASON_TEXT = {"anyOf": [json_object(("en", "zh"), en={"type": "string"},
                                     zh={"type": "string"}, text={"type": "string"}),
                         {"type": "null"}]}
SKIPPED = json_object(("code", "message"), code={"enum": ["camera_deleted", "no_stream"]},
                      message={"type": "string"})
STOP = json_object(
    ("position", "camera_id", "dwell_s", "skipped"), position={"type": "integer"},
    camera_id={"type": ["integer", "null"]}, name=NULLABLE_STRING, dwell_s={"type": "integer"},
    status=NULLABLE_STRING, has_stream={"type": "boolean"},
    lon={"type": ["number", "null"]}, lat={"type": ["number", "null"]}, reason=REASON_TEXT,
    skipped={"anyOf": [SKIPPED, {"type": "null"}]})
SCHEDULE = json_object(("windows", "dates"), windows={"type": "array"},
                       dates={"type": ["object", "null"]})
TOUR = json_object(
    ("id", "name", "layout", "schedule", "cameras", "skipped"), id={"type": "integer"},
    name={"type": "string"}, layout={"enum": [1, 4, 9, 16]}, area=NULLABLE_STRING,
    schedule=SCHEDULE, schedule_text={"type": "string"}, due_now={"type": "boolean"},
    source={"enum": ["manual", "proposed"]}, cameras={"type": "array", "items": STOP},
    skipped={"type": "array"}, steps={"type": "integer"}, created_at=DATE_TIME,
    updated_at=DATE_TIME)
TOUR_SUMMARY = json_object(
    ("id", "name", "layout", "cameras", "skipped", "due_now"), id={"type": "integer"},
    name={"type": "string"}, layout={"type": "integer"}, area=NULLABLE_STRING,
    schedule=SCHEDULE, schedule_text={"type": "string"}, due_now={"type": "boolean"},
    cameras={"type": "integer"}, skipped={"type": "integer"}, created_by=NULLABLE_STRING,
    updated_at=DATE_TIME)
PROPOSAL = json_object(
    ("area", "hours", "period", "incidents", "cells", "cameras", "tour"),
    area={"type": "string"}, area_kind={"enum": ["area", "grid"]}, hours={"type": "string"},
    period=json_object(("from", "to", "default"), default={"type": "boolean"}),
    incidents={"type": "object"}, hour_profile={"type": "array", "items": {"type": "integer"}},
    cells={"type": "object"}, cameras={"type": "array", "items": json_object(
        ("rank", "camera_id", "sees", "new", "reason"), rank={"type": "integer"},
        camera_id={"type": "integer"}, sees={"type": "integer"}, new={"type": "integer"},
        cell=NULLABLE_STRING, in_cell={"type": "integer"}, reason=REASON_TEXT)},
    left_out={"type": "array"}, tour={"type": "object"}, message={"type": "string"})
TOUR_REFUSALS = {"unknown_area": "no area or patrol grid has that name (area, "
                                 "all_cameras_in)",
                 "no_cameras": "no camera with a stream stands in all_cameras_in",
                 "cameras_refused": "a camera does not exist, has no stream, or is listed "
                                    "twice; `errors` names each (`cameras.N.camera_id`)"}
WRITE_NOTE = (" A camera that does not exist, has no stream or is listed twice is refused, "
              "every such camera named in `errors` (`cameras.N.camera_id`). Give exactly one "
              "of `cameras` (in order, each with `dwell_s`, 5–3600 s, default 20) and "
              "`all_cameras_in` (an area's name or a grid cell's code: its cameras with a "
              "stream, in the order of a walk from the north-west, each `dwell_s`). "
              "`schedule`: `{windows: [{weekdays, start, end}], dates: {from, to}}` — weekly "
              "windows (weekdays 0 = Monday, default every day; end ≤ start crosses "
              "midnight and belongs to the start's day), a period such as a holiday (`from` "
              "not after `to`, at most 366 days), both, or neither (started by hand).")


@bp.post("/tours/propose")
@allow(*VIDEO_OPERATORS)
@documented("Propose a tour from the crime data: for an area's name or a patrol grid's "
            "code, the hours around `hour` (`hours` wide) and optionally a weekday (0 = "
            "Monday) and period (`from`/`to`, YYYY-MM or YYYY-MM-DD; default: the 91 days "
            "up to the newest incident known to the minute), the cameras whose views best "
            "watch the hot-spot cells (Gi* with FDR at 90 %, else the busiest cells) of "
            "those hours, picked by a greedy maximum cover, each with its reason in English "
            "and Chinese. Offline cameras and those in maintenance are left out and listed. "
            "`tour` is the draft to POST to /api/v1/tours. Nothing is saved. A region "
            "holding more than 20,000 incidents known to the minute (or `Prefer: "
            "respond-async`) is a job (202) whose result is the proposal",
            tag="video", body=ProposeBody,
            refusals={"unknown_area": "no area or patrol grid has that name",
                      "no_incidents": "no incident known to the minute matches",
                      "too_many_cells": "the area holds more than 200,000 cells of "
                                        "`cell_m`"},
            responses={200: Answer("the proposal", schema=PROPOSAL), 202: ACCEPTED,
                       429: TOO_MANY})
def propose() -> Any:
    body = parse_body(ProposeBody)
    if prefers_async() or not proposal_is_small(get_read_session(), body):
        session = get_session()
        job = submit(session, PROPOSAL_KIND, proposal_params(body), actor=current_user)
        session.commit()
        return accepted(job)
    return propose_tour(get_read_session(), body)


@bp.get("/tours")
@allow(*VIDEO_OPERATORS)
@documented("Tours (not deleted): those due now by their schedule first, then the newest; "
            "each with its cameras counted and those that will be skipped", tag="video",
            params=(Param("area", "only tours made for this area or grid",
                          schema={"maxLength": 200}),
                    choice("due", "only tours due now (true) or not (false)",
                           ("true", "false"))),
            responses={200: Answer("{tours}", schema=json_object(
                ("tours",), tours={"type": "array", "items": TOUR_SUMMARY}))})
def list_tours() -> dict[str, Any]:
    due = request.args.get("due")
    return {"tours": tours.tour_list(get_session(), area=request.args.get("area") or None,
                                     due=None if not due else due == "true")}


@bp.post("/tours")
@allow(*VIDEO_OPERATORS)
@documented("Create a tour." + WRITE_NOTE, tag="video", body=tours.TourBody,
            refusals=TOUR_REFUSALS, responses={201: Answer("the tour", schema=TOUR)})
def create_tour() -> tuple[dict[str, Any], int]:
    session = get_session()
    tour = tours.save_tour(session, parse_body(tours.TourBody))
    session.commit()
    return tours.tour_json(session, tour), 201


@bp.get("/tours/<int:tour_id>")
@allow(*VIDEO_OPERATORS)
@documented("A tour with its cameras as they are now (a deleted camera, or one without a "
            "stream, is marked `skipped` with why), its schedule and whether it is due",
            tag="video", params=(TOUR_ID,),
            responses={200: Answer("the tour", schema=TOUR), 404: "No such tour"})
def show_tour(tour_id: int) -> dict[str, Any]:
    session = get_session()
    return tours.tour_json(session, tours.tour_of(session, tour_id))


@bp.put("/tours/<int:tour_id>")
@allow(*VIDEO_OPERATORS)
@documented("Replace a tour (the same body as POST)." + WRITE_NOTE, tag="video",
            params=(TOUR_ID,), body=tours.TourBody, refusals=TOUR_REFUSALS,
            responses={200: Answer("the tour", schema=TOUR), 404: "No such tour"})
def replace_tour(tour_id: int) -> dict[str, Any]:
    session = get_session()
    body = parse_body(tours.TourBody)
    tour = tours.save_tour(session, body, tour=tours.tour_of(session, tour_id, lock=True))
    session.commit()
    return tours.tour_json(session, tour)


@bp.delete("/tours/<int:tour_id>")
@allow(*VIDEO_OPERATORS)
@documented("Delete a tour (audited; its runs, log and findings are kept). The reason may "
            "come in X-Audit-Reason", tag="video", params=(TOUR_ID,),
            responses={200: Answer("{deleted}", schema=json_object(
                ("deleted",), deleted={"type": "integer"})), 404: "No such tour"})
def delete_tour(tour_id: int) -> dict[str, Any]:
    session = get_session()
    tour = tours.tour_of(session, tour_id, lock=True)
    tours.delete_tour(session, tour, reason=None)
    session.commit()
    return {"deleted": tour_id}
