"""Map data API, routing against pgRouting, isochrones, vector tiles, grids."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.db import get_session
from app.geography.graph import road_graph
from tests.conftest import SHARED_DATA, Accounts, bearer

ROAD_CLASSES_EN = {"motorway": "motorway", "trunk": "trunk road", "primary": "primary road",
                   "secondary": "secondary road", "tertiary": "tertiary road",
                   "unclassified": "minor road", "residential": "residential street",
                   "service": "service road", "pedestrian": "pedestrian street",
                   "footway": "footway", "primary_link": "primary road link",
                   "secondary_link": "secondary road link", "living_street": "living street"}

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
ST_PAULS = "-0.0983,51.5138"
HOLBORN = "-0.1120,51.5174"


@pytest.fixture
def london(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code == 0, result.output


def test_travel_times_agree_with_pgrouting(app: Flask, london: None,
                                           connection: sa.Connection) -> None:
    with app.app_context():
        served = road_graph(get_session())
    nodes = np.array(sorted(set(served.edges["u"]) | set(served.edges["v"])))
    rng = np.random.default_rng(20261123)
    pairs = [(int(a), int(b)) for a, b in rng.choice(nodes, size=(200, 2)) if a != b]
    values = ", ".join(f"({a}, {b})" for a, b in pairs)
    rows = connection.execute(sa.text(
        "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost("
        "'SELECT id, u AS source, v AS target, travel_s AS cost, "
        "CASE WHEN oneway THEN -1 ELSE travel_s END AS reverse_cost FROM road_edges', "
        f"'SELECT * FROM (VALUES {values}) AS t(source, target)', directed => true)")).all()
    reference = {(r[0], r[1]): r[2] for r in rows}
    ours = {(a, b): float(served.graph.travel_times_from(a, [b])[0]) for a, b in pairs}
    reachable = {pair: cost for pair, cost in ours.items() if np.isfinite(cost)}
    assert len(reachable) > 150  # most pairs of the central network connect
    assert set(reachable) == set(reference)
    worst = max(abs(cost - reference[pair]) / max(reference[pair], 1e-9)
                for pair, cost in reachable.items())
    assert worst < 0.001


def test_route_and_isochrone(client: FlaskClient, accounts: Accounts, london: None) -> None:
    viewer = bearer(accounts.create("viewer"))
    route = client.get(f"/api/v1/route?from={ST_PAULS}&to={HOLBORN}", headers=viewer)
    assert route.status_code == 200, route.json
    body = route.json
    assert 700 < body["distance_m"] < 2500 and 30 < body["eta_s"] < 600
    assert body["geometry"]["type"] == "LineString"
    back = client.get(f"/api/v1/route?from={HOLBORN}&to={ST_PAULS}", headers=viewer).json
    assert back["eta_s"] > 0
    iso = client.get(f"/api/v1/isochrone?at={ST_PAULS}&seconds=120", headers=viewer).json
    polygon, *roads = iso["features"]
    assert polygon["properties"]["kind"] == "isochrone"
    assert polygon["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert roads and all(0 <= r["properties"]["reached_s"] <= 120 for r in roads)
    wider = client.get(f"/api/v1/isochrone?at={ST_PAULS}&seconds=240", headers=viewer).json
    assert len(wider["features"]) > len(iso["features"])


@pytest.mark.parametrize(("query", "field"), [
    ("from=abc&to=-0.0983,51.5138", "from"),
    ("from=-0.0983,51.5138", "to"),
    ("from=-0.0983,51.5138&to=10,10", "to"),
    ("from=200,51.5&to=-0.0983,51.5138", "from"),
])
def test_bad_route_requests_name_the_field(client: FlaskClient, accounts: Accounts,
                                           london: None, query: str, field: str) -> None:
    response = client.get(f"/api/v1/route?{query}", headers=bearer(accounts.create("viewer")))
    assert (response.status_code, response.json["field"]) == (422, field)


def test_routing_without_roads_is_explained(client: FlaskClient, accounts: Accounts) -> None:
    response = client.get(f"/api/v1/route?from={ST_PAULS}&to={HOLBORN}",
                          headers=bearer(accounts.create("viewer")))
    assert response.status_code == 422 and "import an OSM extract" in response.json["message"]


def test_layers_by_box_kind_and_search(client: FlaskClient, accounts: Accounts,
                                       london: None) -> None:
    viewer = bearer(accounts.create("viewer"))
    box = "bbox=-0.11,51.51,-0.10,51.52"
    roads = client.get(f"/api/v1/roads?{box}", headers=viewer).json
    assert roads["features"] and not roads["truncated"]
    west, south, east, north = -0.11, 51.51, -0.10, 51.52
    for feature in roads["features"]:
        xs = [c[0] for c in feature["geometry"]["coordinates"]]
        ys = [c[1] for c in feature["geometry"]["coordinates"]]
        assert max(xs) >= west and min(xs) <= east and max(ys) >= south and min(ys) <= north
    assert client.get("/api/v1/roads", headers=viewer).json["field"] == "bbox"
    assert client.get("/api/v1/roads?bbox=1,2,3", headers=viewer).status_code == 422
    banks = client.get("/api/v1/pois?kind=bank", headers=viewer).json["features"]
    assert banks and {f["properties"]["kind"] for f in banks} == {"bank"}
    assert client.get("/api/v1/pois?kind=casino", headers=viewer).json["field"] == "kind"
    cameras = client.get("/api/v1/cameras", headers=viewer).json["features"]
    assert len(cameras) == 23
    hits = client.get("/api/v1/search?q=fleet st", headers=viewer).json["results"]
    assert any(h["name"] == "Fleet Street" and h["kind"] == "road" for h in hits)
    # the road class or kind of place, named in the reader's language ("(secondary)" was
    # English on the Chinese console)
    assert all(h["detail_label"] == ROAD_CLASSES_EN[h["detail"]] for h in hits
               if h["kind"] == "road")
    zh = client.get("/api/v1/search?q=fleet st",
                    headers={**viewer, "Accept-Language": "zh-CN"}).json["results"]
    assert zh and all(re.search(r"[\u4e00-\u9fff]", h["detail_label"]) for h in zh), zh
    assert client.get("/api/v1/search?q=", headers=viewer).status_code == 422


def test_vector_tiles(client: FlaskClient, accounts: Accounts, london: None) -> None:
    viewer = bearer(accounts.create("viewer"))
    tile = client.get("/api/v1/tiles/15/16375/10895.pbf", headers=viewer)  # St Paul's
    assert tile.status_code == 200
    assert tile.mimetype == "application/vnd.mapbox-vector-tile"
    assert b"roads" in tile.data and b"buildings" in tile.data and len(tile.data) > 1000
    cached = client.get("/api/v1/tiles/15/16375/10895.pbf",
                        headers={**viewer, "If-None-Match": tile.headers["ETag"]})
    assert cached.status_code == 304
    assert client.get("/api/v1/tiles/3/9/1.pbf", headers=viewer).status_code == 404


def test_grids_build_rename_and_rebuild(client: FlaskClient, runner: FlaskCliRunner,
                                        accounts: Accounts, london: None,
                                        connection: sa.Connection) -> None:
    built = runner.invoke(args=["grids", "build", "--shape", "square", "--cell-m", "250"])
    assert built.exit_code == 0, built.output
    cells = connection.execute(sa.text(
        "SELECT code, road_length_m FROM grid_cells ORDER BY road_length_m DESC")).all()
    assert len(cells) > 50 and cells[0][1] > 500  # a 2.4 km x 2.6 km extract
    code = cells[0][0]
    supervisor = bearer(accounts.create("supervisor"))
    renamed = client.patch(f"/api/v1/grids/{code}", headers=supervisor,
                           json={"name": "Westminster 1", "assigned_to": "Charing X station",
                                 "reason": "new beat"})
    assert renamed.status_code == 200
    assert client.patch(f"/api/v1/grids/{code}", headers=bearer(accounts.create("viewer")),
                        json={"name": "x"}).status_code == 403
    again = runner.invoke(args=["grids", "build", "--shape", "square", "--cell-m", "250"])
    assert ": 0 new, 0 removed" in again.output
    name = connection.execute(sa.text("SELECT name FROM grid_cells WHERE code = :c"),
                              {"c": code}).scalar_one()
    assert name == "Westminster 1"
    hexes = runner.invoke(args=["grids", "build", "--shape", "hex", "--cell-m", "20"])
    assert hexes.exit_code != 0


def test_grids_import_from_a_polygon_file(runner: FlaskCliRunner, london: None,
                                          connection: sa.Connection, tmp_path: Path) -> None:
    cells = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Beat 7"}, "geometry": {
            "type": "Polygon", "coordinates": [[[-0.105, 51.510], [-0.095, 51.510],
                                                [-0.095, 51.516], [-0.105, 51.516],
                                                [-0.105, 51.510]]]}},
        {"type": "Feature", "properties": {"name": "Not a cell"}, "geometry": {
            "type": "LineString", "coordinates": [[-0.1, 51.5], [-0.09, 51.51]]}}]}
    path = tmp_path / "beats.geojson"
    path.write_text(json.dumps(cells))
    result = runner.invoke(args=["grids", "import", str(path)])
    assert result.exit_code == 3, result.output  # partly written: the line refused
    assert "1 cells imported (1 new)" in result.output
    assert "rejected row 2 (Not a cell): a LineString, not a polygon" in result.output
    row = connection.execute(sa.text(
        "SELECT g.code, g.name, g.road_length_m, a.name FROM grid_cells g "
        "JOIN areas a ON a.id = g.area_id WHERE code = 'F-Beat 7'")).one()
    assert row[1] == "Beat 7" and row[2] > 1000 and row[3] == "London Central"


def test_online_tiles_only_when_configured(database: Any, connection: sa.Connection,
                                           accounts: Accounts) -> None:
    from tests.conftest import login, make_app

    for url in (None, "https://tiles.example.org/{z}/{x}/{y}.png"):
        app = make_app(database, DB_CONNECTION=connection, ONLINE_TILES_URL=url)
        client = app.test_client()
        login(client, Accounts(app).create("viewer"))
        page = client.get("/").get_data(as_text=True)
        assert ("tiles.example.org" in page) is (url is not None)
        assert '"online": null' in page or url is not None
