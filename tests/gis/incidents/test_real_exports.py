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

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gis.incidents import ColumnMapping, IncidentReadResult, read_incidents

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
