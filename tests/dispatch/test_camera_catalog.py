"""GB/T 28181 catalogues: read safely in any of their encodings and layouts, sorted into
cameras, skipped items and refusals; the state the catalogue gives a camera."""

from __future__ import annotations

import codecs

import numpy as np
import pyproj
import pytest

from dispatch.cameras import CameraKind, CameraStatus
from dispatch.cameras.catalog import (
    CatalogStatus,
    InvalidCatalog,
    catalog_record,
    read_catalog,
    sort_catalog,
    status_after_catalog,
)
from tests.catalogs import camera_id, group, item, response, sip_message, split_responses
from tests.gis.test_datums import reference_wgs84_to_gcj02

GEOD = pyproj.Geod(ellps="WGS84")
HEFEI = (117.2272, 31.8206)


def sorted_of(*texts: str | bytes, datum: str = "wgs84"):  # type: ignore[no-untyped-def]
    sources = [(f"file{i}.xml", t if isinstance(t, bytes) else t.encode())
               for i, t in enumerate(texts)]
    document = read_catalog(sources)
    return document, sort_catalog(document.items, datum=datum)


def test_cameras_are_sorted_from_what_is_not_a_camera() -> None:
    items = [group("34", "安徽省"), group("340200", "芜湖市"),
             group("34020000002150000001", "治安监控"),      # business group
             group("34020000002160000001", "东区派出所"),    # virtual organisation
             item(camera_id(1, type_code="118"), "NVR 1", lon=HEFEI[0], lat=HEFEI[1]),
             item(camera_id(2, type_code="134"), "Door alarm"),
             item(camera_id(3), "东门", lon=HEFEI[0], lat=HEFEI[1]),
             item(camera_id(4, type_code="131"), "西门", lon=HEFEI[0] + 0.001, lat=HEFEI[1]),
             item(camera_id(5, type_code="121"), "卡口 北", lon=HEFEI[0], lat=HEFEI[1] + 0.001),
             item("3402000000", "SIP domain"),
             item(camera_id(6, region="99020000"), "Nowhere", lon=HEFEI[0], lat=HEFEI[1])]
    document, sorting = sorted_of(response(items))
    assert [c.name for c in sorting.cameras] == ["东门", "西门", "卡口 北"]
    assert sorting.cameras[2].kind is CameraKind.CHECKPOINT
    assert [(s.device_id, s.what_en) for s in sorting.skipped] == [
        ("34", "administrative division (civil code)"),
        ("340200", "administrative division (civil code)"),
        ("34020000002150000001", "business group (type 215)"),
        ("34020000002160000001", "virtual organisation (type 216)"),
        (camera_id(1, type_code="118"), "NVR (type 118)"),
        (camera_id(2, type_code="134"), "alarm input device (type 134)")]
    assert "its cameras are its channels" in sorting.skipped[4].why
    assert sorting.skipped[1].what_zh == "行政区划"
    assert [(r.device_id, r.field) for r in sorting.refused] == [
        ("3402000000", "DeviceID"), (camera_id(6, region="99020000"), "DeviceID")]
    assert "10 digits" in sorting.refused[0].message
    assert "province code '99'" in sorting.refused[1].message
    assert sorting.refused[0].where == "message 1, item 10"
    assert len(document.messages) == 1 and document.messages[0].items == 11


def test_a_gb18030_catalogue_declared_gb2312_reads_its_chinese_names() -> None:
    names = ["芜湖市镜湖区中山路与北京路交叉口东北角", "𠀋 扩展字符 camera", "银行·ATM 北侧"]
    text = response([item(camera_id(i + 1), name, lon=HEFEI[0] + i * 0.001, lat=HEFEI[1])
                     for i, name in enumerate(names)], encoding="GB2312")
    raw = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GB bytes
    document, sorting = sorted_of(raw)
    assert [c.name for c in sorting.cameras] == names
    assert document.messages[0].encoding == "gb18030"
    assert document.notes == []  # GB2312 declared, GB18030 (its superset) read: no surprise
    columns, _ = catalog_record(sorting.cameras[0].item)
    assert columns["address"] == names[0] + " 路口"


def test_declared_gb2312_but_sent_as_utf8_is_read_as_utf8_with_a_note() -> None:
    raw = response([item(camera_id(1), "东门", lon=HEFEI[0], lat=HEFEI[1])],
                   encoding="GB2312").encode("utf-8")
    document, sorting = sorted_of(raw)
    assert sorting.cameras[0].name == "东门"
    assert any("declares GB2312 but is UTF-8" in n for n in document.notes)


