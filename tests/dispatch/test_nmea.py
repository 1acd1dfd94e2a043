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
    Ignored,
    Rejected,
    checksum,
    parse_log,
    parse_sentence,
)
from dispatch.nmea_epochs import NmeaLog, merge_epochs, read_log

NMEA = Path(__file__).resolve().parents[3] / "shared" / "data" / "radio" / "nmea"


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
        satellites=8, hdop=0.9, quality=1, altitude_m=545.4,
    )
    assert fix.sentences == ("GPGGA",)


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
        (sentence("hello,1,2"), UNSUPPORTED_TYPE),
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


# --- sentences without a position; GNS and GLL -------------------------------------------

@pytest.mark.parametrize(("body", "kind"), [
    ("GPGSV,1,1,01,05,00,000,27", "GSV"), ("GNGSA,A,3,29,20,,,,,,,,,,,0.99,0.54,0.83,1", "GSA"),
    ("GPTXT,01,01,02,ANTSTATUS=OK", "TXT"), ("GNVTG,,T,,M,0.040,N,0.075,K,D", "VTG"),
    ("PSRFEPE,074150.799,V,,,,,", "proprietary"), ("SDHDG,123.4,,,,", "HDG"),
])
def test_sentences_without_a_position_are_ignored_not_rejected(body: str, kind: str) -> None:
    line = sentence(body)
    assert parse_sentence(line) == Ignored(line, kind)
    log = read_log([line, line])
    assert (log.fixes, log.rejected, log.ignored) == ([], [], Counter({kind: 2}))


def test_gns_and_gll_are_positions() -> None:
    gns = parse_sentence(sentence("GNGNS,074155.799,3114.8770,N,12135.2463,E,ANNA,05,1.3,"
                                  "156.9,8.3,,0000"), utc_date=date(2015, 2, 25))
    assert isinstance(gns, Fix)
    assert (gns.kind, gns.quality, gns.satellites, gns.altitude_m) == ("GNS", 1, 5, 156.9)
    assert gns.at == datetime(2015, 2, 25, 7, 41, 55, 799_000, tzinfo=UTC)
    none = parse_sentence(sentence("GNGNS,074150.799,,,,,NNNN,00,,,0.0,,0000"))
    assert isinstance(none, Rejected) and none.reason == NO_FIX
    gll = parse_sentence(sentence("GNGLL,3806.62964,N,12237.61382,W,223745.00,A,D"))
    assert isinstance(gll, Fix) and gll.kind == "GLL" and gll.at is None
    assert (gll.lat, gll.lon) == pytest.approx((38.110494, -122.626897), abs=1e-6)
    void = parse_sentence(sentence("GPGLL,5251.0093,N,00518.8170,E,094736,V,N"))
    assert isinstance(void, Rejected) and void.reason == VOID_STATUS


def test_one_fix_per_epoch_joins_gga_quality_and_rmc_speed() -> None:
    lines = [sentence("GPGGA,235959,3114.8770,N,12135.2463,E,2,09,0.8,12.5,M,0,M,,"),
             sentence("GPGSA,A,3,25,32,,,,,,,,,,,5.1,1.3,4.9"),
             sentence("GPRMC,235959,A,3114.8771,N,12135.2464,E,10.0,90.0,311224,,,A"),
             sentence("GPGGA,000000,3114.8790,N,12135.2463,E,1,08,0.9,12.0,M,0,M,,"),
             sentence("GPRMC,000000,A,3114.8790,N,12135.2463,E,11.0,91.0,010125,,,A")]
    log = read_log(lines)
    assert [f.at for f in log.fixes] == [datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
                                         datetime(2025, 1, 1, tzinfo=UTC)]
    first = log.fixes[0]
    assert (first.kind, first.quality, first.satellites, first.altitude_m) == ("GGA", 2, 9, 12.5)
    assert first.lat == pytest.approx(31.247950, abs=1e-7)  # the GGA's position
    assert (first.speed_ms, first.course_deg) == (pytest.approx(10 * KNOT_MS), 90.0)
    assert first.sentences == ("GPGGA", "GPRMC")
    assert log.ignored == Counter({"GSA": 1}) and log.position_sentences == 4
    assert merge_epochs(parse_log(lines)[0]) == log.fixes


