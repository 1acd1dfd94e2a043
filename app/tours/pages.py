"""The video centre's tour pages: the tours (list, proposal from the crime data, editor on
the map), the video wall that plays one, the report and one run's log."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.auth.access import VIDEO_OPERATORS, allow, may
from app.console.map import map_config
from app.console.pages import online_tiles
from app.db import get_session
from app.errors import Failure
from app.maps.offline import Call, offline_map, page_parts
from app.maps.work import home_bounds
from app.tours import findings, report, runs, tours
from app.tours.repository import findings as finding_rows
from app.tours.repository import report as report_rows
from app.tours.repository import tours as tour_rows
from app.video.labels import live_labels
from dispatch.tours import FindingKind
from gis.incidents import load_category_table
from patrol.windows import DAY_NAMES_EN, DAY_NAMES_ZH

bp = Blueprint("tours", __name__, url_prefix="/video/tours")


def _map(bounds: tuple[float, float, float, float] | None, *calls: Call) -> dict[str, Markup]:
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True, max_zoom=19)
    config = map_config(bounds, online_tiles=online_tiles())
    config.update(camerasOn=True)
    fmap.add_child(Call("GridPatrolMap.init", config))
    for call in calls:
        fmap.add_child(call)
    return page_parts(fmap)


def _weekdays() -> list[str]:
    return list(DAY_NAMES_ZH if tours.chinese() else DAY_NAMES_EN)


@bp.get("")
@allow(*VIDEO_OPERATORS)
def tours_page() -> str:
    """Tours: the list, a proposal from the crime data, the editor with the map."""
    session = get_session()
    table = load_category_table()
    zh = tours.chinese()
    config = {
        "csrf": generate_csrf(), "weekdays": _weekdays(),
        "api": {"tours": "/api/v1/tours", "propose": "/api/v1/tours/propose"},
        "wall": "/video/tours/{id}/wall",
        "labels": {
            "dwell": _("Dwell (s)"), "up": _("Move up"), "down": _("Move down"),
            "remove": _("Remove"), "empty": _("No camera yet: propose a tour, or click "
                                              "cameras on the map."),
            "saved": _("Saved."), "deleted": _("Deleted."), "confirm": _("Delete this tour?"),
            "noStream": _("This camera has no stream."), "already": _("Already in the tour."),
            "proposing": _("Working out the cameras…"),
            "summary": _("%(targets)s incidents at %(hours)s in %(cells)s hot cells, "
                         "%(period)s; the %(cameras)s cameras proposed see %(seen)s.",
                         targets="{targets}", hours="{hours}", cells="{cells}",
                         period="{period}", cameras="{cameras}", seen="{seen}"),
            "leftOut": _("Left out (offline or in maintenance): %(names)s", names="{names}"),
            "editing": _("Editing tour #%(id)s", id="{id}"), "newTour": _("New tour"),
            "error": _("Not saved:"),
            "pickArea": _("Choose the area or grid first (and a name).")},
    }
    return render_template(
        "tours/list.html", rows=tours.tour_list(session, area=None, due=None),
        regions=tour_rows.region_names(session),
        categories=[(c.code, c.label_zh if zh else c.label_en)
                    for c in table.categories.values()],
        weekdays=_weekdays(), config=config,
        map=_map(home_bounds(session), Call("GridPatrolTourMap.init", {
            "cameras": [], "pick": True,
            "labels": {"pick": _("Click a camera to add it to the tour.")}}),
                 Call("GridPatrolTours.init", config, with_map=False)))


@bp.get("/<int:tour_id>/wall")
@allow(*VIDEO_OPERATORS)
def wall_page(tour_id: int) -> str:
    """The video wall: a tour played live, advancing by itself."""
    session = get_session()
    tour = tours.tour_json(session, tours.tour_of(session, tour_id), with_coverage=True)
    zh = tours.chinese()
    points = [c for c in tour["cameras"] if c["lon"] is not None]
    bounds = ((min(c["lon"] for c in points), min(c["lat"] for c in points),
               max(c["lon"] for c in points), max(c["lat"] for c in points))
              if points else home_bounds(session))
    config = {
        "tourId": tour_id, "csrf": generate_csrf(), "layout": tour["layout"],
        "api": {"runs": f"/api/v1/tours/{tour_id}/runs", "events": "/api/v1/tour-runs/{run}/events",
                "live": "/api/v1/cameras/{camera}/live",
                "mjpeg": "/api/v1/cameras/{camera}/live.mjpeg", "findings": "/api/v1/findings"},
        "kinds": [[k.value, k.label_zh if zh else k.label_en] for k in FindingKind],
        "labels": {
            **live_labels(),
            "paused": _("Paused"), "running": _("Running"), "pause": _("Pause"),
            "resume": _("Resume"),
            "step": _("Step %(n)s of %(of)s", n="{n}", of="{of}"),
            "ended": _("The tour has ended."), "runEnded": _("This run has ended."),
            "flagged": _("Flagged: %(what)s #%(id)s", what="{what}", id="{id}"),
            "incident": _("incident"), "alert": _("red alert"),
            "noFrame": _("no frame: %(why)s", why="{why}"), "error": _("Not flagged:"),
            "skipped": _("Skipped"), "pickTile": _("Click a tile to choose its camera.")},
    }
    return render_template(
        "tours/wall.html", tour=tour, config=config, kinds=config["kinds"],
        body_class="wall-page",
        map=_map(bounds, Call("GridPatrolTourMap.init", {
            "cameras": tour["cameras"], "pick": False,
            "findings": {"url": "/api/v1/findings", "labels": findings.finding_labels()},
            "labels": {}}), Call("GridPatrolWall.init", config, with_map=False)))


@bp.get("/report")
@allow(*VIDEO_OPERATORS)
def report_page() -> str:
    """The tour report per day, operator and area, and the latest runs."""
    session = get_session()
    args = request.args
    error = None
    try:
        first, last = report.report_period(args.get("from") or None, args.get("to") or None)
    except Failure as exc:
        error = exc.message
        first, last = report.report_period(None, None)
    answer = report.tour_report(session, first=first, last=last,
                                operator=args.get("operator") or None,
                                area=args.get("area") or None)
    return render_template(
        "tours/report.html", report=answer, error=error,
        operators=report_rows.operator_names(session) if runs.may_see_all_runs() else [],
        regions=tour_rows.region_names(session),
        runs=runs.run_list(session, tour_id=None, username=answer["operator"], since=None,
                           limit=50),
        csv_args={"from": answer["from"], "to": answer["to"], "format": "csv",
                  **({"operator": answer["operator"]} if answer["operator"] else {}),
                  **({"area": answer["area"]} if answer["area"] else {})})


@bp.get("/runs/<int:run_id>")
@allow(*VIDEO_OPERATORS)
def run_page(run_id: int) -> str:
    """One run's log: every camera shown, when and for how long; its findings."""
    session = get_session()
    log = runs.run_log(session, run_id)
    return render_template(
        "tours/run.html", run=log, findings=[findings.finding_json(r) for r in
                                             finding_rows.finding_rows(session, run_id=run_id)],
        may_see_frames=may("api.finding_frame"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
