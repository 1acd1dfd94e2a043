"""GB/T 28181 catalogue import on real PostGIS, from the command line and the API: a GCJ-02
catalogue lands on the WGS-84 truth, GB18030 names read, DeviceID upserts, the state
follows the catalogue with its history, bad files are refused and nothing is written."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from dispatch.cameras.catalog import MAX_CATALOG_BYTES
from gis import crs
from tests.catalogs import camera_id, group, item, response, split_responses
from tests.gis.test_datums import reference_wgs84_to_gcj02

GEOD = pyproj.Geod(ellps="WGS84")
WUHU = (118.3764, 31.3260)  # 芜湖, Anhui (the IDs' province 34)
TABLES = ("cameras", "camera_catalog", "camera_status_changes", "audit_log")


def counts(connection: sa.Connection) -> dict[str, int]:
    return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in TABLES}


def cameras(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    rows = connection.execute(sa.text(
        "SELECT c.gb_id, c.id, c.name, c.kind, c.status, c.azimuth_deg, c.fov_deg, c.range_m,"
        " c.source, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.coverage IS NOT NULL AS seen,"
        " k.manufacturer, k.address, k.status AS said, k.source_lon, k.datum, k.details"
        " FROM cameras c LEFT JOIN camera_catalog k ON k.camera_id = c.id")).mappings()
    return {r["gb_id"]: dict(r) for r in rows}


def truth_points(count: int) -> np.ndarray:
    rng = np.random.default_rng(28181)
    return np.column_stack([rng.uniform(WUHU[0] - 0.05, WUHU[0] + 0.05, count),
                            rng.uniform(WUHU[1] - 0.04, WUHU[1] + 0.04, count)])


def post(client: FlaskClient, headers: dict[str, str], *files: bytes, **form: str) -> Any:
    data: dict[str, Any] = {"files": [(io.BytesIO(f), f"catalog-{i}.xml")
                                      for i, f in enumerate(files)]} | form
    return client.post("/api/v1/cameras/catalog", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_a_gcj02_catalogue_from_the_command_line_lands_within_a_metre_of_the_truth(
        runner: FlaskCliRunner, connection: sa.Connection, tmp_path: Path) -> None:
    truth = truth_points(40)
    on_amap = [reference_wgs84_to_gcj02(x, y) for x, y in truth]
    items = [item(camera_id(i + 1), f"路口 {i + 1}", lon=f"{x:.8f}", lat=f"{y:.8f}")
             for i, (x, y) in enumerate(on_amap)]
    items += [group("340202", "镜湖区"), group("34020000002160000001", "东区派出所"),
              item(camera_id(900, type_code="118"), "NVR")]
    files = []
    for number, part in enumerate(split_responses(items, 20, encoding="GB2312"), start=1):
        path = tmp_path / f"catalog-{number}.xml"
        path.write_bytes(part.encode("gb18030"))
        files.append(str(path))
    result = runner.invoke(args=["import", "catalog", *files, "--datum", "gcj02",
                                 "--reason", "county catalogue"])
    assert result.exit_code == 0, result.output
    assert "cameras: 40 created, 0 updated, 0 refused" in result.output
    assert ("skipped 3 items that are not cameras: 1 administrative division (civil code), "
            "1 virtual organisation (type 216), 1 NVR (type 118)") in result.output
    assert "coordinates read as gcj02" in result.output
    stored = cameras(connection)
    got = np.array([(stored[camera_id(i + 1)]["lon"], stored[camera_id(i + 1)]["lat"])
                    for i in range(40)])
    assert GEOD.inv(truth[:, 0], truth[:, 1], got[:, 0], got[:, 1])[2].max() < 1.0
    first = stored[camera_id(1)]
    assert (first["name"], first["source"], first["datum"], first["status"], first["seen"]) == (
        "路口 1", "gb28181", "gcj02", "online", True)
    assert first["source_lon"] == pytest.approx(on_amap[0][0], abs=1e-8)
    audit = connection.execute(sa.text(
        "SELECT reason, details FROM audit_log WHERE action = 'camera.catalog_import'")).one()
    assert audit.reason == "county catalogue"
    assert (audit.details["created"], audit.details["datum"]) == (40, "gcj02")


def test_a_gb18030_catalogue_with_chinese_names_over_the_api(
        client: FlaskClient, supervisor: dict[str, str], connection: sa.Connection) -> None:
    names = ["芜湖市镜湖区中山路与北京路交叉口东北角", "鸠江区 银湖北路 卡口", "弋矶山医院 南门"]
    text = response([item(camera_id(i + 1), name, lon=WUHU[0] + i * 0.001, lat=WUHU[1],
                          info={"PTZType": "1"} if i == 0 else None)
                     for i, name in enumerate(names)], encoding="GB2312")
    answer = post(client, supervisor, text.encode("gb18030"), datum="wgs84")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["created"], body["encodings"], body["refused"]) == (3, ["gb18030"], [])
    stored = cameras(connection)
    assert [stored[camera_id(i + 1)]["name"] for i in range(3)] == names
    assert stored[camera_id(1)]["kind"] == "ptz"
    assert stored[camera_id(1)]["address"] == names[0] + " 路口"
    assert stored[camera_id(1)]["manufacturer"] == "Hikvision"
    dumped = connection.execute(sa.text("SELECT details::text FROM camera_catalog")).scalars()
    assert not any("s3cret" in d for d in dumped)  # the device password is never kept
    shown = client.get(f"/api/v1/cameras/{stored[camera_id(1)]['id']}", headers=supervisor)
    assert shown.json["catalog"]["civil_code"] == "340200"


def test_upsert_by_device_id_updates_and_never_duplicates(
        runner: FlaskCliRunner, client: FlaskClient, supervisor: dict[str, str],
        connection: sa.Connection, tmp_path: Path) -> None:
    first = tmp_path / "first.xml"
    first.write_text(response([
        item(camera_id(1), "东门", lon=WUHU[0], lat=WUHU[1]),
        item(camera_id(2), "西门", lon=WUHU[0] + 0.001, lat=WUHU[1], status="OFF")]))
    assert runner.invoke(args=["import", "catalog", str(first)]).exit_code == 0
    before = cameras(connection)
    assert (before[camera_id(1)]["status"], before[camera_id(2)]["status"]) == (
        "online", "offline")
    camera = before[camera_id(1)]["id"]
    aimed = client.patch(f"/api/v1/cameras/{camera}", json={"azimuth_deg": 73,
                                                            "stream_url": "rtsp://10.1.2.7/1"},
                         headers=supervisor)
    assert aimed.status_code == 200, aimed.json
    connection.execute(sa.text("UPDATE cameras SET status = 'maintenance' WHERE gb_id = :g"),
                       {"g": camera_id(2)})
    moved = (WUHU[0] + 0.002, WUHU[1] + 0.001)
    second = tmp_path / "second.xml"
    second.write_text(response([
        item(camera_id(1), "东门 (新)", lon=moved[0], lat=moved[1], status="OFF",
             info={"DirectionType": "3", "HorizontalFieldAngle": "60"}),
        item(camera_id(2), "西门", lon=0, lat=0, status="ON"),
        item(camera_id(3), "南门", lon=WUHU[0], lat=WUHU[1] + 0.001)], sn=18))
    result = runner.invoke(args=["import", "catalog", str(second)])
    assert result.exit_code == 0, result.output
    assert "cameras: 1 created, 2 updated, 0 refused" in result.output
    assert "updated without moving (1: no coordinates)" in result.output
    after = cameras(connection)
    assert len(after) == 3 and after[camera_id(1)]["id"] == camera
    east = after[camera_id(1)]
    assert (east["name"], east["status"], east["fov_deg"]) == ("东门 (新)", "offline", 60)
    assert east["azimuth_deg"] == 73  # the hand-set aim beats the 8-way DirectionType
    assert (east["lon"], east["lat"]) == pytest.approx(moved)
    assert connection.execute(sa.text("SELECT stream_url FROM cameras WHERE id = :i"),
                              {"i": camera}).scalar_one() == "rtsp://10.1.2.7/1"
    west = after[camera_id(2)]
    assert (west["lon"], west["lat"]) == pytest.approx((WUHU[0] + 0.001, WUHU[1]))
    assert west["status"] == "maintenance" and west["said"] == "on"
    history = connection.execute(sa.text(
        "SELECT from_status, to_status, reason FROM camera_status_changes "
        "WHERE camera_id = :i ORDER BY id"), {"i": camera}).all()
    assert [tuple(h) for h in history] == [
        ("unknown", "online", "GB/T 28181 catalogue: ON"),
        ("online", "offline", "GB/T 28181 catalogue: OFF")]
    assert connection.execute(sa.text("SELECT count(*) FROM camera_catalog")).scalar_one() == 3


def test_skipped_refused_and_the_exit_status(runner: FlaskCliRunner,
                                             connection: sa.Connection,
                                             tmp_path: Path) -> None:
    partly = tmp_path / "partly.xml"
    partly.write_text(response([
        item(camera_id(1), "ok", lon=WUHU[0], lat=WUHU[1]),
        item(camera_id(2), "placeless"),
        item(camera_id(3), "junk", lon="east", lat=WUHU[1]),
        group("34020000002150000001", "治安监控")]))
    result = runner.invoke(args=["import", "catalog", str(partly)])
    assert result.exit_code == 3, result.output
    assert ("message 1, item 2: 34020000001320000002 placeless: no coordinates: Longitude "
            "and Latitude are missing or empty; a camera not yet known needs its place"
            ) in result.output
    assert "message 1, item 3: 34020000001320000003 junk: Longitude 'east' is not a number" \
        in result.output
    assert "34020000002150000001 治安监控: business group (type 215), not a camera" \
        in result.output
    before = counts(connection)
    groups_only = tmp_path / "groups.xml"
    groups_only.write_text(response([group("34", "安徽省"), group("3402", "芜湖市")]))
    nothing = runner.invoke(args=["import", "catalog", str(groups_only)])
    assert nothing.exit_code == 1, nothing.output
    assert nothing.output.startswith("Error: No cameras imported:")
    assert "2 skipped: administrative division (civil code)" in nothing.output
    assert counts(connection) == before


def billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE Response [<!ENTITY l0 "ha">{entities}]>'
            '<Response><CmdType>Catalog</CmdType><SumNum>1</SumNum><DeviceList Num="1">'
            "<Item><DeviceID>&l9;</DeviceID></Item></DeviceList></Response>").encode()


BAD = {
    "billion laughs": (billion_laughs(), "declares a DTD"),
    "malformed": (response([item(camera_id(1), "x", lon=WUHU[0], lat=WUHU[1])]).replace(
        "</Model>", "").encode(), "line 27, column 3: not well-formed XML (mismatched tag)"),
    "cut off": (response([item(camera_id(1), "x", lon=WUHU[0], lat=WUHU[1])])[:300].encode(),
                "it is cut off"),
    "not a catalogue": (b'{"cameras": []}', "no GB/T 28181 Catalog response"),
}


@pytest.mark.parametrize("kind", BAD)
def test_bad_catalogues_are_refused_and_nothing_is_written(
        runner: FlaskCliRunner, client: FlaskClient, supervisor: dict[str, str],
        connection: sa.Connection, tmp_path: Path, kind: str) -> None:
    content, words = BAD[kind]
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    before = counts(connection)
    result = runner.invoke(args=["import", "catalog", str(path), "--datum", "bd09"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: bad.xml") and words in result.output
    assert "Traceback" not in result.output
    answer = post(client, supervisor, content)
    assert answer.status_code == 422, answer.json
    assert (answer.json["field"], answer.json["error"]) == ("file", "invalid")
    assert words in answer.json["message"]
    assert counts(connection) == before


def test_an_oversize_file_is_refused_unread(runner: FlaskCliRunner, connection: sa.Connection,
                                            tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:  # sparse: nothing is really written
        handle.truncate(MAX_CATALOG_BYTES + 1)
    before = counts(connection)
    result = runner.invoke(args=["import", "catalog", str(path)])
    assert result.exit_code == 1
    assert f"huge.xml: the file is {MAX_CATALOG_BYTES + 1:,} bytes; at most" in result.output
    assert counts(connection) == before
    assert os.stat(path).st_blocks < 100  # the test itself stayed small


def test_the_datum_option_and_field_are_checked(runner: FlaskCliRunner, client: FlaskClient,
                                                supervisor: dict[str, str],
                                                tmp_path: Path) -> None:
    path = tmp_path / "c.xml"
    path.write_text(response([item(camera_id(1), "x", lon=WUHU[0], lat=WUHU[1])]))
    usage = runner.invoke(args=["import", "catalog", str(path), "--datum", "mars"])
    assert usage.exit_code == 2 and "unknown datum 'mars'" in usage.output
    answer = post(client, supervisor, path.read_bytes(), datum="mars")
    assert answer.status_code == 422 and answer.json["field"] == "datum"
    assert post(client, supervisor, path.read_bytes(), datum="BD-09").status_code == 422
    baidu = post(client, supervisor, path.read_bytes(), datum="bd09")
    assert baidu.status_code == 200 and baidu.json["datum"] == "bd09"
    lon, lat = crs.bd09_to_wgs84(*WUHU)
    shown = client.get("/api/v1/cameras", headers=supervisor).json["features"][0]
    assert shown["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)


def test_a_raw_xml_body_works_and_only_supervisors_import(
        client: FlaskClient, supervisor: dict[str, str], dispatcher: dict[str, str]) -> None:
    body = response([item(camera_id(1), "x", lon=WUHU[0], lat=WUHU[1])]).encode()
    refused = client.post("/api/v1/cameras/catalog", data=body, headers=dispatcher | {
        "Content-Type": "application/xml"})
    assert refused.status_code == 403
    answer = client.post("/api/v1/cameras/catalog?datum=gcj02&reason=test", data=body,
                         headers=supervisor | {"Content-Type": "application/xml"})
    assert answer.status_code == 200, answer.json
    assert (answer.json["created"], answer.json["datum"], answer.json["files"]) == (
        1, "gcj02", ["body"])
