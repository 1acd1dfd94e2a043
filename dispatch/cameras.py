"""Camera registry rules: camera kinds, GB/T 28181 device IDs, camera records and CSV import.

Pure decisions only: no database, no network. The service layer validates here, then writes.

Decisions
---------
GB/T 28181 device IDs (编码规则 A, GB/T 28181-2016 Appendix D), checked by
:func:`validate_gb_id`; the ID is 20 decimal digits in five parts::

    34 02 00 00 | 00 | 132 | 0 | 000001
    region (1-8) industry (9-10) type (11-13) network (14) serial (15-20)

Enforced, in this order, each with its own message:

1. Surrounding whitespace is stripped; that is the only normalisation (the stored value
   is the stripped string). Anything else, including full-width digits and a spreadsheet's
   scientific notation (``3.402E+19``), is refused with the position of the first bad
   character.
2. Exactly 20 ASCII digits.
3. Digits 1-2 are a province-level code of GB/T 2260 for the mainland (11-15, 21-23,
   31-37, 41-46, 50-54, 61-65). 71 (Taiwan), 81 (Hong Kong) and 82 (Macao) are in GB/T
   2260 but refused: no public-security video network that gridpatrol joins is run there,
   so such an ID in an import is a typing error.
4. Digits 11-13 are a type code a *camera* registry accepts (:data:`CAMERA_TYPE_CODES`):
   131 camera and 132 IP camera (a camera itself, or a recorder's camera channel);
   111 DVR, 112 video server, 113 encoder and 118 NVR (many platforms catalogue a
   single-channel recorder or encoder under its own ID); and three codes GB/T 28181-2022
   assigns inside 2016's "extended front-end main device" range 119-130: 121 video
   checkpoint (视频卡口), 122 multi-lens device (多目设备) and 130 HVR. Other defined
   types (decoders, matrices, alarm devices, platforms, users) are refused as "not a camera
   or video device"; 000-110 are refused as unknown.

Not checked, because the standard leaves them open or no code list is bundled: the city,
county and grassroots-unit digits (3-8; ``00`` means the level above), the industry code
(9-10: every value 00-99 is assigned or reserved), the network flag (14: 0-4 monitoring and
alarm private network, 5 public-security information network, 6 government network,
7 Internet, 8 social resources network, 9 reserved) and the serial (15-20).

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
- ``gb_id``: validated as above and stored stripped; ``area`` at most 200 characters.
- Empty strings in optional fields mean "not given".

CSV import (:func:`parse_camera_csv`): see its docstring.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dispatch.tabular import RowError, heading_key, read_heading

# --- camera kinds and statuses ------------------------------------------------------------


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


# --- GB/T 28181 device IDs ----------------------------------------------------------------


class InvalidGbId(ValueError):
    """A GB/T 28181 device ID is malformed or not a camera or video device's ID."""


PROVINCES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "11": ("Beijing", "北京市"), "12": ("Tianjin", "天津市"), "13": ("Hebei", "河北省"),
    "14": ("Shanxi", "山西省"), "15": ("Inner Mongolia", "内蒙古自治区"),
    "21": ("Liaoning", "辽宁省"), "22": ("Jilin", "吉林省"),
    "23": ("Heilongjiang", "黑龙江省"), "31": ("Shanghai", "上海市"),
    "32": ("Jiangsu", "江苏省"), "33": ("Zhejiang", "浙江省"), "34": ("Anhui", "安徽省"),
    "35": ("Fujian", "福建省"), "36": ("Jiangxi", "江西省"), "37": ("Shandong", "山东省"),
    "41": ("Henan", "河南省"), "42": ("Hubei", "湖北省"), "43": ("Hunan", "湖南省"),
    "44": ("Guangdong", "广东省"), "45": ("Guangxi", "广西壮族自治区"),
    "46": ("Hainan", "海南省"), "50": ("Chongqing", "重庆市"), "51": ("Sichuan", "四川省"),
    "52": ("Guizhou", "贵州省"), "53": ("Yunnan", "云南省"), "54": ("Tibet", "西藏自治区"),
    "61": ("Shaanxi", "陕西省"), "62": ("Gansu", "甘肃省"), "63": ("Qinghai", "青海省"),
    "64": ("Ningxia", "宁夏回族自治区"), "65": ("Xinjiang", "新疆维吾尔自治区"),
})
"""Province-level codes of GB/T 2260 accepted in digits 1-2, with English and Chinese names."""

