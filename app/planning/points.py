"""Must-visit points (必巡点): create, list, import from CSV/GeoJSON, propose from POIs.

Windows are weekday time windows (``[{"weekdays": "mon-fri", "start": "07:30", "end":
"08:15"}]``; none = any time). Points proposed from POIs get the windows of their kind
(:data:`POI_DEFAULTS`): a school gate at the morning and afternoon bell, a bank in opening
hours, nightlife late in the evening.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import shapely
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import to_ewkb
from app.errors import InvalidValue
from app.geography.datum import checked_datum
from app.guards import load_json
from app.models import MustVisitPoint
from app.planning.repository import grid_cell_at, point_rows, unproposed_pois
from dispatch.recommend import UnitKind
from dispatch.tabular import UnreadableText, decode_text
from gis.datums import point_to_wgs84
from patrol.windows import parse_windows

POI_DEFAULTS: dict[str, dict[str, Any]] = {
    "school": {"windows": [{"weekdays": "mon-fri", "start": "07:30", "end": "08:15"},
                           {"weekdays": "mon-fri", "start": "16:30", "end": "17:15"}],
               "dwell_min": 10, "priority": 1},
    "kindergarten": {"windows": [{"weekdays": "mon-fri", "start": "07:30", "end": "08:30"},
                                 {"weekdays": "mon-fri", "start": "16:00", "end": "17:30"}],
                     "dwell_min": 10, "priority": 1},
    "bank": {"windows": [{"weekdays": "mon-fri", "start": "09:00", "end": "17:00"}],
             "dwell_min": 5, "priority": 2},
    "atm": {"windows": [{"weekdays": "daily", "start": "20:00", "end": "02:00"}],
            "dwell_min": 3, "priority": 3},
    "hospital": {"windows": [], "dwell_min": 5, "priority": 3},
    "market": {"windows": [{"weekdays": "daily", "start": "09:00", "end": "19:00"}],
               "dwell_min": 10, "priority": 2},
    "mall": {"windows": [{"weekdays": "daily", "start": "10:00", "end": "21:00"}],
             "dwell_min": 10, "priority": 2},
    "nightlife": {"windows": [{"weekdays": "daily", "start": "21:00", "end": "03:00"}],
                  "dwell_min": 10, "priority": 2},
    "rail_station": {"windows": [{"weekdays": "mon-fri", "start": "07:00", "end": "09:30"},
                                 {"weekdays": "mon-fri", "start": "16:30", "end": "19:00"}],
                     "dwell_min": 10, "priority": 2},
    "bus_station": {"windows": [], "dwell_min": 5, "priority": 3},
    "fuel": {"windows": [{"weekdays": "daily", "start": "22:00", "end": "04:00"}],
             "dwell_min": 3, "priority": 3},
    "government": {"windows": [{"weekdays": "mon-fri", "start": "08:30", "end": "17:30"}],
                   "dwell_min": 5, "priority": 3},
    "place_of_worship": {"windows": [], "dwell_min": 5, "priority": 3},
}


_DAY = "(?:mon|tue|wed|thu|fri|sat|sun|周[一二三四五六日])"
_DAYS = rf"(?:{_DAY}(?:-{_DAY})?|daily|weekdays|weekend|工作日|周末|每天)"
_WEEKDAY = {"type": "integer", "minimum": 0, "maximum": 6}
_HHMM = r"(?:[01]?[0-9]|2[0-3])[:：][0-5][0-9]"
#: A must-visit window as the API describes it (patrol.windows also reads full English
#: day names and more Chinese forms): weekdays (default daily) as mon-fri, a list of them,
#: or 0-6 (0 = Monday); start H:MM; end H:MM or 24:00.
WINDOW_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["start", "end"],
    "properties": {
        "weekdays": {"anyOf": [
            {"type": "string", "pattern": rf"^{_DAYS}(?:,{_DAYS})*$"}, _WEEKDAY,
            {"type": "array", "minItems": 1, "items": _WEEKDAY}]},
        "start": {"type": "string", "pattern": rf"^\s*{_HHMM}\s*$"},
        "end": {"type": "string", "pattern": rf"^\s*(?:{_HHMM}|24[:：]00)\s*$"}}}


class PointInput(BaseModel):
    """A must-visit point as the API and the importers take it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    windows: list[dict[str, Any]] = Field(default_factory=list, max_length=20,
                                          json_schema_extra={"items": WINDOW_SCHEMA})
    dwell_min: float = Field(default=5, gt=0, le=240)
    visits_per_shift: int = Field(default=1, ge=1, le=12)
    priority: int = Field(default=3, ge=1, le=5)
    covert: bool = False
    unit_kinds: list[str] = Field(default_factory=list, max_length=10, json_schema_extra={
        "items": {"enum": [kind.value for kind in UnitKind]}})
    skills: list[str] = Field(default_factory=list, max_length=20)
    expires_at: AwareDatetime | None = Field(
        default=None, description="a temporary point: not planned from this moment on "
                                  "(ISO 8601 with an offset; none: a standing point)")
    datum: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84", description="datum of lon and lat (gcj02: AMap, Tencent; bd09: "
                                     "Baidu); the point is stored in WGS-84")
    reason: str | None = Field(default=None, max_length=500)

    def wgs84(self) -> tuple[float, float]:
        """Where the point is in WGS-84 (a DatumRangeError when it leaves the Earth)."""
        return point_to_wgs84(self.lon, self.lat, datum=self.datum)

    @field_validator("unit_kinds")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        known = {kind.value for kind in UnitKind}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown unit kinds {unknown}; known: {sorted(known)}")
        return value

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        parse_windows(value)  # raises naming windows[i].field
        return value


