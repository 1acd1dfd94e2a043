"""Reverse geocoding against the real PostGIS: the nearest-neighbour candidate query on the
London extract (Fleet Street × Chancery Lane), its agreement with a brute-force scan, the
words in both languages, and the area a console opens on."""

from __future__ import annotations

import pytest
import shapely
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from app.db import get_session
from app.geography.places import place_at, place_json, place_text
from app.geography.repository.places import home_area, place_candidates
from gis.places import describe_place
from tests.app.dispatch.support import offset
from tests.conftest import SHARED_DATA

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
FLEET_X_CHANCERY = (-0.1110544, 51.5138168)  # where the two streets share a node
NEW_CHANGE_STOP = (-0.09646, 51.51395)  # on New Change, 12 m from a bus stop


@pytest.fixture
def london(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code == 0, result.output


def test_a_known_london_junction_is_named(app: Flask, london: None) -> None:
    lon, lat = offset(*FLEET_X_CHANCERY, 250, 12)  # 12 m west along Fleet Street
    with app.app_context():
        place = place_at(get_session(), lon, lat)
        assert place.kind == "junction"
        assert {place.road.key, place.cross_road.key} == {  # type: ignore[union-attr]
            "Fleet Street", "Chancery Lane"}
        assert place.junction_distance_m == pytest.approx(12, abs=1.5)
        text = place_text(place, "en")
        assert text is not None and "Fleet Street" in text and " × " in text
        zh = place_text(place, "zh")
        assert zh is not None and "交叉口" in zh and "Chancery Lane" in zh


def test_the_candidates_hold_every_named_road_a_full_scan_finds_nearby(
        app: Flask, london: None, connection: sa.Connection) -> None:
    """The KNN query (index order) against a brute-force scan of every named road: all
    roads within 60 m of the place are among the candidates, nearest first."""
    for lon, lat in (FLEET_X_CHANCERY, NEW_CHANGE_STOP, (-0.0983, 51.5138)):
        with app.app_context():
            roads, pois = place_candidates(get_session(), lon, lat)
        scanned = connection.execute(sa.text(
            "SELECT DISTINCT coalesce(name, name_en, name_zh) FROM roads "
            "WHERE coalesce(name, name_en, name_zh) IS NOT NULL AND ST_DWithin("
            "geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, 60)"),
            {"x": lon, "y": lat}).scalars().all()
        assert scanned, "the place has named roads around it"
        assert set(scanned) <= {road.names.key for road in roads}
        point = shapely.Point(lon, lat)
        distances = [road.geometry.distance(point) for road in roads]
        assert distances == sorted(distances)
        assert pois and all(poi.names.key for poi in pois)


def test_a_place_on_a_road_names_the_landmark(app: Flask, london: None) -> None:
    with app.app_context():
        session = get_session()
        place = place_at(session, *NEW_CHANGE_STOP)
        assert place.road is not None and place.road.key == "New Change"
        assert place.poi is not None and place.poi_kind == "bus_station"
        data = place_json(place)
        assert data["text_en"].startswith("New Change, ")
        assert "(bus station)" in data["text_en"] and "公交站" in data["text_zh"]
        assert data["poi_distance_m"] == pytest.approx(place.poi_distance_m, abs=0.05)


def test_far_from_everything_nothing_is_named(app: Flask, london: None) -> None:
    with app.app_context():
        place = place_at(get_session(), 0.5, 51.0)  # the Channel coast, off the extract
        assert place.kind == "unknown"
        assert place_json(place)["text_en"] is None
        # the pure decision gives the same on the same candidates
        roads, pois = place_candidates(get_session(), 0.5, 51.0)
        assert describe_place(0.5, 51.0, roads, pois) == place


def test_the_home_area_is_the_one_with_the_grid(app: Flask, london: None,
                                                runner: FlaskCliRunner,
                                                connection: sa.Connection) -> None:
    with app.app_context():
        london_area = home_area(get_session())  # the placeholder area of the import
        assert london_area is not None
    connection.execute(sa.text(
        "INSERT INTO areas (name, kind, geom) VALUES ('Far away', 'area', "
        "ST_Multi(ST_MakeEnvelope(24.9, 60.1, 25.2, 60.3, 4326)))"))  # larger than London's
    with app.app_context():
        assert home_area(get_session())["name"] == "Far away"  # type: ignore[index]
    result = runner.invoke(args=["grids", "build", "--cell-m", "500",
                                 "--area", london_area["name"]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = home_area(get_session())
        assert found is not None and found["name"] == london_area["name"]
        west, south, east, north = found["bounds"]
        assert west < -0.1 < east and south < 51.51 < north
        assert home_area(get_session(), named="Far away")["name"] == "Far away"  # type: ignore[index]