_REFUSED_PROVINCES = MappingProxyType({"71": "Taiwan", "81": "Hong Kong", "82": "Macao"})

_TYPES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "111": ("DVR", "DVR"), "112": ("video server", "视频服务器"), "113": ("encoder", "编码器"),
    "114": ("decoder", "解码器"), "115": ("video switching matrix", "视频切换矩阵"),
    "116": ("audio switching matrix", "音频切换矩阵"), "117": ("alarm controller", "报警控制器"),
    "118": ("NVR", "网络视频录像机（NVR）"), "121": ("video checkpoint", "视频卡口"),
    "122": ("multi-lens device", "多目设备"), "130": ("HVR", "混合硬盘录像机（HVR）"),
    "131": ("camera", "摄像机"), "132": ("IP camera (IPC)", "网络摄像机（IPC）"),
    "133": ("display", "显示器"), "134": ("alarm input device", "报警输入设备"),
    "135": ("alarm output device", "报警输出设备"), "136": ("voice input device", "语音输入设备"),
    "137": ("voice output device", "语音输出设备"),
    "138": ("mobile transmission device", "移动传输设备"),
    "139": ("other peripheral device", "其他外围设备"),
    "200": ("central signalling control server", "中心信令控制服务器"),
    "201": ("web application server", "Web应用服务器"),
    "202": ("media distribution server", "媒体分发服务器"), "203": ("proxy server", "代理服务器"),
    "204": ("security server", "安全服务器"), "205": ("alarm server", "报警服务器"),
    "206": ("database server", "数据库服务器"), "207": ("GIS server", "GIS服务器"),
    "208": ("management server", "管理服务器"), "209": ("access gateway", "接入网关"),
    "210": ("media storage server", "媒体存储服务器"),
    "211": ("signalling security routing gateway", "信令安全路由网关"),
    "215": ("business group", "业务分组"), "216": ("virtual organisation", "虚拟组织"),
    "300": ("central user", "中心用户"), "400": ("terminal user", "终端用户"),
})

_TYPE_RANGES: tuple[tuple[int, int, str, str], ...] = (
    (111, 130, "extended front-end main device", "扩展的前端主设备"),
    (131, 199, "extended front-end peripheral device", "扩展的前端外围设备"),
    (200, 299, "extended platform device", "扩展的平台设备"),
    (300, 399, "central user", "中心用户"),
    (400, 499, "terminal user", "终端用户"),
    (500, 599, "platform external server", "平台外接服务器"),
    (600, 999, "extended type", "扩展类型"),
)

CAMERA_TYPE_CODES = frozenset({"111", "112", "113", "118", "121", "122", "130", "131", "132"})
"""Type codes (digits 11-13) a camera registry accepts; see the module docstring."""

_NETWORKS = ("monitoring and alarm private network", "监控报警专网")
_NETWORK_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType({
    **{d: _NETWORKS for d in "01234"},
    "5": ("public-security information network", "公安信息网"),
    "6": ("government network", "政务网"), "7": ("Internet", "互联网"),
    "8": ("social resources network", "社会资源接入网"), "9": ("reserved", "预留"),
})


def describe_gb_type(type_code: str) -> tuple[str, str] | None:
    """Return the English and Chinese description of a GB/T 28181 type code, or None.

    Parameters
    ----------
    type_code : str
        Three digits (digits 11-13 of an ID).

    Returns
    -------
    tuple of (str, str) or None
        The named type (``("IP camera (IPC)", "网络摄像机（IPC）")``), else the reserved range
        it falls in, else None for codes the standard does not define (000-110).
    """
    if type_code in _TYPES:
        return _TYPES[type_code]
    if len(type_code) == 3 and type_code.isascii() and type_code.isdigit():
        number = int(type_code)
        for low, high, en, zh in _TYPE_RANGES:
            if low <= number <= high:
                return en, zh
    return None


