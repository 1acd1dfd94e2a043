"""Radio: parsers on trunk-recorder's real files, the ack protocol, and the gateways.

Expected values on the captures were read off the files by eye and the epoch times
converted with ``date -u -d @…`` before the parser was run on them. The webhook tests talk
to real HTTP servers on 127.0.0.1 started here.
"""

from __future__ import annotations

import copy
import http.server
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dispatch.radio import (
    MQTT_KINDS,
    Ack,
    AlertRef,
    FileGateway,
    GatewayConfigError,
    InvalidRadioMessage,
    NullGateway,
    RadioFormatError,
    RadioGateway,
    RadioMessage,
    UnsupportedMessageType,
    WebhookGateway,
    cancel_order,
    dispatch_order,
    format_ack,
    gateway_from_config,
    parse_ack,
    parse_mqtt_status,
    parse_trunk_recorder_call,
    text_message,
)

ROOT = Path(__file__).resolve().parents[2]
TRUNK_RECORDER = ROOT.parent / "shared" / "data" / "radio" / "trunk-recorder"
CALL_FILE = "berkeley_pd1_call_1702617247.json"
MQTT_FILE = "mqtt_status_example_messages.md"
T0 = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
TOKEN = "s3cret-token-value"
ALERT = AlertRef(41, "red", "burglary", lon=8.6934, lat=49.4101, description="Hauptstr. 1")


def shared(name: str) -> Path:
    path = TRUNK_RECORDER / name
    assert path.is_file(), f"{path} is missing (the shared data folder sits beside the checkout)"
    return path


@pytest.fixture
def call_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared(CALL_FILE).read_text(encoding="utf-8"))
    return data


# The file's JSON blocks, each after its topic in backticks. Three of them stand for further
# list items with `{ ... }`: those placeholders are cut out before decoding.
_BLOCK = re.compile(
    r"^## (?P<heading>\S+)\n.*?^`(?P<topic>[^`\n]+)`\s*\n+```json\n(?P<body>.*?)^```",
    re.MULTILINE | re.DOTALL)
_PLACEHOLDER = re.compile(r",\s*\{\s*\.\.\.\s*\}")


def mqtt_examples() -> list[tuple[str, str, dict[str, Any]]]:
    text = shared(MQTT_FILE).read_text(encoding="utf-8")
    examples = []
    for match in _BLOCK.finditer(text):
        body = _PLACEHOLDER.sub("", match["body"])
        examples.append((match["heading"].replace("\\", ""), match["topic"], json.loads(body)))
    assert len(examples) == text.count("```json") == 22
    return examples


@pytest.fixture
def examples() -> dict[str, tuple[str, dict[str, Any]]]:
    return {heading: (topic, payload) for heading, topic, payload in mqtt_examples()}


def message(message_id: str = "1001", **overrides: Any) -> RadioMessage:
    fields: dict[str, Any] = {"callsign": "P-12", "alert": ALERT, "created_at": T0,
                              "radio_ids": ("3124119",), "talkgroup": "3105"}
    fields.update(overrides)
    return dispatch_order(message_id, **fields)


# -- trunk-recorder per-call JSON -------------------------------------------------------

def test_the_berkeley_call_reads_as_in_the_file(call_json: dict[str, Any]) -> None:
    call = parse_trunk_recorder_call(call_json)
    assert call.talkgroup == "3105"
    assert call.talkgroup_tag == "Berkeley PD1"
    assert call.system == "Berkeley"
    assert call.start == datetime(2023, 12, 15, 5, 14, 7, tzinfo=UTC)
    assert call.stop == datetime(2023, 12, 15, 5, 14, 12, tzinfo=UTC)
    assert call.frequency_hz == 772_393_750
    assert call.length_s == 4
    assert not call.emergency and not call.encrypted
    assert [s.radio_id for s in call.sources] == ["3124119", "3113008"]
    first, second = call.sources
    assert (first.at, first.offset_s, first.tag) == (call.start, 0.0, "")
    assert second.at == datetime(2023, 12, 15, 5, 14, 11, tzinfo=UTC)
    assert (second.offset_s, second.tag, second.emergency) == (2.88, "Dispatch", False)


