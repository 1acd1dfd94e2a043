"""The client's address when the app server sits behind a local front.

``gridpatrol serve`` runs gunicorn on a unix socket that only the front (or another
reverse proxy on the same host) can reach; such a peer has no address of its own
(``REMOTE_ADDR`` is empty), and it names the client as the last ``X-Forwarded-For`` entry.
That entry becomes ``REMOTE_ADDR``, so sign-in rate limiting and the audit log see the
browser's address. Over TCP nothing is believed: a client can write any header, so the
peer's own address stays.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ClientAddressFromLocalProxy:
    """WSGI middleware: ``REMOTE_ADDR`` from ``X-Forwarded-For`` for unix-socket peers."""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if not environ.get("REMOTE_ADDR"):
            client = last_forwarded_address(environ.get("HTTP_X_FORWARDED_FOR", ""))
            if client:
                environ["REMOTE_ADDR"] = client
        return self.wsgi_app(environ, start_response)


def last_forwarded_address(header: str) -> str | None:
    """The last entry of an ``X-Forwarded-For`` header, if it is an IP address."""
    last = header.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None
