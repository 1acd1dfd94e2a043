"""Bad input never becomes a 500: deep JSON, NUL characters, oversized bodies and URLs,
and a failed statement whose session the error answer must not touch."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.auth.access import any_role
from app.db import get_session
from app.guards import MAX_JSON_DEPTH, MAX_URL_BYTES, load_json, nested_deeper_than
from app.models import AuditEntry
from tests.conftest import Accounts, bearer, csrf_token

JSON_ENDPOINTS = [  # (method, path, role): one per area that reads a JSON body
    ("POST", "/api/v1/alerts", "dispatcher"),
    ("POST", "/api/v1/cameras", "supervisor"),
    ("PATCH", "/api/v1/cameras/1", "supervisor"),
    ("POST", "/api/v1/units", "supervisor"),
    ("POST", "/api/v1/radio-log", "dispatcher"),
    ("POST", "/api/v1/roster", "supervisor"),
    ("POST", "/api/v1/must-visit-points", "supervisor"),
    ("POST", "/api/v1/hotspot-results", "analyst"),
    ("POST", "/api/v1/users", "admin"),
    ("PATCH", "/api/v1/me", "viewer"),
]


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "[1]" + "}" * (depth - 1)


@pytest.mark.parametrize(("method", "path", "role"), JSON_ENDPOINTS)
def test_json_nested_a_thousand_deep_is_a_400_everywhere(
        client: FlaskClient, accounts: Accounts, method: str, path: str, role: str) -> None:
    headers = bearer(accounts.create(role))
    for body in ("[" * 1000 + "]" * 1000, nested(1000), nested(MAX_JSON_DEPTH + 1)):
        response = client.open(path, method=method, data=body,
                               content_type="application/json", headers=headers)
        assert response.status_code == 400, response.json
        assert response.json["error"] == "json_too_deep"
        assert response.json["field"] == "body"


def test_the_depth_limit_counts_levels_not_brackets_in_strings(
        client: FlaskClient, accounts: Accounts) -> None:
    headers = bearer(accounts.create("dispatcher"))
    at_limit = client.post("/api/v1/alerts", data=nested(MAX_JSON_DEPTH),
                           content_type="application/json", headers=headers)
    assert at_limit.status_code == 422  # read, then refused by the model: not "too deep"
    assert at_limit.json["error"] == "invalid"
    text = client.post("/api/v1/alerts", json={"lon": 200, "lat": 0, "level": "red",
                                               "kind": "[{" * 30, "description": "[" * 3000},
                       headers=headers)
    assert text.status_code == 422 and text.json["field"] in ("lon", "kind")


def test_nesting_is_measured_without_recursion() -> None:
    assert not nested_deeper_than(b"[" * 64 + b"]" * 64)
    assert nested_deeper_than(b"[" * 65 + b"]" * 65)
    assert nested_deeper_than("[" * 200_000)  # no RecursionError, no closing needed
    assert not nested_deeper_than(b'["' + b"[" * 5000 + b'"]')  # inside a string
    assert not nested_deeper_than(b'["\\"' + b"[" * 5000 + b'"]')  # after an escaped quote
    assert not nested_deeper_than(b"[" + b"[1]," * 100_000 + b"[1]]")  # wide, not deep
    with pytest.raises(ValueError, match="Expecting"):
        load_json(b'{"a": ')  # not JSON: json's own ValueError, as before


@pytest.mark.parametrize(("body", "field"), [
    ({"lon": 0, "lat": 0, "level": "red", "kind": "rob\x00bery"}, "kind"),
    ({"lon": 0, "lat": 0, "level": "red", "skills": ["k9", "fire\x00arms"]}, "skills[1]"),
    ({"lon": 0, "lat": 0, "level": "red", "ki\x00nd": "x"}, "ki\\u0000nd"),
])
def test_a_nul_in_a_json_string_or_key_is_a_422_naming_it(
        client: FlaskClient, accounts: Accounts, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/v1/alerts", json=body,
                           headers=bearer(accounts.create("dispatcher")))
    assert response.status_code == 422, response.json
    assert (response.json["error"], response.json["field"]) == ("nul_character", field)


def test_a_nul_in_a_query_path_header_or_form_field_is_a_422_naming_it(
        client: FlaskClient, accounts: Accounts) -> None:
    headers = bearer(accounts.create("supervisor"))
    query = client.get("/api/v1/search?q=a%00b", headers=headers)
    assert (query.status_code, query.json["field"]) == (422, "q")
    key = client.get("/api/v1/alerts?sta%00tus=open", headers=headers)
    assert (key.status_code, key.json["field"]) == (422, "sta\\u0000tus")
    path = client.patch("/api/v1/grids/S500%00X", json={"name": "x"}, headers=headers)
    assert (path.status_code, path.json["field"]) == (422, "code")
    header = client.post("/api/v1/units", json={"callsign": "P-1", "kind": "patrol_car"},
                         headers=headers | {"X-Audit-Reason": "drill\x00"})
    assert (header.status_code, header.json["field"]) == (422, "X-Audit-Reason")
    token = csrf_token(client)
    form = client.post("/login", data={"username": "demo\x00", "password": "x" * 12,
                                       "csrf_token": token})
    assert form.status_code == 422  # a page: the error page, naming the field
    assert "username" in form.get_data(as_text=True)


def test_a_path_id_beyond_bigint_is_not_found(client: FlaskClient,
                                             accounts: Accounts) -> None:
    response = client.get("/api/v1/units/99999999999999999999999",
                          headers=bearer(accounts.create("viewer")))
    assert (response.status_code, response.json["field"]) == (404, "unit_id")


def test_oversized_bodies_are_a_json_413(app: Flask, client: FlaskClient,
                                         accounts: Accounts) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 4096  # the real limit is 64 MB; the rule is the same
    headers = bearer(accounts.create("supervisor"))
    body = client.post("/api/v1/units", data=b'{"callsign": "' + b"x" * 5000 + b'"}',
                       content_type="application/json", headers=headers)
    assert body.status_code == 413 and body.is_json, body.data[:200]
    assert body.json["error"] == "request_entity_too_large"
    upload = client.post("/api/v1/cameras/import", headers=headers, data={
        "file": (__import__("io").BytesIO(b"name,lon,lat\n" * 1000), "cams.csv")})
    assert upload.status_code == 413 and upload.json["error"] == "request_entity_too_large"


def test_an_over_long_url_is_a_json_414_for_the_api_and_a_page_otherwise(
        client: FlaskClient) -> None:
    api = client.get("/api/v1/alerts?status=" + "x" * MAX_URL_BYTES)  # not even signed in
    assert api.status_code == 414 and api.is_json
    assert api.json["error"] == "request_uri_too_long"
    assert api.headers["X-Request-ID"]
    page = client.get("/login?next=" + "x" * 100_000)
    assert page.status_code == 414 and page.mimetype == "text/html"
    fits = client.get("/api/v1/alerts?status=" + "x" * (MAX_URL_BYTES - 100))
    assert fits.status_code == 401  # within the limit: answered as usual


def test_a_failed_flush_is_rolled_back_before_the_error_answer(
        app: Flask, client: FlaskClient, accounts: Accounts,
        connection: sa.Connection) -> None:
    """The database-error handler used to read the signed-in user's language from the
    failed session (a PendingRollbackError, so a 500); it rolls back first now."""
    @any_role
    def write_too_long() -> dict[str, str]:
        session = get_session()
        session.add(AuditEntry(actor="x" * 65, action="test.flush"))  # varchar(64)
        session.flush()
        return {}

    app.add_url_rule("/api/v1/test-flush", view_func=write_too_long, methods=["POST"])
    viewer = accounts.create("viewer")
    response = client.post("/api/v1/test-flush", headers=bearer(viewer))
    assert response.status_code == 422, response.data[:300]
    assert response.json["error"] == "invalid"
    assert client.get("/api/v1/me", headers=bearer(viewer)).status_code == 200
    assert connection.execute(sa.text(
        "SELECT count(*) FROM audit_log WHERE action = 'test.flush'")).scalar_one() == 0


def test_a_nul_in_an_nmea_body_is_one_garbled_line_kept_aside(
        client: FlaskClient, accounts: Accounts, connection: sa.Connection) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    assert client.post("/api/v1/units", json={"callsign": "P-1", "kind": "foot",
                                              "radio_ids": ["77"]},
                       headers=supervisor).status_code == 201
    body = (b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
            b"$GPGGA,12\x0035\r\n")
    response = client.post("/api/v1/positions/nmea?radio_id=77", data=body,
                           content_type="text/plain", headers=supervisor)
    assert response.status_code == 200, response.json
    assert (response.json["accepted"], response.json["rejected"]) == (1, 1)
    kept = connection.execute(sa.text("SELECT line FROM position_rejects")).scalar_one()
    assert "\x00" not in kept and "\ufffd" in kept
