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
from app.analysis.params import DataFilter, HotspotParams, NearRepeatParams, from_query
from app.analysis.patterns import near_repeat, time_tables
from app.analysis.results import Promotion, promote, result_list, save_result, saved_result
from app.api import bp, json_body
from app.api.docs import Param, documented
from app.auth.access import allow
from app.db import get_read_session, get_session
from app.errors import InvalidValue, MalformedRequest

READERS = ("analyst", "supervisor", "dispatcher", "viewer")
DATA_PARAMS = (
    Param("from", "first month or day, YYYY-MM or YYYY-MM-DD (the source's local time)"),
    Param("to", "last month or day, inclusive"),
    Param("category", "common category code(s), comma-separated (burglary, robbery, …)"),
    Param("area", "area name"),
)
HOTSPOT_PARAMS = (
    Param("method", "gi_star | lisa | kde | emerging (default gi_star)"),
    Param("cell_m", "grid cell size in metres (default 250)", type="number"),
    Param("shape", "square | hex"),
    Param("weights", "queen (default) | distance"),
    Param("distance_m", "distance band in metres (default 1.5 × cell_m)", type="number"),
    Param("p_method", "analytical (p from z, as Esri; default for gi_star and emerging) | "
                      "permutation (default and only choice for lisa)"),
    Param("permutations", "conditional permutations when p_method=permutation (default "
                          "999, at least 99)", type="integer"),
    Param("seed", "random seed of the permutations (default 0)", type="integer"),
    Param("fdr", "Esri's false-discovery-rate correction (default true for gi_star and "
                 "emerging, false for lisa)", type="boolean"),
    Param("alpha", "significance level of lisa and emerging (default 0.05 and 0.10)",
          type="number"),
    Param("bandwidth_m", "KDE search radius (default: Silverman's rule)", type="number"),
    Param("time_bin", "emerging: day | week | month (default) | quarter"),
    Param("format", "geojson (default) | csv"),
    *DATA_PARAMS,
)
RESULT_ID = Param("result_id", "saved result id", location="path", type="integer")


class SaveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


def _args(model: type[DataFilter]) -> Any:
    args = request.args.copy()
    args.pop("format", None)
    return from_query(model, args)


def _format() -> str:
    fmt = request.args.get("format", "geojson")
    if fmt not in ("geojson", "csv"):
        raise MalformedRequest("format must be geojson or csv.", field="format")
    return fmt


@bp.get("/hotspots")
@allow(*READERS)
@documented("Hot spots per grid cell: Gi* (count, z, p, p_fdr, bin), LISA (i, z, p, "
            "p_fdr, quadrant), KDE (density_per_km2) or emerging patterns; p-values are "
            "two-sided", tag="analysis", params=HOTSPOT_PARAMS,
            responses={200: "GeoJSON FeatureCollection (or CSV); the run's summary is in "
                            "the collection's properties, with `significance`: p_method, "
                            "permutations, fdr, fdr_rule, critical_p per confidence level",
                       422: "bad parameter or no data"})
def hotspots() -> Response:
    fmt = _format()
    answer = run_hotspots(get_read_session(), _args(HotspotParams))
    if fmt == "csv":
        return _csv(answer.cells.drop(columns=answer.cells.geometry.name), "hotspots.csv")
    return Response(json.dumps(answer.geojson()), mimetype="application/geo+json")


@bp.get("/near-repeat")
@allow(*READERS)
@documented("Near-repeat (Knox) test: observed/expected pairs per distance × time band",
            tag="analysis", params=(
                Param("distance_bands", "number of distance bands (default 10)", type="integer"),
                Param("distance_band_m", "width of a distance band (default 100 m)",
                      type="number"),
                Param("time_bands", "number of time bands (default 10)", type="integer"),
                Param("time_band_days", "width of a time band (default 1 day)", type="number"),
                Param("permutations", "Monte-Carlo permutations (default 999)", type="integer"),
                Param("metric", "euclidean (default) | manhattan"), *DATA_PARAMS),
            responses={200: "{bands: [{distance, time, observed, expected, ratio, p_value}], "
                            "…}", 422: "bad parameter, no dated incidents"})
def near_repeat_table() -> Any:
    fmt = _format()
    answer = near_repeat(get_read_session(), _args(NearRepeatParams))
    if fmt == "csv":
        import pandas as pd

        return _csv(pd.DataFrame(answer["bands"]), "near-repeat.csv")
    return answer


@bp.get("/incident-times")
@allow(*READERS)
@documented("Incidents per hour × weekday (exact times only) and per month", tag="analysis",
            params=DATA_PARAMS)
def incident_times() -> dict[str, Any]:
    return time_tables(get_read_session(), _args(DataFilter))


@bp.get("/incidents/summary")
@allow(*READERS)
@documented("What incidents are loaded: counts per source, category and time resolution",
            tag="analysis")
def incidents_summary() -> dict[str, Any]:
    return incident_summary(get_read_session())


@bp.get("/hotspot-results")
@allow(*READERS)
@documented("Saved hot-spot results (newest first)", tag="analysis")
def hotspot_results() -> dict[str, Any]:
    return {"results": result_list(get_session())}


@bp.post("/hotspot-results")
@allow("analyst")
@documented("Run a hot-spot analysis and save it with its parameters", tag="analysis",
            body=SaveBody, responses={201: "{id, name, method, summary}"})
def save_hotspot_result() -> tuple[dict[str, Any], int]:
    body = SaveBody.model_validate(json_body())
    params = HotspotParams.model_validate(body.params)
    answer = run_hotspots(get_read_session(), params)  # read on the replica, saved on the primary
    session = get_session()
    row = save_result(session, answer, name=body.name, actor=current_user)
    session.commit()
    return {"id": row.id, "name": row.name, "method": row.method, "summary": row.summary}, 201


@bp.get("/hotspot-results/<int:result_id>")
@allow(*READERS)
@documented("A saved result: its GeoJSON with parameters", tag="analysis",
            params=(RESULT_ID,))
def hotspot_result(result_id: int) -> Response:
    row = saved_result(get_session(), result_id)
    body = dict(row.result)
    body["properties"] = dict(body.get("properties", {})) | {
        "id": row.id, "name": row.name, "created_at": row.created_at.isoformat()}
    return Response(json.dumps(body), mimetype="application/geo+json")


@bp.post("/hotspot-results/<int:result_id>/promote")
@allow("analyst", "supervisor")
@documented("Promote hot cells of a saved result to patrol hot spots or must-visit points",
            tag="analysis", params=(RESULT_ID,), body=Promotion,
            responses={200: "{target, cells, written, codes}", 422: "nothing qualifies"})
def promote_result(result_id: int) -> dict[str, Any]:
    promotion = Promotion.model_validate(json_body())
    session = get_session()
    answer = promote(session, saved_result(session, result_id), promotion,
                     actor=current_user)
    session.commit()
    return answer


def _csv(frame: Any, filename: str) -> Response:
    if frame.empty:
        raise InvalidValue("Nothing to export.", field="format")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
