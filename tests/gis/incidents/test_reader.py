"""Reading small hand-made exports: every reject reason, formats, encodings, CRS, times."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from gis.errors import (
    GeometryTypeError,
    IncidentFileError,
    MissingColumnError,
    MissingCrsError,
    MissingTimezoneError,
    UnknownIncidentLayoutError,
)
from gis.incidents import (
    INCIDENT_COLUMNS,
    ColumnMapping,
    RejectReason,
    parse_mapping,
    read_incidents,
    write_rejects_csv,
)

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")


def police_row(crime_id: str, month: str = "2023-01", lon: str = "-0.1", lat: str = "51.5",
               crime_type: str = "Burglary", location: str = "On or near High St") -> str:
    return (f"{crime_id},{month},Met,Met,{lon},{lat},{location},E01,Camden 001A,{crime_type},"
            "Under investigation,")


@pytest.fixture
def police_csv(tmp_path: Path) -> Path:
    """One row per reject reason, in a police.uk layout. Lines are noted on the right."""
    rows = [
        HEADER,                                               # line 1
        police_row("a1"),                                     # 2  kept
        police_row("a2", lon="", lat=""),                     # 3  no_coordinates
        police_row("a3", lon="abc", lat="51.5"),              # 4  bad_coordinates
        police_row("a4", lon="0", lat="0.0"),                 # 5  zero_coordinates
        police_row("a5", lat="95"),                           # 6  coordinates_out_of_range
        police_row("a6", month="2023-13"),                    # 7  bad_time
        police_row("a7", month=""),                           # 8  bad_time (empty)
        "",                                                   # 9  blank: skipped
        police_row("a1", lon="-0.2"),                         # 10 duplicate_id of line 2
        police_row("a8", lon="", lat=""),                     # 11 no_coordinates …
        police_row("a8", lon="-0.12"),                        # 12 … so this copy is kept
        police_row("", crime_type="Anti-social behaviour"),   # 13 hash id
        police_row("", crime_type="Anti-social behaviour"),   # 14 identical: hash id #2
        police_row("a9") + ",surplus",                        # 15 bad_row
        police_row("a10", lon="1.5", crime_type="Knitting"),  # 16 kept, unknown category
    ]
    path = tmp_path / "2023-01-test-street.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def by_line(result_rejects: pd.DataFrame) -> dict[int, str]:
    return dict(zip(result_rejects["line"], result_rejects["reason"], strict=True))


def test_every_reject_reason_by_line(police_csv: Path) -> None:
    result = read_incidents(police_csv)
    assert result.layouts == {police_csv.name: "police_uk"}
    assert by_line(result.rejects) == {
        3: "no_coordinates", 4: "bad_coordinates", 5: "zero_coordinates",
        6: "coordinates_out_of_range", 7: "bad_time", 8: "bad_time", 10: "duplicate_id",
        11: "no_coordinates", 15: "bad_row"}
    assert list(result.incidents["source_line"]) == [2, 12, 13, 14, 16]
    assert (result.read, result.accepted, result.rejected) == (14, 5, 9)
    assert result.counts == {"bad_row": 1, "missing_id": 0, "no_coordinates": 2,
                             "bad_coordinates": 1, "zero_coordinates": 1,
                             "coordinates_out_of_range": 1, "bad_time": 2,
                             "outside_area": 0, "duplicate_id": 1}
    messages = dict(zip(result.rejects["line"], result.rejects["message"], strict=True))
    assert "already read at 2023-01-test-street.csv:2" in messages[10]
    assert "'2023-13'" in messages[7] and "'Month'" in messages[7]
    assert "7 cells" not in messages[15] and "13 cells but the header has 12" in messages[15]
    # the original cells travel with each reject
    assert result.rejects.set_index("line").loc[4, "Longitude"] == "abc"
    assert list(result.rejects.columns[:4]) == ["source_file", "line", "reason", "message"]


def test_rows_without_an_id_get_a_stable_hash(police_csv: Path, tmp_path: Path) -> None:
    first = read_incidents(police_csv).incidents
    ids = list(first["source_id"])
    assert ids[:2] == ["a1", "a8"]
    assert ids[2].startswith("hash:") and len(ids[2]) == len("hash:") + 24
    assert ids[3] == ids[2] + "#2"  # an identical row is another incident, not a duplicate
    copy = tmp_path / "elsewhere.csv"
    copy.write_bytes(police_csv.read_bytes())
    assert list(read_incidents(copy).incidents["source_id"]) == ids  # same data, same ids


def test_missing_ids_can_be_rejected_instead(police_csv: Path) -> None:
    result = read_incidents(police_csv, hash_missing_ids=False)
    assert by_line(result.rejects)[13] == "missing_id"
    assert by_line(result.rejects)[14] == "missing_id"
    assert result.counts["missing_id"] == 2


def test_categories_are_mapped_and_unknown_ones_counted(police_csv: Path) -> None:
    result = read_incidents(police_csv)
    incidents = result.incidents.set_index("source_line")
    assert incidents.loc[2, "category"] == "burglary"
    assert incidents.loc[13, "category"] == "anti_social_behaviour"
    assert incidents.loc[16, ["category", "source_category"]].tolist() == ["other", "Knitting"]
    assert result.unknown_categories == {"Knitting": 1}


def test_month_resolution_is_the_first_of_the_month_local_time(police_csv: Path) -> None:
    incidents = read_incidents(police_csv).incidents
    assert list(incidents.columns) == [*INCIDENT_COLUMNS, "geometry"]
    assert incidents.crs == "EPSG:4326"
    assert str(incidents["occurred_at"].dtype) == "datetime64[us, UTC]"
    assert set(incidents["time_resolution"]) == {"month"}
    assert incidents["occurred_at"].iloc[0] == pd.Timestamp("2023-01-01T00:00Z")
    assert set(incidents["timezone"]) == {"Europe/London"}


def test_a_summer_month_starts_the_evening_before_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "july.csv"
    path.write_text(f"{HEADER}\n{police_row('j1', month='2023-07')}\n")
    occurred = read_incidents(path).incidents["occurred_at"].iloc[0]
    assert occurred == pd.Timestamp("2023-06-30T23:00Z")  # 2023-07-01 00:00 BST
    assert occurred.tz_convert("Europe/London").month == 7


def test_points_outside_every_area_are_rejected(police_csv: Path) -> None:
    # two areas in British National Grid; rows at lon -0.1 are in the first, 1.5 in none
    areas = gpd.GeoDataFrame(geometry=[box(-0.15, 51.45, -0.05, 51.55), box(-0.25, 51.4,
                                                                              -0.19, 51.6)],
                             crs=4326).to_crs(27700)
    result = read_incidents(police_csv, areas=areas)
    assert result.counts["outside_area"] == 1
    assert by_line(result.rejects)[16] == "outside_area"
    # lon -0.2 (line 10) is inside the second area but a duplicate of line 2
    assert by_line(result.rejects)[10] == "duplicate_id"
    with pytest.raises(MissingCrsError):
        read_incidents(police_csv, areas=gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))
    with pytest.raises(GeometryTypeError):
        read_incidents(police_csv, areas=gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326))


def test_the_rejects_file_has_a_reason_per_row(police_csv: Path, tmp_path: Path) -> None:
    result = read_incidents(police_csv)
    out = tmp_path / "rejects.csv"
    assert write_rejects_csv(result, out) == 9
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, for Excel
    back = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(back["reason"]) == list(result.rejects["reason"])
    assert set(back["reason"]) <= {reason.value for reason in RejectReason}
    assert back.loc[back["line"] == "4", "Longitude"].item() == "abc"


def test_a_directory_or_several_paths_with_progress(police_csv: Path, tmp_path: Path) -> None:
    second = tmp_path / "2023-02-test-street.csv"
    second.write_text(f"{HEADER}\n{police_row('b1', month='2023-02')}\n{police_row('a1')}\n")
    (tmp_path / "notes.md").write_text("not an export")
    calls: list[tuple[int, int]] = []
    result = read_incidents(tmp_path, on_progress=lambda done, total: calls.append(
        (done, total)))
    assert calls == [(1, 2), (2, 2)]
    assert set(result.incidents["source_file"]) == {police_csv.name, second.name}
    # a1 was kept from the first file (in name order); its copy in the second is a duplicate
    dup = result.rejects[result.rejects["source_file"] == second.name]
    assert dup[["line", "reason"]].values.tolist() == [[3, "duplicate_id"]]
    assert read_incidents([second, police_csv]).accepted == result.accepted
    with pytest.raises(IncidentFileError, match="unsupported"):
        read_incidents(tmp_path / "notes.md")
    with pytest.raises(IncidentFileError, match="does not exist"):
        read_incidents(tmp_path / "nope.csv")


def test_progress_follows_the_files_by_size_and_may_stop_the_reading(
        police_csv: Path, tmp_path: Path) -> None:
    big = tmp_path / "2023-02-big-street.csv"
    big.write_text(HEADER + "\n" + "\n".join(police_row(f"b{i}", month="2023-02")
                                             for i in range(2000)) + "\n")
    calls: list[tuple[float, str]] = []
    result = read_incidents(tmp_path, areas=gpd.GeoSeries([box(-1, 50, 2, 53)], crs=4326),
                            progress=lambda fraction, message: calls.append((fraction,
                                                                             message)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] <= 1
    messages = [message for _, message in calls]
    assert messages[0] == f"{police_csv.name}: reading (file 1 of 2)"
    assert f"rows read: {result.read - 2000:,} (file 1 of 2)" in messages
    assert f"rows read: {result.read:,} (file 2 of 2)" in messages
    assert "checking them against the areas" in messages[-2]
    # the big file is most of the bytes, so most of the bar
    first_done = fractions[messages.index(f"rows read: {result.read - 2000:,} (file 1 of 2)")]
    assert first_done < 0.1

    class Stop(Exception):
        pass

    def stop_at_the_second_file(_fraction: float, message: str) -> None:
        if "file 2 of 2" in message:
            raise Stop(message)

    with pytest.raises(Stop, match="reading"):
        read_incidents(tmp_path, progress=stop_at_the_second_file)


def test_line_numbers_count_quoted_line_breaks_and_leading_blank_lines(
        tmp_path: Path) -> None:
    path = tmp_path / "multiline.csv"
    path.write_text("\n\nid,when,what,lon,lat\n"              # header on line 3
                    'k1,2024-01-05 10:00,"two\nlines",1,1\n'  # 4-5
                    "\n"                                      # 6: blank
                    ",,,,\n"                                  # 7: no cells
                    "k2,2024-01-05 10:00,x,,\n"               # 8: no coordinates
                    "k3,2024-01-05 10:00,y,2,2\n")            # 9
    result = read_incidents(path, mapping=parse_mapping(
        "id=id,datetime=when,description=what,lon=lon,lat=lat,tz=UTC"))
    assert result.incidents["source_line"].tolist() == [4, 9]
    assert result.incidents["description"].tolist() == ["two\nlines", "y"]
    assert by_line(result.rejects) == {8: "no_coordinates"}
    assert result.read == 3


def test_gb18030_with_chinese_headers_and_a_user_mapping(tmp_path: Path) -> None:
    path = tmp_path / "警情.csv"
    text = ("编号,报警时间,案件类别,经度,纬度,地址\n"
            "J001,2024-03-05 14:30,盗窃,116.397,39.908,北京市东城区东长安街\n"
            "J002,2024/03/05 23:05:10,入室盗窃,116.400,39.910,北京市东城区\n"
            "J003,2024-03-06,电信网络诈骗,116.401,39.911,\n"
            "J004,昨天晚上,抢劫,116.402,39.912,\n")
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(UnknownIncidentLayoutError, match="编号"):
        read_incidents(path)
    mapping = parse_mapping("id=编号,datetime=报警时间,category=案件类别,lon=经度,lat=纬度,"
                            "address=地址,tz=Asia/Shanghai")
    result = read_incidents(path, mapping=mapping)
    incidents = result.incidents
    assert incidents["source_id"].tolist() == ["J001", "J002", "J003"]
    assert incidents["category"].tolist() == ["theft", "burglary", "fraud"]
    assert incidents["source_category"].tolist() == ["盗窃", "入室盗窃", "电信网络诈骗"]
    assert incidents["address"].iloc[0] == "北京市东城区东长安街"
    assert pd.isna(incidents["address"].iloc[2])
    assert incidents["occurred_at"].tolist() == [
        pd.Timestamp("2024-03-05T06:30Z"), pd.Timestamp("2024-03-05T15:05:10Z"),
        pd.Timestamp("2024-03-05T16:00Z")]  # Asia/Shanghai is UTC+8
    assert incidents["time_resolution"].tolist() == ["minute", "minute", "day"]
    assert by_line(result.rejects) == {5: "bad_time"}
    assert result.rejects["编号"].tolist() == ["J004"]
    with pytest.raises(IncidentFileError, match="not utf-8"):
        read_incidents(path, mapping=mapping, encoding="utf-8")


def test_utf8_with_bom_semicolons_and_date_plus_time_columns(tmp_path: Path) -> None:
    path = tmp_path / "split.csv"
    path.write_text("\ufeffRef;Date;Time;Type;X;Y\n"
                    "r1;05/01/2024;23:15;Robbery;-122.41;37.77\n"
                    "r2;05/01/2024;;Robbery;-122.41;37.77\n"
                    "r3;05/01/2024;25:99;Robbery;-122.41;37.77\n", encoding="utf-8")
    mapping = parse_mapping("id=Ref,date=Date,time=Time,category=Type,lon=X,lat=Y,"
                            "date_format=%d/%m/%Y,tz=America/Los_Angeles")
    result = read_incidents(path, mapping=mapping)
    assert result.incidents["occurred_at"].tolist() == [
        pd.Timestamp("2024-01-06T07:15Z"), pd.Timestamp("2024-01-05T08:00Z")]
    assert result.incidents["time_resolution"].tolist() == ["minute", "day"]
    assert by_line(result.rejects) == {4: "bad_time"}


def test_offsets_in_the_text_need_no_time_zone_and_naive_times_do(tmp_path: Path) -> None:
    path = tmp_path / "iso.csv"
    path.write_text("id,t,lon,lat\n"
                    "o1,2024-01-02T03:04:00+08:00,1,1\n"
                    "o2,2024-01-02T03:04:00Z,1,1\n")
    mapping = parse_mapping("id=id,datetime=t,lon=lon,lat=lat")
    result = read_incidents(path, mapping=mapping)
    assert result.incidents["occurred_at"].tolist() == [
        pd.Timestamp("2024-01-01T19:04Z"), pd.Timestamp("2024-01-02T03:04Z")]
    path.write_text("id,t,lon,lat\nn1,2024-01-02 03:04,1,1\n")
    with pytest.raises(MissingTimezoneError, match="2024-01-02 03:04"):
        read_incidents(path, mapping=mapping)
    assert read_incidents(path, mapping=mapping, default_tz="UTC").accepted == 1


def test_clock_changes_take_the_first_of_a_repeated_hour(tmp_path: Path) -> None:
    path = tmp_path / "dst.csv"
    path.write_text("id,t,lon,lat\n"
                    "d1,2023-10-29 01:30,0.1,51.5\n"   # happens twice in London: BST first
                    "d2,2023-03-26 01:30,0.1,51.5\n")  # never happens: moved to 02:00 BST
    result = read_incidents(path, mapping=parse_mapping(
        "id=id,datetime=t,lon=lon,lat=lat,tz=Europe/London"))
    assert result.incidents["occurred_at"].tolist() == [
        pd.Timestamp("2023-10-29T00:30Z"), pd.Timestamp("2023-03-26T01:00Z")]


def test_british_national_grid_is_converted(tmp_path: Path) -> None:
    # Caister water tower, the worked example of the Ordnance Survey's "A guide to
    # coordinate systems in Great Britain": OSGB36 E 651409.903, N 313177.270 is
    # ETRS89 52°39'28.8282"N 1°42'57.8663"E. Without the OSTN15 grid pyproj uses a
    # Helmert transformation, good to a few metres.
    path = tmp_path / "bng.csv"
    path.write_text("ref,when,easting,northing\n"
                    "c1,2024-05-01 12:00,651409.903,313177.270\n"
                    "c2,2024-05-01 12:00,0,0\n"
                    "c3,2024-05-01 12:00,-9e9,313177\n")
    result = read_incidents(path, mapping=parse_mapping(
        "id=ref,datetime=when,x=easting,y=northing,crs=27700,tz=Europe/London"))
    point = result.incidents.geometry.iloc[0]
    expected = (1 + 42 / 60 + 57.8663 / 3600, 52 + 39 / 60 + 28.8282 / 3600)
    distance_m = Geod(ellps="WGS84").inv(point.x, point.y, *expected)[2]
    assert distance_m < 10
    assert by_line(result.rejects) == {3: "zero_coordinates", 4: "coordinates_out_of_range"}


def test_geojson_input_with_geometries(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"Crime ID": ["g1", "g2", "g3"], "Month": ["2024-02", "2024-02", "2024-02"],
         "Crime type": ["Robbery", "Drugs", "Shoplifting"]},
        geometry=[Point(-0.1, 51.5), None, Point(0, 0)], crs=4326)
    path = tmp_path / "crimes.geojson"
    frame.to_file(path, driver="GeoJSON")
    result = read_incidents(path)
    assert result.layouts == {"crimes.geojson": "police_uk"}  # geometry stands in for lon/lat
    assert result.incidents["source_id"].tolist() == ["g1"]
    assert result.incidents["category"].tolist() == ["robbery"]
    assert by_line(result.rejects) == {2: "no_coordinates", 3: "zero_coordinates"}
    lines = gpd.GeoDataFrame(frame.drop(columns="geometry"),
                             geometry=[LineString([(0, 0), (1, 1)])] * 3, crs=4326)
    lines.to_file(tmp_path / "lines.geojson", driver="GeoJSON")
    with pytest.raises(GeometryTypeError, match="points"):
        read_incidents(tmp_path / "lines.geojson")


def test_geopackage_in_british_national_grid_with_datetime_fields(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"ref": [101, 102], "reported": pd.to_datetime(["2024-06-01 22:10",
                                                        "2024-06-02 08:00"]),
         "kind": ["Burglary", "Vehicle crime"]},
        geometry=[Point(651409.903, 313177.270), Point(530000, 180000)], crs=27700)
    path = tmp_path / "incidents.gpkg"
    frame.to_file(path, layer="incidents", driver="GPKG")
    gpd.GeoDataFrame({"name": ["beat"]}, geometry=[box(0, 0, 1, 1)], crs=27700).to_file(
        path, layer="beats", driver="GPKG")
    mapping = parse_mapping("id=ref,datetime=reported,category=kind,tz=Europe/London")
    result = read_incidents(path, mapping=mapping)  # the one point layer is chosen
    incidents = result.incidents
    assert incidents["source_id"].tolist() == ["101", "102"]
    assert incidents["category"].tolist() == ["burglary", "vehicle_crime"]
    assert incidents["occurred_at"].tolist() == [pd.Timestamp("2024-06-01T21:10Z"),
                                                 pd.Timestamp("2024-06-02T07:00Z")]
    assert incidents["source_line"].tolist() == [1, 2]  # feature numbers
    assert incidents.geometry.iloc[0].x == pytest.approx(1.71605, abs=1e-4)
    assert incidents.geometry.iloc[1].y == pytest.approx(51.5, abs=0.05)
    with pytest.raises(MissingColumnError, match="'nope'"):
        read_incidents(path, mapping=mapping.updated(ColumnMapping(address="nope")))


def test_a_mapped_column_missing_from_the_file_is_named(police_csv: Path) -> None:
    with pytest.raises(MissingColumnError, match="'Outcome'"):
        read_incidents(police_csv, mapping=ColumnMapping(description="Outcome"))


def test_old_sfpd_schema_with_date_and_time_columns(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_text(
        "IncidntNum,Category,Descript,DayOfWeek,Date,Time,PdDistrict,Resolution,Address,"
        "X,Y,Location,PdId\n"
        '150060275,NON-CRIMINAL,LOST PROPERTY,Monday,01/19/2015 12:00:00 AM,14:00,MISSION,'
        'NONE,18TH ST / VALENCIA ST,-122.42158168137,37.7617007179518,'
        '"(37.7617007179518, -122.42158168137)",15006027571000\n'
        '150098210,ROBBERY,"ROBBERY, BODILY FORCE",Sunday,02/01/2015,15:45,TENDERLOIN,NONE,'
        '300 Block of LEAVENWORTH ST,-122.414406029855,37.7841907151119,'
        '"(37.7841907151119, -122.414406029855)",15009821003074\n')
    result = read_incidents(path)
    assert result.layouts == {"legacy.csv": "sfpd_legacy"}
    incidents = result.incidents
    assert incidents["source_id"].tolist() == ["15006027571000", "15009821003074"]
    assert incidents["category"].tolist() == ["non_crime", "robbery"]
    assert incidents["occurred_at"].tolist() == [pd.Timestamp("2015-01-19T22:00Z"),
                                                 pd.Timestamp("2015-02-01T23:45Z")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_blank_lines_are_skipped_but_counted(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "blank.csv"
    lines = ["id,when,lon,lat", "", "k1,2024-01-05,1,1", "", "", "k2,2024-01-05,,", "", ""]
    path.write_bytes(newline.join(lines).encode())
    result = read_incidents(path, mapping=parse_mapping(
        "id=id,datetime=when,lon=lon,lat=lat,tz=UTC"))
    assert result.incidents["source_line"].tolist() == [3]
    assert by_line(result.rejects) == {6: "no_coordinates"}
    assert result.incidents["time_resolution"].tolist() == ["day"]
