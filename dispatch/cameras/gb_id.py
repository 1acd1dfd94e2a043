"""GB/T 28181 device IDs: validating a camera's ID and splitting it into its parts.

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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dispatch.errors import InvalidGbId as InvalidGbId  # re-exported

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
