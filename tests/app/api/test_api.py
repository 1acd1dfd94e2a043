"""API errors, validation and the OpenAPI description."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from app.api.openapi import api_rules, operation_of
from tests.conftest import Accounts, bearer


def test_errors_have_code_message_and_field(client: FlaskClient, accounts: Accounts) -> None:
    admin = accounts.create("admin")
    response = client.post("/api/v1/users", headers=bearer(admin),
                           json={"username": "ok.name", "password": "short", "role": "analyst"})
    assert response.status_code == 422
    assert response.json["error"] == "invalid"
    assert response.json["field"] == "password"
    assert "at least 10" in response.json["message"]


def test_unknown_fields_and_wrong_types_are_named(client: FlaskClient,
                                                  accounts: Accounts) -> None:
    admin = accounts.create("admin")
    unknown = client.patch(f"/api/v1/users/{admin['username']}", headers=bearer(admin),
                           json={"rol": "viewer"})
    assert (unknown.status_code, unknown.json["field"]) == (422, "rol")
    wrong = client.patch(f"/api/v1/users/{admin['username']}", headers=bearer(admin),
                         json={"role": "chief"})
    assert (wrong.status_code, wrong.json["field"]) == (422, "role")


def test_a_body_that_is_not_json_is_a_400(client: FlaskClient, accounts: Accounts) -> None:
    admin = accounts.create("admin")
    for body in (b"not json", b"[1, 2]", b'{"a": '):
        response = client.post("/api/v1/users", data=body, headers={
            **bearer(admin), "Content-Type": "application/json"})
        assert response.status_code == 400, body
        assert response.json == {"error": "bad_request", "field": "body", "message":
                                 "The request body must be a JSON object "
                                 "(Content-Type: application/json)."}


def test_unknown_things_are_404(client: FlaskClient, accounts: Accounts) -> None:
    admin = accounts.create("admin")
    assert client.get("/api/v1/nothing", headers=bearer(admin)).json["error"] == "not_found"
    missing = client.patch("/api/v1/users/ghost", headers=bearer(admin), json={"role": "viewer"})
    assert (missing.status_code, missing.json["field"]) == (404, "username")
    assert client.delete("/api/v1/me", headers=bearer(admin)).status_code == 405


def test_html_errors_get_pages(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html" and b"<h1>404</h1>" in response.data


def test_request_ids_are_echoed(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abcdef123456"}).headers[
        "X-Request-ID"] == "abcdef123456"
    assert len(client.get("/healthz", headers={"X-Request-ID": "bad id!"}).headers[
        "X-Request-ID"]) == 32


def test_tokens_issued_over_the_api_work(client: FlaskClient, accounts: Accounts) -> None:
    admin, analyst = accounts.create("admin"), accounts.create("analyst")
    issued = client.post(f"/api/v1/users/{analyst['username']}/tokens", headers=bearer(admin),
                         json={"label": "import script"})
    assert issued.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.json['token']}"})
    assert me.json["username"] == analyst["username"]


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient,
                                           accounts: Accounts) -> None:
    spec = client.get("/api/v1/openapi.json", headers=bearer(accounts.create("viewer"))).json
    assert spec["openapi"].startswith("3.")
    undocumented = []
    for rule in api_rules(app):
        path = re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is None or not operation_of(app, rule.endpoint):
                undocumented.append(f"{method} {rule.rule}")
            else:
                assert operation["summary"] and operation["x-roles"]
    assert undocumented == []
    assert "NewUser" in spec["components"]["schemas"]


def test_openapi_check_notices_an_undocumented_route(app: Flask) -> None:
    app.add_url_rule("/api/v1/undocumented", "undocumented", lambda: "x")
    assert operation_of(app, "undocumented") is None
