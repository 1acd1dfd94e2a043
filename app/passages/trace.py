"""A plate's trace: its passages in time order on the map, and each leg between two
checkpoints judged against the fastest road between them (the served road graph's route,
``dispatch.checkpoints.legs``). An impossible leg means two vehicles carry the plate: the
trace is flagged as a suspected cloned plate (套牌嫌疑). Audited as a search."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from shapely.geometry import mapping
from sqlalchemy.orm import Session

from app import audit
from app.errors import Failure
from app.geography.graph import road_graph
from app.models import User
from app.passages import repository
from app.passages.search import (
    MAX_DAYS_EXACT,
    passage_json,
    read_plate_query,
    require_reason,
    window,
)
from dispatch.checkpoints import Road, Sighting, Verdict, trace_legs
from gis.errors import NoRoute, TooFarFromRoad

logger = logging.getLogger(__name__)

MAX_PASSAGES = 2000
MAX_ROUTED_PAIRS = 200  # distinct checkpoint pairs routed per trace; beyond, straight lines
SNAP_M = 500.0


class _Router:
    """Routes between checkpoints, each pair once; None where there is no route."""

    def __init__(self, session: Session) -> None:
        try:
            self.graph: Any = road_graph(session).graph
        except Failure:  # no road graph yet: judged on straight lines only
            self.graph = None
        self.routes: dict[tuple[Any, Any], Any] = {}

    def __call__(self, a: Sighting, b: Sighting) -> Road | None:
        route = self.route(a, b)
        return None if route is None else Road(road_s=route.eta_s, road_m=route.distance_m)

    def route(self, a: Sighting, b: Sighting) -> Any:
        key = (a.checkpoint, b.checkpoint)
        if key not in self.routes:
            if self.graph is None or len(self.routes) >= MAX_ROUTED_PAIRS:
                return None
            try:
                self.routes[key] = self.graph.route_between_points(
                    a.lon, a.lat, b.lon, b.lat, max_snap_m=SNAP_M)
            except (NoRoute, TooFarFromRoad):
                self.routes[key] = None
        return self.routes[key]


def plate_trace(session: Session, *, plate: str | None, start: datetime, end: datetime,
                reason: str | None, actor: User | None) -> dict[str, Any]:
    """The trace of one plate as GeoJSON: a point per passage (``order``, time, checkpoint)
    and a line per leg (the road route, or the straight line without one) with its
    verdict and numbers; ``properties.cloned_plate_suspected`` when a leg is impossible."""
    why = require_reason(reason)
    query = read_plate_query(plate, exact_only=True)
    span = window(start, end, max_days=MAX_DAYS_EXACT)
    rows = repository.find_passages(session, plate=query.text, exact=True, start=span.start,
                                    end=span.end, checkpoint_ids=None,
                                    limit=MAX_PASSAGES + 1)
    truncated = len(rows) > MAX_PASSAGES
    rows = rows[:MAX_PASSAGES]
    sightings = [Sighting(r["checkpoint_id"], r["lon"], r["lat"], r["passed_at"])
                 for r in rows]
    router = _Router(session)
    legs = trace_legs(sightings, router)
    impossible = [leg for leg in legs if leg.judgement.verdict is Verdict.IMPOSSIBLE]
    features = [_point(i, row) for i, row in enumerate(rows)]
    features += [_leg(leg, rows, sightings, router) for leg in legs]
    entry = audit.record(session, "passage.trace", object_type="passages",
                         object_id=query.text, reason=why, actor=actor, details={
                             "plate": query.text, "from": span.start.isoformat(),
                             "to": span.end.isoformat(), "found": len(rows),
                             "legs": len(legs), "impossible_legs": len(impossible),
                             "truncated": truncated})
    return {"type": "FeatureCollection", "features": features, "properties": {
        "plate": query.text, "from": span.start.isoformat(), "to": span.end.isoformat(),
        "passages": len(rows), "legs": len(legs), "truncated": truncated,
        "impossible_legs": len(impossible), "cloned_plate_suspected": bool(impossible),
        "routing": "road" if router.graph is not None else "straight_line"},
        "_audit": entry}


def _point(order: int, row: dict[str, Any]) -> dict[str, Any]:
    shown = passage_json(row)
    return {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {"kind": "passage", "order": order, **shown}}


def _leg(leg: Any, rows: list[dict[str, Any]], sightings: list[Sighting],
         router: _Router) -> dict[str, Any]:
    a, b = sightings[leg.start], sightings[leg.end]
    judged = leg.judgement
    route = None if a.checkpoint == b.checkpoint else router.route(a, b)
    geometry = (mapping(route.geometry) if route is not None else
                {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]})
    return {"type": "Feature", "geometry": geometry, "properties": {
        "kind": "leg", "from_order": leg.start, "to_order": leg.end,
        "from_checkpoint": rows[leg.start]["checkpoint_code"],
        "to_checkpoint": rows[leg.end]["checkpoint_code"],
        "from_at": a.at.isoformat(), "to_at": b.at.isoformat(),
        "verdict": judged.verdict.value, "elapsed_s": round(judged.elapsed_s, 1),
        "road_s": None if judged.road_s is None else round(judged.road_s, 1),
        "road_m": None if judged.road_m is None else round(judged.road_m),
        "straight_m": round(judged.straight_m),
        "min_credible_s": (None if judged.min_credible_s is None
                           else round(judged.min_credible_s, 1)),
        "speed_kmh": judged.speed_kmh, "on_road": route is not None}}
