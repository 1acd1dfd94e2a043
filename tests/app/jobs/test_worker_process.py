"""The worker as a process of its own: killed mid-job, its job is failed by the next
worker (not left running forever); stopped with SIGTERM, its job goes back to the queue
and the next worker finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.jobs.worker import Worker
from tests.app.jobs.conftest import People
from tests.app.jobs.support import job_row, wait_for
from tests.app.jobs.test_lifecycle import submit
from tests.conftest import ROOT, TEST_SECRET, DatabaseInfo

WORKER = textwrap.dedent("""
    import logging, sys
    from tests.app.jobs.support import register_test_kind
    from app import create_app
    from app.jobs.worker import serve_forever
    register_test_kind()
    logging.basicConfig(level=logging.INFO)
    app = create_app({"TESTING": True, "SECRET_KEY": sys.argv[2], "DATABASE_URL": sys.argv[1]})
    serve_forever(app, concurrency=1)
""")


@contextmanager
def worker_process(database: DatabaseInfo) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-c", WORKER, database.app_url, TEST_SECRET],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def running_here(engine: sa.Engine, job_id: int) -> Any:
    row = job_row(engine, job_id)
    return row["state"] == "running" and row["progress"] > 0 and row


def test_a_killed_worker_leaves_its_job_failed_after_a_restart(
        jobs_app: Flask, jobs_database: DatabaseInfo, people: People,
        engine: sa.Engine) -> None:
    analyst = people.make("analyst")
    job_id = submit(jobs_app, analyst, {"steps": 600, "sleep_s": 0.05})
    with worker_process(jobs_database) as process:
        wait_for(lambda: running_here(engine, job_id), what="the job running")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert job_row(engine, job_id)["state"] == "running"  # nobody has noticed yet
    restarted = Worker(jobs_app, concurrency=1)
    restarted._engine = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    try:
        assert restarted.sweep() == [job_id]
    finally:
        restarted._engine.dispose()
    row = job_row(engine, job_id)
    assert row["state"] == "failed" and row["error"]["error"] == "worker_lost"
    assert "worker running it stopped" in row["message"]


def test_sigterm_puts_the_running_job_back_and_the_next_worker_finishes_it(
        jobs_app: Flask, jobs_database: DatabaseInfo, people: People,
        engine: sa.Engine) -> None:
    analyst = people.make("analyst")
    job_id = submit(jobs_app, analyst, {"steps": 40, "sleep_s": 0.1})
    with worker_process(jobs_database) as process:
        first = wait_for(lambda: running_here(engine, job_id), what="the job running")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    back = job_row(engine, job_id)
    assert back["state"] == "queued" and back["worker"] is None
    assert "starts again" in back["message"]
    with worker_process(jobs_database):
        done = wait_for(lambda: (row := job_row(engine, job_id))["state"] == "done" and row,
                        what="done on the next worker")
    assert done["attempts"] == 2 and done["worker"] != first["worker"]
