"""Camera registry rules: GB/T 28181 IDs, camera records and CSV import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dispatch.cameras import (
    CAMERA_TYPE_CODES,
    DEFAULT_RANGE_M,
    PROVINCES,
    CameraInput,
    CameraKind,
    CameraStatus,
    InvalidGbId,
    RowError,
    describe_gb_type,
    parse_camera_csv,
    validate_gb_id,
)

IPC_WUHU = "34020000001320000001"  # the ID many vendors ship as an example: Anhui, IPC


def field_errors(**data: Any) -> dict[str, str]:
    """Validate a camera that must fail; return {field: message}."""
    base: dict[str, Any] = {"name": "East gate", "lon": 117.38, "lat": 31.33}
    with pytest.raises(ValidationError) as caught:
        CameraInput.model_validate({**base, **data})
    return {str(e["loc"][0]) if e["loc"] else "": e["msg"] for e in caught.value.errors()}


# --- GB/T 28181 IDs -----------------------------------------------------------------------


def test_a_vendor_example_id_splits_into_its_five_parts() -> None:
    gb = validate_gb_id(IPC_WUHU)
    assert (gb.region_code, gb.industry_code, gb.type_code, gb.network_flag, gb.serial) == (
        "34020000", "00", "132", "0", "000001")
    assert (gb.province_code, gb.city_code, gb.county_code, gb.unit_code) == (
        "34", "02", "00", "00")
    assert (gb.province_en, gb.province_zh) == ("Anhui", "安徽省")
    assert (gb.type_en, gb.type_zh) == ("IP camera (IPC)", "网络摄像机（IPC）")
    assert gb.network_zh == "监控报警专网"
    assert gb.is_camera
    assert str(gb) == IPC_WUHU


@pytest.mark.parametrize(("value", "province", "type_en", "network_en"), [
    ("44030500001310000123", "Guangdong", "camera", "monitoring and alarm private network"),
    ("11010200001185000002", "Beijing", "NVR", "public-security information network"),
    ("65010000051210000001", "Xinjiang", "video checkpoint",
     "monitoring and alarm private network"),
    ("  32128101041110000007\t", "Jiangsu", "DVR", "monitoring and alarm private network"),
])
def test_real_looking_ids_are_accepted(value: str, province: str, type_en: str,
                                       network_en: str) -> None:
    gb = validate_gb_id(value)
    assert gb.value == value.strip()
    assert (gb.province_en, gb.type_en, gb.network_en) == (province, type_en, network_en)
    assert gb.is_camera == (gb.type_code in ("131", "132"))


@pytest.mark.parametrize(("value", "message"), [
    ("", "GB/T 28181 ID is empty"),
    ("   ", "GB/T 28181 ID is empty"),
    ("3402000000132000000", "GB/T 28181 ID must be 20 digits, got 19"),
    ("340200000013200000012", "GB/T 28181 ID must be 20 digits, got 21"),
    ("3402A000001320000001", "GB/T 28181 ID has a non-digit 'A' at position 5"),
    ("34020000-01320000001", "GB/T 28181 ID has a non-digit '-' at position 9"),
    ("3402 000001320000001", "GB/T 28181 ID has a non-digit ' ' at position 5"),
    ("3402000000132000000１",
     "GB/T 28181 ID has a non-digit '１' at position 20 (a full-width digit; use 0-9)"),
    ("3.402E+19",
     "GB/T 28181 ID '3.402E+19' is a number a spreadsheet rounded; store the column as text"),
    ("00020000001320000001", "GB/T 28181 ID has an unknown province code '00' (digits 1-2)"),
    ("99020000001320000001", "GB/T 28181 ID has an unknown province code '99' (digits 1-2)"),
    ("16020000001320000001", "GB/T 28181 ID has an unknown province code '16' (digits 1-2)"),
    ("81020000001320000001", "GB/T 28181 ID has province code '81' (Hong Kong, digits 1-2), "
     "which is not accepted"),
    ("71020000001320000001", "GB/T 28181 ID has province code '71' (Taiwan, digits 1-2)"),
    ("34020000000990000001", "GB/T 28181 ID has an unknown type code '099' (digits 11-13)"),
    ("34020000002000000001", "GB/T 28181 ID has type code '200' (central signalling control "
     "server, digits 11-13), which is not a camera or video device type; accepted: 111 DVR, "
     "112 video server, 113 encoder, 118 NVR, 121 video checkpoint, 122 multi-lens device, "
     "130 HVR, 131 camera, 132 IP camera (IPC)"),
    ("34020000001340000001", "GB/T 28181 ID has type code '134' (alarm input device, "
     "digits 11-13), which is not a camera or video device type"),
    ("34020000001380000001", "GB/T 28181 ID has type code '138' (mobile transmission device"),
    ("34020000002160000001", "GB/T 28181 ID has type code '216' (virtual organisation"),
    ("34020000001190000001", "GB/T 28181 ID has type code '119' (extended front-end main device"),
])
def test_each_broken_rule_is_named(value: str, message: str) -> None:
    with pytest.raises(InvalidGbId) as caught:
        validate_gb_id(value)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_exactly_the_camera_type_codes_are_accepted_among_all_thousand() -> None:
    accepted = set()
    for number in range(1000):
        code = f"{number:03d}"
        try:
            validate_gb_id(f"3402000000{code}0000001")
        except InvalidGbId as exc:
            assert ("unknown type code" in str(exc)) == (number < 111), code
        else:
            accepted.add(code)
    assert accepted == set(CAMERA_TYPE_CODES) == {
        "111", "112", "113", "118", "121", "122", "130", "131", "132"}


def test_exactly_the_31_mainland_province_codes_are_accepted() -> None:
    accepted = set()
    for number in range(100):
        try:
            validate_gb_id(f"{number:02d}020000001320000001")
        except InvalidGbId:
            continue
        accepted.add(number)
    assert accepted == {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                        41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
    assert {int(code) for code in PROVINCES} == accepted


def test_type_codes_are_described_by_name_or_by_reserved_range() -> None:
    assert describe_gb_type("132") == ("IP camera (IPC)", "网络摄像机（IPC）")
    assert describe_gb_type("126") == ("extended front-end main device", "扩展的前端主设备")
    assert describe_gb_type("150") == ("extended front-end peripheral device",
                                       "扩展的前端外围设备")
    assert describe_gb_type("700") == ("extended type", "扩展类型")
    assert describe_gb_type("110") is None
    assert describe_gb_type("1x2") is None
    assert describe_gb_type("１３２") is None


# --- camera records -----------------------------------------------------------------------


def test_labels_and_codes_of_kinds_and_statuses() -> None:
    assert [k.value for k in CameraKind] == ["fixed", "dome", "ptz", "checkpoint"]
    assert CameraKind.CHECKPOINT.label_zh == "卡口"
    assert CameraKind.PTZ.label_en == "PTZ"
    assert all(k.label_en and k.label_zh for k in CameraKind)
    assert [s.value for s in CameraStatus] == ["online", "degraded", "offline", "unknown",
                                               "maintenance"]
    assert CameraStatus.OFFLINE.label_zh == "离线"


def test_a_minimal_camera_gets_the_documented_defaults() -> None:
    camera = CameraInput(name="  East gate ", lon=117.38, lat=31.33)
    assert camera.name == "East gate"
    assert camera.kind is CameraKind.FIXED
    assert camera.range_m == 60.0
    assert camera.status is CameraStatus.UNKNOWN
    assert camera.azimuth_deg is camera.fov_deg is camera.height_m is None
    assert camera.stream_url is camera.gb_id is camera.area is None


@pytest.mark.parametrize(("kind", "range_m"), [
    ("fixed", 60.0), ("dome", 40.0), ("ptz", 120.0), ("checkpoint", 30.0)])
def test_the_default_range_depends_on_the_kind(kind: str, range_m: float) -> None:
    camera = CameraInput.model_validate({"name": "c", "lon": 0, "lat": 0, "kind": kind})
    assert camera.range_m == range_m == DEFAULT_RANGE_M[CameraKind(kind)]
    given = CameraInput.model_validate(
        {"name": "c", "lon": 0, "lat": 0, "kind": kind, "range_m": 250})
    assert given.range_m == 250.0
    blank = CameraInput.model_validate(
        {"name": "c", "lon": 0, "lat": 0, "kind": kind, "range_m": None})
    assert blank.range_m == range_m


@pytest.mark.parametrize(("given", "stored"), [
    (0, 0.0), (90, 90.0), (359.5, 359.5), (360, 0.0), (-90, 270.0), (725, 5.0),
    (-720, 0.0), (-1e-20, 0.0), ("45", 45.0)])
def test_azimuth_is_stored_modulo_360(given: float | str, stored: float) -> None:
    camera = CameraInput.model_validate({"name": "c", "lon": 0, "lat": 0,
                                         "azimuth_deg": given})
    assert camera.azimuth_deg == stored
    assert 0 <= camera.azimuth_deg < 360


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": ""}, "name", "String should have at least 1 character"),
    ({"name": "x" * 201}, "name", "String should have at most 200 characters"),
    ({"lon": 180.5}, "lon", "Input should be less than or equal to 180"),
    ({"lon": True}, "lon", "must be a number, not true or false"),
    ({"lat": float("nan")}, "lat", "Input should be a finite number"),
    ({"lat": "north"}, "lat", "Input should be a valid number"),
    ({"azimuth_deg": float("inf")}, "azimuth_deg", "Input should be a finite number"),
    ({"fov_deg": 0}, "fov_deg", "Input should be greater than 0"),
    ({"fov_deg": 360.1}, "fov_deg", "Input should be less than or equal to 360"),
    ({"range_m": 0}, "range_m", "Input should be greater than 0"),
    ({"range_m": 5000.5}, "range_m", "Input should be less than or equal to 5000"),
    ({"height_m": -0.5}, "height_m", "Input should be greater than or equal to 0"),
    ({"height_m": 201}, "height_m", "Input should be less than or equal to 200"),
    ({"kind": "drone"}, "kind", "unknown camera kind 'drone'; use fixed, dome, ptz or "
     "checkpoint (固定枪机, 半球, 云台/球机, 卡口)"),
    ({"status": "broken"}, "status", "unknown camera status 'broken'; use online, degraded, "
     "offline, unknown or maintenance"),
    ({"gb_id": "34020000001330000001"}, "gb_id", "GB/T 28181 ID has type code '133' "
     "(display, digits 11-13), which is not a camera or video device type; accepted: "),
    ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
])
def test_each_field_gets_its_own_message(data: dict[str, Any], field: str,
                                         message: str) -> None:
    errors = field_errors(**data)
    assert list(errors) == [field]
    assert errors[field].startswith(message)


def test_every_wrong_field_is_reported_at_once() -> None:
    errors = field_errors(name="", lon=200, lat=-91, fov_deg=-1, gb_id="1")
    assert set(errors) == {"name", "lon", "lat", "fov_deg", "gb_id"}


@pytest.mark.parametrize(("alias", "kind"), [
    ("球机", CameraKind.PTZ), ("云台", CameraKind.PTZ), ("PTZ", CameraKind.PTZ),
    ("panning", CameraKind.PTZ), ("半球", CameraKind.DOME), ("固定", CameraKind.FIXED),
    ("枪机", CameraKind.FIXED), (" Fixed ", CameraKind.FIXED), ("卡口", CameraKind.CHECKPOINT),
    ("ALPR", CameraKind.CHECKPOINT), (CameraKind.DOME, CameraKind.DOME)])
def test_kind_aliases(alias: str, kind: CameraKind) -> None:
    camera = CameraInput.model_validate({"name": "c", "lon": 0, "lat": 0, "kind": alias})
    assert camera.kind is kind


@pytest.mark.parametrize(("alias", "status"), [
    ("ON", CameraStatus.ONLINE), ("off", CameraStatus.OFFLINE), ("在线", CameraStatus.ONLINE),
    ("维护", CameraStatus.MAINTENANCE), ("Unknown", CameraStatus.UNKNOWN)])
def test_status_aliases(alias: str, status: CameraStatus) -> None:
    camera = CameraInput.model_validate({"name": "c", "lon": 0, "lat": 0, "status": alias})
    assert camera.status is status


@pytest.mark.parametrize("url", [
    "rtsp://10.20.30.40:554/Streaming/Channels/101",
    "RTSP://cam-12.local/live",
    "rtsps://video.example.org/cam/3",
    "http://10.0.0.9/snapshot.jpg",
    "https://vms.example.org/api/stream?id=7",
    "rtsp://[fd00::12]:554/h264",
    "rtsp://admin:secret@10.0.0.5/main",
    "file:///srv/video/east-gate.mp4",
    "/srv/video/east-gate.mp4",
])
def test_stream_urls_that_are_accepted(url: str) -> None:
    camera = CameraInput.model_validate({"name": "c", "lon": 0, "lat": 0, "stream_url": url})
    assert camera.stream_url == url


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://10.0.0.1/video", "stream URL scheme 'ftp' is not allowed; use rtsp, rtsps, http, "
     "https, file or an absolute path"),
    ("rtmp://10.0.0.1/live", "stream URL scheme 'rtmp' is not allowed"),
    ("rtsp:///Streaming/Channels/101", "stream URL has no host"),
    ("rtsp://admin@:554/x", "stream URL has no host"),
    ("file://nas/video.mp4", "stream URL must be a local file URL: file:///absolute/path"),
    ("videos/east.mp4", "stream URL is neither a URL (rtsp, rtsps, http, https, file) nor an "
     "absolute path"),
    ("10.0.0.1:554/live", "stream URL is neither a URL"),
    ("rtsp://10.0.0.1/live stream", "stream URL contains a space or control character"),
])
def test_stream_urls_that_are_refused(url: str, message: str) -> None:
    errors = field_errors(stream_url=url)
    assert list(errors) == ["stream_url"]
    assert errors["stream_url"].startswith(message)


def test_gb_id_is_stored_stripped_and_empty_optionals_mean_not_given() -> None:
    camera = CameraInput.model_validate({
        "name": "c", "lon": 0, "lat": 0, "gb_id": f" {IPC_WUHU} ", "stream_url": "",
        "area": "  ", "azimuth_deg": "", "fov_deg": "", "height_m": ""})
    assert camera.gb_id == IPC_WUHU
    assert camera.stream_url is camera.area is camera.azimuth_deg is None
    assert camera.fov_deg is camera.height_m is None


def test_a_camera_record_cannot_be_edited_after_validation() -> None:
    camera = CameraInput(name="c", lon=0, lat=0)
    with pytest.raises(ValidationError):
        camera.lon = 5  # type: ignore[misc]


# --- CSV import ---------------------------------------------------------------------------


def test_a_comma_file_with_a_bom_and_english_aliases() -> None:
    text = ("\ufeffName,Lng,Latitude,Direction,Angle,Type,URL,GBID,Height,Status,Area\r\n"
            f"East gate,117.381,31.332,90,60,dome,rtsp://10.0.0.5/main,{IPC_WUHU},4.5,ON,"
            "Jinghu\r\n"
            "West gate,117.370,31.330,-45,,,,,,,\r\n")
    result = parse_camera_csv(text)
    assert result.errors == [] and result.warnings == []
    assert result.delimiter == ","
    assert result.lines == [2, 3]
    east, west = result.rows
    assert (east.name, east.lon, east.lat, east.azimuth_deg, east.fov_deg) == (
        "East gate", 117.381, 31.332, 90.0, 60.0)
    assert (east.kind, east.range_m, east.stream_url, east.gb_id) == (
        CameraKind.DOME, 40.0, "rtsp://10.0.0.5/main", IPC_WUHU)
    assert (east.height_m, east.status, east.area) == (4.5, CameraStatus.ONLINE, "Jinghu")
    assert (west.azimuth_deg, west.kind, west.range_m, west.gb_id) == (
        315.0, CameraKind.FIXED, 60.0, None)


def test_chinese_headings_semicolons_and_decimal_commas() -> None:
    text = ("\ufeff名称;经度;纬度;方向;视角;距离;类型;国标编码;高度;状态;区域\n"
            "镜湖路口;118,376;31,334;180;90;;球机;34020200001320000017;6;在线;镜湖区\n"
            "火车站卡口;118.41;31.35;0;;25;卡口;34020200001210000003;;离线;\n")
    result = parse_camera_csv(text)
    assert result.errors == [] and result.warnings == []
    assert result.delimiter == ";"
    crossing, checkpoint = result.rows
    assert (crossing.name, crossing.lon, crossing.lat) == ("镜湖路口", 118.376, 31.334)
    assert (crossing.kind, crossing.range_m, crossing.status) == (
        CameraKind.PTZ, 120.0, CameraStatus.ONLINE)
    assert crossing.area == "镜湖区"
    assert (checkpoint.kind, checkpoint.range_m, checkpoint.fov_deg) == (
        CameraKind.CHECKPOINT, 25.0, None)


def test_a_tab_separated_file() -> None:
    result = parse_camera_csv("name\tx\ty\nA\t1.5\t2.5\n")
    assert result.delimiter == "\t"
    assert [(c.name, c.lon, c.lat) for c in result.rows] == [("A", 1.5, 2.5)]


def test_a_decimal_comma_in_a_comma_file_is_not_guessed() -> None:
    result = parse_camera_csv('name,lon,lat\nA,"118,37",31.3\n')
    assert result.rows == []
    assert result.errors == [RowError(2, "lon", "Input should be a valid number, unable to "
                                               "parse string as a number (got '118,37')")]


def test_bad_rows_are_reported_by_line_and_field_and_never_stop_good_ones() -> None:
    text = "\n".join([
        "name,lon,lat,fov,gb_id,kind,stream_url",                 # 1
        "Good 1,117.1,31.1,90,,,",                                # 2
        ",117.2,31.2,,,,",                                        # 3 name empty
        "Bad lat,117.3,95,,,,",                                   # 4
        "",                                                       # 5 blank: skipped
        '"Multi',                                                 # 6 a quoted name
        'line",117.4,abc,,,,',                                    # 7 ... spanning lines
        "Bad id,117.5,31.5,,3402000000132000000X,,",              # 8
        "Bad many,117.6,31.6,400,,drone,ftp://x/y",               # 9
        "Good 2,117.7,31.7,,,ptz,",                               # 10
        "Extra,117.8,31.8,,,,,unexpected",                        # 11
        "Short,117.9",                                            # 12
        "Excel id,118.0,32.0,,3.402E+19,,",                       # 13
        "Good 3,118.1,32.1,,,,,,",                                # 14 empty extra cells: fine
    ]) + "\n"
    result = parse_camera_csv(text)
    assert [c.name for c in result.rows] == ["Good 1", "Good 2", "Good 3"]
    assert result.lines == [2, 10, 14]
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "name"), (4, "lat"), (6, "lat"), (8, "gb_id"),
        (9, "kind"), (9, "fov_deg"), (9, "stream_url"), (11, None), (12, "lat"), (13, "gb_id"),
    ]
    messages = {(e.row, e.field): e.message for e in result.errors}
    assert messages[3, "name"] == "required, but the cell is empty"
    assert messages[4, "lat"] == "Input should be less than or equal to 90 (got '95')"
    assert messages[8, "gb_id"] == "GB/T 28181 ID has a non-digit 'X' at position 20"
    assert messages[9, "kind"].startswith("unknown camera kind 'drone'")
    assert messages[11, None] == "row has 8 cells but the heading has 7"
    assert messages[12, "lat"] == "required, but the cell is empty"
    assert messages[13, "gb_id"].startswith("GB/T 28181 ID '3.402E+19' is a number")
    assert result.warnings == []


def test_a_duplicate_gb_id_is_an_error_on_the_later_row() -> None:
    text = (f"name,lon,lat,gb_id\nA,1,1,{IPC_WUHU}\nB,2,2,34020000001320000002\n"
            f"C,3,3, {IPC_WUHU} \nD,4,99,34020000001320000002\nE,5,5,34020000001320000002\n")
    result = parse_camera_csv(text)
    assert [c.name for c in result.rows] == ["A", "B"]
    assert result.errors == [
        RowError(4, "gb_id", f"duplicate gb_id {IPC_WUHU}; first on line 2"),
        RowError(5, "lat", "Input should be less than or equal to 90 (got '99')"),
        RowError(5, "gb_id", "duplicate gb_id 34020000001320000002; first on line 3"),
        RowError(6, "gb_id", "duplicate gb_id 34020000001320000002; first on line 3"),
    ]


def test_an_unknown_column_is_one_warning_not_an_error() -> None:
    text = "name,lon,lat,owner,\nA,1,1,city,\nB,2,2,county,\n"
    result = parse_camera_csv(text)
    assert [c.name for c in result.rows] == ["A", "B"]
    assert result.errors == []
    assert result.warnings == [
        RowError(1, "owner", "unknown column 'owner' ignored"),
        RowError(1, None, "column 5 has no heading; ignored"),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("name,x\nA,1\n", "missing required columns: lat (found: name, x)"),
    ("名称;备注\n东门;无\n", "missing required columns: lon, lat (found: 名称, 备注)"),
    ("lon,lat,x\n1,2,3\n", "missing required columns: name (found: lon, lat, x); "
     "columns 'lon', 'x' all give lon"),
    ("name,lon,lat,经度\nA,1,2,3\n", "columns 'lon', '经度' all give lon"),
])
def test_missing_or_doubled_columns_are_one_error_and_no_rows(text: str, message: str) -> None:
    result = parse_camera_csv(text)
    assert result.rows == []
    assert result.errors == [RowError(1, None, message)]


def test_the_heading_line_is_counted_after_leading_blank_lines() -> None:
    result = parse_camera_csv("\n\nname,lon,lat\nA,1,1\nB,1,\n")
    assert result.lines == [4]
    assert result.errors == [RowError(5, "lat", "required, but the cell is empty")]


@pytest.mark.parametrize("text", ["", "\ufeff", "\n \n"])
def test_an_empty_file_is_one_error(text: str) -> None:
    assert parse_camera_csv(text).errors == [RowError(1, None, "the file is empty")]


def test_the_package_imports_only_the_standard_library_and_pydantic() -> None:
    package = Path(__file__).resolve().parents[2] / "dispatch" / "cameras"
    sources = sorted(package.glob("*.py"))
    assert sources
    imported: set[str] = set()
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported |= {alias.name.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    # besides the standard library and pydantic, only the dispatch package's own pure
    # modules (dispatch.tabular: the CSV helpers every importer shares)
    assert imported - {"__future__", "pydantic", "pydantic_core", "dispatch"} \
        <= sys.stdlib_module_names
