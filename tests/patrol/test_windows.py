"""Must-visit windows per weekday, concrete intervals inside a shift, dose periods, seconds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from patrol.shifts import DEFAULT_SHIFTS, NaiveDatetime, elapsed, shift_interval
from patrol.windows import (
    InvalidDoseSpec,
    InvalidInterval,
    InvalidWindow,
    Window,
    describe_weekdays,
    dose_windows,
    format_window,
    parse_weekdays,
    parse_windows,
    to_seconds,
    windows_in_interval,
)

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY, EVENING, NIGHT = DEFAULT_SHIFTS
MONDAY = date(2024, 3, 4)
WORKDAYS = frozenset(range(5))
MIN = timedelta(minutes=1)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


@pytest.mark.parametrize(("value", "expected"), [
    (["mon", "tue"], {0, 1}), ([0, 1], {0, 1}), ("mon-fri", WORKDAYS),
    ("weekdays", WORKDAYS), ("Weekend", {5, 6}), ("daily", set(range(7))),
    ("周一至周五", WORKDAYS), ("周一至五", WORKDAYS), ("工作日", WORKDAYS), ("周末", {5, 6}),
    ("每天", set(range(7))), ("Monday", {0}), ("SUN", {6}), ("thurs", {3}),
    ("星期日", {6}), ("礼拜天", {6}), ("周六", {5}), ("fri-mon", {4, 5, 6, 0}),
    ("mon, wed,fri", {0, 2, 4}), ("周一、周三", {0, 2}), ("sat sun", {5, 6}),
    (["mon-wed", "周五", 6], {0, 1, 2, 4, 6}), ("周五至周一", {4, 5, 6, 0}), (3, {3}),
])
def test_weekdays_in_english_chinese_numbers_ranges_and_groups(
        value: object, expected: set[int]) -> None:
    assert parse_weekdays(value) == frozenset(expected)


@pytest.mark.parametrize(("value", "message"), [
    ("funday", "'funday' is not a weekday; use mon..sun"),
    ("1", "'1' is not a weekday"),  # ISO or 0-based? refused
    (7, "7 is not a weekday"), (True, "True is not a weekday"), ([], "no weekdays"),
    ("", "no weekdays"), ("mon-xyz", "'mon-xyz' is not a weekday"), ({"mon"}, "not a weekday"),
])
def test_weekday_junk_is_quoted(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weekdays(value)


def test_parse_windows_reads_json_text_and_lists() -> None:
    text = json.dumps([
        {"weekdays": ["mon", "tue"], "start": "07:30", "end": "08:15"},
        {"weekdays": "周一至周五", "start": "16:30", "end": "17:15"},
        {"weekdays": "weekend", "start": "22:00", "end": "02:00"},
        {"start": "18:00", "end": "24:00"},
    ], ensure_ascii=False)
    windows = parse_windows(text)
    assert windows == (
        Window(frozenset({0, 1}), time(7, 30), time(8, 15)),
        Window(WORKDAYS, time(16, 30), time(17, 15)),
        Window(frozenset({5, 6}), time(22), time(2)),
        Window(frozenset(range(7)), time(18), time(0)),
    )
    assert parse_windows(json.loads(text)) == windows
    assert parse_windows([windows[0]]) == windows[:1]
    assert parse_windows(None) == parse_windows("") == parse_windows("[]") == ()


def test_window_errors_name_the_index_and_field_and_all_are_reported() -> None:
    with pytest.raises(InvalidWindow) as caught:
        parse_windows([
            {"weekdays": "mon", "start": "07:30", "end": "08:15"},
            {"weekdays": "mon", "start": "7:75", "end": "08:15"},
            {"weekdays": "funday", "end": "25:00", "colour": "red"},
            "07:30-08:15",
        ])
    assert caught.value.problems == (
        "windows[1].start: '7:75' is not a time (use HH:MM, 00:00-23:59)",
        "windows[2].colour: unknown field (use weekdays, start, end)",
        "windows[2].weekdays: 'funday' is not a weekday; use mon..sun, 0-6 (0 = Monday), "
        "mon-fri, weekdays, weekend, daily, 周一..周日, 周一至周五, 工作日, 周末 or 每天",
        "windows[2].start: required",
        "windows[2].end: '25:00' is not a time (use HH:MM, 00:00-24:00)",
        "windows[3]: expected an object with weekdays, start and end",
    )
    assert str(caught.value).startswith("windows[1].start: '7:75' is not a time")


@pytest.mark.parametrize(("value", "message"), [
    ("[{", r"windows: not JSON \(Expecting property name"),
    ('{"start": "07:30"}', "windows: expected a list"),
    ([{"weekdays": [], "start": "07:30", "end": "08:00"}], r"windows\[0\].weekdays: no weekdays"),
    ([{"start": 730, "end": "08:00"}], r"windows\[0\].start: 730 is not a time"),
    ([{"start": " ", "end": None}], r"windows\[0\].start: required; windows\[0\].end: required"),
])
def test_other_window_errors(value: object, message: str) -> None:
    with pytest.raises(InvalidWindow, match=message):
        parse_windows(value)  # type: ignore[arg-type]


def test_windows_are_checked_when_built_directly() -> None:
    with pytest.raises(InvalidWindow, match="weekdays"):
        Window(frozenset({7}), time(7), time(8))
    with pytest.raises(InvalidWindow, match="weekdays"):
        Window(frozenset(), time(7), time(8))
    with pytest.raises(InvalidWindow, match="end must be a naive time"):
        Window(WORKDAYS, time(7), time(8, tzinfo=UTC))


def test_no_windows_means_the_whole_shift() -> None:
    start, end = shift_interval(DAY, MONDAY, SHANGHAI)
    assert windows_in_interval([], start, end) == [(start, end)]


def test_windows_are_clipped_to_the_shift_and_merged() -> None:
    windows = parse_windows([
        {"weekdays": "mon-fri", "start": "07:30", "end": "08:15"},  # clipped: from 08:00
        {"weekdays": "mon", "start": "10:00", "end": "11:00"},
        {"weekdays": "daily", "start": "10:30", "end": "11:30"},  # overlaps: merged
        {"weekdays": "daily", "start": "11:30", "end": "12:00"},  # touches: merged
        {"weekdays": "tue", "start": "13:00", "end": "14:00"},  # not on Monday
        {"weekdays": "mon", "start": "15:30", "end": "16:30"},  # clipped to 16:00
    ])
    start, end = shift_interval(DAY, MONDAY, SHANGHAI)
    assert windows_in_interval(windows, start, end) == [
        (at(MONDAY, 8), at(MONDAY, 8, 15)), (at(MONDAY, 10), at(MONDAY, 12)),
        (at(MONDAY, 15, 30), at(MONDAY, 16))]
    assert windows_in_interval(windows, *shift_interval(DAY, MONDAY, SHANGHAI))[0][0].tzinfo \
        is SHANGHAI


def test_a_window_crossing_midnight_counts_on_the_weekday_it_starts() -> None:
    sunday_late = parse_windows([{"weekdays": "周日", "start": "23:00", "end": "01:00"}])
    monday_late = parse_windows([{"weekdays": "mon", "start": "23:00", "end": "01:00"}])
    night = shift_interval(NIGHT, MONDAY, SHANGHAI)  # Monday 00:00-08:00
    assert windows_in_interval(sunday_late, *night) == [(at(MONDAY, 0), at(MONDAY, 1))]
    assert windows_in_interval(monday_late, *night) == []
    sunday_evening = shift_interval(EVENING, MONDAY - timedelta(days=1), SHANGHAI)
    assert windows_in_interval(sunday_late, *sunday_evening) == [
        (at(MONDAY - timedelta(days=1), 23), at(MONDAY, 0))]
    monday_evening = shift_interval(EVENING, MONDAY, SHANGHAI)
    assert windows_in_interval(monday_late, *monday_evening) == [
        (at(MONDAY, 23), at(MONDAY + timedelta(days=1), 0))]


def test_windows_over_a_dst_change_measure_real_time() -> None:
    spring = date(2024, 3, 31)  # a Sunday: 01:00-02:00 does not exist in London
    windows = parse_windows([{"weekdays": "sun", "start": "01:00", "end": "03:00"}])
    [(start, end)] = windows_in_interval(windows, *shift_interval(NIGHT, spring, LONDON))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2024, 3, 31, 1, tzinfo=UTC), datetime(2024, 3, 31, 2, tzinfo=UTC))
    assert elapsed(start, end) == timedelta(hours=1)
    autumn = date(2024, 10, 27)  # 01:00-02:00 happens twice
    [(start, end)] = windows_in_interval(windows, *shift_interval(NIGHT, autumn, LONDON))
    assert elapsed(start, end) == timedelta(hours=3)


def test_window_intervals_need_an_aware_forward_interval() -> None:
    start, end = shift_interval(DAY, MONDAY, SHANGHAI)
    with pytest.raises(InvalidInterval, match="is not after"):
        windows_in_interval([], end, start)
    with pytest.raises(NaiveDatetime, match="end="):
        windows_in_interval([], start, end.replace(tzinfo=None))


def test_an_eight_hour_shift_has_four_two_hour_dose_periods() -> None:
    start, end = shift_interval(DAY, MONDAY, SHANGHAI)
    periods = dose_windows(start, end)
    assert periods == [(at(MONDAY, h), at(MONDAY, h + 2)) for h in (8, 10, 12, 14)]


def test_a_seven_hour_shift_keeps_a_shortened_last_period() -> None:
    start = at(MONDAY, 8)
    periods = dose_windows(start, start + timedelta(hours=7))
    assert [elapsed(a, b) for a, b in periods] == [timedelta(hours=h) for h in (2, 2, 2, 1)]
    assert periods[-1][1] == at(MONDAY, 15)


def test_a_trailing_period_shorter_than_a_dose_is_dropped() -> None:
    start = at(MONDAY, 8)
    assert len(dose_windows(start, start + timedelta(hours=6, minutes=5))) == 3
    assert len(dose_windows(start, start + timedelta(hours=6, minutes=10))) == 4
    assert dose_windows(start, start + 5 * MIN) == []
    assert dose_windows(start, start + timedelta(hours=3), revisit_min=60, dose_min=15) == [
        (at(MONDAY, h), at(MONDAY, h + 1)) for h in (8, 9, 10)]


def test_dose_periods_count_real_minutes_on_dst_nights() -> None:
    short = dose_windows(*shift_interval(NIGHT, date(2024, 3, 31), LONDON))
    assert [elapsed(a, b) for a, b in short] == [timedelta(hours=h) for h in (2, 2, 2, 1)]
    long = dose_windows(*shift_interval(NIGHT, date(2024, 10, 27), LONDON))
    assert [elapsed(a, b) for a, b in long] == [timedelta(hours=h) for h in (2, 2, 2, 2, 1)]


@pytest.mark.parametrize(("revisit", "dose", "message"), [
    (0, 10, "revisit_min=0 must be a positive"), (120, -1, "dose_min=-1 must be a positive"),
    (float("nan"), 10, "revisit_min=nan"), (60, 90, "dose_min=90 is longer than revisit_min=60"),
    (True, 10, "revisit_min=True"), (1e-9, 1e-9, "at least one second"),
])
def test_dose_parameters_are_checked(revisit: float, dose: float, message: str) -> None:
    with pytest.raises(InvalidDoseSpec, match=message):
        dose_windows(at(MONDAY, 8), at(MONDAY, 16), revisit_min=revisit, dose_min=dose)


def test_to_seconds_counts_real_seconds_from_the_epoch() -> None:
    start, end = shift_interval(NIGHT, date(2024, 3, 31), LONDON)
    assert to_seconds(dose_windows(start, end), epoch=start) == (
        (0, 7200), (7200, 14400), (14400, 21600), (21600, 25200))
    assert to_seconds([], epoch=start) == ()
    odd = (start + timedelta(seconds=1.5), start + timedelta(seconds=9.5))
    assert to_seconds([odd], epoch=start) == ((2, 9),)  # rounded inwards
    utc = (datetime(2024, 3, 31, 1, tzinfo=UTC), datetime(2024, 3, 31, 2, tzinfo=UTC))
    assert to_seconds([utc], epoch=start) == ((3600, 7200),)


def test_to_seconds_refuses_what_a_solver_cannot_take() -> None:
    start, end = at(MONDAY, 8), at(MONDAY, 16)
    with pytest.raises(InvalidInterval, match="interval 0 starts .* before the epoch"):
        to_seconds([(start, end)], epoch=end)
    with pytest.raises(InvalidInterval, match="holds no whole second"):
        to_seconds([(start + timedelta(seconds=0.2), start + timedelta(seconds=0.7))],
                   epoch=start)
    with pytest.raises(InvalidInterval, match="is not after"):
        to_seconds([(end, start)], epoch=start)
    with pytest.raises(NaiveDatetime, match="epoch="):
        to_seconds([(start, end)], epoch=start.replace(tzinfo=None))


def test_format_window_for_messages() -> None:
    assert format_window(time(7, 30), time(8, 15)) == "07:30–08:15"
    assert format_window(time(16), time(0)) == "16:00–24:00"
    assert format_window(at(MONDAY, 23), at(MONDAY + timedelta(days=1), 1)) == "23:00–01:00 (+1)"
    assert format_window(*shift_interval(EVENING, MONDAY, SHANGHAI)) == "16:00–24:00"
    assert format_window(at(MONDAY, 8), datetime(2024, 3, 4, 8, tzinfo=UTC)) == "08:00–16:00"
    assert str(Window(WORKDAYS, time(7, 30), time(8, 15))) == "mon-fri 07:30–08:15"
    assert describe_weekdays({0, 2, 5, 6}) == "mon, wed, sat, sun"
    assert describe_weekdays(range(7), lang="zh") == "每天"
    assert describe_weekdays({5, 6, 0, 1, 2}, lang="zh") == "周一至周三、周六、周日"
