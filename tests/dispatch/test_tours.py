"""Tours, pure: schedules (windows across midnight, holiday periods), wall steps, the
greedy cover against a brute-force optimum, reasons, finding kinds."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime

import pytest

from dispatch.errors import InvalidTour
from dispatch.tours import FindingKind, greedy_cover, parse_schedule, wall_steps
from dispatch.tours.reasons import ProposalContext, camera_reason
from gis.incidents import load_category_table


def test_a_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    friday_nights = parse_schedule({"windows": [{"weekdays": "fri", "start": "22:00",
                                                 "end": "02:00"}]})
    assert friday_nights.runs_at(datetime(2025, 10, 3, 22, 0))  # a Friday
    assert friday_nights.runs_at(datetime(2025, 10, 4, 1, 59))  # Saturday, before 02:00
    assert not friday_nights.runs_at(datetime(2025, 10, 4, 2, 0))
    assert not friday_nights.runs_at(datetime(2025, 10, 3, 1, 0))  # Friday's early hours
    assert not friday_nights.runs_at(datetime(2025, 10, 4, 22, 30))  # a Saturday night


def test_a_holiday_period_limits_the_windows_and_alone_means_all_day() -> None:
    national_day = {"from": "2025-10-01", "to": "2025-10-07"}
    evenings = parse_schedule({"windows": [{"start": "18:00", "end": "24:00"}],
                               "dates": national_day})
    assert evenings.runs_at(datetime(2025, 10, 7, 23, 59))
    assert not evenings.runs_at(datetime(2025, 10, 7, 12, 0))
    assert not evenings.runs_at(datetime(2025, 10, 8, 19, 0))
    all_day = parse_schedule({"dates": national_day})
    assert all_day.runs_at(datetime(2025, 10, 1, 0, 0))
    assert not all_day.runs_at(datetime(2025, 9, 30, 23, 59))
    assert all_day.describe(lang="zh") == "2025-10-01至2025-10-07"
    assert parse_schedule(all_day.as_json()) == all_day


def test_no_schedule_is_on_demand_and_never_due() -> None:
    schedule = parse_schedule(None)
    assert schedule.on_demand and not schedule.runs_at(datetime(2025, 1, 1, 12))
    assert schedule.describe() == "on demand"


@pytest.mark.parametrize(("value", "field"), [
    ({"windows": [{"start": "18:00", "end": "7:75"}]}, "schedule.windows.0.end"),
    ({"windows": [{"start": "18:00"}]}, "schedule.windows.0.end"),
    ({"windows": [{"weekdays": "someday", "start": "18:00", "end": "19:00"}]},
     "schedule.windows.0.weekdays"),
    ({"windows": [{"start": "18:00", "end": "19:00", "colour": "red"}]},
     "schedule.windows.0.colour"),
    ({"dates": {"from": "2025-10-07", "to": "2025-10-01"}}, "schedule.dates.to"),
    ({"dates": {"from": "2025-02-30", "to": "2025-03-01"}}, "schedule.dates.from"),
    ({"when": "always"}, "schedule.when"),
])
def test_a_bad_schedule_names_its_field(value: object, field: str) -> None:
    with pytest.raises(InvalidTour) as caught:
        parse_schedule(value)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_wall_steps_take_as_many_cameras_as_tiles_and_the_longest_dwell() -> None:
    steps = wall_steps([("a", 10), ("b", 30), ("c", 5), ("d", 5), ("e", 12)], layout=4)
    assert [(s.cameras, s.dwell_s) for s in steps] == [(("a", "b", "c", "d"), 30.0),
                                                       (("e",), 12.0)]
    assert [s.cameras for s in wall_steps([("a", 10), ("b", 10)], layout=1)] == [
        ("a",), ("b",)]
    with pytest.raises(InvalidTour, match="layout"):
        wall_steps([("a", 10)], layout=6)
    with pytest.raises(InvalidTour) as caught:
        wall_steps([("a", 10), ("b", 2)], layout=4)
    assert caught.value.field == "cameras.1.dwell_s"


def brute_force_best(sees: dict[int, set[int]], k: int) -> int:
    return max(len(set().union(*(sees[c] for c in chosen)))
               for chosen in itertools.combinations(sees, k))


def test_greedy_cover_is_within_its_guarantee_of_the_optimum() -> None:
    rng = random.Random(7)
    for _ in range(60):
        sees = {c: {rng.randrange(25) for _ in range(rng.randrange(1, 8))} for c in range(9)}
        k = rng.randrange(1, 5)
        picks = greedy_cover(sees, limit=k, fill=False)
        covered = len(set().union(*(p.seen for p in picks)))
        assert sum(p.new for p in picks) == covered
        assert covered >= (1 - 1 / 2.718281828) * brute_force_best(sees, k)


def test_greedy_cover_picks_the_widest_view_first_and_breaks_ties_by_key() -> None:
    sees = {5: {1, 2, 3}, 3: {4, 6}, 2: {4, 6}, 4: {4}, 7: {1, 2}, 8: set()}
    picks = greedy_cover(sees, limit=10)
    assert [(p.camera, p.new) for p in picks] == [(5, 3), (2, 2), (3, 0), (7, 0), (4, 0)]
    assert [p.camera for p in greedy_cover(sees, limit=10, fill=False)] == [5, 2]
    assert [p.camera for p in greedy_cover(sees, limit=3)] == [5, 2, 3]
    with pytest.raises(ValueError, match="limit"):
        greedy_cover(sees, limit=0)


def test_a_reason_states_its_counts_in_both_languages() -> None:
    context = ProposalContext(total=31, categories=[("Theft", "盗窃")], hours="18:00–21:00",
                              weekday=4, first=date(2024, 7, 1), last=date(2024, 9, 30))
    en, zh = camera_reason(context, seen=14, new=9, rank=2, cell="SQ-0012", in_cell=12)
    assert en == ("sees 14 of the 31 incidents of theft at 18:00–21:00 on Fridays from "
                  "2024-07-01 to 2024-09-30, 12 of them in hot cell SQ-0012; 9 not seen by "
                  "the cameras above")
    assert "31起盗窃警情中的14起" in zh and "SQ-0012" in zh and "周五" in zh


def test_every_finding_kind_becomes_a_known_category() -> None:
    table = load_category_table()
    assert {kind.category for kind in FindingKind} <= set(table.categories)
    assert FindingKind("theft").label_zh == "盗窃、扒窃"


def test_a_walk_starts_north_west_and_goes_to_the_nearest_next() -> None:
    from dispatch.tours.order import walk_order

    # a row of three cameras west to east, and one far south of the middle
    points = [(0.002, 51.5), (0.0, 51.5), (0.001, 51.49), (0.001, 51.5)]
    assert walk_order(points) == [1, 3, 0, 2]
    assert walk_order([]) == []
