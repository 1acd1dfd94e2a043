"""The real exports in ../shared/data/incidents, with numbers counted independently.

Every expected number below was first counted with a pandas one-liner that does not use
gis.incidents, e.g. for London::

    d = pd.concat(pd.read_csv(f, dtype=str, keep_default_na=False) for f in files)
    len(d)                                    # 108789 read
    (d.Longitude == "").sum()                 # 1275 without coordinates (Latitude too)
    d[d.Longitude != ""]["Crime ID"].duplicated().sum()   # 1032 repeated ids
    (d["Crime ID"] == "").sum()               # 0: burglary rows always carry an id

These tests need ../shared/data and fail (never skip) without it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gis.incidents import (
    ColumnMapping,
    IncidentReadResult,
    load_category_table,
    parse_mapping,
    read_incidents,
)

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "incidents"
LONDON = SHARED / "london_burglary"
SF = SHARED / "sf" / "SFPD_Incident_Reports_2018-12_subset.csv"
# the extent of ../shared/data/osm/london-central.osm.pbf
LONDON_CENTRAL = box(-0.322, 51.462, -0.045, 51.542)


def _require(path: Path) -> Path:
    assert path.exists(), f"{path} is missing: these tests need ../shared/data beside the repo"
    return path


@pytest.fixture(scope="module")
def london() -> IncidentReadResult:
    return read_incidents(_require(LONDON))


@pytest.fixture(scope="module")
def sf() -> IncidentReadResult:
    return read_incidents(_require(SF))


def test_london_2023_24_all_24_months(london: IncidentReadResult) -> None:
    # 108,789 rows in 24 files; 1,275 have neither Longitude nor Latitude; of the rest,
    # 1,032 repeat a Crime ID already seen (the same burglary listed twice or more in one
    # month's file: 181 rows are identical, the others differ only in outcome or LSOA).
    assert london.read == 108_789
    assert london.counts["no_coordinates"] == 1_275
    assert london.counts["duplicate_id"] == 1_032
    assert london.rejected == 1_275 + 1_032
    assert london.accepted == 108_789 - 1_275 - 1_032 == 106_482
    assert {k: v for k, v in london.counts.items() if v} == {"no_coordinates": 1_275,
                                                             "duplicate_id": 1_032}
    assert set(london.layouts.values()) == {"police_uk"} and len(london.layouts) == 24
    assert london.unknown_categories == {}  # every row is "Burglary"
    assert set(london.incidents["category"]) == {"burglary"}
    assert set(london.incidents["time_resolution"]) == {"month"}
    assert not london.incidents["source_id"].str.startswith("hash:").any()


def test_london_months_are_local_first_of_month(london: IncidentReadResult) -> None:
    local = london.incidents["occurred_at"].dt.tz_convert("Europe/London")
    assert (local.dt.day == 1).all() and (local.dt.hour == 0).all()
    months = local.dt.strftime("%Y-%m").value_counts()
    assert len(months) == 24
    # pandas on j = d[d.Month == "2023-01"]: 5,143 rows, 159 without coordinates, 94 of
    # the rest repeat an id (repeats never cross months); July 2023 keeps 4,487
    assert months["2023-01"] == 5_143 - 159 - 94 == 4_890
    assert months["2023-07"] == 4_487  # 2023-06-30 23:00 UTC, but July in London
    assert london.incidents["occurred_at"].min() == pd.Timestamp("2023-01-01T00:00Z")
    assert london.incidents["occurred_at"].max() == pd.Timestamp("2024-11-30T23:59:59Z") + (
        pd.Timedelta(seconds=1))  # 2024-12-01 00:00 GMT


def test_london_inside_the_central_extract() -> None:
    # pandas: 31,697 rows have a point inside the box, edges included (2 points lie exactly
    # on an edge, so the box is given in EPSG:4326: a round trip through another CRS moves
    # its edges by a hair); 284 of them repeat an id already seen inside it, so 31,413 are
    # kept; 108,789 - 1,275 - 31,697 = 75,817 points lie outside.
    areas = gpd.GeoDataFrame({"name": ["london-central"]}, geometry=[LONDON_CENTRAL],
                             crs=4326)
    result = read_incidents(_require(LONDON), areas=areas)
    assert result.counts["outside_area"] == 75_817
    assert result.counts["duplicate_id"] == 284
    assert result.accepted == 31_697 - 284 == 31_413
    bounds = result.incidents.total_bounds
    assert bounds[0] >= -0.322 and bounds[2] <= -0.045
    assert bounds[1] >= 51.462 and bounds[3] <= 51.542


def test_san_francisco_december_2018(sf: IncidentReadResult) -> None:
    # 11,884 rows; 608 have no Latitude/Longitude; Row ID is unique (Incident ID is not:
    # one incident has a row per offence); every Incident Datetime parses.
    assert sf.layouts == {SF.name: "sfpd"}
    assert sf.read == 11_884
    assert {k: v for k, v in sf.counts.items() if v} == {"no_coordinates": 608}
    assert sf.accepted == 11_276
    assert sf.unknown_categories == {}  # all 47 Incident Category values are in the table
    categories = sf.incidents["category"].value_counts()
    # pandas on the rows with coordinates: Burglary 484; Motor Vehicle Theft(?) plus
    # Larceny Theft from a vehicle / of auto parts 2,612
    assert categories["burglary"] == 484
    assert categories["vehicle_crime"] == 2_612
    assert set(sf.incidents["time_resolution"]) == {"minute"}


def test_san_francisco_times_and_lines(sf: IncidentReadResult) -> None:
    first = sf.incidents.iloc[0]
    # line 2: Row ID 74339603074, "2018/12/01 12:25:00 AM" Pacific = 08:25 UTC
    assert (first["source_id"], first["source_line"]) == ("74339603074", 2)
    assert first["occurred_at"] == pd.Timestamp("2018-12-01T08:25Z")
    assert first["description"] == "Robbery, W/ Force"
    assert first["address"] == "BOSWORTH ST \\ DIAMOND ST"
    assert sf.incidents["occurred_at"].min() == pd.Timestamp("2018-12-01T08:00Z")
    assert sf.incidents["occurred_at"].max() == pd.Timestamp("2018-12-31T08:00Z")
    # the first row without coordinates is Row ID 74365707041 on line 143 of the file
    reject = sf.rejects.iloc[0]
    assert (reject["line"], reject["Row ID"]) == (143, "74365707041")
    assert "74365707041" in SF.read_text(encoding="utf-8").splitlines()[142]


def test_san_francisco_date_plus_time_columns_agree(sf: IncidentReadResult) -> None:
    # The same file read from "Incident Date" + "Incident Time" instead of
    # "Incident Datetime" gives the same instants: an independent path through the parser.
    split = read_incidents(_require(SF), mapping=ColumnMapping(
        date="Incident Date", time="Incident Time", date_format="%Y/%m/%d",
        time_format="%H:%M"))
    assert split.layouts == {SF.name: "sfpd"}
    pd.testing.assert_series_equal(split.incidents["occurred_at"],
                                   sf.incidents["occurred_at"])


# -- the SF export rewritten the way a US city's records system exports times ------------

def write_hhmm_export(path: Path) -> pd.DataFrame:
    """The SF rows in a Los Angeles-style layout: ``DATE OCC`` as ``MM/DD/YYYY 12:00:00 AM``,
    ``TIME OCC`` as an HHMM whole number without leading zeros (``5``, ``100``, ``2230``),
    ``0, 0`` for a missing place, the offence description in capitals."""
    source = pd.read_csv(_require(SF), dtype=str, keep_default_na=False)
    year, month, day = (source["Incident Date"].str.split("/", expand=True)[i] for i in range(3))
    rows = pd.DataFrame({
        "DR_NO": source["Row ID"],
        "DATE OCC": month + "/" + day + "/" + year + " 12:00:00 AM",
        "TIME OCC": source["Incident Time"].str.replace(":", "").astype(int).astype(str),
        "Crm Cd Desc": source["Incident Description"].str.upper(),
        "LAT": source["Latitude"].replace("", "0"),
        "LON": source["Longitude"].replace("", "0"),
    })
    rows.to_csv(path, index=False)
    return rows


HHMM_MAPPING = ("id=DR_NO,date=DATE OCC,time=TIME OCC,category=Crm Cd Desc,lat=LAT,lon=LON,"
                "tz=America/Los_Angeles")


def test_an_hhmm_export_keeps_its_hours(tmp_path: Path, sf: IncidentReadResult) -> None:
    path = tmp_path / "la_style.csv"
    rows = write_hhmm_export(path)
    assert {"5", "100", "2230"} <= set(rows["TIME OCC"])  # one to four digits
    result = read_incidents(path, mapping=parse_mapping(HHMM_MAPPING))
    # counted straight from the file: the kept rows are those with a place
    placed = rows[rows["LAT"] != "0"]
    direct = (placed["TIME OCC"].astype(int) // 100).value_counts()
    assert result.hours() == [int(direct.get(hour, 0)) for hour in range(24)]
    assert result.hours() == sf.hours()  # the preset's path through "Incident Datetime"
    assert set(result.incidents["time_resolution"]) == {"minute"}
    assert any("'TIME OCC' read as HHMM whole numbers: '" in n for n in result.notes)
    assert any("'DATE OCC' read month-first" in n for n in result.notes)
    pd.testing.assert_series_equal(result.incidents["occurred_at"], sf.incidents["occurred_at"])


def test_the_date_column_alone_is_read_as_dates_not_as_midnights(tmp_path: Path) -> None:
    path = tmp_path / "la_style.csv"
    write_hhmm_export(path)
    result = read_incidents(path, mapping=parse_mapping(
        HHMM_MAPPING.replace("date=DATE OCC,time=TIME OCC", "datetime=DATE OCC")))
    assert set(result.incidents["time_resolution"]) == {"day"}
    assert result.hours() == [0] * 24  # no hour-of-day table from dates
    assert any("every time in 'DATE OCC' is 00:00" in n for n in result.notes)


# -- categories: the SF export's own offence descriptions as the category ------------------

def test_offence_descriptions_are_classified_like_the_curated_categories(
        sf: IncidentReadResult) -> None:
    # "Incident Description" holds 435 free-text offence names (NIBRS/UCR-like: "Theft,
    # From Locked Vehicle, >$950", "Battery", "Vehicle, Stolen, Auto"): what a US city
    # export without a category column offers. With the four tables gridpatrol had before
    # issue 14 and no keyword rules more than nine rows in ten are "other"; now the share
    # falls below the curated table's own (which files warrants, detentions and the like as
    # "other"), and where both name a category they agree for 19 rows in 20.
    mapping = ColumnMapping(category="Incident Description", category_table="us_city")
    plain = load_category_table()
    before = dataclasses.replace(plain, rules=(), tables={
        name: plain.tables[name] for name in ("police_uk", "sfpd", "sfpd_legacy", "generic")})
    without_rules = read_incidents(_require(SF), mapping=mapping.updated(
        ColumnMapping(category_table="generic")), categories=before)
    described = read_incidents(_require(SF), mapping=mapping)
    share = (described.incidents["category"] == "other").mean()
    assert (without_rules.incidents["category"] == "other").mean() > 0.9
    assert share < (sf.incidents["category"] == "other").mean() < 0.2
    both = (described.incidents["category"] != "other") & (sf.incidents["category"] != "other")
    agree = described.incidents["category"][both] == sf.incidents["category"][both]
    assert agree.mean() > 0.95 and both.sum() > 9_000
    # what is left is listed, most frequent first, with counts that add up to the rows
    unknown = described.unknown_categories
    other = described.incidents.loc[described.incidents["category"] == "other"]
    assert 0 < sum(unknown.values()) == other["source_category"].isin(list(unknown)).sum()
    kept = described.incidents["source_category"]
    for value, count in unknown.items():
        assert (kept == value).sum() == count
    assert set(described.incidents.loc[kept.isin(list(unknown)), "category"]) == {"other"}
    assert described.ruled_categories["Theft, From Locked Vehicle, >$950"] == (
        "vehicle_crime", 1_529)  # the kept rows: 223 of the 1,752 have no coordinates
