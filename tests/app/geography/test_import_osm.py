"""Importing OSM extracts and boundaries into PostGIS."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
import shapely
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from app.db import get_session
from app.geography.import_osm import import_osm
from tests.conftest import SHARED_DATA

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
TABLES = ("roads", "road_edges", "buildings", "pois", "cameras", "landcover", "areas")


def counts(connection: sa.Connection) -> dict[str, int]:
    return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in TABLES}


def test_import_then_reimport_updates_without_duplicates(runner: FlaskCliRunner,
                                                         connection: sa.Connection) -> None:
    first = runner.invoke(args=["import", "osm", str(LONDON), "--reason", "initial load"])
    assert first.exit_code == 0, first.output
    assert "roads          3,129 found     3,129 written" in first.output
    assert "created the area 'London Central'" in first.output
    after_first = counts(connection)
    assert after_first == {"roads": 3129, "road_edges": 1604, "buildings": 2155, "pois": 442,
                           "cameras": 23, "landcover": 235, "areas": 1}
    connection.execute(sa.text("UPDATE roads SET name = 'renamed' WHERE osm_id = "
                               "(SELECT min(osm_id) FROM roads)"))
    second = runner.invoke(args=["import", "osm", str(LONDON)])
    assert second.exit_code == 0, second.output
    assert counts(connection) == after_first
    assert connection.execute(sa.text("SELECT count(*) FROM roads WHERE name = 'renamed'")
                              ).scalar_one() == 0
    audit = connection.execute(sa.text(
        "SELECT reason, details FROM audit_log WHERE action = 'import.osm' ORDER BY id")).all()
    assert audit[0][0] == "initial load" and audit[0][1]["written"]["cameras"] == 23
    # the cameras' after-import hook refreshed their coverage the first time only
    assert audit[0][1]["written"]["camera_coverage"] == 23
    assert "camera_coverage" not in audit[1][1]["written"]


def test_a_truncated_file_changes_nothing(app: Flask, runner: FlaskCliRunner,
                                          connection: sa.Connection, tmp_path: Path) -> None:
    runner.invoke(args=["import", "osm", str(LONDON)])
    before = counts(connection)
    truncated = tmp_path / "porto.osm.pbf"
    whole = (SHARED_DATA / "osm" / "porto.osm.pbf").read_bytes()
    truncated.write_bytes(whole[: int(len(whole) * 0.9)])
    result = runner.invoke(args=["import", "osm", str(truncated)])
    assert result.exit_code != 0
    assert "not a readable OSM file" in result.output
    assert "the database was not changed" in result.output
    assert counts(connection) == before


def test_a_failure_while_writing_rolls_everything_back(app: Flask, connection: sa.Connection,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import app.geography.import_osm as importer

    def broken_cameras(extract: object) -> object:
        raise RuntimeError("disk full while writing cameras")

    monkeypatch.setattr(importer, "camera_frame", broken_cameras)
    before = counts(connection)
    with app.app_context(), pytest.raises(RuntimeError, match="disk full"):
        session = get_session()
        try:
            import_osm(session, LONDON)
        finally:
            session.rollback()
    assert counts(connection) == before


def test_a_bad_file_found_after_the_roads_were_streamed_keeps_nothing(
        runner: FlaskCliRunner, connection: sa.Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from gis.osm import OsmReadError
    from runtime.forked import ForkedCall

    def unreadable_areas(self: ForkedCall[object]) -> None:
        self.cancel()
        raise OsmReadError("london-central.osm.pbf: not a readable OSM file (test)")

    before = counts(connection)
    monkeypatch.setattr(ForkedCall, "result", unreadable_areas)  # asked for after pass 1
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code != 0
    assert "not a readable OSM file (test); the database was not changed" in result.output
    assert counts(connection) == before
    assert connection.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = "
                                      "'import.osm'")).scalar_one() == 0


def test_a_failing_after_import_hook_rolls_everything_back(app: Flask,
                                                          connection: sa.Connection) -> None:
    from app.geography.hooks import OsmImported, register_after_osm_import

    seen: list[OsmImported] = []

    def broken_hook(session: Any, imported: OsmImported) -> dict[str, int]:
        seen.append(imported)
        raise RuntimeError("hook failed")

    register_after_osm_import(app, broken_hook)
    before = counts(connection)
    with app.app_context(), pytest.raises(RuntimeError, match="hook failed"):
        session = get_session()
        try:
            import_osm(session, LONDON)
        finally:
            session.rollback()
    assert counts(connection) == before
    [imported] = seen
    assert imported.written["roads"] == 3129 and imported.written["cameras"] == 23
    assert imported.extent is not None
    assert imported.extent.contains(shapely.Point(-0.0950, 51.5150))  # the City of London


def imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update([node.module, *(f"{node.module}.{a.name}" for a in node.names)])
    return found


def test_geography_does_not_import_the_cameras_area() -> None:
    geography = Path(__file__).resolve().parents[3] / "app" / "geography"
    importers = {str(path.relative_to(geography)) for path in sorted(geography.rglob("*.py"))
                 if any(m.split(".")[:2] == ["app", "cameras"]
                        for m in imported_modules(path.read_text()))}
    assert importers == set()
    assert imported_modules("from app import cameras") & {"app.cameras"}  # the check works


MARKER = ("INSERT INTO areas (name, kind, geom) VALUES ('marker', 'area', ST_Multi("
          "ST_Buffer(ST_SetSRID(ST_MakePoint(0, 0), 4326)::geography, 10)::geometry))")


def imported_and_marked(session: Any) -> tuple[int, int, int]:
    return tuple(session.execute(sa.text(  # type: ignore[return-value]
        "SELECT (SELECT count(*) FROM roads), (SELECT count(*) FROM road_edges), "
        "(SELECT count(*) FROM areas WHERE name = 'marker')")).one())


def test_the_savepoint_alone_undoes_roads_streamed_before_a_bad_area_pass(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from gis.osm import OsmReadError
    from runtime.forked import ForkedCall

    def unreadable_areas(self: ForkedCall[object]) -> None:
        raise OsmReadError("london-central.osm.pbf: not a readable OSM file (test)")

    monkeypatch.setattr(ForkedCall, "result", unreadable_areas)  # asked for after pass 1
    with app.app_context():
        session = get_session()
        session.execute(sa.text(MARKER))
        with pytest.raises(OsmReadError):
            import_osm(session, LONDON)
        # no rollback here: what the import wrote is gone, what came before is kept
        assert imported_and_marked(session) == (0, 0, 1)


def test_a_failure_while_roads_stream_keeps_the_error_and_the_connection_usable(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.geography.import_osm as importer
    from app.db.bulk import UpsertStream

    write = UpsertStream.write
    calls: list[int] = []

    def failing_write(self: UpsertStream, frame: Any) -> None:
        calls.append(len(frame))
        if len(calls) == 3:
            raise RuntimeError("can't start new thread for the third batch")
        write(self, frame)

    monkeypatch.setattr(importer, "ROAD_BATCH", 500)
    monkeypatch.setattr(UpsertStream, "write", failing_write)
    with app.app_context():
        session = get_session()
        session.execute(sa.text(MARKER))
        with pytest.raises(RuntimeError, match="third batch"):  # not "unreadable file"
            import_osm(session, LONDON)
        assert calls == [500, 500, 500]
        assert imported_and_marked(session) == (0, 0, 1)


def test_roads_streamed_in_small_batches_import_the_same(
        runner: FlaskCliRunner, connection: sa.Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import app.geography.import_osm as importer

    monkeypatch.setattr(importer, "ROAD_BATCH", 500)
    first = runner.invoke(args=["import", "osm", str(LONDON)])
    assert "roads          3,129 found     3,129 written" in first.output
    assert counts(connection)["roads"] == 3129
    assert connection.execute(sa.text("SELECT count(DISTINCT osm_id) FROM roads")
                              ).scalar_one() == 3129
    again = runner.invoke(args=["import", "osm", str(LONDON)])
    assert "roads          3,129 found         0 written" in again.output


def test_an_import_in_a_process_of_its_own_forks_the_area_pass_and_streams_roads() -> None:
    """Like `gridpatrol import osm` (one thread, so pass 2 forks), on a scratch database."""
    from tests.conftest import scratch_database
    from tests.gis.test_osm import run_fresh

    with scratch_database("forked_import") as info:
        out = run_fresh(f"""
            import gis.osm
            from app import create_app
            from app.db import get_session
            from app.geography.import_osm import import_osm
            forked = []
            start = gis.osm.OsmReader.start_areas
            def watched(reader):
                pending = start(reader)
                forked.append(pending)
                return pending
            gis.osm.OsmReader.start_areas = watched
            app = create_app({{"SECRET_KEY": "t" * 40, "DATABASE_URL": {info.app_url!r}}})
            with app.app_context():
                session = get_session()
                summary = import_osm(session, {str(LONDON)!r})
                session.commit()
            print(forked[0].source, summary.written["roads"], summary.written["buildings"])
        """)
        assert out.split() == ["child", "3129", "2155"]
        with psycopg.connect(info.admin_conninfo.replace("dbname=postgres",
                                                         f"dbname={info.name}")) as conn:
            assert conn.execute("SELECT count(*) FROM roads").fetchone() == (3129,)


def test_boundary_import_keeps_good_rows_and_names_bad_ones(runner: FlaskCliRunner,
                                                            connection: sa.Connection,
                                                            tmp_path: Path) -> None:
    square = [[[-0.2, 51.49], [-0.1, 51.49], [-0.1, 51.52], [-0.2, 51.52], [-0.2, 51.49]]]
    east = [[[-0.1, 51.49], [-0.05, 51.49], [-0.05, 51.52], [-0.1, 51.52], [-0.1, 51.49]]]
    features = [
        {"type": "Feature", "properties": {"name": "West Station"},
         "geometry": {"type": "Polygon", "coordinates": square}},
        {"type": "Feature", "properties": {"name": "East Station"},
         "geometry": {"type": "Polygon", "coordinates": east}},
        {"type": "Feature", "properties": {"name": "A point"},
         "geometry": {"type": "Point", "coordinates": [-0.1, 51.5]}},
        {"type": "Feature", "properties": {"name": ""},
         "geometry": {"type": "Polygon", "coordinates": east}},
    ]
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(args=["import", "boundary", str(path), "--kind", "station"])
    assert result.exit_code == 3, result.output  # partly written: two rows refused
    assert "areas: 2 created, 0 updated" in result.output
    assert "row 3 (A point): a Point, not a polygon" in result.output
    assert "row 4: empty name" in result.output
    rows = connection.execute(sa.text("SELECT name, kind FROM areas ORDER BY name")).all()
    assert [tuple(r) for r in rows] == [("East Station", "station"), ("West Station", "station")]
    again = runner.invoke(args=["import", "boundary", str(path)])
    assert "areas: 0 created, 2 updated" in again.output


def test_boundary_import_refuses_unusable_files(runner: FlaskCliRunner, tmp_path: Path,
                                                connection: sa.Connection) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text("{not json")
    result = runner.invoke(args=["import", "boundary", str(path)])
    assert result.exit_code != 0 and "not a readable" in result.output
    nameless = tmp_path / "nameless.geojson"
    nameless.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"label": "x"}, "geometry": {
            "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    result = runner.invoke(args=["import", "boundary", str(nameless)])
    assert result.exit_code != 0 and "text columns are label" in result.output
    assert connection.execute(sa.text("SELECT count(*) FROM areas")).scalar_one() == 0


def test_each_new_place_gets_its_own_default_area(runner: FlaskCliRunner,
                                                  connection: sa.Connection) -> None:
    from app.cli.demo import demo_osm_file

    runner.invoke(args=["import", "osm", str(LONDON)])
    helsinki = runner.invoke(args=["import", "osm", str(demo_osm_file("helsinki"))])
    assert "created the area 'Helsinki'" in helsinki.output
    again = runner.invoke(args=["import", "osm", str(LONDON)])
    assert "created the area" not in again.output
    names = connection.execute(sa.text("SELECT name FROM areas ORDER BY name")).scalars()
    assert list(names) == ["Helsinki", "London Central"]


def test_a_way_that_lost_a_junction_keeps_no_stale_edges(app: Flask, connection: sa.Connection,
                                                         tmp_path: Path) -> None:
    from tests.gis.test_osm import SMALL_OSM

    first = tmp_path / "v1.osm"
    first.write_text(SMALL_OSM)
    without_side_street = SMALL_OSM[:SMALL_OSM.index('  <way id="101">')] + \
        SMALL_OSM[SMALL_OSM.index('  <way id="102">'):]
    second = tmp_path / "v2.osm"
    second.write_text(without_side_street)
    with app.app_context():
        session = get_session()
        import_osm(session, first)
        session.commit()

        def pieces(way: int) -> list[tuple[int, int, int]]:
            return [tuple(r) for r in connection.execute(sa.text(
                "SELECT seq, u, v FROM road_edges WHERE osm_way_id = :w ORDER BY seq"),
                {"w": way})]
        assert pieces(100) == [(0, 1, 2), (1, 2, 3)]  # split at the junction with way 101
        import_osm(session, second)
        session.commit()
        assert pieces(100) == [(0, 1, 3)]  # no junction any more: one edge, none stale
        assert len(pieces(101)) == 2  # not in the newer file: kept (imports never delete)


def test_a_way_whose_first_piece_is_dropped_keeps_no_stale_edges(
        app: Flask, connection: sa.Connection, tmp_path: Path) -> None:
    from tests.gis.test_osm import SMALL_OSM

    # way 100 drawn 1-1-2-3: its zero-length first piece (1 to 1, seq 0) is dropped
    doubled = SMALL_OSM.replace('<way id="100"><nd ref="1"/>', '<way id="100"><nd ref="1"/>'
                                '<nd ref="1"/>')
    with_junction, without = tmp_path / "v1.osm", tmp_path / "v2.osm"
    with_junction.write_text(doubled)
    without.write_text(doubled[:doubled.index('  <way id="101">')] +
                       doubled[doubled.index('  <way id="102">'):])
    with app.app_context():
        session = get_session()

        def pieces() -> list[tuple[int, int, int]]:
            return [tuple(r) for r in connection.execute(sa.text(
                "SELECT seq, u, v FROM road_edges WHERE osm_way_id = 100 ORDER BY seq"))]
        import_osm(session, with_junction)
        session.commit()
        assert pieces() == [(1, 1, 2), (2, 2, 3)]
        import_osm(session, without)
        session.commit()
        assert pieces() == [(1, 1, 3)]  # (2, 2, 3) is gone although seq 0 never existed
