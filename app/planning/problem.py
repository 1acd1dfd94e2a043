"""From the database to the solver: who works the shift, where they start, what they must
visit and when, and the travel times between all of those places.

* **Units**: the roster entries of the day and shift; each starts and ends at the entry's
  station, else the unit's station (a unit with neither is left out and reported). A shift
  of 6 hours or more gets a 30-minute break in its middle two hours.
* **Must-visit points**: the active points inside the rostered units' grids; a point may
  go to any unit whose grids hold it (covert points only to plainclothes units). Its
  weekday windows are cut to the shift; ``visits_per_shift`` = k gives k stops, the i-th
  inside the i-th k-th of the shift (so two visits are not made back to back). A point
  due in the shift but in grid cells nobody is rostered for (or in no cell) is not silently
  dropped: each of its visits is unserved, ``grid_not_rostered`` (``no_suitable_unit``
  when its cells are rostered to a unit left out for want of a station). A visit on a
  locked route is that route's business; one due in a locked route's cells but not on it
  (a point added since the route was locked) is unserved, ``route_locked``.
* **Hot spots**: active patrol hot-spot cells inside the grids get one dose stop in each
  ``revisit_min`` period (the Koper curve), at the cell's inner point, of ``dosage_min``.
* **Times**: seconds since the local midnight of the plan's day; the whole dwell must lie
  inside a window (the solver's rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from app.planning.repository import (
    hotspots_in_cells,
    points_in_cells,
    points_outside_cells,
    rostered_units,
)
from gis.routing import RoadGraph
from patrol.shifts import ShiftDef, custom_interval, shift_interval
from patrol.solver import Break, Stop, UnservedReason, Vehicle
from patrol.windows import dose_windows, parse_windows, to_seconds, windows_in_interval
from runtime.notes import Note

PRIORITY_TO_SOLVER = {1: 100, 2: 75, 3: 50, 4: 30, 5: 10}
HOTSPOT_PRIORITY = 60
BREAK_MIN = 30



@dataclass
class Place:
    """A location in the matrix: a station, a point or a hot-spot cell."""

    kind: str  # station | point | hotspot
    ref: str
    name: str
    lon: float
    lat: float


@dataclass
class Problem:
    day: date
    shift: ShiftDef
    epoch: datetime
    shift_start: datetime
    shift_end: datetime
    places: list[Place]
    vehicles: list[Vehicle]
    stops: list[Stop]
    units: dict[str, dict[str, Any]]
    stop_info: dict[str, dict[str, Any]]
    left_out: list[dict[str, Any]] = field(default_factory=list)
    not_due: list[dict[str, Any]] = field(default_factory=list)
    unrostered: list[dict[str, Any]] = field(default_factory=list)
    matrix_s: np.ndarray | None = None

    def at(self, seconds: float) -> datetime:
        return self.epoch + timedelta(seconds=float(seconds))


def build_problem(session: Session, graph: RoadGraph, day: date, shift: ShiftDef, *,
                  tz: ZoneInfo, skip_units: set[int] | None = None,
                  skip_stops: set[str] | None = None) -> Problem:
    epoch = datetime(day.year, day.month, day.day, tzinfo=tz)
    shift_start, shift_end = shift_interval(shift, day, tz)
    problem = Problem(day, shift, epoch, shift_start, shift_end, [], [], [], {}, {})
    station_index: dict[int, int] = {}
    unit_cells: dict[str, set[str]] = {}
    left_out_cells: dict[str, list[str]] = {}
    locked_cells: dict[str, list[str]] = {}  # cell code: callsigns of its locked routes
    for (entry_id, unit_id, callsign, kind, skills, grids, start_at, end_at, station_id,
         station_name, lon, lat) in rostered_units(session, day, shift.code):
        if skip_units and unit_id in skip_units:
            for code in grids or []:
                locked_cells.setdefault(code, []).append(callsign)
            continue
        if station_id is None:
            problem.left_out.append({"unit_id": unit_id, "callsign": callsign,
                                     "reason": "no_station",
                                     "message": Note("%(unit)s has no station to start from",
                                                     unit=callsign)})
            for code in grids or []:
                left_out_cells.setdefault(code, []).append(callsign)
            continue
        if station_id not in station_index:
            station_index[station_id] = len(problem.places)
            problem.places.append(Place("station", str(station_id), station_name, lon, lat))
        start_s = int((start_at - epoch).total_seconds())
        end_s = int((end_at - epoch).total_seconds())
        index = station_index[station_id]
        vid = str(unit_id)
        problem.vehicles.append(Vehicle(
            id=vid, start_index=index, end_index=index, shift_start_s=start_s,
            shift_end_s=end_s, kind=kind, skills=frozenset(skills or []),
            breaks=_breaks(start_s, end_s)))
        problem.units[vid] = {"unit_id": unit_id, "callsign": callsign, "kind": kind,
                              "station": station_name, "entry_id": entry_id,
                              "grids": list(grids or []), "skills": set(skills or [])}
        unit_cells[vid] = set(grids or [])
    codes = sorted(set().union(*unit_cells.values())) if unit_cells else []
    if codes:
        _add_points(session, problem, codes, unit_cells, skip_stops or set())
        _add_hotspots(session, problem, codes, unit_cells, skip_stops or set())
    _add_unrostered(session, problem, codes, left_out_cells, locked_cells, skip_stops or set())
    if problem.places:
        problem.matrix_s = graph.travel_time_table_between_points(
            [p.lon for p in problem.places], [p.lat for p in problem.places])
    return problem


def _breaks(start_s: int, end_s: int) -> tuple[Break, ...]:
    if end_s - start_s < 6 * 3600:
        return ()
    middle = (start_s + end_s) // 2
    return (Break(windows=((middle - 3600, middle + 3600 - BREAK_MIN * 60),),
                  duration_s=BREAK_MIN * 60),)


def _eligible(cells: list[str], unit_cells: dict[str, set[str]], problem: Problem, *,
              covert: bool, kinds: list[str] | None = None,
              skills: list[str] | None = None) -> frozenset[str]:
    """Units whose grids hold the place, of a required kind, with every required skill;
    covert places go to plainclothes units only."""
    allowed = {vid for vid, owned in unit_cells.items() if owned & set(cells)}
    if covert:
        allowed = {vid for vid in allowed if problem.units[vid]["kind"] == "plainclothes"}
    if kinds:
        allowed = {vid for vid in allowed if problem.units[vid]["kind"] in kinds}
    if skills:
        allowed = {vid for vid in allowed if set(skills) <= problem.units[vid]["skills"]}
    return frozenset(allowed)


def _add_points(session: Session, problem: Problem, codes: list[str],
                unit_cells: dict[str, set[str]], skip: set[str]) -> None:
    for (point_id, name, windows, dwell_min, visits, priority, covert, lon, lat,
         cells, kinds, skills, expires_at) in points_in_cells(session, codes,
                                                               at=problem.shift_start):
        index = len(problem.places)
        problem.places.append(Place("point", str(point_id), name, lon, lat))
        concrete = windows_in_interval(parse_windows(windows), problem.shift_start,
                                       _until(problem, expires_at))
        dwell_s = int(round(dwell_min * 60))
        allowed = _eligible(cells, unit_cells, problem, covert=covert, kinds=list(kinds),
                            skills=list(skills))
        for visit in range(visits):
            stop_id = f"point:{point_id}:{visit + 1}"
            if stop_id in skip:
                continue
            pieces = _clip(concrete, _nth_part(problem, visit, visits))
            if not pieces:  # no window in this shift (a school gate on a Sunday night)
                problem.not_due.append({"point_id": point_id, "name": name,
                                        "visit": visit + 1})
                continue
            problem.stops.append(Stop(
                id=stop_id, index=index, service_s=dwell_s,
                windows=to_seconds(pieces, epoch=problem.epoch),
                priority=PRIORITY_TO_SOLVER.get(priority, 50), vehicles=allowed))
            problem.stop_info[stop_id] = {
                "kind": "point", "point_id": point_id, "name": name, "lon": lon, "lat": lat,
                "visit": visit + 1, "visits": visits, "dwell_min": dwell_min,
                "windows": [[a.isoformat(), b.isoformat()] for a, b in pieces],
                "covert": covert, "grids": cells}


def _add_unrostered(session: Session, problem: Problem, codes: list[str],
                    left_out_cells: dict[str, list[str]], locked_cells: dict[str, list[str]],
                    skip: set[str]) -> None:
    """List each visit due in the shift of a point outside every planned unit's grids
    that is not on a locked route (``skip``)."""
    for point_id, name, windows, visits, lon, lat, cells, expires_at in points_outside_cells(
            session, codes, at=problem.shift_start):
        concrete = windows_in_interval(parse_windows(windows), problem.shift_start,
                                       _until(problem, expires_at))
        locked = sorted({c for code in cells for c in locked_cells.get(code, [])})
        left_out = sorted({c for code in cells for c in left_out_cells.get(code, [])})
        reason, message = _why_unrostered(list(cells), left_out, locked, problem)
        for visit in range(visits):
            stop_id = f"point:{point_id}:{visit + 1}"
            pieces = _clip(concrete, _nth_part(problem, visit, visits))
            if stop_id in skip or not pieces:
                continue
            problem.unrostered.append({
                "stop_id": stop_id, "reason": reason, "message": message, "kind": "point",
                "point_id": point_id, "name": name, "visit": visit + 1, "lon": lon,
                "lat": lat, "grids": list(cells),
                "windows": [[a.isoformat(), b.isoformat()] for a, b in pieces]})


def _why_unrostered(cells: list[str], left_out: list[str], locked: list[str],
                    problem: Problem) -> tuple[str, Note]:
    grid = ", ".join(cells)
    if locked:
        return (UnservedReason.ROUTE_LOCKED.value,
                Note("its grid %(grid)s is patrolled by the locked route of %(units)s, which "
                     "does not visit it (unlock and re-plan to add it)", grid=grid,
                     units=", ".join(locked)))
    if left_out:
        return (UnservedReason.NO_SUITABLE_UNIT.value,
                Note("its grid %(grid)s is rostered to %(units)s, left out for want of a "
                     "station", grid=grid, units=", ".join(left_out)))
    if not cells:
        return (UnservedReason.GRID_NOT_ROSTERED.value,
                Note("it lies in no patrol grid cell, so no unit's roster covers it"))
    if not problem.vehicles:
        return (UnservedReason.GRID_NOT_ROSTERED.value,
                Note("no unit is rostered for this shift (its grid: %(grid)s)", grid=grid))
    return (UnservedReason.GRID_NOT_ROSTERED.value,
            Note("no unit is rostered for its grid %(grid)s on this shift", grid=grid))


def _add_hotspots(session: Session, problem: Problem, codes: list[str],
                  unit_cells: dict[str, set[str]], skip: set[str]) -> None:
    for code, name, dosage_min, revisit_min, lon, lat, cells in hotspots_in_cells(
            session, codes):
        index = len(problem.places)
        problem.places.append(Place("hotspot", code, name, lon, lat))
        allowed = _eligible(cells, unit_cells, problem, covert=False)
        dose_s = int(round(dosage_min * 60))
        periods = dose_windows(problem.shift_start, problem.shift_end,
                               revisit_min=revisit_min, dose_min=dosage_min)
        for number, period in enumerate(periods, start=1):
            stop_id = f"hotspot:{code}:{number}"
            if stop_id in skip:
                continue
            problem.stops.append(Stop(
                id=stop_id, index=index, service_s=dose_s,
                windows=to_seconds([period], epoch=problem.epoch),
                priority=HOTSPOT_PRIORITY, vehicles=allowed))
            problem.stop_info[stop_id] = {
                "kind": "hotspot", "code": code, "name": name, "lon": lon, "lat": lat,
                "dose": number, "dosage_min": dosage_min,
                "windows": [[period[0].isoformat(), period[1].isoformat()]]}


def _until(problem: Problem, expires_at: datetime | None) -> datetime:
    """The end of the shift, or the moment a temporary point expires if that is earlier
    (its windows are cut there; a point expired before the shift is not loaded)."""
    return problem.shift_end if expires_at is None else min(problem.shift_end, expires_at)


def _nth_part(problem: Problem, i: int, k: int) -> tuple[datetime, datetime]:
    length = (problem.shift_end - problem.shift_start) / k
    return problem.shift_start + i * length, problem.shift_start + (i + 1) * length


def _clip(pieces: list[tuple[datetime, datetime]],
          part: tuple[datetime, datetime]) -> list[tuple[datetime, datetime]]:
    clipped = [(max(a, part[0]), min(b, part[1])) for a, b in pieces]
    return [(a, b) for a, b in clipped if b > a]


def resolve_interval(day: date, shift: ShiftDef, tz: ZoneInfo,
                     start: Any = None, end: Any = None) -> tuple[datetime, datetime]:
    """The roster entry's interval: the shift's, or an elastic one (弹性错时)."""
    if start is not None and end is not None:
        return custom_interval(day, start, end, tz)
    return shift_interval(shift, day, tz)
