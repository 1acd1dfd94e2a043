"""The map console: the first screen after sign-in."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from app.auth.access import any_role, public
from app.db import get_session

bp = Blueprint("console", __name__)


@bp.get("/")
@any_role
def home() -> str:
    """The console home page."""
    return render_template("console/home.html")


@bp.get("/healthz")
@public
def health() -> dict[str, str]:
    """Liveness and database reachability for load balancers."""
    from sqlalchemy import text

    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
