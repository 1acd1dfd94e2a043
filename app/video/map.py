"""The faults map: the jurisdiction's own basemap with every camera coloured by its
state (online, degraded, offline, maintenance, unknown), its faults and their measured
values, its maintainer, its open ticket and the last frame its health check saw in the
popup. Only the layers the reader may use are on it: a maintainer gets the basemap,
areas, search, street labels and the cameras — never grids, units, alerts or incidents."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.auth.access import may
from app.console.map import map_config
from app.console.pages import online_tiles
from app.maps.offline import Call, offline_map, page_parts
from app.video import faults

# The states' colours (also the legend's), worst first.
STATE_COLOURS = {"offline": "#c62828", "degraded": "#ef6c00", "maintenance": "#1565c0",
                 "unknown": "#9e9e9e", "online": "#2e7d32"}
# Map layers and the endpoint each reads: a layer is on the map only for those who may.
LAYER_ENDPOINTS = {"areas": "api.areas", "grids": "api.grids", "pois": "api.pois",
                   "cameras": "api.cameras"}


def faults_config(filters: dict[str, Any], *, focus: int | None = None,
                  overlay_only: bool = False) -> dict[str, Any]:
    """What ``GridPatrolFaults.init`` needs: the health API with the page's filters, the
    links each popup offers (as its reader may), and the words."""
    return {
        "health": "/api/v1/cameras/health",
        "filters": {k: v for k, v in filters.items() if v},
        "focus": focus, "overlayOnly": overlay_only,
        "timezone": str(current_app.config.get("TIMEZONE") or "UTC"),
        "colours": STATE_COLOURS,
        "states": dict(faults.status_choices()),
        "faults": dict(faults.fault_choices()),
        "measures": {name: faults.measure_label(name) for name in faults.MEASURES},
        "links": {"camera": "/video/cameras/{id}" if may("video.camera_page") else None,
                  "ticket": "/video/tickets/{id}" if may("video.ticket_page") else None,
                  "live": "/video/live/{id}" if may("video.live_page") else None,
                  "frame": "/api/v1/cameras/{id}/health/frame"},
        "labels": {
            "layer": _("Camera faults"), "legend": _("Camera state"),
            "faults": _("Faults"), "noFault": _("No fault found"),
            "checked": _("Checked"), "neverChecked": _("Not checked yet"),
            "maintainer": _("Maintainer"), "area": _("Area"), "ticket": _("Ticket"),
            "value": _("measured"), "limit": _("limit"), "usual": _("usual"),
            "frameAt": _("Frame of the check at"), "health": _("Health and history"),
        },
    }


def faults_map(bounds: tuple[float, float, float, float] | None, *,
               filters: dict[str, Any], csrf_token: str = "", focus: int | None = None,
               view_key: str | None = None) -> dict[str, Markup]:
    """Parts of the faults map page (``bounds``: west, south, east, north, WGS-84)."""
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True, prefer_canvas=True,
                       max_zoom=19)
    config = map_config(bounds, online_tiles=online_tiles(), csrf_token=csrf_token,
                        view_key=view_key)
    config["layers"] = {name: url for name, url in config["layers"].items()
                        if may(LAYER_ENDPOINTS.get(name, ""))}
    # the plain cameras layer is replaced by the faults layer here
    config["layers"].pop("cameras", None)
    config.update(labelsUrl="/api/v1/labels" if may("api.labels") else None)
    fmap.add_child(Call("GridPatrolMap.init", config))
    fmap.add_child(Call("GridPatrolFaults.init", faults_config(filters, focus=focus)))
    return page_parts(fmap)
