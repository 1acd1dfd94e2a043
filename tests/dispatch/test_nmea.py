"""NMEA 0183 parsing against real gpsd captures and hand-made sentences.

The expectations on the captures were read off the files with grep and awk (counts of GGA
quality and RMC status values, first valid sentences) before the parser was run on them.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import reduce
from pathlib import Path

import pytest

from dispatch.nmea import (
    BAD_CHECKSUM,
    KNOT_MS,
    MISSING_CHECKSUM,
    NO_FIX,
    NOT_A_SENTENCE,
    TOO_FEW_FIELDS,
    UNSUPPORTED_TALKER,
    UNSUPPORTED_TYPE,
    VOID_STATUS,
    Fix,
    Rejected,
    checksum,
    parse_log,
    parse_sentence,
)

NMEA = Path(__file__).resolve().parents[3] / "shared" / "data" / "radio" / "nmea"


def read_capture(name: str) -> tuple[list[Fix], list[Rejected], Counter[str]]:
    with (NMEA / name).open(encoding="utf-8") as lines:
        return parse_log(lines)


def sentence(body: str) -> str:
    """Wrap ``body`` as a sentence with its checksum, computed here independently."""
    return f"${body}*{reduce(operator.xor, body.encode('ascii'), 0):02X}"


def metres_apart(a: Fix, b: Fix) -> float:
    """Haversine distance on a 6,371 km sphere."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2
    ) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def kinds(fixes: list[Fix]) -> Counter[str]:
    return Counter(f"{fix.talker}{fix.kind}" for fix in fixes)


# --- hand-made sentences ---------------------------------------------------------------

GGA = "GPGGA,123519.50,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
RMC = "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"


def test_the_checksum_matches_a_real_sentence() -> None:
    body = "GNRMC,074155.799,A,3114.8770,N,12135.2463,E,0.30,4.94,250215,,,A"
    assert checksum(body) == 0x76


def test_a_valid_gga_gives_position_time_satellites_and_hdop() -> None:
    fix = parse_sentence(sentence(GGA), utc_date=date(1994, 3, 23))
    assert isinstance(fix, Fix)
    assert (fix.lat, fix.lon) == pytest.approx((48.1173, 11.516666667), abs=1e-9)
    assert replace(fix, lat=0.0, lon=0.0) == Fix(
        talker="GP", kind="GGA", lon=0.0, lat=0.0,
        at=datetime(1994, 3, 23, 12, 35, 19, 500_000, tzinfo=UTC),
        satellites=8, hdop=0.9, quality=1,
    )


def test_a_gga_on_its_own_has_no_date_so_no_instant() -> None:
    fix = parse_sentence(sentence(GGA))
    assert isinstance(fix, Fix)
    assert fix.at is None


def test_a_valid_rmc_gives_date_speed_in_metres_per_second_and_course() -> None:
    fix = parse_sentence(sentence(RMC))
    assert isinstance(fix, Fix)
    assert (fix.kind, fix.at) == ("RMC", datetime(1994, 3, 23, 12, 35, 19, tzinfo=UTC))
    assert fix.speed_ms == pytest.approx(22.4 * 0.514444, rel=1e-5)
    assert fix.course_deg == pytest.approx(84.4)
    assert (fix.satellites, fix.hdop, fix.quality) == (None, None, None)
    assert abs(KNOT_MS - 0.514444) < 1e-6


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        ("3114.8770,N", "12135.2463,E", (31.24795, 121.587438333)),
        ("2712.6404,S", "15303.1201,E", (-27.210673333, 153.052001667)),
        ("3806.62964,N", "12237.61382,W", (38.110494, -122.626897)),
        ("3430.0000,S", "05830.0000,W", (-34.5, -58.5)),
        ("0000.0000,N", "00000.0000,E", (0.0, 0.0)),
    ],
)
def test_hemispheres_give_signs(lat: str, lon: str, expected: tuple[float, float]) -> None:
    fix = parse_sentence(sentence(f"GNRMC,000000,A,{lat},{lon},0.0,,010124,,,A"))
    assert isinstance(fix, Fix)
    assert (fix.lat, fix.lon) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("talker", ["GP", "GN", "GL", "BD", "GB", "GA"])
def test_every_supported_talker_is_read(talker: str) -> None:
    fix = parse_sentence(sentence(talker + RMC[2:]))
    assert isinstance(fix, Fix)
    assert fix.talker == talker


def test_a_corrupted_checksum_is_rejected_with_both_values() -> None:
    good = sentence(RMC)
    bad = good[:-2] + ("00" if not good.endswith("00") else "01")
    result = parse_sentence(bad)
    assert result == Rejected(bad, BAD_CHECKSUM, f"computed {good[-2:]}, written {bad[-2:]}")
    corrupted_field = good.replace("4807.038", "4807.039")
    assert isinstance(parse_sentence(corrupted_field), Rejected)


