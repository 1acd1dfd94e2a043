"""Crime analysis: hot spots per grid cell, near repeats, time tables, saved results and
their promotion to patrol planning."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from app.analysis.data import incident_summary
from app.analysis.hotspots import run_hotspots
from app.analysis.jobs import hotspots_are_small, near_repeat_is_small, time_tables_are_small
from app.analysis.params import DataFilter, HotspotParams, NearRepeatParams, from_query
from app.analysis.patterns import near_repeat, time_tables
from app.analysis.results import (
    Promotion,
    promote,
    result_list,
    save_job_result,
    save_result,
    saved_result,
)
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
from app.auth.access import ANALYSIS_READERS, ANALYSTS, PROMOTERS, allow
from app.db import get_read_session, get_session
from app.errors import InvalidValue
from app.jobs.api import ACCEPTED, TOO_MANY
from app.jobs.service import accepted, prefers_async, submit, visible_job

DATA_TEXT = {
    "from": "first month or day, YYYY-MM or YYYY-MM-DD (the source's local time); before "
            "`to`",
    "to": "last month or day, inclusive",
    "category": "common category code(s), comma-separated (burglary, robbery, …)",
    "area": "area name",
}
HOTSPOT_TEXT = {
    "method": "gi_star | lisa | kde | emerging (default gi_star)",
    "cell_m": "grid cell size in metres (default 250)",
    "shape": "square | hex",
    "weights": "queen (default) | distance",
    "distance_m": "distance band in metres (default 1.5 × cell_m; with weights=distance at "
                  "least cell_m)",
    "p_method": "analytical (p from z, as Esri; default for gi_star and emerging) | "
                "permutation (default and only choice for lisa)",
    "permutations": "conditional permutations when p_method=permutation (default 999, at "
                    "least 99)",
    "seed": "random seed of the permutations (default 0)",
    "fdr": "Esri's false-discovery-rate correction (default true for gi_star and emerging, "
           "false for lisa)",
    "alpha": "significance level of lisa and emerging (default 0.05 and 0.10)",
    "bandwidth_m": "KDE search radius (default: Silverman's rule)",
    "kde_cell_m": "KDE raster cell in metres (default: from the bandwidth)",
    "time_bin": "emerging: day | week | month (default) | quarter",
    "time_steps": "emerging: earlier time bins in each bin's neighbourhood (Esri's "
                  "Neighborhood Time Step; default 1, 0 for space only)",
}
NEAR_REPEAT_TEXT = {
    "distance_bands": "number of distance bands (default 10)",
    "distance_band_m": "width of a distance band (default 100 m)",
    "time_bands": "number of time bands (default 10)",
    "time_band_days": "width of a time band (default 1 day)",
    "permutations": "Monte-Carlo permutations (default 999)",
    "seed": "random seed (default 0)",
    "metric": "euclidean (default) | manhattan",
}
FORMAT = choice("format", "geojson (default) | csv", ("geojson", "csv"))
DATA_PARAMS = model_params(DataFilter, DATA_TEXT)
NO_AREA = "No area has the name given in area"
NO_INCIDENTS = {"no_incidents": "no incident matches the period, category and area"}
HOTSPOT_REFUSALS = NO_INCIDENTS | {
    "too_few_cells": "Gi*, LISA and emerging need at least 3 cells (cell_m too large for "
                     "the area)",
    "time_bins": "emerging: the period holds fewer than 3 (or too many) time bins, or no "
                 "incident has a time fine enough for them",
    "nothing_to_export": "format=csv of an empty result",
    "grid_too_large": "the cells, or the KDE raster and its kernel, would exceed the cell "
                      "limit (cell_m or kde_cell_m too small for the area or the "
                      "bandwidth)"}
RESULT_ID = Param("result_id", "saved result id", location="path", type="integer")


class SaveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    params: HotspotParams = Field(default_factory=HotspotParams)
    # a finished hot-spot job whose result to keep (then params are its own)
    job: int | None = Field(default=None, ge=1)


def _args(model: type[DataFilter]) -> Any:
    args = request.args.copy()
    args.pop("format", None)
    return from_query(model, args)


def _format() -> str:
    return request.args.get("format", "geojson")


@bp.get("/hotspots")
@allow(*ANALYSIS_READERS)
@documented("Hot spots per grid cell: Gi* (count, z, p, p_fdr, bin), LISA (i, z, p, "
            "quadrant), KDE (density_per_km2) or emerging patterns; p-values are two-sided",
            tag="analysis",
            params=(*model_params(HotspotParams, HOTSPOT_TEXT), FORMAT, *DATA_PARAMS),
            responses={200: Answer("GeoJSON FeatureCollection (or CSV with format=csv); the "
                                   "run's summary is in the collection's properties, with "
                                   "`significance`: p_method, permutations, fdr, fdr_rule, "
                                   "critical_p per confidence level",
                                   GEOJSON, FEATURE_COLLECTION, more=CSV),
                       202: ACCEPTED, 404: NO_AREA, 429: TOO_MANY},
            refusals=HOTSPOT_REFUSALS)
def hotspots() -> Any:
    fmt = _format()
    params = _args(HotspotParams)
    if prefers_async() or not hotspots_are_small(get_read_session(), params):
        return _as_job("hotspots", params, fmt)
    answer = run_hotspots(get_read_session(), params)
    if fmt == "csv":
        return _csv(answer.cells.drop(columns=answer.cells.geometry.name), "hotspots.csv")
    return Response(json.dumps(answer.geojson()), mimetype=GEOJSON)


@bp.get("/near-repeat")
@allow(*ANALYSIS_READERS)
@documented("Near-repeat (Knox) test: observed/expected pairs per distance × time band",
            tag="analysis",
            params=(*model_params(NearRepeatParams, NEAR_REPEAT_TEXT), FORMAT, *DATA_PARAMS),
            responses={200: Answer("{bands: [{distance, time, observed, expected, ratio, "
                                   "p_value}], …} (or CSV with format=csv)", more=CSV),
                       202: ACCEPTED, 404: NO_AREA, 429: TOO_MANY},
            refusals=NO_INCIDENTS | {
                "no_dated_incidents": "no matching incident has a time to the day",
                "too_many_incidents": "more incidents match than the test takes",
                "nothing_to_export": "format=csv of an empty table"})
def near_repeat_table() -> Any:
    fmt = _format()
    params = _args(NearRepeatParams)
    if prefers_async() or not near_repeat_is_small(get_read_session(), params):
        return _as_job("near_repeat", params, fmt)
    answer = near_repeat(get_read_session(), params)
    if fmt == "csv":
        import pandas as pd

        return _csv(pd.DataFrame(answer["bands"]), "near-repeat.csv")
    return answer


@bp.get("/incident-times")
@allow(*ANALYSIS_READERS)
@documented("Incidents per hour × weekday (exact times only) and per month, counted in the "
            "database; a job past a million matching incidents (or with Prefer: "
            "respond-async)", tag="analysis",
            params=DATA_PARAMS, refusals=NO_INCIDENTS,
            responses={200: "{incidents, hour_weekday: {weekdays, hours, counts, counted, "
                            "too_coarse}, monthly: {months, counts, counted}}",
                       202: ACCEPTED, 404: NO_AREA, 429: TOO_MANY})
def incident_times() -> Any:
    data = _args(DataFilter)
    if prefers_async() or not time_tables_are_small(get_read_session(), data):
        return _as_job("incident_times", data, "json", page=None)
    return time_tables(get_read_session(), data)


@bp.get("/incidents/summary")
@allow(*ANALYSIS_READERS)
@documented("What incidents are loaded: counts per source, category and time resolution",
            tag="analysis")
def incidents_summary() -> dict[str, Any]:
    return incident_summary(get_read_session())


@bp.get("/hotspot-results")
@allow(*ANALYSIS_READERS)
@documented("Saved hot-spot results (newest first)", tag="analysis")
def hotspot_results() -> dict[str, Any]:
    return {"results": result_list(get_session())}


@bp.post("/hotspot-results")
@allow(*ANALYSTS)
@documented("Save a hot-spot result with its parameters: a finished hot-spot job's "
            "(`job`), or a run of `params` — inline when small, else a job that saves it "
            "when done (202)", tag="analysis",
            body=SaveBody, responses={201: "{id, name, method, summary}", 202: ACCEPTED,
                                      404: NO_AREA + ", or no such job",
                                      409: "job: not finished (or failed): no result yet",
                                      429: TOO_MANY},
            refusals=HOTSPOT_REFUSALS | {"not_hotspots": "job: not a hot-spot job"})
def save_hotspot_result() -> Any:
    body = validate_json(SaveBody, json_body())
    session = get_session()  # saved on the primary
    if body.job is not None:
        row = save_job_result(session, visible_job(session, body.job, current_user),
                              name=body.name, actor=current_user)
    elif prefers_async() or not hotspots_are_small(get_read_session(), body.params):
        job = submit(session, "hotspots", body.params.model_dump(by_alias=True, mode="json")
                     | {"save_as": body.name}, actor=current_user, page="/analysis?job={id}")
        session.commit()
        return accepted(job)
    else:
        answer = run_hotspots(get_read_session(), body.params)  # read on the replica
        row = save_result(session, answer, name=body.name, actor=current_user)
    session.commit()
    return {"id": row.id, "name": row.name, "method": row.method, "summary": row.summary}, 201


@bp.get("/hotspot-results/<int:result_id>")
@allow(*ANALYSIS_READERS)
@documented("A saved result: its GeoJSON with parameters", tag="analysis",
            params=(RESULT_ID,), responses={200: Answer(
                "GeoJSON FeatureCollection; properties: parameters, summary, id, name",
                GEOJSON, FEATURE_COLLECTION)})
def hotspot_result(result_id: int) -> Response:
    row = saved_result(get_session(), result_id)
    body = dict(row.result)
    body["properties"] = dict(body.get("properties", {})) | {
        "id": row.id, "name": row.name, "created_at": row.created_at.isoformat()}
    return Response(json.dumps(body), mimetype=GEOJSON)


@bp.post("/hotspot-results/<int:result_id>/promote")
@allow(*PROMOTERS)
@documented("Promote hot cells of a saved result to patrol hot spots or must-visit points",
            tag="analysis", params=(RESULT_ID,), body=Promotion,
            responses={200: "{target, cells, written, codes}"},
            refusals={"nothing_to_promote": "no cell of the result qualifies (a density "
                                            "surface has no classes: list codes)",
                      "not_cells_of_result": "a listed code is not a cell of the result"})
def promote_result(result_id: int) -> dict[str, Any]:
    promotion = validate_json(Promotion, json_body())
    session = get_session()
    answer = promote(session, saved_result(session, result_id), promotion,
                     actor=current_user)
    session.commit()
    return answer


def _as_job(kind: str, params: Any, fmt: str, *,
            page: str | None = "/analysis?job={id}") -> Any:
    """Queue the analysis as a job and answer 202 (its page: /analysis?job=ID)."""
    session = get_session()
    job = submit(session, kind, params.model_dump(by_alias=True, mode="json")
                 | ({"format": "csv"} if fmt == "csv" else {}),
                 actor=current_user, page=page)
    session.commit()
    return accepted(job)


def _csv(frame: Any, filename: str) -> Response:
    if frame.empty:
        raise InvalidValue("Nothing to export.", field="format", code="nothing_to_export")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
