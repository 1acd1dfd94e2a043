"""Camera records: :class:`CameraInput`, one camera as entered or imported, and its rules.

Decisions
---------
Camera records (:class:`CameraInput`, pydantic, unknown fields refused):

- ``name`` 1-200 characters; ``lon``/``lat`` finite WGS-84 degrees; booleans are not numbers.
- ``azimuth_deg``: any finite number, stored modulo 360 (compass degrees clockwise from
  north, so -90 becomes 270 and 360 becomes 0).
- ``fov_deg`` in (0, 360]; ``height_m`` in [0, 200] metres above ground.
- ``range_m`` in (0, 5000] metres; when missing, the kind's typical useful range
  (:data:`DEFAULT_RANGE_M`): fixed 60 m (a bullet camera's detection range), dome 40 m
  (short-lens mini-dome), PTZ 120 m (zoomed), checkpoint 30 m (the capture zone of a
  number-plate camera).
- ``kind`` defaults to fixed; ``status`` to unknown (as the database does). Both accept
  their codes or the aliases in :data:`KIND_ALIASES` / :data:`STATUS_ALIASES`, e.g. 球机
  (a speed dome, which pans and tilts: PTZ, as GB/T 28181's catalogue ``PTZType`` 1 says),
  半球 (dome), 卡口 (checkpoint), and GB/T 28181's catalogue status ``ON``/``OFF``.
- ``stream_url``: ``rtsp``, ``rtsps``, ``http`` or ``https`` with a host; ``file:///``
  with a local absolute path; or a POSIX absolute path. No spaces or control characters.
  Credentials in the URL are kept as given (see the API for redaction).
- ``recording_url``: a playback URL template with ``{start}`` and ``{end}``
  (:mod:`dispatch.cameras.recording`: the placeholders and the common NVR forms).
- ``gb_id``: validated by :func:`~dispatch.cameras.gb_id.validate_gb_id` and stored
  stripped; ``area`` at most 200 characters.
- Empty strings in optional fields mean "not given".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dispatch.cameras.gb_id import InvalidGbId, validate_gb_id
from dispatch.cameras.kinds import CameraKind, CameraStatus, parse_camera_kind, parse_camera_status
from dispatch.cameras.recording import InvalidRecordingTemplate, check_recording_template

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)")
_NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


def _check_stream_url(url: str) -> str:
    if _BAD_URL_CHARS.search(url):
        raise ValueError("contains a space or control character")
    if url.startswith("/"):
        return url
    match = _URL.fullmatch(url)
    if match is None:
        raise ValueError("is neither a URL (rtsp, rtsps, http, https, file) nor an absolute path")
    scheme = match["scheme"].lower()
    if scheme == "file":
        if match["authority"] or not match["rest"].startswith("/"):
            raise ValueError("must be a local file URL: file:///absolute/path")
        return url
    if scheme not in _NETWORK_SCHEMES:
        raise ValueError(
            f"scheme {scheme!r} is not allowed; use rtsp, rtsps, http, https, file "
            "or an absolute path")
    host = match["authority"].rpartition("@")[2]
    host = host[: host.index("]") + 1] if host.startswith("[") and "]" in host else (
        host.partition(":")[0])
    if not host:
        raise ValueError("has no host")
    return url


class CameraInput(BaseModel):
    """One camera as entered or imported, validated by the rules in the module docstring.

    Coordinates are WGS-84 degrees (EPSG:4326); angles are compass degrees clockwise from
    north; lengths are metres. ``range_m`` is never missing after validation.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    kind: CameraKind = CameraKind.FIXED
    azimuth_deg: float | None = Field(default=None, allow_inf_nan=False)
    fov_deg: float | None = Field(default=None, gt=0, le=360, allow_inf_nan=False)
    range_m: float = Field(gt=0, le=5000, allow_inf_nan=False,
                           description="metres; the kind's default when not given")
    height_m: float | None = Field(default=None, ge=0, le=200, allow_inf_nan=False)
    stream_url: str | None = Field(default=None, max_length=2000)
    recording_url: str | None = Field(
        default=None, max_length=2000,
        description="playback URL template with {start} and {end} (see the README)")
    gb_id: str | None = None
    status: CameraStatus = CameraStatus.UNKNOWN
    area: str | None = Field(default=None, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _fill_range_from_kind(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and _blank(data.get("range_m")):
            kind = parse_camera_kind(data.get("kind", CameraKind.FIXED))
            # an unknown kind is reported by its own validator; any range fills the gap
            known = kind if isinstance(kind, CameraKind) else CameraKind.FIXED
            return {**data, "range_m": known.default_range_m}
        return data

    @field_validator("azimuth_deg", "fov_deg", "height_m", "stream_url", "recording_url",
                     "gb_id", "area", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if _blank(value) else value

    @field_validator("lon", "lat", "azimuth_deg", "fov_deg", "range_m", "height_m",
                     mode="before")
    @classmethod
    def _refuse_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError("number_type", "must be a number, not true or false")
        return value

    @field_validator("azimuth_deg")
    @classmethod
    def _normalise_azimuth(cls, value: float | None) -> float | None:
        if value is None:
            return None
        turned = value % 360.0
        return 0.0 if turned >= 360.0 else turned  # -1e-20 % 360 rounds to 360.0

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_alias(cls, value: Any) -> Any:
        kind = parse_camera_kind(value)
        if isinstance(kind, str) and not isinstance(kind, CameraKind):
            raise PydanticCustomError(
                "camera_kind", "unknown camera kind '{kind}'; use fixed, dome, ptz or "
                "checkpoint (固定枪机, 半球, 云台/球机, 卡口)", {"kind": kind})
        return kind

    @field_validator("status", mode="before")
    @classmethod
    def _status_alias(cls, value: Any) -> Any:
        status = parse_camera_status(value)
        if isinstance(status, str) and not isinstance(status, CameraStatus):
            raise PydanticCustomError(
                "camera_status", "unknown camera status '{status}'; use online, degraded, "
                "offline, unknown or maintenance", {"status": status})
        return status

    @field_validator("stream_url")
    @classmethod
    def _stream_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return _check_stream_url(value)
        except ValueError as exc:
            raise PydanticCustomError("stream_url", "stream URL {reason}",
                                      {"reason": str(exc)}) from None

    @field_validator("recording_url")
    @classmethod
    def _recording_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_recording_template(value)
        except InvalidRecordingTemplate as exc:
            raise PydanticCustomError("recording_url", "recording URL template {reason}",
                                      {"reason": str(exc)}) from None

    @field_validator("gb_id")
    @classmethod
    def _gb_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_gb_id(value).value
        except InvalidGbId as exc:
            raise PydanticCustomError("gb_id", "{reason}", {"reason": str(exc)}) from None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
