"""The video centre's pages: the camera faults list (every camera's state and faults,
filtered by area, fault, maintainer, state; a maintainer's own open tickets) and one
camera live (hls.js on the server's HLS)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, abort, render_template, request
from flask_login import current_user

from app.auth.access import HEALTH_READERS, VIDEO_OPERATORS, allow
from app.cameras.health import repository as health_rows
from app.db import get_session
from app.maintenance import repository as maintenance_rows
from app.models import Camera
from app.video import faults

bp = Blueprint("video", __name__, url_prefix="/video")


@bp.get("/live/<int:camera_id>")
@allow(*VIDEO_OPERATORS)
def live_page(camera_id: int) -> str:
    """One camera live."""
    camera = get_session().get(Camera, camera_id)
    if camera is None or not camera.stream_url:
        abort(404)
    return render_template("video/live.html", camera=camera)


@bp.get("/faults")
@allow(*HEALTH_READERS)
def faults_page() -> str:
    """Camera health: the faults list."""
    session = get_session()
    args = request.args
    fault = args.get("fault") if args.get("fault") in faults.FAULTS else None
    status = args.get("status") if args.get("status") in faults.STATUSES else None
    keeper = args.get("maintainer", "")
    own = None
    tickets: list[dict[str, object]] = []
    if current_user.role_name == "maintainer":
        own = maintenance_rows.member_maintainer(session, current_user.id)
        tickets = faults.open_tickets(session, own, datetime.now(UTC)) if own else []
    rows = faults.camera_rows(session, area=args.get("area") or None, fault=fault,
                              maintainer_id=int(keeper) if keeper.isdigit() else None,
                              status=status)
    return render_template(
        "video/faults.html", rows=rows, tickets=tickets, is_maintainer=own is not None,
        counts=health_rows.health_counts(session), areas=health_rows.area_names(session),
        maintainers=maintenance_rows.maintainers(session), fault_choices=faults.fault_choices(),
        status_choices=faults.status_choices(), status_label=faults.status_label,
        filters={"area": args.get("area") or "", "fault": fault or "",
                 "maintainer": keeper if keeper.isdigit() else "", "status": status or ""})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
