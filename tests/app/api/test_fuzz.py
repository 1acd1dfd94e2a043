"""A bounded fuzz of every JSON endpoint: bodies built from each operation's fields with
arbitrary JSON values (NUL characters, huge and non-finite numbers, deep nesting, wrong
types), and arbitrary JSON documents. Whatever comes in, the answer is never a 5xx.

Hypothesis runs a fixed number of examples per endpoint (derandomized, so the run is the
same every time; about 30 s here); set FUZZ_EXAMPLES for a longer hunt.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.docs import DOC_ATTR, JSON, Body
from tests.conftest import Accounts, bearer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SLOW = {"/api/v1/patrol-plans"}  # a real solve per example; fuzzed with fewer below

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=40) | st.sampled_from(["", " ", "\x00", "a\x00b", "9" * 400,
                                                    "2024-02-30", "25:61", "-0", "red",
                                                    "available", "patrol_car", "day"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                      max_leaves=12)


def json_text(value: Any) -> str:
    """JSON as a client may send it: Python writes NaN and Infinity, which JSON forbids
    but Python's parser reads."""
    return json.dumps(value, allow_nan=True)


def body_fields(body: Any) -> tuple[str, ...]:
    """The top-level field names of a documented JSON body (a model, or a JSON schema)."""
    if isinstance(body, Body):
        schema = body.content.get(JSON, {})
        return tuple(schema.get("properties", {}))
    return tuple(body.model_fields)


def operations(app: Flask, ids: dict[str, int] | None = None
               ) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path with ids filled in, body field names) of every JSON write; a path id
    is taken from ``ids`` by its name (``unit_id``), else 1."""
    ids = ids or {}
    found = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS", "GET"}
        if not rule.rule.startswith("/api/v1") or not methods or rule.rule in (
                "/api/v1/positions/nmea", "/api/v1/cameras/import"):  # not JSON bodies
            continue
        operation = getattr(app.view_functions[rule.endpoint], DOC_ATTR, None)
        fields = body_fields(operation.body) if operation and operation.body else ()
        path = re.sub(r"<int:([^>]+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        path = re.sub(r"<[^>]+>", "fuzz", path)
        found.extend((method, path, fields) for method in sorted(methods))
    return sorted(found)


def test_the_fuzzed_endpoints_are_all_the_json_writes(app: Flask) -> None:
    paths = {path for _, path, _ in operations(app)}
    assert {"/api/v1/alerts", "/api/v1/cameras", "/api/v1/units", "/api/v1/roster",
            "/api/v1/radio-log", "/api/v1/radio-log/trunk-recorder", "/api/v1/me",
            "/api/v1/must-visit-points", "/api/v1/alerts/1/dispatch"} <= paths
    assert len(paths) >= 25


def test_no_json_body_makes_a_server_error(app: Flask, client: FlaskClient,
                                          accounts: Accounts) -> None:
    headers = bearer(accounts.create("admin")) | {"Content-Type": "application/json"}
    ids = {name: client.post(path, json=body, headers=headers).json["id"] for name, path, body in (
        ("unit_id", "/api/v1/units", {"callsign": "F-1", "kind": "foot"}),
        ("camera_id", "/api/v1/cameras", {"name": "fuzz", "lon": 0.001, "lat": 0.001}),
        ("alert_id", "/api/v1/alerts", {"lon": 0, "lat": 0, "level": "red"}),
        ("point_id", "/api/v1/must-visit-points", {"name": "fuzz", "lon": 0, "lat": 0}))}
    for method, path, fields in operations(app, ids):
        body = (st.fixed_dictionaries({}, optional=dict.fromkeys(fields, values))
                if fields else values)
        examples = max(3, EXAMPLES // 5) if path in SLOW else EXAMPLES
        settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])(
            given(body=body | values)(fuzz(client, method, path, headers)))()


def fuzz(client: FlaskClient, method: str, path: str, headers: dict[str, str]) -> Any:
    def never_a_server_error(body: Any) -> None:
        response = client.open(path, method=method, data=json_text(body), headers=headers)
        assert response.status_code < 500, (method, path, body, response.get_data()[:300])
        if response.status_code >= 400:
            assert response.is_json and response.json["error"], response.get_data()[:300]
    return never_a_server_error


@pytest.mark.parametrize("raw", [b"NaN", b'{"lon": NaN, "lat": Infinity, "level": "red"}',
                                 b'{"lon": 1e999, "lat": -1e999, "level": "red"}',
                                 b'{"lon": 0, "lat": 0, "level": "red", "radius_m": 1e308}'])
def test_non_finite_numbers_are_refused_not_raised(client: FlaskClient, accounts: Accounts,
                                                   raw: bytes) -> None:
    response = client.post("/api/v1/alerts", data=raw, content_type="application/json",
                           headers=bearer(accounts.create("dispatcher")))
    assert response.status_code in (400, 422), response.get_data()[:300]
