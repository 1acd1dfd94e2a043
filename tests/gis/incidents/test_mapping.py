"""Column mappings: parsing from text and dicts, presets, layout detection, overrides."""

from __future__ import annotations

import pytest

from gis.errors import (
    CrsError,
    IncidentMappingError,
    UnknownIncidentLayoutError,
    UnknownTimezoneError,
)
from gis.incidents.mapping import (
    PRESETS,
    ColumnMapping,
    detect_mapping,
    mapping_from_dict,
    parse_mapping,
)

POLICE_UK = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
             "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
             "Context")
SFPD = ("Incident Datetime", "Incident Date", "Incident Time", "Incident Year",
        "Incident Day of Week", "Report Datetime", "Row ID", "Incident ID", "Incident Number",
        "CAD Number", "Report Type Code", "Report Type Description", "Filed Online",
        "Incident Code", "Incident Category", "Incident Subcategory", "Incident Description",
        "Resolution", "Intersection", "CNN", "Police District", "Analysis Neighborhood",
        "Supervisor District", "Latitude", "Longitude", "point")
SFPD_LEGACY = ("IncidntNum", "Category", "Descript", "DayOfWeek", "Date", "Time",
               "PdDistrict", "Resolution", "Address", "X", "Y", "Location", "PdId")


def test_a_command_line_string_names_the_columns() -> None:
    mapping = parse_mapping("id=Row ID,datetime=Incident Datetime,category=Incident Category,"
                            "lon=Longitude,lat=Latitude")
    assert mapping == ColumnMapping(id="Row ID", datetime="Incident Datetime",
                                    category="Incident Category", lon="Longitude",
                                    lat="Latitude")
    assert mapping.missing_fields() == ()


def test_aliases_escaped_commas_crs_and_time_zone() -> None:
    mapping = parse_mapping(r" Longitude = E , latitude=N, description=Desc\, long ,"
                            "date=D,time=T,tz=Asia/Shanghai,epsg=4490")
    assert (mapping.lon, mapping.lat, mapping.description) == ("E", "N", "Desc, long")
    assert (mapping.date, mapping.time, mapping.timezone) == ("D", "T", "Asia/Shanghai")
    assert mapping.crs == "EPSG:4490"  # CGCS2000, geographic: fine for lon/lat
    assert parse_mapping("x=E,y=N,crs=epsg:27700").crs == "EPSG:27700"


@pytest.mark.parametrize(("text", "error", "words"), [
    ("id", IncidentMappingError, "not key=Column"),
    ("colour=Red", IncidentMappingError, "unknown mapping key 'colour'"),
    ("id=A,id=B", IncidentMappingError, "twice"),
    ("lon=A,longitude=B", IncidentMappingError, "gives lon twice"),
    ("id=", IncidentMappingError, "empty"),
    ("", IncidentMappingError, "empty"),
    ("datetime=A,date=B", IncidentMappingError, "datetime and date"),
    ("month=M,time=T", IncidentMappingError, "month and time"),
    ("lon=A,x=B", IncidentMappingError, "lon and x"),
    ("preset=nope", IncidentMappingError, "unknown preset 'nope'"),
    ("x=E,y=N,crs=not-a-crs", CrsError, "unknown CRS"),
    ("tz=Mars/Olympus", UnknownTimezoneError, "Mars/Olympus"),
])
def test_bad_mapping_text_is_a_named_error(text: str, error: type[Exception],
                                           words: str) -> None:
    with pytest.raises(error, match=words):
        parse_mapping(text)


def test_a_dict_from_json_or_toml_and_a_preset_with_overrides() -> None:
    mapping = mapping_from_dict({"preset": "sfpd", "lon": "X", "lat": "Y", "crs": 4326})
    assert mapping.lon == "X" and mapping.lat == "Y" and mapping.crs == "EPSG:4326"
    assert mapping.datetime == "Incident Datetime"  # kept from the preset
    assert mapping.timezone == "America/Los_Angeles"
    with pytest.raises(IncidentMappingError, match="must be text"):
        mapping_from_dict({"id": 5})
    with pytest.raises(IncidentMappingError, match="must be text"):
        mapping_from_dict({"crs": True})


