"""Importing real boundaries after an OSM import keeps every grid cell (and camera, unit,
incident) attached to an area: the placeholder extent is retired only when nothing refers
to it any more.

Expected areas are computed here with shapely from the cells' own polygons (the inner
point of each cell in the imported polygons), independently of PostGIS.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from app.db import get_session
from app.geography.repository.areas import (
    AREA_REFERENCES,
    DERIVED_AREA_REFERENCES,
    area_references,
)
from tests.app.dispatch.support import add_unit
from tests.conftest import SHARED_DATA

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
WEST = shapely.box(-0.40, 51.40, -0.107, 51.60)
EAST = shapely.box(-0.107, 51.40, 0.05, 51.60)


def write_areas(path: Path, **polygons: shapely.Polygon) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": shapely.geometry.mapping(polygon)}
        for name, polygon in polygons.items()]}))
    return path


def cells_by_area(connection: sa.Connection) -> dict[str | None, set[str]]:
    rows = connection.execute(sa.text(
        "SELECT g.code, a.name FROM grid_cells g LEFT JOIN areas a ON a.id = g.area_id")).all()
    found: dict[str | None, set[str]] = {}
    for code, name in rows:
        found.setdefault(name, set()).add(code)
    return found


def inner_points(connection: sa.Connection) -> dict[str, shapely.Point]:
    rows = connection.execute(sa.text("SELECT code, ST_AsBinary(geom) FROM grid_cells")).all()
    return {code: shapely.from_wkb(bytes(wkb)).representative_point() for code, wkb in rows}


def test_the_list_of_area_references_is_complete(app: object,
                                                 connection: sa.Connection) -> None:
    with app.app_context():  # type: ignore[attr-defined]
        in_schema = area_references(get_session())
    assert sorted(in_schema) == sorted([(t, c) for t, c, _ in AREA_REFERENCES]
                                       + list(DERIVED_AREA_REFERENCES))


def test_boundaries_replace_the_extent_without_orphaning_cells(
        runner: FlaskCliRunner, client: FlaskClient, supervisor: dict[str, str],
        connection: sa.Connection, tmp_path: Path) -> None:
    assert runner.invoke(args=["import", "osm", str(LONDON)]).exit_code == 0
    built = runner.invoke(args=["grids", "build", "--cell-m", "500"])
    assert built.exit_code == 0, built.output
    unit = add_unit(client, supervisor, "P-1", "patrol_car", home_area="London Central")
    before = cells_by_area(connection)
    assert set(before) == {"London Central"} and len(before["London Central"]) > 20
    centres = inner_points(connection)
    in_west = {code for code, p in centres.items() if WEST.covers(p)}
    assert 0 < len(in_west) < len(centres)

    west = runner.invoke(args=["import", "boundary", str(write_areas(
        tmp_path / "west.geojson", **{"West division": WEST}))])
    assert west.exit_code == 0, west.output
    after_west = cells_by_area(connection)
    assert None not in after_west  # no cell without an area
    assert after_west["West division"] == in_west
    assert after_west["London Central"] == set(centres) - in_west
    assert f"grid_cells: {len(in_west):,} now in the new areas" in west.output
    assert "kept the placeholder area 'London Central': still holds" in west.output
    kind = connection.execute(sa.text("SELECT kind FROM areas WHERE name = 'London Central'"))
    assert kind.scalar_one() == "extent"
    home = connection.execute(sa.text("SELECT a.name FROM units u JOIN areas a "
                                      "ON a.id = u.home_area_id WHERE u.id = :u"),
                              {"u": unit["id"]}).scalar_one()
    assert home == "West division"  # it overlaps most of the old extent
    # OSM cameras had no area; those inside the new polygon have one now
    cameras = connection.execute(sa.text(
        "SELECT count(*) FILTER (WHERE a.name = 'West division'), "
        "count(*) FILTER (WHERE ST_Covers(ST_GeomFromText(:west, 4326), c.geom)) "
        "FROM cameras c LEFT JOIN areas a ON a.id = c.area_id"), {"west": WEST.wkt}).one()
    assert cameras[0] == cameras[1] > 0

    east = runner.invoke(args=["import", "boundary", str(write_areas(
        tmp_path / "east.geojson", **{"East division": EAST}))])
    assert east.exit_code == 0, east.output
    after_east = cells_by_area(connection)
    assert set(after_east) == {"West division", "East division"}
    assert after_east["East division"] == set(centres) - in_west
    assert connection.execute(sa.text("SELECT count(*) FROM areas WHERE kind = 'extent'")
                              ).scalar_one() == 0
    audit = connection.execute(sa.text(
        "SELECT details FROM audit_log WHERE action = 'import.boundary' ORDER BY id")).all()
    assert audit[0][0]["reattached"]["grid_cells"] == len(in_west)
    assert audit[1][0]["extents_kept"] == {}
