"""The real gunicorn with `gridpatrol serve`'s settings answers what it refuses itself
(a request line or headers too long) in the app's JSON shape, and lets through URLs that
the app then refuses with its own JSON 414."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.guards import MAX_URL_BYTES
from tests.conftest import ROOT, TEST_SECRET, DatabaseInfo

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ask(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one raw request; the status, headers (lower-case names) and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(raw)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def gunicorn(database: DatabaseInfo) -> Iterator[int]:
    port = free_port()
    env = os.environ | {"GRIDPATROL_SECRET_KEY": TEST_SECRET,
                        "GRIDPATROL_DATABASE_URL": database.app_url}
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "python:app.cli.gunicorn_config", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--worker-class", "gthread",
         "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            try:
                if ask(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                       )[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start within 60 s"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()  # type: ignore[union-attr]


def get(path: str, extra: bytes = b"") -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n".encode()
            + extra + b"\r\n")


def test_a_request_line_past_gunicorns_limit_is_a_json_414_from_gunicorn(
        gunicorn: int) -> None:
    status, headers, body = ask(gunicorn, get("/api/v1/alerts?status=" + "x" * 100_000))
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert "x-request-id" not in headers  # gunicorn answered: the app never saw it
    answer = json.loads(body)
    assert answer["error"] == "request_uri_too_long"
    assert "8190" in answer["message"]


def test_a_url_between_the_two_limits_is_a_json_414_from_the_app(gunicorn: int) -> None:
    path = "/api/v1/alerts?status=" + "x" * (MAX_URL_BYTES + 50 - len("/api/v1/alerts?status="))
    status, headers, body = ask(gunicorn, get(path))
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert headers["x-request-id"]  # the app answered
    assert json.loads(body)["error"] == "request_uri_too_long"


def test_headers_past_gunicorns_limit_are_a_json_431(gunicorn: int) -> None:
    many = b"".join(f"X-Filler-{i}: {i}\r\n".encode() for i in range(150))
    status, headers, body = ask(gunicorn, get("/api/v1/alerts", many))
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "request_header_fields_too_large"


def test_ordinary_requests_still_reach_the_app(gunicorn: int) -> None:
    status, headers, body = ask(gunicorn, get("/api/v1/alerts"))
    assert status == 401 and json.loads(body)["error"] == "unauthorized"
