"""Incident imports started over the API are jobs (issue 14): the San Francisco export is
stored with its job and answered 202, a real worker reads, checks and writes it with
progress, and the job's result is the import's summary — rows refused named by line,
column and why — still there when the job is asked for again. A running import that is
cancelled, and one that fails, write nothing: no incident, no import record, no audit row
of the import, no rejects file. What can be refused from the request is refused at once,
with nothing queued."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.jobs.worker import Worker
from tests.app.analysis.test_import_incidents import BURGLARY, SF
from tests.app.jobs.conftest import People
from tests.app.jobs.support import job_row, wait_for


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("incidents", "incident_imports", "jobs", "job_files")} | {
            "audited imports": conn.execute(sa.text(
                "SELECT count(*) FROM audit_log WHERE action = 'incidents.import'")
            ).scalar_one()}


def upload(client: FlaskClient, headers: dict[str, str], files: list[Path],
           **form: Any) -> Any:
    """POST the files as a browser would (the body built in memory: werkzeug's test
    client would spool a large one to a temporary file that it never closes)."""
    values: dict[str, Any] = {"files": [FileStorage(io.BytesIO(p.read_bytes()),
                                                    filename=p.name) for p in files]}
    boundary, body = encode_multipart(values | form)
    return client.post("/api/v1/incidents/imports", data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def first_row_without_coordinates(path: Path) -> int:
    """The line (header = 1) of the first SF record without a latitude, read here."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        column = header.index("Latitude")
        start = reader.line_num + 1
        for record in reader:
            if not record[column].strip():
                return start
            start = reader.line_num + 1
    raise AssertionError("every row has a latitude")


def rejects_files(app: Flask) -> set[str]:
    folder = Path(app.instance_path) / "rejects"
    return {p.name for p in folder.glob("*")} if folder.exists() else set()


def test_an_upload_is_a_job_whose_result_is_the_import_summary(
        jobs_app: Flask, people: People, engine: sa.Engine, worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst, colleague, viewer = (people.make("analyst"), people.make("analyst"),
                                  people.make("viewer"))
    assert upload(client, viewer["headers"], [SF]).status_code == 403
    answer = upload(client, analyst["headers"], [SF], reason="December export")
    assert answer.status_code == 202, answer.get_data(as_text=True)[:300]
    job = answer.json
    assert answer.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "incident_import" and job["state"] in ("queued", "running")
    assert job["params"]["input_files"][0]["bytes"] == SF.stat().st_size
    assert job["page"] == f"/analysis/imports?job={job['id']}"
    # every analysis reader sees an import being made (as they see the import records)
    for other in (colleague, viewer):
        seen = client.get(f"/api/v1/jobs/{job['id']}", headers=other["headers"])
        assert seen.status_code == 200
    wait_for(lambda: job_row(engine, job["id"])["state"] not in ("queued", "running"),
             timeout_s=300, what="the import job")
    final = client.get(f"/api/v1/jobs/{job['id']}", headers=analyst["headers"]).json
    assert final["state"] == "done", final
    assert final["progress"] == 1 and final["message"] == ("11,884 read, 11,276 accepted, "
                                                           "608 rejected")
    # the result is the import's summary, asked for again as after a reload
    result = client.get(final["result"], headers=colleague["headers"]).json
    summary = result["summary"]
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (11_884, 11_276,
                                                                          608)
    assert summary["rejects_by_reason"] == {"no_coordinates": 608}
    assert sum(summary["hours"]) == 11_276 and summary["resolutions"] == {"minute": 11_276}
    first = summary["rejected_rows"][0]
    assert first == {"file": SF.name, "line": first_row_without_coordinates(SF),
                     "reason": "no_coordinates", "field": "Longitude, Latitude",
                     "message": first["message"]} and first["message"]
    assert len(summary["rejected_rows"]) == 608
    assert "/" not in (summary["rejects_path"] or "")  # a file name, never a server path
    stored = client.get(f"/api/v1/incidents/imports/{result['id']}", headers=viewer["headers"])
    assert stored.json["summary"]["rejected_rows"] == summary["rejected_rows"]
    assert stored.json["files"] == [SF.name]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM incidents WHERE import_id = :id"),
                            {"id": result["id"]}).scalar_one() == 11_276
        audited = conn.execute(sa.text(
            "SELECT action, actor, reason FROM audit_log WHERE action IN ('job.submit', "
            "'incidents.import') AND actor = :who ORDER BY id"),
            {"who": analyst["username"]}).all()
    assert [tuple(a) for a in audited] == [
        ("job.submit", analyst["username"], "December export"),
        ("incidents.import", analyst["username"], "December export")]
    assert counts(engine)["job_files"] == 0  # the upload went with the job's end


