"""Where to add cameras as a background job, and when a request may place them inline.

A placement's cost grows with its candidates (junctions × 5) times its demand points
(25 m road pieces, incidents): the request solves inline only while both stay within
:data:`~app.evidence.placement.SYNC_LIMITS` and k ≤ 20 (counted in PostGIS first,
:func:`~app.evidence.placement.placement_is_small`). Anything larger — and whatever the
placement page starts — is a job of kind ``camera_placement``: ``202`` at once, HiGHS in
``gridpatrol jobs worker`` with up to :data:`~app.evidence.placement.JOB_TIME_LIMIT_S`,
its progress (the stage, then the gap as HiGHS reports it) on the job.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from app.auth.access import NETWORK_PLANNERS
from app.evidence.placement import (
    JOB_LIMITS,
    JOB_TIME_LIMIT_S,
    PlacementBody,
    propose_cameras,
)
from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from runtime.notes import Note

#: gis.placement.mclp's statuses, in words
SOLVER_STATUSES = {"optimal": Note("optimal"), "time_limit": Note("stopped at the time limit")}
CSV_COLUMNS = ("pick", "order", "lon", "lat", "kind", "azimuth_deg", "fov_deg", "range_m",
               "gain", "road_m_in_view", "incidents_in_view")


def page_link(job_id: int | str = "{id}") -> str:
    return f"/evidence/placement?job={job_id}"


def run_placement_job(context: JobContext) -> JobOutcome:
    body = PlacementBody.model_validate(context.params)
    answer = propose_cameras(
        context.read_session, body, limits=JOB_LIMITS, time_limit_s=JOB_TIME_LIMIT_S,
        progress=lambda stage, share: context.progress(share, stage))
    solver = answer["solver"]
    gap = f"{100 * solver['gap']:.2f}"
    return JobOutcome(
        message=Note("%(cameras)s cameras: coverage %(before)s → %(after)s (greedy "
                     "%(greedy)s), %(status)s, gap %(gap)s %%", cameras=len(answer["cameras"]),
                     before=_pct(answer["coverage_before"]),
                     after=_pct(answer["coverage_after"]),
                     greedy=_pct(answer["greedy_after"]),
                     status=SOLVER_STATUSES.get(solver["status"], solver["status"]),
                     gap=gap),
        result=answer, page_url=page_link(context.job_id or ""))


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def render_placement(result: Any, fmt: str) -> tuple[str, str, str | None]:
    """JSON as the inline answer, or CSV: the solver's cameras, then the greedy pick."""
    if fmt != "csv":
        return json.dumps(result), "application/json", None
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for pick, key in (("solver", "cameras"), ("greedy", "greedy_cameras")):
        writer.writerows({"pick": pick} | camera for camera in result[key])
    return buffer.getvalue(), "text/csv", "camera-placement.csv"


# Proposals are shared among those who may make them: a supervisor sees an analyst's.
PLACEMENT = register(JobKind(
    "camera_placement", run_placement_job, "Where to add cameras (maximal covering)",
    readers=NETWORK_PLANNERS, render=render_placement))
