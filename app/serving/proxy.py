"""The front's reverse proxy: every request but the event stream goes on to gunicorn.

Requests and answers are streamed both ways, byte for byte: the method, the raw path and
query, every header but the hop-by-hop ones, the body; the answer's status and headers
(each ``Set-Cookie`` kept), no redirect followed, nothing decompressed, no cookie kept
between clients. The client's address goes on as the last ``X-Forwarded-For`` entry, which
the app believes only from a peer on its private unix socket (``app.serving.forwarded``).

:meth:`Upstream.authorize` asks the app who is opening an event stream: the same
``GET /api/v1/events`` with the client's cookie or bearer token, marked as the events
service's question (:data:`app.events.gate.GATE_HEADER`), so the app's own sign-in and role
rules decide, and a refusal is relayed as the app worded it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from app.events.gate import EVENTS_PATH, GATE_HEADER

logger = logging.getLogger(__name__)

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect",
})
#: Headers of the app's answer to the gate question that the event stream keeps.
GATE_ANSWER_HEADERS = frozenset({"set-cookie", "x-request-id", "vary"})
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Identity:
    """Who opened an event stream, as the app answered the gate question."""

    user_id: int
    username: str
    role: str


@dataclass(frozen=True)
class GateAnswer:
    identity: Identity
    headers: CIMultiDict[str]


def json_error(status: int, code: str, message: str,
               headers: dict[str, str] | None = None) -> web.Response:
    """An error in the app's format: ``{"error": code, "message": text}``."""
    return web.Response(status=status, headers=headers, content_type="application/json",
                        text=json.dumps({"error": code, "message": message}))


class Upstream:
    """The app server behind the front: gunicorn on a unix socket (or any HTTP URL)."""

    def __init__(self, *, socket_path: str | None = None, url: str | None = None,
                 connections: int = 100) -> None:
        if (socket_path is None) == (url is None):
            raise ValueError("give the upstream's unix socket or its URL")
        self._socket_path = socket_path
        self._base = "http://gridpatrol-app" if socket_path else str(url).rstrip("/")
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector: aiohttp.BaseConnector
        if self._socket_path:
            connector = aiohttp.UnixConnector(path=self._socket_path, limit=self._connections,
                                              keepalive_timeout=30)
        else:
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S),
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("Upstream.start() first")
        return self._session

    def _headers(self, request: web.BaseRequest) -> CIMultiDict[str]:
        named = {part.strip().lower() for part in request.headers.get("Connection", "").split(",")}
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in request.headers.items():
            lowered = name.lower()
            if lowered in HOP_BY_HOP or lowered in named or lowered == GATE_HEADER.lower():
                continue
            headers.add(name, value)
        forwarded = request.headers.get("X-Forwarded-For")
        peer = request.remote or ""
        headers["X-Forwarded-For"] = f"{forwarded}, {peer}" if forwarded else peer
        return headers

    def _url(self, raw_path: str) -> URL:
        return URL(self._base + raw_path, encoded=True)

    async def forward(self, request: web.Request) -> web.StreamResponse:
        """Pass ``request`` to the app and stream its answer back."""
        body = request.content if request.body_exists else None
        try:
            answer = await self.session.request(
                request.method, self._url(request.raw_path), headers=self._headers(request),
                data=body, allow_redirects=False)
        except (aiohttp.ClientConnectionError, TimeoutError):
            logger.warning("the app server did not answer %s %s", request.method, request.path)
            return json_error(502, "app_unavailable", "The application server does not answer; "
                              "try again in a few seconds.")
        async with answer:
            response = web.StreamResponse(status=answer.status, reason=answer.reason)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
        return response

    async def fetch(self, request: web.Request, path: str) -> tuple[int, bytes]:
        """GET ``path`` from the app as the viewer of ``request`` (its cookies and
        address): the status and the body; 502 when the app does not answer."""
        headers = self._headers(request)
        for name in ("Range", "If-None-Match", "If-Modified-Since", "Accept-Encoding"):
            headers.popall(name, None)
        try:
            async with self.session.get(self._url(path), headers=headers,
                                        allow_redirects=False) as answer:
                return answer.status, await answer.read()
        except (aiohttp.ClientConnectionError, TimeoutError):
            return 502, b'{"error": "app_unavailable"}'

    async def authorize(self, request: web.Request) -> GateAnswer | web.Response:
        """Ask the app who opens this event stream: the identity, or the app's refusal."""
        headers = self._headers(request)
        headers[GATE_HEADER] = "1"
        try:
            async with self.session.get(self._url(EVENTS_PATH), headers=headers,
                                        allow_redirects=False) as answer:
                body = await answer.read()
                kept: CIMultiDict[str] = CIMultiDict(
                    (k, v) for k, v in answer.headers.items()
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length")
                if answer.status != 200:
                    return web.Response(status=answer.status, body=body, headers=kept)
        except (aiohttp.ClientConnectionError, TimeoutError):
            return json_error(502, "app_unavailable", "The application server does not "
                              "answer; the console will retry.")
        try:
            who = json.loads(body)
            identity = Identity(int(who["user_id"]), str(who["username"]), str(who["role"]))
        except (ValueError, KeyError, TypeError):
            logger.error("the app answered the events gate with something else: %.200r", body)
            return json_error(502, "app_unavailable", "The application server's answer could "
                              "not be read.")
        return GateAnswer(identity, CIMultiDict(
            (k, v) for k, v in kept.items() if k.lower() in GATE_ANSWER_HEADERS))
