"""Radio assignments: which unit held a radio when, overlaps, the standing fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import InvalidAssignment
from dispatch.radio_identity import Assignment, first_overlap, unit_holding

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
SHIFT = timedelta(hours=8)


def test_a_radio_changes_hands_at_shift_change() -> None:
    day = Assignment("4711", 12, T0, T0 + SHIFT, "P-12 handheld")
    evening = Assignment("4711", 14, T0 + SHIFT)
    both = [day, evening]
    assert unit_holding("4711", T0, both, {}) == 12
    assert unit_holding("4711", T0 + SHIFT - timedelta(seconds=1), both, {}) == 12
    assert unit_holding("4711", T0 + SHIFT, both, {}) == 14
    assert unit_holding("4711", T0 + 10 * SHIFT, both, {}) == 14
    assert unit_holding("4711", T0 - timedelta(seconds=1), both, {"4711": 3}) == 3
    assert unit_holding("9999", T0, both, {}) is None


def test_overlaps() -> None:
    day = Assignment("4711", 12, T0, T0 + SHIFT)
    assert first_overlap(Assignment("4711", 14, T0 + SHIFT), [day]) is None
    assert first_overlap(Assignment("4711", 14, T0 + SHIFT / 2), [day]) == day
    assert first_overlap(Assignment("4712", 14, T0), [day]) is None
    assert Assignment("4711", 1, T0 - SHIFT).overlaps(day)


def test_bad_periods_are_refused() -> None:
    with pytest.raises(InvalidAssignment, match="valid_until"):
        Assignment("4711", 1, T0, T0)
    with pytest.raises(InvalidAssignment, match="valid_from"):
        Assignment("4711", 1, datetime(2026, 5, 1))
