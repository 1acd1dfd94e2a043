"""Coverage of the camera network through the API, on the London extract with a 500 m grid:
figures checked against PostGIS measuring the same things its own way, kept current when
a camera moves (only the cells it touches are recomputed), incidents in view, blind
spots."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from tests.app.dispatch.support import PLACE, add_camera, offset


@pytest.fixture
def grid(london: None, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["grids", "build", "--cell-m", "500"])
    assert result.exit_code == 0, result.output


def rows_by_cell(client: FlaskClient, headers: dict[str, str], **query: str) -> dict:
    answer = client.get("/api/v1/coverage", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.json
    return {row["cell_id"]: row for row in answer.json["rows"]} | {
        "_recomputed": answer.json["recomputed_cells"]}


def test_figures_follow_the_cameras(client: FlaskClient, grid: None,
                                    supervisor: dict[str, str], connection: sa.Connection) -> None:
    before = rows_by_cell(client, supervisor)
    assert before["_recomputed"] > 0  # the first answer computes every cell
    cells = {k: v for k, v in before.items() if k != "_recomputed"}
    osm_cameras = connection.execute(sa.text("SELECT count(*) FROM cameras")).scalar_one()
    assert cells and sum(r["cameras"] for r in cells.values()) == osm_cameras
    camera = add_camera(client, supervisor, name="corner", lon=PLACE[0], lat=PLACE[1],
                        range_m=40)
    after = rows_by_cell(client, supervisor)
    assert 1 <= after["_recomputed"] <= 4  # only the cells the camera's disc touches
    cell_id = connection.execute(sa.text(
        "SELECT id FROM grid_cells WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:x, :y),"
        " 4326))"), {"x": PLACE[0], "y": PLACE[1]}).scalar_one()
    row = after[cell_id]
    assert row["cameras"] == before[cell_id]["cameras"] + 1
    assert row["seen_road_km"] > before[cell_id]["seen_road_km"]
    # PostGIS, measuring on the spheroid: road length inside the union of the coverage
    seen = ("(SELECT ST_Intersection(ST_Union(c.coverage), g.geom) AS geom FROM cameras c, "
            "grid_cells g WHERE g.id = :g AND ST_Intersects(c.coverage, g.geom) GROUP BY g.geom)")
    expected_km = connection.execute(sa.text(
        "SELECT sum(ST_Length(ST_Intersection(r.geom, s.geom)::geography)) / 1000 "
        f"FROM roads r, {seen} s WHERE ST_Intersects(r.geom, s.geom)"),
        {"g": cell_id}).scalar_one()
    assert row["seen_road_km"] == pytest.approx(expected_km, rel=0.01)
    seen_m2 = connection.execute(sa.text(f"SELECT ST_Area(s.geom::geography) FROM {seen} s"),
                                 {"g": cell_id}).scalar_one()
    assert row["seen_km2"] * 1e6 == pytest.approx(seen_m2, rel=0.01)
    assert row["cameras_per_road_km"] == pytest.approx(row["cameras"] / row["road_km"],
                                                       rel=0.01)
    assert sum(c["seen_km"] for c in row["by_class"].values()) == pytest.approx(
        row["seen_road_km"], abs=0.002)
    # the area level is the sum of the cells
    areas = client.get("/api/v1/coverage?level=area", headers=supervisor).json["rows"]
    grid_rows = [r for k, r in after.items() if k != "_recomputed"]
    assert sum(a["seen_road_km"] for a in areas) == pytest.approx(
        sum(r["seen_road_km"] for r in grid_rows), abs=0.01)
    assert sum(a["cameras"] for a in areas) == osm_cameras + 1
    # moving the camera 1.5 km recomputes its old and new cells only
    far = offset(*PLACE, 90, 1500)
    moved = client.patch(f"/api/v1/cameras/{camera['id']}", json={"lon": far[0],
                                                                    "lat": far[1]},
                         headers=supervisor)
    assert moved.status_code == 200, moved.json
    again = rows_by_cell(client, supervisor)
    assert 2 <= again["_recomputed"] <= 8
    assert again[cell_id]["cameras"] == before[cell_id]["cameras"]
    assert again[cell_id]["seen_road_km"] == pytest.approx(before[cell_id]["seen_road_km"])
    # a status change marks nothing
    client.patch(f"/api/v1/cameras/{camera['id']}", json={"status": "offline"},
                 headers=supervisor)
    assert rows_by_cell(client, supervisor)["_recomputed"] == 0


def test_incidents_in_view_and_blind_spots(client: FlaskClient, grid: None,
                                           supervisor: dict[str, str], analyst: dict[str, str],
                                           connection: sa.Connection) -> None:
    camera = add_camera(client, supervisor, name="corner", lon=PLACE[0], lat=PLACE[1],
                        range_m=40)
    seen, unseen = offset(*PLACE, 0, 10), offset(*PLACE, 0, 120)
    for n, (x, y) in enumerate((seen, unseen, seen)):
        connection.execute(sa.text(
            "INSERT INTO incidents (source, source_id, occurred_at, time_resolution, category,"
            " geom) VALUES ('test', :sid, :at, 'minute', 'theft', "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"sid": f"i{n}", "x": x, "y": y,
             "at": "2024-03-05T10:00:00Z" if n < 2 else "2023-01-01T10:00:00Z"})
    rows = client.get("/api/v1/coverage?from=2024-03&to=2024-03&level=area",
                      headers=analyst).json["rows"]
    assert sum(r["incidents"] for r in rows) == 2
    assert sum(r["incidents_seen"] for r in rows) == 1
    csv_text = client.get("/api/v1/coverage?format=csv", headers=analyst).get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("cell_id,code,cell_name")
    answer = client.get("/api/v1/coverage?format=geojson", headers=analyst)
    # strict JSON, as a browser reads it: a cell without a name is null, never NaN
    layer = json.loads(answer.get_data(as_text=True), parse_constant=_not_json)
    assert layer["type"] == "FeatureCollection" and layer["features"]
    # blind roads: the segments under the camera's disc are no longer listed
    watched = set(connection.execute(sa.text(
        "SELECT edge_id FROM camera_roads WHERE camera_id = :c"), {"c": camera["id"]}).scalars())
    assert watched
    blind = client.get("/api/v1/coverage/blind-roads", headers=analyst).json
    listed = {f["properties"]["edge_id"] for f in blind["features"]}
    assert listed and not (listed & watched)
    assert client.get("/api/v1/coverage/blind-roads?format=csv",
                      headers=analyst).mimetype == "text/csv"
    # blind hot spots: a hot cell around the camera is seen; one 600 m away is blind
    for code, (x, y) in (("H-seen", PLACE), ("H-blind", offset(*PLACE, 180, 600))):
        connection.execute(sa.text(
            "INSERT INTO patrol_hotspots (code, geom) VALUES (:code, ST_Multi(ST_Envelope("
            "ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4326), 0.0005))))"),
            {"code": code, "x": x, "y": y})
    hot = client.get("/api/v1/coverage/blind-hotspots", headers=analyst).json
    assert [f["properties"]["code"] for f in hot["features"]] == ["H-blind"]
    partly = client.get("/api/v1/coverage/blind-hotspots?max_share=1", headers=analyst).json
    shares = {f["properties"]["code"]: f["properties"]["seen_share"]
              for f in partly["features"]}
    assert shares["H-blind"] == 0 and 0 < shares["H-seen"] < 1
    assert client.get("/api/v1/coverage?area=nowhere", headers=analyst).status_code == 404


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")
