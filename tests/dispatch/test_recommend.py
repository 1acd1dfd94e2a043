"""Ranking units for an alert: filters, order, exclusions and the reasons given."""

from __future__ import annotations

import ast
import math
import random
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dispatch.recommend import (
    COMMITTED_MARGIN_S,
    Candidate,
    Exclusion,
    InvalidRankingInput,
    NotRanked,
    Ranking,
    ReasonCode,
    UnitKind,
    rank_units,
    why_not_ranked,
)
from dispatch.status import UnitStatus

NOW = datetime(2024, 10, 1, 20, 0, tzinfo=UTC)
S = UnitStatus
K = UnitKind


def unit(unit_id: int, eta_s: float, **changes: Any) -> Candidate:
    """An available patrol car with a fix 30 s old, `eta_s` away at 10 m/s."""
    base = Candidate(unit_id=unit_id, callsign=f"P{unit_id:02d}", kind=K.PATROL_CAR,
                     skills=frozenset(), status=S.AVAILABLE, eta_s=eta_s,
                     distance_m=eta_s * 10, fix_at=NOW - timedelta(seconds=30))
    return replace(base, **changes)


def rank(candidates: list[Candidate], *, covert: bool = False, **options: Any) -> Ranking:
    return rank_units(candidates, now=NOW, covert=covert, **options)


def order(ranking: Ranking) -> list[int]:
    return [r.unit_id for r in ranking.units]


def test_unit_kinds_have_codes_and_labels() -> None:
    assert [k.value for k in K] == [
        "patrol_car", "motorcycle", "foot", "plainclothes", "traffic", "special"]
    assert [k.label_zh for k in K] == ["巡逻车", "摩托车", "步巡", "便衣", "交警", "特警"]
    assert all(k.label_en for k in K)


def test_units_are_ordered_by_travel_time() -> None:
    ranking = rank([unit(1, 300), unit(2, 90), unit(3, 600), unit(4, 120)])
    assert order(ranking) == [2, 4, 1, 3]
    assert [r.rank for r in ranking.units] == [1, 2, 3, 4]
    assert ranking.excluded == () and ranking.beyond_limit == 0


def test_ties_are_broken_by_distance_then_callsign_then_id() -> None:
    ranking = rank([
        unit(1, 120, distance_m=900, callsign="B"),
        unit(2, 120, distance_m=800, callsign="Z"),
        unit(3, 120, distance_m=900, callsign="A"),
        unit(4, 120, distance_m=math.nan, callsign="0"),
        unit(5, 120, distance_m=900, callsign="A"),
    ])
    assert order(ranking) == [2, 3, 5, 1, 4]


def test_the_order_matches_a_plain_sort_for_fresh_available_units() -> None:
    rng = random.Random(28181)
    for _ in range(50):
        candidates = [unit(i, float(rng.randint(30, 90)), distance_m=float(rng.randint(1, 4)),
                           callsign=rng.choice("ABC") + str(i))
                      for i in range(rng.randint(1, 15))]
        expected = sorted(candidates, key=lambda c: (c.eta_s, c.distance_m, c.callsign))
        assert order(rank(candidates, limit=20)) == [c.unit_id for c in expected]


def test_covert_alerts_put_plainclothes_units_first_ranked_by_eta() -> None:
    candidates = [unit(1, 60), unit(2, 400, kind=K.PLAINCLOTHES), unit(3, 90),
                  unit(4, 200, kind=K.PLAINCLOTHES)]
    assert order(rank(candidates, covert=True)) == [4, 2, 1, 3]
    assert order(rank(candidates, covert=False)) == [1, 3, 4, 2]


def test_covert_alerts_without_plainclothes_rank_the_others_as_usual() -> None:
    ranking = rank([unit(1, 90), unit(2, 60, kind=K.MOTORCYCLE)], covert=True)
    assert order(ranking) == [2, 1]
    assert all(r.reason[1].code is ReasonCode.UNIFORMED for r in ranking.units)


