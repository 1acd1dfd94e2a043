"""Crime series: incidents linked as one (the same thief, night after night), their time
line and profile, mean centre and ellipse, the road corridors between them and the cameras
watching those; temporary must-visit points from a series."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, request
from flask_login import current_user

from app.analysis.params import from_query
from app.api import bp, json_body
from app.api.docs import (
    CSV,
    FEATURE_COLLECTION,
    GEOJSON,
    Answer,
    Param,
    choice,
    documented,
    model_params,
    validate_json,
)
from app.auth.access import ANALYSIS_READERS, ANALYSTS, PROMOTERS, SERIES_TOUR_MAKERS, allow
from app.db import get_session
from app.series import repository, service
from app.series.params import (
    FILTER_TEXT,
    VIEW_TEXT,
    SeriesBody,
    SeriesChange,
    SeriesFilter,
    SeriesTour,
    TemporaryPoints,
    ViewSettings,
)
from app.series.repeats import RepeatPoints, make_repeat_points
from app.series.tour import make_series_tour

SERIES_ID = Param("series_id", "series id", location="path", type="integer")
NOT_FOUND = "No such series"
UNKNOWN = {"unknown_incidents": "an id in incident_ids names no incident"}


def view_settings() -> ViewSettings:
    values = {k: request.args[k] for k in ("std_devs", "correction") if request.args.get(k)}
    if "std_devs" in values:
        values["std_devs"] = int(values["std_devs"])  # type: ignore[assignment]
    return ViewSettings.model_validate(values)


@bp.get("/series/incidents")
@allow(*ANALYSIS_READERS)
@documented("Incidents for a series: the analysis filter (period, category, area) with "
            "text and a box, newest first; `properties.matched` says how many match in all",
            tag="series", params=model_params(SeriesFilter, FILTER_TEXT),
            responses={200: Answer("GeoJSON FeatureCollection of incidents (id, "
                                   "occurred_at, time_resolution, category, "
                                   "source_category, description, address)", GEOJSON,
                                   FEATURE_COLLECTION),
                       404: "No area has the name given in area"})
def series_incidents() -> Any:
    query = from_query(SeriesFilter, request.args)
    return Response(json.dumps(service.matching(get_session(), query)), mimetype=GEOJSON)


@bp.get("/series")
@allow(*ANALYSIS_READERS)
@documented("Series kept, newest change first", tag="series",
            responses={200: "{series: [{id, name, notes, incidents, first, last, "
                            "created_by, created_at, updated_at}]}"})
def list_series() -> dict[str, Any]:
    return {"series": service.series_list(get_session())}


@bp.post("/series")
@allow(*ANALYSTS)
@documented("Keep incidents as a series (audited)", tag="series", body=SeriesBody,
            responses={201: "{id, name, incidents}"}, refusals=UNKNOWN)
def create_series() -> tuple[dict[str, Any], int]:
    body = validate_json(SeriesBody, json_body())
    session = get_session()
    row = service.create_series(session, body, actor=current_user._get_current_object())
    session.commit()
    return {"id": row.id, "name": row.name, "incidents": len(set(body.incident_ids))}, 201


@bp.get("/series/<int:series_id>")
@allow(*ANALYSIS_READERS)
@documented(
    "A series and what it shows: incidents in time order, time line, hour × weekday, "
    "mean centre and standard deviational ellipse (CrimeStat's spatial description; "
    "correction arcgis √2·n by default), the road corridors between consecutive "
    "incidents (fastest drivable routes) and the cameras watching them with the hours "
    "that matter; format=csv: the cameras", tag="series",
    params=(SERIES_ID, *model_params(ViewSettings, VIEW_TEXT),
            choice("format", "json (default) | csv (the corridor cameras)", ("json", "csv"))),
    responses={200: Answer("{id, name, incidents, timeline, hour_weekday, "
                           "hours_that_matter, description: {centre, standard_distance_m, "
                           "ellipse: {major_m, minor_m, rotation_deg, geometry, …}}, "
                           "corridors (GeoJSON), cameras: [{camera_id, corridors, road, "
                           "hours, hours_text, reason, …}], temporary_points}", more=CSV),
               404: NOT_FOUND})
def show_series(series_id: int) -> Any:
    settings = view_settings()
    session = get_session()
    shown = service.series_json(session, service.find_series(session, series_id), settings)
    if request.args.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(service.CAMERA_CSV))
        writer.writeheader()
        writer.writerows(service.camera_rows(shown))
        return Response(buffer.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f"attachment; filename=series-{series_id}-cameras.csv"})
    return shown


@bp.patch("/series/<int:series_id>")
@allow(*ANALYSTS)
@documented("Rename a series, change its notes or its incidents (audited)", tag="series",
            params=(SERIES_ID,), body=SeriesChange,
            responses={200: "{id, name, incidents}", 404: NOT_FOUND}, refusals=UNKNOWN)
def change_series(series_id: int) -> dict[str, Any]:
    change = validate_json(SeriesChange, json_body())
    session = get_session()
    row = service.change_series(session, series_id, change,
                                actor=current_user._get_current_object())
    session.commit()
    return {"id": row.id, "name": row.name,
            "incidents": len(repository.member_ids(session, row.id))}


@bp.delete("/series/<int:series_id>")
@allow(*ANALYSTS)
@documented("Remove a series (its incidents and the points it made stay; audited)",
            tag="series", params=(SERIES_ID,),
            responses={200: "{id, deleted: true}", 404: NOT_FOUND})
def delete_series(series_id: int) -> dict[str, Any]:
    session = get_session()
    service.delete_series(session, series_id, actor=current_user._get_current_object(),
                          reason=None)
    session.commit()
    return {"id": series_id, "deleted": True}


@bp.post("/series/<int:series_id>/must-visit-points")
@allow(*PROMOTERS)
@documented(
    "Temporary must-visit points from a series: at its places (incidents grouped within "
    "merge_m, or the mean centre), in its hours (every day, an hour either side of the "
    "hours it struck), expiring after `until`; made again, the series' points are "
    "updated (audited)", tag="series", params=(SERIES_ID,), body=TemporaryPoints,
    responses={200: "{series_id, expires_at, windows, points: [{id, name, lon, lat, "
                    "incidents}], retired}", 404: NOT_FOUND},
    refusals={"until_past": "until is before today", "until_too_far": "until is more "
              "than a year away", "empty_series": "the series holds no incidents"})
def series_must_visit_points(series_id: int) -> dict[str, Any]:
    body = validate_json(TemporaryPoints, json_body())
    session = get_session()
    answer = service.make_temporary_points(session, series_id, body,
                                           actor=current_user._get_current_object())
    session.commit()
    return answer


@bp.post("/series/<int:series_id>/tour")
@allow(*SERIES_TOUR_MAKERS)
@documented(
    "A video patrol tour of the cameras watching the series' corridors, in the order of "
    "the corridors, each with its reason in English and Chinese, due every day in the "
    "series' hours that matter (`windows: hours`) or started by hand (`any`), until "
    "`until` if given. Cameras without a stream, offline or in maintenance are left out "
    "and listed (`left_out`). One tour per series: made again, the series' tour is "
    "replaced in place (audited as series.tour and tour.create / tour.update)",
    tag="series", params=(SERIES_ID,), body=SeriesTour,
    responses={200: "{series_id, tour (as GET /api/v1/tours/ID), left_out: [{camera_id, "
                    "name, why}], replaced}", 404: NOT_FOUND},
    refusals={"empty_series": "the series holds no incidents",
              "no_cameras": "no camera with a stream, online or of unknown state, watches "
                            "the corridors (`left_out` lists those that do)",
              "until_past": "until is before today",
              "until_too_far": "until is more than 365 days away"})
def series_tour(series_id: int) -> dict[str, Any]:
    body = validate_json(SeriesTour, json_body())
    session = get_session()
    answer = make_series_tour(session, series_id, body,
                              actor=current_user._get_current_object())
    session.commit()
    return answer


@bp.post("/near-repeat/must-visit-points")
@allow(*PROMOTERS)
@documented(
    "Temporary must-visit points from a near-repeat result: the places of the incidents of "
    "the last `days` (known to the day or minute; grouped within `distance_m`), each "
    "expiring `days` after its latest incident; made again, a place's point is updated "
    "(audited)", tag="analysis", body=RepeatPoints,
    responses={200: "{incidents, points: [{id, name, lon, lat, incidents, expires_at}], "
                    "lapsed, as_of}", 404: "No area has the name given in area"},
    refusals={"too_many_points": "more than 200 places or 5,000 incidents: choose a "
                                 "category or an area"})
def near_repeat_must_visit_points() -> dict[str, Any]:
    body = validate_json(RepeatPoints, json_body())
    session = get_session()
    answer = make_repeat_points(session, body, actor=current_user._get_current_object())
    session.commit()
    return answer
