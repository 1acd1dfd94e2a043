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

SYNC_LIMITS = {"k": 20, "candidates": 5000, "demand_points": 40000}
"""The largest problem answered within the request (about 10 s on this machine)."""
SYNC_TIME_LIMIT_S = 20.0


class PlacementBody(StrictBody):
    """Which region, how many cameras, and what counts as demand."""

    area: str = Field(min_length=1, max_length=200, description="an area's name")
    k: int = Field(ge=1, le=SYNC_LIMITS["k"], description="cameras to add")
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


def propose_cameras(session: Session, body: PlacementBody, *,
                    progress: Callable[[str, float], None] | None = None,
                    limits: dict[str, int] | None = None,
                    time_limit_s: float = SYNC_TIME_LIMIT_S) -> dict[str, Any]:
    """The proposal: each new camera with its marginal gain, coverage before and after,
    the solver's proven gap and the greedy pick beside it."""
    limits = SYNC_LIMITS if limits is None else limits
    region = _region(session, body)
    problem = _problem(session, body, region)
    candidates, points = problem.cover.shape
    if candidates > limits["candidates"] or points > limits["demand_points"]:
        raise InvalidValue(
            f"{candidates} candidates and {points} demand points are more than a request "
            f"may solve ({limits['candidates']}, {limits['demand_points']}): narrow it with "
            "bbox.", field="bbox", code="too_large_for_sync")
    if progress is not None:
        progress("problem", 0.3)
    sites = problem.candidates["site"].to_numpy()
    solved = solve_mclp(problem.cover, problem.weights, k=body.k, site_of=sites,
                        time_limit_s=time_limit_s, progress=progress)
    greedy = greedy_mclp(problem.cover, problem.weights, k=body.k, site_of=sites)
    total = problem.total_weight
    before = problem.served_weight

    def share(weight: float) -> float | None:
        return round(weight / total, 4) if total > 0 else None

    return {
        "area": body.area, "k": body.k, "demand": body.demand,
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


def _problem(session: Session, body: PlacementBody, region: Any) -> PlacementProblem:
    edges = road_graph(session).edges
    inside = edges[edges.intersects(region)]
    sites = junction_sites(inside)
    sites = sites[sites.within(region)].reset_index(drop=True)
    demand = road_demand(repository.roads_within(session, region))
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
    return placement_problem(candidate_cameras(sites), demand,
                             repository.coverage_within(session, region))


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
