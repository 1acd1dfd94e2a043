"""When incidents happen: hour x weekday table and monthly counts, honest about precision.

Incident records come with different time precision: police.uk publishes only the month
(stored as the first of the month, midnight), some systems only the date, dispatch logs
the minute. Each row therefore carries a resolution, one of ``"month"``, ``"day"`` or
``"minute"`` (coarse to fine), and a table only uses the rows precise enough for it:

* hour x weekday needs ``"minute"``: a month-only record stored as 2024-03-01 00:00 would
  otherwise land on Friday 00:00 (a date-only one on 00:00 of its day);
* monthly counts need ``"month"`` or finer: every row with a timestamp.

Rows left out for being too coarse, and rows without a timestamp, are counted and
reported, never silently dropped. Hours and weekdays are read in the timestamps' own
zone: convert aware timestamps to the force's local zone first (``dt.tz_convert``); naive
ones are taken as local wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gis.errors import InvalidTimeResolutionError, InvalidValuesError

Resolution = Literal["month", "day", "minute"]

RESOLUTIONS: tuple[Resolution, ...] = ("month", "day", "minute")
"""Known resolutions, coarse to fine."""
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class HourWeekdayCounts:
    """Incidents per weekday and hour of day.

    Attributes
    ----------
    table : pandas.DataFrame
        7 x 24 int64 counts, index ``WEEKDAYS`` (Monday first), columns hours 0..23.
    counted : int
        Rows in the table.
    too_coarse : int
        Rows left out because their resolution is coarser than ``"minute"``.
    missing : int
        Rows left out because they have no timestamp.
    """

    table: pd.DataFrame
    counted: int
    too_coarse: int
    missing: int


@dataclass(frozen=True)
class MonthlyCounts:
    """Incidents per calendar month.

    Attributes
    ----------
    counts : pandas.Series
        int64 counts indexed by monthly ``pandas.Period``, every month from the first to
        the last one with an incident (empty months are 0).
    counted : int
        Rows counted.
    too_coarse : int
        Always 0 (every resolution gives the month); kept for symmetry.
    missing : int
        Rows left out because they have no timestamp.
    """

    counts: pd.Series
    counted: int
    too_coarse: int
    missing: int


def _usable_rows(timestamps: pd.Series, resolution: pd.Series | str, *,
                 needs: Resolution) -> tuple[pd.Series, int, int]:
    """Timestamps of the rows fine enough for ``needs``; counts of too coarse and missing."""
    if not isinstance(timestamps, pd.Series):
        raise TypeError(f"timestamps must be a pandas Series, got {type(timestamps).__name__}")
    if not pd.api.types.is_datetime64_any_dtype(timestamps.dtype):
        raise InvalidValuesError("timestamps must have a datetime dtype (use pd.to_datetime)")
    if isinstance(resolution, str):
        levels = pd.Series(resolution, index=timestamps.index, dtype=object)
    elif isinstance(resolution, pd.Series):
        if not resolution.index.equals(timestamps.index):
            raise InvalidValuesError("resolution must have the same index as timestamps")
        levels = resolution
    else:
        raise TypeError("resolution must be a str or a pandas Series of str")
    present = timestamps.notna().to_numpy()
    rank = levels.map({name: i for i, name in enumerate(RESOLUTIONS)})
    unknown = rank.isna().to_numpy() & present
    if unknown.any():
        bad = sorted({repr(v) for v in levels[unknown].tolist()})
        raise InvalidTimeResolutionError(f"unknown time resolution(s) {', '.join(bad)}; "
                                         f"expected one of {list(RESOLUTIONS)}")
    fine_enough = present & (rank.to_numpy(dtype=np.float64, na_value=-1.0)
                             >= RESOLUTIONS.index(needs))
    too_coarse = int((present & ~fine_enough).sum())
    return timestamps[fine_enough], too_coarse, int((~present).sum())


def hour_weekday_counts(timestamps: pd.Series,
                        resolution: pd.Series | str) -> HourWeekdayCounts:
    """Count incidents per weekday and hour of day (rows with minute resolution only).

    Parameters
    ----------
    timestamps : pandas.Series of datetime64
        Incident times, naive local or tz-aware (read in their own zone); NaT allowed.
    resolution : str or pandas.Series of str
        ``"month"``, ``"day"`` or ``"minute"`` for all rows, or per row (same index).

    Returns
    -------
    HourWeekdayCounts

    Raises
    ------
    InvalidTimeResolutionError
        A row with a timestamp has an unknown or missing resolution.
    InvalidValuesError
        ``timestamps`` is not datetime, or ``resolution`` is not aligned with it.
    """
    usable, too_coarse, missing = _usable_rows(timestamps, resolution, needs="minute")
    slots = usable.dt.day_of_week.to_numpy(dtype=np.int64) * 24 \
        + usable.dt.hour.to_numpy(dtype=np.int64)
    counts = np.bincount(slots, minlength=7 * 24).reshape(7, 24).astype(np.int64)
    table = pd.DataFrame(counts, index=pd.Index(WEEKDAYS, name="weekday"),
                         columns=pd.RangeIndex(24, name="hour"))
    return HourWeekdayCounts(table=table, counted=len(usable), too_coarse=too_coarse,
                             missing=missing)


def monthly_counts(timestamps: pd.Series, resolution: pd.Series | str) -> MonthlyCounts:
    """Count incidents per calendar month (any resolution gives the month).

    Parameters
    ----------
    timestamps : pandas.Series of datetime64
        Incident times, naive local or tz-aware (read in their own zone); NaT allowed.
    resolution : str or pandas.Series of str
        ``"month"``, ``"day"`` or ``"minute"`` for all rows, or per row (same index).

    Returns
    -------
    MonthlyCounts

    Raises
    ------
    InvalidTimeResolutionError, InvalidValuesError
        As :func:`hour_weekday_counts`.
    """
    usable, too_coarse, missing = _usable_rows(timestamps, resolution, needs="month")
    months = (usable.dt.year.to_numpy(dtype=np.int64) * 12
              + usable.dt.month.to_numpy(dtype=np.int64) - 1)
    if len(months) == 0:
        empty = pd.Series([], index=pd.PeriodIndex([], freq="M", name="month"),
                          dtype=np.int64, name="incidents")
        return MonthlyCounts(counts=empty, counted=0, too_coarse=too_coarse, missing=missing)
    first = int(months.min())
    counts = np.bincount(months - first).astype(np.int64)
    index = pd.period_range(start=pd.Period(year=first // 12, month=first % 12 + 1, freq="M"),
                            periods=len(counts), freq="M", name="month")
    return MonthlyCounts(counts=pd.Series(counts, index=index, name="incidents"),
                         counted=len(usable), too_coarse=too_coarse, missing=missing)
