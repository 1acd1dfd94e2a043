"""``gridpatrol jobs worker``: takes queued jobs and runs them, ``concurrency`` at a time.

- **Taking work.** The main thread claims the oldest queued job (``FOR UPDATE SKIP
  LOCKED``: any number of workers, never the same job twice) whenever a slot is free, and
  otherwise waits for ``NOTIFY gridpatrol_jobs`` (a new job) or ``poll_s``.
- **Running it.** Each job runs in a thread of its own in this process, in a Flask app
  context, with a :class:`~app.jobs.progress.ProgressReporter` that writes progress on a
  connection of its own (autocommit, so a page sees it at once) and raises at a progress
  point when cancelling was asked. The job's writes and its final state are committed in
  one transaction: a plan is never stored without its job saying done.
- **A worker that dies.** Each worker holds a session advisory lock on its own key for
  as long as its connection lives; PostgreSQL releases it when the process dies, however
  it died. At start and every ``sweep_every_s`` each worker takes the locks of the workers
  named on running jobs: a lock it can take belongs to a dead worker, and that job is
  marked failed ("the worker running it stopped").
- **Stopping** (SIGTERM, SIGINT): no new job is taken; running jobs stop at their next
  progress point and go back to the queue for the next worker; after ``grace_s`` the
  jobs still running are put back by the main thread and the process exits.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.db import get_read_session, get_session, make_engine
from app.errors import Failure, StateConflict
from app.jobs import repository
from app.jobs.kinds import JobContext, JobOutcome, kind_named
from app.jobs.progress import JobCancelled, JobInterrupted, ProgressReporter
from app.models import Job, User
from runtime.notes import Note, note_json

logger = logging.getLogger(__name__)
ORPHAN_MESSAGE = Note("the worker running it stopped (killed or crashed); submit it again")
ORPHAN_ERROR = json.dumps({"error": "worker_lost", "message": ORPHAN_MESSAGE})
REQUEUED = Note("waiting: the worker running it was stopped; it starts again on the next "
                "worker")
CANCELLED = Note("cancelled: what it had done is undone")
UNKNOWN_KIND = Note("unknown kind of job")


@dataclass
class Worker:
    """One worker process's loop (``run``) and its jobs' threads."""

    app: Flask
    concurrency: int = 2
    kinds: tuple[str, ...] | None = None
    poll_s: float = 2.0
    sweep_every_s: float = 30.0
    grace_s: float = 20.0
    keep_days: int = 30
    stopping: threading.Event = field(default_factory=threading.Event)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    key: int = 0
    _running: dict[int, threading.Thread] = field(default_factory=dict)
    _engine: Any = None

    def stop(self, *_args: Any) -> None:
        """Stop taking jobs; running ones are interrupted at their next progress point."""
        self.stopping.set()

    def run(self) -> None:
        """Work until :meth:`stop`."""
        from app.db import app_database_url

        self._engine = make_engine(app_database_url(self.app), pool_size=self.concurrency + 2,
                                   max_overflow=2)
        anchor = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            self.key = self._take_own_lock(anchor)
            repository.listen(anchor)
            logger.info("job worker %s (key %d): %d at a time%s", self.name, self.key,
                        self.concurrency, f", kinds {', '.join(self.kinds)}"
                        if self.kinds else "")
            self.sweep()
            next_sweep = time.monotonic() + self.sweep_every_s
            while not self.stopping.is_set():
                self._reap()
                while len(self._running) < self.concurrency and not self.stopping.is_set():
                    job_id = self._claim()
                    if job_id is None:
                        break
                    self._start(job_id)
                if time.monotonic() >= next_sweep:
                    self.sweep()
                    next_sweep = time.monotonic() + self.sweep_every_s
                self._wait(anchor)
            self._drain()
        finally:
            anchor.close()
            self._engine.dispose()

    # -- the loop's steps ----------------------------------------------------------------

    def _take_own_lock(self, anchor: sa.Connection) -> int:
        while True:
            key = secrets.randbelow(2**31 - 2) + 1
            if repository.hold_worker_lock(anchor, key):
                return key

    def sweep(self) -> list[int]:
        """Fail the jobs of dead workers; forget finished jobs past the retention."""
        with self._engine.begin() as conn:
            failed = repository.fail_orphaned_jobs(conn, own_key=self.key,
                                                   message=ORPHAN_MESSAGE, error=ORPHAN_ERROR)
            repository.purge_finished(conn, days=self.keep_days)
        if failed:
            logger.warning("jobs %s lost their worker: marked failed", failed)
        return failed

    def _claim(self) -> int | None:
        with self._engine.begin() as conn:
            return repository.claim_job(conn, worker=self.name, key=self.key,
                                        kinds=self.kinds)

    def _start(self, job_id: int) -> None:
        thread = threading.Thread(target=self.execute, args=(job_id,), daemon=True,
                                  name=f"job-{job_id}")
        self._running[job_id] = thread
        thread.start()

    def _reap(self) -> None:
        for job_id in [j for j, t in self._running.items() if not t.is_alive()]:
            del self._running[job_id]

    def _wait(self, anchor: sa.Connection) -> None:
        """Until a notification, ``poll_s``, or sooner when a slot is busy (to see it
        free up)."""
        timeout = min(self.poll_s, 0.5) if self._running else self.poll_s
        raw = anchor.connection.driver_connection
        try:
            for _note in raw.notifies(timeout=timeout, stop_after=1):  # type: ignore[union-attr]
                break
        except Exception:  # noqa: BLE001 - a broken connection ends the loop below
            if self.stopping.is_set():
                return
            raise

    def _drain(self) -> None:
        deadline = time.monotonic() + self.grace_s
        for thread in list(self._running.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        self._reap()
        if not self._running:
            return
        with self._engine.begin() as conn:
            for job_id in self._running:
                repository.requeue_job(conn, job_id, key=self.key, message=REQUEUED)
        logger.warning("stopped with jobs %s still running: put back in the queue",
                       sorted(self._running))

    # -- one job -------------------------------------------------------------------------

    def execute(self, job_id: int) -> None:
        """Run one claimed job to its final state (in its own thread); a failure of the
        machinery itself (the database gone) fails the job rather than leaving it
        running."""
        try:
            self._execute(job_id)
        except Exception as exc:  # noqa: BLE001 - logged, and the job's state says so
            logger.exception("job %d: the worker failed to run it", job_id)
            error = {"error": "internal_error",
                     "message": Note("the worker failed: %(error)s", error=type(exc).__name__)}
            try:
                with self._engine.begin() as conn:
                    repository.finish_job(conn, job_id, key=self.key, state="failed",
                                          message=error["message"], error=json.dumps(error))
            except Exception:  # noqa: BLE001 - the sweep of the next worker fails it
                logger.exception("job %d: could not record the failure", job_id)

    def _execute(self, job_id: int) -> None:
        with self.app.app_context(), self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as side:
            session = get_session()
            job = session.get(Job, job_id)
            kind = kind_named(job.kind) if job is not None else None
            if job is None or kind is None:
                repository.finish_job(side, job_id, key=self.key, state="failed",
                                      message=UNKNOWN_KIND, error=json.dumps(
                                          {"error": "unknown_kind",
                                           "message": "no worker code for this kind"}))
                return
            actor = session.get(User, job.requested_by) if job.requested_by else None
            params = dict(job.params)
            session.commit()

            def store(fraction: float, message: str) -> bool | None:
                return repository.report_progress(side, job_id, key=self.key,
                                                  progress=fraction, message=message)

            reporter = ProgressReporter(store, stopping=self.stopping)
            context = JobContext(job_id=job_id, params=params, session=session,
                                 read_session=get_read_session(), actor=actor,
                                 progress=reporter)
            self._run(kind.run, context, side, session, job_id)

    def _run(self, run: Any, context: JobContext, side: sa.Connection, session: Any,
             job_id: int) -> None:
        started = time.monotonic()
        try:
            outcome: JobOutcome = run(context)
        except JobCancelled:
            session.rollback()
            repository.finish_job(side, job_id, key=self.key, state="cancelled",
                                  message=CANCELLED)
            logger.info("job %d cancelled", job_id)
            return
        except JobInterrupted:
            session.rollback()
            repository.requeue_job(side, job_id, key=self.key, message=REQUEUED)
            logger.info("job %d put back in the queue (worker stopping)", job_id)
            return
        except Exception as exc:  # noqa: BLE001 - every failure ends as the job's state
            session.rollback()
            error = failure_of(exc)
            repository.finish_job(side, job_id, key=self.key, state="failed",
                                  message=error["message"], error=json.dumps(error))
            return
        if repository.finish_job(session, job_id, key=self.key, state="done",
                                 message=outcome.message,
                                 result=json.dumps(outcome.result, allow_nan=False),
                                 result_url=outcome.result_url, page_url=outcome.page_url):
            session.commit()
            logger.info("job %d done in %.1f s: %s", job_id, time.monotonic() - started,
                        outcome.message)
        else:  # taken from this worker meanwhile (requeued or failed as an orphan)
            session.rollback()


def failure_of(exc: BaseException) -> dict[str, Any]:
    """The job's ``error``: as the API would have answered the same failure."""
    from app.errors import _is_domain_error

    if isinstance(exc, Failure):  # with its extra details (an import's refused rows)
        return {**exc.extra, "error": exc.code, "message": exc.message,
                **({"field": exc.field} if exc.field else {})}
    if _is_domain_error(exc):
        field_name = getattr(exc, "field", None)
        return {"error": "invalid", "message": str(exc),
                **({"field": field_name} if isinstance(field_name, str) else {})}
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return {"error": "invalid", "message": f"{where}: {first['msg']}", "field": where}
    logger.error("job failed unexpectedly", exc_info=exc)
    return {"error": "internal_error",
            "message": Note("the job failed unexpectedly (the worker's log has the details)")}


