"""Planning data for the demo: a station, units, must-visit points proposed from the
area's POIs, two hand-marked hot-spot cells, a roster for today and tomorrow (all shifts)
and their plans, so ``make demo`` opens with routes to look at. Idempotent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.geography.graph import road_graph
from app.models import MustVisitPoint, PatrolHotspot, Station
from app.planning.plans import configured_shifts, plan_shift
from app.planning.points import propose_from_pois
from app.planning.repository import (
    add_unit,
    find_plan,
    grid_codes,
    grid_extent,
    has_rows,
    mark_demo_hotspots,
)
from app.planning.roster import StationInput, save_station, write_roster
from patrol.roster import parse_roster_json

DEMO_UNITS = (("D-11", "patrol_car"), ("D-12", "patrol_car"), ("D-13", "motorcycle"),
              ("D-21", "foot"), ("D-31", "plainclothes"))
DEMO_POI_KINDS = ["school", "kindergarten", "bank", "market", "mall", "nightlife",
                  "rail_station"]


def ensure_demo_planning(session: Session) -> dict[str, Any]:
    done: dict[str, Any] = {}
    if not has_rows(session, Station):
        graph = road_graph(session).graph
        west, south, east, north = grid_extent(session)
        snap = graph.snap((west + east) / 2, (south + north) / 2, max_distance_m=5000)
        for callsign, kind in DEMO_UNITS:
            add_unit(session, callsign, kind, f"9{callsign[2:]}0")
        save_station(session, StationInput(name="Demo station", lon=snap.lon, lat=snap.lat,
                                           units=[c for c, _ in DEMO_UNITS],
                                           reason="demo data"))
        done["station"] = "Demo station"
    if not has_rows(session, MustVisitPoint):
        done["points"] = propose_from_pois(session, kinds=DEMO_POI_KINDS, reason="demo data")
    if not has_rows(session, PatrolHotspot):
        mark_demo_hotspots(session, count=2)
    codes = grid_codes(session)
    today = date.today()
    rows = []
    for day in (today, today + timedelta(days=1)):
        for shift in configured_shifts():
            for number, (callsign, _) in enumerate(DEMO_UNITS):
                rows.append({"date": day.isoformat(), "shift": shift.code, "unit": callsign,
                             "grids": codes[number % 2::2] if number < 4 else codes})
    write_roster(session, parse_roster_json(rows, shifts=configured_shifts()),
                 reason="demo data")
    planned = 0
    for day in (today, today + timedelta(days=1)):
        for shift in configured_shifts():
            if find_plan(session, day, shift.code) is None:
                plan_shift(session, day, shift, reason="demo data")
                planned += 1
    session.commit()
    done["plans"] = planned
    return done
