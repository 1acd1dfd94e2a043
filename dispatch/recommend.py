"""Ranking units for an alert: who to send, in what order, and why; a pure decision.

The service layer gathers the candidates (status, road travel time from the router, last
position fix) and asks :func:`rank_units`; dispatching is a separate act.

Decisions
---------
A candidate is left out, with the first reason that applies (in this order, so the
console can say why a unit is missing):

1. ``already_assigned`` to this alert;
2. ``status``: not recommendable (:func:`dispatch.status.is_recommendable`: only
   ``available`` and ``committed_available`` are);
3. ``kind``: not one of the kinds asked for (no ``kinds``, or an empty set, means any kind);
4. ``skills``: lacks one of the skills asked for (all are required; skills are compared
   after trimming and case-folding);
5. ``no_position``: no position fix (``fix_at`` is None);
6. ``unreachable``: no road travel time (``eta_s`` infinite or NaN).

The others are ordered by an *effective* travel time, then by status (available first),
road distance, callsign and unit id:

- ``eta_s`` is the road travel time from the unit's last fix.
- A ``committed_available`` unit leaves a task behind, so it gets
  :data:`COMMITTED_MARGIN_S` (30 s) added: it goes ahead of an available unit only when it
  arrives more than 30 s sooner.
- A fix older than ``stale_after_s`` is *stale*: the unit may have driven on since. Its fix
  age is added, which is the worst case (it drove away from the alert for that long at the
  speed it would come back at, so the trip back takes at most that long again). A stale
  unit goes ahead of a fresh one only when it would arrive first even so; it is never
  dropped, and it is flagged so the dispatcher can confirm its position on the radio.
  A fix a little in the future (a receiver clock ahead of the server's) counts as age 0.
- When the alert is ``covert``, plainclothes units come first (in the order above among
  themselves), then the uniformed ones.

When no unit can be ranked at all for the place, :func:`why_not_ranked` says why, in both
languages: no road network has been imported (``no_road_graph``), or the place lies farther
than the snapping distance (500 m) from every drivable road (``off_road_network``: at sea,
in a park, outside the map), with the distance to the nearest one when it is known. The
alert is still raised and its cameras still called up; only the unit list is empty.

Each recommendation carries its reasons as parts (travel time and distance; plainclothes
or uniformed for a covert alert; committed; the skills asked for; a stale position) with
English and Chinese text, e.g. "2.3 min by road (1.4 km); plainclothes for a covert
alert; position 7 min old" / "车程2.3分钟（1.4公里）；便衣，适合隐蔽处置；位置7分钟前".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from dispatch.errors import InvalidRankingInput as InvalidRankingInput  # re-exported
from dispatch.labels import LabelledEnum
from dispatch.status import UnitStatus, is_recommendable

COMMITTED_MARGIN_S = 30.0
"""Seconds by which a committed unit must beat an available one to be ranked ahead of it."""


class UnitKind(LabelledEnum):
    """What a unit is; the value is the stable code stored and sent over the API."""

    PATROL_CAR = "patrol_car", "Patrol car", "巡逻车"
    MOTORCYCLE = "motorcycle", "Motorcycle", "摩托车"
    FOOT = "foot", "Foot patrol", "步巡"
    PLAINCLOTHES = "plainclothes", "Plainclothes", "便衣"
    TRAFFIC = "traffic", "Traffic police", "交警"
    SPECIAL = "special", "Special police", "特警"


class Exclusion(StrEnum):
    """Why a candidate is not ranked; the value is the stable code sent to the console."""

    ALREADY_ASSIGNED = "already_assigned"
    STATUS = "status"
    KIND = "kind"
    SKILLS = "skills"
    NO_POSITION = "no_position"
    UNREACHABLE = "unreachable"


class NotRanked(StrEnum):
    """Why no unit can be ranked for a place; the value is the stable code sent."""

    NO_ROAD_GRAPH = "no_road_graph"
    OFF_ROAD_NETWORK = "off_road_network"


class ReasonCode(StrEnum):
    """What one part of a recommendation's reason is about."""

    TRAVEL = "travel"
    PLAINCLOTHES = "plainclothes"
    UNIFORMED = "uniformed"
    COMMITTED = "committed"
    SKILLS = "skills"
    STALE = "stale"


@dataclass(frozen=True)
class Candidate:
    """A unit the service layer considers for an alert.

    Attributes
    ----------
    unit_id : int
    callsign : str
    kind : UnitKind
    skills : frozenset of str
        Skill codes the unit's crew holds, e.g. ``{"firearms", "first_aid"}``.
    status : UnitStatus
    eta_s : float
        Road travel time from the last fix to the alert, seconds; ``inf`` when unreachable
        or unknown.
    distance_m : float
        Road distance of that trip, metres; ``inf`` or NaN when unknown.
    fix_at : datetime or None
        When the last position was fixed, timezone-aware; None when the unit has none.
    assigned : bool
        True when the unit is already assigned to this alert.
    """

    unit_id: int
    callsign: str
    kind: UnitKind
    skills: frozenset[str]
    status: UnitStatus
    eta_s: float
    distance_m: float
    fix_at: datetime | None
    assigned: bool = False


