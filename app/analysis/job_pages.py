"""The analysis page's side of jobs: the form's query as a job's parameters, and a job
(``/analysis?job=ID``) as the page's context — its progress while it runs, its result
(map, tables, exports) once done, its error when it failed."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from werkzeug.datastructures import MultiDict

from app.analysis.hotspots import HotspotAnswer
from app.analysis.map import analysis_map, significance_note
from app.analysis.params import HotspotParams, NearRepeatParams, from_query
from app.console.pages import online_tiles
from app.db import get_read_session, get_session
from app.errors import Failure
from app.jobs.service import job_view, visible_job
from app.labels import label
from app.models import User

NEAR_REPEAT_ONLY = ("distance_bands", "distance_band_m", "time_bands", "time_band_days",
                    "metric")
HOTSPOT_ONLY = ("cell_m", "shape", "weights", "distance_m", "fdr", "p_method", "alpha",
                "bandwidth_m", "kde_cell_m", "time_bin", "time_steps")


def job_request(method: str, args: MultiDict[str, str]) -> tuple[str, dict[str, Any]]:
    """The job kind and parameters of the form's query (validated: a bad field is
    refused here, before anything is queued)."""
    query = args.copy()
    query.pop("job", None)
    if method == "near_repeat":
        query.pop("method", None)
        for unused in HOTSPOT_ONLY:
            query.pop(unused, None)
        return "near_repeat", from_query(NearRepeatParams, query).model_dump(
            by_alias=True, mode="json")
    for unused in NEAR_REPEAT_ONLY:
        query.pop(unused, None)
    return "hotspots", from_query(HotspotParams, query).model_dump(by_alias=True,
                                                                   mode="json")


def job_context(raw_id: str, user: User) -> dict[str, Any]:
    """The page's context for job ``raw_id``: the form filled with its parameters, the
    progress box, and the result when it is done."""
    if not raw_id.isdigit() or len(raw_id) > 9:
        return {"error": ("job", "No such job.")}
    try:
        job = visible_job(get_session(), int(raw_id), user)
    except Failure as exc:
        return {"error": (exc.field or "job", exc.message)}
    view = job_view(job)
    params = dict(job.params)
    method = "near_repeat" if job.kind == "near_repeat" else params.get("method", "gi_star")
    args = MultiDict([(k, _text(v)) for k, v in params.items()
                      if v is not None and v != [] and k != "format"] + [("method", method)])
    context: dict[str, Any] = {"args": args, "method": method, "job": view,
                               "job_title": _title(method)}
    if job.state == "failed" and job.error:
        context["error"] = (job.error.get("field") or "", job.error.get("message", ""))
    if job.state == "done":
        context |= (_near_repeat_result(job.id, job.result) if job.kind == "near_repeat"
                    else _hotspot_result(job.id, job.result, params))
    return context


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"  # 250, not 250.0, in the form
    return str(value)


def _title(method: str) -> str:
    return label("method", method)


def _near_repeat_result(job_id: int, result: Any) -> dict[str, Any]:
    return {"near_repeat": result,
            "export": {"csv": f"/api/v1/jobs/{job_id}/result?format=csv"}}


def _hotspot_result(job_id: int, result: Any, params: dict[str, Any]) -> dict[str, Any]:
    from app.analysis.pages import _times, _top_cells

    collection = result["geojson"]
    model = HotspotParams.model_validate({k: v for k, v in params.items() if k != "format"})
    cells = gpd.GeoDataFrame.from_features(collection["features"], crs=4326)
    answer = HotspotAnswer(model, cells, collection["properties"])
    return {
        "answer": answer, "summary": collection["properties"],
        "significance": significance_note(collection["properties"]),
        "map": analysis_map(answer, collection, online_tiles=online_tiles(),
                            kde=result.get("kde")),
        "top": _top_cells(answer),
        "times": result["times"] if "times" in result else _times(get_read_session(), model),
        "params_json": model.model_dump(by_alias=True, mode="json"),
        "export": {"geojson": f"/api/v1/jobs/{job_id}/result",
                   "csv": f"/api/v1/jobs/{job_id}/result?format=csv"}}
