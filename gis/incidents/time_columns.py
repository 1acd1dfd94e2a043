"""What a time column holds, worked out from all its values before any is read.

A date parser alone misreads many exports without a word: ``2230`` (an HHMM time of day)
parses as the year 2230 at midnight, ``100`` with ``%H%M`` as 10:00, ``03/04/2023`` as
whichever order the parser prefers. So every column is looked at as a whole first, and
when its values fit two readings equally the import is refused
(:class:`~gis.errors.AmbiguousTimeError`, with values from the file) instead of guessed.

Time of day (a ``time`` column without ``time_format``)
    - Whole numbers of one to four digits (``2230``, ``2230.0``) are **HHMM** (``5`` is
      00:05, ``100`` is 01:00, ``2000`` is 20:00), as many records systems write them.
      Such a column could also count **minutes since midnight**; values under 60 read the
      same both ways, and the others decide:

      * some value is over 1439 (no minute count is), the values are zero-padded to four
        digits (``0530``), or at least
        :data:`HHMM_EVIDENCE` different values of 60 or more all end in 00-59 (in a
        column of minute counts four in ten end in 60-99): HHMM;
      * all values fit both readings and fewer than that decide: refused, with values
        that read differently (all under 60 read alike: accepted);
      * some values end in 60-99 (not HHMM) and none is over 1439: refused (they may be
        minute counts);
      * some end in 60-99 and some are over 1439: read as HHMM, and those rows are
        ``bad_time``; when they are more than :data:`MAX_BAD_SHARE` of the values, refused.
    - Decimal fractions from 0 to 1 (``0.375``) are **Excel times**, a fraction of a day.
    - Anything else is text (``22:30``, ``10:30 PM``, ``22时30分``).
Dates and date-times (``date`` and ``datetime`` columns without a format)
    - Numbers from :data:`EXCEL_FIRST` to :data:`EXCEL_LAST` (1950-2099), whole or with a
      fraction of a day, are **Excel serial dates** (days since 1899-12-30, local time).
    - Whole numbers of nine or ten digits up to a day past ``now`` are **Unix epoch
      seconds**, twelve or thirteen digits epoch milliseconds (UTC instants).
    - ``a/b/yyyy`` (or with ``.`` or ``-``) is **day-first** when some ``a`` is over 12,
      **month-first** when some ``b`` is; when neither (every value reads both ways) or
      both (the column mixes the two), refused.

Format keywords settle a column by hand, beside ``strftime`` patterns: ``hhmm`` and
``minutes`` for a time of day (``%H%M`` and ``%H%M%S`` also zero-pad short numbers, so
``100`` is 01:00), ``excel`` for either kind, ``epoch`` and ``epoch_ms``, and ``dmy`` or
``mdy`` for the order of a date whose layout is otherwise guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np
import pandas as pd

from gis.errors import AmbiguousTimeError

HHMM_EVIDENCE = 12
"""Different values of 60 or more, all ending in 00-59, that make a number column HHMM."""

MAX_BAD_SHARE = 0.05
"""Largest share of values that are not HHMM in a column still read as HHMM."""

EXCEL_FIRST = 18_264
"""Excel serial of 1950-01-01: smaller numbers are not taken for Excel dates."""

EXCEL_LAST = 73_050
"""Excel serial of 2099-12-31."""

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day 0 of Excel's 1900 date system (as corrected for its 1900 leap-year bug)."""

MINUTES_PER_DAY = 1_440

_WHOLE = r"^\d{1,4}(?:\.0+)?$"
_FRACTION = r"^(?:0?\.\d+|0|1(?:\.0+)?)$"
_NUMBER = r"^\d+(?:\.\d+)?$"
_EPOCH_S = r"^\d{9,10}(?:\.\d+)?$"
_EPOCH_MS = r"^\d{12,13}$"
_DAY_MONTH = r"^(\d{1,2})([/.\-])(\d{1,2})\2\d{2,4}(?:\D|$)"