def test_a_source_without_time_is_placed_by_its_offset(call_json: dict[str, Any]) -> None:
    del call_json["srcList"][1]["time"]
    source = parse_trunk_recorder_call(call_json).sources[1]
    assert source.at == datetime(2023, 12, 15, 5, 14, 9, 880000, tzinfo=UTC)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key)


def _set(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize(("change", "field"), [
    (_drop("talkgroup"), "talkgroup"),
    (_set("3105", "talkgroup"), "talkgroup"),
    (_set(None, "talkgroup"), "talkgroup"),
    (_drop("start_time"), "start_time"),
    (_set("yesterday", "start_time"), "start_time"),
    (_set(1e20, "start_time"), "start_time"),
    (_set(float("nan"), "stop_time"), "stop_time"),
    (_set(1702617246, "stop_time"), "stop_time"),
    (_set(True, "freq"), "freq"),
    (_set("4", "call_length"), "call_length"),
    (_set(2, "emergency"), "emergency"),
    (_set({"src": 1}, "srcList"), "srcList"),
    (lambda data: data["srcList"][1].pop("src"), "srcList[1].src"),
    (_set("3124119", "srcList", 0, "src"), "srcList[0].src"),
    (_set("later", "srcList", 1, "time"), "srcList[1].time"),
    (_set("x", "srcList", 1, "emergency"), "srcList[1].emergency"),
    (_set(5, "srcList", 0), "srcList[0]"),
    (lambda data: [data["srcList"][0].pop(key) for key in ("time", "pos")], "srcList[0].time"),
])
def test_a_broken_call_names_the_field(call_json: dict[str, Any],
                                       change: Callable[[dict[str, Any]], None],
                                       field: str) -> None:
    change(call_json)
    with pytest.raises(RadioFormatError) as caught:
        parse_trunk_recorder_call(call_json)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_a_call_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(RadioFormatError) as caught:
        parse_trunk_recorder_call([1, 2])  # type: ignore[arg-type]
    assert caught.value.field == "call"


# -- MQTT status plugin -----------------------------------------------------------------

def test_every_example_message_in_the_file_parses() -> None:
    kinds: Counter[str] = Counter()
    for heading, topic, payload in mqtt_examples():
        event = parse_mqtt_status(topic, payload)
        assert event.raw is payload
        kinds[event.kind] += 1
        assert event.kind == payload.get("type", "plugin_status"), heading
        if event.kind == "plugin_status":
            assert event.at is None
        else:
            assert event.at == datetime.fromtimestamp(int(payload["timestamp"]), tz=UTC)
    assert set(kinds) == MQTT_KINDS and set(kinds.values()) == {1}


def test_unit_messages_carry_radio_talkgroup_and_time(
        examples: dict[str, tuple[str, dict[str, Any]]]) -> None:
    location = parse_mqtt_status(*examples["location"])
    assert (location.radio_id, location.talkgroup) == ("54126", "23507")
    assert location.at == datetime(2023, 6, 14, 3, 14, 18, tzinfo=UTC)
    assert (location.system, location.radio_tag) == ("p25trunk", "FD Port. 126")
    call = parse_mqtt_status(*examples["call"])  # its timestamp is the string "1686700985"
    assert (call.radio_id, call.talkgroup) == ("804329", "301")
    assert call.at == datetime(2023, 6, 14, 0, 3, 5, tzinfo=UTC)
    for kind, radio_id in [("on", "806308"), ("off", "804422"), ("ackresp", "52001"),
                           ("data", "849006")]:
        event = parse_mqtt_status(*examples[kind])
        assert (event.kind, event.radio_id, event.talkgroup) == (kind, radio_id, None)
    join = parse_mqtt_status(*examples["join"])
    assert (join.radio_id, join.talkgroup, join.radio_tag) == ("806109", "401",
                                                               "State Port. 109")
    start = parse_mqtt_status(*examples["call_start"])
    assert (start.radio_id, start.talkgroup) == ("849183", "3029")
    audio = parse_mqtt_status(*examples["audio"])
    assert (audio.radio_id, audio.talkgroup, audio.system) == (None, "300", "chemung-ny")
    rates = parse_mqtt_status(*examples["rates"])
    assert (rates.radio_id, rates.talkgroup) == (None, None)


def test_the_bare_type_works_as_well_as_the_topic(
        examples: dict[str, tuple[str, dict[str, Any]]]) -> None:
    _, payload = examples["on"]
    assert parse_mqtt_status("on", payload) == parse_mqtt_status("units/p25trunk/on", payload)
    _, status = examples["plugin_status"]
    assert parse_mqtt_status("tr/trunk_recorder/status", status).kind == "plugin_status"


@pytest.mark.parametrize(("heading", "change", "field"), [
    ("location", lambda p: p["location"].pop("unit"), "location.unit"),
    ("location", lambda p: p["location"].update(unit="54126"), "location.unit"),
    ("location", lambda p: p["location"].update(talkgroup=[1]), "location.talkgroup"),
    ("location", lambda p: p.pop("location"), "location"),
    ("location", lambda p: p.update(location="x"), "location"),
    ("join", lambda p: p.update(timestamp="soon"), "timestamp"),
    ("join", lambda p: p.pop("timestamp"), "timestamp"),
    ("on", lambda p: p["on"].update(sys_name=3), "on.sys_name"),
    ("call_start", lambda p: p["call"].pop("talkgroup"), "call.talkgroup"),
    ("call_end", lambda p: p["call"].update(unit=None), "call.unit"),
    ("audio", lambda p: p["call"]["metadata"].update(start_time="x"),
     "call.metadata.start_time"),
    ("audio", lambda p: p["call"]["metadata"]["srcList"][1].pop("src"),
     "call.metadata.srcList[1].src"),
    ("rates", lambda p: p.update(rates={}), "rates"),
    ("calls_active", lambda p: p.pop("calls"), "calls"),
    ("plugin_status", lambda p: p.pop("status"), "status"),
    ("console", lambda p: p.update(type=7), "type"),
])
def test_a_broken_mqtt_message_names_the_field(
        examples: dict[str, tuple[str, dict[str, Any]]],
        heading: str, change: Callable[[dict[str, Any]], None], field: str) -> None:
    topic, payload = examples[heading]
    payload = copy.deepcopy(payload)
    change(payload)
    with pytest.raises(RadioFormatError) as caught:
        parse_mqtt_status(topic, payload)
    assert caught.value.field == field


def test_an_unknown_message_type_is_named() -> None:
    with pytest.raises(UnsupportedMessageType) as caught:
        parse_mqtt_status("units/x/patch", {"type": "patch", "timestamp": 1})
    assert caught.value.field == "type" and "patch" in str(caught.value)
    with pytest.raises(UnsupportedMessageType):
        parse_mqtt_status("units/x/whatever", {"timestamp": 1})


# -- acknowledgement text ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("ACK 41 P-12", Ack(41, "P-12")),
    ("ack #41 p-12", Ack(41, "P-12")),
    ("  ACK, 41, P-12  ", Ack(41, "P-12")),
    ("确认 41 P-12", Ack(41, "P-12")),
    ("确认41 P-12 已出发", Ack(41, "P-12", "已出发")),
    ("收到 #7 巡逻3组", Ack(7, "巡逻3组")),
    ("ＡＣＫ　＃４１　Ｐ－１２，ＥＴＡ ５ ｍｉｎ", Ack(41, "P-12", "ETA 5 min")),
    ("ACK 41 PC/12.B en route, 3 min", Ack(41, "PC/12.B", "en route, 3 min")),
])
def test_ack_lines_are_read(text: str, expected: Ack) -> None:
    assert parse_ack(text) == expected


