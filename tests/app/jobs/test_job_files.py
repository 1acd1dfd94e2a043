"""Files given to a job (uploads) are stored with it in PostgreSQL, read by whichever
worker runs it, named in its parameters by size and SHA-256 (the same upload again while
it is queued is the same job), and deleted as soon as the job ends — done, failed or
cancelled, by a worker or before one took it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.jobs import service
from app.jobs.service import InputFile
from app.jobs.worker import Worker
from app.models import User
from tests.app.jobs.conftest import People
from tests.app.jobs.support import job_row, wait_for


def submit(app: Flask, user: dict[str, Any], params: dict[str, Any],
           files: list[InputFile]) -> int:
    with app.app_context():
        session = get_session()
        job = service.submit(session, "test_steps", params, files=files,
                             actor=session.get(User, user["id"]))
        session.commit()
        return job.id


def stored(engine: sa.Engine, job_id: int) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT role, name, size FROM job_files WHERE job_id = :id ORDER BY id"),
            {"id": job_id})]


def test_a_jobs_files_reach_its_worker_and_go_when_it_ends(
        jobs_app: Flask, people: People, engine: sa.Engine, worker: Worker) -> None:
    analyst = people.make("analyst")
    files = [InputFile("files", "警情.csv", "编号,类别\nA1,盗窃\n".encode()),
             InputFile("category_map", "map.csv", b"source_category,category\n")]
    job_id = submit(jobs_app, analyst, {"steps": 2, "sleep_s": 0.05}, files)
    done = wait_for(lambda: (row := job_row(engine, job_id))["state"] == "done" and row,
                    what="done")
    assert done["result"]["files"] == {"files/警情.csv": "编号,类别\nA1,盗窃\n",
                                       "category_map/map.csv": "source_category,category\n"}
    assert done["params"]["input_files"][0] == {
        "role": "files", "name": "警情.csv", "bytes": len(files[0].content),
        "sha256": files[0].sha256}
    assert stored(engine, job_id) == []  # gone with the job's end
    failed_id = submit(jobs_app, analyst, {"steps": 2, "fail_at": 0}, files)
    wait_for(lambda: job_row(engine, failed_id)["state"] == "failed", what="failed")
    assert stored(engine, failed_id) == []


def test_a_queued_jobs_files_stay_until_it_is_cancelled(
        jobs_app: Flask, people: People, engine: sa.Engine) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    first = [InputFile("files", "a.csv", b"x,y\n1,2\n")]
    job_id = submit(jobs_app, analyst, {"steps": 1}, first)  # no worker: it stays queued
    assert stored(engine, job_id) == [("files", "a.csv", 8)]
    # the same upload again is the same job; other contents are another job
    assert submit(jobs_app, analyst, {"steps": 1}, first) == job_id
    other = submit(jobs_app, analyst, {"steps": 1}, [InputFile("files", "a.csv", b"x,y\n")])
    assert other != job_id and stored(engine, other) == [("files", "a.csv", 4)]
    for queued in (job_id, other):
        answer = client.delete(f"/api/v1/jobs/{queued}", headers=analyst["headers"])
        assert answer.status_code == 200 and answer.json["state"] == "cancelled"
        assert stored(engine, queued) == []
