"""A job kind for the tests (steps with progress points; may fail or write) and helpers to
wait for a job's state. Registered in the test process and in worker subprocesses alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app import audit
from app.errors import InvalidValue
from app.jobs.kinds import JobContext, JobKind, JobOutcome, kind_named, register
from runtime.notes import Note


def run_steps(context: JobContext) -> JobOutcome:
    """``steps`` progress points ``sleep_s`` apart; writes an audit row first (rolled back
    when the job is cancelled); ``fail_at``: raise a named failure at that step. The
    files it was given are in its result, as text."""
    steps = int(context.params.get("steps", 3))
    audit.record(context.session, "test.steps", object_type="job", object_id=context.job_id,
                 actor=context.actor)
    for step in range(steps):
        if context.params.get("fail_at") == step:
            raise InvalidValue("step went wrong", field="steps", code="bad_step")
        time.sleep(float(context.params.get("sleep_s", 0.05)))
        context.progress((step + 1) / steps,
                         Note("step %(step)s of %(steps)s", step=step + 1, steps=steps))
    files = {f"{f.role}/{f.name}": f.content.decode() for f in context.files()}
    return JobOutcome(message=Note("%(steps)s steps", steps=steps),
                      result={"steps": steps} | ({"files": files} if files else {}))


def register_test_kind() -> None:
    if kind_named("test_steps") is None:
        register(JobKind("test_steps", run_steps, "test steps"))


def job_row(engine: sa.Engine, job_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM jobs WHERE id = :id"), {"id": job_id})
        return dict(row.mappings().one())


def wait_for(check: Callable[[], Any], *, timeout_s: float = 60.0,
             what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def follow_job(client: Any, response: Any, **request: Any) -> Any:
    """A page that started a job redirects to ``?job=ID``: run that job here, in the
    test's transaction (no worker sees uncommitted data), then fetch the page it shows."""
    from urllib.parse import parse_qs, urlsplit

    from app.db import get_session
    from app.jobs.worker import run_inline

    if response.status_code != 302 or "job=" not in response.location:
        return response
    job_id = int(parse_qs(urlsplit(response.location).query)["job"][0])
    with client.application.app_context():
        session = get_session()
        run_inline(session, job_id)
        session.commit()
    return client.get(response.location, **request)