def test_an_rmc_with_status_v_is_void() -> None:
    result = parse_sentence(sentence(RMC.replace(",A,", ",V,")))
    assert isinstance(result, Rejected)
    assert (result.reason, result.detail) == (VOID_STATUS, "status 'V'")


def test_a_gga_with_quality_0_has_no_fix() -> None:
    result = parse_sentence(sentence("GPGGA,,,,,,0,,,,,,,,"))
    assert isinstance(result, Rejected)
    assert result.reason == NO_FIX


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("$" + GGA, MISSING_CHECKSUM),
        (GGA, NOT_A_SENTENCE),
        ("hello", NOT_A_SENTENCE),
        ("", NOT_A_SENTENCE),
        (sentence("GPGSV,1,1,01,05,00,000,27"), UNSUPPORTED_TYPE),
        (sentence("PSRFEPE,074150.799,V,,,,,"), UNSUPPORTED_TYPE),
        (sentence("IIRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394"), UNSUPPORTED_TALKER),
        (sentence("GPRMC,123519,A,4807.038,N"), TOO_FEW_FIELDS),
        (sentence(RMC.replace("4807.038,N", "4807.038,E")), "malformed field lat"),
        (sentence(RMC.replace("4807.038", "9107.038")), "malformed field lat"),
        (sentence(RMC.replace("4807.038", "4867.038")), "malformed field lat"),
        (sentence(RMC.replace("4807.038,N", ",")), "malformed field lat"),
        (sentence(RMC.replace("01131.000", "1131.000")), "malformed field lon"),
        (sentence(RMC.replace("01131.000,E", "18131.000,W")), "malformed field lon"),
        (sentence(RMC.replace("123519", "126019")), "malformed field time"),
        (sentence(RMC.replace("230394", "310294")), "malformed field date"),
        (sentence(RMC.replace("022.4", "fast")), "malformed field speed"),
        (sentence(RMC.replace("084.4", "-4.0")), "malformed field course"),
        (sentence(GGA.replace(",1,08,", ",x,08,")), "malformed field quality"),
        (sentence(GGA.replace(",08,", ",8a,")), "malformed field satellites"),
        (sentence(GGA.replace(",0.9,", ",nan,")), "malformed field hdop"),
    ],
)
def test_bad_sentences_are_rejected_with_their_reason(line: str, reason: str) -> None:
    result = parse_sentence(line)
    assert isinstance(result, Rejected)
    assert (result.line, result.reason) == (line, reason)


def test_a_gga_is_dated_by_the_last_valid_rmc_and_rolls_over_midnight() -> None:
    lines = [
        "# a header",
        sentence("GPGGA,235958,3114.8770,N,12135.2463,E,1,05,1.3,0,M,0,M,,"),
        sentence("GPRMC,235959,V,,,,,,,311224,,,N"),
        sentence("GPRMC,235959,A,3114.8770,N,12135.2463,E,0.0,,311224,,,A"),
        "",
        sentence("GPGGA,235959.5,3114.8770,N,12135.2463,E,1,05,1.3,0,M,0,M,,"),
        sentence("GPGGA,000000.5,3114.8770,N,12135.2463,E,1,05,1.3,0,M,0,M,,"),
    ]
    fixes, rejected, reasons = parse_log(lines)
    assert [fix.at for fix in fixes] == [
        None,  # no valid RMC yet; the void one's date is not trusted
        datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC),
    ]
    assert [r.reason for r in rejected] == [VOID_STATUS]
    assert reasons == Counter({VOID_STATUS: 1})


# --- real captures from the gpsd regression tests ------------------------------------

def test_the_beidou_bd_capture() -> None:
    fixes, rejected, reasons = read_capture("beidou-bd.log")
    assert kinds(fixes) == Counter({"GNGGA": 5, "GNRMC": 5})
    assert reasons == Counter({UNSUPPORTED_TYPE: 59, NO_FIX: 5, VOID_STATUS: 5})
    first = fixes[0]  # $GNGGA,074155.799,3114.8770,N,12135.2463,E,1,05,1.3,...
    assert (first.kind, first.quality, first.satellites, first.hdop) == ("GGA", 1, 5, 1.3)
    assert first.lat == pytest.approx(31.247950, abs=1e-6)
    assert first.lon == pytest.approx(121.587438, abs=1e-6)
    assert first.at is None  # it comes before the first valid RMC
    assert fixes[1].at == datetime(2015, 2, 25, 7, 41, 55, 799_000, tzinfo=UTC)
    assert fixes[2].at == datetime(2015, 2, 25, 7, 41, 56, 799_000, tzinfo=UTC)  # dated GGA
    # The line with a leading space and CRLF is still read.
    assert any(f.at == datetime(2015, 2, 25, 7, 41, 57, 799_000, tzinfo=UTC)
               and f.kind == "RMC" for f in fixes)
    # BeiDou talks BD only in its satellite sentences (GSA, GSV), which are not positions.
    beidou = Counter(r.detail for r in rejected if r.detail.startswith("BD"))
    assert beidou == Counter({"BDGSA": 10, "BDGSV": 5})