def point_values(point: PointInput) -> dict[str, Any]:
    return {"name": point.name, "windows": point.windows, "dwell_min": point.dwell_min,
            "visits_per_shift": point.visits_per_shift, "priority": point.priority,
            "covert": point.covert, "unit_kinds": point.unit_kinds, "skills": point.skills,
            "expires_at": point.expires_at}


def point_json(point: PointInput) -> dict[str, Any]:
    """The point's values as the API answers them (times in ISO 8601)."""
    values = point_values(point)
    expires = values["expires_at"]
    return values | {"expires_at": expires.isoformat() if expires is not None else None}


def create_point(session: Session, point: PointInput, *, source: str = "manual",
                 source_ref: str | None = None, actor: Any = None) -> MustVisitPoint:
    lon, lat = point.wgs84()
    row = MustVisitPoint(**point_values(point), source=source, source_ref=source_ref,
                         grid_cell_id=grid_cell_at(session, lon, lat),
                         geom=to_ewkb(shapely.Point(lon, lat)),
                         created_by=getattr(actor, "id", None))
    session.add(row)
    session.flush()
    audit.record(session, "must_visit_point.create", object_type="must_visit_point",
                 object_id=row.id, reason=point.reason, actor=actor,
                 details=point.model_dump(mode="json", exclude={"reason"})
                 | {"source": source})
    return row


def points_geojson(session: Session, *, active_only: bool = True) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
        "properties": {"id": r.id, "name": r.name, "windows": r.windows,
                       "dwell_min": r.dwell_min, "visits_per_shift": r.visits_per_shift,
                       "priority": r.priority, "covert": r.covert, "source": r.source,
                       "source_ref": r.source_ref, "active": r.active, "grid": r.grid,
                       "unit_kinds": list(r.unit_kinds), "skills": list(r.skills),
                       "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                       "expired": bool(r.expired)}}
        for r in point_rows(session, active_only=active_only)]}


@dataclass
class PointImport:
    created: int = 0
    errors: list[str] = field(default_factory=list)