class TimeKind(StrEnum):
    """How a column's values are read; the value is the format keyword that forces it."""

    TEXT = "text"
    HHMM = "hhmm"
    MINUTES = "minutes"
    EXCEL = "excel"
    EPOCH = "epoch"
    EPOCH_MS = "epoch_ms"
    DAY_FIRST = "dmy"
    MONTH_FIRST = "mdy"


KEYWORDS = frozenset(kind.value for kind in TimeKind) - {"text"}
"""Format values that are keywords rather than ``strftime`` patterns."""


@dataclass(frozen=True)
class TimeReading:
    """How one column is read, and what to tell the user about it.

    Attributes
    ----------
    kind : TimeKind
    note : str
        ``""``, or a sentence naming the column, the reading and example values, for the
        import summary (``'TIME OCC' read as HHMM: '5' is 00:05, ...``).
    """

    kind: TimeKind
    note: str = ""


def _given(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    return text[text.ne("")]


def _examples(values: pd.Series, count: int = 3) -> list[str]:
    """Up to ``count`` different values, the most frequent first."""
    return [str(v) for v in values.value_counts().index[:count]]


def _hhmm_text(number: int) -> str:
    return f"{number // 100:02d}:{number % 100:02d}"


def _minutes_text(number: int) -> str:
    return f"{number // 60:02d}:{number % 60:02d}"


def recognise_clock(values: pd.Series, *, column: str) -> TimeReading:
    """Work out how a time-of-day column is written (see the module docstring).

    Parameters
    ----------
    values : pandas.Series of str
        The column's cells; empty ones are ignored.
    column : str
        Its name, for messages.

    Returns
    -------
    TimeReading

    Raises
    ------
    AmbiguousTimeError
        Whole numbers that may be HHMM times or minutes since midnight.
    """
    given = _given(values)
    if given.empty:
        return TimeReading(TimeKind.TEXT)
    if given.str.fullmatch(_WHOLE).all():
        return _recognise_whole_clock(given, column=column)
    if given.str.fullmatch(_FRACTION).all() and given.str.contains(".", regex=False).any():
        shown = ", ".join(f"'{v}' is {_clock_text(float(v))}" for v in _examples(given))
        return TimeReading(TimeKind.EXCEL, f"{column!r} read as Excel times (a fraction of "
                                           f"a day): {shown}")
    return TimeReading(TimeKind.TEXT)


def _clock_text(fraction: float) -> str:
    minutes = int(round(fraction * MINUTES_PER_DAY)) % MINUTES_PER_DAY
    return _minutes_text(minutes)


def _recognise_whole_clock(given: pd.Series, *, column: str) -> TimeReading:
    numbers = given.astype(float).astype(np.int64)
    hhmm = (numbers // 100 < 24) & (numbers % 100 < 60)
    over_a_day = numbers >= MINUTES_PER_DAY
    deciding = pd.Series(numbers[numbers >= 60].unique())
    padded = given.str.len().eq(4).all() and given.str.startswith("0").any()  # "0530"
    if hhmm.all():
        if over_a_day.any() or padded or len(deciding) >= HHMM_EVIDENCE:
            return TimeReading(TimeKind.HHMM, _hhmm_note(given, numbers, column))
        if deciding.empty:  # every value under 60: 00:MM either way, nothing to guess
            return TimeReading(TimeKind.HHMM, _hhmm_note(given, numbers, column)
                               + " (all under 60: the same as minutes since midnight)")
        examples = _examples(given[numbers >= 60], 3)
        shown = "; ".join(f"'{v}' is {_hhmm_text(int(float(v)))} or "
                          f"{_minutes_text(int(float(v)))}" for v in examples)
        raise AmbiguousTimeError(
            f"{column!r} holds whole numbers that read both as HHMM times and as minutes "
            f"since midnight ({shown}), and too few of them decide which; give "
            "time_format=hhmm or time_format=minutes", field="time_format", column=column,
            examples=tuple(examples))
    not_hhmm = given[~hhmm]
    if not over_a_day.any():
        examples = _examples(not_hhmm)
        shown = ", ".join(f"'{v}'" for v in examples)
        raise AmbiguousTimeError(
            f"{column!r} holds whole numbers such as {shown} that are not HHMM times (their "
            "last two digits are 60 or more) and none over 1439, so they may count minutes "
            "since midnight; give time_format=minutes, or time_format=hhmm to reject those "
            "rows", field="time_format", column=column, examples=tuple(examples))
    share = float((~hhmm).mean())
    if share > MAX_BAD_SHARE:
        examples = _examples(not_hhmm)
        raise AmbiguousTimeError(
            f"{column!r} holds whole numbers, but {share:.0%} of them are not HHMM times "
            f"(e.g. {', '.join(repr(v) for v in examples)}); give time_format (hhmm, "
            "minutes, or a strftime pattern)", field="time_format", column=column,
            examples=tuple(examples))
    return TimeReading(TimeKind.HHMM, _hhmm_note(given, numbers, column))


def _hhmm_note(given: pd.Series, numbers: pd.Series, column: str) -> str:
    by_length = numbers.astype(str).str.len()
    picked = [str(numbers[by_length.eq(n)].iloc[0]) for n in (1, 3, 4, 2)
              if by_length.eq(n).any()][:3]
    shown = ", ".join(f"'{v}' is {_hhmm_text(int(v))}" for v in picked)
    return f"{column!r} read as HHMM whole numbers: {shown}"


def clock_offsets(values: pd.Series, kind: TimeKind) -> pd.Series:
    """Read times of day written as numbers into offsets from midnight.

    Parameters
    ----------
    values : pandas.Series of str
        Stripped cells; ``""`` where empty.
    kind : TimeKind
        ``HHMM``, ``MINUTES`` or ``EXCEL``.

    Returns
    -------
    pandas.Series of timedelta64
        NaT where a value is empty or not a time of that kind (``2460``, ``1440``).
    """
    number = pd.to_numeric(values.where(values.str.fullmatch(_NUMBER)), errors="coerce")
    if kind is TimeKind.EXCEL:
        seconds = (number * 86_400).round()
        seconds = seconds.where((number >= 0) & (number <= 1))
    else:
        whole = number.where(number == number.round())
        if kind is TimeKind.HHMM:
            ok = (whole // 100 < 24) & (whole % 100 < 60)
            seconds = (whole // 100 * 3600 + whole % 100 * 60).where(ok)
        else:
            seconds = (whole * 60).where(whole < MINUTES_PER_DAY)
    return pd.to_timedelta(seconds, unit="s")


def recognise_date(values: pd.Series, *, column: str, field: str,
                   now: datetime | None = None) -> TimeReading:
    """Work out how a date or date-time column is written (see the module docstring).

    Parameters
    ----------
    values : pandas.Series of str
        The column's cells; empty ones are ignored.
    column : str
        Its name, for messages.
    field : str
        The mapping setting that would settle it (``date_format``, ``datetime_format``).
    now : datetime, optional
        The latest plausible instant for epoch numbers is a day after it; the current time
        by default.

    Returns
    -------
    TimeReading
        ``EXCEL``, ``EPOCH``, ``EPOCH_MS``, ``DAY_FIRST``, ``MONTH_FIRST`` or ``TEXT``
        (no order to settle: year-first dates, names of months, ISO 8601...).

    Raises
    ------
    AmbiguousTimeError
        ``a/b/yyyy`` dates that read both day-first and month-first, or a column that
        mixes the two.
    """
    given = _given(values)
    if given.empty:
        return TimeReading(TimeKind.TEXT)
    latest = (now or datetime.now(UTC)).timestamp() + 86_400
    if given.str.fullmatch(_NUMBER).all():
        number = given.astype(float)
        if number.between(EXCEL_FIRST, EXCEL_LAST).all():
            sample = _examples(given, 2)
            shown = ", ".join(f"'{v}' is {excel_datetimes(pd.Series([v])).iloc[0]}"
                              for v in sample)
            return TimeReading(TimeKind.EXCEL, f"{column!r} read as Excel serial dates: "
                                               f"{shown}")
        if given.str.fullmatch(_EPOCH_S).all() and (number <= latest).all():
            return TimeReading(TimeKind.EPOCH, _epoch_note(given, column, "s"))
        if given.str.fullmatch(_EPOCH_MS).all() and (number <= latest * 1000).all():
            return TimeReading(TimeKind.EPOCH_MS, _epoch_note(given, column, "ms"))
    return _recognise_order(given, column=column, field=field)


def _epoch_note(given: pd.Series, column: str, unit: str) -> str:
    sample = _examples(given, 1)[0]
    instant = epoch_instants(pd.Series([sample]), unit=unit).iloc[0]
    name = "seconds" if unit == "s" else "milliseconds"
    return (f"{column!r} read as Unix epoch {name} (UTC): '{sample}' is "
            f"{instant:%Y-%m-%d %H:%M:%S} UTC")


def _recognise_order(given: pd.Series, *, column: str, field: str) -> TimeReading:
    parts = given.str.extract(_DAY_MONTH)
    found = parts[0].notna()
    if not found.any():
        return TimeReading(TimeKind.TEXT)
    first = parts.loc[found, 0].astype(int)
    second = parts.loc[found, 2].astype(int)
    text = given[found]
    day_first = first > 12
    month_first = second > 12
    if day_first.any() and month_first.any():
        a, b = text[day_first].iloc[0], text[month_first].iloc[0]
        raise AmbiguousTimeError(
            f"{column!r} mixes day-first and month-first dates: '{a}' can only be "
            f"day-first, '{b}' only month-first; give {field} (dmy, mdy or a strftime "
            "pattern) and the other rows are rejected", field=field, column=column,
            examples=(a, b))
    if day_first.any():
        return TimeReading(TimeKind.DAY_FIRST, f"{column!r} read day-first, as "
                                               f"'{text[day_first].iloc[0]}' can only be")
    if month_first.any():
        return TimeReading(TimeKind.MONTH_FIRST, f"{column!r} read month-first, as "
                                                 f"'{text[month_first].iloc[0]}' can only be")
    examples = _examples(text)
    raise AmbiguousTimeError(
        f"{column!r} holds dates such as {', '.join(repr(v) for v in examples)} that read "
        "both day-first and month-first (no day above 12 tells which); give "
        f"{field}=dmy or {field}=mdy (or a strftime pattern such as %d/%m/%Y)",
        field=field, column=column, examples=tuple(examples))


def excel_datetimes(values: pd.Series) -> pd.Series:
    """Read Excel serial dates (days since 1899-12-30, local time) into naive datetimes.

    Parameters
    ----------
    values : pandas.Series of str
        ``"45123"`` or ``"45123.75"``; anything else becomes NaT.

    Returns
    -------
    pandas.Series of datetime64[us]
        Rounded to the second.
    """
    number = pd.to_numeric(values.where(values.str.fullmatch(_NUMBER)), errors="coerce")
    number = number.where(number.between(EXCEL_FIRST, EXCEL_LAST))
    seconds = (number * 86_400).round()
    return (EXCEL_EPOCH + pd.to_timedelta(seconds, unit="s")).astype("datetime64[us]")


def epoch_instants(values: pd.Series, *, unit: str) -> pd.Series:
    """Read Unix epoch numbers into UTC instants.

    Parameters
    ----------
    values : pandas.Series of str
    unit : {"s", "ms"}

    Returns
    -------
    pandas.Series of datetime64[us, UTC]
        NaT where a value is not a number.
    """
    number = pd.to_numeric(values.where(values.str.fullmatch(_NUMBER)), errors="coerce")
    return pd.to_datetime(number, unit=unit, utc=True).dt.as_unit("us")


def is_keyword(fmt: str | None) -> bool:
    """Whether a mapping's format is one of the keywords rather than a strftime pattern."""
    return fmt is not None and fmt.strip().casefold() in KEYWORDS