def test_an_override_replaces_a_whole_time_or_coordinate_layout() -> None:
    sfpd = PRESETS["sfpd"]
    split = sfpd.updated(ColumnMapping(date="Incident Date", time="Incident Time"))
    assert split.datetime is None and split.datetime_format is None
    assert (split.date, split.time) == ("Incident Date", "Incident Time")
    grid = PRESETS["police_uk"].updated(ColumnMapping(x="Easting", y="Northing"))
    assert grid.lon is None and grid.lat is None and grid.crs is None
    assert grid.missing_fields() == ("crs (an EPSG code) for x/y",)
    assert grid.updated(ColumnMapping(crs="27700")).missing_fields() == ()


def test_missing_fields_name_what_a_partial_mapping_lacks() -> None:
    assert ColumnMapping(id="A").missing_fields() == (
        "a time: datetime, date (+ time) or month",
        "coordinates: lon and lat, or x and y with crs")
    assert ColumnMapping(month="M").missing_fields(has_geometry=True) == ()
    assert ColumnMapping(time="T", lon="A", lat="B").missing_fields()[-1] == (
        "date (time is given without it)")
    assert "lon and lat together" in ColumnMapping(month="M", lon="A").missing_fields()
    projected = ColumnMapping(month="M", lon="A", lat="B", crs="27700")
    assert "projected CRS" in projected.missing_fields()[0]
    with pytest.raises(IncidentMappingError, match="needs a time"):
        ColumnMapping(lon="A", lat="B").require_complete()


@pytest.mark.parametrize(("headers", "preset"), [
    (POLICE_UK, "police_uk"), (SFPD, "sfpd"), (SFPD_LEGACY, "sfpd_legacy")])
def test_presets_are_recognised_from_the_header_row(headers: tuple[str, ...],
                                                    preset: str) -> None:
    name, mapping = detect_mapping(headers)
    assert name == preset
    assert mapping == PRESETS[preset]
    assert mapping.missing_fields() == ()


def test_detection_ignores_case_and_drops_absent_descriptive_columns() -> None:
    headers = [h.upper() for h in POLICE_UK if h != "Location"]
    name, mapping = detect_mapping(headers)
    assert name == "police_uk"
    assert mapping.id == "CRIME ID" and mapping.month == "MONTH"
    assert mapping.address is None  # Location is only descriptive


def test_geometry_stands_in_for_a_presets_coordinate_columns() -> None:
    attributes = [h for h in POLICE_UK if h not in ("Longitude", "Latitude")]
    with pytest.raises(UnknownIncidentLayoutError):
        detect_mapping(attributes)
    name, mapping = detect_mapping(attributes, has_geometry=True)
    assert name == "police_uk" and mapping.lon is None and mapping.lat is None


def test_a_partial_user_mapping_overrides_the_preset() -> None:
    name, mapping = detect_mapping(
        POLICE_UK, override=ColumnMapping(description="Last outcome category",
                                          timezone="UTC"))
    assert name == "police_uk"
    assert mapping.description == "Last outcome category" and mapping.timezone == "UTC"
    assert mapping.month == "Month"


def test_a_complete_user_mapping_stands_alone() -> None:
    headers = ("ref", "when", "what", "e", "n")
    own = parse_mapping("id=ref,datetime=when,category=what,x=e,y=n,crs=27700")
    assert detect_mapping(headers, override=own) == (None, own)


def test_headers_matching_nothing_raise_an_error_listing_them_and_what_is_missing() -> None:
    headers = ("编号", "报警时间", "经度", "纬度")
    with pytest.raises(UnknownIncidentLayoutError) as caught:
        detect_mapping(headers)
    error = caught.value
    assert isinstance(error, IncidentMappingError)
    assert error.headers == headers
    assert error.missing["police_uk"] == ("Crime ID", "Month", "Crime type", "Longitude",
                                          "Latitude")
    assert set(error.missing) == set(PRESETS)
    assert "'编号', '报警时间', '经度', '纬度'" in str(error)
    assert "police_uk needs 'Crime ID', 'Month'" in str(error)
    with pytest.raises(UnknownIncidentLayoutError, match="the given mapping needs a time"):
        detect_mapping(headers, override=ColumnMapping(lon="经度", lat="纬度"))
