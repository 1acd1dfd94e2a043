"""The map console: the first screen after sign-in."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from app.auth.access import any_role, public
from app.db import get_session
from app.maps.console import console_map
from app.queries.geo import map_bounds

bp = Blueprint("console", __name__)


@bp.get("/")
@any_role
def home() -> str:
    """The map console."""
    bounds = map_bounds(get_session())
    online = None
    if current_app.config.get("ONLINE_TILES_URL"):
        online = {"url": current_app.config["ONLINE_TILES_URL"],
                  "attribution": current_app.config.get("ONLINE_TILES_ATTRIBUTION") or ""}
    return render_template("console/home.html", map=console_map(bounds, online_tiles=online),
                           has_data=bounds is not None, body_class="map-page")


@bp.get("/healthz")
@public
def health() -> dict[str, str]:
    """Liveness and database reachability for load balancers."""
    from sqlalchemy import text

    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
