"""Recordings turned into messages to replay: kinds recognised; an NMEA log one message
per epoch at its offset, re-dated with valid checksums that gridpatrol's own reader
accepts; trunk-recorder calls as its plugin's messages; MQTT captures at their times."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dispatch.inbound import read_message
from dispatch.nmea import BAD_CHECKSUM, parse_sentence
from dispatch.nmea_epochs import read_log
from dispatch.replay import (
    ReplayFormatError,
    capture_items,
    detect_kind,
    items_for,
    nmea_items,
    retime_sentence,
)
from tests.conftest import SHARED_DATA

NMEA = SHARED_DATA / "radio" / "nmea"
CALL = SHARED_DATA / "radio" / "trunk-recorder" / "berkeley_pd1_call_1702617247.json"
NOW = datetime(2026, 12, 4, 23, 59, 58, 500000, tzinfo=UTC)


def test_kinds_are_recognised() -> None:
    assert detect_kind((NMEA / "beidou-bd.log").read_text(errors="replace")) == "nmea"
    assert detect_kind(CALL.read_text()) == "trunk-recorder"
    assert detect_kind('{"topic": "gridpatrol/units/1/text", "payload": "hi"}\n') == "capture"
    assert detect_kind("gridpatrol/units/1/text hello\n") == "capture"
    for junk in ("", "# only a comment\n", "hello world\n", '{"a": 1}'):
        with pytest.raises(ReplayFormatError):
            detect_kind(junk)


def test_an_nmea_log_is_replayed_epoch_by_epoch_and_re_dated() -> None:
    text = (NMEA / "ublox-neo-m9n-nmea.log").read_text(errors="replace")
    kept = nmea_items(text, radio_id="4711", start=None)
    assert len(kept) == 61 and kept[0].topic == "gridpatrol/units/4711/nmea"
    assert [round(i.offset_s, 2) for i in kept[:3]] == [0.0, 1.0, 2.0]
    redated = nmea_items(text, radio_id="4711", start=NOW)
    fixes = read_log([ln for i in redated for ln in i.payload.decode().splitlines()]).fixes
    original = read_log(text.splitlines()).fixes
    assert [(f.lon, f.lat) for f in fixes] == [(f.lon, f.lat) for f in original]
    assert fixes[0].at == NOW.replace(microsecond=500000)  # the log's two decimals kept
    assert fixes[2].at == datetime(2026, 12, 5, 0, 0, 0, 500000, tzinfo=UTC)  # midnight
    reasons = {getattr(parse_sentence(ln), "reason", None)
               for i in redated for ln in i.payload.decode().splitlines()}
    assert BAD_CHECKSUM not in reasons


def test_retiming_keeps_the_decimals_and_makes_a_valid_checksum() -> None:
    rmc = "$GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V*0E"
    again = retime_sentence(rmc, datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC))
    assert again.startswith("$GNRMC,030405.67,A,") and ",020126," in again
    fix = parse_sentence(again)
    assert fix.__class__.__name__ == "Fix"
    gsv = "$GPGSV,4,1,16,05,01,047,,10,29,224,,13,22,062,23,15,40,094,,1*65"
    assert retime_sentence(gsv, NOW) == gsv


def test_trunk_recorder_calls_become_the_plugins_messages() -> None:
    call = json.loads(CALL.read_text())
    items = items_for(CALL.read_text(), kind="trunk-recorder", radio_id=None,
                      retime_from=None)
    topics = [i.topic for i in items]
    assert topics[0] == "trunk-recorder/call_start" and topics[-1] == "trunk-recorder/call_end"
    units = [json.loads(i.payload)["call"]["unit"] for i in items if i.topic.endswith("/call")]
    assert units == [s["src"] for s in call["srcList"]]
    assert items[-1].offset_s == call["stop_time"] - call["start_time"]
    read = [read_message(i.topic, i.payload, received_at=NOW, trunk_prefixes=("trunk-recorder",))
            for i in items]  # ingest reads every one, as the plugin's own
    assert [m.kind for m in read] == ["call_start", "call", "call", "call_end"]


def test_captures_keep_their_times_or_are_spaced() -> None:
    text = "\n".join([
        json.dumps({"topic": "gridpatrol/units/7/status", "payload": "10-8", "at": 100.0}),
        json.dumps({"topic": "gridpatrol/units/7/position", "payload": {"lon": 1, "lat": 2},
                    "at": "1970-01-01T00:01:52.5+00:00"})])
    first, second = capture_items(text)
    assert (first.payload, second.offset_s) == (b"10-8", 12.5)
    assert json.loads(second.payload) == {"lon": 1, "lat": 2}
    spaced = capture_items("gridpatrol/units/7/text a\ngridpatrol/units/7/text b c\n")
    assert [(i.offset_s, i.payload) for i in spaced] == [(0.0, b"a"), (1.0, b"b c")]
    with pytest.raises(ReplayFormatError) as bad:
        capture_items('{"topic": "gridpatrol/#", "payload": "x"}')
    assert bad.value.line == 1
    with pytest.raises(ReplayFormatError, match="--radio-id"):
        items_for("$GPGGA,1*00", kind="nmea", radio_id=None, retime_from=None)
