"""The camera call-up of an alert through the API, on real PostGIS: cameras that see the
place, nearby ones that do not and why, escape cameras on the roads out.

The camera checks are worked out by hand: a camera looking east at 90° with a 100 m range
stands at a known point; places 40 m east, west and behind a building are asked for.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.cameras.coverage import refresh_coverage
from app.db import get_session
from app.geography.graph import road_graph
from dispatch.callup import MAX_ESCAPE_CAMERAS
from tests.app.dispatch.support import (
    CAM_LAT,
    CAM_LON,
    PLACE,
    add_camera,
    offset,
    raise_alert,
)


def test_camera_facing_away_is_not_called_up(client: FlaskClient, supervisor: dict[str, str],
                                             dispatcher: dict[str, str]) -> None:
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    east = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 40))
    assert [c["id"] for c in east["cameras"]] == [camera["id"]]
    seen = east["cameras"][0]
    assert abs(seen["distance_m"] - 40) < 0.5 and seen["off_axis_deg"] < 1
    assert "40 m" in seen["reason"]
    west = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 270, 40))
    assert west["cameras"] == []
    assert [c["id"] for c in west["nearby_cameras"]] == [camera["id"]]
    assert west["nearby_cameras"][0]["off_axis_deg"] > 170
    assert "faces away" in west["nearby_cameras"][0]["reason"]
    far = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 150))
    assert far["cameras"] == [] and "out of range" in far["nearby_cameras"][0]["reason"]


def test_a_building_between_camera_and_place_removes_it(
        client: FlaskClient, supervisor: dict[str, str], dispatcher: dict[str, str],
        connection: sa.Connection) -> None:
    # A 10 m x 30 m block 20-30 m east of the camera, across its line of sight.
    corners = [offset(*offset(CAM_LON, CAM_LAT, 90, east), 0, north)
               for east, north in ((20, -15), (30, -15), (30, 15), (20, 15), (20, -15))]
    wkt = "MULTIPOLYGON(((" + ", ".join(f"{x} {y}" for x, y in corners) + ")))"
    connection.execute(sa.text("INSERT INTO buildings (osm_key, building, geom) VALUES "
                               "('w-test', 'yes', ST_GeomFromText(:wkt, 4326))"), {"wkt": wkt})
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    behind = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 60))
    assert behind["cameras"] == []
    assert "building" in behind["nearby_cameras"][0]["reason"]
    before = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 12))
    assert [c["id"] for c in before["cameras"]] == [camera["id"]]
    # the stored coverage is cut too: it does not reach the place behind the block
    hidden = connection.execute(sa.text(
        "SELECT ST_Covers(coverage, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) FROM cameras "
        "WHERE id = :id"), dict(zip(("x", "y"), offset(CAM_LON, CAM_LAT, 90, 60), strict=True))
        | {"id": camera["id"]}).scalar_one()
    assert hidden is False


def test_ranking_prefers_near_and_on_axis(client: FlaskClient, supervisor: dict[str, str],
                                          dispatcher: dict[str, str]) -> None:
    place = offset(CAM_LON, CAM_LAT, 90, 40)
    straight = add_camera(client, supervisor, name="straight", azimuth_deg=90, fov_deg=60,
                          range_m=100)
    at = offset(CAM_LON, CAM_LAT, 180, 30)
    oblique = add_camera(client, supervisor, name="oblique", lon=at[0], lat=at[1],
                         azimuth_deg=20, fov_deg=90, range_m=100)
    called = raise_alert(client, dispatcher, *place)["cameras"]
    assert [c["id"] for c in called] == [straight["id"], oblique["id"]]


def test_escape_cameras_watch_roads_out(client: FlaskClient, london: None,
                                        supervisor: dict[str, str],
                                        dispatcher: dict[str, str]) -> None:
    # a camera ~250 m along the roads, looking all round: not seeing the place, but
    # watching a road a car from the place reaches within three minutes
    lon, lat = offset(*PLACE, 270, 250)
    camera = add_camera(client, supervisor, name="junction", lon=lon, lat=lat, range_m=40)
    answer = raise_alert(client, dispatcher, *PLACE)
    escape = {c["id"]: c for c in answer["escape_cameras"]}
    assert camera["id"] in escape
    entry = escape[camera["id"]]
    assert 0 < entry["travel_s"] <= 180
    assert entry["reason"].startswith("watches ") and "min away" in entry["reason"]
    short = raise_alert(client, dispatcher, *PLACE, escape_minutes=0.05)
    assert camera["id"] not in {c["id"] for c in short["escape_cameras"]}


def test_escape_cameras_are_the_soonest_reached(app: Flask, client: FlaskClient, london: None,
                                               dispatcher: dict[str, str]) -> None:
    # More cameras on the reachable roads than the answer lists: the batched walk over
    # the reached segments must return exactly the soonest ones, as one full join would.
    with app.test_request_context():
        session = get_session()
        reach = road_graph(session).graph.reachable_from_point(*PLACE, max_travel_s=180)
        picks = reach.sample(n=min(len(reach), 160), random_state=3)["edge_id"].tolist()
        ids = [row[0] for row in session.execute(sa.text(
            "INSERT INTO cameras (source, name, kind, range_m, geom) "
            "SELECT 'manual', 'cam-' || e.id, 'dome', 25, "
            "       ST_LineInterpolatePoint(e.geom, 0.5) "
            "FROM road_edges e WHERE e.id = ANY(:edges) RETURNING id"), {"edges": picks})]
        refresh_coverage(session, camera_ids=ids)
        session.commit()
        full = session.execute(sa.text(
            "SELECT cr.camera_id, min(r.reached_s) AS s "
            "FROM unnest(CAST(:edges AS int[]), CAST(:reached AS float8[])) r(edge_id, reached_s) "
            "JOIN camera_roads cr USING (edge_id) GROUP BY cr.camera_id ORDER BY s, camera_id"),
            {"edges": reach["edge_id"].tolist(), "reached": reach["reached_s"].tolist()}).all()
    answer = raise_alert(client, dispatcher, *PLACE)
    seen = {c["id"] for c in answer["cameras"]}
    expected = [(camera_id, round(s, 1)) for camera_id, s in full if camera_id not in seen]
    assert len(expected) > MAX_ESCAPE_CAMERAS
    got = [(c["id"], c["travel_s"]) for c in answer["escape_cameras"]]
    assert got == expected[:MAX_ESCAPE_CAMERAS]


def test_alert_without_roads_still_calls_up_cameras(
        client: FlaskClient, app: Flask, supervisor: dict[str, str],
        dispatcher: dict[str, str]) -> None:
    camera = add_camera(client, supervisor, azimuth_deg=90, fov_deg=60, range_m=100)
    answer = raise_alert(client, dispatcher, *offset(CAM_LON, CAM_LAT, 90, 40))
    assert [c["id"] for c in answer["cameras"]] == [camera["id"]]
    assert answer["units"] == [] and answer["notes"]
    with app.app_context():
        assert get_session() is not None
