"""Radio ID ↔ unit: which unit held a radio at a given time; pure.

Radios change hands at shift change: the roster (or a supervisor) assigns radio ``4711``
to unit ``P-12`` from 08:00 to 16:00 and to ``P-14`` from 16:00. An assignment holds
from ``valid_from`` (inclusive) until ``valid_until`` (exclusive; None: open-ended), and
carries the radio's alias (``"State Port. 329"``, the trunking system's alpha tag, or a
name people use). Two assignments of one radio may not overlap in time; the database
enforces it too (an exclusion constraint). A radio without an assignment at the time
falls back to the unit whose own ``radio_ids`` list it (the standing equipment of a car).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.errors import InvalidAssignment


@dataclass(frozen=True)
class Assignment:
    """Radio ``radio_id`` belongs to unit ``unit_id`` for a period.

    From ``valid_from`` until ``valid_until`` (exclusive; None: until further notice).
    Times are aware.
    """

    radio_id: str
    unit_id: int
    valid_from: datetime
    valid_until: datetime | None = None
    alias: str = ""

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise InvalidAssignment(name, "has no time zone")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise InvalidAssignment("valid_until", "must come after valid_from")

    def holds_at(self, at: datetime) -> bool:
        """Tell whether the assignment holds at ``at`` (aware)."""
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def overlaps(self, other: Assignment) -> bool:
        """Tell whether both assign the same radio at some common time."""
        if self.radio_id != other.radio_id:
            return False
        self_ends_after = self.valid_until is None or other.valid_from < self.valid_until
        other_ends_after = other.valid_until is None or self.valid_from < other.valid_until
        return self_ends_after and other_ends_after


def unit_holding(radio_id: str, at: datetime, assignments: Iterable[Assignment],
                 standing: Mapping[str, int]) -> int | None:
    """Return the unit that held ``radio_id`` at ``at``.

    Parameters
    ----------
    radio_id : str
        The radio.
    at : datetime
        When the radio spoke (aware).
    assignments : iterable of Assignment
        The radio's assignments (others are ignored).
    standing : Mapping[str, int]
        ``{radio id: unit id}`` from the units' own radio lists, used when no assignment
        holds at ``at``.

    Returns
    -------
    int or None
        The unit id; None for a radio nobody holds (an unknown radio).
    """
    for assignment in assignments:
        if assignment.radio_id == radio_id and assignment.holds_at(at):
            return assignment.unit_id
    return standing.get(radio_id)


def first_overlap(new: Assignment, existing: Sequence[Assignment]) -> Assignment | None:
    """The first of ``existing`` that ``new`` would overlap, or None."""
    return next((a for a in existing if a.overlaps(new)), None)
