"""The words a live player shows (the live page, the wall's tiles, the console's camera
popup and alert panel), in the request's language."""

from __future__ import annotations

from flask_babel import gettext as _


def live_labels() -> dict[str, str]:
    return {"connecting": _("Connecting…"), "playing": _("Live"),
            "busy": _("Every live slot is in use; trying again shortly."),
            "offline": _("The camera gives no video."), "refused": _("The stream is refused."),
            "stalled": _("The video stopped; reconnecting…"),
            "unsupported": _("This browser cannot play live video."),
            "watch": _("Live video"), "close": _("Close")}


def live_player(*, allowed: bool) -> dict[str, object] | None:
    """What a page's live player needs (None for those who may not watch live)."""
    if not allowed:
        return None
    return {"url": "/api/v1/cameras/{camera}/live",
            "mjpeg": "/api/v1/cameras/{camera}/live.mjpeg", "labels": live_labels()}
