"""Large passage files imported as a background job: the upload is kept in
``passage_uploads`` (in the transaction that queues the job), read by the worker with a
progress bar, and deleted with the passages written in the job's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.errors import RecordNotFound
from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from app.jobs.service import submit
from app.models import Job, PassageUpload, User
from app.passages.importing import import_passages
from runtime.notes import Note

#: Files at most this large are imported inside the request (about 15,000 rows).
INLINE_BYTES = 1_000_000
KIND = "passage_import"


def queue_import(session: Session, raw: bytes, *, name: str, skip_bad: bool,
                 reason: str | None, actor: User) -> Job:
    """Keep the upload and queue its import (the caller commits)."""
    upload = PassageUpload(name=name, data=raw, created_by=actor.id)
    session.add(upload)
    session.flush()
    job = submit(session, KIND, {"upload_id": upload.id, "name": name, "skip_bad": skip_bad,
                                 "bytes": len(raw), "reason": reason},
                 actor=actor, reason=reason)
    upload.job_id = job.id
    return job


def run_import_job(context: JobContext) -> JobOutcome:
    params = context.params
    upload = context.session.get(PassageUpload, params["upload_id"])
    if upload is None:
        raise RecordNotFound("The uploaded file is gone.", field="upload_id")
    result = import_passages(context.session, bytes(upload.data), name=params["name"],
                             skip_bad=bool(params.get("skip_bad")),
                             reason=params.get("reason"), actor=context.actor,
                             progress=context.progress)
    context.session.delete(upload)
    return JobOutcome(
        message=Note("%(written)s passages written, %(duplicates)s already stored, "
                     "%(refused)s rows refused, %(unread)s unread plates",
                     written=result.written, duplicates=result.duplicates,
                     refused=result.refused, unread=result.unread),
        result=result.as_dict())


def render_result(result: Any, _fmt: str) -> tuple[str, str, str | None]:
    import json

    return json.dumps(result, ensure_ascii=False), "application/json", None


IMPORT = register(JobKind(KIND, run_import_job, "Passage file import",
                          render=render_result))
