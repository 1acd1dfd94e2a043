"""Errors raised by patrol/, each a ``ValueError`` subclass named after the failure.

``app/errors.py`` maps them to HTTP answers once (422 with ``field`` when the error names
one). The modules that raise them re-export them, so
``from patrol.shifts import InvalidShiftSpec`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence


class InvalidClockTime(ValueError):
    """A time of day is not ``HH:MM`` between 00:00 and 23:59 (or 24:00 as an end)."""


class InvalidShiftSpec(ValueError):
    """A shift definition or a set of them is malformed, ambiguous or overlapping."""


class NaiveDatetime(ValueError):
    """A datetime that must be an instant has no timezone."""


class InvalidWindow(ValueError):
    """The must-visit windows given cannot be read.

    Must-visit windows are malformed; ``problems`` lists each, starting with its path
    (``"windows[1].start: '7:75' is not a time (use HH:MM, 00:00-23:59)"``).
    """

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


class InvalidInterval(ValueError):
    """An interval is empty or reversed, or lies before the solver's epoch."""


class InvalidDoseSpec(ValueError):
    """A dosage period or dose length is not a positive number of minutes, or does not fit."""


class InvalidPlanInput(ValueError):
    """The matrix, a vehicle, a stop or an option of a planning request is unusable."""


class InvalidComplianceInput(ValueError):
    """The input of a compliance check is unusable.

    A planned stop, a visits or stays table, or an option is unusable (a window that
    ends before it starts, a negative dwell, a missing column, a naive time).
    """
