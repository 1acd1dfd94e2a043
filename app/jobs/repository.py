"""Every SQL statement of the job queue.

The ``jobs`` table is the queue: a worker claims the oldest queued job with
``FOR UPDATE SKIP LOCKED`` (two workers never take the same job, and neither waits for the
other), new jobs and cancellations are announced with ``NOTIFY gridpatrol_jobs`` (sent at
commit), and a worker holds a session advisory lock on its own key for as long as it
lives, so a running job whose worker's lock can be taken has lost its worker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.models import Job, JobFile
from runtime.notes import Note, note_json

CHANNEL = "gridpatrol_jobs"
#: First key of the two-key advisory locks workers hold (ASCII "jobs").
LOCK_CLASS = 0x6A6F6273
STARTED = Note("started")
CANCELLED_BEFORE_START = Note("cancelled before it started")
CANCELLING = Note("cancelling…")

_CLAIM = sa.text("""
UPDATE jobs SET state = 'running', started_at = now(), heartbeat_at = now(),
       worker = :worker, worker_key = :key, attempts = attempts + 1,
       message = :message, message_note = CAST(:note AS jsonb)
WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND NOT cancel_requested
            AND (CAST(:kinds AS text[]) IS NULL OR kind = ANY(CAST(:kinds AS text[])))
            ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id
""")
_PROGRESS = sa.text("""
UPDATE jobs SET progress = GREATEST(progress, :progress), message = :message,
       message_note = CAST(:note AS jsonb), heartbeat_at = now()
WHERE id = :id AND state = 'running' AND worker_key = :key
RETURNING cancel_requested
""")
_CANCEL = sa.text("""
UPDATE jobs SET cancel_requested = true, cancelled_by = :who,
       state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
       finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
       message = CASE WHEN state = 'queued' THEN CAST(:queued_message AS text)
                      ELSE CAST(:running_message AS text) END,
       message_note = CASE WHEN state = 'queued' THEN CAST(:queued_note AS jsonb)
                           ELSE CAST(:running_note AS jsonb) END
WHERE id = :id AND state IN ('queued', 'running')
RETURNING state
""")
_ORPHANS = sa.text("""
WITH running AS MATERIALIZED (
    SELECT id, worker_key FROM jobs
    WHERE state = 'running' AND worker_key IS NOT NULL AND worker_key <> :own_key),
dead AS (SELECT id FROM running
         WHERE pg_try_advisory_xact_lock(:lock_class, CAST(worker_key AS integer)))
UPDATE jobs j SET state = 'failed', finished_at = now(), message = :message,
       message_note = CAST(:note AS jsonb), error = CAST(:error AS jsonb)
FROM dead WHERE j.id = dead.id AND j.state = 'running'
RETURNING j.id
""")
_FINISH = sa.text("""
UPDATE jobs SET state = CAST(:state AS varchar), finished_at = now(),
       heartbeat_at = now(),
       progress = CASE WHEN CAST(:state AS varchar) = 'done' THEN 1 ELSE progress END,
       message = :message, message_note = CAST(:note AS jsonb),
       result = CAST(:result AS jsonb),
       result_url = CAST(:result_url AS text),
       page_url = COALESCE(CAST(:page_url AS text), page_url), error = CAST(:error AS jsonb)
WHERE id = :id AND state = 'running' AND worker_key = :key
RETURNING id
""")
_REQUEUE = sa.text("""
UPDATE jobs SET state = 'queued', progress = 0, started_at = NULL, worker = NULL,
       worker_key = NULL, message = :message, message_note = CAST(:note AS jsonb)
WHERE id = :id AND state = 'running' AND worker_key = :key AND NOT cancel_requested
RETURNING id
""")
_NOTIFY = sa.text("SELECT pg_notify(:channel, :payload)")
_PURGE = sa.text("""
DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled')
  AND finished_at < now() - make_interval(days => :days)
""")


def add_job(session: Session, *, kind: str, params: dict[str, Any], requested_by: int | None,
            requested_by_name: str, message: str, page_url: str | None = None) -> Job:
    """Queue a job (visible to workers when the caller commits; NOTIFY goes out then)."""
    job = Job(kind=kind, params=params, requested_by=requested_by,
              requested_by_name=requested_by_name[:64], message=str(message),
              message_note=note_json(message), state="queued", progress=0.0,
              page_url=page_url)
    session.add(job)
    session.flush()
    session.execute(_NOTIFY, {"channel": CHANNEL, "payload": f"queued {job.id}"})
    return job


def add_job_file(session: Session, job_id: int, *, role: str, name: str, content: bytes,
                 sha256: str) -> None:
    """Store a file the job is given (deleted by a trigger when the job finishes)."""
    session.add(JobFile(job_id=job_id, role=role, name=name[:255], size=len(content),
                        sha256=sha256, content=content))
    session.flush()


def job_files(session: Session, job_id: int) -> list[JobFile]:
    """The files a job was given, in the order they were stored."""
    return list(session.scalars(sa.select(JobFile).where(JobFile.job_id == job_id)
                                .order_by(JobFile.id)))


def active_job_like(session: Session, *, requested_by: int, kind: str,
                    params: dict[str, Any]) -> Job | None:
    """The user's queued or running job of the same kind and parameters, if any."""
    return session.scalars(sa.select(Job).where(
        Job.requested_by == requested_by, Job.kind == kind,
        Job.state.in_(("queued", "running")), ~Job.cancel_requested,
        Job.params == sa.cast(sa.literal(params, JSONB), JSONB)).order_by(Job.id.desc()).limit(1)
    ).first()


