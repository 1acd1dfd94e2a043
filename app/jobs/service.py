"""Submitting, showing and cancelling jobs; who may see which.

A request that starts long work calls :func:`submit` (the job row and its audit row are
written in the request's transaction, and the workers are woken when it commits) and
answers :func:`accepted`: ``202`` with ``Location: /api/v1/jobs/ID`` and the job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotPermitted, RecordNotFound, StateConflict, TooManyAttempts
from app.jobs import repository
from app.jobs.kinds import kind_named
from app.models import Job, User
from app.notes import note_text
from runtime.notes import Note

#: Statuses of a job that will not change any more.
FINISHED = ("done", "failed", "cancelled")
QUEUED = Note("queued")


@dataclass(frozen=True)
class InputFile:
    """A file given to a job (an upload): ``role`` says what it is to the job."""

    role: str
    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def described(self) -> dict[str, Any]:
        """What the job's parameters say of it (never its content)."""
        return {"role": self.role, "name": self.name, "bytes": len(self.content),
                "sha256": self.sha256}


def submit(session: Session, kind: str, params: dict[str, Any], *, actor: User,
           reason: str | None = None, message: str = QUEUED,
           page: str | None = None, files: Sequence[InputFile] = ()) -> Job:
    """Queue a job of ``kind`` (the caller commits). ``page``: the page that shows it
    (``{id}`` is replaced by the job's id). ``files``: stored with the job in the same
    transaction (table ``job_files``) and named in its parameters by size and SHA-256.

    The same request again while its job is queued or running gets that job (a reload, a
    client that retries: one piece of work — for files, the same contents). A user holds
    at most ``JOBS_PER_USER`` queued or running jobs; one more is refused with 429
    ``too_many_jobs``."""
    if kind_named(kind) is None:
        raise ValueError(f"unknown job kind {kind!r}")
    if files:
        params = params | {"input_files": [f.described() for f in files]}
    same = repository.active_job_like(session, requested_by=actor.id, kind=kind,
                                      params=params)
    if same is not None:
        return same
    limit = int(current_app.config.get("JOBS_PER_USER") or 5)
    if repository.active_jobs_of(session, actor.id) >= limit:
        raise TooManyAttempts(f"You have {limit} jobs queued or running: wait for one to "
                              "finish or cancel one (GET /api/v1/jobs).",
                              code="too_many_jobs")
    job = repository.add_job(session, kind=kind, params=params, requested_by=actor.id,
                             requested_by_name=actor.username, message=message)
    for file in files:
        repository.add_job_file(session, job.id, role=file.role, name=file.name,
                                content=file.content, sha256=file.sha256)
    if page:
        repository.set_page_url(session, job, page.replace("{id}", str(job.id)))
    audit.record(session, "job.submit", object_type="job", object_id=job.id, reason=reason,
                 actor=actor, details={"kind": kind, "params": params})
    return job


def prefers_async() -> bool:
    """Whether the request says ``Prefer: respond-async`` (RFC 7240): a job whatever the
    size of the work (what the pages and the command line send)."""
    from flask import request

    return any(token.split(";")[0].strip().lower() == "respond-async"
               for header in request.headers.getlist("Prefer")
               for token in header.split(","))


def job_view(job: Job) -> dict[str, Any]:
    """The job as the API shows it: ``message`` in English (for scripts),
    ``message_localised`` in the reader's language (for people)."""
    done = job.state == "done"
    return {
        "id": job.id, "kind": job.kind, "state": job.state,
        "progress": round(float(job.progress), 4), "message": job.message,
        "message_localised": note_text(job.message_note, job.message),
        "result": (job.result_url or _result_path(job.id)) if done else None,
        "page": job.page_url, "error": job.error, "params": job.params,
        "cancel_requested": job.cancel_requested,
        "requested_by": job.requested_by_name,
        "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at), "updated_at": _iso(job.heartbeat_at)}


def _result_path(job_id: int) -> str:
    return url_for("api.job_result", job_id=job_id)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def accepted(job: Job) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The answer of a request whose work became a job."""
    location = url_for("api.job", job_id=job.id)
    return job_view(job), 202, {"Location": location, "Retry-After": "1"}


def may_see(job: Job, user: User) -> bool:
    kind = kind_named(job.kind)
    return (job.requested_by == user.id or user.role_name == "admin"
            or (kind is not None and user.role_name in kind.readers))


def may_cancel(job: Job, user: User) -> bool:
    kind = kind_named(job.kind)
    return (job.requested_by == user.id or user.role_name == "admin"
            or (kind is not None and user.role_name in kind.cancellers))


def visible_job(session: Session, job_id: int, user: User) -> Job:
    """The job, or 404 when there is none or ``user`` may not see it (a job of someone
    else's is not confirmed to exist)."""
    job = repository.find_job(session, job_id)
    if job is None or not may_see(job, user):
        raise RecordNotFound(f"No job {job_id}.", field="job_id")
    return job


def cancel(session: Session, job_id: int, *, user: User, reason: str | None = None) -> Job:
    """Cancel a queued job, or ask the worker to stop a running one (at its next progress
    point); audited. 409 when the job has finished."""
    job = visible_job(session, job_id, user)
    if not may_cancel(job, user):
        raise NotPermitted(f"Role {user.role_name!r} may not cancel this job.")
    before = job.state
    state = repository.request_cancel(session, job_id, who=user.username)
    if state is None:
        raise StateConflict(f"Job {job_id} has already finished ({job.state}).",
                            field="job_id", code="job_finished")
    audit.record(session, "job.cancel", object_type="job", object_id=job_id, reason=reason,
                 actor=user, details={"kind": job.kind, "state_before": before,
                                      "state": state})
    session.flush()
    session.refresh(job)
    return job


def jobs_of(session: Session, user: User, *, kinds: list[str] | None,
            states: list[str] | None, limit: int, everyone: bool) -> list[Job]:
    """The user's own jobs (``everyone``: every job the user may see), newest first."""
    rows = repository.recent_jobs(session, requested_by=None if everyone else user.id,
                                  kinds=kinds, states=states, limit=limit)
    return [job for job in rows if may_see(job, user)]
