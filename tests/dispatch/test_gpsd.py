"""gpsd's reports read: TPVs with a fix, those without, other classes; one fix per device
and receiver epoch (the last, most complete report); devices mapped to radios."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import TerminalMessageError
from dispatch.gpsd import EpochCollector, Tpv, radio_for, read_report

T = datetime(2026, 5, 1, 7, 41, 56, 799000, tzinfo=UTC)
# as gpsd 3.22 reports an epoch of a BeiDou receiver: the GGA's TPV, then the RMC's
GGA = {"class": "TPV", "device": "/dev/pts/3", "mode": 3, "time": "2026-05-01T07:41:56.799Z",
       "lat": 31.24825, "lon": 121.587403333, "speed": 33.429}
RMC = GGA | {"track": 4.94, "speed": 0.134}


def test_reports_are_read() -> None:
    tpv = read_report(json.dumps(RMC))
    assert isinstance(tpv, Tpv)
    assert (tpv.device, tpv.time, tpv.lon, tpv.lat) == ("/dev/pts/3", T, 121.587403333,
                                                        31.24825)
    assert (tpv.speed_mps, tpv.course_deg, tpv.mode) == (0.134, 4.94, 3)
    assert read_report('{"class":"TPV","device":"/dev/pts/3","mode":1}') == "no_fix"
    assert read_report(json.dumps({k: v for k, v in GGA.items() if k != "time"})) == "no_fix"
    with pytest.raises(TerminalMessageError) as late:
        read_report(json.dumps(GGA | {"time": "yesterday"}))
    assert late.value.field == "time"
    assert read_report('{"class":"SKY","satellites":[]}') is None
    with pytest.raises(TerminalMessageError) as bad:
        read_report(json.dumps(GGA | {"lat": 91}))
    assert bad.value.field == "lat"
    with pytest.raises(TerminalMessageError) as junk:
        read_report("{not json")
    assert junk.value.reason == "not_json"


def test_one_fix_per_epoch_the_last_report_of_it() -> None:
    collector = EpochCollector()
    first, second = read_report(json.dumps(GGA)), read_report(json.dumps(RMC))
    assert isinstance(first, Tpv) and isinstance(second, Tpv)
    arrived = T + timedelta(seconds=3)
    assert collector.feed(first, arrived) == []
    assert collector.feed(second, arrived + timedelta(seconds=0.2)) == []
    later = read_report(json.dumps(RMC | {"time": "2026-05-01T07:41:57.799Z"}))
    assert isinstance(later, Tpv)
    (fix,) = collector.feed(later, arrived + timedelta(seconds=1))
    assert (fix.at, fix.course_deg, fix.speed_mps) == (T, 4.94, 0.134)  # the RMC's
    assert fix.payload()["id"] == f"gpsd:/dev/pts/3:{T.isoformat()}"
    assert collector.flush(arrived + timedelta(seconds=1.2)) == []  # not quiet long enough
    (last,) = collector.flush(arrived + timedelta(seconds=3))
    assert last.receiver_time == T + timedelta(seconds=1)


def test_a_wrong_receiver_clock_is_replaced_by_the_arrival() -> None:
    collector = EpochCollector(time_source="received")
    tpv = read_report(json.dumps(RMC | {"time": "2034-10-11T07:41:56.799Z"}))  # rollover
    assert isinstance(tpv, Tpv)
    arrived = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    collector.feed(tpv, arrived)
    (fix,) = collector.flush(arrived, wait_s=0)
    assert fix.at == arrived and fix.receiver_time.year == 2034


def test_devices_map_to_radios_most_specific_first() -> None:
    devices = {"127.0.0.1:2947//dev/ttyUSB0": "A", "/dev/ttyUSB0": "B"}
    daemons = {"127.0.0.1:2947": "C", "10.0.0.9:2947": "D"}
    assert radio_for("/dev/ttyUSB0", "127.0.0.1:2947", devices=devices, daemons=daemons) == "A"
    assert radio_for("/dev/ttyUSB0", "10.0.0.9:2947", devices=devices, daemons=daemons) == "B"
    assert radio_for("/dev/ttyUSB1", "10.0.0.9:2947", devices=devices, daemons=daemons) == "D"
    assert radio_for("/dev/ttyUSB1", "10.0.0.7:2947", devices=devices, daemons=daemons) is None
