"""Playing tours over the API: start a run, report what the wall shows (events), read the
log; flag findings and read them (GeoJSON for the maps, the frame); the tour report."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, request

from app.api import bp
from app.api.docs import (
    CSV,
    DATE_TIME,
    FEATURE_COLLECTION,
    GEOJSON,
    NULLABLE_STRING,
    Answer,
    Param,
    documented,
    json_object,
    parse_body,
)
from app.auth.access import FINDING_READERS, VIDEO_OPERATORS, allow
from app.cameras.snapshots import prefetch_snapshots
from app.db import get_session
from app.dispatch.api.alerts import graph_or_none
from app.errors import RecordNotFound
from app.geography.params import BBOX_PATTERN, BBox
from app.tours import findings, report, runs, tours
from app.tours.api import TOUR_ID
from app.tours.repository import findings as finding_rows

RUN_ID = Param("run_id", "tour run id", location="path", type="integer",
               schema={"maximum": 2**63 - 1})
FINDING_ID = Param("finding_id", "finding id", location="path", type="integer")
ID_QUERY = {"minimum": 1, "maximum": 2**31 - 1}
RUN = json_object(
    ("id", "tour_id", "username", "started_at", "ends_at", "state", "seconds"),
    id={"type": "integer"}, tour_id={"type": "integer"}, tour_name={"type": "string"},
    username={"type": "string"}, started_at=DATE_TIME, ends_at=DATE_TIME,
    state={"enum": ["running", "ended", "lost"]}, paused={"type": "boolean"},
    seconds={"type": "number"}, paused_s={"type": "number"}, layout={"type": "integer"},
    area=NULLABLE_STRING, planned={"type": "integer"}, shown={"type": "integer"},
    played={"type": "integer"}, skipped={"type": "array"}, findings={"type": "integer"})
FINDING = json_object(
    ("id", "kind", "outcome", "camera_id", "at", "lon", "lat"), id={"type": "integer"},
    kind={"type": "string"}, kind_label={"type": "string"}, note=NULLABLE_STRING,
    outcome={"enum": ["incident", "alert"]}, camera_id={"type": ["integer", "null"]},
    camera_name=NULLABLE_STRING, at=DATE_TIME, frame_url=NULLABLE_STRING,
    frame_source={"enum": ["live", "stream", None]}, frame_error=NULLABLE_STRING,
    incident_id={"type": ["integer", "null"]}, alert_id={"type": ["integer", "null"]},
    run_id={"type": ["integer", "null"]}, lon={"type": "number"}, lat={"type": "number"})
DATE = {"pattern": r"^\d{4}-\d{2}-\d{2}$"}


@bp.post("/tours/<int:tour_id>/runs")
@allow(*VIDEO_OPERATORS)
@documented("Start playing a tour on this operator's wall: the run and its plan — wall "
            "steps of `layout` cameras (those deleted or without a stream skipped, and "
            "listed with why), each step lasting its longest dwell — and how often the page "
            "is to report (`heartbeat_s`) before the server counts it gone (`stale_s`). "
            "Audited", tag="video", params=(TOUR_ID,),
            refusals={"nothing_to_show": "every camera of the tour is skipped"},
            responses={201: Answer("{run_id, steps, skipped, heartbeat_s, stale_s}",
                                   schema=json_object(("run_id", "steps", "skipped"),
                                                      run_id={"type": "integer"},
                                                      steps={"type": "array"},
                                                      skipped={"type": "array"})),
                       404: "No such tour"})
def start_tour_run(tour_id: int) -> tuple[dict[str, Any], int]:
    session = get_session()
    answer = runs.start_run(session, tours.tour_of(session, tour_id),
                            client=request.remote_addr)
    session.commit()
    return answer, 201


@bp.post("/tour-runs/<int:run_id>/events")
@allow(*VIDEO_OPERATORS)
@documented("What the wall shows, reported by its page: `show` (a step's cameras now on "
            "their tiles), `heartbeat` (every few seconds, each tile's state: loading, "
            "playing, unreachable, busy, stalled, and why), `pause`, `resume`, `end`. The "
            "server keeps each camera's time on a tile by its own clock. `seq` must grow: "
            "an event not above the last applied is answered `ignored` (a retry). After "
            "`stale_s` without events the run's tiles end at its last event; a later event "
            "resumes it without counting the gap. Only the run's own operator may report",
            tag="video", params=(RUN_ID,), body=runs.EventBody,
            refusals={"not_in_run": "a tile names a camera this run does not show",
                      "not_on_the_wall": "a tile beyond the run's wall"},
            responses={200: Answer("{run_id, ignored, ended}", schema=json_object(
                ("run_id", "ignored", "ended"), run_id={"type": "integer"},
                ignored={"type": "boolean"}, ended={"type": "boolean"})),
                       404: "No such run of yours", 409: "run_ended: the run has ended"})
def tour_run_event(run_id: int) -> dict[str, Any]:
    body = parse_body(runs.EventBody)
    session = get_session()
    answer = runs.apply_event(session, runs.own_run(session, run_id), body)
    session.commit()
    return answer


@bp.get("/tour-runs")
@allow(*VIDEO_OPERATORS)
@documented("The tour log: runs, newest first, each with its time on the wall, cameras "
            "planned, shown and played, findings. Supervisors see every operator's runs, "
            "others their own", tag="video",
            params=(Param("tour", "only this tour's runs", type="integer", schema=ID_QUERY),
                    Param("username", "only this operator's (supervisors)",
                          schema={"maxLength": 64}),
                    Param("since", "only runs still going at or after this time",
                          format="date-time"),
                    Param("limit", "at most this many (default 200)", type="integer",
                          schema={"minimum": 1, "maximum": 2000})),
            responses={200: Answer("{runs}", schema=json_object(
                ("runs",), runs={"type": "array", "items": RUN}))})
def tour_runs() -> dict[str, Any]:
    args = request.args
    return {"runs": runs.run_list(
        get_session(), tour_id=int(args["tour"]) if args.get("tour") else None,
        username=args.get("username") or None,
        since=datetime.fromisoformat(args["since"]) if args.get("since") else None,
        limit=int(args.get("limit") or 200))}


@bp.get("/tour-runs/<int:run_id>")
@allow(*VIDEO_OPERATORS)
@documented("One run's log: every camera shown, on which tile, from when to when (by the "
            "server's clock), for how long, whether its video played and why not",
            tag="video", params=(RUN_ID,),
            responses={200: Answer("the run with shown_tiles", schema={
                **RUN, "required": [*RUN["required"], "shown_tiles"]}),
                       404: "No such run (of yours)"})
def tour_run(run_id: int) -> dict[str, Any]:
    return runs.run_log(get_session(), run_id)


@bp.post("/findings")
@allow(*VIDEO_OPERATORS)
@documented("Flag a finding in one action: the camera, what was seen (`kind`), a note; the "
            "server takes the frame at once (the live wall's newest frame when the camera "
            "is being watched, else from the camera; without one the finding is kept and "
            "`frame_error` says why) and the finding becomes an incident at the place the "
            "camera watches (`outcome: incident`, on the map, counted by the analyses) or a "
            "red alert there (`outcome: alert`: cameras called up, units ranked). With "
            "`run_id` the camera must be one of that run of yours. Audited", tag="video",
            body=findings.FindingBody,
            refusals={"not_in_run": "with run_id: the camera is not one of that run"},
            responses={201: Answer("the finding", schema=FINDING),
                       404: "No such camera, or run of yours",
                       409: "run_ended: the run has ended"})
def create_finding() -> tuple[dict[str, Any], int]:
    body = parse_body(findings.FindingBody)
    session = get_session()
    finding = findings.flag_finding(session, body, graph_or_none() if body.outcome == "alert"
                                    else None)
    session.commit()
    if finding.alert_id is not None:
        prefetch_snapshots(session, [finding.camera_id] if finding.camera_id else [])
    row = finding_rows.finding_rows(session, finding_id=finding.id)[0]
    return findings.finding_json(row), 201


@bp.get("/findings")
@allow(*FINDING_READERS)
@documented("Findings flagged from the video wall, newest first, as GeoJSON points at the "
            "places the cameras watch (the map's layer)", tag="video",
            params=(Param("bbox", "west,south,east,north in degrees", schema={
                "pattern": BBOX_PATTERN}),
                    Param("since", "flagged at or after", format="date-time"),
                    Param("until", "flagged before", format="date-time"),
                    Param("run", "flagged in this tour run", type="integer",
                          schema={"minimum": 1, "maximum": 2**63 - 1}),
                    Param("camera", "on this camera", type="integer", schema=ID_QUERY),
                    Param("limit", "at most this many (default 1000)", type="integer",
                          schema={"minimum": 1, "maximum": 5000})),
            responses={200: Answer("GeoJSON FeatureCollection of findings", GEOJSON,
                                   FEATURE_COLLECTION)})
def list_findings() -> Response:
    args = request.args
    found = finding_rows.finding_rows(
        get_session(), bbox=BBox.parse(args.get("bbox")),
        since=datetime.fromisoformat(args["since"]) if args.get("since") else None,
        until=datetime.fromisoformat(args["until"]) if args.get("until") else None,
        run_id=int(args["run"]) if args.get("run") else None,
        camera_id=int(args["camera"]) if args.get("camera") else None,
        limit=int(args.get("limit") or 1000))
    return Response(json.dumps(findings.findings_geojson(found)), mimetype=GEOJSON)


@bp.get("/findings/<int:finding_id>/frame")
@allow(*FINDING_READERS)
@documented("The frame the server took when the finding was flagged (JPEG)", tag="video",
            params=(FINDING_ID,),
            responses={200: Answer("the frame", "image/jpeg"),
                       404: "No such finding, or it has no frame"})
def finding_frame(finding_id: int) -> Response:
    found = finding_rows.frame_of(get_session(), finding_id)
    if found is None or found[0] is None:
        raise RecordNotFound(f"Finding {finding_id} has no frame.", field="finding_id")
    response = Response(found[0], mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    if found[1] is not None:
        response.headers["X-Frame-Taken-At"] = found[1].isoformat()
    return response


@bp.get("/tours/report")
@allow(*VIDEO_OPERATORS)
@documented("The tour report per local day, operator and area: runs, cameras planned, "
            "shown, played and shown without playing, minutes on the wall, paused, of camera "
            "video watched, findings (incidents, alerts). A run counts on the day it "
            "started. Supervisors see every operator, others themselves; `format=csv`",
            tag="video",
            params=(Param("from", "first local day (YYYY-MM-DD; default 6 days before "
                                  "`to`)", schema=DATE),
                    Param("to", "last local day (default today)", schema=DATE),
                    Param("operator", "one operator's user name", schema={"maxLength": 64}),
                    Param("area", "one area or grid", schema={"maxLength": 200}),
                    Param("format", "csv for a spreadsheet", schema={"enum": ["json",
                                                                             "csv"]})),
            responses={200: Answer("{from, to, rows, totals}", more=CSV, schema=json_object(
                ("from", "to", "rows", "totals"), rows={"type": "array"},
                totals={"type": "object"}))})
def tour_report() -> Any:
    args = request.args
    first, last = report.report_period(args.get("from"), args.get("to"))
    answer = report.tour_report(get_session(), first=first, last=last,
                                operator=args.get("operator") or None,
                                area=args.get("area") or None)
    if args.get("format") == "csv":
        response = Response(report.report_csv(answer), mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="tours-{first.isoformat()}-{last.isoformat()}.csv"')
        return response
    return answer
