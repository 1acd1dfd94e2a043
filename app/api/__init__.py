"""The JSON API under /api/v1: one module per area, described in openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _check_query() -> None:
    from app.api.query import check_query

    check_query()


def json_body(*, lists: bool = False) -> Any:
    """The request's JSON object (or, with ``lists``, also a JSON list); 400 otherwise."""
    from app.errors import MalformedRequest

    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) and not (lists and isinstance(payload, list)):
        kind = "a JSON object or list" if lists else "a JSON object"
        raise MalformedRequest(f"The request body must be {kind} (Content-Type: "
                         "application/json).", field="body")
    return payload


def init_app(app: Flask) -> None:
    # each area's API module adds its routes to ``bp`` when imported
    from app.analysis import api as analysis_api  # noqa: F401
    from app.analysis import incidents_api  # noqa: F401
    from app.api import openapi  # noqa: F401
    from app.audit import api as audit_api  # noqa: F401
    from app.auth import api as users_api  # noqa: F401
    from app.cameras import api as cameras_api  # noqa: F401
    from app.cameras.health import api as health_api  # noqa: F401
    from app.dispatch.api import alerts, radio, units  # noqa: F401
    from app.events import api as events_api  # noqa: F401
    from app.evidence import api as evidence_api  # noqa: F401
    from app.evidence import coverage_api  # noqa: F401
    from app.geography.api import geo, labels, routing, tiles  # noqa: F401
    from app.ingest import api as ingest_api  # noqa: F401
    from app.jobs import api as jobs_api  # noqa: F401
    from app.maintenance import api as maintenance_api  # noqa: F401
    from app.maintenance import report_api  # noqa: F401
    from app.orders import api as orders_api  # noqa: F401
    from app.passages import api as passages_api  # noqa: F401
    from app.planning import api as planning_api  # noqa: F401
    from app.series import api as series_api  # noqa: F401
    from app.tours import api as tours_api  # noqa: F401
    from app.tours import runs_api  # noqa: F401
    from app.video import api as video_api  # noqa: F401

    app.register_blueprint(bp)
