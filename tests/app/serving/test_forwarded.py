"""The client's address: believed from X-Forwarded-For only when the peer is the local
front on the app server's unix socket."""

from __future__ import annotations

from typing import Any

from app.serving.forwarded import ClientAddressFromLocalProxy, last_forwarded_address


def _seen(environ: dict[str, Any]) -> str:
    seen: dict[str, str] = {}

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["addr"] = env.get("REMOTE_ADDR", "")
        return []

    ClientAddressFromLocalProxy(app)(environ, lambda *a: None)
    return seen["addr"]


def test_a_unix_socket_peer_names_the_client() -> None:
    assert _seen({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "10.0.0.9"}) == "10.0.0.9"
    # a client's own header comes first; the front's entry, last, is the one believed
    assert _seen({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 192.0.2.7"}) == \
        "192.0.2.7"
    assert _seen({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "::1"}) == "::1"


def test_a_tcp_peer_is_not_believed() -> None:
    assert _seen({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9"}) == \
        "127.0.0.1"


def test_junk_is_not_an_address() -> None:
    assert last_forwarded_address("1.2.3.4, evil") is None
    assert last_forwarded_address("") is None
    assert _seen({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "<script>"}) == ""
