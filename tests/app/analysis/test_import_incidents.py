"""Incident import through the CLI into real PostGIS: the two real exports with their
numbers stated and explained, re-import, the rejects file, a custom layout, and bad files
that change nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from gis.incidents import parse_mapping
from tests.conftest import SHARED_DATA

BURGLARY = SHARED_DATA / "incidents" / "london_burglary"
SF = SHARED_DATA / "incidents" / "sf" / "SFPD_Incident_Reports_2018-12_subset.csv"
# The box london-central.osm.pbf declares (its header bbox), as the jurisdiction.
LONDON_BOX = (-0.322, 51.462, -0.045, 51.542)


def write_box(path: Path, name: str, box: tuple[float, float, float, float]) -> Path:
    west, south, east, north = box
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def count(connection: sa.Connection, sql: str = "SELECT count(*) FROM incidents") -> int:
    return int(connection.execute(sa.text(sql)).scalar_one())


def test_london_burglary_keeps_what_lies_in_the_jurisdiction(
        runner: FlaskCliRunner, connection: sa.Connection, tmp_path: Path) -> None:
    box = write_box(tmp_path / "box.geojson", "London central", LONDON_BOX)
    assert runner.invoke(args=["import", "boundary", str(box)]).exit_code == 0
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(args=["import", "incidents", str(BURGLARY), "--rejects",
                                 str(rejects)])
    assert result.exit_code == 3, result.output  # partly written: the rejects are listed
    # 24 monthly police.uk files, 108,789 rows: 1,275 have no coordinates (police.uk
    # could not place them); 75,817 lie in Greater London outside the box; of the rest,
    # 284 repeat a Crime ID already read (the same record twice in a monthly file).
    assert ("108,789 read, 31,413 accepted, 77,376 rejected" in result.output)
    assert "rejected 1,275: no_coordinates" in result.output
    assert "rejected 75,817: outside_area" in result.output
    assert "rejected 284: duplicate_id" in result.output
    assert count(connection) == 31_413
    assert count(connection, "SELECT count(*) FROM incidents WHERE area_id IS NULL") == 0
    assert count(connection, "SELECT count(*) FROM incidents WHERE time_resolution <> 'month' "
                             "OR category <> 'burglary'") == 0
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        reasons = [row["reason"] for row in csv.DictReader(handle)]
    assert len(reasons) == 77_376
    assert reasons.count("outside_area") == 75_817
    run = connection.execute(sa.text(
        "SELECT source, counts->>'accepted', rejects_path FROM incident_imports")).one()
    assert run == ("police_uk", "31413", str(rejects))
    audited = connection.execute(sa.text(
        "SELECT details->>'accepted' FROM audit_log WHERE action = 'incidents.import'")).one()
    assert audited == ("31413",)


def test_sf_export_imports_and_reimport_changes_nothing(
        runner: FlaskCliRunner, connection: sa.Connection, tmp_path: Path) -> None:
    # No areas yet: nothing is outside. 11,884 rows; 608 have no latitude/longitude.
    first = runner.invoke(args=["import", "incidents", str(SF), "--rejects",
                                str(tmp_path / "r1.csv")])
    assert first.exit_code == 3, first.output  # partly written
    assert "11,884 read, 11,276 accepted, 608 rejected" in first.output
    assert "rejected 608: no_coordinates" in first.output
    assert "11,276 new, 0 updated, 0 unchanged" in first.output
    assert "not checked against the jurisdiction" in first.output
    assert count(connection) == 11_276
    assert count(connection, "SELECT count(*) FROM incidents "
                             "WHERE time_resolution = 'minute'") == 11_276
    # times are stored as instants: 2018/12/01 12:25 AM in San Francisco is 08:25 UTC
    first_row = connection.execute(sa.text(
        "SELECT occurred_at AT TIME ZONE 'UTC', timezone FROM incidents "
        "WHERE source = 'sfpd' AND source_id = '74339603074'")).one()
    assert str(first_row[0]) == "2018-12-01 08:25:00" and first_row[1] == "America/Los_Angeles"
    again = runner.invoke(args=["import", "incidents", str(SF), "--rejects",
                                str(tmp_path / "r2.csv")])
    assert again.exit_code == 3, again.output
    assert "0 new, 0 updated, 11,276 unchanged" in again.output
    assert count(connection) == 11_276


def test_a_custom_layout_with_a_mapping(runner: FlaskCliRunner, connection: sa.Connection,
                                        tmp_path: Path) -> None:
    source = tmp_path / "警情.csv"
    source.write_text("编号,发生时间,类别,经度,纬度\n"
                      "A1,2024-03-01 08:30,盗窃,-0.0950,51.5150\n"
                      "A2,not a time,盗窃,-0.0951,51.5151\n"
                      "A3,2024-03-02 09:00,盗窃,0,0\n", encoding="gb18030")
    result = runner.invoke(args=[
        "import", "incidents", str(source), "--source", "pilot", "--tz", "Asia/Shanghai",
        "--mapping", "id=编号,datetime=发生时间,category=类别,lon=经度,lat=纬度",
        "--rejects", str(tmp_path / "r.csv")])
    assert result.exit_code == 3, result.output  # partly written
    assert "3 read, 1 accepted, 2 rejected" in result.output
    assert "rejected 1: bad_time" in result.output and "rejected 1: zero_coordinates" \
        in result.output
    assert "line 3" in result.output  # the bad time is named by its line
    assert count(connection, "SELECT count(*) FROM incidents WHERE source = 'pilot'") == 1
    # the summary names each rejected row by line, the column(s) it is about, and why
    listed = connection.execute(sa.text(
        "SELECT counts->'rejected_rows' FROM incident_imports WHERE source = 'pilot'")
    ).scalar_one()
    assert [(r["file"], r["line"], r["reason"], r["field"]) for r in listed] == [
        ("警情.csv", 3, "bad_time", "发生时间"), ("警情.csv", 4, "zero_coordinates", "经度, 纬度")]
    assert "not a time" in listed[0]["message"]


def test_bad_files_change_nothing(runner: FlaskCliRunner, connection: sa.Connection,
                                  tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("when,what,where\n2024-01-01,theft,somewhere\n")
    result = runner.invoke(args=["import", "incidents", str(SF), str(unknown)])
    assert result.exit_code != 0
    assert "database was not changed" in result.output
    assert "when" in result.output  # the headers it saw are listed
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')
    result = runner.invoke(args=["import", "incidents", str(broken)])
    assert result.exit_code != 0 and "database was not changed" in result.output
    assert count(connection) == 0
    assert count(connection, "SELECT count(*) FROM incident_imports") == 0


@pytest.mark.parametrize("bad", ["id=", "nonsense"])
def test_a_malformed_mapping_is_refused(runner: FlaskCliRunner, bad: str) -> None:
    result = runner.invoke(args=["import", "incidents", str(SF), "--mapping", bad])
    assert result.exit_code != 0 and "mapping" in result.output.lower()


def test_progress_tells_rows_read_and_written_and_stopping_writes_nothing(
        app: Flask, connection: sa.Connection, tmp_path: Path) -> None:
    from app.analysis.import_incidents import import_incidents
    from app.db import get_session

    calls: list[tuple[float, str]] = []
    with app.app_context():
        session = get_session()
        summary = import_incidents(session, [SF], rejects_path=tmp_path / "r.csv",
                                   progress=lambda f, m: calls.append((f, m)))
        session.commit()
    fractions = [f for f, _ in calls]
    messages = [m for _, m in calls]
    assert fractions == sorted(fractions) and fractions[-1] <= 1.0
    assert "rows read: 11,884 (file 1 of 1)" in messages
    assert "writing: 11,276 of 11,276 incidents sent" in messages
    assert messages[-1] == "11,276 written; listing 608 rejected rows"
    assert summary.accepted == count(connection) == 11_276

    class Stop(Exception):
        pass

    def stop_while_writing(_fraction: float, message: str) -> None:
        if message.startswith("writing: merging"):
            raise Stop(message)

    again = tmp_path / "again.csv"
    again.write_text("id,when,what,lon,lat\n1,2024-05-01 10:00,theft,-122.4,37.7\n")
    with app.app_context():
        session = get_session()
        with pytest.raises(Stop):
            import_incidents(session, [again], source="stopped", default_tz="UTC",
                             mapping=parse_mapping("id=id,datetime=when,category=what,"
                                                   "lon=lon,lat=lat"),
                             rejects_path=tmp_path / "r2.csv", progress=stop_while_writing)
        session.rollback()
    assert count(connection, "SELECT count(*) FROM incidents WHERE source = 'stopped'") == 0
    assert count(connection, "SELECT count(*) FROM incident_imports") == 1  # the first only
    assert not (tmp_path / "r2.csv").exists()
