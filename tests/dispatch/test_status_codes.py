"""The status code table: the shipped defaults read, codes normalised, overrides, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dispatch.errors import InvalidStatusCodeTable
from dispatch.status import UnitStatus
from dispatch.status_codes import FORMAT, StatusCodeTable, normalise_code

DEFAULTS = Path(__file__).resolve().parents[2] / "data" / "radio_status_codes.json"


@pytest.fixture(scope="module")
def table() -> StatusCodeTable:
    return StatusCodeTable.from_json(json.loads(DEFAULTS.read_text(encoding="utf-8")),
                                     name="defaults")


@pytest.mark.parametrize(("sent", "status"), [
    ("10-97", UnitStatus.ON_SCENE), ("１０－９７", UnitStatus.ON_SCENE),
    ("10 97", UnitStatus.ON_SCENE), ("1097", UnitStatus.ON_SCENE),
    ("10-08", UnitStatus.AVAILABLE), ("10-76", UnitStatus.EN_ROUTE),
    ("到达现场。", UnitStatus.ON_SCENE), ("已出发", UnitStatus.EN_ROUTE),
    ("用餐", UnitStatus.OUT_OF_SERVICE), ("en_route", UnitStatus.EN_ROUTE),
    ("En Route", UnitStatus.EN_ROUTE), ("途中", UnitStatus.EN_ROUTE),
    ("空闲", UnitStatus.AVAILABLE),
])
def test_defaults_map_codes_and_phrases_to_statuses(table: StatusCodeTable, sent: str,
                                                    status: UnitStatus) -> None:
    entry = table.lookup(sent)
    assert entry is not None and entry.action == "status" and entry.status == status


def test_acknowledgements_and_unknown_codes(table: StatusCodeTable) -> None:
    assert table.lookup("10-4").action == "acknowledge"
    assert table.lookup("收到").action == "acknowledge"
    assert table.lookup("10-99") is None
    assert table.lookup("hello") is None


def test_a_deployment_table_overrides_defaults(table: StatusCodeTable) -> None:
    ours = StatusCodeTable.from_json({"format": FORMAT, "codes": [
        {"code": "10-6", "status": "out_of_service"},
        {"code": "PDT 3", "status": "on_scene", "meaning": "PDT short data 3"}]}, name="ours")
    merged = table.overridden_by(ours)
    assert merged.lookup("10-6").status == UnitStatus.OUT_OF_SERVICE
    assert merged.lookup("10-6").source == "ours"
    assert merged.lookup("pdt 3").status == UnitStatus.ON_SCENE
    assert merged.lookup("10-97").status == UnitStatus.ON_SCENE
    assert table.lookup("10-6").status == UnitStatus.COMMITTED_AVAILABLE


@pytest.mark.parametrize(("data", "field"), [
    ({"codes": []}, "format"),
    ({"format": FORMAT, "codes": {}}, "codes"),
    ({"format": FORMAT, "codes": [{"code": " ", "status": "available"}]}, "codes[0].code"),
    ({"format": FORMAT, "codes": [{"code": "x", "status": "asleep"}]}, "codes[0].status"),
    ({"format": FORMAT, "codes": [{"code": "x", "action": "dance"}]}, "codes[0].action"),
])
def test_a_bad_table_names_the_entry(data: dict, field: str) -> None:
    with pytest.raises(InvalidStatusCodeTable) as caught:
        StatusCodeTable.from_json(data)
    assert caught.value.field == field


def test_normalise_code() -> None:
    assert normalise_code("  10-097 ! ") == "10-97"
    assert normalise_code("ＡＣＫ") == "ack"
