"""GB/T 28181 catalogue items sorted into cameras, items that are not cameras, and refusals.

Decisions
---------
Which items are cameras, by the item's ``DeviceID``:

- 20 digits with type code (digits 11-13) 131 camera, 132 IP camera, 121 video checkpoint
  or 122 multi-lens device: a **camera**, once the ID passes
  :func:`~dispatch.cameras.gb_id.validate_gb_id` (else refused with its reason).
- 111 DVR, 112 video server, 113 encoder, 118 NVR, 130 HVR: a recorder or encoder,
  **skipped**: its cameras are its channels, listed as items of their own.
- Every other defined type (platforms, 215 business groups, 216 virtual organisations,
  alarm inputs and outputs, users …) and 2, 4, 6 or 8 digits (an administrative division,
  行政区划): **skipped**, named.
- Anything else (another length, a non-digit, an undefined type): **refused**.

What a camera takes from its item (:class:`CatalogCamera`):

- ``Name`` (the ``DeviceID`` when empty; cut to 200 characters), ``Status`` (``ON``,
  ``ONLINE``, ``OK`` / ``OFF``, ``OFFLINE``), ``Longitude``/``Latitude`` in the datum the
  caller names, converted to WGS-84 by :mod:`gis.crs`. Missing, empty or ``0``
  coordinates are named per item (the camera can be updated but not placed); unreadable
  ones, or a place off the Earth, refuse the item.
- ``Info``: ``PTZType`` gives the kind (1 speed dome: PTZ; 2 and 5 dome; 3, 4, 6 and 7
  fixed); type 121, or ``FunctionType`` 03 (motor-vehicle checkpoint), is a checkpoint.
  ``DirectionType`` (1 east … 8 north-west) gives a compass azimuth, ``HorizontalFieldAngle``
  the field of view and ``MaxViewDistance`` the range; values out of range are noted and
  not used.
- The rest (manufacturer, model, owner, civil code, address, parent …) is kept as the
  catalogue's record of the camera (:func:`catalog_record`); ``Password`` never is.

The camera's state follows the catalogue's ``Status`` (:func:`status_after_catalog`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np

from dispatch.cameras.catalog.reading import CatalogItem
from dispatch.cameras.gb_id import InvalidGbId, describe_gb_type, validate_gb_id
from dispatch.cameras.kinds import CameraKind, CameraStatus
from gis.crs import datum_to_wgs84_array

CAMERA_TYPES = frozenset({"131", "132", "121", "122"})
"""Type codes of catalogue items that become cameras."""

RECORDER_TYPES = frozenset({"111", "112", "113", "118", "130"})
"""Type codes of recorders and encoders: skipped (their channels are the cameras)."""

PTZ_KINDS: Mapping[str, CameraKind] = MappingProxyType({
    "1": CameraKind.PTZ, "2": CameraKind.DOME, "3": CameraKind.FIXED, "4": CameraKind.FIXED,
    "5": CameraKind.DOME, "6": CameraKind.FIXED, "7": CameraKind.FIXED})
"""``Info/PTZType`` to kind: 1 球机, 2 半球, 3 固定枪机, 4 遥控枪机, 5 遥控半球, 6 and 7 the
panorama and split channels of a multi-lens device."""

DIRECTION_AZIMUTH_DEG: Mapping[str, float] = MappingProxyType({
    "1": 90.0, "2": 270.0, "3": 180.0, "4": 0.0, "5": 135.0, "6": 45.0, "7": 225.0,
    "8": 315.0})
"""``Info/DirectionType`` (the optical axis: 1 east … 8 north-west) as a compass azimuth."""

STATUS_WORDS: Mapping[str, str] = MappingProxyType({
    "on": "on", "online": "on", "ok": "on", "off": "off", "offline": "off"})
MAX_NAME = 200
MAX_RANGE_M = 5000.0
RECORD_COLUMNS: Mapping[str, str] = MappingProxyType({
    "Manufacturer": "manufacturer", "Model": "model", "Owner": "owner",
    "CivilCode": "civil_code", "Address": "address", "ParentID": "parent_id"})
"""Item elements kept as columns of the catalogue's record; the rest go to ``details``."""
_USED = frozenset({"DeviceID", "Name", "Status", "Longitude", "Latitude"})


class CatalogStatus(StrEnum):
    """A catalogue item's ``Status``: registered with its platform (on) or not (off)."""

    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class CatalogCamera:
    """A camera item, read (see the module docstring); None: the item does not say.

    ``lon``/``lat`` are WGS-84 degrees, ``source_lon``/``source_lat`` as written (in the
    import's datum); ``position_problem`` says why there are none.
    """

    item: CatalogItem
    gb_id: str
    name: str
    kind: CameraKind | None = None
    status: CatalogStatus | None = None
    lon: float | None = None
    lat: float | None = None
    source_lon: float | None = None
    source_lat: float | None = None
    position_problem: str | None = None
    azimuth_deg: float | None = None
    fov_deg: float | None = None
    range_m: float | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedItem:
    """An item that is not a camera: what it is (English, Chinese) and why it is skipped."""

    device_id: str
    name: str
    what_en: str
    what_zh: str
    why: str
    where: str


