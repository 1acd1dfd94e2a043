"""The labelled-enum base: members as codes, both labels, locale choice, aliases and parsing."""

from __future__ import annotations

import copy
import json
import pickle
from enum import StrEnum

import pytest

from dispatch.cameras import KIND_ALIASES, STATUS_ALIASES, CameraKind, CameraStatus
from dispatch.labels import LabelledEnum, parse_alias
from dispatch.recommend import UnitKind
from dispatch.status import UnitStatus


class Light(LabelledEnum):
    """A small enum for the tests (module level, so that pickle can find it)."""

    RED = "red", "Red light", "红灯"
    AMBER = "amber", "Amber", "黄灯"
    GREEN = "green", "Green", "绿灯"


def test_a_member_is_its_code_and_carries_both_labels() -> None:
    assert [m.value for m in Light] == ["red", "amber", "green"]
    assert [(m.label_en, m.label_zh) for m in Light] == [
        ("Red light", "红灯"), ("Amber", "黄灯"), ("Green", "绿灯")]
    assert Light.RED == "red"
    assert Light.RED != "Red light"
    assert hash(Light.RED) == hash("red")
    assert {"red": 1}[Light.RED] == 1
    assert isinstance(Light.RED, str) and isinstance(Light.RED, StrEnum)
    assert type(Light.RED.value) is str


def test_a_member_prints_and_serialises_as_its_code() -> None:
    assert str(Light.AMBER) == "amber"
    assert f"{Light.AMBER}" == "amber"
    assert "%s" % Light.AMBER == "amber"  # noqa: UP031 - as logging formats it
    assert repr(Light.AMBER) == "<Light.AMBER: 'amber'>"
    assert json.dumps({Light.AMBER: [Light.GREEN]}) == '{"amber": ["green"]}'


def test_lookup_by_code_and_name_and_copies_give_the_same_member() -> None:
    assert Light("green") is Light.GREEN
    assert Light["GREEN"] is Light.GREEN
    assert pickle.loads(pickle.dumps(Light.GREEN)) is Light.GREEN  # noqa: S301 - our bytes
    assert copy.deepcopy(Light.GREEN) is Light.GREEN
    with pytest.raises(ValueError, match="'Green' is not a valid Light"):
        Light("Green")  # a label is not a code: aliases are looked up with parse_alias


def test_labels_are_read_only() -> None:
    with pytest.raises(AttributeError):
        Light.RED.label_en = "Stop"  # type: ignore[misc]
    assert Light.RED.label_en == "Red light"


@pytest.mark.parametrize(("locale", "expected"), [
    ("zh", "红灯"), ("zh_CN", "红灯"), ("zh_Hans_CN", "红灯"), ("zh-Hans-CN", "红灯"),
    ("ZH-cn", "红灯"), ("en", "Red light"), ("en_GB", "Red light"), ("", "Red light"),
    (None, "Red light"), ("zhx", "Red light"), ("de_CH", "Red light"),
])
def test_label_picks_the_language_of_the_locale(locale: str | None, expected: str) -> None:
    assert Light.RED.label(locale) == expected


