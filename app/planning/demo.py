"""Planning data for the demo: a station, units, must-visit points proposed from the
area's POIs, two hand-marked hot-spot cells, a roster for today and tomorrow (all shifts)
and their plans, so ``make demo`` opens with routes to look at. Idempotent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.geography.graph import road_graph
from app.planning.plans import configured_shifts, plan_shift
from app.planning.points import propose_from_pois
from app.planning.roster import StationInput, save_station, write_roster
from patrol.roster import parse_roster_json

DEMO_UNITS = (("D-11", "patrol_car"), ("D-12", "patrol_car"), ("D-13", "motorcycle"),
              ("D-21", "foot"), ("D-31", "plainclothes"))
DEMO_POI_KINDS = ["school", "kindergarten", "bank", "market", "mall", "nightlife",
                  "rail_station"]


def ensure_demo_planning(session: Session) -> dict[str, Any]:
    done: dict[str, Any] = {}
    if not session.execute(sa.text("SELECT count(*) FROM stations")).scalar_one():
        graph = road_graph(session).graph
        west, south, east, north = session.execute(sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) AS e FROM grid_cells) x")).one()
        snap = graph.snap((west + east) / 2, (south + north) / 2, max_distance_m=5000)
        for callsign, kind in DEMO_UNITS:
            session.execute(sa.text(
                "INSERT INTO units (callsign, kind, radio_ids) VALUES (:c, :k, ARRAY[:r]) "
                "ON CONFLICT (callsign) DO NOTHING"),
                {"c": callsign, "k": kind, "r": f"9{callsign[2:]}0"})
        save_station(session, StationInput(name="Demo station", lon=snap.lon, lat=snap.lat,
                                           units=[c for c, _ in DEMO_UNITS],
                                           reason="demo data"))
        done["station"] = "Demo station"
    if not session.execute(sa.text("SELECT count(*) FROM must_visit_points")).scalar_one():
        done["points"] = propose_from_pois(session, kinds=DEMO_POI_KINDS, reason="demo data")
    if not session.execute(sa.text("SELECT count(*) FROM patrol_hotspots")).scalar_one():
        session.execute(sa.text(
            "INSERT INTO patrol_hotspots (code, name, geom) SELECT g.code, "
            "'demo hot spot ' || g.code, g.geom FROM grid_cells g "
            "JOIN must_visit_points m ON ST_Covers(g.geom, m.geom) "
            "GROUP BY g.id ORDER BY count(*) DESC, g.code LIMIT 2"))
    codes = list(session.execute(sa.text("SELECT code FROM grid_cells ORDER BY code")).scalars())
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
            if not session.execute(sa.text(
                    "SELECT 1 FROM patrol_plans WHERE day = :d AND shift = :s"),
                    {"d": day, "s": shift.code}).first():
                plan_shift(session, day, shift, reason="demo data")
                planned += 1
    session.commit()
    done["plans"] = planned
    return done