@dataclass(frozen=True)
class ReasonPart:
    """One part of why a unit is recommended where it is, in both languages."""

    code: ReasonCode
    en: str
    zh: str


@dataclass(frozen=True)
class Recommendation:
    """A ranked unit.

    Attributes
    ----------
    rank : int
        1 for the first unit.
    unit_id, callsign, kind, status
        As in the candidate.
    eta_s : float
        Road travel time from the last fix, seconds.
    distance_m : float
        Road distance, metres (``inf`` or NaN when unknown).
    stale : bool
        True when the fix is older than ``stale_after_s``.
    fix_age_s : float
        Age of the fix at ``now``, seconds (0 for a fix in the future).
    reason : tuple of ReasonPart
    """

    rank: int
    unit_id: int
    callsign: str
    kind: UnitKind
    status: UnitStatus
    eta_s: float
    distance_m: float
    stale: bool
    fix_age_s: float
    reason: tuple[ReasonPart, ...]

    @property
    def reason_en(self) -> str:
        """The reason in English, parts joined by ``"; "``."""
        return "; ".join(part.en for part in self.reason)

    @property
    def reason_zh(self) -> str:
        """The reason in Chinese, parts joined by ``"；"``."""
        return "；".join(part.zh for part in self.reason)


@dataclass(frozen=True)
class Excluded:
    """A candidate left out of the ranking, and why.

    Attributes
    ----------
    unit_id, callsign, kind, status
        As in the candidate.
    reason : Exclusion
        The first rule that left it out (see the module docstring).
    reason_en, reason_zh : str
        The same with its detail, for the console: ``"status: Out of service"`` /
        ``"状态：不在岗"``, ``"lacks skills: k9"`` / ``"缺少技能：k9"``.
    """

    unit_id: int
    callsign: str
    kind: UnitKind
    status: UnitStatus
    reason: Exclusion
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class Ranking:
    """The answer of :func:`rank_units`.

    Attributes
    ----------
    units : tuple of Recommendation
        The best ``limit`` units, best first.
    excluded : tuple of Excluded
        Candidates not ranked, ordered by callsign.
    beyond_limit : int
        How many rankable units did not fit in ``limit``.
    """

    units: tuple[Recommendation, ...]
    excluded: tuple[Excluded, ...]
    beyond_limit: int


@dataclass(frozen=True)
class RankingUnavailable:
    """Why the units could not be ranked for a place at all.

    Attributes
    ----------
    code : NotRanked
    reason_en, reason_zh : str
        The reason for the console, e.g. "the place is 1.3 km from the nearest drivable
        road (more than 500 m): units cannot be ranked by travel time".
    nearest_road_m : float or None
        Distance in metres from the place to the nearest drivable road, when known.
    """

    code: NotRanked
    reason_en: str
    reason_zh: str
    nearest_road_m: float | None = None


def why_not_ranked(code: NotRanked, *, nearest_road_m: float | None = None,
                   max_snap_m: float = 500.0, searched_m: float | None = None
                   ) -> RankingUnavailable:
    """The reason no unit can be ranked for a place, in English and Chinese.

    Parameters
    ----------
    code : NotRanked
        ``no_road_graph`` or ``off_road_network``.
    nearest_road_m : float or None, keyword-only
        Metres from the place to the nearest drivable road, if one was found.
    max_snap_m : float, keyword-only
        The snapping distance the place lies beyond, metres.
    searched_m : float or None, keyword-only
        How far the nearest road was looked for, metres, when none was found.

    Returns
    -------
    RankingUnavailable
        The code, both texts and the distance.
    """
    tail_en = "units cannot be ranked by travel time"
    tail_zh = "无法按车程推荐警力"
    if code is NotRanked.NO_ROAD_GRAPH:
        return RankingUnavailable(code, f"no road network has been imported: {tail_en}",
                                  f"尚未导入路网，{tail_zh}")
    limit_en, limit_zh = _distance(max_snap_m)
    if nearest_road_m is not None and math.isfinite(nearest_road_m):
        near_en, near_zh = _distance(nearest_road_m)
        return RankingUnavailable(
            code, f"the place is {near_en} from the nearest drivable road (more than "
                  f"{limit_en}): {tail_en}",
            f"该地点距最近的可通行道路{near_zh}（超过{limit_zh}），{tail_zh}", nearest_road_m)
    if searched_m is not None:
        far_en, far_zh = f"{searched_m / 1000:g} km", f"{searched_m / 1000:g}公里"
        return RankingUnavailable(
            code, f"there is no drivable road within {far_en} of the place: {tail_en}",
            f"该地点{far_zh}内没有可通行道路，{tail_zh}")
    return RankingUnavailable(
        code, f"the place is more than {limit_en} from any drivable road: {tail_en}",
        f"该地点距可通行道路超过{limit_zh}，{tail_zh}")