@pytest.mark.parametrize(("declaration", "error", "message"), [
    (("go", "Go", ""), ValueError, "label_zh is blank for value 'go'"),
    (("go", "  ", "走"), ValueError, "label_en is blank"),
    (("", "Go", "走"), ValueError, "value is blank"),
    (("go", "Go", 3), TypeError, "label_zh must be a str"),
    (("go", "Go"), TypeError, "missing 1 required positional argument: 'label_zh'"),
    ("go", TypeError, "missing 2 required positional arguments"),
])
def test_a_member_without_a_code_and_two_labels_is_refused(
    declaration: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        LabelledEnum("Broken", {"GO": declaration})


def test_the_alias_map_holds_codes_labels_and_extras_case_folded() -> None:
    aliases = Light.alias_map({" Stop ": Light.RED, "琥珀": Light.AMBER})
    assert dict(aliases) == {
        "red": Light.RED, "red light": Light.RED, "红灯": Light.RED, "stop": Light.RED,
        "amber": Light.AMBER, "黄灯": Light.AMBER, "琥珀": Light.AMBER,
        "green": Light.GREEN, "绿灯": Light.GREEN,
    }
    with pytest.raises(TypeError):
        aliases["go"] = Light.GREEN  # type: ignore[index]
    assert dict(Light.alias_map()) == {
        k: v for k, v in aliases.items() if k not in ("stop", "琥珀")}


def test_an_alias_naming_two_members_is_refused() -> None:
    with pytest.raises(ValueError, match="'AMBER' names both AMBER and RED"):
        Light.alias_map({"AMBER": Light.RED})
    assert Light.alias_map({"AMBER": Light.AMBER})["amber"] is Light.AMBER

    class Clash(LabelledEnum):
        ONE = "one", "Same", "一"
        TWO = "two", "same", "二"

    with pytest.raises(ValueError, match="'same' names both ONE and TWO"):
        Clash.alias_map()


@pytest.mark.parametrize(("value", "expected"), [
    (" RED light ", Light.RED), ("绿灯", Light.GREEN), ("stop", Light.RED),
    (Light.AMBER, Light.AMBER), ("blue", "blue"), ("", ""), (3, 3), (None, None),
])
def test_parse_alias_returns_the_member_or_the_value_unchanged(
    value: object, expected: object
) -> None:
    parsed = parse_alias(value, Light.alias_map({"Stop": Light.RED}))
    assert parsed == expected
    assert type(parsed) is type(expected)


# The four enums built on the base keep their codes and labels exactly.
LABELS = {
    UnitStatus: [
        ("available", "Available", "空闲"), ("dispatched", "Dispatched", "已派遣"),
        ("en_route", "En route", "途中"), ("on_scene", "On scene", "到场"),
        ("committed_available", "Committed, available", "任务中可调派"),
        ("out_of_service", "Out of service", "不在岗")],
    UnitKind: [
        ("patrol_car", "Patrol car", "巡逻车"), ("motorcycle", "Motorcycle", "摩托车"),
        ("foot", "Foot patrol", "步巡"), ("plainclothes", "Plainclothes", "便衣"),
        ("traffic", "Traffic police", "交警"), ("special", "Special police", "特警")],
    CameraKind: [
        ("fixed", "Fixed", "固定枪机"), ("dome", "Dome", "半球"), ("ptz", "PTZ", "云台球机"),
        ("checkpoint", "Checkpoint", "卡口")],
    CameraStatus: [
        ("online", "Online", "在线"), ("degraded", "Degraded (picture faults)", "画面异常"),
        ("offline", "Offline", "离线"), ("unknown", "Unknown", "未知"),
        ("maintenance", "Maintenance", "维护中")],
}


@pytest.mark.parametrize("enum", list(LABELS), ids=lambda e: e.__name__)
def test_the_domain_enums_keep_their_codes_and_labels(enum: type[LabelledEnum]) -> None:
    assert issubclass(enum, LabelledEnum)
    assert [(m.value, m.label_en, m.label_zh) for m in enum] == LABELS[enum]
    assert all(str(m) == m.value and enum(m.value) is m for m in enum)


def test_the_camera_aliases_are_the_codes_labels_and_listed_synonyms() -> None:
    assert dict(KIND_ALIASES) == {
        "fixed": CameraKind.FIXED, "bullet": CameraKind.FIXED, "固定": CameraKind.FIXED,
        "枪机": CameraKind.FIXED, "固定枪机": CameraKind.FIXED,
        "dome": CameraKind.DOME, "半球": CameraKind.DOME, "半球机": CameraKind.DOME,
        "ptz": CameraKind.PTZ, "panning": CameraKind.PTZ, "云台": CameraKind.PTZ,
        "球机": CameraKind.PTZ, "云台球机": CameraKind.PTZ, "高速球": CameraKind.PTZ,
        "checkpoint": CameraKind.CHECKPOINT, "anpr": CameraKind.CHECKPOINT,
        "alpr": CameraKind.CHECKPOINT, "卡口": CameraKind.CHECKPOINT,
    }
    assert dict(STATUS_ALIASES) == {
        "online": CameraStatus.ONLINE, "offline": CameraStatus.OFFLINE,
        "degraded": CameraStatus.DEGRADED, "degraded (picture faults)": CameraStatus.DEGRADED,
        "画面异常": CameraStatus.DEGRADED, "unknown": CameraStatus.UNKNOWN,
        "maintenance": CameraStatus.MAINTENANCE,
        "on": CameraStatus.ONLINE, "off": CameraStatus.OFFLINE,
        "在线": CameraStatus.ONLINE, "离线": CameraStatus.OFFLINE, "未知": CameraStatus.UNKNOWN,
        "维护": CameraStatus.MAINTENANCE, "维护中": CameraStatus.MAINTENANCE,
    }
