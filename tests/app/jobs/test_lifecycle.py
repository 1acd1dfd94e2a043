"""A job's life through the API and a real worker on a real PostgreSQL: queued → running
(progress) → done; failed with its error; cancelled while queued and while running (its
writes rolled back); who may see and cancel it; the same request again is the same job."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.jobs import service
from app.jobs.worker import Worker
from app.models import User
from tests.app.jobs.conftest import People
from tests.app.jobs.support import job_row, wait_for


def submit(app: Flask, user: dict[str, Any], params: dict[str, Any]) -> int:
    with app.app_context():
        session = get_session()
        job = service.submit(session, "test_steps", params,
                             actor=session.get(User, user["id"]))
        session.commit()
        return job.id


def test_queued_running_done(jobs_app: Flask, people: People, engine: sa.Engine,
                             worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    job_id = submit(jobs_app, analyst, {"steps": 20, "sleep_s": 0.15})
    seen = client.get(f"/api/v1/jobs/{job_id}", headers=analyst["headers"]).json
    assert seen["state"] in ("queued", "running") and seen["result"] is None
    running = wait_for(lambda: (row := job_row(engine, job_id))["state"] == "running"
                       and 0 < row["progress"] < 1 and row, what="progress while running")
    assert running["message"].startswith("step ") and running["worker"]
    # each progress note is stored with its template and arguments, for the reader's words
    assert running["message_note"]["text"] == "step %(step)s of %(steps)s"
    assert running["message"] == f"step {running['message_note']['args']['step']} of 20"
    done = wait_for(lambda: (row := job_row(engine, job_id))["state"] == "done" and row,
                    what="done")
    assert done["progress"] == 1 and done["result"] == {"steps": 20}
    answer = client.get(f"/api/v1/jobs/{job_id}", headers=analyst["headers"]).json
    assert answer["state"] == "done" and answer["result"] == f"/api/v1/jobs/{job_id}/result"
    # a template the catalogue does not hold (this test's) is shown in English
    assert answer["message"] == answer["message_localised"] == "20 steps"
    result = client.get(answer["result"], headers=analyst["headers"])
    assert result.status_code == 200 and result.json == {"steps": 20}
    with engine.connect() as conn:  # the job's own write committed with its final state
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = "
                                    "'test.steps' AND object_id = :id"),
                            {"id": str(job_id)}).scalar_one() == 1


def test_a_failure_is_the_jobs_state_with_its_error(jobs_app: Flask, people: People,
                                                     engine: sa.Engine, worker: Worker) -> None:
    analyst = people.make("analyst")
    job_id = submit(jobs_app, analyst, {"steps": 3, "fail_at": 1})
    failed = wait_for(lambda: (row := job_row(engine, job_id))["state"] == "failed" and row,
                      what="failed")
    assert failed["error"] == {"error": "bad_step", "message": "step went wrong",
                               "field": "steps"}
    assert failed["message"] == "step went wrong"
    answer = jobs_app.test_client().get(f"/api/v1/jobs/{job_id}/result",
                                        headers=analyst["headers"])
    assert answer.status_code == 409 and answer.json["error"] == "not_done"


def test_cancel_a_queued_job(jobs_app: Flask, people: People, engine: sa.Engine) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    job_id = submit(jobs_app, analyst, {"steps": 2})  # no worker: it stays queued
    zh = analyst["headers"] | {"Accept-Language": "zh-CN,zh;q=0.9"}
    queued = client.get(f"/api/v1/jobs/{job_id}", headers=zh).json
    assert (queued["message"], queued["message_localised"]) == ("queued", "排队中")
    answer = client.delete(f"/api/v1/jobs/{job_id}",
                           headers=analyst["headers"] | {"X-Audit-Reason": "wrong period"})
    assert answer.status_code == 200 and answer.json["state"] == "cancelled"
    assert answer.json["message"] == answer.json["message_localised"] == (
        "cancelled before it started")
    cancelled = client.get(f"/api/v1/jobs/{job_id}", headers=zh).json
    assert cancelled["message_localised"] == "开始前已取消"
    again = client.delete(f"/api/v1/jobs/{job_id}", headers=analyst["headers"])
    assert again.status_code == 409 and again.json["error"] == "job_finished"
    with engine.connect() as conn:
        audit = conn.execute(sa.text(
            "SELECT actor, reason, details FROM audit_log WHERE action = 'job.cancel' AND "
            "object_id = :id"), {"id": str(job_id)}).one()
    assert audit.actor == analyst["username"] and audit.reason == "wrong period"
    assert audit.details["state_before"] == "queued"


def test_cancel_a_running_job_rolls_its_writes_back(jobs_app: Flask, people: People,
                                                     engine: sa.Engine, worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    job_id = submit(jobs_app, analyst, {"steps": 400, "sleep_s": 0.05})
    wait_for(lambda: job_row(engine, job_id)["progress"] > 0, what="progress")
    answer = client.delete(f"/api/v1/jobs/{job_id}", headers=analyst["headers"])
    assert answer.status_code == 202 and answer.json["cancel_requested"] is True
    cancelled = wait_for(lambda: (row := job_row(engine, job_id))["state"] == "cancelled"
                         and row, what="cancelled")
    assert cancelled["progress"] < 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = "
                                    "'test.steps' AND object_id = :id"),
                            {"id": str(job_id)}).scalar_one() == 0


def test_who_may_see_and_cancel(jobs_app: Flask, people: People, engine: sa.Engine) -> None:
    client = jobs_app.test_client()
    owner, other, admin = people.make("analyst"), people.make("analyst"), people.make("admin")
    job_id = submit(jobs_app, owner, {"steps": 2})
    for path in (f"/api/v1/jobs/{job_id}", f"/api/v1/jobs/{job_id}/result"):
        hidden = client.get(path, headers=other["headers"])
        assert hidden.status_code == 404 and hidden.json["error"] == "not_found"
    assert client.delete(f"/api/v1/jobs/{job_id}", headers=other["headers"]).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=admin["headers"]).status_code == 200
    mine = client.get("/api/v1/jobs", headers=owner["headers"]).json["jobs"]
    assert [j["id"] for j in mine] == [job_id]
    assert client.get("/api/v1/jobs?all=true", headers=other["headers"]).json["jobs"] == []
    assert client.delete(f"/api/v1/jobs/{job_id}", headers=admin["headers"]).status_code == 200


def test_the_same_request_again_is_the_same_job_and_jobs_are_capped(
        jobs_app: Flask, people: People) -> None:
    analyst = people.make("analyst")
    first = submit(jobs_app, analyst, {"steps": 5})
    assert submit(jobs_app, analyst, {"steps": 5}) == first
    for steps in range(6, 10):
        submit(jobs_app, analyst, {"steps": steps})
    client = jobs_app.test_client()
    with jobs_app.app_context():
        session = get_session()
        user = session.get(User, analyst["id"])
        try:
            service.submit(session, "test_steps", {"steps": 99}, actor=user)
        except Exception as exc:  # noqa: BLE001 - the refusal checked below
            refused = exc
        session.rollback()
    assert getattr(refused, "code", None) == "too_many_jobs"
    for job in client.get("/api/v1/jobs", headers=analyst["headers"]).json["jobs"]:
        client.delete(f"/api/v1/jobs/{job['id']}", headers=analyst["headers"])
