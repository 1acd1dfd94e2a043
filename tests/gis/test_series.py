"""The hours that matter: hours of the day widened and merged on the 24-hour clock."""

from __future__ import annotations

import pytest

from gis.series import hour_ranges


def test_hours_widened_and_merged() -> None:
    assert hour_ranges([3]) == [(2, 5)]
    assert hour_ranges([3, 4, 9]) == [(2, 6), (8, 11)]
    assert hour_ranges([3, 9], widen_h=0) == [(3, 4), (9, 10)]
    assert hour_ranges([7, 7, 7], widen_h=2) == [(5, 10)]


def test_ranges_run_past_midnight() -> None:
    assert hour_ranges([23, 0, 1]) == [(22, 3)]
    assert hour_ranges([0]) == [(23, 2)]
    assert hour_ranges([23], widen_h=0) == [(23, 0)]


def test_every_hour_and_none() -> None:
    assert hour_ranges(range(0, 24, 2)) == [(0, 24)]
    assert hour_ranges([]) == []
    with pytest.raises(ValueError, match="24"):
        hour_ranges([24])
    with pytest.raises(ValueError, match="widen_h"):
        hour_ranges([1], widen_h=-1)
