"""OpenAPI 3.1 description built from the routes and their ``@documented`` operations."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app

from app.api import bp
from app.api.docs import DOC_ATTR, Operation, documented
from app.auth.access import ANY_ROLE, PUBLIC, access_rule, any_role

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "stable error code"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "the offending field, when one is"},
    },
}
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_]+)>")


def api_rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")]


def operation_of(app: Flask, endpoint: str) -> Operation | None:
    return getattr(app.view_functions.get(endpoint), DOC_ATTR, None)


def build_spec(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for rule in sorted(api_rules(app), key=lambda r: r.rule):
        op = operation_of(app, rule.endpoint)
        if op is None:
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        rule_access = access_rule(app, rule.endpoint)
        roles = ("public" if rule_access == PUBLIC else "any signed-in user"
                 if rule_access == ANY_ROLE else ", ".join(sorted(rule_access or ())))
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": rule.endpoint.replace(".", "_"),
            "tags": [op.tag],
            "x-roles": roles,
            "parameters": [
                {"name": p.name, "in": p.location, "required": p.required or p.location == "path",
                 "description": p.description,
                 "schema": {"type": p.type, **({"format": p.format} if p.format else {})}}
                for p in op.params
            ],
            "responses": {
                str(code): {"description": text,
                            **({"content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/Error"}}}} if code >= 400 else {})}
                for code, text in {**op.responses, 401: "Not signed in",
                                   403: "Role not allowed", 422: "Invalid input"}.items()
            },
        }
        if rule_access == PUBLIC:
            entry["security"] = []
        if op.body is not None:
            schema = op.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[op.body.__name__] = schema
            entry["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}}}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "gridpatrol API", "version": "1",
                 "description": "Errors are {error, message, field?}. State changes are "
                                "audited; send X-Audit-Reason to record why."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "token from `gridpatrol users token NAME`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }


@bp.get("/openapi.json")
@any_role
@documented("This description of the API", tag="meta")
def openapi_json() -> dict[str, Any]:
    return build_spec(current_app._get_current_object())  # type: ignore[attr-defined]
