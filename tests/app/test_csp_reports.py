"""POST /csp-report: public, no CSRF token, both report formats counted, big or broken
bodies refused before they are counted, and the log kept to a budget."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.csp_reports import KEPT, LOG_PER_MINUTE, MAX_REPORT_BYTES, recent_reports, report_count

VIOLATION = {"document-uri": "http://127.0.0.1/", "violated-directive": "script-src-elem",
             "effective-directive": "script-src-elem", "blocked-uri": "inline",
             "line-number": 12, "original-policy": "default-src 'self'"}


def post(client: FlaskClient, body: object | bytes, mimetype: str = "application/csp-report"
         ) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/csp-report", data=data, content_type=mimetype).status_code


def test_a_browser_report_is_counted_and_logged(app: Flask, client: FlaskClient,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.csp_reports")
    before = report_count(app)
    assert post(client, {"csp-report": VIOLATION}) == 204  # anonymous, no CSRF token
    assert report_count(app) == before + 1
    assert "script-src-elem" in caplog.text and "inline" in caplog.text
    assert "original-policy" not in caplog.text  # only the fields worth a line
    assert recent_reports(app)[-1] == {k: str(v) for k, v in VIOLATION.items()
                                       if k != "original-policy"}


def test_reporting_api_batches_are_counted_per_violation(app: Flask,
                                                         client: FlaskClient) -> None:
    before = report_count(app)
    batch = [{"type": "csp-violation", "body": VIOLATION},
             {"type": "csp-violation", "body": VIOLATION},
             {"type": "deprecation", "body": {"id": "x"}}]
    assert post(client, batch, "application/reports+json") == 204
    assert report_count(app) == before + 2


@pytest.mark.parametrize(("body", "mimetype", "status"), [
    (b"x" * (MAX_REPORT_BYTES + 1), "application/csp-report", 413),
    (b"{not json", "application/csp-report", 400),
    (b"\xff\xfe", "application/csp-report", 400),
    (b"[" * 10_000 + b"]" * 10_000, "application/csp-report", 413),
    (b"[" * 8_000 + b"]" * 8_000, "application/csp-report", 400),  # nested too deep
    ({"something": "else"}, "application/csp-report", 400),
    ({"csp-report": VIOLATION}, "text/plain", 400),
])
def test_bad_or_big_bodies_are_refused_and_not_counted(app: Flask, client: FlaskClient,
                                                       body: object, mimetype: str,
                                                       status: int) -> None:
    before = report_count(app)
    assert post(client, body, mimetype) == status
    assert report_count(app) == before


def test_a_flood_is_counted_but_not_all_logged(app: Flask, client: FlaskClient,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.csp_reports")
    before = report_count(app)
    for _ in range(LOG_PER_MINUTE + 10):
        assert post(client, {"csp-report": VIOLATION}) == 204
    assert report_count(app) == before + LOG_PER_MINUTE + 10
    logged = [r for r in caplog.records if r.name == "app.csp_reports"]
    assert len(logged) <= LOG_PER_MINUTE
    assert len(recent_reports(app)) <= KEPT


def test_only_post(client: FlaskClient) -> None:
    assert client.get("/csp-report").status_code == 405
