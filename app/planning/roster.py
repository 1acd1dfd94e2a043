"""Stations and the roster in the database.

A roster row names a unit by callsign, its grids by cell code and optionally its station
by name; unknown callsigns, cells or stations are errors naming the line, and the other
rows are still written (a row for the same unit, day and shift replaces the earlier one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, StateConflict
from app.geography.repository import area_id_at
from app.guards import load_json
from app.models import RosterEntry, Station
from app.planning.plans import configured_shifts, local_zone
from app.planning.problem import resolve_interval
from app.planning.repository import (
    base_units_at,
    grid_codes,
    roster_entry,
    roster_rows,
    station_ids,
    station_named,
    station_rows,
    unit_ids,
)
from dispatch.tabular import UnreadableText, decode_text
from patrol.roster import RosterResult, RosterRow, parse_roster_csv, parse_roster_json
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
    row = station_named(session, station.name)
    if row is None:
        row = Station(name=station.name)
        session.add(row)
    row.geom = to_ewkb(shapely.Point(station.lon, station.lat))
    row.area_id = area_id_at(session, station.lon, station.lat)
    session.flush()
    if station.units:
        found = unit_ids(session, station.units)
        missing = sorted(set(station.units) - set(found))
        if missing:
            raise StateConflict(f"No units {', '.join(missing)}.", field="units",
                           code="unknown_unit")
        base_units_at(session, row.id, found.values())
    audit.record(session, "station.save", object_type="station", object_id=row.id,
                 reason=station.reason, actor=actor,
                 details=station.model_dump(exclude={"reason"}))
    return row


def stations_json(session: Session) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "lon": r.lon, "lat": r.lat, "units": list(r.units)}
            for r in station_rows(session)]


@dataclass
class RosterWrite:
    written: int = 0
    errors: list[str] = field(default_factory=list)


def write_roster(session: Session, parsed: RosterResult, *, reason: str | None = None,
                 actor: Any = None) -> RosterWrite:
    """Write the parsed rows that name known units, cells and stations."""
    result = RosterWrite(errors=[f"line {e.row}: {e.field or ''} {e.message}".replace(
        "  ", " ") for e in parsed.errors])
    units = unit_ids(session)
    stations = station_ids(session)
    codes = set(grid_codes(session))
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
        existing = roster_entry(session, row.day, shift.code, units[row.unit])
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


def read_roster_file(path: Path) -> RosterResult:
    """A roster file as :func:`write_roster` takes it: CSV in any encoding
    :func:`~dispatch.tabular.decode_text` reads, or (``.json``) a JSON list of rows."""
    shifts = configured_shifts()
    if path.suffix.lower() != ".json":
        return parse_roster_csv(path.read_bytes(), shifts=shifts)
    try:
        text, _ = decode_text(path.read_bytes())
        items = load_json(text, what=path.name)
    except UnreadableText as exc:
        raise InvalidValue(f"{path.name}: {exc}", field="file") from None
    except ValueError as exc:
        raise InvalidValue(f"{path.name} is not JSON: {exc}", field="file") from None
    return parse_roster_json(items, shifts=shifts)


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
    tz = local_zone()
    return [{"shift": r.shift, "unit": r.callsign, "kind": r.kind, "grids": list(r.grids),
             "station": r.station, "start": r.start_at.astimezone(tz).isoformat(),
             "end": r.end_at.astimezone(tz).isoformat(), "note": r.note}
            for r in roster_rows(session, day)]