@dataclass(frozen=True)
class RefusedItem:
    """A camera item (or an unreadable one) that cannot be used, naming the element."""

    device_id: str
    name: str
    field: str
    message: str
    where: str


@dataclass
class CatalogSorting:
    """What :func:`sort_catalog` made of the items."""

    cameras: list[CatalogCamera] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    refused: list[RefusedItem] = field(default_factory=list)


def sort_catalog(items: Sequence[CatalogItem], *, datum: str) -> CatalogSorting:
    """Sort catalogue items into cameras, skipped items and refusals.

    Parameters
    ----------
    items : sequence of CatalogItem
        As :func:`~dispatch.cameras.catalog.reading.read_catalog` read them.
    datum : {"wgs84", "gcj02", "bd09"}, keyword-only
        The datum of the items' ``Longitude``/``Latitude``.

    Returns
    -------
    CatalogSorting
        Cameras in item order, with WGS-84 coordinates where the item has usable ones.

    Raises
    ------
    gis.errors.CrsError
        An unknown datum.
    """
    sorting = CatalogSorting()
    for item in items:
        outcome = _sort_item(item)
        if isinstance(outcome, SkippedItem):
            sorting.skipped.append(outcome)
        elif isinstance(outcome, RefusedItem):
            sorting.refused.append(outcome)
        else:
            sorting.cameras.append(outcome)
    placed = [i for i, c in enumerate(sorting.cameras) if c.source_lon is not None]
    lon, lat = datum_to_wgs84_array(
        datum, np.array([sorting.cameras[i].source_lon for i in placed], dtype=np.float64),
        np.array([sorting.cameras[i].source_lat for i in placed], dtype=np.float64))
    refused: set[int] = set()
    for index, x, y in zip(placed, lon.tolist(), lat.tolist(), strict=True):
        camera = sorting.cameras[index]
        if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= 180 and abs(y) <= 90):
            swapped = abs(camera.source_lat or 0) > 90 >= abs(camera.source_lon or 0)
            sorting.refused.append(_refusal(
                camera.item, "Longitude", f"Longitude {camera.source_lon}, Latitude "
                f"{camera.source_lat} is not a place on Earth" + (
                    " (Longitude and Latitude swapped?)" if swapped else "")))
            refused.add(index)
            continue
        sorting.cameras[index] = replace(camera, lon=x, lat=y)
    sorting.cameras = [c for i, c in enumerate(sorting.cameras) if i not in refused]
    return sorting


def status_after_catalog(current: CameraStatus | str,
                         said: CatalogStatus | None) -> CameraStatus:
    """A camera's state after the catalogue said ``said`` of it.

    ``OFF`` (not registered with its platform: no video can be called up) makes it offline;
    ``ON`` brings an offline or unknown camera online. Maintenance (set by hand) stays, and
    so do a degraded picture (``ON`` says the device answers, not that its picture is good:
    the health check clears that) and nothing said.

    Parameters
    ----------
    current : CameraStatus or str
        The camera's state now.
    said : CatalogStatus or None
        The catalogue's ``Status``.

    Returns
    -------
    CameraStatus
    """
    now = CameraStatus(current)
    if said is None or now is CameraStatus.MAINTENANCE:
        return now
    if said is CatalogStatus.OFF:
        return CameraStatus.OFFLINE
    return CameraStatus.ONLINE if now in (CameraStatus.OFFLINE, CameraStatus.UNKNOWN) else now


def catalog_record(item: CatalogItem) -> tuple[dict[str, str | None], dict[str, Any]]:
    """The catalogue's record of an item: column values and the other details.

    Returns
    -------
    (dict, dict)
        ``manufacturer``, ``model``, ``owner``, ``civil_code``, ``address``, ``parent_id``
        (None when empty); and every other element with a value (``Info`` under ``info``),
        ``Password`` excluded.
    """
    columns = {column: (item.fields.get(name) or None) for name, column in
               RECORD_COLUMNS.items()}
    details: dict[str, Any] = {k: v for k, v in item.fields.items()
                               if v and k not in RECORD_COLUMNS and k not in _USED}
    if item.info:
        details["info"] = {k: v for k, v in item.info.items() if v}
    return columns, details


def _refusal(item: CatalogItem, element: str, message: str) -> RefusedItem:
    return RefusedItem(item.device_id, item.name, element, message, item.where)