def import_points(session: Session, path: Path, *, reason: str | None = None,
                  datum: str = "wgs84") -> PointImport:
    """CSV (name, lon, lat, windows, dwell_min, visits_per_shift, priority, covert; windows
    as ``mon-fri 07:30-08:15; sat 10:00-12:00``) or GeoJSON points with those properties.
    Bad rows are listed by line or feature and skipped; good ones are written. Coordinates
    are in ``datum`` (a row's own ``datum`` column wins) and stored as WGS-84."""
    datum = checked_datum(datum)
    result = PointImport()
    for where, values in _records(path):
        if isinstance(values, str):  # the record itself is unusable
            result.errors.append(f"{where}: {values}")
            continue
        try:
            point = PointInput.model_validate({"datum": datum} | values | {"reason": reason})
            create_point(session, point, source="import", source_ref=f"{path.name}:{where}")
        except (ValidationError, ValueError) as exc:
            result.errors.append(f"{where}: {_first_error(exc)}")
            continue
        result.created += 1
    return result


def _records(path: Path) -> list[tuple[str, dict[str, Any] | str]]:
    """Each record of the file with where it is: its values, or what is wrong with it."""
    text = _decode(path.read_bytes())
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            document = load_json(text, what=path.name)
        except ValueError as exc:
            raise InvalidValue(f"{path.name} is not GeoJSON: {exc}", field="file") from None
        features = document.get("features") if isinstance(document, dict) else None
        if not isinstance(features, list):
            raise InvalidValue(f"{path.name} is not a GeoJSON FeatureCollection.",
                               field="file")
        return [(f"feature {number}", _feature_values(feature))
                for number, feature in enumerate(features, start=1)]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records: list[tuple[str, dict[str, Any] | str]] = []
    try:
        for row in reader:
            values: dict[str, Any] = {k.strip().lower(): v for k, v in row.items()
                                      if isinstance(k, str) and isinstance(v, str) and v}
            if "windows" in values:
                values["windows"] = windows_from_text(values["windows"])
            if "covert" in values:
                values["covert"] = values["covert"].strip().lower() in ("1", "true", "yes",
                                                                        "是")
            records.append((f"line {reader.line_num}", values))
    except csv.Error as exc:
        records.append((f"line {reader.line_num}", f"unreadable CSV: {exc}"))
    return records


def _feature_values(feature: Any) -> dict[str, Any] | str:
    if not isinstance(feature, dict):
        return "not a GeoJSON feature"
    props = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(props, dict):
        return "properties must be an object"
    if (not isinstance(geometry, dict) or geometry.get("type") != "Point"
            or not isinstance(coords, list) or len(coords) < 2):
        return "geometry: a Point with [lon, lat] is required"
    return props | {"lon": coords[0], "lat": coords[1]}


def windows_from_text(text: str) -> list[dict[str, str]]:
    """``mon-fri 07:30-08:15; sat 10:00-12:00`` → window dicts (validated later)."""
    windows = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        days, _, span = part.rpartition(" ")
        start, _, end = span.partition("-")
        windows.append({"weekdays": days.strip() or "daily", "start": start, "end": end})
    return windows


def propose_from_pois(session: Session, *, kinds: list[str] | None = None,
                      area: str | None = None, reason: str | None = None) -> int:
    """A point per POI of the kinds (default: all of :data:`POI_DEFAULTS`), with the
    kind's windows; POIs already proposed are left alone (source ``poi``, ref the POI id)."""
    wanted = kinds or list(POI_DEFAULTS)
    unknown = sorted(set(wanted) - set(POI_DEFAULTS))
    if unknown:
        raise InvalidValue(f"Unknown POI kinds: {', '.join(unknown)}; known: "
                            f"{', '.join(POI_DEFAULTS)}.", field="kinds")
    rows = unproposed_pois(session, wanted, area=area)
    for poi_id, kind, name, lon, lat in rows:
        defaults = POI_DEFAULTS[kind]
        point = PointInput(name=(name or kind.replace("_", " "))[:200], lon=lon, lat=lat,
                           windows=defaults["windows"], dwell_min=defaults["dwell_min"],
                           priority=defaults["priority"], reason=reason)
        create_point(session, point, source="poi", source_ref=str(poi_id))
    return len(rows)


def _decode(data: bytes) -> str:
    try:
        return decode_text(data)[0]
    except UnreadableText as exc:
        raise InvalidValue(f"The file cannot be read: {exc}.", field="file") from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)
