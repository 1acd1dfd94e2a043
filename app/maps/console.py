"""The console's map: the jurisdiction's own vector basemap and the operational layers."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _

from app.maps.offline import Script, offline_map, page_parts


def console_map(bounds: tuple[float, float, float, float] | None, *,
                online_tiles: dict[str, str] | None = None, can_edit_grids: bool = False,
                csrf_token: str = "") -> dict[str, str]:
    """Parts of the console map page. ``bounds`` is (west, south, east, north) in WGS-84."""
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True,
                       prefer_canvas=True, max_zoom=19)
    config: dict[str, Any] = {
        "tiles": "/api/v1/tiles/{z}/{x}/{y}.pbf",
        # fitted without animation in GridPatrolMap.init, so no late zoom overrides a view
        "bounds": None if bounds is None else [[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
        "layers": {
            "areas": "/api/v1/areas", "grids": "/api/v1/grids",
            "pois": "/api/v1/pois", "cameras": "/api/v1/cameras",
        },
        "search": "/api/v1/search",
        "online": online_tiles,
        "canEditGrids": can_edit_grids,
        "csrf": csrf_token,
        "labels": {
            "basemap": _("Basemap (own data)"), "areas": _("Areas"), "grids": _("Patrol grids"),
            "pois": _("Points of interest"), "cameras": _("Cameras"),
            "search": _("Search street or place"), "online": _("Online tiles"),
            "noResults": _("Nothing found"), "gridName": _("Name"),
            "assignedTo": _("Assigned to"), "reason": _("Reason"), "save": _("Save"),
        },
    }
    fmap.add_child(Script(f"GridPatrolMap.init({{map}}, {json.dumps(config)});"))
    return page_parts(fmap)
