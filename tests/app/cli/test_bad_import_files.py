"""Every importer, on the command line and over the API, on every kind of bad file: a
message naming the problem, never a traceback; exit status 1 (HTTP 422); nothing written,
not even an audit row. And text files in UTF-16 are read like UTF-8 ones."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from tests.catalogs import response
from tests.conftest import Accounts, bearer

TABLES = ("areas", "roads", "road_edges", "buildings", "pois", "cameras", "incidents",
          "incident_imports", "grid_cells", "must_visit_points", "roster_entries",
          "audit_log")
GARBAGE = random.Random(13).randbytes(4096)  # NUL bytes, invalid UTF-8 and GB18030


@dataclass(frozen=True)
class Importer:
    name: str
    args: tuple[str, ...]  # the file path goes where "{}" is
    suffix: str  # of a file in the importer's main format
    heading: bytes  # a headers-only (or empty-document) file in that format
    json: bool  # whether it reads JSON (or GeoJSON) too


IMPORTERS = [
    Importer("import osm", ("import", "osm", "{}"), ".osm",
             b"<?xml version='1.0'?><osm version='0.6' generator='test'></osm>\n", False),
    Importer("import boundary", ("import", "boundary", "{}"), ".csv", b"name,wkt\n", True),
    Importer("import incidents", ("import", "incidents", "{}"), ".csv",
             b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
             b"LSOA code,LSOA name,Crime type,Last outcome category,Context\n", True),
    Importer("grids import", ("grids", "import", "{}"), ".csv", b"name,wkt\n", True),
    Importer("points import", ("points", "import", "{}"), ".csv",
             b"name,lon,lat,windows,dwell_min,visits_per_shift,priority,covert\n", True),
    Importer("roster import", ("roster", "import", "{}"), ".csv",
             b"date,shift,unit,grids,station,start,end,note\n", True),
    Importer("import cameras", ("import", "cameras", "{}"), ".csv",
             "名称,经度,纬度,方向,视角,距离,类型,国标编码\n".encode(), False),
    Importer("import catalog", ("import", "catalog", "{}", "--datum", "gcj02"), ".xml",
             response([]).encode(), False),
]

BAD_FILES: dict[str, Callable[[Importer], tuple[str, bytes]]] = {
    "empty": lambda i: (i.suffix, b""),
    "blank lines": lambda i: (i.suffix, b"\n \n\t\n"),
    "headers only": lambda i: (i.suffix, i.heading),
    "binary garbage": lambda i: (i.suffix, GARBAGE),
    "a spreadsheet, not CSV": lambda i: (i.suffix, b"PK\x03\x04\x14\x00\x06\x00" + GARBAGE),
    "truncated JSON": lambda i: (".json" if i.json else i.suffix,
                                 b'{"type": "FeatureCollection", "features": [{"type": "Fea'),
    "JSON nested 100,000 deep": lambda i: (".json" if i.json else i.suffix,
                                           b"[" * 100_000 + b"]" * 100_000),
    "empty JSON list": lambda i: (".json" if i.json else i.suffix, b"[]"),
}


def counts(connection: sa.Connection) -> dict[str, int]:
    return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in TABLES}


@pytest.mark.parametrize("kind", BAD_FILES)
@pytest.mark.parametrize("importer", IMPORTERS, ids=[i.name for i in IMPORTERS])
def test_every_importer_refuses_every_bad_file_with_a_message_and_writes_nothing(
        runner: FlaskCliRunner, connection: sa.Connection, tmp_path: Path,
        importer: Importer, kind: str) -> None:
    suffix, content = BAD_FILES[kind](importer)
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    before = counts(connection)
    result = runner.invoke(args=[a.replace("{}", str(path)) for a in importer.args])
    assert isinstance(result.exception, SystemExit), (  # not an uncaught exception
        f"{importer.name} on {kind}: {result.exception!r}\n{result.output}")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: "), result.output
    assert len(result.output.strip()) > len("Error: ") + 10  # says what is wrong
    assert counts(connection) == before


@pytest.mark.parametrize("kind", ["empty", "headers only", "binary garbage",
                                  "truncated JSON", "JSON nested 100,000 deep",
                                  "empty JSON list"])
def test_the_api_importers_answer_422_and_write_nothing(
        client: FlaskClient, accounts: Accounts, connection: sa.Connection,
        kind: str) -> None:
    supervisor = bearer(accounts.create("supervisor"))
    for importer, path in ((IMPORTERS[5], "/api/v1/roster"),
                           (IMPORTERS[6], "/api/v1/cameras/import"),
                           (IMPORTERS[7], "/api/v1/cameras/catalog")):
        suffix, content = BAD_FILES[kind](importer)
        json_body = suffix == ".json" and importer.json
        before = counts(connection)
        response = client.post(path, data=content, headers=supervisor | {
            "Content-Type": "application/json" if json_body else "text/csv"})
        assert response.status_code in (400, 422), (path, kind, response.json)
        assert response.json["message"], response.json
        assert response.json.get("field") in ("body", "file"), response.json
        assert counts(connection) == before, (path, kind)


def test_the_exit_status_says_all_part_or_nothing(runner: FlaskCliRunner,
                                                  connection: sa.Connection,
                                                  tmp_path: Path) -> None:
    heading = "name,lon,lat,windows,dwell_min\n"
    every = tmp_path / "every.csv"
    every.write_text(heading + "Gate,-0.09,51.51,mon-fri 07:30-08:15,10\n")
    some = tmp_path / "some.csv"
    some.write_text(heading + "Bank,-0.09,51.51,,5\nNowhere,-0.09,99,,5\n")
    none = tmp_path / "none.csv"
    none.write_text(heading + "Nowhere,-0.09,99,,5\n,,,,\nNoname,1,1,,0\n")
    all_written = runner.invoke(args=["points", "import", str(every)])
    assert all_written.exit_code == 0, all_written.output
    partly = runner.invoke(args=["points", "import", str(some)])
    assert partly.exit_code == 3, partly.output
    assert "1 created, 1 refused" in partly.output and "line 3" in partly.output
    before = counts(connection)
    nothing = runner.invoke(args=["points", "import", str(none)])
    assert nothing.exit_code == 1, nothing.output
    assert "No must-visit points imported" in nothing.output and "line 2" in nothing.output
    assert counts(connection) == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"], ids=["with BOM", "without"])
def test_utf16_text_files_are_read(runner: FlaskCliRunner, client: FlaskClient,
                                   accounts: Accounts, connection: sa.Connection,
                                   tmp_path: Path, encoding: str) -> None:
    area = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [{
            "type": "Feature", "properties": {"name": "东区"}, "geometry": {
                "type": "Polygon", "coordinates": [[[-0.1, 51.5], [-0.08, 51.5],
                                                    [-0.08, 51.52], [-0.1, 51.5]]]}}]}
    files = {
        "boundary.geojson": json.dumps(area, ensure_ascii=False),
        "grids.geojson": json.dumps(area, ensure_ascii=False).replace("东区", "G-1"),
        "points.csv": "名称,lon,lat\n学校,-0.09,51.51\n".replace("名称", "name"),
        "cameras.csv": "名称,经度,纬度\n东门,-0.09,51.51\n",
        "incidents.csv": "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,"
                         "Location,LSOA code,LSOA name,Crime type,Last outcome category,"
                         "Context\nabc,2024-01,City,City,-0.09,51.51,On or near X,E1,L1,"
                         "Burglary,,\n",
        "roster.csv": "日期,班次,呼号\n2024-03-04,day,P-1\n",
    }
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(text.encode(encoding))
    supervisor = bearer(accounts.create("supervisor"))
    assert client.post("/api/v1/units", json={"callsign": "P-1", "kind": "patrol_car"},
                       headers=supervisor).status_code == 201
    for args in (["import", "boundary", str(paths["boundary.geojson"])],
                 ["grids", "import", str(paths["grids.geojson"])],
                 ["points", "import", str(paths["points.csv"])],
                 ["import", "cameras", str(paths["cameras.csv"])],
                 ["import", "incidents", str(paths["incidents.csv"])],
                 ["roster", "import", str(paths["roster.csv"])]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    assert counts(connection)["cameras"] == 1
    answer = client.post("/api/v1/cameras/import", headers=supervisor | {
        "Content-Type": "text/csv"}, data=files["cameras.csv"].encode(encoding))
    assert answer.status_code == 200 and answer.json["created"] == 1, answer.json
