"""Radio: parsers on trunk-recorder's real files and the ack protocol.

Expected values on the captures were read off the files by eye and the epoch times
converted with ``date -u -d @…`` before the parser was run on them.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dispatch.radio import (
    MQTT_KINDS,
    Ack,
    AlertRef,
    InvalidRadioMessage,
    RadioFormatError,
    RadioMessage,
    UnsupportedMessageType,
    cancel_order,
    dispatch_order,
    format_ack,
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
    (lambda data: data["srcList"][1].pop("time") and data["srcList"][1].update(pos=1e300),
     "srcList[1].pos"),
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
        "派遣 P-12 前往红色警情 #41 入室盗窃 位置 49.41010,8.69340 / "
        "DISPATCH P-12 to red alert #41 Burglary at 49.41010,8.69340 — Hauptstr. 1"
    )
    assert order.created_at == T0 and order.created_at.tzinfo is UTC
    data = json.loads(json.dumps(order.to_json()))
    assert data == {
        "format": "gridpatrol.radio/1", "message_id": "1001", "kind": "dispatch_order",
        "callsign": "P-12", "radio_ids": ["3124119"], "talkgroup": "3105",
        "alert": {"id": 41, "level": "red", "kind": "burglary", "lon": 8.6934,
                  "lat": 49.4101, "description": "Hauptstr. 1", "place_zh": "",
                  "place_en": ""},
        "text": order.text, "created_at": "2024-10-01T08:00:00+00:00",
    }


def test_a_dispatch_order_names_the_place_in_words_when_it_has_them() -> None:
    """The reverse-geocoded place replaces the coordinates in the text; the JSON keeps
    the coordinates for devices."""
    alert = AlertRef(41, "red", "burglary", lon=24.93835, lat=60.16975,
                     place_zh="Mannerheimintie 与 Simonkatu 交叉口",
                     place_en="Mannerheimintie × Simonkatu, 25 m from Lasipalatsi (bus station)")
    order = dispatch_order("1003", callsign="P-12", alert=alert, created_at=T0)
    assert order.text == (
        "派遣 P-12 前往红色警情 #41 入室盗窃 位置 Mannerheimintie 与 Simonkatu 交叉口 / "
        "DISPATCH P-12 to red alert #41 Burglary at Mannerheimintie × Simonkatu, 25 m from "
        "Lasipalatsi (bus station)")
    assert "60.16975" not in order.text
    sent = order.to_json()["alert"]
    assert (sent["lon"], sent["lat"]) == (24.93835, 60.16975)
    assert sent["place_en"].startswith("Mannerheimintie × Simonkatu")


@pytest.mark.parametrize(("kind", "zh", "en"), [
    ("robbery", " 抢劫抢夺 ", " Robbery "),  # a known code: its label in each half
    ("抢劫", " 抢劫 ", " 抢劫 "),  # free text: as typed, in both halves
    ("Robbery <b>", " Robbery <b> ", " Robbery <b> "),
    ("alert", " ", " "),  # the alert had no kind: the order names none
])
def test_a_dispatch_order_names_the_kind_in_each_language(kind: str, zh: str,
                                                          en: str) -> None:
    alert = AlertRef(41, "red", kind, lon=8.6934, lat=49.4101)
    text = dispatch_order("1004", callsign="P-12", alert=alert, created_at=T0).text
    assert text == (f"派遣 P-12 前往红色警情 #41{zh}位置 49.41010,8.69340 / "
                    f"DISPATCH P-12 to red alert #41{en}at 49.41010,8.69340")
    assert dispatch_order("1004", callsign="P-12", alert=alert, created_at=T0).to_json()[
        "alert"]["kind"] == kind


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
