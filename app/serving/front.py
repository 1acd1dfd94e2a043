"""The front: the one address browsers talk to, an asyncio (aiohttp) server.

It serves ``GET /api/v1/events`` itself from its event loop (``app.events.stream``: one
LISTEN connection, any number of open consoles, no request worker held), and the live
MJPEG streams of browsers without HLS (``app.video.mjpeg``: long answers, no request worker
held either); it passes every other request on to the app server, gunicorn's threaded
workers on a private unix socket (``app.serving.proxy``). Same origin, same URL, same
sign-in: the console's JavaScript does not know there are two servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.events.gate import EVENTS_PATH
from app.events.hub import Hub
from app.events.stream import StreamSettings, serve_stream
from app.serving.proxy import Upstream
from app.video.mjpeg import MJPEG_PATH, MjpegSettings, MjpegStreams

logger = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_S = 5.0
MAX_LINE_BYTES = 128 * 1024
MAX_FIELD_BYTES = 64 * 1024


@dataclass(frozen=True)
class EventSettings:
    """The ``GRIDPATROL_EVENTS_*`` settings."""

    per_user: int = 10
    max_streams: int = 2000
    replay: int = 10000
    backlog: int = 1000
    heartbeat_s: float = 15.0
    max_mjpeg: int = 8

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EventSettings:
        return cls(per_user=config["EVENTS_PER_USER"], max_streams=config["EVENTS_MAX_STREAMS"],
                   replay=config["EVENTS_REPLAY"], backlog=config["EVENTS_BACKLOG"],
                   heartbeat_s=config["EVENTS_HEARTBEAT_S"],
                   max_mjpeg=config["LIVE_MAX_MJPEG"])


@dataclass
class Front:
    """The front's parts: the hub, the upstream app server, and the aiohttp application."""

    hub: Hub
    upstream: Upstream
    stream_settings: StreamSettings
    mjpeg: MjpegStreams
    application: web.Application = field(init=False)

    def __post_init__(self) -> None:
        # Longer request lines and header fields than gunicorn accepts are let through, so
        # that the app server answers them (414, 431) as it does when reached directly.
        app = web.Application(handler_args={"max_line_size": MAX_LINE_BYTES,
                                            "max_field_size": MAX_FIELD_BYTES})
        app.router.add_get(EVENTS_PATH, self._events, allow_head=False)
        app.router.add_get(MJPEG_PATH, self.mjpeg.serve, allow_head=False)
        app.router.add_route("*", "/{tail:.*}", self.upstream.forward)
        app.cleanup_ctx.append(self._lifetime)
        self.application = app

    async def _events(self, request: web.Request) -> web.StreamResponse:
        return await serve_stream(request, hub=self.hub, upstream=self.upstream,
                                  settings=self.stream_settings)

    async def _lifetime(self, _app: web.Application) -> AsyncIterator[None]:
        await self.upstream.start()
        tasks = [asyncio.create_task(self.hub.run(), name="gridpatrol-events-listener"),
                 asyncio.create_task(self.hub.keep_streams_alive(),
                                     name="gridpatrol-events-keepalive")]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.upstream.close()


def build_front(conninfo: str, upstream: Upstream, settings: EventSettings) -> Front:
    hub = Hub(conninfo, replay=settings.replay, backlog=settings.backlog,
              per_user=settings.per_user, max_streams=settings.max_streams,
              heartbeat_s=settings.heartbeat_s)
    return Front(hub, upstream, StreamSettings(),
                 MjpegStreams(upstream, MjpegSettings(max_streams=settings.max_mjpeg)))


class RunningFront:
    """A front serving on a bound socket until :meth:`stop`."""

    def __init__(self, front: Front, sock: socket.socket) -> None:
        self.front = front
        self._sock = sock
        self._runner = web.AppRunner(front.application, handler_cancellation=True,
                                     access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)

    async def start(self) -> None:
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def stop(self) -> None:
        self.front.hub.end_all()  # open streams end after what they have pending
        await self._runner.cleanup()


def listening_socket(bind: str) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening (bound before dropping root)."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.listen(1024)
    sock.setblocking(False)
    return sock
