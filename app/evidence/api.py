"""Evidence plans: which cameras watch a path and which minutes of recording to pull."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request
from flask_login import current_user

from app.api import bp, json_body
from app.api.docs import (
    CSV,
    DATE_TIME,
    NULLABLE_NUMBER,
    NULLABLE_STRING,
    Answer,
    Param,
    choice,
    documented,
    json_object,
    validate_json,
)
from app.auth.access import EVIDENCE_USERS, allow
from app.db import get_session
from app.evidence import plans, repository
from app.evidence.body import EvidencePlanBody

PLAN_ID = Param("plan_id", "evidence plan id", location="path", type="integer")
SIGHTING = json_object(
    ("order", "camera_id", "window_start", "window_end", "reason"),
    order={"type": "integer"}, camera_id={"type": "integer"}, name=NULLABLE_STRING,
    kind={"type": "string"}, status={"type": "string"}, gb_id=NULLABLE_STRING,
    window_start=DATE_TIME, window_end=DATE_TIME, expected_first=DATE_TIME,
    expected_last=DATE_TIME, seen_m={"type": "number"}, along_m=NULLABLE_NUMBER,
    road=NULLABLE_STRING, reason={"type": "string"}, recording_url=NULLABLE_STRING,
    direction_known={"type": "boolean"})
PLAN = json_object(
    ("id", "kind", "mode", "at", "cameras"), id={"type": "integer"},
    kind={"enum": ["path", "route", "ways_out"]},
    mode={"enum": ["car", "motorcycle", "foot"]}, at=DATE_TIME,
    alert_id={"type": ["integer", "null"]}, incident_id={"type": ["integer", "null"]},
    cameras={"type": "array", "items": SIGHTING})
REFUSALS = {
    "unusable_path": "the path or GPX holds no usable line (fewer than two distinct "
                     "points, coordinates out of range, longer than 300 km, not GPX)",
    "incomplete_place": "lon without lat (or the reverse), or no place or time and no "
                        "alert or incident to take them from",
    "too_far_from_road": "the place or destination is more than 500 m from any drivable "
                         "road (routes and ways out need the road)",
    "no_route": "no drivable route leads to the destination",
    "no_roads": "no road graph yet (routes and ways out need one)",
}
NOT_FOUND = "No such alert or incident (alert_id, incident_id)"


@bp.post("/evidence-plans")
@allow(*EVIDENCE_USERS)
@documented(
    "Which cameras watch a path from a place and time, and the window of recording to "
    "pull from each (travel time along the path from the start, widened by the mode's "
    "slack: see the README). The path is drawn (`path`, GeoJSON), uploaded (`gpx`), "
    "routed to a place (`to`), or every way out within `minutes`. Cameras facing away "
    "from the path are not listed. The plan is stored, filed in the alert's or "
    "incident's case when one is named (and put on the alert's timeline), and audited "
    "with its `reason`; it never raises an alert.", tag="evidence", body=EvidencePlanBody,
    responses={201: Answer("The plan: cameras ordered by window start", schema=PLAN),
               404: NOT_FOUND},
    refusals=REFUSALS)
def create_evidence_plan() -> tuple[dict[str, Any], int]:
    body = validate_json(EvidencePlanBody, json_body())
    session = get_session()
    plan = plans.make_plan(session, body, actor=current_user._get_current_object())
    session.commit()
    return plans.plan_json(session, plan), 201


@bp.get("/evidence-plans")
@allow(*EVIDENCE_USERS)
@documented("Evidence plans of an alert's or an incident's case file (or the newest 200), "
            "newest first, without their sightings", tag="evidence",
            params=(Param("alert_id", "only this alert's", type="integer",
                          schema={"minimum": 1, "maximum": 2**31 - 1}),
                    Param("incident_id", "only this incident's", type="integer",
                          schema={"minimum": 1, "maximum": 2**31 - 1})))
def list_evidence_plans() -> dict[str, Any]:
    alert_id = request.args.get("alert_id", type=int)
    incident_id = request.args.get("incident_id", type=int)
    rows = repository.plans_of(get_session(), alert_id=alert_id,
                                     incident_id=incident_id)
    return {"plans": [{"id": p.id, "kind": p.kind, "mode": p.mode, "at": p.at.isoformat(),
                       "alert_id": p.alert_id, "incident_id": p.incident_id,
                       "reason": p.reason, "created_by": p.actor,
                       "created_at": p.created_at.isoformat(), "cameras": len(p.sightings)}
                      for p in rows]}


@bp.get("/evidence-plans/<int:plan_id>")
@allow(*EVIDENCE_USERS)
@documented("One evidence plan, as JSON or as CSV (format=csv: one row per camera)",
            tag="evidence",
            params=(PLAN_ID, choice("format", "json (default) | csv", ("json", "csv"))),
            responses={200: Answer("The plan (or CSV with format=csv)", schema=PLAN,
                                   more=CSV)})
def show_evidence_plan(plan_id: int) -> Any:
    session = get_session()
    plan = plans.find_plan(session, plan_id)
    if request.args.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(plans.CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(plans.csv_rows(plan))
        return Response(buffer.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f"attachment; filename=evidence-plan-{plan.id}.csv"})
    return plans.plan_json(session, plan)
