"""The video centre's pages: the camera faults list (every camera's state, faults with
their measured values and week's uptime; filtered by area, fault, maintainer, state;
sorted by any column; a maintainer's own open tickets), the faults map, one camera's
health (its latest frame, faults, uptime, state history, checks and tickets) and one
camera live (hls.js on the server's HLS). Tickets: :mod:`app.video.desk`; the monthly
report: :mod:`app.video.report_pages`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.auth.access import HEALTH_READERS, VIDEO_OPERATORS, allow
from app.cameras.health import repository as health_rows
from app.cameras.health.uptime import CHANGES_LISTED, uptime_windows
from app.db import get_session
from app.maintenance import repository as maintenance_rows
from app.maps.work import home_bounds
from app.models import Camera
from app.video import faults
from app.video.map import faults_map

bp = Blueprint("video", __name__, url_prefix="/video")


@bp.get("/live/<int:camera_id>")
@allow(*VIDEO_OPERATORS)
def live_page(camera_id: int) -> str:
    """One camera live."""
    camera = get_session().get(Camera, camera_id)
    if camera is None or not camera.stream_url:
        abort(404)
    return render_template("video/live.html", camera=camera)


def read_filters(args: Any) -> dict[str, Any]:
    """The list's and the map's filters from the query; unknown values are dropped (the
    form offers only known ones)."""
    keeper = args.get("maintainer", "")
    return {"area": (args.get("area") or "")[:200],
            "fault": args.get("fault") if args.get("fault") in faults.FAULTS else "",
            "maintainer": keeper if keeper.isdigit() and len(keeper) < 10 else "",
            "status": args.get("status") if args.get("status") in faults.STATUSES else ""}


def filter_choices(session: Any) -> dict[str, Any]:
    return {"areas": health_rows.area_names(session),
            "maintainers": maintenance_rows.maintainers(session),
            "fault_choices": faults.fault_choices(), "status_choices": faults.status_choices(),
            "counts": health_rows.health_counts(session)}


def own_maintainer(session: Any) -> int | None:
    """The maintainer a maintainer's user works for (None for everyone else)."""
    if current_user.role_name != "maintainer":
        return None
    return maintenance_rows.member_maintainer(session, current_user.id)


@bp.get("/faults")
@allow(*HEALTH_READERS)
def faults_page() -> str:
    """Camera health: the faults list."""
    session = get_session()
    now = datetime.now(UTC)
    filters = read_filters(request.args)
    sort = request.args.get("sort") if request.args.get("sort") in faults.SORTS else "state"
    descending = request.args.get("dir") == "desc"
    page = int(request.args["page"]) if request.args.get("page", "").isdigit() and len(
        request.args["page"]) < 6 else 1
    own = own_maintainer(session)
    tickets = faults.open_tickets(session, own, now) if own else []
    rows = faults.sorted_rows(faults.camera_rows(
        session, area=filters["area"] or None, fault=filters["fault"] or None,
        maintainer_id=int(filters["maintainer"]) if filters["maintainer"] else None,
        status=filters["status"] or None, now=now), sort, descending)
    pages = max(1, -(-len(rows) // faults.PAGE_SIZE))
    page = min(page, pages)
    shown = rows[(page - 1) * faults.PAGE_SIZE:page * faults.PAGE_SIZE]
    return render_template(
        "video/faults.html", rows=shown, total=len(rows), page=page, pages=pages,
        sort=sort, descending=descending, tickets=tickets,
        is_maintainer=current_user.role_name == "maintainer",
        status_label=faults.status_label, filters=filters,
        query={k: v for k, v in filters.items() if v}, uptime_days=faults.UPTIME_DAYS,
        **filter_choices(session))


@bp.get("/map")
@allow(*HEALTH_READERS)
def faults_map_page() -> str:
    """The faults layer: every camera on the map coloured by its state."""
    session = get_session()
    filters = read_filters(request.args)
    focus = request.args.get("camera", "")
    fmap = faults_map(home_bounds(session), filters=filters, csrf_token=generate_csrf(),
                      focus=int(focus) if focus.isdigit() and len(focus) < 10 else None,
                      view_key=f"gridpatrol.faults-view.{current_user.id}")
    return render_template("video/map.html", map=fmap, filters=filters,
                           body_class="map-page faults-map-page", **filter_choices(session))


@bp.get("/cameras/<int:camera_id>")
@allow(*HEALTH_READERS)
def camera_page(camera_id: int) -> str:
    """One camera's health: latest frame and faults, uptime, state history, checks and
    tickets."""
    session = get_session()
    camera = session.get(Camera, camera_id)
    if camera is None:
        abort(404)
    now = datetime.now(UTC)
    found = health_rows.health_list(session, camera_id=camera_id)
    row = found[0] if found else None
    checks = health_rows.check_history(session, camera_id, limit=20)
    for check in checks:
        check["faults"] = [faults.finding_view(f) for f in check["findings"] or []]
    own = own_maintainer(session)
    tickets = [faults.ticket_view(t, now) for t in maintenance_rows.ticket_rows(
        session, camera_id=camera_id, limit=20) if own is None or t["maintainer_id"] == own]
    return render_template(
        "video/camera.html", camera=camera, row=row,
        findings=[faults.finding_view(f) for f in (row or {}).get("findings") or []],
        status_label=faults.status_label, checks=checks,
        changes=[c | {"reason": faults.reason_text(c["reason"])} for c in
                 health_rows.state_changes(session, camera_id, limit=CHANGES_LISTED)],
        windows=uptime_windows(session, camera_id, now), tickets=tickets)


def local_time(moment: datetime | str | None) -> str:
    """A moment (or its ISO text) as the jurisdiction's local time (GRIDPATROL_TIMEZONE),
    to the minute."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    zone = ZoneInfo(str(current_app.config.get("TIMEZONE") or "UTC"))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def measure_text(value: Any) -> str:
    """A measured value, to a sensible number of digits."""
    if value is None:
        return "–"
    number = float(value)
    digits = 0 if abs(number) >= 100 else 2 if abs(number) >= 1 else 3
    return f"{number:.{digits}f}"


def init_app(app: Flask) -> None:
    from app.video import desk, report_pages  # noqa: F401 - their routes join bp

    app.add_template_filter(local_time, "when")
    app.add_template_filter(measure_text, "measure")
    app.register_blueprint(bp)