def test_cancelling_a_running_import_writes_nothing(
        jobs_app: Flask, people: People, engine: sa.Engine, worker: Worker) -> None:
    client = jobs_app.test_client()
    analyst, viewer = people.make("analyst"), people.make("viewer")
    before, files_before = counts(engine), rejects_files(jobs_app)
    monthly = sorted(BURGLARY.glob("*.csv"))  # 24 files, 108,789 rows, all accepted here
    answer = upload(client, analyst["headers"], monthly, source="met")
    assert answer.status_code == 202, answer.get_data(as_text=True)[:300]
    job_id = answer.json["id"]
    writing = wait_for(lambda: (row := job_row(engine, job_id))["message"].startswith(
        "writing:") and row, timeout_s=300, what="the import writing its rows")
    assert 0.5 < writing["progress"] < 1
    assert client.delete(f"/api/v1/jobs/{job_id}", headers=viewer["headers"]).status_code \
        == 403  # a reader sees it, only the requester and admin may cancel it
    cancel = client.delete(f"/api/v1/jobs/{job_id}", headers=analyst["headers"])
    assert cancel.status_code == 202 and cancel.json["cancel_requested"]
    ended = wait_for(lambda: (row := job_row(engine, job_id))["state"] not in (
        "queued", "running") and row, timeout_s=300, what="the cancelled import")
    assert ended["state"] == "cancelled", ended["message"]
    after = counts(engine)
    assert {k: after[k] - before[k] for k in after} == {
        "incidents": 0, "incident_imports": 0, "jobs": 1, "job_files": 0,
        "audited imports": 0}
    assert rejects_files(jobs_app) == files_before


def test_a_failing_import_writes_nothing_and_says_why(
        jobs_app: Flask, people: People, engine: sa.Engine, worker: Worker,
        tmp_path: Path) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    before = counts(engine)
    path = tmp_path / "hhmm.csv"
    path.write_text("id,date,time,lon,lat\na,2024-01-05,745,-0.1,51.5\n"
                    "b,2024-01-06,100,-0.1,51.5\n", encoding="utf-8")
    answer = upload(client, analyst["headers"] | {"Prefer": "respond-async"}, [path],
                    tz="UTC", mapping="id=id,date=date,time=time,lon=lon,lat=lat")
    assert answer.status_code == 202  # small, but asked to be a job
    ended = wait_for(lambda: (row := job_row(engine, answer.json["id"]))["state"] not in (
        "queued", "running") and row, what="the failing import")
    assert ended["state"] == "failed"
    assert ended["error"]["field"] == "time_format"
    assert "'745' is 07:45 or 12:25" in ended["error"]["message"]
    after = counts(engine)
    assert (after["incidents"], after["incident_imports"], after["job_files"]) == (
        before["incidents"], before["incident_imports"], 0)


def test_what_the_request_shows_is_refused_before_anything_is_queued(
        jobs_app: Flask, people: People, engine: sa.Engine, tmp_path: Path) -> None:
    client = jobs_app.test_client()
    analyst = people.make("analyst")
    before = counts(engine)
    custom = tmp_path / "警情.csv"
    custom.write_bytes("编号,发生时间,类别,经度,纬度\nA1,2024-03-01 08:30,盗窃,-0.095,51.515\n"
                       .encode("gb18030"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    cases: list[tuple[Any, str]] = [
        (client.post("/api/v1/incidents/imports", json={"files": "x"},
                     headers=analyst["headers"]), "files"),  # not multipart
        (upload(client, analyst["headers"], [empty]), "files"),
        (upload(client, analyst["headers"], [custom]), "mapping"),  # no layout, no mapping
        (upload(client, analyst["headers"], [custom],
                mapping="id=编号,datetime=时间,category=类别,lon=经度,lat=纬度"), "mapping"),
        (upload(client, analyst["headers"], [custom], mapping="nonsense"), "mapping"),
        (upload(client, analyst["headers"], [SF], tz="Mars/Olympus"), "tz"),
        (upload(client, analyst["headers"], [SF], encoding="klingon"), "encoding"),
        (upload(client, analyst["headers"], [SF], source="x" * 65), "source"),
    ]
    for answer, field in cases:
        assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
        assert answer.json["field"] == field, answer.json
    unknown = cases[2][0].json
    assert unknown["error"] == "unknown_layout" and "发生时间" in unknown["message"]
    assert counts(engine) == before  # no job, no stored file
