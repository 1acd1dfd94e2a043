"""Every code a page shows has a name in both languages: the label tables of app/labels.py
cover their domains (road classes, kinds of place, grid shapes, time bins, methods, result
classes, statuses, reasons), every name is translated into Chinese and differs from the
English one, and so does every LabelledEnum's and every default shift's label."""

from __future__ import annotations

import importlib
import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from app import labels
from app.analysis.params import METHODS, HotspotParams, NearRepeatParams
from app.geography.params import POI_KINDS as API_POI_KINDS
from dispatch.alerts import AlertKind, AlertStatus, alert_kind_label
from dispatch.labels import LabelledEnum
from dispatch.tours.findings import FindingKind
from gis.hotspots.emerging import EmergingPattern
from gis.hotspots.temporal import WEEKDAYS
from gis.incidents import RejectReason, load_category_table
from gis.osm_tags import DRIVABLE, WALK_ONLY
from gis.osm_tags import POI_KINDS as OSM_POI_KINDS
from patrol.compliance_dosage import DoseStatus
from patrol.compliance_stops import StopStatus
from patrol.shifts import DEFAULT_SHIFTS
from patrol.solver_model import UnservedReason

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "dispatch", "gis", "patrol", "runtime")
# Names that read the same in Chinese: proper names and notation, listed one by one.
SAME_IN_CHINESE: frozenset[str] = frozenset({"PTZ"})
CJK = re.compile(r"[\u3400-\u9fff]")


def literal_values(model: type, field: str) -> set[str]:
    """The values a pydantic ``Literal`` field allows."""
    annotation = model.model_fields[field].annotation  # type: ignore[attr-defined]
    args = typing.get_args(annotation)
    while args and not all(isinstance(a, str) for a in args):  # Optional[Literal[...]]
        args = next(typing.get_args(a) for a in args if typing.get_args(a))
    return set(args)


DOMAINS: dict[str, set[str]] = {
    "road_class": set(DRIVABLE | WALK_ONLY),
    "poi_kind": set(OSM_POI_KINDS) | set(API_POI_KINDS),
    "grid_shape": literal_values(HotspotParams, "shape"),
    "time_bin": literal_values(HotspotParams, "time_bin"),
    "method": set(METHODS) | {"near_repeat"},
    "neighbours": literal_values(HotspotParams, "weights"),
    "p_method": literal_values(HotspotParams, "p_method"),
    "distance_metric": literal_values(NearRepeatParams, "metric"),
    "gi_bin": {str(b) for b in range(-3, 4)},
    "lisa_quadrant": {"HH", "LL", "HL", "LH", "not significant"},
    "emerging_pattern": {p.value for p in EmergingPattern},
    "weekday": set(WEEKDAYS),
    "time_resolution": {"minute", "day", "month"},
    "reject_reason": {r.value for r in RejectReason},
    "stop_status": {s.value for s in StopStatus},
    "dose_status": {s.value for s in DoseStatus},
    "unserved_reason": {r.value for r in UnservedReason} | {"no_station"},
    "plan_status": {"draft", "published"},
    "parameter": {f.alias or name for name, f in HotspotParams.model_fields.items()},
    "cell_field": {"code", "count", "z", "p", "p_fdr", "bin", "i", "quadrant",
                   "density_per_km2", "pattern", "trend_z", "trend_p", "hot_bins",
                   "cold_bins"},
}


def test_every_table_has_a_domain_here() -> None:
    """A table added to app/labels.py must say here which codes it must cover."""
    assert set(labels.TABLES) - {"grid_origin", "bandwidth_rule"} == set(DOMAINS)


@pytest.mark.parametrize("table", sorted(DOMAINS))
def test_each_table_names_every_code_of_its_domain(table: str) -> None:
    assert sorted(DOMAINS[table] - set(labels.TABLES[table])) == []


