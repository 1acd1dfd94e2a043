"""Stations and the roster in the database.

A roster row names a unit by callsign, its grids by cell code and optionally its station
by name; unknown callsigns, cells or stations are errors naming the line, and the other
rows are still written (a row for the same unit, day and shift replaces the earlier one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app import audit
from app.errors import StateConflict
from app.geography.repository import area_id_at
from app.models import RosterEntry, Station, Unit
from app.planning.plans import configured_shifts, local_zone
from app.planning.problem import resolve_interval
from patrol.roster import RosterResult, RosterRow
from patrol.shifts import shift_named


class StationInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    units: list[str] = Field(default_factory=list, max_length=500)
    reason: str | None = Field(default=None, max_length=500)


def save_station(session: Session, station: StationInput, *, actor: Any = None) -> Station:
    """Create or move a station (by name) and make it home to the named units."""
    row = session.execute(sa.select(Station).where(Station.name == station.name)
                          ).scalar_one_or_none()
    if row is None:
        row = Station(name=station.name)
        session.add(row)
    row.geom = f"SRID=4326;POINT({station.lon!r} {station.lat!r})"  # type: ignore[assignment]
    row.area_id = area_id_at(session, station.lon, station.lat)
    session.flush()
    if station.units:
        found = dict(session.execute(sa.select(Unit.callsign, Unit.id).where(
            Unit.callsign.in_(station.units))).all())
        missing = sorted(set(station.units) - set(found))
        if missing:
            raise StateConflict(f"No units {', '.join(missing)}.", field="units",
                           code="unknown_unit")
        session.execute(sa.update(Unit).where(Unit.id.in_(found.values()))
                        .values(station_id=row.id))
    audit.record(session, "station.save", object_type="station", object_id=row.id,
                 reason=station.reason, actor=actor,
                 details=station.model_dump(exclude={"reason"}))
    return row


def stations_json(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(sa.text(
        "SELECT s.id, s.name, ST_X(s.geom), ST_Y(s.geom), "
        "array_remove(array_agg(u.callsign ORDER BY u.callsign), NULL) "
        "FROM stations s LEFT JOIN units u ON u.station_id = s.id GROUP BY s.id "
        "ORDER BY s.name")).all()
    return [{"id": r[0], "name": r[1], "lon": r[2], "lat": r[3], "units": list(r[4])}
            for r in rows]


@dataclass
class RosterWrite:
    written: int = 0
    errors: list[str] = field(default_factory=list)


def write_roster(session: Session, parsed: RosterResult, *, reason: str | None = None,
                 actor: Any = None) -> RosterWrite:
    """Write the parsed rows that name known units, cells and stations."""
    result = RosterWrite(errors=[f"line {e.row}: {e.field or ''} {e.message}".replace(
        "  ", " ") for e in parsed.errors])
    units = dict(session.execute(sa.select(Unit.callsign, Unit.id)).all())
    stations = dict(session.execute(sa.select(Station.name, Station.id)).all())
    codes = set(session.execute(sa.text("SELECT code FROM grid_cells")).scalars())
    shifts, tz = configured_shifts(), local_zone()
    for line, row in zip(parsed.lines, parsed.rows, strict=True):
        problem = _check(row, units, stations, codes)
        if problem:
            result.errors.append(f"line {line}: {problem}")
            continue
        shift = shift_named(row.shift, shifts)
        assert shift is not None  # the parser only accepts configured shifts
        start_at, end_at = resolve_interval(row.day, shift, tz, row.start, row.end)
        values = {"grids": list(row.grids), "station_id": stations.get(row.station or ""),
                  "start_at": start_at, "end_at": end_at, "note": row.note,
                  "created_by": getattr(actor, "id", None)}
        existing = session.execute(sa.select(RosterEntry).where(
            RosterEntry.day == row.day, RosterEntry.shift == shift.code,
            RosterEntry.unit_id == units[row.unit])).scalar_one_or_none()
        if existing is None:
            session.add(RosterEntry(day=row.day, shift=shift.code, unit_id=units[row.unit],
                                    **values))
        else:
            for key, value in values.items():
                setattr(existing, key, value)
        result.written += 1
    session.flush()
    audit.record(session, "roster.import", object_type="roster", reason=reason, actor=actor,
                 details={"written": result.written, "errors": len(result.errors),
                          "days": sorted({r.day.isoformat() for r in parsed.rows})})
    return result


def _check(row: RosterRow, units: dict[str, int], stations: dict[str, int],
           codes: set[str]) -> str | None:
    if row.unit not in units:
        return f"unit: no unit with callsign {row.unit!r}"
    unknown = [code for code in row.grids if code not in codes]
    if unknown:
        return f"grids: no grid cell {', '.join(unknown)}"
    if row.station and row.station not in stations:
        return f"station: no station named {row.station!r}"
    return None


def roster_for(session: Session, day: date) -> list[dict[str, Any]]:
    rows = session.execute(sa.text(
        "SELECT r.shift, u.callsign, u.kind, r.grids, coalesce(s.name, us.name), "
        "r.start_at, r.end_at, r.note FROM roster_entries r JOIN units u ON u.id = r.unit_id "
        "LEFT JOIN stations s ON s.id = r.station_id "
        "LEFT JOIN stations us ON us.id = u.station_id "
        "WHERE r.day = :day ORDER BY r.start_at, u.callsign"), {"day": day}).all()
    tz = local_zone()
    return [{"shift": r[0], "unit": r[1], "kind": r[2], "grids": list(r[3]),
             "station": r[4], "start": r[5].astimezone(tz).isoformat(),
             "end": r[6].astimezone(tz).isoformat(), "note": r[7]} for r in rows]
