"""Inbound MQTT messages read: the terminals' topic scheme, trunk-recorder's plugin, NMEA,
identities, and the reasons a message is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import NmeaMessageError, TerminalMessageError
from dispatch.inbound import message_identity, read_message
from dispatch.terminals import orders_topic, parse_topic

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TR = ("trunk-recorder",)


def read(topic: str, payload: object) -> object:
    raw = payload if isinstance(payload, bytes) else (
        payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
    return read_message(topic, raw, received_at=NOW, trunk_prefixes=TR)


def refused(topic: str, payload: object) -> TerminalMessageError:
    with pytest.raises(TerminalMessageError) as caught:
        read(topic, payload)
    return caught.value


def test_a_position_with_its_own_time_and_motion() -> None:
    msg = read("gridpatrol/units/4711/position",
               {"lon": 24.94, "lat": 60.17, "at": "2026-05-01T15:59:00+08:00",
                "speed_mps": 12.5, "course_deg": 360, "hdop": 0.9})
    assert msg.radio_id == "4711" and msg.kind == "position"
    (position,) = msg.positions
    assert (position.lon, position.lat) == (24.94, 60.17)
    assert position.at == datetime(2026, 5, 1, 7, 59, tzinfo=UTC)
    assert position.speed_mps == 12.5 and position.course_deg == 0.0


def test_a_position_without_a_time_is_dated_when_received() -> None:
    (position,) = read("gridpatrol/units/4711/position", {"lon": 1.5, "lat": 2.5}).positions
    assert position.at == NOW


@pytest.mark.parametrize(("payload", "field", "reason"), [
    ({"lon": 200, "lat": 1}, "lon", "invalid_field"),
    ({"lat": 1}, "lon", "invalid_field"),
    ({"lon": "24.9", "lat": 60.1}, "lon", "invalid_field"),
    ({"lon": True, "lat": 60.1}, "lon", "invalid_field"),
    ({"lon": 0, "lat": 0}, "lon", "no_fix"),
    ({"lon": 1, "lat": 1, "at": "2026-05-01T08:00:00"}, "at", "invalid_field"),
    ({"lon": 1, "lat": 1, "at": (NOW + timedelta(minutes=5)).isoformat()}, "at",
     "future_time"),
    ({"lon": 1, "lat": 1, "speed_mps": -1}, "speed_mps", "invalid_field"),
    ({"lon": 1, "lat": 1, "id": ""}, "id", "invalid_field"),
    (b"\xff\xfe\x00", "payload", "not_utf8"),
    ("{not json", "payload", "not_json"),
    ("[1, 2]", "payload", "not_json"),
    ("", "payload", "empty"),
])
def test_bad_positions_are_refused_naming_field_and_reason(payload: object, field: str,
                                                           reason: str) -> None:
    error = refused("gridpatrol/units/4711/position", payload)
    assert (error.field, error.reason) == (field, reason)


@pytest.mark.parametrize("topic", ["gridpatrol/units/4711/speed", "gridpatrol/units/a b/text",
                                   "gridpatrol/units/4711/position/extra", "somewhere/else"])
def test_unknown_topics_are_refused(topic: str) -> None:
    assert refused(topic, {"lon": 1, "lat": 1}).reason == "unknown_topic"


def test_status_ack_and_text_as_json_or_bare_text() -> None:
    assert read("gridpatrol/units/7/status", "10-97").status.code == "10-97"
    assert read("gridpatrol/units/7/status", {"status": "en_route",
                                              "at": 1777622000}).status.at == \
        datetime.fromtimestamp(1777622000, UTC)
    ack = read("gridpatrol/units/7/ack", {"alert_id": 41, "note": "ETA 5"}).ack
    assert (ack.alert_id, ack.note) == (41, "ETA 5")
    assert read("gridpatrol/units/7/ack", "ACK 41 P-12").ack.text == "ACK 41 P-12"
    assert read("gridpatrol/units/7/text", "收到，马上到").text.text == "收到，马上到"
    assert refused("gridpatrol/units/7/ack", {"alert_id": 0}).field == "alert_id"
    assert refused("gridpatrol/units/7/status", {"state": "x"}).field == "status"


def test_nmea_over_mqtt_gives_one_position_per_epoch_and_keeps_bad_lines() -> None:
    lines = ("$GPGGA,080000.00,6010.2000,N,02456.4000,E,1,08,0.9,10.0,M,20.0,M,,*52\n"
             "$GPRMC,080000.00,A,6010.2000,N,02456.4000,E,10.0,90.0,010526,,,A*5A\n"
             "$GPGGA,080001.00,6010.2000,N,02456.4000,E,1,08,0.9,10.0,M,20.0,M,,*00\n")
    msg = read("gridpatrol/units/7/nmea", lines)
    assert len(msg.positions) == 1
    assert msg.positions[0].at == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert [r.reason for r in msg.rejected] == ["bad checksum"]
    assert msg.ignored_sentences == 0


def test_nmea_sentences_without_a_position_are_counted_apart_from_the_rejected() -> None:
    satellites = ("$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\n"
                  "$GPGSA,A,3,,,,,,16,18,,22,24,,,3.6,2.1,2.2*3C\n"
                  "$PSRFEPE,080000.00,A,1.2,2.3,3.4,0.1,0.2*24\n")
    fix = "$GPRMC,080000.00,A,6010.2000,N,02456.4000,E,10.0,90.0,010526,,,A*5A\n"
    msg = read("gridpatrol/units/7/nmea", satellites + fix)
    assert (len(msg.positions), msg.rejected, msg.ignored_sentences) == (1, (), 3)
    only = read("gridpatrol/units/7/nmea", satellites)
    assert (only.positions, only.rejected, only.ignored_sentences) == ((), (), 3)
    error = refused("gridpatrol/units/7/nmea", satellites
                    + "$GPRMC,080000.00,V,,,,,,,010526,,,N*75\n")
    assert isinstance(error, NmeaMessageError)
    assert (error.reason, error.ignored_sentences) == ("nmea_void_status", 3)


def test_trunk_recorder_location_with_and_without_coordinates() -> None:
    body = {"type": "location", "timestamp": int(NOW.timestamp()) - 5,
            "location": {"sys_num": 3, "sys_name": "p25trunk", "unit": 54126,
                         "unit_alpha_tag": "FD Port. 126", "talkgroup": 23507}}
    plain = read("trunk-recorder/units/p25trunk/location", body)
    assert (plain.source, plain.kind, plain.radio_id, plain.alias) == (
        "trunk-recorder", "location", "54126", "FD Port. 126")
    assert plain.positions == ()
    body["location"] |= {"latitude": 60.17, "longitude": 24.94}
    (position,) = read("trunk-recorder/units/p25trunk/location", body).positions
    assert (position.lon, position.lat) == (24.94, 60.17)
    assert position.at == NOW - timedelta(seconds=5)


def test_trunk_recorder_refusals_keep_the_plugin_parser_reasons() -> None:
    assert refused("trunk-recorder/units/p25/bogus", {"type": "bogus", "timestamp": 1}
                   ).reason == "unsupported_type"
    error = refused("trunk-recorder/units/p25/on", {"type": "on", "timestamp": 1,
                                                     "on": {"unit": "x"}})
    assert (error.field, error.reason) == ("on.unit", "invalid_field")


def test_identity_is_the_terminals_own_id_else_topic_and_payload() -> None:
    topic = "gridpatrol/units/4711/position"
    first = message_identity(topic, b'{"lon": 1, "lat": 2, "id": "m-1"}')
    assert first == message_identity(topic, b'{"id": "m-1", "lat": 2.0, "lon": 1.0}')
    assert first != message_identity("gridpatrol/units/4712/position",
                                     b'{"lon": 1, "lat": 2, "id": "m-1"}')
    plain = message_identity(topic, b'{"lon": 1, "lat": 2, "at": 100}')
    assert plain == message_identity(topic, b'{"lon": 1, "lat": 2, "at": 100}')
    assert plain != message_identity(topic, b'{"lon": 1, "lat": 2, "at": 101}')
    assert len(plain) == 64


def test_parse_topic_leaves_other_trees_alone() -> None:
    assert parse_topic("trunk-recorder/units/x/on") is None
    assert parse_topic("gridpatrol/units/R-1.a_b/ack").radio_id == "R-1.a_b"


def test_receipts_and_acknowledgements_name_the_order_answered() -> None:
    receipt = read("gridpatrol/units/7/receipt", {"message_id": "812", "id": 5}).receipt
    assert (receipt.order_id, receipt.message_id) == (812, "5")
    assert read("gridpatrol/units/7/receipt", "812").receipt.order_id == 812
    ack = read("gridpatrol/units/7/ack", {"message_id": 812}).ack
    assert (ack.order_id, ack.alert_id, ack.text) == (812, None, "ACK message 812")
    both = read("gridpatrol/units/7/ack", {"message_id": 812, "alert_id": 41}).ack
    assert (both.order_id, both.alert_id) == (812, 41)
    for payload in ({"message_id": "x"}, {"message_id": 0}, {"message_id": True}, "P-12"):
        assert refused("gridpatrol/units/7/receipt", payload).field == "message_id"
    assert refused("gridpatrol/units/7/ack", {"message_id": -3}).field == "message_id"
    assert refused("gridpatrol/units/7/ack", {"note": "no reference"}).field == "alert_id"


def test_orders_topic_is_the_radios_own() -> None:
    assert orders_topic("4711") == "gridpatrol/units/4711/orders"
    with pytest.raises(TerminalMessageError):
        orders_topic("a/b")
