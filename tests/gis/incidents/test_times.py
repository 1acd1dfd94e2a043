"""Time columns recognised from their values, refused when they read two ways."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from gis.errors import AmbiguousTimeError
from gis.incidents import parse_mapping, read_incidents
from gis.incidents.time_columns import (
    HHMM_EVIDENCE,
    TimeKind,
    clock_offsets,
    recognise_clock,
    recognise_date,
)
from gis.incidents.times import hour_histogram, parse_times

LA = "America/Los_Angeles"


def local(parsed: pd.Series, zone: str = LA) -> list[str]:
    return parsed.dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M").tolist()


def frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(values, dtype=str) for name, values in columns.items()})


def spread_days(n: int) -> list[str]:
    """``01/DD/2020`` month-first dates, some with a day above 12 (so the order is known)."""
    return [f"01/{i % 28 + 1:02d}/2020" for i in range(n)]


# -- time of day ---------------------------------------------------------------------------

def test_hhmm_whole_numbers_are_times_of_day() -> None:
    values = ["5", "100", "230", "2000", "2359", "0", "45"]
    reading = recognise_clock(pd.Series(values), column="TIME OCC")
    assert reading.kind is TimeKind.HHMM  # 2000 and 2359 cannot be minute counts
    assert "'5' is 00:05" in reading.note and "'100' is 01:00" in reading.note
    offsets = clock_offsets(pd.Series(values), TimeKind.HHMM)
    assert [int(o.total_seconds() // 60) for o in offsets] == [5, 60, 150, 1200, 1439, 0, 45]


def test_many_hhmm_values_decide_even_below_1440() -> None:
    morning = [str(h * 100 + m) for h in range(1, 12) for m in (0, 15, 30, 45)]
    assert len({int(v) for v in morning if int(v) >= 60}) >= HHMM_EVIDENCE
    assert recognise_clock(pd.Series(morning), column="t").kind is TimeKind.HHMM
    assert recognise_clock(pd.Series(["0530", "0915"]), column="t").kind is TimeKind.HHMM


def test_numbers_all_under_sixty_read_alike_both_ways_and_are_not_refused() -> None:
    # a one-row monthly file at 00:25: HHMM and minutes since midnight agree, no guess
    reading = recognise_clock(pd.Series(["25", "5", "25"]), column="TIME OCC")
    assert reading.kind is TimeKind.HHMM
    assert "'5' is 00:05" in reading.note and "the same as minutes" in reading.note


def test_numbers_that_read_as_hhmm_and_as_minutes_are_refused_with_examples() -> None:
    with pytest.raises(AmbiguousTimeError, match="'745' is 07:45 or 12:25") as caught:
        recognise_clock(pd.Series(["745", "745", "100", "30"]), column="Time")
    assert caught.value.field == "time_format" and caught.value.column == "Time"
    assert "745" in caught.value.examples


def test_numbers_ending_in_60_to_99_may_be_minute_counts_and_are_refused() -> None:
    with pytest.raises(AmbiguousTimeError, match="'75'.*time_format=minutes"):
        recognise_clock(pd.Series(["75", "1290", "600"]), column="Time")
    offsets = clock_offsets(pd.Series(["75", "1290", "1440"]), TimeKind.MINUTES)
    assert offsets.dt.total_seconds().tolist()[:2] == [75 * 60, 1290 * 60]
    assert pd.isna(offsets.iloc[2])


def test_a_few_bad_hhmm_values_are_rejected_rows_and_many_refuse_the_column() -> None:
    good = [str(h * 100 + 5) for h in range(24)] * 5
    reading = recognise_clock(pd.Series([*good, "2460"]), column="t")
    assert reading.kind is TimeKind.HHMM
    assert pd.isna(clock_offsets(pd.Series(["2460", "2400"]), TimeKind.HHMM)).all()
    with pytest.raises(AmbiguousTimeError, match="are not HHMM times"):
        recognise_clock(pd.Series([*good[:20], *["2460", "1999", "9999"] * 5]), column="t")


def test_excel_fractions_of_a_day_and_text_clocks() -> None:
    assert recognise_clock(pd.Series(["0.375", "0.5", ""]), column="t").kind is TimeKind.EXCEL
    assert clock_offsets(pd.Series(["0.375", "0.999988"]), TimeKind.EXCEL).dt.total_seconds(
    ).tolist() == [9 * 3600, 86_399]
    assert recognise_clock(pd.Series(["22:30", "7:05"]), column="t").kind is TimeKind.TEXT


def test_percent_h_percent_m_reads_short_numbers_zero_padded() -> None:
    values = frame(d=["2024-03-01"] * 4, t=["5", "100", "230", "2000"])
    parsed = parse_times(values, parse_mapping(
        "id=d,date=d,time=t,lon=d,lat=d,time_format=%H%M,tz=UTC"))
    assert local(parsed.occurred_at, "UTC") == [
        "2024-03-01 00:05", "2024-03-01 01:00", "2024-03-01 02:30", "2024-03-01 20:00"]


# -- dates ---------------------------------------------------------------------------------

def test_day_first_and_month_first_are_told_apart_by_a_day_above_12() -> None:
    assert recognise_date(pd.Series(["03/04/2023", "25/04/2023"]), column="d",
                          field="date_format").kind is TimeKind.DAY_FIRST
    assert recognise_date(pd.Series(["03/04/2023", "04/25/2023 10:00"]), column="d",
                          field="date_format").kind is TimeKind.MONTH_FIRST
    assert recognise_date(pd.Series(["2023/04/03"]), column="d",
                          field="date_format").kind is TimeKind.TEXT
    values = frame(d=["03.04.2023 08:15", "25.12.2023 23:40"])
    parsed = parse_times(values, parse_mapping("id=d,datetime=d,lon=d,lat=d,tz=UTC"))
    assert local(parsed.occurred_at, "UTC") == ["2023-04-03 08:15", "2023-12-25 23:40"]


def test_dates_that_read_both_ways_are_refused_with_examples() -> None:
    with pytest.raises(AmbiguousTimeError, match="'03/04/2023'.*date_format=dmy") as caught:
        recognise_date(pd.Series(["03/04/2023", "03/04/2023", "05/06/2023"]), column="Date",
                       field="date_format")
    assert caught.value.examples[0] == "03/04/2023"
    with pytest.raises(AmbiguousTimeError, match="mixes day-first and month-first"):
        recognise_date(pd.Series(["13/01/2023", "01/13/2023"]), column="Date",
                       field="datetime_format")
    values = frame(d=["03/04/2023", "05/06/2023"])
    parsed = parse_times(values, parse_mapping(
        "id=d,datetime=d,lon=d,lat=d,datetime_format=dmy,tz=UTC"))
    assert local(parsed.occurred_at, "UTC") == ["2023-04-03 00:00", "2023-06-05 00:00"]


def test_excel_serial_dates_and_unix_epochs() -> None:
    serials = frame(d=["45123", "45123.75"])
    parsed = parse_times(serials, parse_mapping("id=d,datetime=d,lon=d,lat=d,tz=UTC"))
    assert local(parsed.occurred_at, "UTC") == ["2023-07-16 00:00", "2023-07-16 18:00"]
    assert parsed.resolution.tolist() == ["day", "minute"]
    assert any("Excel serial dates" in note for note in parsed.notes)
    epochs = frame(e=["1577836800", "1600000000"], ms=["1577836800000", "1600000000500"])
    seconds = parse_times(epochs, parse_mapping("id=e,datetime=e,lon=e,lat=e"))
    assert local(seconds.occurred_at, "UTC") == ["2020-01-01 00:00", "2020-09-13 12:26"]
    assert seconds.resolution.tolist() == ["minute", "minute"]  # UTC: no zone needed
    millis = parse_times(epochs, parse_mapping("id=e,datetime=ms,lon=e,lat=e"))
    assert millis.occurred_at.tolist() == seconds.occurred_at.tolist()[:1] + [
        pd.Timestamp("2020-09-13T12:26:40.5Z")]
    # ten digits in the future are not an epoch: 2030010112 is no instant before 2034
    assert recognise_date(pd.Series(["2030010112"]), column="d", field="date_format",
                          now=datetime(2025, 1, 1, tzinfo=UTC)).kind is TimeKind.TEXT


# -- midnight --------------------------------------------------------------------------------

def test_a_datetime_column_that_is_always_midnight_is_read_as_dates() -> None:
    values = frame(d=[f"{day} 12:00:00 AM" for day in spread_days(30)])
    parsed = parse_times(values, parse_mapping("id=d,datetime=d,lon=d,lat=d,tz=" + LA))
    assert set(parsed.resolution) == {"day"}
    assert any("every time in 'd' is 00:00" in note for note in parsed.notes)


def test_a_large_share_of_midnights_is_reported() -> None:
    clocks = ["0"] * 10 + [str(h * 100 + 7) for h in range(1, 21)]
    values = frame(d=spread_days(30), t=clocks)
    parsed = parse_times(values, parse_mapping("id=d,date=d,time=t,lon=d,lat=d,tz=" + LA))
    assert set(parsed.resolution) == {"minute"}
    assert any("33% of the times in 't' are exactly 00:00" in n for n in parsed.notes)
    assert hour_histogram(parsed.occurred_at, pd.Series(LA, index=values.index),
                          parsed.resolution) == [10] + [1] * 20 + [0] * 3


def test_an_ambiguous_column_stops_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("id,date,time,lon,lat\na,2024-01-05,745,1,1\nb,2024-01-05,100,1,1\n",
                    encoding="utf-8")
    with pytest.raises(AmbiguousTimeError, match="'745' is 07:45 or 12:25"):
        read_incidents(path, mapping=parse_mapping("id=id,date=date,time=time,lon=lon,lat=lat,"
                                                   "tz=UTC"))
    result = read_incidents(path, mapping=parse_mapping(
        "id=id,date=date,time=time,lon=lon,lat=lat,tz=UTC,time_format=hhmm"))
    assert result.hours()[7] == 1 and result.hours()[1] == 1
