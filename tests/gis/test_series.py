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


def test_linked_groups_join_through_neighbours() -> None:
    from gis.series import linked_groups

    # 0-1 are 100 m apart, 1-2 another 100 m (0-2: 200 m), 3 alone 1 km away
    x, y = [0, 100, 200, 1200], [0, 0, 0, 0]
    assert linked_groups(x, y, within_m=150) == [[0, 1, 2], [3]]
    assert linked_groups(x, y, within_m=50) == [[0], [1], [2], [3]]
    assert linked_groups([], [], within_m=10) == []
    with pytest.raises(ValueError, match="within_m"):
        linked_groups(x, y, within_m=0)
