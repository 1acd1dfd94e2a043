"""Radio gateways, the transports at the edge: the JSON-lines file, the webhook (real HTTP
servers on 127.0.0.1 started here), the null gateway and the setting that picks one."""

from __future__ import annotations

import http.server
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.dispatch.gateways import (
    FileGateway,
    GatewayConfigError,
    NullGateway,
    RadioGateway,
    WebhookGateway,
    gateway_from_config,
)
from dispatch.radio import AlertRef, RadioMessage, cancel_order, dispatch_order, text_message

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
TOKEN = "s3cret-token-value"
ALERT = AlertRef(41, "red", "burglary", lon=8.6934, lat=49.4101, description="Hauptstr. 1")


def message(message_id: str = "1001", **overrides: Any) -> RadioMessage:
    fields: dict[str, Any] = {"callsign": "P-12", "alert": ALERT, "created_at": T0,
                              "radio_ids": ("3124119",), "talkgroup": "3105"}
    fields.update(overrides)
    return dispatch_order(message_id, **fields)


# -- file gateway -----------------------------------------------------------------------

def test_the_file_gateway_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "radio.jsonl"
    gateway = FileGateway(path)
    first, second = message("1"), cancel_order("2", callsign="P-12", alert=ALERT, created_at=T0)
    assert gateway.send(first).delivered and gateway.send(second).delivered
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [first.to_json(), second.to_json()]
    assert "派遣" in lines[0]


def test_the_file_gateway_reports_a_file_it_cannot_write(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    result = FileGateway(tmp_path / "missing" / "radio.jsonl").send(message())
    assert not result.delivered and "cannot write" in result.detail
    assert "No such file" in result.detail and "not written" in caplog.text


WRITER = """
import os, sys, time
from datetime import UTC, datetime
from app.dispatch.gateways import FileGateway
from dispatch.radio import text_message
gateway, writer, count, go = FileGateway(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(count):
    line = text_message(f"{writer}-{i}", callsign=writer, text=writer * 4000,
                        created_at=datetime.now(UTC))
    assert gateway.send(line).delivered
"""


def test_processes_and_threads_appending_never_interleave(tmp_path: Path) -> None:
    # All writers start together on a signal; with each line written in two halves instead of
    # one write, this run gives well over a hundred broken lines.
    path, go, count = tmp_path / "radio.jsonl", tmp_path / "go", 300
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, str(count),
                               str(go)], cwd=ROOT) for name in ("A", "B")]
    gateway, start = FileGateway(path), threading.Event()

    def write(name: str) -> None:
        start.wait()
        for i in range(count):
            gateway.send(text_message(f"{name}-{i}", callsign=name, text=name * 4000,
                                      created_at=T0))

    threads = [threading.Thread(target=write, args=(name,)) for name in ("C", "D")]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let the processes import and reach their wait
    go.touch()
    start.set()
    for thread in threads:
        thread.join()
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert Counter(r["callsign"] for r in records) == dict.fromkeys("ABCD", count)
    assert all(r["text"] == r["callsign"] * 4000 for r in records)


# -- webhook gateway --------------------------------------------------------------------

class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the server's ``answer`` status and keeps what it got."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        status = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    httpd.requests = []  # type: ignore[attr-defined]
    httpd.answer = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


def url(httpd: http.server.HTTPServer, path: str = "/radio?key=q-secret") -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}{path}"


def test_the_webhook_posts_the_message_with_the_token(server: http.server.HTTPServer) -> None:
    order = message()
    result = WebhookGateway(url(server), token=TOKEN).send(order)
    assert result.delivered and result.detail == "HTTP 200"
    [(path, headers, body)] = server.requests  # type: ignore[attr-defined]
    assert path == "/radio?key=q-secret"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Idempotency-Key"] == "1001"
    assert json.loads(body.decode("utf-8")) == order.to_json()


def test_without_a_token_no_authorization_is_sent(server: http.server.HTTPServer) -> None:
    assert WebhookGateway(url(server)).send(message()).delivered
    [(_, headers, _)] = server.requests  # type: ignore[attr-defined]
    assert "Authorization" not in headers


