"""The JSON API under /api/v1: one module per area, described in openapi.json."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


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
