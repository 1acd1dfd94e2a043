"""The plate search page: search passages by whole or partial plate with a reason, list
them, draw a plate's trace on the map with each leg's verdict, and list the vehicles
through one checkpoint then another. The page asks the API (``passages.js``): every
search it makes is the API's, audited the same way."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from app.auth.access import PASSAGE_SEARCHERS, allow
from app.console.map import map_config
from app.console.pages import online_tiles
from app.db import get_session
from app.maps.offline import Call, offline_map, page_parts
from app.maps.work import home_bounds
from app.passages import repository
from app.passages.checkpoints import checkpoint_geojson
from app.passages.search import MAX_DAYS_EXACT, MAX_DAYS_PARTIAL, MAX_WITHIN_MIN

bp = Blueprint("passages", __name__, url_prefix="/passages")


def page_labels() -> dict[str, Any]:
    """The words ``passages.js`` writes, in the reader's language."""
    return {
        "reasonRequired": _("Give the reason for this search (the case or task): it is "
                            "kept in the audit log."),
        "searching": _("Searching…"), "none": _("No passage found."),
        "found": _("Passages found: %(n)s"), "truncated": _("More matched: narrow the search."),
        "searchId": _("Search no. %(id)s, kept in the audit log"),
        "trace": _("Trace"), "traceOf": _("Trace of %(plate)s"),
        "cloned": _("Cloned plate suspected (套牌嫌疑). Legs no vehicle can drive: %(n)s."),
        "noClone": _("Every leg can be driven."),
        "straight": _("No road graph: legs judged on straight lines."),
        "vehicles": _("Vehicles found: %(n)s"), "minutes": _("%(n)s min"),
        "failed": _("The search failed"),
        "columns": {"time": _("Time"), "plate": _("Plate"), "checkpoint": _("Checkpoint"),
                    "direction": _("Direction"), "lane": _("Lane"),
                    "vehicle": _("Vehicle"), "colour": _("Colour")},
        "legColumns": {"from": _("From"), "to": _("To"), "elapsed": _("Time taken"),
                       "road": _("Road"), "credible": _("Fastest credible"),
                       "speed": _("Average speed"), "verdict": _("Verdict")},
        "throughColumns": {"plate": _("Plate"), "first": _("First"), "then": _("Then"),
                           "minutes": _("Minutes")},
        "verdicts": {"plausible": _("plausible"), "fast": _("faster than the limits"),
                     "impossible": _("impossible"), "same_checkpoint": _("same checkpoint"),
                     "unknown": _("not judged (no route)")},
    }


@bp.get("")
@allow(*PASSAGE_SEARCHERS)
def page() -> str:
    """Plate search: the form with its reason box, the results, the trace on the map."""
    session = get_session()
    sites = repository.checkpoints(session)
    bounds = _bounds(sites) or home_bounds(session)
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True, max_zoom=19)
    fmap.add_child(Call("GridPatrolMap.init", map_config(bounds, online_tiles=online_tiles())))
    fmap.add_child(Call("GridPatrolPassages.init", {
        "checkpoints": checkpoint_geojson(sites), "labels": page_labels(),
        "csrf": generate_csrf(),  # searches write the audit log: sent as X-CSRFToken
        "api": {"search": "/api/v1/passages", "trace": "/api/v1/passages/trace",
                "through": "/api/v1/passages/through"}}))
    return render_template("passages/page.html", map=page_parts(fmap), checkpoints=sites,
                           max_days_exact=MAX_DAYS_EXACT, max_days_partial=MAX_DAYS_PARTIAL,
                           max_within_min=MAX_WITHIN_MIN)


def _bounds(sites: list[repository.CheckpointRow]
            ) -> tuple[float, float, float, float] | None:
    if not sites:
        return None
    lons, lats = [s.lon for s in sites], [s.lat for s in sites]
    pad = 0.005
    return min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
