"""Plan versus actual, dosage: did each hot-spot cell get its dose minutes in each period.

Pure decisions on the stays in cells the spatial side has already cut from the GNSS tracks
(:func:`gis.tracks.stays_in_cells`). Nothing here reads a clock, a track or a database;
"now" is always passed in.

Decisions
---------
Dosage (:func:`dosage_compliance`), after the Koper curve (a 10-16 minute stop deters
longest; a stop every couple of hours keeps the effect):

- The shift is cut into the periods of :func:`patrol.windows.dose_windows`,
  the same ones the planner owes doses in (``revisit_min`` long from the shift's start,
  the trailing one shortened, dropped when shorter than a dose).
- A stay is cut to the shift and then belongs, whole, to the period in which it begins: a
  14-minute stop begun five minutes before a period ends doses that period, as the
  planner meant it to.
- A period is *dosed* when one stay in it lasts ``dose_min`` minutes or more: passes
  through a cell do not add up to a dose. It is *over* when a stay lasts more than
  ``dose_max`` minutes (time the Koper curve says is wasted there). ``minutes`` is the
  total of the period's stays.

All datetimes must be timezone-aware; they are compared in UTC, so a shift across a DST
change measures real minutes. Times returned keep the zone they came in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd

from patrol.compliance_stops import (
    InvalidComplianceInput,
    aware_times,
    aware_utc,
    check_minutes,
    minutes_of,
    require_columns,
)
from patrol.windows import dose_windows


class DoseStatus(StrEnum):
    """Whether a cell got its dose in a period."""

    DOSED = "dosed"
    UNDOSED = "undosed"
    PENDING = "pending"


@dataclass(frozen=True)
class DoseCheck:
    """Whether one cell got its dose in one period.

    Attributes
    ----------
    code : str
        The cell.
    period_start, period_end : datetime
        The period, half-open, in the zone of ``shift_start``.
    minutes : float
        Total minutes of the stays begun in the period.
    longest_min : float
        The longest of them, minutes (0 without any).
    stays : int
        How many stays began in the period.
    dosed : bool
        ``longest_min >= dose_min``.
    over : bool
        ``longest_min > dose_max``.
    status : DoseStatus
        ``pending`` when not dosed and the period is not over at ``now``.
    unit, shift : str, int or None
        Labels passed to :func:`dosage_compliance`, for :func:`summarise`.
    """

    code: str
    period_start: datetime
    period_end: datetime
    minutes: float
    longest_min: float
    stays: int
    dosed: bool
    over: bool
    status: DoseStatus
    unit: str | int | None = None
    shift: str | None = None

    @property
    def grid(self) -> str:
        """The cell, for grouping by grid in :func:`summarise`."""
        return self.code

    @property
    def compliant(self) -> bool | None:
        """True when dosed, None while pending, else False."""
        return None if self.status is DoseStatus.PENDING else self.dosed


# -- dosage ----------------------------------------------------------------------------

def dosage_compliance(stays: pd.DataFrame, *, shift_start: datetime, shift_end: datetime,
                      revisit_min: float = 120, dose_min: float = 10, dose_max: float = 16,
                      codes: Iterable[str] | None = None, now: datetime | None = None,
                      unit: str | int | None = None,
                      shift: str | None = None) -> list[DoseCheck]:
    """Check, per cell and revisit period, whether the cell got a Koper dose.

    Parameters
    ----------
    stays : pandas.DataFrame
        Columns ``code``, ``enter``, ``exit`` (timezone-aware) and ``seconds``, as
        :func:`gis.tracks.stays_in_cells` returns them (of one unit or several).
    shift_start, shift_end : datetime, keyword-only
        The shift, timezone-aware.
    revisit_min : float, default 120
        Length of a period, minutes.
    dose_min, dose_max : float, default 10 and 16
        A stay of at least ``dose_min`` minutes is a dose; one of more than ``dose_max``
        is longer than useful.
    codes : iterable of str, optional
        The cells owed doses, in the order to report them; cells without any stay are
        reported undosed. Default: the cells in ``stays``, in order of first appearance.
        Stays in other cells are ignored.
    now : datetime, optional
        Periods not over at ``now`` and not yet dosed are ``pending``; None judges all.
    unit, shift : optional
        Labels copied into each check, for :func:`summarise`.

    Returns
    -------
    list of DoseCheck
        By cell (in the order of ``codes``), then by period.

    Raises
    ------
    InvalidComplianceInput
        A missing column, a naive time, ``dose_max < dose_min``.
    NaiveDatetime, InvalidInterval, InvalidDoseSpec
        From :func:`patrol.windows.dose_windows`: a naive or reversed shift,
        ``revisit_min``/``dose_min`` not positive or ``dose_min > revisit_min``.
    """
    lo, hi = aware_utc(shift_start, "shift_start"), aware_utc(shift_end, "shift_end")
    dose_max_min = check_minutes(dose_max, "dose_max")
    if isinstance(dose_min, int | float) and dose_max_min < dose_min:
        raise InvalidComplianceInput(f"dose_max={dose_max!r} is shorter than "
                                     f"dose_min={dose_min!r}")
    now_utc = aware_utc(now, "now") if now is not None else None
    periods = dose_windows(shift_start, shift_end, revisit_min=revisit_min, dose_min=dose_min)
    require_columns(stays, ("code", "enter", "exit"), "stays")
    enters = aware_times(stays, "enter", "stays")
    exits = aware_times(stays, "exit", "stays")
    order = list(dict.fromkeys(stays["code"].tolist() if codes is None else codes))
    # Minutes of each stay (cut to the shift) by cell and period index.
    found: dict[tuple[Any, int], list[float]] = {}
    starts_utc = [aware_utc(start, "period start") for start, _ in periods]
    ends_utc = [aware_utc(end, "period end") for _, end in periods]
    for code, enter, exit_ in zip(stays["code"].tolist(), enters, exits, strict=True):
        begin, finish = max(aware_utc(enter, "enter"), lo), min(aware_utc(exit_, "exit"), hi)
        if finish <= begin:
            continue
        index = next((i for i, (a, b) in enumerate(zip(starts_utc, ends_utc, strict=True))
                      if a <= begin < b), None)
        if index is not None:
            found.setdefault((code, index), []).append(minutes_of(finish - begin))
    checks = []
    for code in order:
        for index, (start, end) in enumerate(periods):
            minutes = found.get((code, index), [])
            longest = max(minutes, default=0.0)
            dosed = longest >= dose_min
            if dosed:
                status = DoseStatus.DOSED
            elif now_utc is not None and now_utc < ends_utc[index]:
                status = DoseStatus.PENDING
            else:
                status = DoseStatus.UNDOSED
            checks.append(DoseCheck(code=code, period_start=start, period_end=end,
                                    minutes=sum(minutes), longest_min=longest,
                                    stays=len(minutes), dosed=dosed,
                                    over=longest > dose_max_min, status=status,
                                    unit=unit, shift=shift))
    return checks