def test_messages_concatenated_or_in_a_sip_capture_and_a_lost_one_is_noted() -> None:
    items = [item(camera_id(i), f"cam {i}", lon=HEFEI[0] + i * 1e-4, lat=HEFEI[1])
             for i in range(1, 8)]
    parts = split_responses(items, 3)  # three messages: 3 + 3 + 1 items, SumNum 7
    document, sorting = sorted_of("".join(parts))
    assert len(document.messages) == 3 and len(sorting.cameras) == 7
    assert document.notes == []
    query = '<?xml version="1.0"?><Query><CmdType>Catalog</CmdType><SN>17</SN></Query>\n'
    captured = query + sip_message(parts[0]) + sip_message(parts[2], cseq=22)
    document, sorting = sorted_of(captured)
    assert [c.name for c in sorting.cameras] == ["cam 1", "cam 2", "cam 3", "cam 7"]
    assert any("promises SumNum 7; 4 items arrived: 3 missing" in n for n in document.notes)
    # one file per message works the same
    document, sorting = sorted_of(*parts)
    assert len(sorting.cameras) == 7 and document.messages[2].source == "file2.xml"


def test_an_item_listed_again_is_taken_from_the_later_message() -> None:
    first = response([item(camera_id(1), "old name", lon=HEFEI[0], lat=HEFEI[1])], sn=1)
    later = response([item(camera_id(1), "new name", lon=HEFEI[0], lat=HEFEI[1],
                           status="OFF")], sn=2)
    document, sorting = sorted_of(first + later)
    assert [(c.name, c.status) for c in sorting.cameras] == [("new name", CatalogStatus.OFF)]
    assert any("listed again" in n for n in document.notes)


def test_a_billion_laughs_catalogue_is_refused_before_any_expansion() -> None:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE Response [<!ENTITY lol0 "lol">'
            f'{entities}]>\n<Response><CmdType>Catalog</CmdType><SN>1</SN>'
            '<DeviceList Num="1"><Item><DeviceID>&lol9;</DeviceID></Item></DeviceList>'
            '</Response>')
    with pytest.raises(InvalidCatalog, match="DTD.*billion laughs"):
        read_catalog([("bomb.xml", bomb.encode())])
    xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<Response><CmdType>Catalog</CmdType><Name>&x;</Name></Response>')
    with pytest.raises(InvalidCatalog, match="DTD"):
        read_catalog([("xxe.xml", xxe.encode())])


@pytest.mark.parametrize(("content", "words"), [
    (b"", "file is empty"),
    (b"   \n\t\n", "file is empty"),
    (b"MESSAGE sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n", "no <Response> element"),
    (response([item(camera_id(1), "x")]).replace("</Name>", "</Nam>").encode(),
     "cat.xml line 10, column 10: not well-formed XML (mismatched tag)"),
    (response([item(camera_id(1), "x")])[:-40].encode(), "cut off"),
    (b"<Item></Item></Response>", "without its <Response>"),
    (b'<?xml version="1.0" encoding="klingon"?><Response/>', "'klingon', which is not known"),
    (b'<?xml version="1.0"?>\n<Response/>', "1 responses, none of them a Catalog"),
    (b"<Response>" + bytes(range(256)) * 4 + b"</Response>", "binary"),
    (response([item(camera_id(1), "x")]).replace("Catalog", "DeviceInfo").encode(),
     "1 responses, none of them a Catalog"),
])
def test_bad_catalogues_are_refused_naming_what_is_wrong(content: bytes, words: str) -> None:
    with pytest.raises(InvalidCatalog) as raised:
        read_catalog([("cat.xml", content)])
    assert words in str(raised.value)
    assert str(raised.value).startswith("cat.xml")


def test_oversize_and_too_many_items_are_refused() -> None:
    text = response([item(camera_id(i), f"c{i}", lon=HEFEI[0], lat=HEFEI[1])
                     for i in range(1, 6)]).encode()
    with pytest.raises(InvalidCatalog, match=f"is {len(text):,} bytes; at most 1,000"):
        read_catalog([("big.xml", text)], max_bytes=1000)
    with pytest.raises(InvalidCatalog, match="more than 3 items"):
        read_catalog([("many.xml", text)], max_items=3)


def test_a_utf16_file_and_lenient_tag_case() -> None:
    text = response([item(camera_id(1), "东门", lon=HEFEI[0], lat=HEFEI[1],
                          info={"PTZType": "1"})])
    text = text.replace("<DeviceID>", "<deviceID>").replace("</DeviceID>", "</deviceID>"
                                                             ).replace("Info>", "info>")
    raw = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    document, sorting = sorted_of(raw)
    assert document.messages[0].encoding == "utf-16"
    assert [(c.name, c.kind) for c in sorting.cameras] == [("东门", CameraKind.PTZ)]


def test_the_password_is_never_kept_and_the_record_holds_the_rest() -> None:
    document, sorting = sorted_of(response([item(camera_id(1), "东门", lon=HEFEI[0],
                                                 lat=HEFEI[1], info={"RoomType": "1"})]))
    fields = document.items[0].fields
    assert "Password" not in fields and "s3cret" not in repr(document)
    columns, details = catalog_record(sorting.cameras[0].item)
    assert columns == {"manufacturer": "Hikvision", "model": "DS-2CD", "owner": "Owner",
                       "civil_code": "340200", "address": "东门 路口",
                       "parent_id": "34020000002000000001"}
    assert details["IPAddress"] == "192.0.2.10" and details["info"] == {"RoomType": "1"}
    assert "Password" not in details and "DeviceID" not in details


