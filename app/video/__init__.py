"""The video centre's live view: cameras converted to HLS (live), who watched what
(repository), and the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from app.video.live import LiveConversions


def conversions(app: Flask | None = None) -> LiveConversions:
    """This process's view of the host's live conversions (made on first use; imported
    then, so the front, which loads ``app.video.mjpeg``, does not load OpenCV)."""
    from app.video.live import LiveConversions, LiveSettings

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ext = app.extensions.setdefault("gridpatrol_live", {})
    if "conversions" not in ext:
        config = app.config
        ext["conversions"] = LiveConversions(LiveSettings(
            root=Path(config.get("LIVE_DIR") or Path(app.instance_path) / "live"),
            max_conversions=int(config["LIVE_MAX_CONVERSIONS"]),
            idle_s=float(config["LIVE_IDLE_S"]),
            start_timeout_s=float(config["LIVE_START_TIMEOUT_S"]),
            open_timeout_s=float(config["SNAPSHOT_TIMEOUT_S"]) + 2.0))
    return ext["conversions"]  # type: ignore[no-any-return]
