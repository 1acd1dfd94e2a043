"""Shift definitions, the three-shift day, shifts as real intervals across DST, shift_for."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from patrol.shifts import (
    DEFAULT_SHIFTS,
    InvalidClockTime,
    InvalidShiftSpec,
    NaiveDatetime,
    ShiftDef,
    check_shifts,
    custom_interval,
    elapsed,
    format_clock,
    local_moment,
    parse_clock,
    parse_shifts,
    shift_for,
    shift_interval,
    shift_named,
)

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY, EVENING, NIGHT = DEFAULT_SHIFTS
SPRING = date(2024, 3, 31)  # London: 01:00 GMT -> 02:00 BST
AUTUMN = date(2024, 10, 27)  # London: 02:00 BST -> 01:00 GMT
HOUR = timedelta(hours=1)


def test_the_default_day_has_three_eight_hour_shifts_with_chinese_labels() -> None:
    assert [(s.code, s.label_en, s.label_zh) for s in DEFAULT_SHIFTS] == [
        ("day", "Day", "白班"), ("evening", "Evening", "中班"), ("night", "Night", "夜班")]
    assert [(s.start, s.end) for s in DEFAULT_SHIFTS] == [
        (time(8), time(16)), (time(16), time(0)), (time(0), time(8))]
    assert [s.crosses_midnight for s in DEFAULT_SHIFTS] == [False, True, False]
    assert str(EVENING) == "evening 16:00–24:00"
    check_shifts(DEFAULT_SHIFTS)


def test_parse_shifts_reads_the_configured_three_shift_day() -> None:
    text = "day=08:00-16:00,evening=16:00-24:00,night=00:00-08:00"
    assert parse_shifts(text) == DEFAULT_SHIFTS
    custom = parse_shifts(" early = 6:00 - 14:00 , late=14:00-22:00, night=22:00-06:00 ")
    assert [(s.code, s.start, s.end, s.label_zh) for s in custom] == [
        ("early", time(6), time(14), "early"), ("late", time(14), time(22), "late"),
        ("night", time(22), time(6), "夜班")]
    assert parse_shifts("all=00:00-24:00")[0].crosses_midnight


@pytest.mark.parametrize(("text", "message"), [
    ("", "no shifts given"),
    (" , ", "no shifts given"),
    ("day=08:00-16:00,evening", "shift 2 ('evening'): expected code=HH:MM-HH:MM"),
    ("9day=08:00-16:00", "shift 1 ('9day=08:00-16:00'): code '9day'"),
    ("day=08:00", "shift 1 ('day=08:00'): expected HH:MM-HH:MM after '='"),
    ("day=08:00-16:00,evening=16:00-25:00",
     "shift 2 ('evening=16:00-25:00'): end '25:00' is not a time"),
    ("day=24:00-08:00", "start '24:00' is not a time"),
    ("day=8h-16:00", "start '8h' is not a time"),
    ("day=08:00-16:00,day=16:00-24:00", "shift code 'day' is given twice"),
    ("day=08:00-16:00,Evening=16:00-24:00,evening=00:00-08:00",
     "'evening' names two shifts: Evening and evening"),
    ("day=08:00-16:00,late=15:00-23:00", "shifts day 08:00–16:00 and late 15:00–23:00 overlap"),
    ("night=22:00-06:00,early=05:00-13:00", "overlap"),
])
def test_parse_shifts_names_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidShiftSpec, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_shifts(text)


def test_shift_definitions_are_checked() -> None:
    with pytest.raises(InvalidShiftSpec, match="shift code"):
        ShiftDef("", time(8), time(16), "Day", "白班")
    with pytest.raises(InvalidShiftSpec, match="start must be a naive time"):
        ShiftDef("day", time(8, tzinfo=UTC), time(16), "Day", "白班")
    with pytest.raises(InvalidShiftSpec, match="labels must not be empty"):
        ShiftDef("day", time(8), time(16), "Day", " ")
    with pytest.raises(InvalidShiftSpec, match="'白班' names two shifts"):
        check_shifts([DAY, ShiftDef("x", time(16), time(17), "X", "白班")])
    with pytest.raises(InvalidShiftSpec, match="no shifts"):
        check_shifts([])
    check_shifts([DAY, EVENING])  # need not cover the day


@pytest.mark.parametrize(("text", "allow_24", "expected"), [
    ("7:30", False, time(7, 30)), ("07:30", False, time(7, 30)), (" 23:59 ", False, time(23, 59)),
    ("08：15", False, time(8, 15)), ("24:00", True, time(0)), ("00:00", True, time(0)),
])
def test_parse_clock_reads_wall_times(text: str, allow_24: bool, expected: time) -> None:
    assert parse_clock(text, allow_24=allow_24) == expected


@pytest.mark.parametrize("text", [
    "7:75", "24:00", "24:30", "7", "0730", "7:5", "", "noon", "１２:00", None, 7])
def test_parse_clock_refuses_junk_quoting_it(text: object) -> None:
    with pytest.raises(InvalidClockTime, match=r"is not a time \(use HH:MM"):
        parse_clock(text)


def test_parse_clock_passes_naive_times_and_refuses_aware_ones() -> None:
    assert parse_clock(time(7, 30)) == time(7, 30)
    with pytest.raises(InvalidClockTime, match="without a timezone"):
        parse_clock(time(7, 30, tzinfo=UTC))


def test_format_clock_writes_midnight_as_24_at_an_end() -> None:
    assert format_clock(time(7, 5)) == "07:05"
    assert format_clock(time(0)) == "00:00"
    assert format_clock(time(0), end=True) == "24:00"


def test_shift_intervals_on_an_ordinary_day_in_shanghai() -> None:
    day = date(2024, 3, 4)
    assert shift_interval(DAY, day, SHANGHAI) == (
        datetime(2024, 3, 4, 8, tzinfo=SHANGHAI), datetime(2024, 3, 4, 16, tzinfo=SHANGHAI))
    start, end = shift_interval(EVENING, day, SHANGHAI)
    assert end == datetime(2024, 3, 5, 0, tzinfo=SHANGHAI)
    assert end == shift_interval(NIGHT, date(2024, 3, 5), SHANGHAI)[0]  # handover at midnight
    assert elapsed(start, end) == 8 * HOUR
    assert start.astimezone(UTC) == datetime(2024, 3, 4, 8, tzinfo=UTC)


def test_a_london_night_shift_is_seven_hours_when_clocks_go_forward() -> None:
    start, end = shift_interval(NIGHT, SPRING, LONDON)
    assert (start.utcoffset(), end.utcoffset()) == (timedelta(0), HOUR)
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2024, 3, 31, 0, tzinfo=UTC), datetime(2024, 3, 31, 7, tzinfo=UTC))
    assert elapsed(start, end) == 7 * HOUR
    assert end - start == 8 * HOUR  # the wall-clock trap elapsed() avoids
    for shift in (DAY, EVENING):
        assert elapsed(*shift_interval(shift, SPRING, LONDON)) == 8 * HOUR


def test_a_london_night_shift_is_nine_hours_when_clocks_go_back() -> None:
    start, end = shift_interval(NIGHT, AUTUMN, LONDON)
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2024, 10, 26, 23, tzinfo=UTC), datetime(2024, 10, 27, 8, tzinfo=UTC))
    assert elapsed(start, end) == 9 * HOUR
    # a 22:00-06:00 night crossing the change starts the day before and is long too
    night = ShiftDef("night", time(22), time(6), "Night", "夜班")
    assert elapsed(*shift_interval(night, AUTUMN - timedelta(days=1), LONDON)) == 9 * HOUR
    assert elapsed(*shift_interval(night, SPRING - timedelta(days=1), LONDON)) == 7 * HOUR


def test_skipped_wall_times_move_later_and_repeated_ones_mean_the_first() -> None:
    skipped = local_moment(SPRING, time(1, 30), LONDON)
    assert (skipped.hour, skipped.minute, skipped.utcoffset()) == (2, 30, HOUR)
    assert skipped.astimezone(UTC) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    repeated = local_moment(AUTUMN, time(1, 30), LONDON)
    assert repeated.astimezone(UTC) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert repeated.fold == 0


def test_an_elastic_shift_uses_its_own_times_on_its_start_date() -> None:
    start, end = custom_interval(date(2024, 3, 4), time(10), time(18), SHANGHAI)
    assert (start.hour, end.hour, elapsed(start, end)) == (10, 18, 8 * HOUR)
    start, end = custom_interval(date(2024, 3, 4), time(20), time(2), SHANGHAI)
    assert end == datetime(2024, 3, 5, 2, tzinfo=SHANGHAI)
    start, end = custom_interval(date(2024, 3, 4), time(9), time(9), SHANGHAI)
    assert elapsed(start, end) == 24 * HOUR
    start, end = custom_interval(SPRING, time(0, 30), time(4), LONDON)
    assert elapsed(start, end) == 2.5 * HOUR


def test_elapsed_refuses_naive_datetimes() -> None:
    with pytest.raises(NaiveDatetime, match="start=2024-03-04T08:00:00 has no timezone"):
        elapsed(datetime(2024, 3, 4, 8), datetime(2024, 3, 4, 16, tzinfo=UTC))


@pytest.mark.parametrize(("moment", "code", "day"), [
    (datetime(2024, 3, 4, 8, tzinfo=SHANGHAI), "day", date(2024, 3, 4)),
    (datetime(2024, 3, 4, 15, 59, tzinfo=SHANGHAI), "day", date(2024, 3, 4)),
    (datetime(2024, 3, 4, 16, tzinfo=SHANGHAI), "evening", date(2024, 3, 4)),
    (datetime(2024, 3, 4, 23, 59, tzinfo=SHANGHAI), "evening", date(2024, 3, 4)),
    (datetime(2024, 3, 5, 0, tzinfo=SHANGHAI), "night", date(2024, 3, 5)),
    (datetime(2024, 3, 4, 16, tzinfo=UTC), "night", date(2024, 3, 5)),  # 00:00 in Shanghai
])
def test_shift_for_finds_the_shift_and_its_date(moment: datetime, code: str, day: date) -> None:
    found = shift_for(moment, DEFAULT_SHIFTS, SHANGHAI)
    assert found is not None
    assert (found.shift.code, found.day) == (code, day)
    assert found.start <= moment < found.end


def test_a_night_shift_over_midnight_belongs_to_the_date_it_starts() -> None:
    shifts = parse_shifts("early=06:00-14:00,late=14:00-22:00,night=22:00-06:00")
    for moment in (datetime(2024, 3, 4, 23, 30, tzinfo=SHANGHAI),
                   datetime(2024, 3, 5, 1, tzinfo=SHANGHAI)):
        found = shift_for(moment, shifts, SHANGHAI)
        assert found is not None and (found.shift.code, found.day) == ("night", date(2024, 3, 4))
    assert shift_for(datetime(2024, 3, 4, 20, tzinfo=SHANGHAI), [DAY], SHANGHAI) is None
    with pytest.raises(NaiveDatetime):
        shift_for(datetime(2024, 3, 4, 20), shifts, SHANGHAI)


def test_both_half_past_ones_of_the_autumn_night_fall_in_its_night_shift() -> None:
    first = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2024, 10, 27, 1, 30, tzinfo=UTC)  # 01:30 GMT
    for moment in (first, second):
        found = shift_for(moment, DEFAULT_SHIFTS, LONDON)
        assert found is not None and (found.shift.code, found.day) == ("night", AUTUMN)


@pytest.mark.parametrize("spec", [
    "day=08:00-16:00,evening=16:00-24:00,night=00:00-08:00",
    "early=06:00-14:00,late=14:00-22:00,night=22:00-06:00",
    "a=01:30-09:30,b=09:30-17:30,c=17:30-01:30",  # starts inside London's spring gap
])
def test_shifts_partition_every_minute_across_both_dst_changes(spec: str) -> None:
    """Brute force: each quarter hour lies in exactly one shift interval of the nearby dates."""
    shifts = parse_shifts(spec)
    for first_day in (date(2024, 3, 29), date(2024, 10, 25)):
        days = [first_day + timedelta(days=n) for n in range(5)]
        intervals = [(s.code, d, *shift_interval(s, d, LONDON)) for d in days for s in shifts]
        moment = datetime.combine(first_day + timedelta(days=1), time(0), tzinfo=UTC)
        for _ in range(3 * 96):
            holders = [(code, d) for code, d, a, b in intervals if a <= moment < b
                       and a.astimezone(UTC) <= moment < b.astimezone(UTC)]
            found = shift_for(moment, shifts, LONDON)
            assert found is not None and [(found.shift.code, found.day)] == holders
            moment += timedelta(minutes=15)


def test_shift_named_matches_codes_and_labels() -> None:
    assert shift_named("day") is DAY
    assert shift_named(" Evening ") is EVENING
    assert shift_named("夜班") is NIGHT
    assert shift_named("early") is None


def test_the_planning_modules_stay_free_of_the_web_stack() -> None:
    code = ("import sys, patrol.shifts, patrol.windows, "
            "patrol.roster; "
            "print(sorted({'flask', 'sqlalchemy', 'app', 'geoalchemy2'} & sys.modules.keys()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
