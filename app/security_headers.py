"""Security headers, set in one place for every response.

Every HTML page gets a strict Content-Security-Policy: scripts and style blocks run only
when they come from this server or carry the request's nonce (``csp_nonce()`` in
templates; the folium maps get it in `app.maps.offline.page_parts`), no plugin, no
``<base>``, no framing, and violations are reported to ``/csp-report``
(`app.csp_reports`). Everything else (JSON, GeoJSON, CSV, images, vendor files) gets a
policy that allows nothing, so a response opened as a document can never run a script.
Every response also says ``nosniff`` and keeps the referrer on this server.
"""

from __future__ import annotations

import logging
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g
from werkzeug.wrappers import Response

logger = logging.getLogger(__name__)

REPORT_PATH = "/csp-report"
NOT_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def csp_nonce() -> str:
    """The nonce of this request's policy (made on first use, one per request)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def page_policy(nonce: str, *, tile_source: str | None = None) -> str:
    """The Content-Security-Policy of an HTML page ('report-sample': a report quotes the
    first 40 characters of what was blocked).

    ``tile_source`` is the origin of the configured online tile layer (an image source),
    or None when there is none: then images come from this server and ``data:``/``blob:``
    (the KDE surface, the PNG export) only.
    """
    images = "'self' data: blob:" + (f" {tile_source}" if tile_source else "")
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}' 'report-sample'",
        f"style-src 'self' 'nonce-{nonce}' 'report-sample'",
        f"img-src {images}",
        "font-src 'self'",
        "connect-src 'self'",
        # live video: hls.js hands the player a MediaSource (a blob: URL) and transmuxes
        # in a worker it starts from a blob:
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        f"report-uri {REPORT_PATH}",
    ))


_HOST_LABEL = re.compile(r"[a-z0-9-]+")


def tile_source(url_template: str | None) -> str | None:
    """The CSP source of an ``{z}/{x}/{y}`` tile URL template: its scheme, host and port,
    with a subdomain placeholder (``{s}.tile.example.org``, ``t{s}.tianditu.gov.cn``) as
    a ``*.`` wildcard. A placeholder deeper in the host (or anything but letters, digits
    and hyphens) cannot be expressed in CSP: then the scheme alone (``https:``) is
    allowed, and a warning is logged."""
    if not url_template:
        return None
    parts = urlsplit(url_template)
    labels = (parts.hostname or "").split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a placeholder in the port
        port = ":*"
    if not all(_HOST_LABEL.fullmatch(label) for label in labels[1:]) or not (
            labels[0] == "*" or _HOST_LABEL.fullmatch(labels[0])):
        logger.warning("the online tile host %r cannot be named in the CSP; allowing any "
                       "%s: image", parts.hostname, parts.scheme)
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(labels)}{port}"


def add_security_headers(response: Response) -> Response:
    """after_request: the policy for this response and the headers every response carries."""
    if response.mimetype == "text/html":
        policy = page_policy(csp_nonce(), tile_source=tile_source(
            current_app.config.get("ONLINE_TILES_URL")))
    else:
        policy = NOT_HTML_POLICY
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
