"""trunk-recorder call files as ingest journals them: the shared call record read back,
its identity (the call, not the bytes), where it is kept, and the reasons a file is
refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dispatch.call_files import (
    CALL_FILE_TOPIC,
    MAX_CALL_JSON,
    KeptAudio,
    archive_path,
    encode_call_file,
    read_call_file,
)
from dispatch.errors import TerminalMessageError
from dispatch.inbound import message_identity, read_message
from tests.conftest import SHARED_DATA

CALL = SHARED_DATA / "radio" / "trunk-recorder" / "berkeley_pd1_call_1702617247.json"
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def shared_call() -> str:
    return CALL.read_text(encoding="utf-8")


def test_the_shared_call_record_read_back_from_its_message() -> None:
    audio = KeptAudio("Berkeley/2023/12/15/3105-1702617247_772393750.wav", "audio/wav", 64044)
    payload = encode_call_file(CALL.name, shared_call(), size=CALL.stat().st_size,
                               audio=audio)
    dropped = read_call_file(payload)
    assert dropped.name == CALL.name and dropped.audio == audio
    call = dropped.call
    assert call.talkgroup == "3105" and call.system == "Berkeley"
    assert call.start == datetime.fromtimestamp(1702617247, UTC)
    assert [s.radio_id for s in call.sources] == ["3124119", "3113008"]
    inbound = read_message(CALL_FILE_TOPIC, payload, received_at=NOW, trunk_prefixes=())
    assert inbound.kind == "call_file" and inbound.call_file == dropped
    assert inbound.radio_ids == ("3124119", "3113008") and inbound.at == call.start


def test_a_call_is_known_by_the_call_not_by_the_bytes() -> None:
    text = shared_call()
    first = encode_call_file(CALL.name, text, size=len(text))
    kept = encode_call_file("copy.json", json.dumps(json.loads(text), indent=1),
                            size=len(text), audio=KeptAudio("a.wav", "audio/wav", 10))
    other = json.loads(text) | {"talkgroup": 3106}
    third = encode_call_file(CALL.name, json.dumps(other), size=len(text))
    assert message_identity(CALL_FILE_TOPIC, first) == message_identity(CALL_FILE_TOPIC, kept)
    assert message_identity(CALL_FILE_TOPIC, first) != message_identity(CALL_FILE_TOPIC, third)
    broken = encode_call_file("x.json", "{", size=1)
    assert message_identity(CALL_FILE_TOPIC, broken) != message_identity(
        CALL_FILE_TOPIC, encode_call_file("y.json", "{", size=1))


def test_calls_are_kept_under_their_own_name_and_never_outside_the_archive() -> None:
    call = read_call_file(encode_call_file(CALL.name, shared_call(), size=1)).call
    assert str(archive_path(call, ".WAV")) == \
        "Berkeley/2023/12/15/3105-1702617247_772393750.wav"
    hostile = json.loads(shared_call()) | {"short_name": "../../etc/..passwd"}
    escaped = read_call_file(encode_call_file("h.json", json.dumps(hostile), size=1)).call
    path = archive_path(escaped, ".json")
    assert ".." not in path.parts and path.parts[0] == "etc_..passwd"
    nameless = read_call_file(encode_call_file(
        "n.json", json.dumps(json.loads(shared_call()) | {"short_name": ""}), size=1)).call
    assert archive_path(nameless, ".m4a").parts[0] == "calls"


@pytest.mark.parametrize(("text", "problem", "field", "reason"), [
    (None, "too_large", "file", "too_large"),
    (None, "not_utf8", "file", "not_utf8"),
    ("{not json", None, "file", "not_json"),
    ("[1, 2]", None, "file", "not_json"),
    ('{"srcList": []}', None, "start_time", "invalid_field"),
    (json.dumps({"talkgroup": 1, "start_time": 1702617247, "stop_time": 1702617252,
                 "freq": 1, "srcList": [{"time": 1702617247}]}), None, "srcList[0].src",
     "invalid_field"),
])
def test_a_bad_call_file_is_refused_naming_why(text: str | None, problem: str | None,
                                               field: str, reason: str) -> None:
    payload = encode_call_file("bad.json", text, size=MAX_CALL_JSON + 1 if problem ==
                               "too_large" else 10, problem=problem)
    with pytest.raises(TerminalMessageError) as caught:
        read_message(CALL_FILE_TOPIC, payload, received_at=NOW, trunk_prefixes=())
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_a_call_from_the_future_is_refused() -> None:
    later = json.loads(shared_call()) | {"start_time": 1777700000, "stop_time": 1777700005}
    with pytest.raises(TerminalMessageError) as caught:
        read_message(CALL_FILE_TOPIC, encode_call_file("f.json", json.dumps(later), size=1),
                     received_at=NOW, trunk_prefixes=())
    assert caught.value.reason == "future_time"