@pytest.mark.parametrize(("text", "field"), [
    ("", "text"),
    ("   ", "text"),
    (41, "text"),
    ("ACKNOWLEDGE 41 P-12", "keyword"),
    ("OK 41 P-12", "keyword"),
    ("P-12 ACK 41", "keyword"),
    ("ACK P-12", "reference"),
    ("ACK 0 P-12", "reference"),
    ("ACK 41P-12", "reference"),
    ("ACK 1234567890 P-12", "reference"),
    ("ACK 41", "callsign"),
    ("ACK 41 P-12!", "callsign"),
    ("ACK 41 -P12", "callsign"),
])
def test_bad_ack_lines_name_the_field(text: Any, field: str) -> None:
    with pytest.raises(RadioFormatError) as caught:
        parse_ack(text)
    assert caught.value.field == field


def test_format_ack_is_read_back() -> None:
    assert parse_ack(format_ack(41, "P-12")) == Ack(41, "P-12")


# -- outbound messages ------------------------------------------------------------------

def test_a_dispatch_order_reads_in_both_languages_and_serialises() -> None:
    order = message(created_at=datetime(2024, 10, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))))
    assert order.text == (
        "派遣 P-12 前往红色警情 #41 burglary 位置 49.41010,8.69340 / "
        "DISPATCH P-12 to red alert #41 burglary at 49.41010,8.69340 — Hauptstr. 1"
    )
    assert order.created_at == T0 and order.created_at.tzinfo is UTC
    data = json.loads(json.dumps(order.to_json()))
    assert data == {
        "format": "gridpatrol.radio/1", "message_id": "1001", "kind": "dispatch_order",
        "callsign": "P-12", "radio_ids": ["3124119"], "talkgroup": "3105",
        "alert": {"id": 41, "level": "red", "kind": "burglary", "lon": 8.6934,
                  "lat": 49.4101, "description": "Hauptstr. 1"},
        "text": order.text, "created_at": "2024-10-01T08:00:00+00:00",
    }


