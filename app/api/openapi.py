"""OpenAPI 3.1 description built from the routes and their ``@documented`` operations.

Besides what each operation declares, every answer the framework itself gives is described
where it can happen: 401 (no or a bad token), 403 (a role the operation does not allow),
400 (a body that cannot be read, or a browser form without its CSRF token: every
state-changing method), 413 (a body over the size limit), 404 (a path naming nothing),
422 (a parameter or body field that is not valid; the answer names it).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app
from pydantic import BaseModel

from app.api import bp
from app.api.docs import JSON, Answer, Body, Operation, Param, documented
from app.api.query import operation_of
from app.auth.access import ANY_ROLE, ANY_USER, PUBLIC, access_rule, any_user

__all__ = ["api_rules", "build_spec", "operation_of"]

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
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def api_rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")]


def framework_answers(op: Operation, method: str, rule_access: Any) -> dict[int, str]:
    """The statuses the framework gives this operation besides its own."""
    answers: dict[int, str] = {}
    if method in WRITES:
        answers[400] = ("The body cannot be read, or a browser session sent no CSRF "
                        "token")
    answers[401] = "Not signed in, or the token is unknown, revoked or its user inactive"
    if rule_access not in (PUBLIC, ANY_USER):
        answers[403] = "The signed-in user's role may not do this"
    if any(p.location == "path" for p in op.params):
        answers[404] = "The path names nothing that exists"
    if op.body is not None:
        answers[413] = "The body is larger than the server accepts"
    if op.body is not None or op.params or op.refusals:
        answers[422] = "A parameter or body field is not valid (`invalid`, naming it)" + (
            "; or, for a valid request: " + "; ".join(
                f"`{code}`: {when}" for code, when in op.refusals.items())
            if op.refusals else "")
    return answers


def _parameter(param: Param) -> dict[str, Any]:
    required = param.required or param.location == "path"
    described = {"name": param.name, "in": param.location, "required": required,
                 "description": param.description, "schema": param.json_schema()}
    if param.location == "query" and not required:
        described["allowEmptyValue"] = True  # ?status= is taken as no status
    return described


def _response(code: int, answer: Answer) -> dict[str, Any]:
    if code >= 400:
        return {"description": answer.description, "content": {JSON: {"schema": {
            "$ref": "#/components/schemas/Error"}}}}
    content = answer.content()
    return {"description": answer.description, **({"content": content} if content else {})}


def not_blank(schema: Any) -> Any:
    """Bodies are read with text stripped, so a string that must have a character must
    have one that is not a space: say so with a pattern where the schema has none."""
    if isinstance(schema, dict):
        schema = {key: not_blank(value) for key, value in schema.items()}
        if schema.get("type") == "string" and schema.get("minLength", 0) >= 1:
            schema.setdefault("pattern", r"\S")
    elif isinstance(schema, list):
        schema = [not_blank(item) for item in schema]
    return schema


def _request_body(body: type[BaseModel] | Body, schemas: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, Body):
        content = {}
        for media, given in body.content.items():
            schema = not_blank(given)
            schemas.update(schema.pop("$defs", {}))
            content[media] = {"schema": schema} | (
                {"encoding": dict(body.encoding[media])} if media in body.encoding else {})
        return {"required": body.required, "content": content}
    schema = not_blank(body.model_json_schema(ref_template="#/components/schemas/{model}"))
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    if schemas.get(body.__name__, schema) != schema:  # two bodies by one name: one is lost
        raise ValueError(f"two request bodies are both named {body.__name__}; rename one")
    schemas[body.__name__] = schema
    return {"required": True, "content": {JSON: {
        "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}


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
                 if rule_access == ANY_USER else "any signed-in user but a maintainer"
                 if rule_access == ANY_ROLE else ", ".join(sorted(rule_access or ())))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            answers = {code: Answer(text) for code, text in
                       framework_answers(op, method, rule_access).items()} | op.answers()
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": rule.endpoint.replace(".", "_"),
                "tags": [op.tag],
                "x-roles": roles,
                "parameters": [_parameter(p) for p in op.params],
                "responses": {str(code): _response(code, answer)
                              for code, answer in sorted(answers.items())},
            }
            if op.refusals:
                entry["x-refusals"] = dict(op.refusals)
            if rule_access == PUBLIC:
                entry["security"] = []
            if op.body is not None:
                entry["requestBody"] = _request_body(op.body, schemas)
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "gridpatrol API", "version": "1",
                 "description": "Errors are {error, message, field?}. State changes are "
                                "audited; send X-Audit-Reason to record why. An empty "
                                "query parameter (`?status=`) counts as absent."},
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
@any_user
@documented("This description of the API", tag="meta")
def openapi_json() -> dict[str, Any]:
    return build_spec(current_app._get_current_object())  # type: ignore[attr-defined]
