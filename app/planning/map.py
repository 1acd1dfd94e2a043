"""The supervisor's map: the own basemap with one coloured route per unit and its timed
stops (must-visit points as circles, hot-spot doses as squares)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from app.console.map import map_config
from app.maps.offline import Call, offline_map, page_parts

ROUTE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def plan_map(routes: dict[str, Any], *, bounds: tuple[float, float, float, float] | None,
             online_tiles: dict[str, str] | None = None, can_edit: bool = False,
             csrf_token: str = "", labels: dict[str, Any] | None = None) -> dict[str, Markup]:
    """The routes, the must-visit points, and (for supervisors) adding a point by clicking
    the map, which opens on ``bounds`` (west, south, east, north)."""
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True, max_zoom=19)
    fmap.add_child(Call("GridPatrolMap.init", map_config(bounds, online_tiles=online_tiles)))
    fmap.add_child(Call("GridPatrolPlan.init", {
        "routes": routes, "colours": ROUTE_COLOURS, "points": "/api/v1/must-visit-points",
        "canEdit": can_edit, "csrf": csrf_token, "labels": labels or {}}))
    return page_parts(fmap)


def route_extent(routes: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """West, south, east, north of the routes and their stops; None without any."""
    xs, ys = [], []
    for feature in routes["features"]:
        for line in (feature.get("geometry") or {}).get("coordinates", []):
            xs += [x for x, _ in line]
            ys += [y for _, y in line]
        for stop in feature["properties"]["stops"]:
            if "lon" in stop:
                xs.append(stop["lon"])
                ys.append(stop["lat"])
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None
