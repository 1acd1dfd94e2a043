"""gunicorn settings of ``gridpatrol serve`` (``--config python:app.cli.gunicorn_config``).

gunicorn reads the request line and headers before the app sees anything, and refuses
what is too long itself: a request line past ``limit_request_line`` (414) or headers past
their limits (431). Out of the box it answers those in HTML; here they are answered in the
app's JSON error shape, ``{"error": code, "message": text}``, whatever the path (the path
is part of the line that could not be read). Shorter URLs that are still too long for the
app (:data:`app.guards.MAX_URL_BYTES`) are answered 414 by the app itself.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine

limit_request_line = 8190  # gunicorn's largest; the app's own limit is a little below it

JSON_ANSWERS: tuple[tuple[type[Exception], int, str, str, str], ...] = (
    (LimitRequestLine, 414, "URI Too Long", "request_uri_too_long",
     "The request line is longer than {limit} bytes; send long parameters in a request "
     "body."),
    (LimitRequestHeaders, 431, "Request Header Fields Too Large",
     "request_header_fields_too_large", "The request headers are too large: {error}."),
)


def json_error(status: int, reason: str, body: dict[str, str]) -> bytes:
    """A complete HTTP/1.1 answer with a JSON body; the connection is closed after it."""
    payload = json.dumps(body).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode("latin-1") + payload


def answer_limits_in_json(worker: Any) -> None:
    """Make ``worker`` answer gunicorn's own 414 and 431 in JSON (others unchanged)."""
    original = worker.handle_error

    def handle_error(req: Any, client: Any, addr: Any, exc: Exception) -> None:
        answer = next((a for a in JSON_ANSWERS if isinstance(exc, a[0])), None)
        if answer is None:
            original(req, client, addr, exc)
            return
        _, status, reason, code, text = answer
        worker.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        message = text.format(limit=worker.cfg.limit_request_line, error=exc)
        try:
            util.write_nonblock(client, json_error(status, reason,
                                                   {"error": code, "message": message}))
        except OSError:
            worker.log.debug("Failed to send error message.")

    worker.handle_error = handle_error


def post_worker_init(worker: Any) -> None:
    answer_limits_in_json(worker)