def modules_naming_labelled_enum() -> Iterator[str]:
    """The product's modules whose source mentions LabelledEnum (read, not imported: some
    modules act when imported, such as a ``__main__``)."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.stem != "__main__" and "LabelledEnum" in path.read_text(encoding="utf-8"):
                parts = path.relative_to(ROOT).with_suffix("").parts
                yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def labelled_enums() -> list[type[LabelledEnum]]:
    """Every LabelledEnum the product defines (its modules imported first)."""
    for name in modules_naming_labelled_enum():
        importlib.import_module(name)
    found, todo = [], list(LabelledEnum.__subclasses__())
    while todo:
        enum = todo.pop()
        todo.extend(enum.__subclasses__())
        if enum.__module__.split(".")[0] in PACKAGES:
            found.append(enum)
    return sorted(found, key=lambda e: e.__name__)


def test_the_walk_finds_the_console_enums() -> None:
    names = {e.__name__ for e in labelled_enums()}
    assert {"UnitKind", "UnitStatus", "CameraKind", "CameraStatus", "AlertKind",
            "AlertStatus"} <= names


def test_alert_kinds_name_the_incident_categories_and_the_findings_as_they_do() -> None:
    """Alerts raised from a video finding carry its code; the common categories are named
    as the analysis pages name them."""
    assert {f.value for f in FindingKind} <= {k.value for k in AlertKind}
    categories = load_category_table().categories
    assert set(categories) <= {k.value for k in AlertKind}
    assert {code: (AlertKind(code).label_en, AlertKind(code).label_zh) for code in categories
            } == {code: (c.label_en, c.label_zh) for code, c in categories.items()}
    assert alert_kind_label("robbery", zh=True) == "抢劫抢夺"
    assert alert_kind_label("抢劫", zh=False) == "抢劫"  # free text, as typed


def test_alert_statuses_are_those_the_app_writes() -> None:
    source = (ROOT / "app/dispatch/alerts.py").read_text(encoding="utf-8")
    written = set(re.findall(r'alert\.status = "(\w+)"', source)) | {"open"}  # the default
    assert written == {s.value for s in AlertStatus}


def untranslated(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(where, English, Chinese) pairs whose Chinese is missing, equal to the English or
    holds no Chinese character, unless the English is a listed proper name."""
    return [(where, en, zh) for where, en, zh in pairs
            if en not in SAME_IN_CHINESE and (not zh or zh == en or not CJK.search(zh))]


def test_every_labelled_enum_has_a_chinese_label() -> None:
    pairs = [(f"{enum.__name__}.{member.name}", member.label_en, member.label_zh)
             for enum in labelled_enums() for member in enum]
    assert len(pairs) > 15
    assert untranslated(pairs) == []


def test_the_default_shifts_have_chinese_labels() -> None:
    pairs = [(f"shift {s.code}", s.label_en, s.label_zh) for s in DEFAULT_SHIFTS]
    assert untranslated(pairs) == []


def test_every_table_label_is_translated(app: Flask) -> None:
    with app.test_request_context():
        english = {name: {code: str(text) for code, text in table.items()}
                   for name, table in labels.TABLES.items()}
        with force_locale("zh_CN"):
            chinese = {name: {code: str(text) for code, text in table.items()}
                       for name, table in labels.TABLES.items()}
    pairs = [(f"{name}:{code}", english[name][code], chinese[name][code])
             for name in english for code in english[name]]
    assert len(pairs) > 120
    assert untranslated(pairs) == []


def test_label_reads_tables_enums_and_shifts_in_the_users_language(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert labels.label("road_class", "secondary") == "次干道"
            assert labels.label("grid_shape", "square") == "正方形"
            assert labels.label("time_bin", "month") == "月"
            assert labels.label("unit_kind", "plainclothes") == "便衣"
            assert labels.label("shift", "day") == "白班"
            assert labels.label("gi_bin", 3) == "热点，置信度 99%"
            # an operator's own code, and a code no table knows, are shown as they are
            assert labels.label("shift", "früh") == "früh"
            assert labels.label("road_class", "raceway") == "raceway"
            assert labels.label("unit_kind", "balloon") == "balloon"
        assert labels.label("road_class", "secondary") == "secondary road"
        assert labels.label("shift", "day") == "Day"
        assert labels.labels_of("unit_kind")["patrol_car"] == "Patrol car"


def test_the_check_catches_what_it_is_for() -> None:
    assert untranslated([("a", "square", "square"), ("b", "month", ""),
                         ("c", "day", "day shift"), ("d", "PTZ", "PTZ"),
                         ("e", "road", "道路")]) == [
        ("a", "square", "square"), ("b", "month", ""), ("c", "day", "day shift")]
