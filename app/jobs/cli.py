"""``gridpatrol jobs …``: the worker, and looking at and cancelling jobs; and the progress
bar long commands draw on a terminal."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import click
from flask import current_app
from flask.cli import with_appcontext

from app import audit
from app.db import get_session
from app.errors import StateConflict, reported_on_the_command_line
from app.jobs import repository
from app.jobs.progress import Progress
from app.models import JOB_STATES, Job

group = click.Group("jobs", help="Background jobs: the worker; list, follow, cancel.")


class TerminalBar:
    """``progress(fraction, message)`` drawn as one line that redraws itself
    (``[#####-----]  45 %  message``) on a terminal; nothing elsewhere."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.width = min(30, max(10, shutil.get_terminal_size((80, 20)).columns // 4))
        self.drawn = False

    def __call__(self, fraction: float, message: str) -> None:
        if not self.live:
            return
        done = round(self.width * min(1.0, max(0.0, fraction)))
        columns = shutil.get_terminal_size((80, 20)).columns
        line = f"[{'#' * done}{'-' * (self.width - done)}] {100 * fraction:3.0f} %  {message}"
        self.stream.write("\r\x1b[2K" + line[:max(10, columns - 1)])
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


@contextmanager
def terminal_progress() -> Iterator[Progress]:
    """A progress bar on standard error while the block runs (cleared afterwards)."""
    bar = TerminalBar()
    try:
        yield bar
    finally:
        bar.close()


@group.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Jobs run at once (default GRIDPATROL_JOBS_CONCURRENCY).")
@click.option("--kind", "kinds", multiple=True,
              help="Only jobs of this kind (repeat for more; default: every kind).")
@with_appcontext
def worker(concurrency: int | None, kinds: tuple[str, ...]) -> None:
    """Run queued jobs until SIGTERM or Ctrl+C (running jobs go back to the queue)."""
    import logging

    from app.jobs.api import KINDS  # the kinds register when the API is loaded
    from app.jobs.worker import serve_forever

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [jobs] %(levelname)s %(name)s: %(message)s")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise click.BadParameter(f"unknown kind {unknown[0]!r}; kinds: "
                                 f"{', '.join(sorted(KINDS))}", param_hint="--kind")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    serve_forever(app, concurrency=concurrency or int(app.config["JOBS_CONCURRENCY"]),
                  kinds=kinds or None)


@group.command("list")
@click.option("--state", type=click.Choice(JOB_STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 1000), default=30, show_default=True)
@with_appcontext
def list_jobs(state: str | None, limit: int) -> None:
    """Recent jobs, newest first."""
    rows = repository.recent_jobs(get_session(), requested_by=None, kinds=None,
                                  states=[state] if state else None, limit=limit)
    for job in rows:
        click.echo(_line(job))


@group.command("show")
@click.argument("job_id", type=int)
@click.option("--follow", is_flag=True, help="Draw its progress until it finishes.")
@with_appcontext
def show(job_id: int, follow: bool) -> None:
    """One job; with --follow, its progress bar until it ends (exit 1 unless done)."""
    session = get_session()
    job = _job(job_id)
    if follow:
        bar = TerminalBar()
        try:
            while job.state in ("queued", "running"):
                bar(job.progress, job.message)
                time.sleep(0.5)
                session.rollback()
                job = _job(job_id)
        finally:
            bar.close()
    click.echo(_line(job))
    if job.error:
        click.echo(f"  error: {job.error.get('error')}: {job.error.get('message')}")
    if job.state == "done" and job.result_url:
        click.echo(f"  result: {job.result_url}")
    if follow and job.state != "done":
        sys.exit(1)


@group.command("cancel")
@click.argument("job_id", type=int)
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def cancel(job_id: int, reason: str | None) -> None:
    """Cancel a queued job, or ask the worker to stop a running one."""
    session = get_session()
    with reported_on_the_command_line():
        job = _job(job_id)
        before = job.state
        state = repository.request_cancel(session, job_id, who=_operator())
        if state is None:
            raise StateConflict(f"Job {job_id} has already finished ({job.state}).",
                                field="job_id", code="job_finished")
        audit.record(session, "job.cancel", object_type="job", object_id=job_id,
                     reason=reason, details={"kind": job.kind, "state_before": before,
                                             "state": state})
    session.commit()
    click.echo(f"job {job_id}: {'cancelled' if state == 'cancelled' else 'cancelling'}")


def _job(job_id: int) -> Job:
    job = repository.find_job(get_session(), job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    return job


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def _line(job: Job) -> str:
    when = job.created_at.strftime("%Y-%m-%d %H:%M:%S")
    return (f"{job.id:>6}  {job.kind:<12} {job.state:<9} {100 * job.progress:3.0f} %  "
            f"{when}  {job.requested_by_name:<16} {job.message}")


@group.command("run")
@click.argument("job_id", type=int)
@with_appcontext
def run_here(job_id: int) -> None:
    """Run one queued job in this process (a progress bar on a terminal), without a
    worker; exit 1 when it fails."""
    from app.jobs.api import KINDS  # noqa: F401 - the kinds register when the API loads
    from app.jobs.worker import run_inline

    session = get_session()
    with reported_on_the_command_line(), terminal_progress() as progress:
        job = run_inline(session, job_id, progress=progress)
    session.commit()
    click.echo(_line(job))
    if job.state != "done":
        if job.error:
            click.echo(f"  error: {job.error.get('error')}: {job.error.get('message')}")
        sys.exit(1)
