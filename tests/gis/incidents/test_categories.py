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
    assert set(table.table_names) == {"police_uk", "sfpd", "sfpd_legacy", "generic", "us_city",
                                      "nibrs_ucr", "uk_home_office", "cn_110"}


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


# -- the larger tables and the keyword rules -------------------------------------------------

# Los Angeles "Crm Cd Desc" values named in issue 14, as the export spells them
LAPD = {
    "VEHICLE - STOLEN": "vehicle_crime",
    "BATTERY - SIMPLE ASSAULT": "violence",
    "THEFT PLAIN - PETTY ($950 & UNDER)": "theft",
    "VANDALISM - FELONY ($400 & OVER, ALL CHURCH VANDALISMS)": "criminal_damage",
    "BURGLARY FROM VEHICLE": "vehicle_crime",
    "THEFT OF IDENTITY": "fraud",
    "ASSAULT WITH DEADLY WEAPON, AGGRAVATED ASSAULT": "violence",
    "INTIMATE PARTNER - SIMPLE ASSAULT": "violence",
}


def test_us_city_descriptions_are_in_the_table() -> None:
    result = categorise(pd.Series(list(LAPD)), table="us_city")
    assert dict(zip(LAPD, result.codes, strict=True)) == LAPD
    assert result.unknown == {} and result.ruled == {}


def test_keyword_rules_settle_values_in_no_table_and_say_so() -> None:
    values = pd.Series(["VEHICLE - STOLEN (RENTAL)", "THEFT PLAIN - PETTY (UNDER $50)",
                        "BATTERY ON A BUS DRIVER", "Burglary, Vehicle (Arrest made)",
                        "Elder Adult Abuse (not Embezzlement or Theft)",
                        "Weapon, Assault with Deadly", "盗窃车内财物（夜间）", "入室抢劫案",
                        "Knitting", "Knitting"])
    result = categorise(values, table="us_city")
    assert result.codes.tolist() == ["vehicle_crime", "theft", "violence", "vehicle_crime",
                                     "violence", "violence", "vehicle_crime", "robbery",
                                     "other", "other"]
    assert result.unknown == {"Knitting": 2}
    assert result.ruled["BATTERY ON A BUS DRIVER"] == ("violence", 1)
    assert len(result.ruled) == 8


def test_the_rules_agree_with_the_hand_made_tables() -> None:
    # Two independent classifications of the same names: the tables were written entry by
    # entry, the rules know only keywords. Where a table gives a code other than "other",
    # the rules must give the same code for at least nine names in ten of every table.
    table = load_category_table()
    for name, entries in table.tables.items():
        decided = {value: code for value, code in entries.items() if code != "other"}
        same = sum(table.by_rule(value) == code for value, code in decided.items())
        assert same >= 0.9 * len(decided), (name, same, len(decided))


def test_an_analysts_override_wins_over_tables_and_rules() -> None:
    values = pd.Series(["Warrant", "VEHICLE - STOLEN", "Knitting"])
    result = categorise(values, table="sfpd",
                        overrides={"warrant": "non_crime", " KNITTING ": "anti_social_behaviour"})
    assert result.codes.tolist() == ["non_crime", "vehicle_crime", "anti_social_behaviour"]
    assert result.unknown == {}


def test_a_bad_rule_is_a_named_error(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_CATEGORY_FILE.read_text(encoding="utf-8"))
    raw["rules"] = [{"code": "theft", "pattern": "(unclosed"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(CategoryTableError, match="not a regular expression"):
        load_category_table(path)
