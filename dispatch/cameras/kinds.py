"""Camera kinds and statuses: their codes, console labels, aliases and each kind's default range.

The values are the stable codes stored in ``cameras.kind`` and ``cameras.status``; the
aliases are the names accepted on entry and import (English, Chinese and GB/T 28181's
catalogue status).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class CameraKind(StrEnum):
    """How a camera is built; the value is the stable code stored in ``cameras.kind``."""

    FIXED = "fixed"
    DOME = "dome"
    PTZ = "ptz"
    CHECKPOINT = "checkpoint"

    @property
    def label_en(self) -> str:
        """English label shown on the console."""
        return _KIND_LABELS[self][0]

    @property
    def label_zh(self) -> str:
        """Chinese (zh-CN) label shown on the console."""
        return _KIND_LABELS[self][1]

    @property
    def default_range_m(self) -> float:
        """The range used when a camera of this kind has none, in metres."""
        return DEFAULT_RANGE_M[self]


_KIND_LABELS: Mapping[CameraKind, tuple[str, str]] = MappingProxyType({
    CameraKind.FIXED: ("Fixed", "固定枪机"),
    CameraKind.DOME: ("Dome", "半球"),
    CameraKind.PTZ: ("PTZ", "云台球机"),
    CameraKind.CHECKPOINT: ("Checkpoint", "卡口"),
})

DEFAULT_RANGE_M: Mapping[CameraKind, float] = MappingProxyType({
    CameraKind.FIXED: 60.0,
    CameraKind.DOME: 40.0,
    CameraKind.PTZ: 120.0,
    CameraKind.CHECKPOINT: 30.0,
})
"""Useful viewing range per kind, in metres, for cameras imported without one."""

KIND_ALIASES: Mapping[str, CameraKind] = MappingProxyType({
    "fixed": CameraKind.FIXED, "bullet": CameraKind.FIXED, "固定": CameraKind.FIXED,
    "枪机": CameraKind.FIXED, "固定枪机": CameraKind.FIXED,
    "dome": CameraKind.DOME, "半球": CameraKind.DOME, "半球机": CameraKind.DOME,
    "ptz": CameraKind.PTZ, "panning": CameraKind.PTZ, "云台": CameraKind.PTZ,
    "球机": CameraKind.PTZ, "云台球机": CameraKind.PTZ, "高速球": CameraKind.PTZ,
    "checkpoint": CameraKind.CHECKPOINT, "anpr": CameraKind.CHECKPOINT,
    "alpr": CameraKind.CHECKPOINT, "卡口": CameraKind.CHECKPOINT,
})
"""Names accepted for a kind (compared case-insensitively): codes, English and Chinese."""


class CameraStatus(StrEnum):
    """Whether a camera's video can be called up; stored in ``cameras.status``."""

    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"
    MAINTENANCE = "maintenance"

    @property
    def label_en(self) -> str:
        """English label shown on the console."""
        return _STATUS_LABELS[self][0]

    @property
    def label_zh(self) -> str:
        """Chinese (zh-CN) label shown on the console."""
        return _STATUS_LABELS[self][1]


_STATUS_LABELS: Mapping[CameraStatus, tuple[str, str]] = MappingProxyType({
    CameraStatus.ONLINE: ("Online", "在线"),
    CameraStatus.OFFLINE: ("Offline", "离线"),
    CameraStatus.UNKNOWN: ("Unknown", "未知"),
    CameraStatus.MAINTENANCE: ("Maintenance", "维护中"),
})

STATUS_ALIASES: Mapping[str, CameraStatus] = MappingProxyType({
    **{s.value: s for s in CameraStatus},
    "on": CameraStatus.ONLINE, "off": CameraStatus.OFFLINE,
    "在线": CameraStatus.ONLINE, "离线": CameraStatus.OFFLINE, "未知": CameraStatus.UNKNOWN,
    "维护": CameraStatus.MAINTENANCE, "维护中": CameraStatus.MAINTENANCE,
})
"""Names accepted for a status (case-insensitive); ``ON``/``OFF`` as GB/T 28181 sends them."""


def parse_camera_kind(value: object) -> object:
    """Return the :class:`CameraKind` an alias names (``"球机"`` -> PTZ), else ``value``."""
    if isinstance(value, str):
        return KIND_ALIASES.get(value.strip().casefold(), value)
    return value


def parse_camera_status(value: object) -> object:
    """Return the :class:`CameraStatus` an alias names (``"OFF"`` -> offline), else ``value``."""
    if isinstance(value, str):
        return STATUS_ALIASES.get(value.strip().casefold(), value)
    return value
