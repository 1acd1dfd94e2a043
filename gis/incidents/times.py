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

Formats are ``strftime`` patterns or the keywords of :mod:`gis.incidents.time_columns`
(``hhmm``, ``minutes``, ``excel``, ``epoch``, ``epoch_ms``, ``dmy``, ``mdy``). Without one,
each column is first looked at as a whole (:mod:`~gis.incidents.time_columns`): HHMM whole
numbers, Excel serials, epoch seconds and the order of ``a/b/yyyy`` dates are recognised,
and a column that reads two ways is refused with examples rather than guessed. Text is
then read with pandas' guess from the first value (in the order found), then ISO 8601 and
the common layouts in :data:`YEAR_FIRST_FORMATS` and :func:`day_month_formats`. A time of
day is never guessed by pandas (it takes ``2230`` for a year): :data:`TIME_FORMATS` are
tried in order. A date column's trailing midnight (``01/29/2004 12:00:00 AM``, as Socrata
exports dates) is ignored when a time column is mapped. Every step is a vectorised pandas
parse; nothing loops over rows in Python.

Midnight. Many exports write an unknown time of day as 00:00. When every time of a file
is exactly midnight (at least :data:`MIDNIGHT_MIN_ROWS` rows), they are dates, not times:
their resolution is ``day`` and a note says so; when more than :data:`MIDNIGHT_SHARE` of
them are, a note says that too. Notes (:attr:`ParsedTimes.notes`) also say how each
recognised column was read, for the import summary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from gis.errors import MissingTimezoneError
from gis.incidents.mapping import ColumnMapping
from gis.incidents.time_columns import (
    TimeKind,
    TimeReading,
    clock_offsets,
    epoch_instants,
    excel_datetimes,
    recognise_clock,
    recognise_date,
)

YEAR_FIRST_FORMATS = (
    "%Y/%m/%d %I:%M:%S %p", "%Y/%m/%d %I:%M %p", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y/%m/%d", "%Y%m%d%H%M%S", "%Y%m%d", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H时%M分", "%Y年%m月%d日",
)
"""Year-first date-time layouts tried, in order, when a mapping gives no format."""

_CLOCK_TAILS = (" %I:%M:%S %p", " %I:%M %p", " %H:%M:%S", " %H:%M", "")
MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%Y%m", "%Y.%m", "%Y年%m月", "%m/%Y")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%H%M", "%H%M%S",
                "%H时%M分", "%H:%M:%S.%f")
"""Time-of-day layouts tried, in order (``%H%M`` on zero-padded whole numbers)."""

MIDNIGHT_MIN_ROWS = 10
"""Rows with a time needed before "every time is midnight" is taken to mean dates."""

MIDNIGHT_SHARE = 0.2
"""Share of times at exactly 00:00 above which the summary warns."""

_OFFSET = r"\d\s?(?:Z|[+-]\d\d:\d\d|[+-]\d{4})$"
_HAS_TIME = r"\d:\d\d|\d时"
_TRAILING_MIDNIGHT = r"\s+(?:12:00(?::00)?\s*[AaPp][Mm]|00:00(?::00)?)$"
_DIGITS = r"^\d{1,6}$"


def day_month_formats(kind: TimeKind) -> tuple[str, ...]:
    """The ``a/b/yyyy`` layouts (``/``, ``.``, ``-``; with and without a time) of one order.

    Parameters
    ----------
    kind : TimeKind
        ``DAY_FIRST`` for ``%d/%m/%Y``; anything else for ``%m/%d/%Y``.
    """
    order = ("%d", "%m") if kind is TimeKind.DAY_FIRST else ("%m", "%d")
    return tuple(f"{order[0]}{sep}{order[1]}{sep}{year}{tail}" for year in ("%Y", "%y")
                 for sep in "/.-" for tail in _CLOCK_TAILS)