def test_a_committed_unit_goes_ahead_only_when_more_than_30_s_sooner() -> None:
    assert COMMITTED_MARGIN_S == 30
    committed = {"status": S.COMMITTED_AVAILABLE}
    assert order(rank([unit(1, 100), unit(2, 75, **committed)])) == [1, 2]
    assert order(rank([unit(1, 100), unit(2, 69, **committed)])) == [2, 1]
    # exactly 30 s sooner is a tie on effective time: the available unit first
    assert order(rank([unit(1, 100, distance_m=5000), unit(2, 70, distance_m=1, **committed)])
                 ) == [1, 2]


def test_a_stale_unit_goes_ahead_only_if_it_wins_even_after_driving_away() -> None:
    stale = {"fix_at": NOW - timedelta(seconds=400)}
    ranking = rank([unit(1, 300), unit(2, 60, **stale), unit(3, 500)])
    assert order(ranking) == [1, 2, 3]  # 60 + 400 = 460 s worst case
    flagged = {r.unit_id: (r.stale, r.fix_age_s) for r in ranking.units}
    assert flagged == {1: (False, 30.0), 2: (True, 400.0), 3: (False, 30.0)}


def test_staleness_is_measured_against_stale_after_s() -> None:
    candidates = [unit(1, 100, fix_at=NOW - timedelta(seconds=300)),
                  unit(2, 100, fix_at=NOW - timedelta(seconds=301))]
    ranking = rank(candidates)
    assert [(r.unit_id, r.stale) for r in ranking.units] == [(1, False), (2, True)]
    assert all(r.stale for r in rank(candidates, stale_after_s=60).units)


def test_a_fix_slightly_in_the_future_counts_as_fresh() -> None:
    ranking = rank([unit(1, 100, fix_at=NOW + timedelta(seconds=5))])
    assert (ranking.units[0].fix_age_s, ranking.units[0].stale) == (0.0, False)


def test_fix_times_in_other_zones_are_compared_as_instants() -> None:
    beijing = timezone(timedelta(hours=8))
    fix_at = (NOW - timedelta(minutes=7)).astimezone(beijing)
    ranking = rank_units([unit(1, 100, fix_at=fix_at)], now=NOW.astimezone(beijing),
                         covert=False)
    assert ranking.units[0].fix_age_s == 420.0


def test_kinds_filter_and_an_empty_set_means_any() -> None:
    candidates = [unit(1, 60), unit(2, 90, kind=K.SPECIAL), unit(3, 30, kind=K.FOOT)]
    ranking = rank(candidates, kinds=frozenset({K.SPECIAL, K.FOOT}))
    assert order(ranking) == [3, 2]
    assert [(e.unit_id, e.reason, e.reason_en, e.reason_zh) for e in ranking.excluded] == [
        (1, Exclusion.KIND, "not a kind asked for: Patrol car", "非所需警力类型：巡逻车")]
    assert order(rank(candidates, kinds=frozenset())) == [3, 1, 2]


def test_every_requested_skill_is_required_case_insensitively() -> None:
    candidates = [
        unit(1, 60, skills=frozenset({"First_Aid"})),
        unit(2, 90, skills=frozenset({"firearms", "first_aid"})),
        unit(3, 30),
    ]
    ranking = rank(candidates, skills=frozenset({"first_aid", " Firearms "}))
    assert order(ranking) == [2]
    assert [(e.unit_id, e.reason_en, e.reason_zh) for e in ranking.excluded] == [
        (1, "lacks skills: firearms", "缺少技能：firearms"),
        (3, "lacks skills: firearms, first_aid", "缺少技能：firearms、first_aid"),
    ]
    assert ranking.units[0].reason_en == "1.5 min by road (900 m); has firearms, first_aid"
    assert order(rank(candidates, skills=frozenset())) == [3, 1, 2]


