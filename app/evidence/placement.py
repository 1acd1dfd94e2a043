"""Where to add cameras: for an area (or a box of it) and a budget of k cameras, the
candidates at its junctions, the demand of its roads and recent incidents, what existing
cameras serve, the maximal covering problem solved with HiGHS and compared with a greedy
pick (`gis.placement`). A proposal changes nothing and is not audited.

:func:`propose_cameras` is a plain function with a ``progress`` callback so that it can
run as a background job; the API calls it synchronously only for problems within
:data:`SYNC_LIMITS` and answers 422 ``too_large_for_sync`` beyond them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import shapely
from pydantic import Field
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from app.api.docs import StrictBody
from app.errors import InvalidValue, RecordNotFound
from app.evidence.repository import placement as repository
from app.geography.graph import road_graph
from app.geography.params import BBOX_PATTERN
from gis.placement import greedy_mclp, solve_mclp
from gis.placement.problem import (
    PlacementProblem,
    candidate_cameras,
    combine_demand,
    incident_demand,
    junction_sites,
    placement_problem,
    road_demand,
)
from runtime.notes import Note

SYNC_LIMITS = {"k": 20, "candidates": 5000, "demand_points": 40000}
"""The largest problem answered within the request (about 10 s on this machine)."""
SYNC_TIME_LIMIT_S = 20.0
JOB_LIMITS = {"k": 200, "candidates": 250_000, "demand_points": 2_000_000}
"""The largest problem a job takes on (a prefecture's junctions × 5, its roads in 25 m)."""
JOB_TIME_LIMIT_S = 120.0
"""HiGHS stops a job's search after this long with its best answer and proven gap."""
CANDIDATES_PER_SITE = 5
"""Fixed cameras in four directions and a dome (`gis.placement.problem.CANDIDATE_KINDS`)."""


class PlacementBody(StrictBody):
    """Which region, how many cameras, and what counts as demand."""

    area: str = Field(min_length=1, max_length=200, description="an area's name")
    k: int = Field(ge=1, le=JOB_LIMITS["k"],
                   description=f"cameras to add (more than {SYNC_LIMITS['k']}: a job)")
    bbox: str | None = Field(default=None, pattern=BBOX_PATTERN,
                             description="west,south,east,north (WGS-84): only the part "
                                         "of the area inside this box")
    demand: Literal["roads", "incidents", "both"] = "both"
    incident_share: float = Field(default=0.5, ge=0, le=1,
                                  description="the incidents' share of the demand (both)")
    half_life_days: float = Field(default=365.0, gt=0, le=3650,
                                  description="an incident this old counts half")
    incident_days: int = Field(default=730, ge=1, le=3650,
                               description="incidents of this many days back count")


def placement_size(session: Session, body: PlacementBody) -> tuple[int, int]:
    """Candidates and demand points the problem would hold, counted in PostGIS before
    anything is built (junctions × 5; road pieces of 25 m, and incidents)."""
    region = _region(session, body)
    since = (None if body.demand == "roads"
             else datetime.now(UTC) - timedelta(days=body.incident_days))
    junctions, pieces, incidents = repository.problem_size(session, region,
                                                           incidents_since=since)
    demand = (pieces if body.demand == "roads" else incidents if body.demand == "incidents"
              else pieces + incidents)
    return junctions * CANDIDATES_PER_SITE, demand


def placement_is_small(session: Session, body: PlacementBody) -> bool:
    """Whether the request may solve it inline (else it is a job)."""
    if body.k > SYNC_LIMITS["k"]:
        return False
    candidates, demand = placement_size(session, body)
    return candidates <= SYNC_LIMITS["candidates"] and demand <= SYNC_LIMITS["demand_points"]


def propose_cameras(session: Session, body: PlacementBody, *,
                    progress: Callable[[str, float], None] | None = None,
                    limits: dict[str, int] | None = None,
                    time_limit_s: float = SYNC_TIME_LIMIT_S) -> dict[str, Any]:
    """The proposal: each new camera with its marginal gain, coverage before and after,
    the solver's proven gap and the greedy pick beside it."""
    limits = SYNC_LIMITS if limits is None else limits
    report = progress or _silent
    report(Note("reading the region"), 0.01)
    region = _region(session, body)
    problem = _problem(session, body, region, report)
    candidates, points = problem.cover.shape
    if candidates > limits["candidates"] or points > limits["demand_points"] \
            or body.k > limits["k"]:
        raise InvalidValue(
            f"{candidates} candidates and {points} demand points (k = {body.k}) are more "
            f"than this run may solve ({limits['candidates']}, {limits['demand_points']}, "
            f"k {limits['k']}): narrow it with bbox.", field="bbox",
            code="too_large" if limits is not SYNC_LIMITS else "too_large_for_sync")
    report(Note("%(candidates)s candidates, %(points)s demand points",
                candidates=candidates, points=points), 0.3)
    sites = problem.candidates["site"].to_numpy()
    solved = solve_mclp(problem.cover, problem.weights, k=body.k, site_of=sites,
                        time_limit_s=time_limit_s,
                        progress=lambda stage, done: report(stage, 0.3 + 0.65 * done))
    greedy = greedy_mclp(problem.cover, problem.weights, k=body.k, site_of=sites)
    report(Note("the answer"), 0.97)
    total = problem.total_weight
    before = problem.served_weight

    def share(weight: float) -> float | None:
        return round(weight / total, 4) if total > 0 else None

    return {
        "area": body.area, "k": body.k, "demand": body.demand, "bbox": body.bbox,
        "region": mapping(shapely.simplify(region, 0.00005)),
        "candidates": candidates, "demand_points": points,
        "coverage_before": share(before), "coverage_after": share(before + solved.covered),
        "greedy_after": share(before + greedy.covered),
        "solver": {"engine": "HiGHS", "status": solved.status, "gap": round(solved.gap, 5),
                   "bound_after": share(before + solved.bound),
                   "seconds": round(solved.seconds, 2)},
        "cameras": [_camera(problem, j, n, gain, share)
                    for n, (j, gain) in enumerate(zip(solved.chosen, solved.gains,
                                                      strict=True), start=1)],
        "greedy_cameras": [_camera(problem, j, n, gain, share)
                           for n, (j, gain) in enumerate(zip(greedy.chosen, greedy.gains,
                                                             strict=True), start=1)],
    }


def _region(session: Session, body: PlacementBody) -> Any:
    polygon = repository.area_polygon(session, body.area)
    if polygon is None:
        raise RecordNotFound(f"No area named {body.area!r}.", field="area")
    if body.bbox is not None:
        west, south, east, north = (float(v) for v in body.bbox.split(","))
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InvalidValue("bbox must be west,south,east,north in degrees with west < "
                               "east and south < north.", field="bbox", code="invalid_bbox")
        polygon = shapely.intersection(polygon, shapely.box(west, south, east, north))
    if polygon.is_empty:
        raise InvalidValue("The box does not meet the area.", field="bbox",
                           code="empty_region")
    return polygon


def _silent(_stage: str, _share: float) -> None:
    return None


def _problem(session: Session, body: PlacementBody, region: Any,
             report: Callable[[str, float], None]) -> PlacementProblem:
    edges = road_graph(session).edges
    inside = edges[edges.intersects(region)]
    sites = junction_sites(inside)
    sites = sites[sites.within(region)].reset_index(drop=True)
    report(Note("%(junctions)s junctions", junctions=len(sites)), 0.05)
    demand = road_demand(repository.roads_within(session, region))
    report(Note("road demand"), 0.1)
    if body.demand != "roads":
        now = datetime.now(UTC)
        incidents = incident_demand(
            repository.incidents_within(session, region, now - timedelta(
                days=body.incident_days)), now=now, half_life_days=body.half_life_days)
        demand = (incidents if body.demand == "incidents" else
                  combine_demand(demand, incidents, incident_share=body.incident_share))
    if demand.empty or sites.empty:
        raise InvalidValue("The region has no junctions or no demand (roads, incidents) to "
                           "place cameras for.", field="area", code="nothing_to_place")
    report(Note("what existing cameras see"), 0.15)
    served = repository.coverage_within(session, region)
    report(Note("which candidate sees which demand"), 0.2)
    return placement_problem(candidate_cameras(sites), demand, served)


def _camera(problem: PlacementProblem, j: int, order: int, gain: float,
            share: Callable[[float], float | None]) -> dict[str, Any]:
    row = problem.candidates.iloc[j]
    covered = problem.cover[j].indices
    fresh = covered[problem.weights[covered] > 0]
    demand = problem.demand.iloc[fresh]
    return {"order": order, "lon": round(float(row.geometry.x), 7),
            "lat": round(float(row.geometry.y), 7), "kind": row["kind"],
            "azimuth_deg": None if np.isnan(row["azimuth_deg"]) else round(
                float(row["azimuth_deg"]), 1),
            "fov_deg": None if np.isnan(row["fov_deg"]) else float(row["fov_deg"]),
            "range_m": float(row["range_m"]), "gain": share(gain),
            "road_m_in_view": round(float(demand["road_m"].sum()), 1),
            "incidents_in_view": int((demand["source"] == "incident").sum())}
