"""One console's event stream, served from the events service's event loop.

``GET /api/v1/events``: the app says who asks (the gate; its refusals are passed on), the
hub checks the caps (429 beyond ``GRIDPATROL_EVENTS_PER_USER`` open streams of one user,
503 beyond ``GRIDPATROL_EVENTS_MAX_STREAMS`` in all), then the stream writes
``retry:``, its first frames (a replay after ``Last-Event-ID``, a ``resync``, or a
``hello``) and every event from then on, batched when several wait. The hub adds a
``: keep-alive`` to a stream idle for ``GRIDPATROL_EVENTS_HEARTBEAT_S`` and aborts one
whose write has stalled for 30 s (``Hub.keep_streams_alive``); every few minutes the app
is asked again, so a deactivated user or a revoked token loses the stream.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass

from aiohttp import web

from app.events.hub import Hub, Subscriber, TooManyStreams
from app.serving.proxy import GateAnswer, Upstream, json_error

logger = logging.getLogger(__name__)

RETRY_MS = 2000
REAUTHORIZE_S = 300.0
#: Kernel send buffer of a stream's socket. Left to autotuning it grows to megabytes on
#: fast links (4 MiB on loopback here): that much memory per console, and a console that
#: stopped reading would be noticed only after thousands of events.
SEND_BUFFER_BYTES = 64 * 1024


@dataclass(frozen=True)
class StreamSettings:
    reauthorize_s: float = REAUTHORIZE_S


async def serve_stream(request: web.Request, *, hub: Hub, upstream: Upstream,
                       settings: StreamSettings) -> web.StreamResponse:
    """The handler of ``GET /api/v1/events`` in the events service."""
    gate = await upstream.authorize(request)
    if not isinstance(gate, GateAnswer):
        return gate
    try:
        subscriber, first = hub.open(gate.identity.user_id,
                                     request.headers.get("Last-Event-ID"))
        transport = request.transport
        if transport is not None:
            subscriber.abort = transport.abort
    except TooManyStreams as exc:
        if exc.scope == "user":
            return json_error(429, "too_many_streams",
                              f"{gate.identity.username} already has {exc.limit} open event "
                              "streams (consoles); close one, or raise "
                              "GRIDPATROL_EVENTS_PER_USER.", {"Retry-After": "30"})
        return json_error(503, "events_full", f"The events service holds {exc.limit} "
                          "streams, as many as it may; try again later.",
                          {"Retry-After": "30"})
    _bound_kernel_buffer(request)
    response = web.StreamResponse(headers=gate.headers)
    response.content_type = "text/event-stream"
    response.charset = "utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.force_close()  # an ended stream ends its connection too
    try:
        await response.prepare(request)
        await response.write(f"retry: {RETRY_MS}\n\n".encode() + first)
        await _pump(request, response, subscriber, upstream, settings)
    except (ConnectionError, TimeoutError):
        pass  # the browser went away, or stopped reading: its stream ends here
    finally:
        hub.close(subscriber)
    return response


async def _pump(request: web.Request, response: web.StreamResponse, subscriber: Subscriber,
                upstream: Upstream, settings: StreamSettings) -> None:
    """Write what the hub queues (events, keep-alives) until the stream ends."""
    authorized_at = time.monotonic()
    while True:
        if not subscriber.pending:
            if subscriber.ending:
                return
            subscriber.wakeup.clear()
            await subscriber.wakeup.wait()
            continue
        now = time.monotonic()
        if now - authorized_at > settings.reauthorize_s:
            if not await _still_allowed(request, upstream):
                return
            authorized_at = now
        data = subscriber.take()
        subscriber.writing_since = now
        await response.write(data)
        subscriber.writing_since = None
        subscriber.idle_since = time.monotonic()


async def _still_allowed(request: web.Request, upstream: Upstream) -> bool:
    """Ask the app again; only a refusal ends the stream (not the app being away)."""
    answer = await upstream.authorize(request)
    if isinstance(answer, GateAnswer):
        return True
    return answer.status not in (401, 403)


def _bound_kernel_buffer(request: web.Request) -> None:
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