@pytest.mark.parametrize(("status", "detail"), [
    (500, "HTTP 500 Internal Server Error"),
    (404, "HTTP 404 Not Found"),
    (302, "HTTP 302 Found"),  # redirects are not followed
])
def test_an_error_answer_is_not_delivered(server: http.server.HTTPServer, status: int,
                                          detail: str, caplog: pytest.LogCaptureFixture) -> None:
    server.answer = status  # type: ignore[attr-defined]
    result = WebhookGateway(url(server), token=TOKEN).send(message())
    assert (result.delivered, result.detail) == (False, detail)
    assert len(server.requests) == 1  # type: ignore[attr-defined]
    assert f"HTTP {status}" in caplog.text
    assert TOKEN not in caplog.text and "q-secret" not in caplog.text


def test_a_black_hole_times_out_undelivered(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as hole:  # accepts connections into the backlog, never answers
        hole.bind(("127.0.0.1", 0))
        hole.listen()
        port = hole.getsockname()[1]
        gateway = WebhookGateway(f"http://127.0.0.1:{port}/radio?key=q-secret",
                                 timeout_s=0.3, token=TOKEN)
        started = time.monotonic()
        result = gateway.send(message())
        elapsed = time.monotonic() - started
    assert (result.delivered, result.detail) == (False, "timed out after 0.3 s")
    assert elapsed < 0.3 + 5  # bounded by the timeout, with room for a loaded machine
    assert "failed for message 1001" in caplog.text and "Traceback" in caplog.text
    assert TOKEN not in caplog.text and "q-secret" not in caplog.text


def test_a_refused_connection_is_not_delivered(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = WebhookGateway(f"http://127.0.0.1:{port}/radio", token=TOKEN).send(message())
    assert (result.delivered, result.detail) == (False, "Connection refused")
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(("args", "kwargs"), [
    (("ftp://radio.local/x",), {}),
    (("http:///no-host",), {}),
    (("http://user:pw@radio.local/x",), {}),
    (("http://radio.local/x",), {"timeout_s": 0}),
    (("http://radio.local/x",), {"token": "two words"}),
    (("http://radio.local/x",), {"token": ""}),
])
def test_webhook_settings_are_checked(args: tuple[str], kwargs: dict[str, Any]) -> None:
    with pytest.raises(GatewayConfigError):
        WebhookGateway(*args, **kwargs)


def test_the_token_is_not_in_the_repr() -> None:
    gateway = WebhookGateway("https://radio.local/send?key=q-secret", token=TOKEN)
    assert repr(gateway) == "WebhookGateway('https://radio.local/send', timeout_s=2.0)"


# -- null gateway and configuration ---------------------------------------------------

def test_the_null_gateway_delivers_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = NullGateway().send(message())
    assert (result.delivered, result.detail) == (False, "no radio gateway configured")
    assert "1001" in caplog.text


@pytest.mark.parametrize(("value", "kind", "detail"), [
    (None, NullGateway, None),
    ("", NullGateway, None),
    ("  ", NullGateway, None),
    ("file:/var/lib/gridpatrol/radio.jsonl", FileGateway, "/var/lib/gridpatrol/radio.jsonl"),
    ("file:///var/lib/gridpatrol/radio.jsonl", FileGateway, "/var/lib/gridpatrol/radio.jsonl"),
    ("http://10.0.0.5:8080/radio", WebhookGateway, "http://10.0.0.5:8080/radio"),
    (" HTTPS://radio.local/send ", WebhookGateway, "HTTPS://radio.local/send"),
])
def test_gateway_from_config_forms(value: str | None, kind: type, detail: str | None) -> None:
    gateway = gateway_from_config(value, token=TOKEN, timeout_s=1.5)
    assert type(gateway) is kind and isinstance(gateway, RadioGateway)
    if isinstance(gateway, FileGateway):
        assert str(gateway.path) == detail
    if isinstance(gateway, WebhookGateway):
        assert (gateway.url, gateway.timeout_s) == (detail, 1.5)


@pytest.mark.parametrize("value", [
    "radio.jsonl", "file:radio.jsonl", "file://host/radio.jsonl", "mqtt://user:pw@broker/x",
    "https://", "ftp://radio.local/x",
])
def test_gateway_from_config_refuses_other_values(value: str) -> None:
    with pytest.raises(GatewayConfigError) as caught:
        gateway_from_config(value)
    assert "pw" not in str(caught.value)
    if not value.startswith(("file", "https")):
        assert "file:/" in str(caught.value) and "https://" in str(caught.value)
