"""Checkpoints (卡口): registered one by one or from a CSV, changed, shown; every change
audited. A checkpoint named by passages is never deleted: it is made inactive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.db.geometry import to_ewkb
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.geography.repository import area_id_at, area_id_named
from app.models import Checkpoint, User
from app.passages import repository
from app.passages.repository import CheckpointRow
from dispatch.checkpoints.sites import CheckpointInput, parse_checkpoint_csv
from dispatch.tabular import UnreadableText, decode_text
from gis.crs import datum_to_wgs84_array, wgs84_to_bd09, wgs84_to_gcj02

DATUMS = ("wgs84", "gcj02", "bd09")


def checkpoint_json(row: CheckpointRow) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "name": row.name, "directions": row.directions,
            "active": row.active, "lon": round(row.lon, 7), "lat": round(row.lat, 7),
            "area": row.area}


def checkpoint_geojson(rows: list[CheckpointRow]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
         "properties": checkpoint_json(row)} for row in rows]}


def _wgs84(datum: str, lon: float, lat: float) -> tuple[float, float]:
    if datum == "wgs84":
        return lon, lat
    if datum not in DATUMS:
        raise InvalidValue(f"datum must be one of {', '.join(DATUMS)}.", field="datum")
    x, y = datum_to_wgs84_array(datum, [lon], [lat])
    return float(x[0]), float(y[0])


def _from_wgs84(datum: str, lon: float, lat: float) -> tuple[float, float]:
    if datum == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if datum == "bd09":
        return wgs84_to_bd09(lon, lat)
    return lon, lat


def _values(session: Session, site: CheckpointInput, datum: str) -> dict[str, Any]:
    lon, lat = _wgs84(datum, site.lon, site.lat)
    area_id = (area_id_named(session, site.area, field="area") if site.area
               else area_id_at(session, lon, lat))
    return {"code": site.code, "name": site.name, "directions": site.directions,
            "active": site.active, "area_id": area_id,
            "geom": to_ewkb(shapely.Point(lon, lat))}


def add_checkpoint(session: Session, site: CheckpointInput, *, datum: str = "wgs84",
                   reason: str | None = None, actor: User | None = None) -> CheckpointRow:
    """Register a checkpoint (409 ``duplicate_code`` when its code is taken)."""
    if repository.checkpoint_id_of(session, site.code) is not None:
        raise StateConflict(f"A checkpoint with code {site.code!r} exists.", field="code",
                            code="duplicate_code")
    row = Checkpoint(**_values(session, site, datum))
    session.add(row)
    session.flush()
    audit.record(session, "checkpoint.create", object_type="checkpoint", object_id=row.id,
                 reason=reason, actor=actor, details=_details(site, datum))
    return _shown(session, row.id)


def update_checkpoint(session: Session, checkpoint_id: int, changes: dict[str, Any], *,
                      datum: str = "wgs84", reason: str | None = None,
                      actor: User | None = None) -> CheckpointRow:
    """Change a checkpoint: any of its fields (a new code must be free)."""
    row = repository.checkpoint_record(session, checkpoint_id)
    if row is None:
        raise RecordNotFound(f"No checkpoint {checkpoint_id}.", field="checkpoint_id")
    current = repository.checkpoint(session, checkpoint_id)
    assert current is not None
    moved = "lon" in changes or "lat" in changes
    lon, lat = _from_wgs84(datum, current.lon, current.lat) if moved else (
        current.lon, current.lat)  # one coordinate given: the other in its datum too
    merged = {"code": current.code, "name": current.name, "lon": lon, "lat": lat,
              "directions": current.directions, "active": current.active,
              "area": current.area}
    site = CheckpointInput.model_validate(merged | changes)
    values = _values(session, site, datum if moved else "wgs84")
    if "area" not in changes and not moved:
        values.pop("area_id")
    if site.code != current.code and repository.checkpoint_id_of(session, site.code):
        raise StateConflict(f"A checkpoint with code {site.code!r} exists.", field="code",
                            code="duplicate_code")
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, "checkpoint.update", object_type="checkpoint",
                 object_id=checkpoint_id, reason=reason, actor=actor,
                 details={"changed": sorted(changes)} | _details(site, datum))
    return _shown(session, checkpoint_id)


def _details(site: CheckpointInput, datum: str) -> dict[str, Any]:
    return {"code": site.code, "name": site.name, "lon": site.lon, "lat": site.lat,
            "datum": datum, "directions": site.directions, "active": site.active}


def _shown(session: Session, checkpoint_id: int) -> CheckpointRow:
    shown = repository.checkpoint(session, checkpoint_id)
    assert shown is not None
    return shown


def import_checkpoint_csv(session: Session, raw: bytes, *, source: str,
                          datum: str = "wgs84", reason: str | None = None,
                          actor: User | None = None) -> dict[str, Any]:
    """Read a checkpoint CSV and write its good rows (a known code updates its checkpoint);
    the caller commits. Answers the counts and every refused row."""
    try:
        text, encoding = decode_text(raw)
    except UnreadableText as exc:
        raise InvalidValue(f"The checkpoint file cannot be read: {exc}.", field="file",
                           code="unreadable_file") from None
    parsed = parse_checkpoint_csv(text)
    errors = [{"line": e.row, "field": e.field, "message": e.message} for e in parsed.errors]
    created = updated = 0
    known = {row.code: row.id for row in repository.checkpoints(
        session, codes=[site.code for site in parsed.rows])}
    for site, line in zip(parsed.rows, parsed.lines, strict=True):
        existing = known.get(site.code)
        try:
            with session.begin_nested():
                values = _values(session, site, datum)
                if existing is not None:
                    record = repository.checkpoint_record(session, existing)
                    assert record is not None
                    for key, value in values.items():
                        setattr(record, key, value)
                    record.updated_at = datetime.now(UTC)
                else:
                    session.add(Checkpoint(**values))
                session.flush()
        except (InvalidValue, IntegrityError) as exc:
            errors.append({"line": line, "field": getattr(exc, "field", None) or "code",
                           "message": getattr(exc, "message", "refused by the database")})
            continue
        if existing is not None:
            updated += 1
        else:
            created += 1
    errors.sort(key=lambda e: e["line"])
    if created or updated:
        audit.record(session, "checkpoint.import", object_type="checkpoints",
                     object_id=source, reason=reason, actor=actor,
                     details={"created": created, "updated": updated, "errors": len(errors),
                              "encoding": encoding, "datum": datum})
    return {"created": created, "updated": updated, "errors": errors,
            "warnings": [{"line": w.row, "field": w.field, "message": w.message}
                         for w in parsed.warnings], "encoding": encoding}