@pytest.mark.parametrize(("changes", "reason", "en", "zh"), [
    ({"assigned": True}, Exclusion.ALREADY_ASSIGNED, "already assigned to this alert",
     "已派往本警情"),
    ({"status": S.OUT_OF_SERVICE}, Exclusion.STATUS, "status: Out of service", "状态：不在岗"),
    ({"status": S.ON_SCENE}, Exclusion.STATUS, "status: On scene", "状态：到场"),
    ({"status": S.DISPATCHED}, Exclusion.STATUS, "status: Dispatched", "状态：已派遣"),
    ({"kind": K.TRAFFIC}, Exclusion.KIND, "not a kind asked for: Traffic police",
     "非所需警力类型：交警"),
    ({"skills": frozenset()}, Exclusion.SKILLS, "lacks skills: k9", "缺少技能：k9"),
    ({"fix_at": None, "eta_s": math.inf}, Exclusion.NO_POSITION, "no position fix", "无定位"),
    ({"eta_s": math.inf}, Exclusion.UNREACHABLE, "no road route to the alert",
     "无可达道路路线"),
    ({"eta_s": math.nan}, Exclusion.UNREACHABLE, "no road route to the alert",
     "无可达道路路线"),
    # the first reason in the documented order wins
    ({"assigned": True, "status": S.OUT_OF_SERVICE, "fix_at": None},
     Exclusion.ALREADY_ASSIGNED, "already assigned to this alert", "已派往本警情"),
    ({"status": S.EN_ROUTE, "kind": K.TRAFFIC}, Exclusion.STATUS, "status: En route",
     "状态：途中"),
    ({"fix_at": None, "skills": frozenset()}, Exclusion.SKILLS, "lacks skills: k9",
     "缺少技能：k9"),
])
def test_each_excluded_unit_says_why(changes: dict[str, Any], reason: Exclusion, en: str,
                                     zh: str) -> None:
    excluded = unit(7, 45, kind=K.PATROL_CAR, skills=frozenset({"k9"}))
    ranking = rank([unit(1, 100, skills=frozenset({"k9"})), replace(excluded, **changes)],
                   kinds=frozenset({K.PATROL_CAR}), skills=frozenset({"k9"}))
    assert order(ranking) == [1]
    [entry] = ranking.excluded
    assert (entry.unit_id, entry.callsign, entry.reason, entry.reason_en, entry.reason_zh) == (
        7, "P07", reason, en, zh)


def test_excluded_units_are_listed_by_callsign() -> None:
    ranking = rank([unit(1, 60, callsign="Z9", status=S.OUT_OF_SERVICE),
                    unit(2, 60, callsign="A1", fix_at=None),
                    unit(3, 60, callsign="M5", assigned=True)])
    assert ranking.units == ()
    assert [e.callsign for e in ranking.excluded] == ["A1", "M5", "Z9"]


def test_limit_keeps_the_best_and_counts_the_rest() -> None:
    ranking = rank([unit(i, 100 + i) for i in range(1, 8)], limit=3)
    assert order(ranking) == [1, 2, 3]
    assert ranking.beyond_limit == 4


def test_the_reason_in_both_languages_for_a_covert_stale_plainclothes_unit() -> None:
    candidate = unit(1, 138, distance_m=1400, kind=K.PLAINCLOTHES,
                     fix_at=NOW - timedelta(minutes=7))
    [first] = rank([candidate], covert=True).units
    assert [part.code for part in first.reason] == [
        ReasonCode.TRAVEL, ReasonCode.PLAINCLOTHES, ReasonCode.STALE]
    assert first.reason_en == (
        "2.3 min by road (1.4 km); plainclothes for a covert alert; position 7 min old")
    assert first.reason_zh == "车程2.3分钟（1.4公里）；便衣，适合隐蔽处置；位置7分钟前"
    assert (first.kind, first.status, first.eta_s, first.distance_m) == (
        K.PLAINCLOTHES, S.AVAILABLE, 138, 1400)


def test_the_reason_for_a_committed_uniformed_unit_on_a_covert_alert() -> None:
    [first] = rank([unit(1, 45, distance_m=850, status=S.COMMITTED_AVAILABLE)],
                   covert=True).units
    assert first.reason_en == ("45 s by road (850 m); uniformed: after plainclothes for a "
                               "covert alert; committed: would leave its task")
    assert first.reason_zh == ("车程45秒（850米）；着装警力，隐蔽处置时排在便衣之后；"
                               "任务中可调派，需中断当前任务")