def serve_forever(app: Flask, *, concurrency: int, kinds: tuple[str, ...] | None = None
                  ) -> None:
    """Run a worker until SIGTERM or SIGINT (graceful: see the module's doc)."""
    worker = Worker(app, concurrency=concurrency, kinds=kinds)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


def run_inline(session: Any, job_id: int, *, progress: Any = None) -> Job:
    """Run one queued job here, in ``session``'s transaction (``gridpatrol jobs run``, and
    tests whose data is not committed): its work and its final state are left for the
    caller to commit; a failure rolls the work back (a savepoint) and fails the job."""
    from datetime import UTC, datetime

    from app.jobs.progress import no_progress

    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.state != "queued":
        raise StateConflict(f"Job {job_id} is not queued.", field="job_id",
                            code="not_queued")
    kind = kind_named(job.kind)
    if kind is None:
        raise StateConflict(f"No code for jobs of kind {job.kind!r}.", field="job_id",
                            code="unknown_kind")
    job.state, job.started_at, job.attempts = "running", datetime.now(UTC), job.attempts + 1
    job.worker = f"inline:{os.getpid()}"
    actor = session.get(User, job.requested_by) if job.requested_by else None
    context = JobContext(job_id=job_id, params=dict(job.params), session=session,
                         read_session=session, actor=actor,
                         progress=progress or no_progress)
    try:
        with session.begin_nested():
            outcome = kind.run(context)
    except Exception as exc:  # noqa: BLE001 - the job's state says what went wrong
        job.state, job.error = "failed", failure_of(exc)
        job.message, job.message_note = str(job.error["message"]), note_json(
            job.error["message"])
    else:
        job.state, job.progress, job.message = "done", 1.0, str(outcome.message)
        job.message_note = note_json(outcome.message)
        job.result, job.result_url = outcome.result, outcome.result_url
        job.page_url = outcome.page_url or job.page_url
    job.finished_at = datetime.now(UTC)
    session.flush()
    return job
