"""gis.hotspots.temporal: coarse records stay out of tables that need finer times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gis.errors import InvalidTimeResolutionError, InvalidValuesError
from gis.hotspots.temporal import WEEKDAYS, hour_weekday_counts, monthly_counts


def records() -> tuple[pd.Series, pd.Series]:
    timestamps = pd.Series(pd.to_datetime([
        "2024-03-01 00:00",   # police.uk: March 2024, month only (a Friday, midnight)
        "2024-01-01 00:00",   # month only (a Monday, midnight)
        "2024-03-04 00:00",   # a date only (Monday)
        "2024-03-04 22:15",   # Monday 22h
        "2024-03-04 22:59",   # Monday 22h
        "2024-03-10 08:30",   # Sunday 08h
        None,                 # no time at all
    ]), index=[10, 11, 12, 13, 14, 15, 16])
    resolution = pd.Series(["month", "month", "day", "minute", "minute", "minute", "minute"],
                           index=timestamps.index)
    return timestamps, resolution


def test_month_and_day_records_never_land_on_an_hour() -> None:
    timestamps, resolution = records()
    result = hour_weekday_counts(timestamps, resolution)
    assert result.table.shape == (7, 24)
    assert list(result.table.index) == list(WEEKDAYS)
    assert result.table.loc["Monday", 22] == 2
    assert result.table.loc["Sunday", 8] == 1
    assert result.table.loc["Monday", 0] == 0   # not the month-only January record
    assert result.table.loc["Friday", 0] == 0   # not the month-only March record
    assert result.table.to_numpy().sum() == 3
    assert (result.counted, result.too_coarse, result.missing) == (3, 3, 1)


def test_monthly_counts_use_every_record_with_a_time_and_fill_empty_months() -> None:
    timestamps, resolution = records()
    result = monthly_counts(timestamps, resolution)
    assert list(result.counts.index.astype(str)) == ["2024-01", "2024-02", "2024-03"]
    assert result.counts.tolist() == [1, 0, 5]
    assert (result.counted, result.too_coarse, result.missing) == (6, 0, 1)


def test_one_resolution_for_all_rows() -> None:
    timestamps, _ = records()
    assert hour_weekday_counts(timestamps, "month").counted == 0
    assert hour_weekday_counts(timestamps, "month").too_coarse == 6
    assert hour_weekday_counts(timestamps, "minute").table.loc["Monday", 0] == 2


def test_tz_aware_timestamps_are_read_in_their_own_zone() -> None:
    utc = pd.Series(pd.to_datetime(["2024-06-03 23:30"]).tz_localize("UTC"))
    local = utc.dt.tz_convert("Europe/London")          # 00:30 on Tuesday in BST
    assert hour_weekday_counts(utc, "minute").table.loc["Monday", 23] == 1
    assert hour_weekday_counts(local, "minute").table.loc["Tuesday", 0] == 1


def test_no_usable_rows_gives_empty_tables() -> None:
    timestamps = pd.Series(pd.to_datetime([None, None]))
    assert hour_weekday_counts(timestamps, "minute").table.to_numpy().sum() == 0
    monthly = monthly_counts(timestamps, "minute")
    assert monthly.counts.empty and monthly.missing == 2


def test_unknown_resolutions_and_misaligned_inputs_raise() -> None:
    timestamps, resolution = records()
    with pytest.raises(InvalidTimeResolutionError, match="'hour'"):
        hour_weekday_counts(timestamps, resolution.replace("day", "hour"))
    with pytest.raises(InvalidTimeResolutionError):
        monthly_counts(timestamps, resolution.where(resolution != "day", None))
    with pytest.raises(InvalidValuesError):
        hour_weekday_counts(timestamps, resolution.reset_index(drop=True))
    with pytest.raises(InvalidValuesError):
        hour_weekday_counts(pd.Series(["2024-01-01"]), "minute")
    # a missing resolution on a row without a timestamp is fine: that row is missing anyway
    resolution.loc[16] = np.nan
    assert hour_weekday_counts(timestamps, resolution).missing == 1
