"""Every HTML page carries the strict Content-Security-Policy, and runs nothing the policy
would refuse: each inline script and style block has the request's nonce, and no element
has an event-handler or style attribute. Other responses get a policy allowing nothing."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.security_headers import page_policy, tile_source
from tests.conftest import Accounts, login, make_app

PAGES = ("/", "/planning", "/analysis", "/analysis?run=1&method=gi_star", "/admin/audit",
         "/admin/users", "/no-such-page")


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (d.split() for d in policy.split(";"))}


class Inline(HTMLParser):
    """What a page would run inline: script and style elements, and handler, style and
    javascript: attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[str, str | None]] = []  # (tag, nonce)
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "style" or (tag == "script" and "src" not in values):
            self.blocks.append((tag, values.get("nonce")))
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.attributes.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.attributes.append(f"<{tag} {name}={value!r}>")


def inline_parts(html: str) -> Inline:
    parser = Inline()
    parser.feed(html)
    return parser


def test_the_page_policy_is_strict() -> None:
    policy = directives(page_policy("n0nce"))
    assert policy["script-src"] == ["'self'", "'nonce-n0nce'", "'report-sample'"]
    assert policy["style-src"] == ["'self'", "'nonce-n0nce'", "'report-sample'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["media-src"] == ["'self'", "blob:"]  # hls.js: MediaSource, its worker
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["report-uri"] == ["/csp-report"]
    assert not any("unsafe" in v for values in policy.values() for v in values)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_policy_and_runs_nothing_inline_without_its_nonce(
        client: FlaskClient, accounts: Accounts, path: str) -> None:
    login(client, accounts.create("admin"))
    response = client.get(path)
    assert response.mimetype == "text/html"
    policy = directives(response.headers["Content-Security-Policy"])
    nonce = policy["script-src"][1].removeprefix("'nonce-").removesuffix("'")
    assert len(nonce) >= 22  # 128 bits or more
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    parts = inline_parts(response.get_data(as_text=True))
    assert parts.attributes == []
    assert all(n == nonce for _, n in parts.blocks), parts.blocks
    if path in ("/", "/planning"):
        assert ("script", nonce) in parts.blocks  # the map's script is there, with the nonce


def test_the_sign_in_page_and_error_pages_have_the_policy_too(client: FlaskClient) -> None:
    for response in (client.get("/login"), client.get("/no-such-page",
                                                      headers={"Accept": "text/html"})):
        assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]
        assert inline_parts(response.get_data(as_text=True)).attributes == []


def test_each_request_gets_its_own_nonce(client: FlaskClient) -> None:
    nonces = {directives(client.get("/login").headers["Content-Security-Policy"]
                         )["script-src"][1] for _ in range(3)}
    assert len(nonces) == 3


def test_other_responses_may_run_nothing(client: FlaskClient, accounts: Accounts) -> None:
    headers = {"Authorization": f"Bearer {accounts.create('viewer')['token']}"}
    for path in ("/api/v1/me", "/api/v1/openapi.json", "/static/js/dom.js",
                 "/vendor/leaflet/dist/leaflet.js"):
        with client.get(path, headers=headers) as response:
            assert response.status_code == 200, path
            assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_online_tile_origin_is_an_image_source_only_when_configured(
        database: Any, connection: sa.Connection) -> None:
    for url, source in ((None, None),
                        ("https://{s}.tile.example.org/{z}/{x}/{y}.png",
                         "https://*.tile.example.org"),
                        ("http://127.0.0.1:8099/{z}/{x}/{y}.png", "http://127.0.0.1:8099")):
        app = make_app(database, DB_CONNECTION=connection, ONLINE_TILES_URL=url)
        client = app.test_client()
        login(client, Accounts(app).create("viewer"))
        policy = directives(client.get("/").headers["Content-Security-Policy"])
        assert policy["img-src"] == ["'self'", "data:", "blob:"] + ([source] if source else [])
        assert policy["connect-src"] == ["'self'"]


@pytest.mark.parametrize(("url", "source"), [
    ("https://t{s}.tianditu.gov.cn/img_w/wmts?x={x}&y={y}&z={z}&tk=KEY",
     "https://*.tianditu.gov.cn"),
    ("https://tile.example.org:8443/{z}/{x}/{y}.png", "https://tile.example.org:8443"),
    ("https://a.{s}.example.org/{z}/{x}/{y}.png", "https:"),  # not expressible: scheme only
    ("https://evil;script-src */{z}/{x}/{y}", "https:"),  # nothing but a host gets in
])
def test_tile_sources(url: str, source: str) -> None:
    assert tile_source(url) == source