def _sort_item(item: CatalogItem) -> CatalogCamera | SkippedItem | RefusedItem:
    device_id = item.device_id
    if not device_id:
        return _refusal(item, "DeviceID", "the item has no DeviceID")
    if not (device_id.isascii() and device_id.isdigit()):
        return _refusal(item, "DeviceID", f"DeviceID {device_id[:40]!r} is not digits")
    if len(device_id) in (2, 4, 6, 8):
        return SkippedItem(device_id, item.name, "administrative division (civil code)",
                           "行政区划", "not a camera", item.where)
    if len(device_id) != 20:
        return _refusal(item, "DeviceID", f"DeviceID {device_id} has {len(device_id)} digits: "
                        "a device has 20, an administrative division 2, 4, 6 or 8")
    type_code = device_id[10:13]
    if type_code not in CAMERA_TYPES:
        described = describe_gb_type(type_code)
        if described is None:
            return _refusal(item, "DeviceID", f"DeviceID {device_id} has the undefined type "
                            f"code {type_code} (digits 11-13)")
        why = ("a recorder or encoder, not a camera: its cameras are its channels"
               if type_code in RECORDER_TYPES else "not a camera")
        return SkippedItem(device_id, item.name, f"{described[0]} (type {type_code})",
                           described[1], why, item.where)
    try:
        gb_id = validate_gb_id(device_id).value
    except InvalidGbId as exc:
        return _refusal(item, "DeviceID", str(exc))
    return _camera(item, gb_id, type_code)


def _camera(item: CatalogItem, gb_id: str, type_code: str) -> CatalogCamera | RefusedItem:
    notes: list[str] = []
    name = item.name
    if not name:
        name = gb_id
        notes.append("Name is empty: the DeviceID is used as the name")
    elif len(name) > MAX_NAME:
        name = name[:MAX_NAME]
        notes.append(f"Name is longer than {MAX_NAME} characters: cut")
    position = _position(item)
    if isinstance(position, RefusedItem):
        return position
    source_lon, source_lat, problem = position
    status_text = item.fields.get("Status", "")
    status = STATUS_WORDS.get(status_text.lower())
    if status_text and status is None:
        notes.append(f"Status {status_text[:20]!r} is neither ON nor OFF: the state is kept")
    return CatalogCamera(
        item=item, gb_id=gb_id, name=name, kind=_kind(item, type_code, notes),
        status=CatalogStatus(status) if status else None, source_lon=source_lon,
        source_lat=source_lat, position_problem=problem,
        azimuth_deg=_azimuth(item, notes),
        fov_deg=_number(item, "HorizontalFieldAngle", 0.0, 360.0, "degrees", notes),
        range_m=_number(item, "MaxViewDistance", 0.0, MAX_RANGE_M, "m", notes),
        notes=tuple(notes))


def _position(item: CatalogItem) -> tuple[float | None, float | None, str | None] | RefusedItem:
    texts = {name: item.fields.get(name, "") for name in ("Longitude", "Latitude")}
    if not texts["Longitude"] and not texts["Latitude"]:
        return None, None, "no coordinates: Longitude and Latitude are missing or empty"
    values: dict[str, float] = {}
    for name, text in texts.items():
        if not text:
            return None, None, f"no coordinates: {name} is missing or empty"
        try:
            values[name] = float(text)
        except ValueError:
            return _refusal(item, name, f"{name} {text[:40]!r} is not a number")
        if not math.isfinite(values[name]):
            return _refusal(item, name, f"{name} {text[:40]!r} is not a finite number")
    if values["Longitude"] == 0 and values["Latitude"] == 0:
        return None, None, "no coordinates: Longitude and Latitude are 0"
    for name, value in values.items():
        if value == 0:
            return None, None, f"no coordinates: {name} is 0"
    return values["Longitude"], values["Latitude"], None


def _kind(item: CatalogItem, type_code: str, notes: list[str]) -> CameraKind | None:
    functions = item.info.get("FunctionType", "").replace(" ", "").split("/")
    if type_code == "121" or "03" in functions:
        return CameraKind.CHECKPOINT
    ptz = item.info.get("PTZType", "")
    if ptz and ptz not in PTZ_KINDS:
        notes.append(f"PTZType {ptz[:20]!r} is not 1-7: the kind is not set from it")
    return PTZ_KINDS.get(ptz)


def _azimuth(item: CatalogItem, notes: list[str]) -> float | None:
    direction = item.info.get("DirectionType", "")
    if direction and direction not in DIRECTION_AZIMUTH_DEG:
        notes.append(f"DirectionType {direction[:20]!r} is not 1-8: no direction from it")
    return DIRECTION_AZIMUTH_DEG.get(direction)


def _number(item: CatalogItem, name: str, above: float, up_to: float, unit: str,
            notes: list[str]) -> float | None:
    text = item.info.get(name, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and above < value <= up_to):
        notes.append(f"{name} {text[:20]!r} is not in ({above:g}, {up_to:g}] {unit}: not used")
        return None
    return value