@dataclass(frozen=True)
class GbId:
    """A validated GB/T 28181 device ID and its parts; build it with :func:`validate_gb_id`.

    Attributes
    ----------
    value : str
        The 20 digits.
    region_code : str
        Digits 1-8: province, city, county (GB/T 2260) and grassroots unit, two digits each.
    industry_code : str
        Digits 9-10.
    type_code : str
        Digits 11-13.
    network_flag : str
        Digit 14.
    serial : str
        Digits 15-20.
    """

    value: str
    region_code: str
    industry_code: str
    type_code: str
    network_flag: str
    serial: str

    def __str__(self) -> str:
        return self.value

    @property
    def province_code(self) -> str:
        """Digits 1-2."""
        return self.region_code[0:2]

    @property
    def city_code(self) -> str:
        """Digits 3-4; ``00`` for a centre at province level."""
        return self.region_code[2:4]

    @property
    def county_code(self) -> str:
        """Digits 5-6; ``00`` for a centre at city level or above."""
        return self.region_code[4:6]

    @property
    def unit_code(self) -> str:
        """Digits 7-8, the grassroots unit; ``00`` when the centre is not one."""
        return self.region_code[6:8]

    @property
    def province_en(self) -> str:
        """English name of the province, e.g. ``Anhui``."""
        return PROVINCES[self.province_code][0]

    @property
    def province_zh(self) -> str:
        """Chinese name of the province, e.g. ``安徽省``."""
        return PROVINCES[self.province_code][1]

    @property
    def type_en(self) -> str:
        """English description of the device type, e.g. ``IP camera (IPC)``."""
        return _TYPES[self.type_code][0]

    @property
    def type_zh(self) -> str:
        """Chinese description of the device type, e.g. ``网络摄像机（IPC）``."""
        return _TYPES[self.type_code][1]

    @property
    def is_camera(self) -> bool:
        """True for type 131 (camera) and 132 (IP camera); False for recorders and the like."""
        return self.type_code in ("131", "132")

    @property
    def network_en(self) -> str:
        """English name of the network the device is on (digit 14)."""
        return _NETWORK_NAMES[self.network_flag][0]

    @property
    def network_zh(self) -> str:
        """Chinese name of the network the device is on (digit 14)."""
        return _NETWORK_NAMES[self.network_flag][1]


_DIGITS = frozenset("0123456789")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")


def validate_gb_id(value: str) -> GbId:
    """Check a camera's GB/T 28181 device ID and split it into its parts.

    Parameters
    ----------
    value : str
        The ID as entered; surrounding whitespace is ignored.

    Returns
    -------
    GbId
        The stripped ID and its parts.

    Raises
    ------
    InvalidGbId
        Naming the first rule broken (see the module docstring): a non-digit and its
        1-based position, the length, an unknown or refused province code, or a type code
        that is unknown or not a camera or video device type.
    """
    text = value.strip()
    if not text:
        raise InvalidGbId("GB/T 28181 ID is empty")
    if _SCIENTIFIC.fullmatch(text):
        raise InvalidGbId(
            f"GB/T 28181 ID {text!r} is a number a spreadsheet rounded; "
            "store the column as text")
    for position, char in enumerate(text, start=1):
        if char not in _DIGITS:
            hint = " (a full-width digit; use 0-9)" if "０" <= char <= "９" else ""
            raise InvalidGbId(
                f"GB/T 28181 ID has a non-digit {char!r} at position {position}{hint}")
    if len(text) != 20:
        raise InvalidGbId(f"GB/T 28181 ID must be 20 digits, got {len(text)}")
    province = text[0:2]
    if province in _REFUSED_PROVINCES:
        raise InvalidGbId(
            f"GB/T 28181 ID has province code {province!r} ({_REFUSED_PROVINCES[province]}, "
            "digits 1-2), which is not accepted: no mainland public-security video network "
            "uses it")
    if province not in PROVINCES:
        raise InvalidGbId(f"GB/T 28181 ID has an unknown province code {province!r} (digits 1-2)")
    type_code = text[10:13]
    if type_code not in CAMERA_TYPE_CODES:
        description = describe_gb_type(type_code)
        if description is None:
            raise InvalidGbId(
                f"GB/T 28181 ID has an unknown type code {type_code!r} (digits 11-13)")
        accepted = ", ".join(f"{c} {_TYPES[c][0]}" for c in sorted(CAMERA_TYPE_CODES))
        raise InvalidGbId(
            f"GB/T 28181 ID has type code {type_code!r} ({description[0]}, digits 11-13), "
            f"which is not a camera or video device type; accepted: {accepted}")
    return GbId(value=text, region_code=text[0:8], industry_code=text[8:10],
                type_code=type_code, network_flag=text[13], serial=text[14:20])


