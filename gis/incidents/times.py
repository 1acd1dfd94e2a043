"""When incidents happened: source date and time text to UTC instants with a resolution.

``occurred_at`` is a time-zone-aware UTC timestamp (``datetime64[us, UTC]``), so exports
from different places and DST seasons compare and store (``timestamptz``) unambiguously.
``time_resolution`` says how much of it is real:

``month``
    Year and month only (police.uk): the first of the month at 00:00 local time. In UTC
    that can be the evening before (2023-07 in London is 2023-06-30 23:00 UTC), so bucket
    by month after ``.dt.tz_convert(timezone)``.
``day``
    A date without a time of day (a date column with an empty time cell, or a date-only
    value in a date-time column): 00:00 local time.
``minute``
    A time of day is given (seconds, when present, are kept).

Text with a UTC offset (``2018-12-01T00:25:00-08:00``, ``…Z``) is placed by that offset.
Naive text is local to the mapping's ``timezone``, else the caller's default; when neither
is given :class:`~gis.errors.MissingTimezoneError` is raised rather than guessing. A local
time that occurs twice (the hour the clocks go back) is taken as the first (summer-time)
one; a local time that does not exist (clocks go forward) moves forward by the gap.

Formats are ``strftime`` patterns. Without one the format is guessed from the first value
(pandas' guess, month-first for ``01/02/2023``), then ISO 8601 and the common layouts in
:data:`COMMON_FORMATS` are tried on what is left. A date column's trailing midnight
(``01/29/2004 12:00:00 AM``, as Socrata exports dates) is ignored when a time column is
mapped. Every step is a vectorised pandas parse; nothing loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from gis.errors import MissingTimezoneError
from gis.incidents.mapping import ColumnMapping

COMMON_FORMATS = (
    "%Y/%m/%d %I:%M:%S %p", "%Y/%m/%d %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
    "%m/%d/%Y", "%Y%m%d%H%M%S", "%Y%m%d", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H时%M分", "%Y年%m月%d日",
)
"""Date-time layouts tried, in order, when a mapping gives no format."""

MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%Y%m", "%Y.%m", "%Y年%m月", "%m/%Y")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%H%M", "%H%M%S",
                "%H时%M分", "%H:%M:%S.%f")

_OFFSET = r"\d\s?(?:Z|[+-]\d\d:\d\d|[+-]\d{4})$"
_HAS_TIME = r"\d:\d\d|\d时"
_TRAILING_MIDNIGHT = r"\s+(?:12:00(?::00)?\s*[AaPp][Mm]|00:00(?::00)?)$"


@dataclass(frozen=True)
class ParsedTimes:
    """Times read from one file, aligned with its rows.

    Attributes
    ----------
    occurred_at : pandas.Series of datetime64[us, UTC]
        NaT where the time could not be read.
    resolution : pandas.Series of str
        ``month``, ``day`` or ``minute``; ``""`` where the time could not be read.
    problem : pandas.Series of str
        ``""``, or why the time could not be read.
    """

    occurred_at: pd.Series
    resolution: pd.Series
    problem: pd.Series


def _parse(values: pd.Series, fmt: str | None, fallbacks: tuple[str, ...]) -> pd.Series:
    """Parse naive text with ``fmt``, or with a guess then ``fallbacks``; NaT where none fit."""
    if fmt is not None:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # %z, but these rows had no offset
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
        return parsed.dt.as_unit("us")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    given = values.ne("")
    sample = values[given]
    guess = guess_datetime_format(str(sample.iloc[0])) if len(sample) else None
    for candidate in (guess, "ISO8601", *fallbacks):
        todo = given & result.isna()
        if candidate is None or not todo.any():
            continue
        parsed = pd.to_datetime(values[todo], format=candidate, errors="coerce")
        result[todo] = parsed.dt.as_unit("us") if parsed.dt.tz is None else pd.NaT
    return result


def _localise(naive: pd.Series, timezone: str | None, text: pd.Series) -> pd.Series:
    """Naive local instants to UTC; raise when some are given and no zone is known."""
    if naive.notna().any() and timezone is None:
        example = text[naive.notna()].iloc[0]
        raise MissingTimezoneError(
            f"times such as {example!r} carry no UTC offset: give the mapping a timezone"
            " or read with default_tz (an IANA name such as Europe/London)")
    if timezone is None:
        return pd.Series(pd.NaT, index=naive.index, dtype="datetime64[us, UTC]")
    local = naive.dt.tz_localize(timezone, ambiguous=np.ones(len(naive), dtype=bool),
                                 nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.as_unit("us")


def _to_utc(values: pd.Series, fmt: str | None, fallbacks: tuple[str, ...],
            timezone: str | None) -> pd.Series:
    """Text (with or without a UTC offset) to UTC instants; NaT where unreadable."""
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    offset = values.str.contains(_OFFSET, regex=True) & values.str.contains(":", regex=False)
    if offset.any():
        aware = pd.to_datetime(values[offset], format=fmt or "ISO8601", errors="coerce",
                               utc=True)
        result[offset] = aware.dt.as_unit("us")
    naive = _parse(values[~offset], fmt, fallbacks)
    result[~offset] = _localise(naive, timezone, values[~offset])
    return result


def parse_times(values: pd.DataFrame, mapping: ColumnMapping, *,
                default_tz: str | None = None) -> ParsedTimes:
    """Read each row's time as the mapping says (see the module docstring).

    Parameters
    ----------
    values : pandas.DataFrame
        The file's cells as text, with the mapping's time columns.
    mapping : ColumnMapping
        A complete mapping whose column names are ``values``' headers.
    default_tz : str, optional
        IANA zone for naive times when ``mapping.timezone`` is None.

    Returns
    -------
    ParsedTimes

    Raises
    ------
    MissingTimezoneError
        Some times are naive and no time zone is known.
    """
    timezone = mapping.timezone or default_tz
    index = values.index
    if mapping.month is not None:
        column, fmt = mapping.month, mapping.month_format
        text = values[column].str.strip()
        instants = _to_utc(text, fmt, MONTH_FORMATS, timezone)
        resolution = pd.Series("month", index=index, dtype=str)
    elif mapping.datetime is not None:
        column, fmt = mapping.datetime, mapping.datetime_format
        text = values[column].str.strip()
        instants = _to_utc(text, fmt, COMMON_FORMATS, timezone)
        has_clock = text.str.contains(_HAS_TIME, regex=True)
        resolution = pd.Series(np.where(has_clock, "minute", "day"), index=index, dtype=str)
    elif mapping.date is not None and mapping.time is not None:
        column = f"{mapping.date} + {mapping.time}"
        fmt = (f"{mapping.date_format or 'guessed'} + {mapping.time_format or 'guessed'}"
               if mapping.date_format or mapping.time_format else None)
        day_text = values[mapping.date].str.strip().str.replace(_TRAILING_MIDNIGHT, "",
                                                                 regex=True)
        clock = values[mapping.time].str.strip()
        has_clock = clock.ne("")
        days = _parse(day_text, mapping.date_format, COMMON_FORMATS)
        clocks = _parse(clock, mapping.time_format, TIME_FORMATS)
        naive = days + (clocks - clocks.dt.normalize()).where(has_clock, pd.Timedelta(0))
        naive[has_clock & clocks.isna()] = pd.NaT
        text = (day_text + " " + clock).str.strip()
        instants = _localise(naive, timezone, text)
        resolution = pd.Series(np.where(has_clock, "minute", "day"), index=index, dtype=str)
    elif mapping.date is not None:
        column, fmt = mapping.date, mapping.date_format
        text = values[column].str.strip().str.replace(_TRAILING_MIDNIGHT, "", regex=True)
        instants = _to_utc(text, fmt, COMMON_FORMATS, timezone)
        resolution = pd.Series("day", index=index, dtype=str)
    else:
        raise ValueError("parse_times needs a mapping with datetime, date or month")
    bad = instants.isna()
    problem = pd.Series("", index=index, dtype=str)
    empty = bad & text.eq("")
    problem[empty] = f"no time: {column!r} is empty"
    unreadable = bad & ~empty
    problem[unreadable] = ("cannot read time '" + text[unreadable].str.slice(0, 40)
                           + f"' from {column!r} (format {fmt or 'guessed'})")
    resolution[bad] = ""
    return ParsedTimes(instants, resolution, problem)
