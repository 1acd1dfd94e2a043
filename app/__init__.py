"""gridpatrol's Flask application: :func:`create_app` builds it, with no side effects."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from ``GRIDPATROL_*`` variables, or from ``test_config`` in tests."""
    # Imported here, not at the top: ``import app.<anything>`` (the events service,
    # ``app.config`` alone) then costs no import of the whole application.
    from app import (
        api,
        auth,
        cameras,
        cli,
        csp_reports,
        db,
        errors,
        guards,
        i18n,
        labels,
        notes,
        security_headers,
        serving,
        tracing,
        vendor,
    )
    from app.admin import pages as admin_pages
    from app.analysis import pages as analysis_pages
    from app.auth import access
    from app.config import load_secret_key, read_environment
    from app.console import pages as console_pages
    from app.evidence import pages as evidence_pages
    from app.ingest import pages as ingest_pages
    from app.passages import pages as passages_pages
    from app.planning import pages as planning_pages
    from app.series import pages as series_pages
    from app.tours import pages as tours_pages
    from app.video import pages as video_pages

    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    settings = read_environment() if test_config is None else {}
    app.config.update(settings)
    if test_config is not None:
        app.config.update(read_environment({}))
        app.config.update(test_config)
    app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path),
                                               app.config.get("SECRET_KEY"))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    logging.getLogger("app").setLevel(logging.INFO)

    serving.init_app(app)
    tracing.init_app(app)
    security_headers.init_app(app)
    guards.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    notes.init_app(app)
    access.init_app(app)
    errors.register_error_handlers(app)
    vendor.init_app(app)
    auth.init_app(app)
    console_pages.init_app(app)
    analysis_pages.init_app(app)
    planning_pages.init_app(app)
    evidence_pages.init_app(app)
    series_pages.init_app(app)
    admin_pages.init_app(app)
    video_pages.init_app(app)
    ingest_pages.init_app(app)
    tours_pages.init_app(app)
    passages_pages.init_app(app)
    api.init_app(app)
    cameras.init_app(app)
    csp_reports.init_app(app)
    cli.init_app(app)
    return app