# --- camera records -----------------------------------------------------------------------

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

    @field_validator("azimuth_deg", "fov_deg", "height_m", "stream_url", "gb_id", "area",
                     mode="before")
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
                "camera_status", "unknown camera status '{status}'; use online, offline, "
                "unknown or maintenance", {"status": status})
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


# --- CSV import ---------------------------------------------------------------------------

COLUMN_ALIASES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(("name", "名称", "设备名称", "点位名称"), "name"),
    **dict.fromkeys(("lon", "lng", "long", "longitude", "x", "经度"), "lon"),
    **dict.fromkeys(("lat", "latitude", "y", "纬度"), "lat"),
    **dict.fromkeys(("azimuth", "azimuth_deg", "direction", "方向", "方位角"), "azimuth_deg"),
    **dict.fromkeys(("fov", "fov_deg", "angle", "视角", "视场角"), "fov_deg"),
    **dict.fromkeys(("range", "range_m", "distance", "距离", "可视距离"), "range_m"),
    **dict.fromkeys(("kind", "type", "类型", "摄像机类型"), "kind"),
    **dict.fromkeys(("stream", "stream_url", "url", "视频流地址"), "stream_url"),
    **dict.fromkeys(("gb_id", "gbid", "gb28181", "国标编码", "国标id"), "gb_id"),
    **dict.fromkeys(("height", "height_m", "高度", "安装高度"), "height_m"),
    **dict.fromkeys(("status", "状态"), "status"),
    **dict.fromkeys(("area", "区域", "所属区域"), "area"),
})
"""Column headings accepted (after trimming, lower-casing, spaces and hyphens to ``_``)."""

REQUIRED_COLUMNS = ("name", "lon", "lat")
_NUMERIC = frozenset({"lon", "lat", "azimuth_deg", "fov_deg", "range_m", "height_m"})
_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]+")


@dataclass(frozen=True)
class CsvResult:
    """What :func:`parse_camera_csv` read.

    Attributes
    ----------
    rows : list of CameraInput
        The good rows, in file order.
    lines : list of int
        The line each good row came from, in the same order.
    errors : list of RowError
        Rows (or a heading) that could not be used; nothing from an erroneous row is kept.
    warnings : list of RowError
        Columns ignored.
    delimiter : str
        The delimiter used: ``","``, ``";"`` or a tab.
    """

    rows: list[CameraInput] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    delimiter: str = ","