def active_jobs_of(session: Session, requested_by: int) -> int:
    """How many of the user's jobs are queued or running."""
    return int(session.execute(sa.select(sa.func.count()).select_from(Job).where(
        Job.requested_by == requested_by, Job.state.in_(("queued", "running")))
    ).scalar_one())


def set_page_url(session: Session, job: Job, url: str) -> None:
    job.page_url = url
    session.flush()


def find_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id, populate_existing=True)


def recent_jobs(session: Session, *, requested_by: int | None, kinds: Sequence[str] | None,
                states: Sequence[str] | None, limit: int) -> list[Job]:
    """Newest first; ``requested_by`` None lists everyone's."""
    query = sa.select(Job).order_by(Job.id.desc()).limit(limit)
    if requested_by is not None:
        query = query.where(Job.requested_by == requested_by)
    if kinds:
        query = query.where(Job.kind.in_(list(kinds)))
    if states:
        query = query.where(Job.state.in_(list(states)))
    return list(session.scalars(query))


def request_cancel(session: Session, job_id: int, *, who: str) -> str | None:
    """Cancel a queued job at once, or ask its worker to stop a running one. Returns the
    job's state afterwards, or None when it had already finished."""
    state = session.execute(_CANCEL, {
        "id": job_id, "who": who[:64], "queued_message": str(CANCELLED_BEFORE_START),
        "queued_note": _note(CANCELLED_BEFORE_START), "running_message": str(CANCELLING),
        "running_note": _note(CANCELLING)}).scalar_one_or_none()
    if state is not None:
        session.execute(_NOTIFY, {"channel": CHANNEL, "payload": f"cancel {job_id}"})
    return state  # type: ignore[no-any-return]


# -- the worker's side: each on the connection given ------------------------------------

def claim_job(conn: sa.Connection, *, worker: str, key: int,
              kinds: Sequence[str] | None) -> int | None:
    """Take the oldest queued job for this worker (committed by the caller)."""
    return conn.execute(_CLAIM, {"worker": worker[:128], "key": key, "message": str(STARTED),
                                 "note": _note(STARTED),
                                 "kinds": list(kinds) if kinds else None}).scalar_one_or_none()


def report_progress(conn: sa.Connection, job_id: int, *, key: int, progress: float,
                    message: str) -> bool | None:
    """Store progress (never backwards); answers whether cancelling was asked, or None
    when the job is no longer this worker's to run."""
    return conn.execute(_PROGRESS, {"id": job_id, "key": key,  # type: ignore[no-any-return]
                                    "progress": min(1.0, max(0.0, progress)),
                                    "message": message[:2000], "note": _note(message)}
                        ).scalar_one_or_none()


def finish_job(conn: sa.Connection | Session, job_id: int, *, key: int, state: str,
               message: str, result: str | None = None, result_url: str | None = None,
               page_url: str | None = None, error: str | None = None) -> bool:
    """Set the final state (``result`` and ``error`` as JSON text); False when the job was
    no longer this worker's (taken back as an orphan, requeued)."""
    return conn.execute(_FINISH, {
        "id": job_id, "key": key, "state": state, "message": message[:2000],
        "note": _note(message), "result": result, "result_url": result_url,
        "page_url": page_url, "error": error}).scalar_one_or_none() is not None


def requeue_job(conn: sa.Connection, job_id: int, *, key: int, message: str) -> bool:
    return conn.execute(_REQUEUE, {"id": job_id, "key": key, "message": str(message),
                                   "note": _note(message)}).scalar_one_or_none() is not None


def fail_orphaned_jobs(conn: sa.Connection, *, own_key: int, message: str,
                       error: str) -> list[int]:
    """Mark failed every running job whose worker is gone (its advisory lock is free)."""
    return list(conn.execute(_ORPHANS, {"own_key": own_key, "lock_class": LOCK_CLASS,
                                        "message": str(message), "note": _note(message),
                                        "error": error}).scalars())


def _note(message: str) -> str | None:
    """The JSON text of a message's note (its template and arguments), None for plain
    text."""
    note = note_json(message)
    return None if note is None else json.dumps(note, ensure_ascii=False)


def hold_worker_lock(conn: sa.Connection, key: int) -> bool:
    """Take this worker's session advisory lock (held until its connection ends)."""
    return bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:c, :k)"),
                             {"c": LOCK_CLASS, "k": key}).scalar_one())


def listen(conn: sa.Connection) -> None:
    conn.exec_driver_sql(f"LISTEN {CHANNEL}")


def purge_finished(conn: sa.Connection, *, days: int) -> int:
    return conn.execute(_PURGE, {"days": days}).rowcount or 0