# --- real captures from the gpsd regression tests ------------------------------------

def read_capture(name: str) -> tuple[list[Fix], list[Rejected], Counter[str]]:
    with (NMEA / name).open(encoding="utf-8") as lines:
        return parse_log(lines)


def read_epochs(name: str) -> NmeaLog:
    with (NMEA / name).open(encoding="utf-8") as lines:
        return read_log(lines)


def valid_epochs(name: str) -> list[str]:
    """The capture's epochs counted by hand: the UTC time fields, in order and without
    runs of repeats, of the position sentences that hold a fix and pass their checksum."""
    times: list[str] = []
    for raw in (NMEA / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line.startswith("$") or "*" not in line:
            continue
        body, written = line[1:].rsplit("*", 1)
        if f"{reduce(operator.xor, body.encode('ascii'), 0):02X}" != written.upper()[:2]:
            continue
        cells = body.split(",")
        kind, talker = cells[0][2:], cells[0][:2]
        if talker not in {"GP", "GN", "GL", "GA", "BD", "GB"}:
            continue
        if kind not in ("GGA", "RMC", "GNS", "GLL") or not _holds_a_fix(kind, cells):
            continue
        clock = cells[5] if kind == "GLL" else cells[1]
        if not times or times[-1] != clock:
            times.append(clock)
    return times


def _holds_a_fix(kind: str, cells: list[str]) -> bool:
    if kind == "RMC":
        return cells[2] == "A"
    if kind == "GLL":
        return cells[6] == "A"
    return bool(set(cells[6]) - {"N", "0"}) and cells[6] != ""  # GGA quality, GNS mode


@pytest.mark.parametrize(("name", "epochs", "with_speed"), [
    ("beidou-bd.log", 5, 5), ("beidou-gb.log", 2, 2), ("bundg_zeus_9.log", 149, 145),
    ("haicom-305N.log", 68, 68), ("quectel-eg25-g.log", 23, 23),
    ("ublox-neo-m9n-nmea.log", 61, 61),
])
def test_every_capture_gives_one_fix_per_epoch_with_speed(name: str, epochs: int,
                                                          with_speed: int) -> None:
    log = read_epochs(name)
    assert len(log.fixes) == len(valid_epochs(name)) == epochs
    dated = [f.at for f in log.fixes if f.at is not None]
    assert len(dated) == len(set(dated))  # never two positions for one instant
    assert sum(f.speed_ms is not None for f in log.fixes) == with_speed
    assert all(f.speed_ms is not None for f in log.fixes if "RMC" in {s[2:] for s in f.sentences})
    assert sum(log.ignored.values()) > len(log.fixes)  # routine: many more than fixes
    assert UNSUPPORTED_TYPE not in log.reasons


def test_the_beidou_bd_capture() -> None:
    log = read_epochs("beidou-bd.log")
    assert log.reasons == Counter({NO_FIX: 10, VOID_STATUS: 5})  # 5 GGA and 5 GNS, 5 RMC
    assert log.ignored == Counter({"GSV": 17, "GSA": 20, "proprietary": 12})
    # BeiDou talks BD only in its satellite sentences (GSA, GSV), which are not positions.
    first = log.fixes[0]  # $GNGGA,074155.799,3114.8770,N,12135.2463,E,1,05,1.3,156.9,...
    assert (first.kind, first.quality, first.satellites, first.hdop) == ("GGA", 1, 5, 1.3)
    assert first.altitude_m == 156.9
    assert first.lat == pytest.approx(31.247950, abs=1e-6)
    assert first.lon == pytest.approx(121.587438, abs=1e-6)
    # the GGA is dated by the RMC of its own epoch, which follows it
    assert first.at == datetime(2015, 2, 25, 7, 41, 55, 799_000, tzinfo=UTC)
    assert first.speed_ms == pytest.approx(0.30 * KNOT_MS) and first.course_deg == 4.94
    assert first.sentences == ("GNGGA", "GNGNS", "GNRMC")
    # The line with a leading space and CRLF is still read.
    assert any(f.at == datetime(2015, 2, 25, 7, 41, 57, 799_000, tzinfo=UTC)
               for f in log.fixes)
    fixes, _, reasons = read_capture("beidou-bd.log")  # sentence by sentence
    assert kinds(fixes) == Counter({"GNGGA": 5, "GNGNS": 5, "GNRMC": 5})
    assert fixes[0].at is None  # alone, the first GGA comes before any RMC
    assert reasons == log.reasons


def test_the_beidou_gb_capture() -> None:
    log = read_epochs("beidou-gb.log")
    assert log.reasons == Counter({NO_FIX: 6, VOID_STATUS: 3})
    assert log.ignored["GSV"] == 41  # 29 GPGSV and 12 GBGSV
    fix = log.fixes[0]
    assert fix.at == datetime(2015, 3, 2, 5, 32, 32, 438_000, tzinfo=UTC)
    assert (fix.lat, fix.lon) == pytest.approx((31.247982, 121.587403), abs=1e-5)
    assert fix.speed_ms == pytest.approx(0.26 * KNOT_MS)
    assert fix.course_deg == pytest.approx(167.42)


def test_the_boat_moves_south_west_across_the_ijsselmeer() -> None:
    fixes, _, reasons = read_capture("bundg_zeus_9.log")
    assert kinds(fixes) == Counter({"GPGGA": 138, "GPRMC": 146, "GPGLL": 147})
    assert reasons == Counter()
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
    log = read_epochs("bundg_zeus_9.log")
    assert sum(log.ignored.values()) == 4568  # the depth, wind and heading instruments too
    epochs = [f for f in log.fixes if f.at is not None]
    assert all(f.speed_ms is not None and f.speed_ms > 1.5 for f in epochs
               if "GPRMC" in f.sentences)


def test_the_haicom_walk_south_of_the_equator() -> None:
    log = read_epochs("haicom-305N.log")
    assert log.reasons == Counter({VOID_STATUS: 6, NO_FIX: 5})
    first = log.fixes[0]  # $GPGGA,095304.802,2712.6520,S,15303.1397,E,1,00,17.0,...
    assert (first.lat, first.lon) == pytest.approx((-27.210867, 153.052328), abs=1e-6)
    assert (first.satellites, first.hdop) == (0, 17.0)
    assert all(f.lat < 0 < f.lon for f in log.fixes)
    assert all(f.sentences == ("GPGGA", "GPRMC") for f in log.fixes)


def test_the_quectel_capture_starts_without_a_fix() -> None:
    log = read_epochs("quectel-eg25-g.log")
    assert log.reasons == Counter({NO_FIX: 74, VOID_STATUS: 37})  # 37 GGA, 37 GNS, 37 RMC
    first = log.fixes[0]  # $GPGGA,191503.01,3645.876324,N,03124.670280,E,1,03,1.3,...
    assert (first.lat, first.lon) == pytest.approx((36.764605, 31.411171), abs=1e-6)
    assert first.at == datetime(2022, 9, 11, 19, 15, 3, 10_000, tzinfo=UTC)


def test_the_ublox_capture_has_differential_fixes_without_course() -> None:
    log = read_epochs("ublox-neo-m9n-nmea.log")
    assert log.reasons == Counter()
    first = log.fixes[0]  # $GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V
    assert (first.lat, first.lon) == pytest.approx((38.110494, -122.626897), abs=1e-6)
    assert first.course_deg is None and first.speed_ms == pytest.approx(0.040 * KNOT_MS)
    assert {f.quality for f in log.fixes} == {2}
    assert all(f.at is not None for f in log.fixes)
    assert first.sentences == ("GNRMC", "GNGGA", "GNGLL")


def test_the_folded_checksum_is_the_xor_of_every_byte() -> None:
    """The fast checksum against a plain byte-by-byte XOR, on every line of the shared logs
    and on bodies of every length up to 200."""
    import functools
    import operator

    from dispatch.nmea import checksum
    from tests.conftest import SHARED_DATA

    bodies = [ln.strip()[1:].split("*", 1)[0]
              for log in sorted((SHARED_DATA / "radio" / "nmea").glob("*.log"))
              for ln in log.read_text(errors="replace").splitlines() if ln.startswith("$")]
    bodies += ["".join(chr(33 + (i * 7 + n) % 90) for i in range(n)) for n in range(201)]
    for body in bodies:
        assert checksum(body) == functools.reduce(operator.xor, body.encode("ascii", "replace"),
                                                  0), body
