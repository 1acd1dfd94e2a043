"""The analyst's import page: an upload is always a job the page follows (``?job=ID``) and
whose summary it shows once done — also when opened again —, rows refused are listed by
line, column and reason, data from the file is escaped, a viewer sees the imports but no
form, and what the form shows is wrong is refused before anything is queued."""

from __future__ import annotations

import io
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.app.analysis.test_import_incidents import SF
from tests.app.jobs.support import follow_job
from tests.app.jobs.test_import_jobs import first_row_without_coordinates
from tests.app.page_words import english_left, english_names, visible_text
from tests.conftest import Accounts, csrf_token, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def post_form(client: FlaskClient, files: list[tuple[str, bytes]], **form: str) -> Any:
    """The page's form as a browser posts it (body built in memory)."""
    values: dict[str, Any] = {
        "files": [FileStorage(io.BytesIO(data), filename=name) for name, data in files],
        "csrf_token": csrf_token(client, "/analysis/imports")} | form
    boundary, body = encode_multipart(values)
    return client.post("/analysis/imports", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def scalar(connection: sa.Connection, sql: str) -> Any:
    return connection.execute(sa.text(sql)).scalar_one()


def test_an_upload_on_the_page_is_a_job_whose_summary_the_page_shows(
        app: Flask, client: FlaskClient, accounts: Accounts,
        connection: sa.Connection) -> None:
    login(client, accounts.create("analyst"))
    page = client.get("/analysis/imports").get_data(as_text=True)
    assert 'id="import-form"' in page and 'enctype="multipart/form-data"' in page
    answer = post_form(client, [(SF.name, SF.read_bytes())], reason="December")
    assert answer.status_code == 302 and "/analysis/imports?job=" in answer.location
    job_id = int(answer.location.rsplit("=", 1)[1])
    waiting = client.get(answer.location).get_data(as_text=True)
    assert 'id="job-progress"' in waiting and 'data-job-state="queued"' in waiting
    assert SF.name in visible_text(waiting)  # which files the job is importing
    assert scalar(connection, "SELECT count(*) FROM job_files") == 1
    shown = follow_job(client, answer).get_data(as_text=True)  # the worker's part, here
    assert 'data-job-state="done"' in shown
    text = visible_text(shown)
    assert re.search(r"Rows read\s+11,884", text) and re.search(r"Rejected\s+608", text)
    line = first_row_without_coordinates(SF)
    rows = re.search(r'<table class="cells data" id="import-rejected-rows">.*?</table>',
                     shown, re.S)
    assert rows is not None
    first = visible_text(rows.group(0))
    assert "the first 100 of 608" in first
    assert re.search(rf"{re.escape(SF.name)}\s+{line}\s+Longitude, Latitude\s+no coordinates",
                     first)
    assert 'id="import-hours"' in shown  # incidents per hour of day
    assert scalar(connection, "SELECT count(*) FROM incidents") == 11_276
    assert scalar(connection, "SELECT count(*) FROM job_files") == 0
    # opened again (a reload, a link): the same summary, from the job's stored result
    again = client.get(answer.location).get_data(as_text=True)
    assert visible_text(again).count("11,884") >= 1 and 'id="import-rejected-rows"' in again
    record_id = scalar(connection, "SELECT id FROM incident_imports")
    record = client.get(f"/analysis/imports/{record_id}").get_data(as_text=True)
    assert 'id="import-rejected-rows"' in record and "11,884" in record
    assert f'/analysis/imports/{record_id}"' in again  # the list links each import
    chinese = client.get(answer.location, headers=ZH).get_data(as_text=True)
    assert "导入摘要" in visible_text(chinese) and "无坐标" in visible_text(chinese)
    # the reasons and labels in Chinese; the detail of each row is the reader's (English)
    with app.app_context():
        details = [r["message"] for r in client.get(
            f"/api/v1/jobs/{job_id}/result").json["summary"]["rejected_rows"]]
    assert english_left(visible_text(chinese), english_names(
        app, ["reject_reason", "time_resolution"]), allowed=details) == []


def test_file_data_is_escaped_and_a_viewer_sees_imports_but_no_form(
        app: Flask, client: FlaskClient, accounts: Accounts) -> None:
    login(client, accounts.create("analyst"))
    odd = (b"id,when,what,lon,lat\n"
           b"1,2024-05-01 10:00,<b>Knitting</b>,-0.1,51.5\n"
           b"2,<script>alert(1)</script>,theft,-0.1,51.5\n")
    answer = post_form(client, [("odd.csv", odd)], tz="UTC",
                       mapping="id=id,datetime=when,category=what,lon=lon,lat=lat")
    shown = follow_job(client, answer).get_data(as_text=True)
    assert "&lt;b&gt;Knitting&lt;/b&gt;" in shown and "<b>Knitting" not in shown
    assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)" in shown
    viewer = app.test_client()
    login(viewer, accounts.create("viewer"))
    listed = viewer.get("/analysis/imports").get_data(as_text=True)
    assert 'id="import-list"' in listed and "odd.csv" in listed
    assert 'id="import-form"' not in listed
    refused = viewer.post("/analysis/imports", data={
        "csrf_token": csrf_token(viewer, "/analysis/imports")})
    assert refused.status_code == 403


def test_what_the_form_shows_is_wrong_is_refused_before_queueing(
        client: FlaskClient, accounts: Accounts, connection: sa.Connection) -> None:
    login(client, accounts.create("analyst"))
    custom = "编号,发生时间,类别,经度,纬度\nA1,2024-03-01 08:30,盗窃,-0.095,51.515\n"
    answer = post_form(client, [("警情.csv", custom.encode("gb18030"))],
                       reason="pilot")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    error = re.search(r'id="import-error">(.*?)</p>', page, re.S)
    assert error is not None and "mapping" in error.group(1) and "发生时间" in error.group(1)
    assert 'value="pilot"' in page  # what was typed stays in the form
    assert scalar(connection, "SELECT count(*) FROM jobs") == 0
    assert scalar(connection, "SELECT count(*) FROM job_files") == 0


def test_the_analysis_page_links_the_import_page(client: FlaskClient,
                                                 accounts: Accounts) -> None:
    login(client, accounts.create("analyst"))
    page = client.get("/analysis").get_data(as_text=True)
    assert 'id="imports-link"' in page and 'id="howto-import-page"' in page
