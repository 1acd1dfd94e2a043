"""Hot spots, near repeats and time tables as background jobs, and when a request may run
them inline.

A request runs inline (as before jobs existed) only while it is small: the incidents it
would read, times the permutations it would draw, stay under :data:`INLINE_WORK`
(:func:`near_repeat_is_small`, :func:`hotspots_are_small`), and a hot-spot run's cells
(estimated from the stored grid or the areas' surface), times the permutations and the
time bins, stay under :data:`INLINE_CELLS` and :data:`INLINE_WORK`; the time tables, counted in
the database, while at most :data:`INLINE_TIME_INCIDENTS` incidents match
(:func:`time_tables_are_small`). Anything larger — and whatever the analysis page starts,
whatever its size — is a job: ``202`` at once, the work in ``gridpatrol jobs worker``.
Incident imports are jobs too (:mod:`app.analysis.import_jobs`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from app.analysis.data import incidents_at_most, incidents_matching
from app.analysis.hotspots import run_hotspots
from app.analysis.map import kde_overlay
from app.analysis.params import DataFilter, HotspotParams, NearRepeatParams, run_params
from app.analysis.patterns import near_repeat, time_tables
from app.analysis.repository import cells_estimate, incidents_span
from app.analysis.results import save_result
from app.errors import Failure
from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from runtime.notes import Note

#: Incidents × (permutations + 1) a request may still compute inline (a few seconds).
INLINE_WORK = 5_000_000
#: Incidents a method without permutations (Gi* analytical, KDE) may read inline.
INLINE_INCIDENTS = 50_000
#: Cells (times time bins, for emerging hot spots) a hot-spot run may work on inline:
#: building and locating a grid of 16,000 cells took tens of seconds on a busy machine.
INLINE_CELLS = 10_000
#: Incidents the time tables may count inline (about a second per million, quiet machine:
#: benchmarks/incident_stats.py).
INLINE_TIME_INCIDENTS = 1_000_000
COUNTING_TIMES = Note("counting incidents per month and per hour of each weekday")


def near_repeat_is_small(session: Session, params: NearRepeatParams) -> bool:
    return incidents_matching(session, params) * (params.permutations + 1) <= INLINE_WORK


def hotspots_are_small(session: Session, params: HotspotParams) -> bool:
    cells = cells_estimate(session, shape=params.shape, cell_m=params.cell_m,
                           area=params.area)
    if cells > INLINE_CELLS:
        return False
    bins = cells * (_time_bins_estimate(session, params) if params.method == "emerging"
                    else 1)
    incidents = incidents_matching(session, params)
    permuted = params.method == "lisa" or params.p_method == "permutation"
    if permuted:
        return max(incidents, bins) * (params.permutations + 1) <= INLINE_WORK
    return incidents <= INLINE_INCIDENTS and bins <= INLINE_CELLS * 10


def _time_bins_estimate(session: Session, params: HotspotParams) -> int:
    """About how many time bins an emerging run has: its period, or the incidents' span
    where it is open."""
    days = {"day": 1, "week": 7, "month": 30, "quarter": 91}[params.time_bin]
    first, last = incidents_span(session)
    since, until = params.since or first, params.until or last
    if since is None or until is None:
        return 1
    return max(1, (until - since).days // days + 1)


def time_tables_are_small(session: Session, data: DataFilter) -> bool:
    return incidents_at_most(session, data, INLINE_TIME_INCIDENTS)


def _result_link(job_id: int | None, fmt: str) -> str:
    return f"/api/v1/jobs/{job_id}/result" + ("?format=csv" if fmt == "csv" else "")


def run_near_repeat_job(context: JobContext) -> JobOutcome:
    params = NearRepeatParams.model_validate(
        {k: v for k, v in context.params.items() if k != "format"})
    answer = near_repeat(context.read_session, params, progress=context.progress)
    return JobOutcome(
        message=Note("%(incidents)s incidents, %(pairs)s pairs, %(permutations)s "
                     "permutations", incidents=answer["events"], pairs=answer["pairs"],
                     permutations=params.permutations),
        result=answer, result_url=_result_link(context.job_id, context.params.get("format", "")),
        page_url=f"/analysis?job={context.job_id}")


def render_near_repeat(result: Any, fmt: str) -> tuple[str, str, str | None]:
    if fmt == "csv":
        return _csv(result["bands"]), "text/csv", "near-repeat.csv"
    import json

    return json.dumps(result), "application/json", None


def run_hotspots_job(context: JobContext) -> JobOutcome:
    params = HotspotParams.model_validate(run_params(context.params))
    answer = run_hotspots(context.read_session, params, progress=context.progress)
    saved = None
    if context.params.get("save_as"):  # POST /hotspot-results too large to run inline
        saved = save_result(context.session, answer, name=str(context.params["save_as"]),
                            actor=context.actor).id
    collection = answer.geojson()
    summary = collection["properties"]
    context.progress(0.97, COUNTING_TIMES)
    try:  # shown beside the map; the page reads them from here, not again
        times = time_tables(context.read_session, params)
    except Failure:
        times = None
    return JobOutcome(
        message=Note("%(incidents)s incidents in %(cells)s cells",
                     incidents=summary["incidents"], cells=summary["cells"]),
        result={"geojson": collection, "times": times, "saved_result": saved,
                "kde": kde_overlay(answer.raster) if answer.raster is not None else None},
        result_url=_result_link(context.job_id, context.params.get("format", "")),
        page_url=f"/analysis?job={context.job_id}")


def render_hotspots(result: Any, fmt: str) -> tuple[str, str, str | None]:
    import json

    collection = result["geojson"]
    if fmt == "csv":
        return (_csv([f["properties"] for f in collection["features"]]), "text/csv",
                "hotspots.csv")
    return json.dumps(collection), "application/geo+json", None


def run_time_tables_job(context: JobContext) -> JobOutcome:
    data = DataFilter.model_validate(context.params)
    context.progress(0.0, COUNTING_TIMES)
    answer = time_tables(context.read_session, data)
    return JobOutcome(message=Note("%(incidents)s incidents", incidents=answer["incidents"]),
                      result=answer)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


# Ad-hoc analyses are their requester's (and admin's): nobody else sees or cancels them.
NEAR_REPEAT = register(JobKind(
    "near_repeat", run_near_repeat_job, "Near-repeat (Knox) test",
    render=render_near_repeat))
HOTSPOTS = register(JobKind(
    "hotspots", run_hotspots_job, "Hot spots per grid cell", render=render_hotspots))
TIME_TABLES = register(JobKind(
    "incident_times", run_time_tables_job, "Incidents per month and per hour × weekday"))
