"""The video centre's pages: one camera live (hls.js on the server's HLS)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template

from app.auth.access import VIDEO_OPERATORS, allow
from app.db import get_session
from app.models import Camera

bp = Blueprint("video", __name__, url_prefix="/video")


@bp.get("/live/<int:camera_id>")
@allow(*VIDEO_OPERATORS)
def live_page(camera_id: int) -> str:
    """One camera live."""
    camera = get_session().get(Camera, camera_id)
    if camera is None or not camera.stream_url:
        abort(404)
    return render_template("video/live.html", camera=camera)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
