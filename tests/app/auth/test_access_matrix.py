"""Every endpoint has an access rule, and every role gets exactly what the rule says."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.access import PUBLIC, access_rule, roles_allowed
from app.models import ROLE_NAMES
from tests.conftest import Accounts, bearer

SAMPLE_VALUES = {"username": "nobody-here", "subpath": "leaflet/dist/leaflet.css",
                 "filename_static": "css/app.css", "code": "NO-SUCH-CELL"}


def concrete_path(rule: str, endpoint: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if endpoint == "static" and name == "filename":
            return SAMPLE_VALUES["filename_static"]
        return SAMPLE_VALUES.get(name, "1")
    return re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", fill, rule)


def endpoints(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, concrete_path(rule.rule, rule.endpoint)))
    return found


def test_every_endpoint_has_an_access_rule(app: Flask) -> None:
    missing = [e for e, _, _ in endpoints(app) if access_rule(app, e) is None]
    assert missing == []


def test_the_matrix_walker_catches_an_endpoint_without_a_rule(app: Flask) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "hello")
    assert access_rule(app, "forgotten") is None
    assert app.test_client().get("/forgotten").status_code == 403


@pytest.mark.parametrize("role", [None, *ROLE_NAMES])
def test_role_endpoint_matrix(app: Flask, client: FlaskClient, accounts: Accounts,
                              role: str | None) -> None:
    headers = bearer(accounts.create(role)) if role else {}
    wrong = []
    for endpoint, method, path in endpoints(app):
        rule = access_rule(app, endpoint)
        body = {} if method in ("POST", "PATCH", "PUT") else None
        with client.open(path, method=method, headers=headers, json=body) as response:
            status = response.status_code
        if status >= 500:
            wrong.append((endpoint, method, role, status, "server error"))
        if rule == PUBLIC:
            if status == 403:
                wrong.append((endpoint, method, role, status, "public endpoint refused"))
            continue  # its own answers (a failed sign-in is a 401) are not access checks
        if role is None:
            if status not in (401, 302):
                wrong.append((endpoint, method, role, status, "anonymous must be refused"))
            continue
        allowed = role in roles_allowed(rule)
        if allowed and status in (401, 403):
            wrong.append((endpoint, method, role, status, "allowed role refused"))
        if not allowed and status != 403:
            wrong.append((endpoint, method, role, status, "forbidden role let through"))
    assert wrong == []
