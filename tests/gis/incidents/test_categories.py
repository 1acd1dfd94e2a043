"""The common categories, their labels, and the source tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gis.errors import CategoryTableError, IncidentMappingError
from gis.incidents.categories import DEFAULT_CATEGORY_FILE, categorise, load_category_table

# police.uk's fourteen crime types (https://data.police.uk/about/#columns)
POLICE_UK_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences", "Other crime")


def test_the_common_list_has_english_and_chinese_labels() -> None:
    table = load_category_table()
    assert list(table.categories)[:3] == ["burglary", "robbery", "theft"]
    assert table.categories["other"].label_zh == "其他"
    for category in table.categories.values():
        assert category.label_en and category.label_zh
    assert set(table.table_names) == {"police_uk", "sfpd", "sfpd_legacy", "generic"}


def test_every_police_uk_crime_type_is_mapped() -> None:
    result = categorise(pd.Series(POLICE_UK_TYPES), table="police_uk")
    assert result.unknown == {}
    assert dict(zip(POLICE_UK_TYPES, result.codes, strict=True))["Vehicle crime"] == (
        "vehicle_crime")
    assert set(result.codes) - {"other"} <= set(load_category_table().categories)


def test_lookup_ignores_case_and_spacing_and_counts_unknown_values() -> None:
    values = pd.Series(["  burglary ", "VEHICLE   CRIME", "Knitting", "", None, "Knitting"])
    result = categorise(values, table="police_uk")
    assert result.codes.tolist() == ["burglary", "vehicle_crime", "other", "other", "other",
                                     "other"]
    assert result.unknown == {"Knitting": 2}  # empty values are not "unknown"


def test_a_subcategory_refines_the_code() -> None:
    category = pd.Series(["Larceny Theft", "Larceny Theft", "Larceny Theft"])
    sub = pd.Series(["Larceny - From Vehicle", "Larceny Theft - Shoplifting", None])
    assert categorise(category, sub, table="sfpd").codes.tolist() == [
        "vehicle_crime", "theft", "theft"]


def test_without_a_table_every_table_and_the_labels_are_tried() -> None:
    values = pd.Series(["盗窃", "入室盗窃", "Vehicle crime", "LARCENY/THEFT", "暴力侵害",
                        "sexual offence"])
    assert categorise(values).codes.tolist() == [
        "theft", "burglary", "vehicle_crime", "theft", "violence", "sexual_offence"]
    with pytest.raises(IncidentMappingError, match="unknown category table 'nope'"):
        categorise(values, table="nope")


def test_a_malformed_table_is_a_named_error(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_CATEGORY_FILE.read_text(encoding="utf-8"))
    raw["tables"]["police_uk"]["Burglary"] = "housebreaking"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(CategoryTableError, match="unknown code 'housebreaking'"):
        load_category_table(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(CategoryTableError):
        load_category_table(path)
