"""Camera kinds and statuses: their codes, console labels, aliases and each kind's default range.

The values are the stable codes stored in ``cameras.kind`` and ``cameras.status``; the
aliases are the names accepted on entry and import (English, Chinese and GB/T 28181's
catalogue status).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from dispatch.labels import LabelledEnum, parse_alias


class CameraKind(LabelledEnum):
    """How a camera is built; the value is the stable code stored in ``cameras.kind``."""

    FIXED = "fixed", "Fixed", "固定枪机"
    DOME = "dome", "Dome", "半球"
    PTZ = "ptz", "PTZ", "云台球机"
    CHECKPOINT = "checkpoint", "Checkpoint", "卡口"

    @property
    def default_range_m(self) -> float:
        """The range used when a camera of this kind has none, in metres."""
        return DEFAULT_RANGE_M[self]


DEFAULT_RANGE_M: Mapping[CameraKind, float] = MappingProxyType({
    CameraKind.FIXED: 60.0,
    CameraKind.DOME: 40.0,
    CameraKind.PTZ: 120.0,
    CameraKind.CHECKPOINT: 30.0,
})
"""Useful viewing range per kind, in metres, for cameras imported without one."""

KIND_ALIASES: Mapping[str, CameraKind] = CameraKind.alias_map({
    "bullet": CameraKind.FIXED, "固定": CameraKind.FIXED, "枪机": CameraKind.FIXED,
    "半球机": CameraKind.DOME,
    "panning": CameraKind.PTZ, "云台": CameraKind.PTZ, "球机": CameraKind.PTZ,
    "高速球": CameraKind.PTZ,
    "anpr": CameraKind.CHECKPOINT, "alpr": CameraKind.CHECKPOINT,
})
"""Names accepted for a kind (compared case-insensitively): codes, English and Chinese.

Each kind's code and both labels, plus the synonyms listed here.
"""


class CameraStatus(LabelledEnum):
    """Whether a camera's video can be called up; stored in ``cameras.status``.

    ``degraded``: the health check finds a picture with faults (frozen, blurred,
    covered ...); ``maintenance`` is set and ended by hand.
    """

    ONLINE = "online", "Online", "在线"
    DEGRADED = "degraded", "Degraded (picture faults)", "画面异常"
    OFFLINE = "offline", "Offline", "离线"
    UNKNOWN = "unknown", "Unknown", "未知"
    MAINTENANCE = "maintenance", "Maintenance", "维护中"


STATUS_ALIASES: Mapping[str, CameraStatus] = CameraStatus.alias_map({
    "on": CameraStatus.ONLINE, "off": CameraStatus.OFFLINE, "维护": CameraStatus.MAINTENANCE,
})
"""Names accepted for a status (case-insensitive); ``ON``/``OFF`` as GB/T 28181 sends them.

Each status's code and both labels, plus the synonyms listed here.
"""


def parse_camera_kind(value: object) -> object:
    """Return the :class:`CameraKind` an alias names (``"球机"`` -> PTZ), else ``value``."""
    return parse_alias(value, KIND_ALIASES)


def parse_camera_status(value: object) -> object:
    """Return the :class:`CameraStatus` an alias names (``"OFF"`` -> offline), else ``value``."""
    return parse_alias(value, STATUS_ALIASES)