def test_cancel_and_text_messages() -> None:
    cancel = cancel_order("1002", callsign="P-12", alert=ALERT, created_at=T0)
    assert cancel.text == "取消 P-12 红色警情 #41 派遣 / CANCEL P-12 red alert #41"
    assert (cancel.kind, cancel.radio_ids, cancel.talkgroup) == ("cancel", (), None)
    note = text_message("1003", callsign="P-12", text="  回电指挥中心 / call the centre ",
                        created_at=T0, radio_ids=["1", "2"])
    assert (note.kind, note.text, note.alert, note.radio_ids) == (
        "text", "回电指挥中心 / call the centre", None, ("1", "2"))


@pytest.mark.parametrize(("build", "field"), [
    (lambda: message(created_at=datetime(2024, 10, 1, 8, 0)), "created_at"),
    (lambda: message(""), "message_id"),
    (lambda: message(callsign=" "), "callsign"),
    (lambda: message(radio_ids="3124119"), "radio_ids"),
    (lambda: message(radio_ids=("",)), "radio_ids"),
    (lambda: message(talkgroup=3105), "talkgroup"),
    (lambda: RadioMessage("1", "dispatch_order", "P-12", (), None, None, "x", T0), "alert"),
    (lambda: RadioMessage("1", "page", "P-12", (), None, ALERT, "x", T0), "kind"),  # type: ignore[arg-type]
    (lambda: text_message("1", callsign="P-12", text=" ", created_at=T0), "text"),
    (lambda: AlertRef(0, "red", "burglary", 8.69, 49.41), "alert.id"),
    (lambda: AlertRef(41, "", "burglary", 8.69, 49.41), "alert.level"),
    (lambda: AlertRef(41, "red", "burglary", 8.69, 94.1), "alert.lat"),
    (lambda: AlertRef(41, "red", "burglary", float("nan"), 49.41), "alert.lon"),
])
def test_a_wrong_message_names_the_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidRadioMessage) as caught:
        build()
    assert caught.value.field == field


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
from dispatch.radio import FileGateway, text_message
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