@pytest.mark.parametrize(("eta_s", "distance_m", "age_s", "en", "zh"), [
    (59, 999, 30, "59 s by road (999 m)", "车程59秒（999米）"),
    (60, 1000, 30, "1.0 min by road (1.0 km)", "车程1.0分钟（1.0公里）"),
    (3900, math.inf, 30, "65.0 min by road", "车程65.0分钟"),
    (90, 1200, 3900, "1.5 min by road (1.2 km); position 1 h 5 min old",
     "车程1.5分钟（1.2公里）；位置1小时5分钟前"),
])
def test_times_and_distances_are_written_in_readable_units(
        eta_s: float, distance_m: float, age_s: float, en: str, zh: str) -> None:
    candidate = unit(1, eta_s, distance_m=distance_m, fix_at=NOW - timedelta(seconds=age_s))
    [first] = rank([candidate]).units
    assert (first.reason_en, first.reason_zh) == (en, zh)


def test_a_stale_age_under_a_minute_is_in_seconds() -> None:
    [first] = rank([unit(1, 30, fix_at=NOW - timedelta(seconds=45))], stale_after_s=40).units
    assert first.reason_en.endswith("; position 45 s old")
    assert first.reason_zh.endswith("；位置45秒前")


@pytest.mark.parametrize(("candidates", "options", "message"), [
    ([unit(1, 60)], {"now": datetime(2024, 10, 1, 20, 0)}, "now=2024-10-01T20:00:00 has no "
     "timezone"),
    ([unit(1, 60, fix_at=datetime(2024, 10, 1, 19, 59))], {},
     "fix_at of unit 1=2024-10-01T19:59:00 has no timezone"),
    ([unit(1, -5)], {}, "eta_s of unit 1 is negative: -5"),
    ([unit(1, 60, distance_m=-1.0)], {}, "distance_m of unit 1 is negative: -1.0"),
    ([unit(1, 60), unit(1, 90, callsign="X")], {}, "unit 1 (X) is given twice"),
    ([unit(1, 60)], {"limit": 0}, "limit must be at least 1, got 0"),
    ([unit(1, 60)], {"stale_after_s": 0}, "stale_after_s must be positive, got 0"),
    ([unit(1, 60)], {"stale_after_s": math.nan}, "stale_after_s must be positive, got nan"),
])
def test_caller_mistakes_are_refused(candidates: list[Candidate], options: dict[str, Any],
                                     message: str) -> None:
    with pytest.raises(InvalidRankingInput) as caught:
        rank_units(candidates, **{"now": NOW, "covert": False, **options})
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_candidates_may_be_any_iterable() -> None:
    assert order(rank_units(iter([unit(2, 9), unit(1, 3)]), now=NOW, covert=False)) == [1, 2]


def test_the_module_imports_only_the_standard_library_and_dispatch() -> None:
    source = Path(__file__).resolve().parents[2] / "dispatch" / "recommend.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert imported - {"__future__", "dispatch"} <= sys.stdlib_module_names


@pytest.mark.parametrize(("options", "en", "zh"), [
    ({"code": NotRanked.NO_ROAD_GRAPH},
     "no road network has been imported: units cannot be ranked by travel time",
     "尚未导入路网，无法按车程推荐警力"),
    ({"code": NotRanked.OFF_ROAD_NETWORK, "nearest_road_m": 1340.0},
     "the place is 1.3 km from the nearest drivable road (more than 500 m): units cannot be "
     "ranked by travel time", "该地点距最近的可通行道路1.3公里（超过500米），无法按车程推荐警力"),
    ({"code": NotRanked.OFF_ROAD_NETWORK, "searched_m": 50_000.0},
     "there is no drivable road within 50 km of the place: units cannot be ranked by travel "
     "time", "该地点50公里内没有可通行道路，无法按车程推荐警力"),
    ({"code": NotRanked.OFF_ROAD_NETWORK, "max_snap_m": 300.0},
     "the place is more than 300 m from any drivable road: units cannot be ranked by travel "
     "time", "该地点距可通行道路超过300米，无法按车程推荐警力"),
])
def test_why_no_unit_can_be_ranked_is_said_in_both_languages(
        options: dict[str, Any], en: str, zh: str) -> None:
    why = why_not_ranked(**options)
    assert (why.code, why.reason_en, why.reason_zh) == (options["code"], en, zh)
    assert why.nearest_road_m == options.get("nearest_road_m")
