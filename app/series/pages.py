"""The analyst's series pages: pick incidents as a series (by filter or on the map) and
keep it; see a series on the map with its time line, hour × weekday profile, mean centre
and ellipse, the corridors between its incidents and the cameras watching them; turn it
into temporary must-visit points."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Flask, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from pydantic import ValidationError

from app.auth.access import ANALYSIS_READERS, allow, may
from app.db import get_session
from app.geography.repository.areas import area_names
from app.maps.work import work_map
from app.series import service
from app.series.labels import builder_labels, view_labels
from app.series.params import ViewSettings
from app.series.tour import MAX_DAYS
from gis.incidents import load_category_table

bp = Blueprint("series", __name__, url_prefix="/analysis/series")


def _categories() -> list[tuple[str, str]]:
    zh = (locale := get_locale()) is not None and locale.language == "zh"
    return [(code, c.label_zh if zh else c.label_en)
            for code, c in load_category_table().categories.items()]


@bp.get("")
@allow(*ANALYSIS_READERS)
def page() -> str:
    """Find incidents, pick the series on the map, keep it; the series kept so far."""
    session = get_session()
    categories = _categories()
    config = {"api": {"incidents": "/api/v1/series/incidents", "series": "/api/v1/series"},
              "view": url_for("series.view", series_id=0), "csrf": generate_csrf(),
              "canSave": may("api.create_series"), "categories": dict(categories),
              "labels": builder_labels()}
    return render_template("series/page.html", series=service.series_list(session),
                           areas=area_names(session), categories=categories,
                           can_save=config["canSave"],
                           map=work_map(session, "GridPatrolSeries.builder", config),
                           body_class="work-page")


@bp.get("/<int:series_id>")
@allow(*ANALYSIS_READERS)
def view(series_id: int) -> str:
    """A series: map, time line, profile, ellipse, corridors and their cameras."""
    session = get_session()
    row = service.find_series(session, series_id)
    error = None
    try:
        settings = ViewSettings.model_validate(
            {k: (int(v) if k == "std_devs" and v.isdigit() else v)
             for k, v in request.args.items() if k in ("std_devs", "correction") and v})
    except ValidationError as exc:
        first = exc.errors()[0]
        error = (".".join(str(p) for p in first["loc"]), first["msg"])
        settings = ViewSettings()
    shown = service.series_json(session, row, settings)
    shown["timeline_x"] = timeline_x([i["occurred_at"] for i in shown["incidents"]])
    config = {"series": shown, "labels": view_labels(), "csrf": generate_csrf(),
              "api": {"points": url_for("api.series_must_visit_points", series_id=row.id),
                      "tour": url_for("api.series_tour", series_id=row.id)},
              "canPromote": may("api.series_must_visit_points"),
              "canTour": may("api.series_tour"), "canWall": may("tours.wall_page")}
    categories = dict(_categories())
    return render_template(
        "series/view.html", shown=shown, settings=settings, error=error,
        categories=categories, times={"hour_weekday": shown["hour_weekday"]},
        can_promote=config["canPromote"], can_tour=config["canTour"], can_wall=config["canWall"],
        tour_max=(date.today() + timedelta(days=MAX_DAYS)).isoformat(),
        until_default=(date.today() + timedelta(days=14)).isoformat(),
        today=date.today().isoformat(),
        csv_url=url_for("api.show_series", series_id=row.id, format="csv", **{
            k: v for k, v in settings.model_dump().items()}),
        map=work_map(session, "GridPatrolSeries.view", config), body_class="work-page")


def timeline_x(times: list[str], *, left: float = 20.0, width: float = 960.0) -> list[float]:
    """Where each incident sits on the time line drawn ``width`` wide from ``left``."""
    if not times:
        return []
    moments = [datetime.fromisoformat(t).timestamp() for t in times]
    first, span = min(moments), max(moments) - min(moments)
    if span <= 0:
        return [left + width / 2] * len(moments)
    return [left + width * (m - first) / span for m in moments]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
