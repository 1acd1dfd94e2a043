"""GB/T 28181 catalogue import, shared by ``POST /api/v1/cameras/catalog`` and
``gridpatrol import catalog``: the files read and their items sorted by
:mod:`dispatch.cameras.catalog`, cameras upserted by ``DeviceID`` (the camera's
``gb_id``) in one transaction, the catalogue's record of each kept (``camera_catalog``),
the state following the catalogue's ``Status`` with its history, coverage recomputed, the
import audited. The caller commits — or, when nothing was written, rolls back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app import audit
from app.cameras import repository
from app.cameras.coverage import refresh_coverage
from app.db.geometry import to_ewkb
from app.geography.datum import checked_datum
from app.geography.repository import area_ids_at
from app.models import Camera
from dispatch.cameras import CameraInput, CameraKind
from dispatch.cameras.catalog import (
    CatalogCamera,
    CatalogDocument,
    RefusedItem,
    catalog_record,
    read_catalog,
    sort_catalog,
    status_after_catalog,
)

SOURCE = "gb28181"
"""``cameras.source`` of the cameras a catalogue created."""

_ELEMENT_OF = {"name": "Name", "lon": "Longitude", "lat": "Latitude", "kind": "PTZType",
               "azimuth_deg": "DirectionType", "fov_deg": "HorizontalFieldAngle",
               "range_m": "MaxViewDistance", "gb_id": "DeviceID"}


@dataclass
class CatalogImport:
    """What one catalogue import did."""

    datum: str
    files: list[str]
    messages: int = 0
    items: int = 0
    encodings: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    unplaced: list[dict[str, Any]] = field(default_factory=list)
    """Cameras updated without moving: their item has no usable coordinates."""
    status_changes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    item_notes: list[dict[str, Any]] = field(default_factory=list)
    camera_ids: list[int] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def skipped_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.skipped:
            counts[item["what"]] = counts.get(item["what"], 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {"datum": self.datum, "files": self.files, "messages": self.messages,
                "items": self.items, "encodings": self.encodings, "created": self.created,
                "updated": self.updated, "refused": self.refused, "skipped": self.skipped,
                "skipped_by_kind": self.skipped_by_kind(), "unplaced": self.unplaced,
                "status_changes": self.status_changes, "notes": self.notes,
                "item_notes": self.item_notes}


def import_catalog(session: Session, sources: list[tuple[str, bytes]], *,
                   datum: str = "wgs84", reason: str | None = None,
                   actor: Any = None) -> CatalogImport:
    """Read the catalogue files and upsert their cameras (the caller commits).

    A file that cannot be read is a :class:`~dispatch.cameras.catalog.InvalidCatalog` (422 on
    ``file``), raised before anything is written; items that cannot be used are listed in
    the result."""
    datum = checked_datum(datum)
    document = read_catalog(sources)
    result = CatalogImport(datum=datum, files=[name for name, _ in sources],
                           messages=len(document.messages), items=len(document.items),
                           encodings=sorted({m.encoding for m in document.messages}),
                           notes=list(document.notes))
    sorting = sort_catalog(document.items, datum=datum)
    result.skipped = [{"device_id": s.device_id, "name": s.name, "what": s.what_en,
                       "what_zh": s.what_zh, "why": s.why, "where": s.where}
                      for s in sorting.skipped]
    result.refused = [_refused(r) for r in sorting.refused]
    targets = repository.catalog_targets(session, [c.gb_id for c in sorting.cameras])
    placed = [c for c in sorting.cameras if c.lon is not None and c.lat is not None]
    areas = dict(zip((c.gb_id for c in placed),
                     area_ids_at(session, [(c.lon, c.lat) for c in placed]),  # type: ignore[misc]
                     strict=True))
    now = datetime.now(UTC)
    new_rows: list[tuple[CatalogCamera, Camera]] = []
    written: list[tuple[CatalogCamera, int, str]] = []  # camera, its id, its state before
    for camera in sorting.cameras:
        target = targets.get(camera.gb_id)
        if target is None:
            row = _new_row(camera, areas, result)
            if row is not None:
                new_rows.append((camera, row))
        elif _update(session, camera, target, areas, now, result):
            written.append((camera, target.id, target.status))
    result.refused.sort(key=lambda r: _order(r["where"]))
    if not new_rows and not written:
        return result
    session.add_all([row for _, row in new_rows])
    session.flush()  # one multi-row INSERT: the cameras' triggers fire once
    written = [(camera, int(row.id), "unknown") for camera, row in new_rows] + written
    result.created = len(new_rows)
    changes = []
    for camera, camera_id, before in written:
        result.camera_ids.append(camera_id)
        if camera.notes:
            result.item_notes.append({"device_id": camera.gb_id, "name": camera.name,
                                      "where": camera.item.where, "notes": list(camera.notes)})
        after = status_after_catalog(before, camera.status)
        if after.value != before:
            said = camera.status.value.upper() if camera.status else ""
            changes.append({"camera_id": camera_id, "at": now, "from_status": before,
                            "to_status": after.value,
                            "reason": f"GB/T 28181 catalogue: {said}"})
            result.status_changes.append({"camera_id": camera_id, "device_id": camera.gb_id,
                                          "from": before, "to": after.value})
    repository.set_statuses(session, changes)
    repository.save_catalog_entries(session, [_entry(camera_id, camera, document, datum)
                                              for camera, camera_id, _ in written])
    refresh_coverage(session, camera_ids=result.camera_ids)
    audit.record(session, "camera.catalog_import", object_type="cameras",
                 object_id=", ".join(result.files)[:200], reason=reason, actor=actor,
                 details={"datum": datum, "files": result.files, "messages": result.messages,
                          "items": result.items, "created": result.created,
                          "updated": result.updated, "refused": len(result.refused),
                          "skipped": result.skipped_by_kind(),
                          "unplaced": len(result.unplaced),
                          "status_changes": len(result.status_changes),
                          "notes": result.notes[:20]})
    return result


def _refused(item: RefusedItem) -> dict[str, Any]:
    return {"device_id": item.device_id, "name": item.name, "field": item.field,
            "message": item.message, "where": item.where}


def _order(where: str) -> tuple[int, int]:
    """``message 2, item 5`` as (2, 5)."""
    message, _, position = where.partition(", item ")
    return int(message.removeprefix("message ")), int(position)


def _values(camera: CatalogCamera, *, lon: float, lat: float, kind: str,
            azimuth_deg: float | None, fov_deg: float | None,
            range_m: float | None) -> CameraInput | dict[str, Any]:
    """The camera as it will be, validated; or the first problem, naming the element."""
    try:
        return CameraInput.model_validate({
            "name": camera.name, "lon": lon, "lat": lat, "kind": kind,
            "azimuth_deg": azimuth_deg, "fov_deg": fov_deg, "range_m": range_m,
            "gb_id": camera.gb_id})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "item"
        return {"field": _ELEMENT_OF.get(name, name), "message": f"{name}: {first['msg']}"}


def _problem(camera: CatalogCamera, result: CatalogImport, problem: dict[str, Any]) -> None:
    result.refused.append(_refused(RefusedItem(camera.gb_id, camera.name, problem["field"],
                                               problem["message"], camera.item.where)))


def _new_row(camera: CatalogCamera, areas: dict[str, int | None],
             result: CatalogImport) -> Camera | None:
    """The row of a camera not yet known (not added yet); None when it is refused."""
    if camera.lon is None or camera.lat is None:
        _problem(camera, result, {"field": "Longitude", "message": (
            f"{camera.position_problem}; a camera not yet known needs its place")})
        return None
    kind = (camera.kind or CameraKind.FIXED).value
    checked = _values(camera, lon=camera.lon, lat=camera.lat, kind=kind,
                      azimuth_deg=camera.azimuth_deg, fov_deg=camera.fov_deg,
                      range_m=camera.range_m)
    if isinstance(checked, dict):
        _problem(camera, result, checked)
        return None
    return Camera(source=SOURCE, name=checked.name, kind=checked.kind.value,
                  azimuth_deg=checked.azimuth_deg, fov_deg=checked.fov_deg,
                  range_m=checked.range_m, gb_id=checked.gb_id, status="unknown",
                  area_id=areas.get(camera.gb_id),
                  geom=to_ewkb(shapely.Point(checked.lon, checked.lat)))


def _update(session: Session, camera: CatalogCamera, target: repository.CatalogTarget,
            areas: dict[str, int | None], now: datetime, result: CatalogImport) -> bool:
    """Update a known camera with what its item says; False when the item is refused."""
    moved = camera.lon is not None and camera.lat is not None
    azimuth = target.azimuth_deg if target.azimuth_deg is not None else camera.azimuth_deg
    checked = _values(camera, lon=camera.lon if moved else target.lon,  # type: ignore[arg-type]
                      lat=camera.lat if moved else target.lat,  # type: ignore[arg-type]
                      kind=camera.kind.value if camera.kind else target.kind,
                      azimuth_deg=azimuth, fov_deg=camera.fov_deg or target.fov_deg,
                      range_m=camera.range_m or target.range_m)
    if isinstance(checked, dict):
        _problem(camera, result, checked)
        return False
    values: dict[str, Any] = {"name": checked.name, "updated_at": now}
    if camera.kind is not None:
        values["kind"] = checked.kind.value
    if target.azimuth_deg is None and camera.azimuth_deg is not None:  # not a hand-set aim
        values["azimuth_deg"] = checked.azimuth_deg
    if camera.fov_deg is not None:
        values["fov_deg"] = checked.fov_deg
    if camera.range_m is not None:
        values["range_m"] = checked.range_m
    if moved:
        values |= {"geom": to_ewkb(shapely.Point(checked.lon, checked.lat)),
                   "area_id": areas.get(camera.gb_id)}
    else:
        result.unplaced.append({"device_id": camera.gb_id, "name": camera.name,
                                "where": camera.item.where,
                                "message": f"{camera.position_problem}: kept where it was"})
    repository.update_camera(session, target.id, values)
    result.updated += 1
    return True


def _entry(camera_id: int, camera: CatalogCamera, document: CatalogDocument,
           datum: str) -> dict[str, Any]:
    columns, details = catalog_record(camera.item)
    message = document.messages[camera.item.message - 1]
    return {"camera_id": camera_id, "platform_id": message.device_id or None, **columns,
            "status": camera.status.value if camera.status else None,
            "source_lon": camera.source_lon, "source_lat": camera.source_lat, "datum": datum,
            "details": details, "source": message.source}