def parse_camera_csv(text: str) -> CsvResult:
    """Read cameras from CSV text, keeping every good row and reporting every bad one.

    Parameters
    ----------
    text : str
        The file's content, decoded as UTF-8 (a leading BOM is ignored). Coordinates are
        WGS-84 degrees; convert GCJ-02 or BD-09 exports before calling.

    Returns
    -------
    CsvResult
        Good rows, their lines, errors and warnings.

    Notes
    -----
    - The delimiter is the most frequent of ``;``, tab and ``,`` in the heading line
      (comma on a tie). In a ``;`` or tab file a number written with a decimal comma
      (``116,39``) is read as ``116.39``.
    - Headings are matched case-insensitively against :data:`COLUMN_ALIASES` (English and
      Chinese). An unknown heading is one warning on line 1 and its cells are ignored.
      A missing ``name``, ``lon`` or ``lat`` column, or two columns meaning the same field,
      is one error and no rows are read.
    - Blank lines are skipped. Empty cells mean "not given". A row with more non-empty
      cells than headings is an error (usually an unquoted delimiter in a name).
    - Each row is validated as a :class:`CameraInput`; every problem is a
      :class:`RowError` on the row's line naming the field. A ``gb_id`` already seen on an
      earlier row (valid there, whatever else was wrong with that row) is an error on the
      later row.
    """
    heading = read_heading(text)
    if isinstance(heading, RowError):
        return CsvResult(errors=[heading])
    reader, header, line = heading.reader, heading.cells, heading.line
    result = CsvResult(delimiter=heading.delimiter)
    columns = _map_columns(header, line, result)
    if columns is None:
        return result

    first_line_of: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.errors.append(RowError(start, None, f"unreadable CSV: {exc}"))
            break
        if not any(cell.strip() for cell in record):
            continue
        _read_row(record, start, columns, len(header), heading.delimiter, first_line_of,
                  result)
    return result


def _map_columns(header: list[str], line: int, result: CsvResult) -> dict[int, str] | None:
    columns: dict[int, str] = {}
    headings_of: dict[str, list[str]] = {}
    for index, heading in enumerate(header):
        name = COLUMN_ALIASES.get(heading_key(heading))
        if name is None:
            if heading.strip():
                result.warnings.append(RowError(
                    line, heading.strip(), f"unknown column {heading.strip()!r} ignored"))
            else:
                result.warnings.append(RowError(
                    line, None, f"column {index + 1} has no heading; ignored"))
            continue
        columns[index] = name
        headings_of.setdefault(name, []).append(heading.strip())
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in headings_of]
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        problems.append(f"missing required columns: {', '.join(missing)} (found: {found})")
    for name, headings in headings_of.items():
        if len(headings) > 1:
            problems.append(f"columns {', '.join(map(repr, headings))} all give {name}")
    if problems:
        result.errors.append(RowError(line, None, "; ".join(problems)))
        return None
    return columns


def _read_row(record: list[str], line: int, columns: dict[int, str], width: int,
              delimiter: str, first_line_of: dict[str, int], result: CsvResult) -> None:
    if any(cell.strip() for cell in record[width:]):
        result.errors.append(RowError(
            line, None, f"row has {len(record)} cells but the heading has {width}"))
        return
    values: dict[str, str] = {}
    for index, name in columns.items():
        cell = record[index].strip() if index < len(record) else ""
        if not cell:
            continue
        if name in _NUMERIC and delimiter != "," and _DECIMAL_COMMA.fullmatch(cell):
            cell = cell.replace(",", ".")
        values[name] = cell

    errors: list[RowError] = []
    gb_id = values.get("gb_id")
    if gb_id is not None:
        try:
            normalised = validate_gb_id(gb_id).value
        except InvalidGbId:
            pass  # reported by the model below
        else:
            if normalised in first_line_of:
                errors.append(RowError(line, "gb_id", (
                    f"duplicate gb_id {normalised}; first on line {first_line_of[normalised]}")))
            else:
                first_line_of[normalised] = line
    try:
        camera = CameraInput.model_validate(values)
    except ValidationError as exc:
        errors[:0] = [_row_error(line, error) for error in exc.errors()]
    if errors:
        result.errors.extend(errors)
        return
    result.rows.append(camera)
    result.lines.append(line)


def _row_error(line: int, error: Mapping[str, Any]) -> RowError:
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else None
    if error.get("type") == "missing":
        return RowError(line, name, "required, but the cell is empty")
    message = str(error["msg"])
    value = error.get("input")
    if name is not None and isinstance(value, str) and error.get("type") not in (
            "gb_id", "camera_kind", "camera_status"):
        shown = value if len(value) <= 40 else value[:37] + "..."
        message = f"{message} (got {shown!r})"
    return RowError(line, name, message)