def rank_units(
    candidates: Iterable[Candidate],
    *,
    now: datetime,
    covert: bool,
    kinds: frozenset[UnitKind] | None = None,
    skills: frozenset[str] | None = None,
    stale_after_s: float = 300.0,
    limit: int = 10,
) -> Ranking:
    """Rank the candidates for an alert by the rules in the module docstring.

    Parameters
    ----------
    candidates : iterable of Candidate
        Each unit once.
    now : datetime
        The time to judge fix ages at; timezone-aware.
    covert : bool, keyword-only
        The alert calls for covert work: plainclothes units first.
    kinds : frozenset of UnitKind or None, keyword-only
        Kinds wanted; None or empty for any.
    skills : frozenset of str or None, keyword-only
        Skills every recommended unit must have; None or empty for none.
    stale_after_s : float, keyword-only
        Age in seconds beyond which a fix is stale; positive.
    limit : int, keyword-only
        Most units returned; at least 1.

    Returns
    -------
    Ranking
        The ranked units, the excluded ones with reasons, and the count beyond ``limit``.

    Raises
    ------
    InvalidRankingInput
        When ``now`` or a ``fix_at`` is naive, an ``eta_s`` or ``distance_m`` is negative,
        a unit id appears twice, ``stale_after_s`` is not positive or ``limit`` is below 1.
    """
    _check_aware("now", now)
    if not stale_after_s > 0:
        raise InvalidRankingInput(f"stale_after_s must be positive, got {stale_after_s}")
    if limit < 1:
        raise InvalidRankingInput(f"limit must be at least 1, got {limit}")
    wanted_skills = frozenset(_skill_key(s) for s in skills or ())
    wanted_kinds = kinds or None

    seen: set[int] = set()
    ranked: list[tuple[tuple[int, float, int, float, str, int], Recommendation]] = []
    excluded: list[Excluded] = []
    for unit in candidates:
        _check_candidate(unit, seen)
        exclusion = _exclusion(unit, wanted_kinds, wanted_skills)
        if exclusion is not None:
            excluded.append(exclusion)
            continue
        fix_age_s = _fix_age_s(unit.fix_at, now)
        stale = fix_age_s > stale_after_s
        committed = unit.status is UnitStatus.COMMITTED_AVAILABLE
        effective_s = (unit.eta_s + (COMMITTED_MARGIN_S if committed else 0.0)
                       + (fix_age_s if stale else 0.0))
        covert_group = 0 if not covert or unit.kind is UnitKind.PLAINCLOTHES else 1
        distance = unit.distance_m if not math.isnan(unit.distance_m) else math.inf
        key = (covert_group, effective_s, int(committed), distance, unit.callsign, unit.unit_id)
        reason = _reason(unit, covert=covert, skills=wanted_skills, stale=stale,
                         fix_age_s=fix_age_s)
        ranked.append((key, Recommendation(
            rank=0, unit_id=unit.unit_id, callsign=unit.callsign, kind=unit.kind,
            status=unit.status, eta_s=unit.eta_s, distance_m=unit.distance_m, stale=stale,
            fix_age_s=fix_age_s, reason=reason)))

    ranked.sort(key=lambda pair: pair[0])
    units = tuple(
        replace(recommendation, rank=rank)
        for rank, (_, recommendation) in enumerate(ranked[:limit], start=1))
    excluded.sort(key=lambda e: (e.callsign, e.unit_id))
    return Ranking(units=units, excluded=tuple(excluded),
                   beyond_limit=max(0, len(ranked) - limit))


def _fix_age_s(fix_at: datetime | None, now: datetime) -> float:
    if fix_at is None:  # never here: a unit without a fix is excluded first
        return math.inf
    return max(0.0, (now - fix_at).total_seconds())


def _check_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRankingInput(f"{name}={value.isoformat()} has no timezone")


def _check_candidate(unit: Candidate, seen: set[int]) -> None:
    if unit.unit_id in seen:
        raise InvalidRankingInput(f"unit {unit.unit_id} ({unit.callsign}) is given twice")
    seen.add(unit.unit_id)
    if unit.fix_at is not None:
        _check_aware(f"fix_at of unit {unit.unit_id}", unit.fix_at)
    for name, value in (("eta_s", unit.eta_s), ("distance_m", unit.distance_m)):
        if value < 0:
            raise InvalidRankingInput(f"{name} of unit {unit.unit_id} is negative: {value}")


