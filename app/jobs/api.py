"""Background jobs: their state and progress, their result, cancelling them.

Requests that start long work (``POST /patrol-plans``, ``GET /hotspots``, ``GET
/near-repeat``, ``GET /incident-times``, ``POST /incidents/imports``) answer ``202`` with
``Location: /api/v1/jobs/ID`` and the job; these routes follow it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_login import current_user

import app.analysis.import_jobs  # noqa: F401 - registers the incident import kind
import app.analysis.jobs  # noqa: F401 - registers the hot-spot, near-repeat, time kinds
import app.evidence.jobs  # noqa: F401 - registers the camera-placement kind
import app.passages.jobs  # noqa: F401 - registers the passage import kind
import app.planning.jobs  # noqa: F401 - registers the plan kind
import app.tours.jobs  # noqa: F401 - registers the tour proposal kind
from app.api import bp
from app.api.docs import (
    DATE_TIME,
    JSON,
    NULLABLE_STRING,
    Answer,
    Param,
    choice,
    documented,
    json_object,
)
from app.auth.access import any_role
from app.db import get_session
from app.errors import StateConflict
from app.jobs import service
from app.jobs.kinds import KINDS, kind_named
from app.models import JOB_STATES

NULLABLE_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
JOB_SCHEMA = json_object(
    ("id", "kind", "state", "progress", "message", "result"),
    id={"type": "integer"}, kind={"type": "string"},
    state={"enum": list(JOB_STATES)},
    progress={"type": "number", "minimum": 0, "maximum": 1},
    message={"type": "string", "description": "how far it got, or what came of it, in "
                                               "English"},
    message_localised={"type": "string", "description": "the message in the reader's "
                       "language (the user's, else Accept-Language)"},
    result={**NULLABLE_STRING, "description": "link to the result once done"},
    page={**NULLABLE_STRING, "description": "the page that shows the job and its result"},
    error={"type": ["object", "null"], "description": "{error, message, field?} when failed"},
    params={"type": "object"}, cancel_requested={"type": "boolean"},
    requested_by={"type": "string"}, created_at=DATE_TIME, started_at=NULLABLE_TIME,
    finished_at=NULLABLE_TIME, updated_at=NULLABLE_TIME)
#: The answer of a request whose work became a job (here and on the routes starting one).
ACCEPTED = Answer("The work runs as a job: `Location` is /api/v1/jobs/ID; the body is the "
                  "job (state queued or running). Follow it with GET /api/v1/jobs/ID", JSON,
                  JOB_SCHEMA)
TOO_MANY = ("The user already has GRIDPATROL_JOBS_PER_USER jobs queued or running "
            "(`too_many_jobs`)")
JOB_ID = Param("job_id", "job id", location="path", type="integer")


@bp.get("/jobs")
@any_role
@documented("Jobs one may see, newest first: one's own (all=true: also those of others "
            "whose results one may see, e.g. plans being made)", tag="jobs",
            params=(choice("state", "only jobs in this state", JOB_STATES),
                    choice("kind", "only jobs of this kind", tuple(sorted(KINDS)) or ("plan",)),
                    Param("all", "true: every job one may see", type="boolean"),
                    Param("limit", "at most this many (default 50)", type="integer",
                          schema={"minimum": 1, "maximum": 500})),
            responses={200: Answer("{jobs: [job]}", JSON, json_object(
                ("jobs",), jobs={"type": "array", "items": JOB_SCHEMA}))})
def jobs() -> dict[str, Any]:
    state, kind = request.args.get("state"), request.args.get("kind")
    rows = service.jobs_of(get_session(), current_user, kinds=[kind] if kind else None,
                           states=[state] if state else None,
                           limit=int(request.args.get("limit") or 50),
                           everyone=request.args.get("all") == "true")
    return {"jobs": [service.job_view(job) for job in rows]}


@bp.get("/jobs/<int:job_id>")
@any_role
@documented("A job: state (queued, running, done, failed, cancelled), progress 0–1, "
            "message, and once done the link to its result", tag="jobs", params=(JOB_ID,),
            responses={200: Answer("The job", JSON, JOB_SCHEMA),
                       404: "No such job, or one of someone else's that one may not see"})
def job(job_id: int) -> dict[str, Any]:
    return service.job_view(service.visible_job(get_session(), job_id, current_user))


@bp.delete("/jobs/<int:job_id>")
@any_role
@documented("Cancel a job: a queued one at once (200, cancelled), a running one at its "
            "next progress point (202, cancel_requested; its writes are rolled back). "
            "Audited; X-Audit-Reason says why", tag="jobs", params=(JOB_ID,),
            responses={200: Answer("The job, cancelled", JSON, JOB_SCHEMA),
                       202: Answer("The job, still running until it stops", JSON,
                                   JOB_SCHEMA),
                       403: "The job is visible but the role may not cancel it",
                       404: "No such job, or one of someone else's that one may not see",
                       409: "The job has already finished (`job_finished`)"})
def cancel_job(job_id: int) -> tuple[dict[str, Any], int]:
    session = get_session()
    job = service.cancel(session, job_id, user=current_user)
    session.commit()
    return service.job_view(job), 200 if job.state == "cancelled" else 202


@bp.get("/jobs/<int:job_id>/result")
@any_role
@documented("A finished job's result, as the request that started it would have answered "
            "(hot spots: GeoJSON; near repeat: the Knox table; format=csv for both; a "
            "plan: its summary — the routes are at /patrol-plans)", tag="jobs",
            params=(JOB_ID, choice("format", "json (default) | csv (analyses)",
                                   ("json", "csv"))),
            responses={200: Answer("The result", JSON, more={
                "application/geo+json": {"type": "object"}, "text/csv": {"type": "string"}}),
                       404: "No such job, or one of someone else's that one may not see",
                       409: "The job has not finished well (`not_done`): no result"})
def job_result(job_id: int) -> Response:
    found = service.visible_job(get_session(), job_id, current_user)
    if found.state != "done":
        raise StateConflict(f"Job {job_id} is {found.state}: there is no result.",
                            field="job_id", code="not_done")
    kind = kind_named(found.kind)
    assert kind is not None  # a done job's kind is registered
    body, media_type, filename = kind.render(found.result, request.args.get("format") or "")
    headers = {"Content-Disposition": f"attachment; filename={filename}"} if filename else {}
    return Response(body, mimetype=media_type, headers=headers)