def test_missing_and_zero_coordinates_are_named_and_bad_ones_refused() -> None:
    items = [item(camera_id(1), "none"), item(camera_id(2), "zeros", lon=0, lat="0.0"),
             item(camera_id(3), "half", lon=HEFEI[0], lat=""),
             item(camera_id(4), "junk", lon="117,22", lat=HEFEI[1]),
             item(camera_id(5), "swapped", lon=HEFEI[1], lat=HEFEI[0]),
             item(camera_id(6), "ok", lon=HEFEI[0], lat=HEFEI[1])]
    _, sorting = sorted_of(response(items))
    problems = {c.name: c.position_problem for c in sorting.cameras}
    assert problems == {
        "none": "no coordinates: Longitude and Latitude are missing or empty",
        "zeros": "no coordinates: Longitude and Latitude are 0",
        "half": "no coordinates: Latitude is missing or empty", "ok": None}
    refused = {r.name: (r.field, r.message) for r in sorting.refused}
    assert refused["junk"] == ("Longitude", "Longitude '117,22' is not a number")
    assert refused["swapped"][1].endswith("(Longitude and Latitude swapped?)")


def test_a_gcj02_catalogue_lands_within_a_metre_of_the_wgs84_truth() -> None:
    rng = np.random.default_rng(7)
    truth = np.column_stack([rng.uniform(117.1, 117.4, 50), rng.uniform(31.7, 31.95, 50)])
    on_amap = [reference_wgs84_to_gcj02(x, y) for x, y in truth]
    items = [item(camera_id(i + 1), f"c{i}", lon=f"{x:.8f}", lat=f"{y:.8f}")
             for i, (x, y) in enumerate(on_amap)]
    _, as_gcj = sorted_of(response(items), datum="gcj02")
    got = np.array([(c.lon, c.lat) for c in as_gcj.cameras])
    error_m = GEOD.inv(truth[:, 0], truth[:, 1], got[:, 0], got[:, 1])[2]
    assert error_m.max() < 1.0
    _, as_wgs = sorted_of(response(items))  # read as if WGS-84: hundreds of metres off
    wrong = np.array([(c.lon, c.lat) for c in as_wgs.cameras])
    assert GEOD.inv(truth[:, 0], truth[:, 1], wrong[:, 0], wrong[:, 1])[2].min() > 100
    assert as_gcj.cameras[0].source_lon == pytest.approx(on_amap[0][0], abs=1e-8)


def test_kind_direction_view_and_status_from_the_item() -> None:
    items = [item(camera_id(1), "dome", lon=HEFEI[0], lat=HEFEI[1], status="OFF",
                  info={"PTZType": "2", "DirectionType": "6", "HorizontalFieldAngle": "92.5",
                        "MaxViewDistance": "80"}),
             item(camera_id(2), "anpr", lon=HEFEI[0], lat=HEFEI[1], status="online",
                  info={"FunctionType": "01/03"}),
             item(camera_id(3), "odd", lon=HEFEI[0], lat=HEFEI[1], status="VLOST",
                  info={"PTZType": "9", "DirectionType": "0", "HorizontalFieldAngle": "400",
                        "MaxViewDistance": "9000"}),
             item(camera_id(4), "", lon=HEFEI[0], lat=HEFEI[1], status=None)]
    _, sorting = sorted_of(response(items))
    dome, anpr, odd, nameless = sorting.cameras
    assert (dome.kind, dome.azimuth_deg, dome.fov_deg, dome.range_m, dome.status) == (
        CameraKind.DOME, 45.0, 92.5, 80.0, CatalogStatus.OFF)
    assert (anpr.kind, anpr.status) == (CameraKind.CHECKPOINT, CatalogStatus.ON)
    assert (odd.kind, odd.azimuth_deg, odd.fov_deg, odd.range_m, odd.status) == (
        None, None, None, None, None)
    assert len(odd.notes) == 5 and "VLOST" in odd.notes[0]
    assert nameless.name == camera_id(4) and nameless.status is None


@pytest.mark.parametrize(("now", "said", "after"), [
    ("unknown", CatalogStatus.ON, "online"), ("offline", CatalogStatus.ON, "online"),
    ("online", CatalogStatus.OFF, "offline"), ("degraded", CatalogStatus.ON, "degraded"),
    ("degraded", CatalogStatus.OFF, "offline"), ("maintenance", CatalogStatus.OFF,
                                                 "maintenance"),
    ("online", None, "online")])
def test_the_state_after_the_catalogue(now: str, said: CatalogStatus | None,
                                       after: str) -> None:
    assert status_after_catalog(now, said) is CameraStatus(after)
