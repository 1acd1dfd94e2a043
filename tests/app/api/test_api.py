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


def test_a_405_says_which_methods_are_allowed(client: FlaskClient, accounts: Accounts) -> None:
    admin = bearer(accounts.create("admin"))
    refused = client.delete("/api/v1/me", headers=admin)
    assert refused.status_code == 405 and refused.json["error"] == "method_not_allowed"
    assert {m.strip() for m in refused.headers["Allow"].split(",")} >= {"GET", "PATCH"}
    page = client.put("/login", headers={"Accept": "text/html"})
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_an_empty_query_parameter_is_absent(client: FlaskClient, accounts: Accounts) -> None:
    dispatcher = bearer(accounts.create("dispatcher"))
    plain = client.get("/api/v1/alerts", headers=dispatcher)
    empty = client.get("/api/v1/alerts?status=", headers=dispatcher)
    assert plain.status_code == empty.status_code == 200 and plain.json == empty.json
    assert client.get("/api/v1/radio-log?since=&limit=&alert_id=",
                      headers=dispatcher).status_code == 200


def test_bad_query_parameters_are_refused_naming_them(client: FlaskClient,
                                                      accounts: Accounts) -> None:
    dispatcher = bearer(accounts.create("dispatcher"))
    for query, field in (("/alerts?status=bogus", "status"), ("/radio-log?limit=abc", "limit"),
                         ("/radio-log?limit=0", "limit"), ("/radio-log?since=yesterday", "since"),
                         ("/radio-log?since=2024-03-01T08:00:00", "since"),
                         ("/units?active=maybe", "active"), ("/roads", "bbox"),
                         ("/roads?bbox=1,2,3", "bbox"), ("/route?from=1,2&to=200,1", "to"),
                         ("/roster?date=2024-02-30", "date"), ("/tiles/21/0/0.pbf", None)):
        answer = client.get(f"/api/v1{query}", headers=dispatcher)
        if field is None:
            assert answer.status_code == 404, query
            continue
        assert (answer.status_code, answer.json["error"], answer.json["field"]) == (
            422, "invalid", field), query
    assert client.get("/api/v1/radio-log?since=2024-03-01T08:00:00%2B08:00&limit=5",
                      headers=dispatcher).status_code == 200


def test_rules_beyond_the_schema_are_refused_naming_the_field(client: FlaskClient,
                                                              accounts: Accounts) -> None:
    """What a JSON Schema cannot say (the fuzzing run leaves these cases out) is still
    refused with 422 naming the field."""
    device, analyst = bearer(accounts.create("device")), bearer(accounts.create("analyst"))
    call = {"talkgroup": 1, "start_time": 1700000100, "stop_time": 1700000000, "freq": 1e8,
            "srcList": [{"src": 7, "pos": 0}]}
    for method, path, body, field in (
            ("GET", "/api/v1/roads?bbox=2,50,1,51", None, "bbox"),
            ("GET", "/api/v1/roads?bbox=1,51,2,50", None, "bbox"),
            ("POST", "/api/v1/positions/nmea?radio_id=R1&unit_id=1", None, "radio_id"),
            ("POST", "/api/v1/positions/nmea", None, "radio_id"),
            ("POST", "/api/v1/radio-log/trunk-recorder", call, "stop_time")):
        headers = analyst if path.startswith("/api/v1/roads") else device
        answer = client.open(path, method=method, json=body, headers=headers)
        assert (answer.status_code, answer.json["field"]) == (422, field), path
    periods = client.get("/api/v1/incident-times?from=2024-03&to=2024-01", headers=analyst)
    assert (periods.status_code, periods.json["field"]) == (422, "to")
    day = client.get("/api/v1/incident-times?from=2024-02-30", headers=analyst)
    assert (day.status_code, day.json["field"]) == (422, "from")


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


def test_openapi_describes_the_framework_answers(client: FlaskClient, accounts: Accounts) -> None:
    spec = client.get("/api/v1/openapi.json", headers=bearer(accounts.create("viewer"))).json
    change_user = spec["paths"]["/api/v1/users/{username}"]["patch"]
    assert set(change_user["responses"]) == {"200", "400", "401", "403", "404", "413", "422"}
    me = spec["paths"]["/api/v1/me"]["get"]
    assert set(me["responses"]) == {"200", "401"}  # any role, no input
    status = next(p for p in spec["paths"]["/api/v1/alerts"]["get"]["parameters"]
                  if p["name"] == "status")
    assert status["schema"]["enum"] == ["open", "closed", "all"] and status["allowEmptyValue"]
    route = spec["paths"]["/api/v1/route"]["get"]
    assert set(route["x-refusals"]) == {"no_roads", "too_far_from_road", "no_route"}
    hotspots = spec["paths"]["/api/v1/hotspots"]["get"]
    assert set(hotspots["responses"]["200"]["content"]) == {"application/geo+json", "text/csv"}
    cell_m = next(p for p in hotspots["parameters"] if p["name"] == "cell_m")
    assert cell_m["schema"] == {"type": "number", "minimum": 50.0, "maximum": 5000.0}


def test_openapi_check_notices_an_undocumented_route(app: Flask) -> None:
    app.add_url_rule("/api/v1/undocumented", "undocumented", lambda: "x")
    assert operation_of(app, "undocumented") is None