def _skill_key(skill: str) -> str:
    return skill.strip().casefold()


def _exclusion(unit: Candidate, kinds: frozenset[UnitKind] | None,
               skills: frozenset[str]) -> Excluded | None:
    def excluded(reason: Exclusion, en: str, zh: str) -> Excluded:
        return Excluded(unit.unit_id, unit.callsign, unit.kind, unit.status, reason, en, zh)

    gone = withdrawn(unit.unit_id, unit.callsign, unit.kind, unit.status,
                     assigned=unit.assigned)
    if gone is not None:
        return gone
    if kinds is not None and unit.kind not in kinds:
        return excluded(Exclusion.KIND, f"not a kind asked for: {unit.kind.label_en}",
                        f"非所需警力类型：{unit.kind.label_zh}")
    missing = sorted(skills - {_skill_key(s) for s in unit.skills})
    if missing:
        return excluded(Exclusion.SKILLS, f"lacks skills: {', '.join(missing)}",
                        f"缺少技能：{'、'.join(missing)}")
    if unit.fix_at is None:
        return excluded(Exclusion.NO_POSITION, "no position fix", "无定位")
    if not math.isfinite(unit.eta_s):
        return excluded(Exclusion.UNREACHABLE, "no road route to the alert",
                        "无可达道路路线")
    return None


def withdrawn(unit_id: int, callsign: str, kind: UnitKind, status: UnitStatus, *,
              assigned: bool) -> Excluded | None:
    """Why a unit may not be sent to an alert now (rules 1 and 2), or None while it may.

    The console lists the units ranked when the alert was raised; once one is dispatched
    (to this alert or another) or its status changes, this says why it leaves the list.

    Parameters
    ----------
    unit_id : int
    callsign : str
    kind : UnitKind
    status : UnitStatus
        Its status now.
    assigned : bool, keyword-only
        True when it is assigned to this alert now.

    Returns
    -------
    Excluded or None
        ``already_assigned`` or ``status``, with the text for the console.
    """
    if assigned:
        return Excluded(unit_id, callsign, kind, status, Exclusion.ALREADY_ASSIGNED,
                        "already assigned to this alert", "已派往本警情")
    if not is_recommendable(status):
        return Excluded(unit_id, callsign, kind, status, Exclusion.STATUS,
                        f"status: {status.label_en}", f"状态：{status.label_zh}")
    return None


def _reason(unit: Candidate, *, covert: bool, skills: frozenset[str], stale: bool,
            fix_age_s: float) -> tuple[ReasonPart, ...]:
    minutes_en, minutes_zh = _duration(unit.eta_s)
    travel_en, travel_zh = f"{minutes_en} by road", f"车程{minutes_zh}"
    if math.isfinite(unit.distance_m):
        km_en, km_zh = _distance(unit.distance_m)
        travel_en, travel_zh = f"{travel_en} ({km_en})", f"{travel_zh}（{km_zh}）"
    parts = [ReasonPart(ReasonCode.TRAVEL, travel_en, travel_zh)]
    if covert and unit.kind is UnitKind.PLAINCLOTHES:
        parts.append(ReasonPart(ReasonCode.PLAINCLOTHES, "plainclothes for a covert alert",
                                "便衣，适合隐蔽处置"))
    elif covert:
        parts.append(ReasonPart(ReasonCode.UNIFORMED,
                                "uniformed: after plainclothes for a covert alert",
                                "着装警力，隐蔽处置时排在便衣之后"))
    if unit.status is UnitStatus.COMMITTED_AVAILABLE:
        parts.append(ReasonPart(ReasonCode.COMMITTED, "committed: would leave its task",
                                "任务中可调派，需中断当前任务"))
    if skills:
        listed = sorted(skills)
        parts.append(ReasonPart(ReasonCode.SKILLS, f"has {', '.join(listed)}",
                                f"具备{'、'.join(listed)}"))
    if stale:
        age_en, age_zh = _age(fix_age_s)
        parts.append(ReasonPart(ReasonCode.STALE, f"position {age_en} old",
                                f"位置{age_zh}前"))
    return tuple(parts)


def _duration(seconds: float) -> tuple[str, str]:
    if seconds < 59.5:
        return f"{seconds:.0f} s", f"{seconds:.0f}秒"
    return f"{seconds / 60:.1f} min", f"{seconds / 60:.1f}分钟"


def _distance(metres: float) -> tuple[str, str]:
    if metres < 999.5:
        return f"{metres:.0f} m", f"{metres:.0f}米"
    return f"{metres / 1000:.1f} km", f"{metres / 1000:.1f}公里"


def _age(seconds: float) -> tuple[str, str]:
    if seconds < 59.5:
        return f"{seconds:.0f} s", f"{seconds:.0f}秒"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min", f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min", f"{hours}小时{minutes}分钟"
