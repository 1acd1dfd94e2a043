"""Cursor-on-Target: units and alerts out as typed events with stale times, TAK users'
position reports in, read safely (no entities, bounded), cut from a TCP stream, and
mapped to radio IDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from defusedxml.ElementTree import fromstring

from dispatch.cot import (
    CotAlert,
    CotUnit,
    alert_event,
    cot_time,
    delete_event,
    unit_event,
)
from dispatch.cot_in import (
    COT_TOPIC,
    MAX_EVENT,
    CotStream,
    callsign_radio_id,
    peek_cot,
    read_cot,
    tak_radio_id,
)
from dispatch.errors import TerminalMessageError
from dispatch.inbound import message_identity, read_message

NOW = datetime(2026, 5, 1, 8, 0, 0, 250000, tzinfo=UTC)


def atak_report(*, uid: str = "ANDROID-589520ccfcd20f01", kind: str = "a-f-G-U-C",
                how: str = "m-g", at: datetime = NOW, stale_s: float = 75,
                lat: str = "51.5155", lon: str = "-0.0935", detail: str | None = None) -> bytes:
    """A TAK user's position report, shaped as ATAK sends its own (SA)."""
    detail = detail if detail is not None else (
        '<detail><takv os="34" version="4.10.0" device="PIXEL" platform="ATAK-CIV"/>'
        '<contact endpoint="*:-1:stcp" callsign="Bravo 2"/>'
        '<__group role="Team Member" name="Cyan"/>'
        '<track course="271.5" speed="4.2"/><status battery="88"/></detail>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<event version="2.0" uid="{uid}" type="{kind}" how="{how}" '
            f'time="{cot_time(at)}" start="{cot_time(at)}" '
            f'stale="{cot_time(at + timedelta(seconds=stale_s))}">'
            f'<point lat="{lat}" lon="{lon}" hae="35.2" ce="4.9" le="9999999.0"/>'
            f"{detail}</event>").encode()


def test_a_unit_goes_out_as_a_friendly_law_enforcement_unit_with_its_stale_time() -> None:
    fix = NOW - timedelta(seconds=20)
    event = fromstring(unit_event(CotUnit(12, "P-12", -0.0935, 51.5155, fix, "Patrol car · "
                                          "En route", speed_mps=8.0, course_deg=270.0),
                                  now=NOW, stale_s=90))
    assert event.tag == "event" and event.get("version") == "2.0"
    assert (event.get("uid"), event.get("type"), event.get("how")) == (
        "gridpatrol.unit.12", "a-f-G-U-U-L-C", "m-g")
    assert event.get("time") == "2026-05-01T08:00:00.250Z"
    assert event.get("start") == "2026-05-01T07:59:40.250Z"
    assert event.get("stale") == "2026-05-01T08:01:30.250Z"
    point = event.find("point")
    assert (float(point.get("lat")), float(point.get("lon"))) == (51.5155, -0.0935)
    assert point.get("ce") == point.get("le") == "9999999.0"
    assert event.find("detail/contact").get("callsign") == "P-12"
    assert (event.find("detail/track").get("speed"), event.find("detail/track").get(
        "course")) == ("8.0", "270.0")
    assert event.find("detail/remarks").text == "Patrol car · En route"


def test_alerts_are_typed_by_level_and_taken_off_the_map_when_closed() -> None:
    made = {level: fromstring(alert_event(CotAlert(41, level, "#41 red robbery", 1.0, 2.0,
                                                   NOW, "<b>&amp;\x07"), now=NOW,
                                          stale_s=60)) for level in ("red", "yellow")}
    assert made["red"].get("type") == "a-h-G" and made["yellow"].get("type") == "a-u-G"
    assert made["red"].get("how") == "h-e" and made["red"].get("uid") == "gridpatrol.alert.41"
    assert made["red"].find("detail/remarks").text == "<b>&amp;"  # text, not markup
    gone = fromstring(delete_event("gridpatrol.alert.41", "a-h-G", now=NOW))
    assert gone.get("type") == "t-x-d-d"
    assert gone.find("detail/link").get("uid") == "gridpatrol.alert.41"
    assert gone.find("detail/__forcedelete") is not None


