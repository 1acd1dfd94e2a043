"""The map of a work page (evidence plans, coverage, placement, series): the own basemap
opened on the home area (or on given bounds), cameras shown, and the page's own script
started with its configuration as JSON (``Call``: no script built from strings)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.console.map import map_config
from app.console.pages import online_tiles
from app.geography.repository import map_bounds
from app.geography.repository.places import home_area
from app.maps.offline import Call, offline_map, page_parts


def home_bounds(session: Session) -> tuple[float, float, float, float] | None:
    """Where a page with nothing of its own to show opens: the home area (``HOME_AREA``,
    else the area with the most grid cells), else every area. Never every area when there
    is a home: two cities far apart would open at 1000 km scale."""
    home = home_area(session, named=current_app.config.get("HOME_AREA"))
    return home["bounds"] if home is not None else map_bounds(session)


def work_map(session: Session, init: str, config: dict[str, Any], *,
             bounds: tuple[float, float, float, float] | None = None,
             cameras: bool = True) -> dict[str, Markup]:
    """Page parts of a map running ``GridPatrolMap.init`` and then ``init(map, config)``.
    ``bounds`` (west, south, east, north) opens on those instead of the home area."""
    home = None
    if bounds is None:
        home = home_area(session, named=current_app.config.get("HOME_AREA"))
        bounds = map_bounds(session)
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True, max_zoom=19)
    base = map_config(bounds, online_tiles=online_tiles(), home=home)
    base.update(camerasOn=cameras)
    fmap.add_child(Call("GridPatrolMap.init", base))
    fmap.add_child(Call(init, config))
    return page_parts(fmap)