def test_the_beidou_gb_capture() -> None:
    fixes, rejected, reasons = read_capture("beidou-gb.log")
    assert kinds(fixes) == Counter({"GPGGA": 2, "GNRMC": 2})
    assert reasons == Counter({UNSUPPORTED_TYPE: 58, NO_FIX: 3, VOID_STATUS: 3})
    assert {r.detail[:2] for r in rejected if r.reason == UNSUPPORTED_TYPE} == {
        "GP", "GB", "GN", "PS",
    }
    assert Counter(r.detail for r in rejected)["GBGSV"] == 12
    rmc = next(f for f in fixes if f.kind == "RMC")
    assert rmc.at == datetime(2015, 3, 2, 5, 32, 32, 438_000, tzinfo=UTC)
    assert (rmc.lat, rmc.lon) == pytest.approx((31.247982, 121.587403), abs=1e-6)
    assert rmc.speed_ms == pytest.approx(0.26 * KNOT_MS)
    assert rmc.course_deg == pytest.approx(167.42)


def test_the_boat_moves_south_west_across_the_ijsselmeer() -> None:
    fixes, _, reasons = read_capture("bundg_zeus_9.log")
    assert kinds(fixes) == Counter({"GPGGA": 138, "GPRMC": 146})
    assert reasons == Counter({UNSUPPORTED_TYPE: 4715})
    rmcs = [f for f in fixes if f.kind == "RMC"]
    first, last = rmcs[0], rmcs[-1]
    # $GPRMC,094737,A,5251.0093,N,00518.8170,E,5.6,230.5,200818,1.4,E,A*1F
    assert (first.lat, first.lon) == pytest.approx((52.850155, 5.313617), abs=1e-6)
    assert first.at == datetime(2018, 8, 20, 9, 47, 37, tzinfo=UTC)
    assert first.speed_ms == pytest.approx(2.880889, abs=1e-6)
    assert first.course_deg == 230.5
    # $GPRMC,095003,A,5250.8736,N,00518.5095,E,5.3,233.1,200818,1.4,E,A*1A
    assert last.at == datetime(2018, 8, 20, 9, 50, 3, tzinfo=UTC)
    assert last.lat < first.lat and last.lon < first.lon
    assert 300 < metres_apart(first, last) < 600
    assert all(f.speed_ms is not None and f.speed_ms > 1.5 for f in rmcs)
    # Every GGA after the first RMC is dated by it, in step with the RMCs.
    dated = [f.at for f in fixes if f.kind == "GGA"]
    assert dated[0] is None and all(at is not None for at in dated[1:])


def test_the_haicom_walk_south_of_the_equator() -> None:
    fixes, _, reasons = read_capture("haicom-305N.log")
    assert kinds(fixes) == Counter({"GPGGA": 68, "GPRMC": 68})
    assert reasons == Counter({UNSUPPORTED_TYPE: 178, VOID_STATUS: 6, NO_FIX: 5})
    # $GPGGA,095304.802,2712.6520,S,15303.1397,E,1,00,17.0,...: a fix on 0 satellites.
    first = fixes[0]
    assert (first.lat, first.lon) == pytest.approx((-27.210867, 153.052328), abs=1e-6)
    assert (first.satellites, first.hdop) == (0, 17.0)
    assert all(f.lat < 0 < f.lon for f in fixes)


def test_the_quectel_capture_starts_without_a_fix() -> None:
    fixes, _, reasons = read_capture("quectel-eg25-g.log")
    assert kinds(fixes) == Counter({"GPGGA": 23, "GPRMC": 23})
    assert reasons == Counter({UNSUPPORTED_TYPE: 741, NO_FIX: 37, VOID_STATUS: 37})
    first = fixes[0]  # $GPGGA,191503.01,3645.876324,N,03124.670280,E,1,03,1.3,...
    assert (first.lat, first.lon) == pytest.approx((36.764605, 31.411171), abs=1e-6)
    assert fixes[1].at == datetime(2022, 9, 11, 19, 15, 3, 10_000, tzinfo=UTC)


def test_the_ublox_capture_has_differential_fixes_without_course() -> None:
    fixes, _, reasons = read_capture("ublox-neo-m9n-nmea.log")
    assert kinds(fixes) == Counter({"GNGGA": 61, "GNRMC": 61})
    assert reasons == Counter({UNSUPPORTED_TYPE: 1281})
    first = fixes[0]  # $GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V
    assert (first.lat, first.lon) == pytest.approx((38.110494, -122.626897), abs=1e-6)
    assert first.course_deg is None
    assert {f.quality for f in fixes if f.kind == "GGA"} == {2}
    assert all(f.at is not None for f in fixes)
