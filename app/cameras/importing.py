"""Camera CSV import, shared by ``POST /api/v1/cameras/import`` and ``gridpatrol import
cameras``: the file decoded whatever its encoding, rows read and checked by
:func:`dispatch.cameras.parse_camera_csv`, stream URLs passed through the stream fence row
by row, good rows written (a known ``gb_id`` updates its camera), the rest listed by line,
field and — for a fenced URL — the rule."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy.orm import Session

from app import audit
from app.cameras import repository
from app.cameras.coverage import refresh_coverage
from app.cameras.fence import StreamRefused
from app.cameras.snapshots import stream_fence
from app.db.geometry import to_ewkb
from app.errors import InvalidValue
from app.geography.datum import checked_datum
from app.geography.repository import area_id_at, area_id_named
from app.models import Camera
from dispatch.cameras import CameraInput, parse_camera_csv
from dispatch.tabular import UnreadableText, decode_text
from gis.datums import point_to_wgs84
from gis.errors import DatumRangeError

FIELDS = ("name", "kind", "azimuth_deg", "fov_deg", "range_m", "height_m", "stream_url",
          "recording_url",
          "gb_id", "status")
MAX_CSV_BYTES = 20_000_000


@dataclass
class CameraImport:
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None

    @property
    def written(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "errors": self.errors,
                "warnings": self.warnings}


def camera_values(camera: CameraInput) -> dict[str, Any]:
    data = camera.model_dump(mode="json")
    return {k: data.get(k) for k in FIELDS}


def camera_point(camera: CameraInput) -> Any:
    return to_ewkb(shapely.Point(camera.lon, camera.lat))


def camera_area_id(session: Session, name: str | None, lon: float, lat: float) -> int | None:
    """The named area, else the one the camera stands in."""
    return area_id_named(session, name, field="area") if name else area_id_at(session, lon, lat)


def import_camera_csv(session: Session, raw: bytes, *, source: str | None = None,
                      field_name: str = "file", reason: str | None = None,
                      datum: str = "wgs84") -> CameraImport:
    """Read ``raw`` and write its good rows (the caller commits). A file that cannot be
    read at all (too large, binary, an unknown encoding) is an :class:`InvalidValue`
    naming ``field_name``; bad rows are listed in the result. Longitudes and latitudes
    are in ``datum`` (wgs84, gcj02 or bd09) and stored as WGS-84."""
    datum = checked_datum(datum)
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidValue(f"At most {MAX_CSV_BYTES} bytes per import.", field=field_name)
    try:
        text, encoding = decode_text(raw)
    except UnreadableText as exc:
        raise InvalidValue(f"The camera file cannot be read: {exc}.", field=field_name,
                           code="unreadable_file") from None
    parsed = parse_camera_csv(text)
    result = CameraImport(encoding=encoding, warnings=[
        {"line": w.row, "field": w.field, "message": w.message} for w in parsed.warnings])
    result.errors = [{"line": e.row, "field": e.field, "message": e.message}
                     for e in parsed.errors]
    fence = stream_fence()
    fence = replace(fence, resolve=functools.lru_cache(maxsize=4096)(fence.resolve))
    by_gb = repository.camera_ids_by_gb_id(session, [c.gb_id for c in parsed.rows if c.gb_id])
    ids = []
    for given, line in zip(parsed.rows, parsed.lines, strict=True):
        try:
            camera = camera_in_wgs84(given, datum)
        except DatumRangeError as exc:
            result.errors.append({"line": line, "field": "lon", "message": str(exc)})
            continue
        area_id = _checked_area_id(session, camera, fence)
        if isinstance(area_id, dict):  # a problem with the row
            result.errors.append({"line": line} | area_id)
            continue
        values = camera_values(camera) | {"area_id": area_id, "geom": camera_point(camera)}
        existing = by_gb.get(camera.gb_id) if camera.gb_id else None
        if existing is not None:
            repository.update_camera(session, existing, values | {
                "updated_at": datetime.now(UTC)})
            ids.append(existing)
            result.updated += 1
        else:
            row = Camera(source="csv", **values)
            session.add(row)
            session.flush()
            ids.append(row.id)
            result.created += 1
    result.errors.sort(key=lambda e: e["line"])
    if ids:
        refresh_coverage(session, camera_ids=ids)
    audit.record(session, "camera.import", object_type="cameras", object_id=source,
                 reason=reason, details={"created": result.created, "updated": result.updated,
                                         "errors": len(result.errors), "encoding": encoding,
                                         "datum": datum})
    return result


def camera_in_wgs84(camera: CameraInput, datum: str) -> CameraInput:
    """The camera with its coordinates taken from ``datum`` to WGS-84; a
    :class:`~gis.errors.DatumRangeError` when they leave the Earth."""
    if datum == "wgs84":
        return camera
    lon, lat = point_to_wgs84(camera.lon, camera.lat, datum=datum)
    return camera.model_copy(update={"lon": lon, "lat": lat})


def _checked_area_id(session: Session, camera: CameraInput,
                     fence: Any) -> int | None | dict[str, Any]:
    """The row's area id once its stream URL passed the fence; else what is wrong."""
    if camera.stream_url:
        try:
            fence.check(camera.stream_url)
        except StreamRefused as exc:
            return {"field": "stream_url", "message": f"{exc.message} (rule: {exc.rule})",
                    "rule": exc.rule}
    try:
        return camera_area_id(session, camera.area, camera.lon, camera.lat)
    except InvalidValue as exc:
        return {"field": "area", "message": exc.message}


def row_line(problem: dict[str, Any]) -> str:
    """``line 3: lat: …``: one refused row as a line of text."""
    field = f"{problem['field']}: " if problem.get("field") else ""
    return f"line {problem['line']}: {field}{problem['message']}"