def test_a_tak_users_position_report_is_read() -> None:
    report = read_cot(atak_report(), received_at=NOW + timedelta(seconds=1))
    assert (report.uid, report.callsign) == ("ANDROID-589520ccfcd20f01", "Bravo 2")
    assert (report.lon, report.lat) == (-0.0935, 51.5155) and report.at == NOW
    assert (report.speed_mps, report.course_deg) == (4.2, 271.5)
    inbound = read_message(COT_TOPIC, atak_report(), received_at=NOW, trunk_prefixes=())
    assert inbound.source == "tak" and inbound.radio_id == "tak-ANDROID-589520ccfcd20f01"
    assert inbound.alternates == ("tak-callsign-BRAVO_2",)
    assert inbound.alias == "Bravo 2 (ANDROID-589520ccfcd20f01)"
    assert inbound.radio_ids == ("tak-ANDROID-589520ccfcd20f01", "tak-callsign-BRAVO_2")


def test_unknown_speed_and_course_are_left_out() -> None:
    report = read_cot(atak_report(detail='<detail><track speed="-1" course="9999999.0"/>'
                                         "</detail>"), received_at=NOW)
    assert report.callsign == "" and report.speed_mps is None and report.course_deg is None


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b'<event uid="x" type="a-f-G" how="m-g">&lol2;</event>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<event uid="x" type="a-f-G" how="m-g">&x;</event>')


@pytest.mark.parametrize(("event", "field", "reason"), [
    (b"not xml at all", "event", "not_xml"),
    (b"<point lat='1' lon='2'/>", "event", "not_xml"),
    (BILLION_LAUGHS, "event", "not_xml"),
    (EXTERNAL, "event", "not_xml"),
    (b"\xbf\x01\xbf" + b"\x00" * 20, "event", "unsupported_format"),
    (b"<event>" + b" " * MAX_EVENT + b"</event>", "event", "too_large"),
    (atak_report(how="h-g-i-g-o"), "event.type", "unsupported_type"),
    (atak_report(kind="a-h-G"), "event.type", "unsupported_type"),
    (atak_report(kind="b-t-f"), "event.type", "unsupported_type"),
    (atak_report(uid=""), "event.uid", "invalid_field"),
    (atak_report(at=NOW - timedelta(minutes=5), stale_s=60), "event.stale", "stale"),
    (atak_report(at=NOW + timedelta(minutes=5)), "event.time", "future_time"),
    (atak_report(lat="91"), "point.lat", "invalid_field"),
    (atak_report(lon="east"), "point.lon", "invalid_field"),
    (atak_report(lat="0", lon="0"), "point", "no_fix"),
])
def test_a_bad_event_is_refused_naming_why(event: bytes, field: str, reason: str) -> None:
    with pytest.raises(TerminalMessageError) as caught:
        read_message(COT_TOPIC, event, received_at=NOW, trunk_prefixes=())
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_a_tcp_stream_is_cut_into_events_however_it_arrives() -> None:
    first = atak_report()
    second = atak_report(uid="S-2", at=NOW + timedelta(seconds=5))
    stream = b"\r\n" + first + b"\n" + second
    for size in (1, 7, 100, len(stream)):
        cutter = CotStream()
        events = [e for i in range(0, len(stream), size)
                  for e in cutter.feed(stream[i:i + size])]
        assert [peek_cot(e).uid for e in events] == ["ANDROID-589520ccfcd20f01", "S-2"]
        assert all(e.startswith(b"<event") and e.endswith(b"</event>") for e in events)
    runaway = CotStream()
    with pytest.raises(TerminalMessageError) as caught:
        for _ in range(MAX_EVENT // 1000 + 2):
            runaway.feed(b"<event " + b"x" * 1000)
    assert caught.value.reason == "too_large"


def test_a_relayed_event_is_the_same_message() -> None:
    relayed = atak_report().replace(b"</detail>", b'<_flow-tags_ TAK-Server="x"/></detail>')
    assert message_identity(COT_TOPIC, relayed) == message_identity(COT_TOPIC, atak_report())
    later = atak_report(at=NOW + timedelta(seconds=3))
    assert message_identity(COT_TOPIC, later) != message_identity(COT_TOPIC, atak_report())


def test_tak_users_are_named_as_radios() -> None:
    assert tak_radio_id("ANDROID-589520ccfcd20f01") == "tak-ANDROID-589520ccfcd20f01"
    uuid = "6a3e1c2d-0b1f-4c4e-9d7a-2f1e8c9b0a11"
    assert tak_radio_id(uuid) == tak_radio_id(uuid) != tak_radio_id(uuid.upper())
    assert len(tak_radio_id(uuid)) == 32 and tak_radio_id(uuid).startswith("tak-")
    assert tak_radio_id("a b/c") != "tak-a b/c"
    assert callsign_radio_id(" bravo 2 ") == "tak-callsign-BRAVO_2"
    assert callsign_radio_id("") is None and callsign_radio_id("x" * 40) is None
