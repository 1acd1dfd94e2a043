"""The JSON API under /api/v1: one module per area, described in openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body(*, lists: bool = False) -> Any:
    """The request's JSON object (or, with ``lists``, also a JSON list); 400 otherwise."""
    from app.errors import BadRequest

    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) and not (lists and isinstance(payload, list)):
        kind = "a JSON object or list" if lists else "a JSON object"
        raise BadRequest(f"The request body must be {kind} (Content-Type: "
                         "application/json).", field="body")
    return payload


def init_app(app: Flask) -> None:
    from app.api import (  # noqa: F401
        alerts,
        analysis,
        audit,
        cameras,
        geo,
        openapi,
        planning,
        radio,
        routing,
        tiles,
        units,
        users,
    )

    app.register_blueprint(bp)
