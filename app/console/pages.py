"""The map console: the first screen after sign-in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.auth.access import access_rule, any_role, public, roles_allowed
from app.console.map import console_map
from app.db import get_session, ping
from app.geography.repository import map_bounds
from app.geography.repository.places import home_area
from app.tours.findings import finding_labels

bp = Blueprint("console", __name__)


@bp.get("/")
@any_role
def home() -> str:
    """The map console."""
    session = get_session()
    bounds = map_bounds(session)
    home = home_area(session, named=current_app.config.get("HOME_AREA"))
    fmap = console_map(bounds, online_tiles=online_tiles(), can_edit_grids=_may("api.change_grid"),
                       csrf_token=generate_csrf(), home=home,
                       view_key=f"gridpatrol.view.{current_user.id}",
                       faults=_may("api.cameras_health"), dispatch={
                           "can_dispatch": _may("api.create_alert"),
                           "can_edit_cameras": _may("api.change_camera"),
                           "can_read_radio": _may("api.radio_log"),
                           "can_read_alarms": _may("api.list_alarms"),
                           "can_watch_live": _may("api.start_live")},
                       findings=findings_layer() if _may("api.list_findings") else None)
    return render_template("console/home.html", map=fmap,
                           has_data=bounds is not None, body_class="map-page")


def findings_layer() -> dict[str, Any]:
    """The console's layer of video findings (the last 24 hours)."""
    return {"url": "/api/v1/findings", "labels": finding_labels()}


def online_tiles() -> dict[str, str] | None:
    """The online tile layer, only when configured (off by default: air-gapped)."""
    if not current_app.config.get("ONLINE_TILES_URL"):
        return None
    return {"url": current_app.config["ONLINE_TILES_URL"],
            "attribution": current_app.config.get("ONLINE_TILES_ATTRIBUTION") or ""}


def _may(endpoint: str) -> bool:
    return bool(current_user.role_name in roles_allowed(access_rule(current_app, endpoint)))


@bp.get("/healthz")
@public
def health() -> dict[str, str]:
    """Liveness and database reachability for load balancers."""
    ping(get_session())
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
