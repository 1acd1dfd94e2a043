"""``GET /api/v1/events`` on the app side: the events service's gate.

The stream itself is served by the events service (``app.events.stream``) so that no
request worker is held by an open console. The service asks this route, with the
browser's cookie or bearer token, who is opening a stream; the route answers after the
usual access checks (any signed-in role, as before). A browser that reaches the app
server directly gets 421 instead of a stream that would hold a worker thread.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from app.api import bp
from app.api.docs import documented
from app.auth.access import any_role
from app.errors import Misdirected
from app.events.gate import GATE_HEADER


@bp.get("/events")
@any_role
@documented("Live changes as Server-Sent Events (hello, unit, alert, alert_event, radio, "
            "cameras, resync). Each event has an id; a reconnecting browser sends the last "
            "one as Last-Event-ID and gets what it missed, or resync when that is too old.",
            tag="dispatch",
            responses={200: "text/event-stream",
                       421: "Reached the app server, not the events service (`gridpatrol "
                            "serve` routes this path to it)",
                       429: "Too many open event streams for this user",
                       503: "The events service holds as many streams as it may"})
def events() -> dict[str, Any]:
    if request.headers.get(GATE_HEADER) != "1":
        raise Misdirected("Live events are served by the events service of `gridpatrol "
                          "serve`; route /api/v1/events to it, not to the app server.")
    return {"user_id": current_user.id, "username": current_user.username,
            "role": current_user.role_name}
