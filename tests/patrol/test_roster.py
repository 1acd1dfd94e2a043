"""Roster import: CSV (UTF-8 or GB18030, English or Chinese headings) and JSON rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from patrol.roster import (
    RosterRow,
    RowError,
    parse_roster_csv,
    parse_roster_json,
    roster_interval,
)
from patrol.shifts import InvalidShiftSpec, ShiftDef, elapsed, parse_shifts

MONDAY = date(2024, 3, 4)
ZH_ROSTER = """日期,班次,呼号,网格,派出所,开始,结束,备注
2024-03-04,白班,P-101,G01、G02,东城派出所,,,
2024/03/04,中班,P-102,G03;G04 | G05,东城派出所,,,
2024/3/5,夜班,P-103,G06,西城派出所,,,雨天加强
2024-03-04,白班,P-104,G07,,09:30,17:30,弹性错时
"""
EN_ROSTER = """Date,Shift,Callsign,Grids,Station,Start,End,Note
2024-03-04,day,P-101,G01 G02,East,,,
2024-03-04,Evening,P-102,G03,East,,,
"""


def test_a_chinese_roster_in_gb18030_reads_every_row() -> None:
    result = parse_roster_csv(ZH_ROSTER.encode("gb18030"))
    assert result.encoding == "gb18030"
    assert (result.errors, result.warnings) == ([], [])
    assert result.lines == [2, 3, 4, 5]
    assert result.rows == [
        RosterRow(MONDAY, "day", "P-101", ("G01", "G02"), "东城派出所"),
        RosterRow(MONDAY, "evening", "P-102", ("G03", "G04", "G05"), "东城派出所"),
        RosterRow(date(2024, 3, 5), "night", "P-103", ("G06",), "西城派出所",
                  note="雨天加强"),
        RosterRow(MONDAY, "day", "P-104", ("G07",), None, time(9, 30), time(17, 30), "弹性错时"),
    ]


def test_the_same_roster_in_utf8_with_a_bom_reads_the_same() -> None:
    gb = parse_roster_csv(ZH_ROSTER.encode("gb18030"))
    utf8 = parse_roster_csv(b"\xef\xbb\xbf" + ZH_ROSTER.encode("utf-8"))
    assert utf8.encoding == "utf-8"
    assert utf8.rows == gb.rows
    assert parse_roster_csv(ZH_ROSTER).rows == gb.rows


def test_english_headings_other_delimiters_and_other_chinese_headings() -> None:
    assert [r.shift for r in parse_roster_csv(EN_ROSTER.encode()).rows] == ["day", "evening"]
    semicolon = EN_ROSTER.replace(",", ";").replace("G01 G02", '"G01,G02"')
    assert parse_roster_csv(semicolon.encode()).rows[0].grids == ("G01", "G02")
    tabbed = "日期\t班次\t警号\t驻地\n2024年3月4日\tNIGHT\t012345\t东城\n"
    result = parse_roster_csv(tabbed.encode("gb18030"))
    assert result.rows == [RosterRow(MONDAY, "night", "012345", (), "东城")]
    units = "date,shift,单位\n2024-03-04,day,东城巡逻一组\n"
    assert parse_roster_csv(units.encode()).rows[0].unit == "东城巡逻一组"


def test_shifts_are_named_by_a_configured_code_or_label() -> None:
    shifts = parse_shifts("early=06:00-14:00,late=14:00-22:00,night=22:00-06:00")
    text = "date,shift,unit\n2024-03-04,early,A\n2024-03-04,夜班,B\n2024-03-04,白班,C\n"
    result = parse_roster_csv(text.encode(), shifts=shifts)
    assert [(r.unit, r.shift) for r in result.rows] == [("A", "early"), ("B", "night")]
    assert result.errors == [RowError(4, "shift", (
        "unknown shift '白班'; use early (early), late (late), night (夜班)"))]
    with pytest.raises(InvalidShiftSpec):
        parse_roster_csv(text.encode(), shifts=[])


HEADING = "date,shift,unit,grids,station,start,end,note\n"


@pytest.mark.parametrize(("row", "field", "message"), [
    ("2024-13-04,day,A,,,,,", "date", "'2024-13-04' is not a date (use YYYY-MM-DD or YYYY/MM/DD)"),
    ("04/03/2024,day,A,,,,,", "date", "'04/03/2024' is not a date"),
    ("2024-03-04/05,day,A,,,,,", "date", "is not a date"),
    (",day,A,,,,,", "date", "required, but empty"),
    ("2024-03-04,,A,,,,,", "shift", "required, but empty"),
    ("2024-03-04,早班,A,,,,,", "shift", "unknown shift '早班'; use day (白班), evening (中班)"),
    ("2024-03-04,day,,,,,,", "unit", "required, but empty"),
    ("2024-03-04,day," + "X" * 65 + ",,,,,", "unit", "longer than 64 characters"),
    ("2024-03-04,day,A,,,7:75,16:00,", "start", "'7:75' is not a time (use HH:MM, 00:00-23:59)"),
    ("2024-03-04,day,A,,,08:00,24:30,", "end", "'24:30' is not a time (use HH:MM, 00:00-24:00)"),
    ("2024-03-04,day,A,,,09:00,,", "end", "required when start is given"),
    ("2024-03-04,day,A,,,,17:00,", "start", "required when end is given"),
    ("2024-03-04,day,A,,," + ",,\x07", "note", "contains a control character"),
    ("2024-03-04,day,A,,,,,,extra", None, "row has 9 cells but the heading has 8"),
])
def test_every_row_error_names_its_line_and_field(
        row: str, field: str | None, message: str) -> None:
    text = HEADING + "2024-03-04,day,OK,G1,,,,\n\n" + row + "\n2024-03-04,evening,OK2,G2,,,,\n"
    result = parse_roster_csv(text.encode())
    assert [r.unit for r in result.rows] == ["OK", "OK2"]  # good rows kept
    assert result.lines == [2, 5]
    assert len(result.errors) >= 1
    error = result.errors[0]
    assert (error.row, error.field) == (4, field)
    assert message in error.message


def test_a_row_with_several_problems_reports_each() -> None:
    result = parse_roster_csv((HEADING + "2024-02-30,noon,,,,25:00,,\n").encode())
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "date"), (2, "shift"), (2, "unit"), (2, "start"), (2, "end")]
    assert result.rows == []


@pytest.mark.parametrize(("text", "errors"), [
    ("shift,unit\n2024-03-04,A\n", [(1, "date", "missing required column date "
                                     "(found: shift, unit)")]),
    ("呼号,班次\n", [(1, "date", "missing required column date (found: 呼号, 班次)")]),
    ("\n\ndate,日期,shift,unit\n", [(3, "date", "columns 'date', '日期' all give date")]),
    ("", [(1, None, "the file is empty")]),
    ("\n  \n", [(1, None, "the file is empty")]),
])
def test_heading_errors_name_line_and_field_and_read_no_rows(
        text: str, errors: list[tuple[int, str | None, str]]) -> None:
    result = parse_roster_csv(text.encode())
    assert result.rows == []
    assert len(result.errors) == len(errors)
    for (line, field, message), error in zip(errors, result.errors, strict=True):
        assert (error.row, error.field) == (line, field)
        assert message in error.message


def test_every_missing_column_is_its_own_error() -> None:
    result = parse_roster_csv("网格,备注\nG1,x\n".encode())
    assert [(e.row, e.field) for e in result.errors] == [
        (1, "date"), (1, "shift"), (1, "unit")]


def test_undecodable_bytes_are_one_error() -> None:
    result = parse_roster_csv(b"date,shift,unit\n\xff\xfe\xff,day,A\n")
    assert result.errors == [RowError(1, None, "the file is neither UTF-8 nor GB18030 nor "
                                               "UTF-16 text")]
    assert result.encoding is None


def test_unknown_columns_and_repeated_grids_are_warnings() -> None:
    text = "日期,班次,呼号,颜色,,网格\n2024-03-04,白班,A,red,x,G1、G2、G1\n"
    result = parse_roster_csv(text.encode())
    assert result.rows[0].grids == ("G1", "G2")
    assert result.warnings == [
        RowError(1, "颜色", "unknown column '颜色' ignored"),
        RowError(1, None, "column 5 has no heading; ignored"),
        RowError(2, "grids", "repeated grids G1 counted once"),
    ]


def test_a_unit_on_overlapping_shifts_is_an_error_naming_both_lines() -> None:
    text = HEADING + "\n".join([
        "2024-03-04,day,P-101,G1,,,,",
        "2024-03-04,evening,P-101,G2,,,,",  # touches the day shift: a double shift
        "2024-03-04,day,p-101,G3,,,,",  # same shift again (callsigns ignore case)
        "2024-03-04,evening,P-102,G4,,,,",
        "2024-03-04,night,P-102,G5,,20:00,02:00,",  # elastic, overlaps the evening shift
        "2024-03-05,night,P-102,G6,,,,",  # 00:00-08:00 on the 5th: touches nothing kept
    ]) + "\n"
    result = parse_roster_csv(text.encode())
    assert result.lines == [2, 3, 5, 7]
    assert result.errors == [
        RowError(4, "unit", "unit p-101 is already on duty 2024-03-04 08:00–16:00 on line 2; "
                 "this row's 2024-03-04 08:00–16:00 overlaps it"),
        RowError(6, "unit", "unit P-102 is already on duty 2024-03-04 16:00–24:00 on line 5; "
                 "this row's 2024-03-04 20:00–02:00 overlaps it"),
    ]


def test_a_night_running_past_midnight_clashes_with_the_next_morning() -> None:
    shifts = parse_shifts("early=06:00-14:00,late=14:00-22:00,night=22:00-06:00")
    text = ("date,shift,unit,start,end\n2024-03-04,night,A,,\n"
            "2024-03-05,early,A,05:00,13:00\n2024-03-05,early,B,,\n")
    result = parse_roster_csv(text.encode(), shifts=shifts)
    assert [r.unit for r in result.rows] == ["A", "B"]
    assert [(e.row, e.field) for e in result.errors] == [(3, "unit")]
    assert "on line 2" in result.errors[0].message


def test_json_rows_are_validated_like_csv_rows() -> None:
    result = parse_roster_json([
        {"date": "2024-03-04", "shift": "day", "unit": "P-101", "grids": ["G1", "G2"],
         "start": None, "note": ""},
        {"日期": MONDAY, "班次": "夜班", "警号": 12345, "网格": "G3、G4",
         "start": time(22), "end": "24:00"},
        {"date": "2024-03-04", "shift": "day", "unit": "P-103", "colour": "red",
         "grids": [1]},
        "P-104",
        {"date": "2024-03-04", "shift": "day", "unit": "P-101"},
        {"date": "2024-03-04", "shift": "day", "unit": True, "callsign": "X"},
        {"date": "2024-03-04", "shift": "day", "unit": "  ", "警号": None},
    ])
    assert result.rows == [
        RosterRow(MONDAY, "day", "P-101", ("G1", "G2")),
        RosterRow(MONDAY, "night", "12345", ("G3", "G4"), start=time(22), end=time(0)),
    ]
    assert result.lines == [0, 1]
    assert result.errors == [
        RowError(2, "colour", "unknown field 'colour'"),
        RowError(2, "grids", "must be text, not int"),
        RowError(3, None, "expected an object"),
        RowError(4, "unit", "unit P-101 is already on duty 2024-03-04 08:00–16:00 on item 0; "
                 "this row's 2024-03-04 08:00–16:00 overlaps it"),
        RowError(5, "unit", "unit is given twice"),
        RowError(5, "unit", "must be text, not bool"),
        RowError(6, "unit", "unit is given twice"),
        RowError(6, "unit", "required, but empty"),
    ]
    assert parse_roster_json({"rows": []}).errors == [
        RowError(0, None, "expected a list of roster rows")]
    assert parse_roster_json([]).rows == []


def test_json_refuses_a_bool_unit_and_a_datetime_date() -> None:
    result = parse_roster_json([
        {"date": datetime(2024, 3, 4, 8), "shift": "day", "unit": True, "grids": 7}])
    assert [(e.field, e.message) for e in result.errors] == [
        ("date", "datetime.datetime(2024, 3, 4, 8, 0) is not a date (use YYYY-MM-DD or "
                 "YYYY/MM/DD)"),
        ("unit", "must be text, not bool"),
        ("grids", "must be text or a list of grid IDs, not int"),
    ]


def test_roster_interval_uses_the_row_times_or_the_shift_across_dst() -> None:
    london = ZoneInfo("Europe/London")
    spring = date(2024, 3, 31)
    night = RosterRow(spring, "night", "A")
    start, end = roster_interval(night, london)
    assert elapsed(start, end) == timedelta(hours=7)
    elastic = RosterRow(spring, "night", "A", start=time(22), end=time(6))
    start, end = roster_interval(elastic, london)
    assert start.astimezone(UTC) == datetime(2024, 3, 31, 21, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2024, 4, 1, 5, tzinfo=UTC)
    other = [ShiftDef("early", time(6), time(14), "Early", "早班")]
    with pytest.raises(InvalidShiftSpec, match="'night' is not in the shift set"):
        roster_interval(night, london, shifts=other)