COMMON_FORMATS = YEAR_FIRST_FORMATS + day_month_formats(TimeKind.MONTH_FIRST)
"""Date-time layouts tried when nothing in a column says which order it is in."""


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
    notes : tuple of str
        How recognised columns were read, and midnight warnings (module docstring).
    """

    occurred_at: pd.Series
    resolution: pd.Series
    problem: pd.Series
    notes: tuple[str, ...] = ()


def _formats(kind: TimeKind, fallbacks: tuple[str, ...]) -> tuple[str, ...]:
    if kind in (TimeKind.DAY_FIRST, TimeKind.MONTH_FIRST) and fallbacks == COMMON_FORMATS:
        return YEAR_FIRST_FORMATS + day_month_formats(kind)
    return fallbacks


def _zero_padded(values: pd.Series, fmt: str) -> pd.Series:
    """Whole numbers padded to the width of ``%H%M`` (4) or ``%H%M%S`` (6)."""
    width = 2 * fmt.count("%")
    return values.where(~values.str.fullmatch(_DIGITS), values.str.zfill(width))


def _parse(values: pd.Series, fmt: str | None, fallbacks: tuple[str, ...], *,
           kind: TimeKind = TimeKind.TEXT, guess: bool = True) -> pd.Series:
    """Parse naive text with ``fmt``, or with a guess then ``fallbacks``; NaT where none fit."""
    if fmt is not None:
        if fmt in ("%H%M", "%H%M%S"):  # 100 is 01:00, not 10:00
            values = _zero_padded(values, fmt)
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # %z, but these rows had no offset
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
        return parsed.dt.as_unit("us")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    given = values.ne("")
    sample = values[given]
    first = None
    if guess and len(sample):
        first = guess_datetime_format(str(sample.iloc[0]),
                                      dayfirst=kind is TimeKind.DAY_FIRST)
    for candidate in (first, "ISO8601" if guess else None, *_formats(kind, fallbacks)):
        todo = given & result.isna()
        if candidate is None or not todo.any():
            continue
        text = values[todo]
        if candidate in ("%H%M", "%H%M%S"):
            text = _zero_padded(text, candidate)
        parsed = pd.to_datetime(text, format=candidate, errors="coerce")
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


def _date_reading(values: pd.Series, fmt: str | None, *, column: str,
                  field: str) -> tuple[TimeReading, str | None]:
    """How a date or date-time column is read, and the strftime pattern left (if any)."""
    if fmt is not None and fmt.strip().casefold() in {k.value for k in TimeKind}:
        return TimeReading(TimeKind(fmt.strip().casefold())), None
    if fmt is not None:
        return TimeReading(TimeKind.TEXT), fmt
    return recognise_date(values, column=column, field=field), None


def _to_utc(values: pd.Series, fmt: str | None, fallbacks: tuple[str, ...],
            timezone: str | None, *, column: str, field: str) -> tuple[pd.Series, TimeReading]:
    """Text (with or without a UTC offset) to UTC instants; NaT where unreadable."""
    reading, fmt = _date_reading(values, fmt, column=column, field=field)
    if reading.kind in (TimeKind.EPOCH, TimeKind.EPOCH_MS):
        unit = "s" if reading.kind is TimeKind.EPOCH else "ms"
        return epoch_instants(values, unit=unit), reading
    if reading.kind is TimeKind.EXCEL:
        return _localise(excel_datetimes(values), timezone, values), reading
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    offset = values.str.contains(_OFFSET, regex=True) & values.str.contains(":", regex=False)
    if offset.any():
        aware = pd.to_datetime(values[offset], format=fmt or "ISO8601", errors="coerce",
                               utc=True)
        result[offset] = aware.dt.as_unit("us")
    naive = _parse(values[~offset], fmt, fallbacks, kind=reading.kind)
    result[~offset] = _localise(naive, timezone, values[~offset])
    return result, reading


def _days(values: pd.Series, fmt: str | None, timezone: str | None, *,
          column: str) -> tuple[pd.Series, TimeReading]:
    """A date column of a date + time layout to naive local midnights."""
    reading, fmt = _date_reading(values, fmt, column=column, field="date_format")
    if reading.kind in (TimeKind.EPOCH, TimeKind.EPOCH_MS):
        unit = "s" if reading.kind is TimeKind.EPOCH else "ms"
        instants = epoch_instants(values, unit=unit).dt.tz_convert(timezone or "UTC")
        return instants.dt.tz_localize(None).dt.normalize().dt.as_unit("us"), reading
    if reading.kind is TimeKind.EXCEL:
        return excel_datetimes(values).dt.normalize(), reading
    return _parse(values, fmt, COMMON_FORMATS, kind=reading.kind), reading


def _clocks(values: pd.Series, fmt: str | None, *,
            column: str) -> tuple[pd.Series, TimeReading]:
    """A time-of-day column to offsets from midnight (NaT where unreadable)."""
    keyword = fmt.strip().casefold() if fmt is not None else None
    if keyword in (TimeKind.HHMM, TimeKind.MINUTES, TimeKind.EXCEL):
        kind = TimeKind(keyword)
        return clock_offsets(values, kind), TimeReading(kind)
    reading = recognise_clock(values, column=column) if fmt is None else TimeReading(
        TimeKind.TEXT)
    if reading.kind is not TimeKind.TEXT:
        return clock_offsets(values, reading.kind), reading
    parsed = _parse(values, fmt, TIME_FORMATS, guess=False)
    return parsed - parsed.dt.normalize(), reading


def _midnight_notes(local: pd.Series, timed: pd.Series, resolution: pd.Series, *,
                    what: str) -> list[str]:
    """Turn an all-midnight file into dates, and warn about a large share of midnights."""
    clock = local[timed]
    if clock.empty:
        return []
    at_midnight = clock.eq(clock.dt.normalize())
    share = float(at_midnight.mean())
    if at_midnight.all() and len(clock) >= MIDNIGHT_MIN_ROWS:
        resolution[timed] = "day"
        return [f"every time in {what} is 00:00, so these are dates (day resolution), not "
                "times of day; map a time-of-day column with time= if the export has one"]
    if share > MIDNIGHT_SHARE and len(clock) >= 2 * MIDNIGHT_MIN_ROWS:
        return [f"{share:.0%} of the times in {what} are exactly 00:00, which exports often "
                "write for an unknown time of day"]
    return []


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
    AmbiguousTimeError
        A column without a format reads more than one way (HHMM or minutes; day-first or
        month-first dates); the message shows values from the file.
    """
    timezone = mapping.timezone or default_tz
    index = values.index
    notes: list[str] = []
    if mapping.month is not None:
        column, fmt = mapping.month, mapping.month_format
        text = values[column].str.strip()
        instants, _ = _to_utc(text, fmt, MONTH_FORMATS, timezone, column=column,
                              field="month_format")
        resolution = pd.Series("month", index=index, dtype=str)
    elif mapping.datetime is not None:
        column, fmt = mapping.datetime, mapping.datetime_format
        text = values[column].str.strip()
        instants, reading = _to_utc(text, fmt, COMMON_FORMATS, timezone, column=column,
                                    field="datetime_format")
        notes.append(reading.note)
        numeric = reading.kind in (TimeKind.EPOCH, TimeKind.EPOCH_MS, TimeKind.EXCEL)
        has_clock = text.str.contains(_HAS_TIME, regex=True)
        if numeric:
            has_clock = pd.Series(reading.kind is not TimeKind.EXCEL, index=index) | (
                text.str.contains(".", regex=False))
        resolution = pd.Series(np.where(has_clock, "minute", "day"), index=index, dtype=str)
        local = instants.dt.tz_convert(timezone or "UTC")
        notes += _midnight_notes(local, instants.notna() & has_clock, resolution,
                                 what=repr(column))
    elif mapping.date is not None and mapping.time is not None:
        column = f"{mapping.date} + {mapping.time}"
        fmt = (f"{mapping.date_format or 'guessed'} + {mapping.time_format or 'guessed'}"
               if mapping.date_format or mapping.time_format else None)
        day_text = values[mapping.date].str.strip().str.replace(_TRAILING_MIDNIGHT, "",
                                                                 regex=True)
        clock = values[mapping.time].str.strip()
        has_clock = clock.ne("")
        days, day_reading = _days(day_text, mapping.date_format, timezone,
                                  column=mapping.date)
        offsets, clock_reading = _clocks(clock, mapping.time_format, column=mapping.time)
        notes += [day_reading.note, clock_reading.note]
        naive = days + offsets.where(has_clock, pd.Timedelta(0))
        naive[has_clock & offsets.isna()] = pd.NaT
        text = (day_text + " " + clock).str.strip()
        instants = _localise(naive, timezone, text)
        resolution = pd.Series(np.where(has_clock, "minute", "day"), index=index, dtype=str)
        notes += _midnight_notes(naive, naive.notna() & has_clock, resolution,
                                 what=repr(mapping.time))
    elif mapping.date is not None:
        column, fmt = mapping.date, mapping.date_format
        text = values[column].str.strip().str.replace(_TRAILING_MIDNIGHT, "", regex=True)
        instants, reading = _to_utc(text, fmt, COMMON_FORMATS, timezone, column=column,
                                    field="date_format")
        notes.append(reading.note)
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
    return ParsedTimes(instants, resolution, problem, tuple(n for n in notes if n))


def hour_histogram(occurred_at: pd.Series, timezone: pd.Series,
                   resolution: pd.Series) -> list[int]:
    """Count the rows with a time of day by local hour, 0 to 23.

    Parameters
    ----------
    occurred_at : pandas.Series of datetime64[us, UTC]
    timezone : pandas.Series of str
        The IANA zone each row was read in; NA for UTC.
    resolution : pandas.Series of str
        Only ``minute`` rows are counted (a date or a month has no hour).

    Returns
    -------
    list of int
        24 counts; a collapse of times to midnight shows as a spike in the first.
    """
    counts = np.zeros(24, dtype=np.int64)
    timed = resolution.eq("minute") & occurred_at.notna()
    zones = timezone.where(timezone.notna(), "UTC").astype(str)
    for zone in zones[timed].unique():
        rows = timed & zones.eq(zone)
        hours = occurred_at[rows].dt.tz_convert(zone).dt.hour.to_numpy()
        counts += np.bincount(hours, minlength=24)
    return [int(c) for c in counts]
