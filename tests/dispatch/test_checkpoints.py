"""Checkpoint passages, pure: plates and plate queries, records, CSV/JSON files, leg verdicts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pyproj import Geod

from dispatch.checkpoints import (
    BadRecord,
    InvalidPlate,
    Road,
    Sighting,
    UnreadPlate,
    Verdict,
    checked,
    csv_passages,
    json_passages,
    judge_leg,
    matches,
    normalise_plate,
    plate_query,
    read_passage,
    read_plate,
    read_time,
    straight_distance_m,
    trace_legs,
)
from dispatch.checkpoints.sites import parse_checkpoint_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, tzinfo=UTC)


# -- plates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["粤B12345", "粤b12345", "粤Ｂ１２３４５", "粤B·12345",
                                 "粤B-12345", " 粤 B 12345 ", "粤B．12345"])
def test_plates_are_normalised_whatever_the_width_case_and_separators(raw: str) -> None:
    assert read_plate(raw) == "粤B12345"


def test_unread_markers_are_not_plates_and_junk_is_refused() -> None:
    for marker in ("未识别", "无牌", "-", "", "Unknown", "车牌"):
        assert read_plate(marker) is None
    with pytest.raises(InvalidPlate) as bad:
        read_plate("粤B1234$")
    assert bad.value.field == "plate" and "not a number plate" in str(bad.value)
    with pytest.raises(InvalidPlate):
        read_plate("粤B12345678901")  # 14 characters


def test_plate_queries_exact_and_with_wildcards() -> None:
    exact = plate_query("粤ｂ·12345")
    assert exact.exact and exact.like == "粤B12345"
    suffix = plate_query("＊2345")
    assert not suffix.exact and suffix.like == "%2345" and suffix.literals == 4
    single = plate_query("粤B1?3?5")
    assert single.like == "粤B1_3_5"
    sql_style = plate_query("粤B%45")  # SQL's wildcards read as ours
    assert sql_style.text == "粤B*45" and sql_style.like == "粤B%45"
    assert plate_query("**A7**3").text == "*A7*3"


@pytest.mark.parametrize(("query", "why"), [
    ("*", "at least 3 known"), ("?1*", "at least 3 known"), ("", "give a plate"),
    ("粤B'1--", "cannot be in a plate"), ("A", "at least 2"),
    ("1234567890123*", "at most 12")])
def test_bad_plate_queries_say_why(query: str, why: str) -> None:
    with pytest.raises(InvalidPlate) as bad:
        plate_query(query)
    assert why in str(bad.value)


@pytest.mark.parametrize(("query", "plate", "expected"), [
    ("粤B*45", "粤B12345", True), ("粤B*45", "粤B12346", False), ("*2345", "粤B12345", True),
    ("粤B1?3?5", "粤B12345", True), ("粤B1?3?5", "粤B1235", False), ("*A7B*", "京A7B123", True),
    ("粤B12345", "粤B12345", True), ("粤B12345", "粤B123456", False)])
def test_matching_follows_the_wildcards(query: str, plate: str, expected: bool) -> None:
    assert matches(plate_query(query), plate) is expected


def test_normalising_is_idempotent() -> None:
    once = normalise_plate("ｊｉｎ　Ａ·1２3")
    assert once == "JINA123" and normalise_plate(once) == once


# -- records ---------------------------------------------------------------------------------

def test_times_in_the_forms_checkpoint_systems_write() -> None:
    expected = datetime(2026, 3, 1, 0, 15, 30, tzinfo=UTC)  # 08:15:30 in Shanghai
    for raw in ("2026-03-01 08:15:30", "2026/03/01 08:15:30", "20260301081530",
                "2026-03-01T08:15:30+08:00", "2026-03-01T00:15:30Z", 1772324130,
                "1772324130000"):
        assert read_time(raw, tz=SHANGHAI) == expected, raw
    assert read_time("20260301081530250", tz=SHANGHAI) == expected + timedelta(
        milliseconds=250)
    for bad in ("yesterday", "2026-02-30 08:00:00", "202603", True):
        with pytest.raises(ValueError):
            read_time(bad, tz=SHANGHAI)


def test_a_record_names_every_bad_field() -> None:
    with pytest.raises(BadRecord) as bad:
        read_passage({"checkpoint": "", "passed_at": "2027-01-01 00:00:00",
                      "plate": "粤B$", "lane": "x"}, tz=SHANGHAI, now=NOW)
    fields = [p.field for p in bad.value.problems]
    assert fields == ["checkpoint", "passed_at", "plate", "lane"]
    assert "required" in bad.value.problems[0].message
    assert "future" in bad.value.problems[1].message


def test_a_good_record_and_an_unread_one() -> None:
    record = read_passage({"checkpoint": "K01", "passed_at": "2026-03-01 08:00:00",
                           "plate": "粤b12345", "lane": "02", "direction": "东向西"},
                          tz=SHANGHAI, now=NOW)
    assert (record.plate, record.lane, record.direction) == ("粤B12345", 2, "东向西")
    assert record.passed_at == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    with pytest.raises(UnreadPlate):
        read_passage({"checkpoint": "K01", "passed_at": "2026-03-01 08:00:00",
                       "plate": "未识别"}, tz=SHANGHAI, now=NOW)
    with pytest.raises(BadRecord) as old:
        read_passage({"checkpoint": "K01", "passed_at": "2025-01-01 08:00:00",
                      "plate": "粤B12345"}, tz=SHANGHAI, now=NOW,
                     oldest=NOW - timedelta(days=30))
    assert "retention" in str(old.value)


# -- files -----------------------------------------------------------------------------------

CHINESE_CSV = """卡口编号,过车时间,号牌号码,方向,车道,车辆类型,车身颜色,备注
K01,2026-03-01 08:00:00,粤B12345,东向西,1,小型轿车,白,
K02,2026-03-01 08:05:00,粤Ｂ１２３４５,西向东,2,小型轿车,白,
K01,2026-03-01 08:06:00,无牌,东向西,1,,,
K09,not a time,粤B$,北,x,,,
"""


def test_a_chinese_csv_export_is_read_row_by_row() -> None:
    source = csv_passages(CHINESE_CSV)
    assert [(w.row, w.field) for w in source.warnings] == [(1, "备注")]
    rows = list(checked(source, tz=SHANGHAI, now=NOW))
    assert [r.row for r in rows] == [2, 3, 4, 5]
    assert rows[0].record is not None and rows[1].record is not None
    assert rows[1].record.plate == "粤B12345" and rows[1].record.lane == 2
    assert rows[2].unread and rows[2].record is None
    assert [(p.row, p.field) for p in rows[3].problems] == [
        (5, "passed_at"), (5, "plate"), (5, "lane")]


def test_pinyin_headings_and_a_semicolon_delimiter() -> None:
    source = csv_passages("KKBH;GCSJ;HPHM;CDBH\nK01;20260301080000;京A12345;3\n")
    (row,) = checked(source, tz=SHANGHAI, now=NOW)
    assert row.record is not None and row.record.checkpoint == "K01" and row.record.lane == 3


def test_a_csv_without_a_plate_column_is_refused_whole() -> None:
    source = csv_passages("卡口编号,过车时间,车道\nK01,2026-03-01 08:00:00,1\n")
    assert list(source.records) == []
    assert len(source.errors) == 1 and "missing required columns: plate" in (
        source.errors[0].message)


def test_gat1400_json_and_a_plain_list() -> None:
    document = {"MotorVehicleListObject": {"MotorVehicleObject": [
        {"TollgateID": "K01", "PassTime": "20260301080000", "PlateNo": "粤B12345",
         "LaneNo": 1, "VehicleColor": "A", "Extra": 1},
        {"TollgateID": "K01", "PassTime": "20260301080100"},
        "not an object"]}}
    source = json_passages(document)
    rows = list(checked(source, tz=SHANGHAI, now=NOW))
    assert rows[0].record is not None and rows[0].record.vehicle_colour == "A"
    assert [(p.row, p.field) for p in rows[1].problems] == [(2, "plate")]
    assert [(e.row, e.message) for e in source.errors] == [
        (3, "a passage must be a JSON object")]
    assert [w.field for w in source.warnings] == ["Extra"]
    assert json_passages({"rows": []}).errors


# -- legs ------------------------------------------------------------------------------------

def test_straight_distance_agrees_with_the_geodesic() -> None:
    geod = Geod(ellps="WGS84")
    _, _, expected = geod.inv(113.93, 22.53, 114.06, 22.55)  # Nanshan to Futian, Shenzhen
    assert math.isclose(straight_distance_m(113.93, 22.53, 114.06, 22.55), expected,
                        rel_tol=3e-3)


def test_hand_checked_verdicts() -> None:
    # 30 km of road driven at the limits in 25 min; 24 km apart as the crow flies.
    road = Road(road_s=1500.0, road_m=30_000.0)
    # fastest credible: max(1500 / 2, 30000 / 55.56, 24000 / 55.56) = 750 s
    assert judge_leg(1800, 24_000, road).verdict is Verdict.PLAUSIBLE
    assert judge_leg(1200, 24_000, road).verdict is Verdict.FAST  # 90 km/h average
    limit = judge_leg(700, 24_000, road)  # 700 + 60 tolerance > 750: possible
    assert limit.verdict is Verdict.FAST and limit.min_credible_s == 750.0
    cloned = judge_leg(300, 24_000, road)  # 360 km/h average
    assert cloned.verdict is Verdict.IMPOSSIBLE and cloned.speed_kmh == 360.0
    # without a route the straight line alone: 24 km in 5 min cannot be done
    assert judge_leg(300, 24_000, None).verdict is Verdict.IMPOSSIBLE
    assert judge_leg(900, 24_000, None).verdict is Verdict.UNKNOWN
    assert judge_leg(0, 0, None, same_checkpoint=True).verdict is Verdict.SAME_CHECKPOINT
    with pytest.raises(ValueError):
        judge_leg(-1, 10, road)


def test_a_trace_is_judged_leg_by_leg_with_one_route_per_leg() -> None:
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    a = (113.93, 22.53)
    b = (114.06, 22.55)
    sightings = [Sighting("A", *a, start), Sighting("A", *a, start + timedelta(minutes=1)),
                 Sighting("B", *b, start + timedelta(minutes=3)),
                 Sighting("A", *a, start + timedelta(minutes=40))]
    asked = []

    def route(x: Sighting, y: Sighting) -> Road:
        asked.append((x.checkpoint, y.checkpoint))
        return Road(road_s=900.0, road_m=16_000.0)

    legs = trace_legs(sightings, route)
    assert [leg.judgement.verdict for leg in legs] == [
        Verdict.SAME_CHECKPOINT, Verdict.IMPOSSIBLE, Verdict.PLAUSIBLE]
    assert asked == [("A", "B"), ("B", "A")]
    with pytest.raises(ValueError):
        trace_legs(sightings[::-1], route)


# -- checkpoint sites --------------------------------------------------------------------------

def test_a_checkpoint_csv_names_bad_rows_and_repeated_codes() -> None:
    parsed = parse_checkpoint_csv(
        "卡口编号,卡口名称,经度,纬度,方向,备注\n"
        "K01,深南大道,114.0683,22.5431,东向西|西向东 | 东向西,\n"
        "K 2,滨河大道,114.05,22.53,,\n"
        "K03,,200,22.53,,\n"
        "K01,again,114.0,22.5,,\n")
    assert [site.code for site in parsed.rows] == ["K01"]
    assert parsed.rows[0].directions == ["东向西", "西向东"]  # blanks and repeats dropped
    assert [(e.row, e.field) for e in parsed.errors] == [
        (3, "code"), (4, "name"), (4, "lon"), (5, "code")]
    assert "first on line 2" in parsed.errors[-1].message
    assert [w.field for w in parsed.warnings] == ["备注"]
    assert parse_checkpoint_csv("卡口编号,经度\nK1,1\n").errors[0].message.startswith(
        "missing required columns: name, lat")
