"""Checkpoints and passages through the API, on the real PostGIS: imports checked row by row
and never half-written, the live feed, plate searches with wildcards, every search with its
reason and its audit row, A then B, and who may do what."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from dispatch.checkpoints import straight_distance_m
from gis.crs import wgs84_to_gcj02
from tests.app.passages.conftest import iso, local, utc
from tests.conftest import Accounts, csrf_token, login

CSV = f"""卡口编号,过车时间,号牌号码,方向,车道,车辆类型,车身颜色,号牌颜色
K01,{local(8, 0)},粤B12345,东向西,1,小型轿车,白,蓝
K02,{local(8, 20)},粤Ｂ１２３４５,,2,小型轿车,白,蓝
K01,{local(9, 0)},粤B67845,西向东,1,小型轿车,黑,蓝
K03,{local(9, 30)},京A12399,,1,大型客车,黄,黄
K01,{local(9, 40)},未识别,东向西,2,,,
"""


def search(client: FlaskClient, headers: dict[str, str], **params: Any) -> Any:
    query = {"from": iso(0), "to": iso(24), "reason": "theft series 2026-118"} | params
    return client.get("/api/v1/passages", query_string=query, headers=headers)


def audit_rows(connection: sa.Connection, action: str) -> list[dict[str, Any]]:
    rows = connection.execute(sa.text(
        "SELECT actor, reason, details, object_id FROM audit_log WHERE action = :a "
        "ORDER BY id"), {"a": action}).mappings().all()
    return [dict(r) for r in rows]


def stored(connection: sa.Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in connection.execute(sa.text(
        "SELECT c.code, p.passed_at, p.plate, p.lane, p.source FROM passages p "
        "JOIN checkpoints c ON c.id = p.checkpoint_id ORDER BY p.passed_at"))]


def test_checkpoints_are_registered_changed_and_kept_by_supervisors(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    listed = client.get("/api/v1/checkpoints", headers=roles["dispatcher"]).json
    assert [c["code"] for c in listed["checkpoints"]] == ["K01", "K02", "K03"]
    assert listed["checkpoints"][0]["directions"] == ["东向西", "西向东"]
    again = client.post("/api/v1/checkpoints", headers=roles["supervisor"], json={
        "code": "K01", "name": "x", "lon": 0, "lat": 0})
    assert again.status_code == 409 and again.json["error"] == "duplicate_code"
    refused = client.post("/api/v1/checkpoints", headers=roles["analyst"], json={
        "code": "K09", "name": "x", "lon": 0, "lat": 0})
    assert refused.status_code == 403
    bad = client.post("/api/v1/checkpoints", headers=roles["supervisor"], json={
        "code": "K 9", "name": "x", "lon": 0, "lat": 0})
    assert bad.status_code == 422 and bad.json["field"] == "code"
    changed = client.patch(f"/api/v1/checkpoints/{sites['K02']}", headers=roles["supervisor"],
                           json={"active": False, "reason": "taken down"})
    assert changed.status_code == 200 and changed.json["active"] is False
    assert changed.json["code"] == "K02" and changed.json["lon"] == -0.076
    layer = client.get("/api/v1/checkpoints?format=geojson", headers=roles["viewer"])
    assert layer.mimetype == "application/geo+json" and len(layer.json["features"]) == 3
    assert client.get("/api/v1/checkpoints", headers=roles["maintainer"]).status_code == 403
    assert [r["details"]["code"] for r in audit_rows(connection, "checkpoint.create")] == [
        "K01", "K02", "K03"]


def test_a_checkpoint_csv_in_gb18030_with_gcj02_coordinates(
        client: FlaskClient, roles: dict[str, dict[str, str]],
        connection: sa.Connection) -> None:
    text = "卡口编号,卡口名称,经度,纬度,方向\nSZ001,深南大道,114.0683,22.5431,东向西|西向东\n" \
           "SZ002,,114.1,22.5,\n"
    answer = client.post("/api/v1/checkpoints/import?datum=gcj02",
                         data=text.encode("gb18030"), content_type="text/csv",
                         headers=roles["supervisor"])
    assert answer.status_code == 200, answer.json
    assert answer.json["created"] == 1 and answer.json["encoding"] == "gb18030"
    assert [(e["line"], e["field"]) for e in answer.json["errors"]] == [(3, "name")]
    lon, lat = connection.execute(sa.text(
        "SELECT ST_X(geom), ST_Y(geom) FROM checkpoints WHERE code = 'SZ001'")).one()
    # stored in WGS-84: shifted back by GCJ-02's few hundred metres, which it gives again
    assert 300 < straight_distance_m(lon, lat, 114.0683, 22.5431) < 800
    again = wgs84_to_gcj02(lon, lat)
    assert abs(again[0] - 114.0683) < 1e-6 and abs(again[1] - 22.5431) < 1e-6


def test_a_chinese_export_is_imported_and_a_second_time_writes_nothing(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    first = client.post("/api/v1/passages/imports?reason=export+of+2026-03",
                        data={"file": (io.BytesIO(CSV.encode("utf-8")), "过车.csv")},
                        headers=roles["analyst"])
    assert first.status_code == 201, first.json
    summary = first.json
    assert (summary["records"], summary["written"], summary["unread_plates"],
            summary["refused"]) == (5, 4, 1, 0)
    rows = stored(connection)
    assert rows[0] == ("K01", utc(8), "粤B12345", 1, "import")
    assert rows[1][2] == "粤B12345"  # the full-width plate, normalised
    again = client.post("/api/v1/passages/imports", data=CSV.encode("gb18030"),
                        content_type="text/csv", headers=roles["supervisor"])
    assert again.status_code == 201
    assert (again.json["written"], again.json["duplicates"]) == (0, 4)
    assert len(stored(connection)) == 4
    (audit, _) = audit_rows(connection, "passage.import")
    assert audit["reason"] == "export of 2026-03" and audit["details"]["written"] == 4
    assert client.post("/api/v1/passages/imports", data=CSV, content_type="text/csv",
                       headers=roles["dispatcher"]).status_code == 403


def test_a_file_with_bad_rows_is_refused_whole_and_each_row_named(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    bad = CSV + (f"K07,{local(10)},粤B11111,,1,,,\n"
                 f"K01,{local(10)},粤B11111,南向北,1,,,\n"
                 f"K02,yesterday,粤B\u00a7,,lane 3,,,\n")
    answer = client.post("/api/v1/passages/imports", data=bad, content_type="text/csv",
                         headers=roles["analyst"])
    assert answer.status_code == 422 and answer.json["error"] == "bad_rows"
    assert [(e["line"], e["field"]) for e in answer.json["errors"]] == [
        (7, "checkpoint"), (8, "direction"), (9, "passed_at"), (9, "plate"), (9, "lane")]
    assert "no checkpoint 'K07'" in answer.json["errors"][0]["message"]
    assert "nothing was written" in answer.json["message"]
    assert stored(connection) == []  # never half-written
    assert audit_rows(connection, "passage.import") == []
    partly = client.post("/api/v1/passages/imports?skip_bad=true", data=bad,
                         content_type="text/csv", headers=roles["analyst"])
    assert partly.status_code == 201
    assert (partly.json["written"], partly.json["refused"]) == (4, 3)
    assert len(stored(connection)) == 4


def test_gat1400_json_and_an_unreadable_file(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    document = {"MotorVehicleListObject": {"MotorVehicleObject": [
        {"TollgateID": "K03", "PassTime": local(7).replace("-", "").replace(":", "")
         .replace(" ", ""),
         "PlateNo": "京A12399", "LaneNo": 2, "VehicleColor": "J"}]}}
    answer = client.post("/api/v1/passages/imports", json=document,
                         headers=roles["analyst"])
    assert answer.status_code == 201 and answer.json["written"] == 1
    assert stored(connection) == [("K03", utc(7), "京A12399", 2, "import")]
    junk = client.post("/api/v1/passages/imports", data=b"\x00\x01\x02binary",
                       content_type="text/csv", headers=roles["analyst"])
    assert junk.status_code == 422 and junk.json["error"] == "unreadable_file"
    heading = client.post("/api/v1/passages/imports", data="卡口编号,车道\nK01,1\n",
                          content_type="text/csv", headers=roles["analyst"])
    assert heading.status_code == 422 and heading.json["error"] == "nothing_imported"
    assert "过车时间" not in heading.json["message"] and "passed_at" in heading.json["message"]


def test_the_live_feed_writes_good_records_and_names_bad_ones(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    batch = {"passages": [
        {"checkpoint": "K02", "passed_at": iso(11), "plate": "粤B54321", "lane": 1},
        {"checkpoint": "K02", "passed_at": iso(11, 1), "plate": "粤B$4321"},
        {"kkbh": "K03", "gcsj": iso(11, 2), "hphm": "粤B54321"}]}
    answer = client.post("/api/v1/passages/batch", json=batch, headers=roles["device"])
    assert answer.status_code == 200, answer.json
    assert (answer.json["written"], answer.json["refused"]) == (2, 1)
    assert answer.json["errors"] == [{"record": 2, "field": "plate", "message": (
        "'粤B$4321' is not a number plate (2 to 12 letters, digits or Chinese characters)")}]
    again = client.post("/api/v1/passages/batch", json=batch, headers=roles["device"])
    assert (again.json["written"], again.json["duplicates"]) == (0, 2)
    assert {r[4] for r in stored(connection)} == {"feed"}
    assert client.post("/api/v1/passages/batch", json=batch,
                       headers=roles["analyst"]).status_code == 403
    assert len(audit_rows(connection, "passage.feed")) == 2


def _import(client: FlaskClient, headers: dict[str, str], text: str = CSV) -> None:
    answer = client.post("/api/v1/passages/imports", data=text, content_type="text/csv",
                         headers=headers)
    assert answer.status_code == 201, answer.json


def test_partial_plates_with_wildcards_full_width_and_case(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int]) -> None:
    _import(client, roles["analyst"])
    user = roles["dispatcher"]

    def plates(query: str, **more: Any) -> list[tuple[str, str]]:
        answer = search(client, user, plate=query, **more)
        assert answer.status_code == 200, answer.json
        return [(p["plate"], p["checkpoint"]["code"]) for p in answer.json["passages"]]

    assert plates("粤B*45") == [("粤B12345", "K01"), ("粤B12345", "K02"), ("粤B67845", "K01")]
    assert plates("*2345") == [("粤B12345", "K01"), ("粤B12345", "K02")]
    assert plates("粤b1?3?5") == [("粤B12345", "K01"), ("粤B12345", "K02")]
    assert plates("＊１２３９９") == [("京A12399", "K03")]  # full width
    assert plates("粤B·12345", checkpoints="K02") == [("粤B12345", "K02")]
    assert plates("粤B12345", **{"from": iso(8, 10)}) == [("粤B12345", "K02")]
    assert plates("*999*") == []
    answer = search(client, user, plate="粤B*45", limit=2).json
    assert answer["truncated"] is True and answer["count"] == 2


def test_bad_searches_are_refused_naming_the_field(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int]) -> None:
    user = roles["analyst"]
    for params, field, code in [
            ({"plate": "*4"}, "plate", "bad_plate"),
            ({"plate": "粤B$"}, "plate", "bad_plate"),
            ({"plate": "粤B*45", "to": iso(24 * 8)}, "to", "window_too_long"),
            ({"plate": "粤B12345", "to": iso(24 * 32)}, "to", "window_too_long"),
            ({"plate": "粤B12345", "to": iso(-1)}, "to", "window_reversed"),
            ({"plate": "粤B12345", "checkpoints": "K01,K77"}, "checkpoints",
             "unknown_checkpoint"),
            ({"plate": "粤B12345", "reason": "  "}, "reason", "reason_required"),
            ({"plate": "粤B12345", "from": "2026-03-01T08:00:00"}, "from", "invalid")]:
        answer = search(client, user, **params)
        assert answer.status_code == 422, (params, answer.json)
        assert (answer.json["field"], answer.json["error"]) == (field, code), params


def test_a_search_without_a_reason_is_refused_and_every_search_is_audited(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    _import(client, roles["analyst"])
    query = {"plate": "粤B*45", "from": iso(0), "to": iso(24)}
    refused = client.get("/api/v1/passages", query_string=query, headers=roles["analyst"])
    assert refused.status_code == 422 and refused.json["field"] == "reason"
    assert audit_rows(connection, "passage.search") == []  # nothing was searched
    found = search(client, roles["analyst"], plate="粤B*45", reason="盗窃案 2026-118 线索")
    none = search(client, roles["dispatcher"], plate="粤Z99999", reason="red alert 44")
    assert found.json["count"] == 3 and none.json["count"] == 0
    rows = audit_rows(connection, "passage.search")
    assert [(r["reason"], r["details"]["plate"], r["details"]["found"]) for r in rows] == [
        ("盗窃案 2026-118 线索", "粤B*45", 3), ("red alert 44", "粤Z99999", 0)]
    assert rows[0]["actor"].startswith("analyst-") and rows[1]["actor"].startswith(
        "dispatcher-")
    assert datetime.fromisoformat(rows[0]["details"]["from"]) == utc(0)
    ids = connection.execute(sa.text("SELECT id FROM audit_log WHERE action = "
                                     "'passage.search' ORDER BY id")).scalars().all()
    assert [found.json["search_id"], none.json["search_id"]] == ids


def test_who_may_search(client: FlaskClient, roles: dict[str, dict[str, str]],
                        sites: dict[str, int]) -> None:
    for role, status in [("dispatcher", 200), ("supervisor", 200), ("analyst", 200),
                         ("video_operator", 200), ("viewer", 403), ("device", 403),
                         ("maintainer", 403)]:
        assert search(client, roles[role], plate="粤B12345").status_code == status, role


def test_vehicles_through_a_then_b_within_minutes(
        client: FlaskClient, roles: dict[str, dict[str, str]], sites: dict[str, int],
        connection: sa.Connection) -> None:
    text = ("卡口编号,过车时间,号牌号码\n"
            f"K01,{local(8)},粤B00001\nK02,{local(8, 12)},粤B00001\n"  # 12 min: in
            f"K01,{local(8, 5)},粤B00002\nK02,{local(8, 50)},粤B00002\n"  # 45 min: out
            f"K02,{local(7, 50)},粤B00003\nK01,{local(8, 1)},粤B00003\n"  # B then A: out
            f"K01,{local(8, 30)},粤B00004\nK03,{local(8, 33)},粤B00004\n"  # A then C: out
            f"K01,{local(9)},粤B00001\nK02,{local(9, 3)},粤B00001\n")  # again, 3 min: in
    _import(client, roles["analyst"], text)
    answer = client.get("/api/v1/passages/through", headers=roles["dispatcher"],
                        query_string={"first": "K01", "then": "K02", "within_min": 15,
                                      "from": iso(7), "to": iso(10), "reason": "escape"})
    assert answer.status_code == 200, answer.json
    assert [(v["plate"], v["minutes"]) for v in answer.json["vehicles"]] == [
        ("粤B00001", 12.0), ("粤B00001", 3.0)]
    (row,) = audit_rows(connection, "passage.through")
    assert row["details"]["found"] == 2 and row["reason"] == "escape"
    same = client.get("/api/v1/passages/through", headers=roles["dispatcher"],
                      query_string={"first": "K01", "then": "K01", "within_min": 15,
                                    "from": iso(7), "to": iso(10), "reason": "escape"})
    assert same.status_code == 422 and same.json["error"] == "same_checkpoint"


def test_a_large_file_is_imported_as_a_job(
        client: FlaskClient, runner: FlaskCliRunner, roles: dict[str, dict[str, str]],
        sites: dict[str, int], connection: sa.Connection) -> None:
    answer = client.post("/api/v1/passages/imports?reason=big+export",
                         data={"file": (io.BytesIO(CSV.encode()), "big.csv")},
                         headers=roles["analyst"] | {"Prefer": "respond-async"})
    assert answer.status_code == 202, answer.json
    job = answer.json
    assert job["kind"] == "passage_import" and job["state"] == "queued"
    assert stored(connection) == []
    ran = runner.invoke(args=["jobs", "run", str(job["id"])])
    assert ran.exit_code == 0, ran.output
    assert len(stored(connection)) == 4
    result = client.get(f"/api/v1/jobs/{job['id']}/result", headers=roles["analyst"]).json
    assert result["written"] == 4 and result["unread_plates"] == 1
    assert connection.execute(sa.text("SELECT count(*) FROM passage_uploads")).scalar() == 0
    # a job whose file has bad rows fails with every row named, and writes nothing
    failing = client.post("/api/v1/passages/imports", data=CSV.replace("粤B67845", "X"),
                          content_type="text/csv",
                          headers=roles["analyst"] | {"Prefer": "respond-async"}).json
    ran = runner.invoke(args=["jobs", "run", str(failing["id"])])
    assert ran.exit_code == 1 and "bad_rows" in ran.output
    shown = client.get(f"/api/v1/jobs/{failing['id']}", headers=roles["analyst"]).json
    assert shown["state"] == "failed" and shown["error"]["error"] == "bad_rows"
    assert [(e["line"], e["field"]) for e in shown["error"]["errors"]] == [(4, "plate")]
    assert "not a number plate" in shown["error"]["errors"][0]["message"]
    assert len(stored(connection)) == 4


def test_the_page_says_how_to_begin_and_is_for_the_searching_roles(
        client: FlaskClient, roles: dict[str, dict[str, str]]) -> None:
    page = client.get("/passages", headers=roles["analyst"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="no-checkpoints"' in text and 'id="plate-reason"' in text
    assert client.get("/passages", headers=roles["viewer"]).status_code == 403


def test_a_browser_session_searches_only_with_its_csrf_token(
        client: FlaskClient, accounts: Accounts, sites: dict[str, int],
        connection: sa.Connection) -> None:
    """A search writes the audit log: another site must not make a signed-in officer's
    browser search (a top-level link carries the session cookie)."""
    officer = accounts.create("dispatcher")
    assert login(client, officer).status_code == 302
    query = {"plate": "粤B12345", "from": iso(0), "to": iso(24), "reason": "forged"}
    forged = client.get("/api/v1/passages", query_string=query)
    assert forged.status_code == 400 and forged.json["error"] == "csrf_failed"
    assert audit_rows(connection, "passage.search") == []
    token = csrf_token(client, "/passages")
    asked = client.get("/api/v1/passages", query_string=query | {"reason": "alert 12"},
                       headers={"X-CSRFToken": token})
    assert asked.status_code == 200, asked.json
    assert [r["reason"] for r in audit_rows(connection, "passage.search")] == ["alert 12"]
