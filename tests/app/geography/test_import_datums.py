"""Every importer with coordinates takes the source's datum: the same places written in
GCJ-02 (AMap) or BD-09 (Baidu) are stored where WGS-84 says they are (within a metre), on
the command line and through the API; wgs84 stays the default."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyproj
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from gis import crs
from gis.datums import wgs84_to_datum_array
from tests.conftest import Accounts, bearer

GEOD = pyproj.Geod(ellps="WGS84")
# WGS-84 truth: places in Wuhu (芜湖), where the GCJ-02 offset is some 500 m
TRUTH = np.array([(118.3764, 31.3260), (118.3851, 31.3342), (118.3602, 31.3178)])


def written_in(datum: str) -> np.ndarray:
    """The truth as a source in ``datum`` writes it."""
    return np.column_stack(wgs84_to_datum_array(datum, TRUTH[:, 0], TRUTH[:, 1]))


def assert_lands(points: list[tuple[float, float]] | np.ndarray, truth: np.ndarray = TRUTH,
                 *, within_m: float = 1.0) -> None:
    got = np.asarray(points, dtype=float)
    assert got.shape == truth.shape
    error = GEOD.inv(truth[:, 0], truth[:, 1], got[:, 0], got[:, 1])[2]
    assert error.max() < within_m, error


def points_of(connection: sa.Connection, sql: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in connection.execute(sa.text(sql))]


def test_the_offset_is_real_here() -> None:
    assert GEOD.inv(*TRUTH[0], *written_in("gcj02")[0])[2] > 300
    assert GEOD.inv(*TRUTH[0], *written_in("bd09")[0])[2] > 900


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_cameras_csv_on_the_command_line_and_the_api(
        runner: FlaskCliRunner, client: FlaskClient, accounts: Accounts,
        connection: sa.Connection, tmp_path: Path, datum: str) -> None:
    source = written_in(datum)
    rows = "".join(f"cam {i},{x:.8f},{y:.8f}\n" for i, (x, y) in enumerate(source))
    path = tmp_path / "cams.csv"
    path.write_text("name,lon,lat\n" + rows)
    result = runner.invoke(args=["import", "cameras", str(path), "--datum", datum])
    assert result.exit_code == 0, result.output
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM cameras "
                                       "ORDER BY name"))
    supervisor = bearer(accounts.create("supervisor"))
    connection.execute(sa.text("DELETE FROM cameras"))
    answer = client.post(f"/api/v1/cameras/import?datum={datum}",
                         data=("name,lon,lat\n" + rows).encode(),
                         headers=supervisor | {"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.json
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM cameras "
                                       "ORDER BY name"))
    connection.execute(sa.text("DELETE FROM cameras"))
    form = client.post("/api/v1/cameras/import", headers=supervisor, data={
        "file": (io.BytesIO(("name,lon,lat\n" + rows).encode()), "c.csv"), "datum": datum},
        content_type="multipart/form-data")
    assert form.status_code == 200, form.json
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM cameras "
                                       "ORDER BY name"))


def test_cameras_default_to_wgs84_and_refuse_an_unknown_datum(
        runner: FlaskCliRunner, client: FlaskClient, accounts: Accounts,
        connection: sa.Connection, tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text("name,lon,lat\n" + "".join(
        f"cam {i},{x},{y}\n" for i, (x, y) in enumerate(TRUTH)))
    assert runner.invoke(args=["import", "cameras", str(path)]).exit_code == 0
    stored = points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM cameras ORDER BY name")
    assert np.abs(np.array(stored) - TRUTH).max() < 1e-9  # as written
    usage = runner.invoke(args=["import", "cameras", str(path), "--datum", "wgs"])
    assert usage.exit_code == 2 and "unknown datum 'wgs'" in usage.output
    supervisor = bearer(accounts.create("supervisor"))
    bad = client.post("/api/v1/cameras/import?datum=utm", data=path.read_bytes(),
                      headers=supervisor | {"Content-Type": "text/csv"})
    assert bad.status_code == 422 and bad.json["field"] == "datum"


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_incidents_on_the_command_line_and_the_api(
        runner: FlaskCliRunner, client: FlaskClient, accounts: Accounts,
        connection: sa.Connection, tmp_path: Path, datum: str) -> None:
    source = written_in(datum)
    text = "编号,时间,类别,经度,纬度\n" + "".join(
        f"A{i},2024-05-0{i + 1} 21:30,盗窃,{x:.8f},{y:.8f}\n" for i, (x, y) in enumerate(source))
    path = tmp_path / "jq.csv"
    path.write_text(text, encoding="gb18030")
    mapping = "id=编号,datetime=时间,category=类别,lon=经度,lat=纬度,tz=Asia/Shanghai"
    result = runner.invoke(args=["import", "incidents", str(path), "--mapping", mapping,
                                 "--source", "cli", "--datum", datum,
                                 "--rejects", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert f"coordinates read as {datum}, stored as WGS-84" in result.output
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM incidents "
                                       "WHERE source = 'cli' ORDER BY source_id"))
    analyst = bearer(accounts.create("analyst"))
    answer = client.post("/api/v1/incidents/imports", headers=analyst, data={
        "files": (io.BytesIO(text.encode("gb18030")), "jq.csv"), "mapping": mapping,
        "source": "api", "datum": datum}, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    assert answer.json["summary"]["datum"] == datum
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM incidents "
                                       "WHERE source = 'api' ORDER BY source_id"))
    bad = client.post("/api/v1/incidents/imports", headers=analyst, data={
        "files": (io.BytesIO(text.encode("gb18030")), "jq.csv"), "mapping": mapping,
        "datum": "mars"}, content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.json["field"] == "datum"


def test_must_visit_points_file_and_api(runner: FlaskCliRunner, client: FlaskClient,
                                        accounts: Accounts, connection: sa.Connection,
                                        tmp_path: Path) -> None:
    source = written_in("gcj02")
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
         "properties": {"name": f"学校 {i}", "windows": [
             {"weekdays": "mon-fri", "start": "07:30", "end": "08:15"}]}}
        for i, (x, y) in enumerate(source)]}, ensure_ascii=False))
    result = runner.invoke(args=["points", "import", str(path), "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM must_visit_points "
                                       "ORDER BY name"))
    supervisor = bearer(accounts.create("supervisor"))
    baidu = written_in("bd09")[0]
    answer = client.post("/api/v1/must-visit-points", headers=supervisor, json={
        "name": "银行", "lon": baidu[0], "lat": baidu[1], "datum": "bd09"})
    assert answer.status_code == 201, answer.json
    assert_lands([(answer.json["lon"], answer.json["lat"])], TRUTH[:1])
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM must_visit_points "
                                       "WHERE name = '银行'"), TRUTH[:1])
    point = answer.json["id"]
    half = client.patch(f"/api/v1/must-visit-points/{point}", headers=supervisor,
                        json={"lon": baidu[0], "datum": "bd09"})
    assert half.status_code == 422 and half.json["field"] == "datum"


def polygon_feature(name: str, ring: np.ndarray) -> dict[str, object]:
    return {"type": "Feature", "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]}}


def test_boundaries_and_grid_cells(runner: FlaskCliRunner, connection: sa.Connection,
                                   tmp_path: Path) -> None:
    box = np.array([(118.30, 31.28), (118.45, 31.28), (118.45, 31.38), (118.30, 31.38),
                    (118.30, 31.28)])
    on_baidu = np.column_stack(crs.wgs84_to_bd09_array(box[:, 0], box[:, 1]))
    path = tmp_path / "district.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection",
                                "features": [polygon_feature("镜湖区", on_baidu)]}))
    result = runner.invoke(args=["import", "boundary", str(path), "--datum", "bd09"])
    assert result.exit_code == 0, result.output
    ring = points_of(connection, "SELECT ST_X(p.geom), ST_Y(p.geom) FROM areas, "
                                 "ST_DumpPoints(areas.geom) p WHERE name = '镜湖区' "
                                 "ORDER BY p.path")
    assert_lands(ring, box)
    cell = np.array([(118.36, 31.32), (118.37, 31.32), (118.37, 31.33), (118.36, 31.33),
                     (118.36, 31.32)])
    on_amap = np.column_stack(crs.wgs84_to_gcj02_array(cell[:, 0], cell[:, 1]))
    cells = tmp_path / "cells.geojson"
    cells.write_text(json.dumps({"type": "FeatureCollection",
                                 "features": [polygon_feature("A1", on_amap)]}))
    result = runner.invoke(args=["grids", "import", str(cells), "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    ring = points_of(connection, "SELECT ST_X(p.geom), ST_Y(p.geom) FROM grid_cells, "
                                 "ST_DumpPoints(grid_cells.geom) p WHERE code = 'F-A1' "
                                 "ORDER BY p.path")
    assert_lands(ring, cell)
    area = connection.execute(sa.text("SELECT a.name FROM grid_cells g JOIN areas a "
                                      "ON a.id = g.area_id WHERE g.code = 'F-A1'")).scalar()
    assert area == "镜湖区"


def test_a_station_placed_from_amap(runner: FlaskCliRunner, connection: sa.Connection) -> None:
    x, y = written_in("gcj02")[0]
    result = runner.invoke(args=["stations", "add", "镜湖派出所", str(x), str(y),
                                 "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    assert "(WGS-84)" in result.output
    assert_lands(points_of(connection, "SELECT ST_X(geom), ST_Y(geom) FROM stations"),
                 TRUTH[:1])


def test_a_camera_registered_and_moved_with_amap_coordinates(
        client: FlaskClient, accounts: Accounts) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    first, second = written_in("gcj02")[:2]
    created = client.post("/api/v1/cameras", headers=supervisor, json={
        "name": "东门", "lon": first[0], "lat": first[1], "datum": "gcj02"})
    assert created.status_code == 201, created.json
    assert_lands([(created.json["lon"], created.json["lat"])], TRUTH[:1])
    camera = created.json["id"]
    moved = client.patch(f"/api/v1/cameras/{camera}", headers=supervisor, json={
        "lon": second[0], "lat": second[1], "datum": "gcj02"})
    assert moved.status_code == 200, moved.json
    assert_lands([(moved.json["lon"], moved.json["lat"])], TRUTH[1:2])
    half = client.patch(f"/api/v1/cameras/{camera}", headers=supervisor,
                        json={"lat": second[1], "datum": "gcj02"})
    assert half.status_code == 422 and half.json["field"] == "datum"


def test_baidu_coordinates_that_leave_the_earth_are_refused_by_name(
        runner: FlaskCliRunner, client: FlaskClient, accounts: Accounts,
        tmp_path: Path) -> None:
    path = tmp_path / "edge.csv"
    path.write_text(f"name,lon,lat\nok,{written_in('bd09')[0][0]},{written_in('bd09')[0][1]}\n"
                    "edge,-180,0\n")
    result = runner.invoke(args=["import", "cameras", str(path), "--datum", "bd09"])
    assert result.exit_code == 3, result.output
    assert "line 3: lon: lon -180.0, lat 0.0 in BD-09 is -180.006506" in result.output
    supervisor = bearer(accounts.create("supervisor"))
    for url, body in (("/api/v1/cameras", {"name": "edge", "lon": -180, "lat": 0}),
                      ("/api/v1/must-visit-points", {"name": "edge", "lon": -180, "lat": 0})):
        answer = client.post(url, headers=supervisor, json=body | {"datum": "bd09"})
        assert answer.status_code == 422, answer.json
        assert (answer.json["error"], answer.json["field"]) == ("coordinates_out_of_range",
                                                                "lon")
