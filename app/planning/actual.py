"""Plan versus actual: from each unit's position history, which of its planned must-visit
points it visited (within ``VISIT_RADIUS_M``, for the dwell, inside the window), and how
long it stayed in each hot-spot cell per revisit period (the dosage)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
from flask import current_app
from sqlalchemy.orm import Session

from app.models import PatrolPlan
from app.planning.repository import hotspot_cells, unit_routes, unit_track
from gis.tracks import point_visits, stays_in_cells
from patrol.compliance import (
    PlannedStop,
    StopCheck,
    dosage_compliance,
    stop_compliance,
    summarise,
)

TRACK_MARGIN = timedelta(minutes=30)


def planned_stops(plan: PatrolPlan, routes: list[Any]) -> list[PlannedStop]:
    found = []
    for _unit, callsign, stops in routes:
        for stop in stops:
            if stop["kind"] != "point":
                continue
            windows = stop.get("windows") or [[stop["start"], stop["depart"]]]
            start = min(datetime.fromisoformat(w[0]) for w in windows)
            end = max(datetime.fromisoformat(w[1]) for w in windows)
            found.append(PlannedStop(
                point_id=int(stop["point_id"]), unit=callsign, window_start=start,
                window_end=end, dwell_s=float(stop.get("dwell_min", 0)) * 60,
                planned_arrive=datetime.fromisoformat(stop["start"]),
                grid=(stop.get("grids") or [None])[0], shift=plan.shift))
    return found


def plan_compliance(session: Session, plan: PatrolPlan, *,
                    now: datetime | None = None) -> dict[str, Any]:
    tz = ZoneInfo(plan.params.get("timezone", "UTC"))
    shift_start = datetime.fromisoformat(plan.params["shift_start"])
    shift_end = datetime.fromisoformat(plan.params["shift_end"])
    radius = float(current_app.config.get("VISIT_RADIUS_M") or 50.0)
    routes = unit_routes(session, plan.id)
    checks: list[StopCheck] = []
    planned = planned_stops(plan, routes)
    codes = sorted({s["code"] for _, _, stops in routes for s in stops
                    if s["kind"] == "hotspot"})
    cells = hotspot_cells(session, codes)
    all_stays = []
    for unit_id, callsign, stops in routes:
        track = unit_track(session, unit_id, shift_start - TRACK_MARGIN,
                           shift_end + TRACK_MARGIN)
        mine = [p for p in planned if p.unit == callsign]
        if mine:
            visits = visits_at_stops(track, stops, radius)
            checks += stop_compliance(mine, visits, now=now)
        if len(track) and len(cells):
            all_stays.append(stays_in_cells(track, cells))
    doses = []
    if len(cells):  # a cell's dose counts whichever unit gave it
        stays = pd.concat(all_stays, ignore_index=True) if all_stays else pd.DataFrame(
            {"code": pd.Series(dtype=str), "enter": pd.Series(dtype="datetime64[ns, UTC]"),
             "exit": pd.Series(dtype="datetime64[ns, UTC]"),
             "seconds": pd.Series(dtype=float)})
        first = cells.iloc[0]
        doses = dosage_compliance(stays, shift_start=shift_start, shift_end=shift_end,
                                  revisit_min=float(first.revisit_min),
                                  dose_min=float(first.dosage_min),
                                  dose_max=float(first.dosage_max), codes=codes, now=now,
                                  shift=plan.shift)
    names = {int(s["point_id"]): s.get("name") for _, _, stops in routes for s in stops
             if s["kind"] == "point"}
    return {
        "plan_id": plan.id, "date": plan.day.isoformat(), "shift": plan.shift,
        "visit_radius_m": radius,
        "stops": [_stop_json(c, names, tz) for c in checks],
        "dosage": [_dose_json(d, tz) for d in doses],
        "by_unit": summarise(checks, by=("unit",)),
        "by_grid": summarise(checks, by=("grid",)),
        "by_shift": summarise(checks, by=("shift",)),
        "dosage_by_unit": summarise(doses, by=("unit",)) if doses else [],
    }


def visits_at_stops(track: gpd.GeoDataFrame, stops: list[dict[str, Any]],
                    radius_m: float) -> pd.DataFrame:
    """Visits of the track to the route's must-visit points (none without fixes)."""
    if not len(track):
        return no_visits()
    points = [(int(s["point_id"]), s["lon"], s["lat"]) for s in stops if s["kind"] == "point"]
    unique = {pid: (lon, lat) for pid, lon, lat in points}
    frame = gpd.GeoDataFrame(
        {"id": list(unique)}, geometry=gpd.points_from_xy(
            [v[0] for v in unique.values()], [v[1] for v in unique.values()]), crs=4326)
    return point_visits(track, frame, radius_m=radius_m)


def no_visits() -> pd.DataFrame:
    return pd.DataFrame({"point_id": pd.Series(dtype="int64"),
                         "arrive": pd.Series(dtype="datetime64[ns, UTC]"),
                         "depart": pd.Series(dtype="datetime64[ns, UTC]"),
                         "dwell_s": pd.Series(dtype="float64"),
                         "fixes": pd.Series(dtype="int64")})


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def _stop_json(check: StopCheck, names: dict[int, Any], tz: ZoneInfo) -> dict[str, Any]:
    stop = check.stop
    return {"point_id": stop.point_id, "name": names.get(int(stop.point_id)),
            "unit": stop.unit, "grid": stop.grid, "status": str(check.status),
            "visited": check.visited, "on_time": check.on_time,
            "arrived": _local(check.arrived, tz),
            "dwell_s": None if check.dwell_s is None else round(check.dwell_s, 1),
            "required_dwell_s": stop.dwell_s, "late_min": check.late_min,
            "window": [_local(stop.window_start, tz), _local(stop.window_end, tz)]}


def _dose_json(dose: Any, tz: ZoneInfo) -> dict[str, Any]:
    return {"code": dose.code, "unit": dose.unit, "status": str(dose.status),
            "period": [_local(dose.period_start, tz), _local(dose.period_end, tz)],
            "minutes": round(dose.minutes, 2), "longest_min": round(dose.longest_min, 2),
            "stays": dose.stays, "dosed": dose.dosed, "over": dose.over}
