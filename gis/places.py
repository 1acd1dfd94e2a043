"""Reverse geocoding: name a place by its roads, their junction and a landmark nearby.

:func:`describe_place` takes a point and the named roads and points of interest found
around it (the candidates; the caller finds them, e.g. with a PostGIS nearest-neighbour
query) and says where the point is, the way a dispatcher would voice it: at the junction
of two named roads when one lies within ``junction_within_m`` ("Mannerheimintie ×
Simonkatu"), else on (or near) the nearest named road, plus the nearest named landmark
with its distance ("30 m from Lasipalatsi"). The wording itself (in each language) is the
caller's: this module decides *what* to say and measures the distances.

Decisions
---------
- A junction is a vertex the two roads share. OpenStreetMap joins roads that meet at a
  shared node; a bridge over a road shares none, so a flyover is never called a junction.
- Roads are told apart by their name (``name``, else ``name:en``, else ``name:zh``): the
  two carriageways of one avenue are one road, and a junction needs two different names.
- Distances are measured on a local equirectangular projection around the point (metres
  per degree of longitude scaled by the cosine of the latitude): over the few hundred
  metres searched, the error is far below a metre, and no CRS library is needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import shapely
from shapely.geometry import LineString, Point

from gis.errors import CoordinateRangeError, GeometryTypeError

#: Metres per degree of latitude on the WGS-84 ellipsoid's mean meridian (close enough
#: for distances of a few hundred metres).
METRES_PER_DEGREE = 111_320.0
DEFAULT_JUNCTION_WITHIN_M = 30.0
DEFAULT_ROAD_WITHIN_M = 150.0
DEFAULT_POI_WITHIN_M = 250.0
ON_ROAD_M = 25.0
"""A place this close to a road's centre line is *on* it (a wide street's half-width)."""
AT_POI_M = 15.0
"""A place this close to a landmark is *at* it."""

#: Importance of road classes when more than two roads meet at a junction: the more
#: important crossing road is named.
ROAD_RANK = {
    "motorway": 0, "trunk": 1, "primary": 2, "secondary": 3, "tertiary": 4,
    "motorway_link": 5, "trunk_link": 5, "primary_link": 6, "secondary_link": 6,
    "tertiary_link": 7, "residential": 8, "unclassified": 8, "living_street": 9,
    "road": 9, "service": 10, "pedestrian": 11,
}
_OTHER_RANK = 12

PlaceKind = Literal["junction", "road", "poi", "unknown"]
Language = Literal["zh", "en"]
LocalProjection = Callable[[shapely.Geometry], shapely.Geometry]


@dataclass(frozen=True)
class Names:
    """The names of a road or landmark as OpenStreetMap gives them.

    Attributes
    ----------
    name : str or None
        The local name (``name``), as on the street sign.
    name_zh : str or None
        The Chinese name (``name:zh``).
    name_en : str or None
        The English name (``name:en``).
    """

    name: str | None = None
    name_zh: str | None = None
    name_en: str | None = None

    @property
    def key(self) -> str:
        """The name that tells roads apart: ``name``, else English, else Chinese, else ""."""
        return _clean(self.name) or _clean(self.name_en) or _clean(self.name_zh) or ""

    def in_language(self, language: Language) -> str:
        """The name to show in ``language``: its own name there, else the local one.

        Parameters
        ----------
        language : {"zh", "en"}
            ``"zh"`` prefers ``name:zh``, ``"en"`` prefers ``name:en``; both fall back to
            ``name`` and then to the other language.

        Returns
        -------
        str
            The name, or ``""`` when there is none.
        """
        own, other = ((self.name_zh, self.name_en) if language == "zh"
                      else (self.name_en, self.name_zh))
        return _clean(own) or _clean(self.name) or _clean(other) or ""


@dataclass(frozen=True)
class NearbyRoad:
    """A road found near the place.

    Attributes
    ----------
    names : Names
    geometry : shapely.LineString
        The road's centre line in EPSG:4326 (lon, lat degrees).
    highway : str
        Its OSM ``highway`` class (ranks the roads meeting at a junction).
    """

    names: Names
    geometry: LineString
    highway: str = ""


@dataclass(frozen=True)
class NearbyPoi:
    """A landmark (point of interest) found near the place.

    Attributes
    ----------
    names : Names
    kind : str
        gridpatrol's POI kind (``bus_station``, ``school``, …).
    lon, lat : float
        Position, EPSG:4326 degrees.
    """

    names: Names
    kind: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Place:
    """Where a point is, in words to be: its road, the junction, a landmark.

    Attributes
    ----------
    road : Names or None
        The nearest named road within reach (the road the place is on or near).
    road_distance_m : float or None
        Metres from the place to that road's centre line.
    cross_road : Names or None
        The other road of the junction, when the place is at one.
    junction_distance_m : float or None
        Metres from the place to the junction.
    junction_lon, junction_lat : float or None
        The junction's position (EPSG:4326).
    poi : Names or None
        The nearest named landmark within reach.
    poi_kind : str or None
    poi_distance_m : float or None
        Metres from the place to the landmark.
    """

    road: Names | None = None
    road_distance_m: float | None = None
    cross_road: Names | None = None
    junction_distance_m: float | None = None
    junction_lon: float | None = None
    junction_lat: float | None = None
    poi: Names | None = None
    poi_kind: str | None = None
    poi_distance_m: float | None = None

    @property
    def kind(self) -> PlaceKind:
        """What the place is named by.

        ``junction``, ``road`` (on or near one road), ``poi`` (a landmark only) or
        ``unknown`` (nothing named within reach).
        """
        if self.cross_road is not None:
            return "junction"
        if self.road is not None:
            return "road"
        return "poi" if self.poi is not None else "unknown"


def describe_place(lon: float, lat: float, roads: Sequence[NearbyRoad],
                   pois: Sequence[NearbyPoi], *,
                   junction_within_m: float = DEFAULT_JUNCTION_WITHIN_M,
                   road_within_m: float = DEFAULT_ROAD_WITHIN_M,
                   poi_within_m: float = DEFAULT_POI_WITHIN_M) -> Place:
    """Say where ``(lon, lat)`` is from the named roads and landmarks around it.

    Parameters
    ----------
    lon, lat : float
        The place, EPSG:4326 degrees.
    roads : sequence of NearbyRoad
        Candidate roads (EPSG:4326 lines). Roads without any name are ignored.
    pois : sequence of NearbyPoi
        Candidate landmarks. Landmarks without any name are ignored.
    junction_within_m : float, keyword-only
        A junction of the nearest road with another named road this close is named.
    road_within_m : float, keyword-only
        A road farther than this is not named.
    poi_within_m : float, keyword-only
        A landmark farther than this is not named.

    Returns
    -------
    Place
        The road (and crossing road) and the landmark, with distances in metres; each
        part is None when nothing named lies within reach.

    Raises
    ------
    CoordinateRangeError
        When ``lon``/``lat`` are not finite degrees within ±180/±90.
    GeometryTypeError
        When a road's geometry is not a line.
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
            and -90 <= lat <= 90):
        raise CoordinateRangeError(f"place ({lon}, {lat}) is not lon/lat degrees")
    to_local = _local_projection(lon, lat)
    origin = Point(0.0, 0.0)
    named = [road for road in roads if road.names.key]
    for road in named:
        if not isinstance(road.geometry, LineString):
            raise GeometryTypeError(
                f"road {road.names.key!r} is a {road.geometry.geom_type}, not a line")
    distances = [float(origin.distance(to_local(road.geometry))) for road in named]
    place = Place()
    nearest = min(range(len(named)), key=lambda i: (distances[i], named[i].names.key),
                  default=None)
    if nearest is not None and distances[nearest] <= road_within_m:
        road = named[nearest]
        place = Place(road=road.names, road_distance_m=distances[nearest])
        junction = _nearest_junction(road, named, to_local, within_m=junction_within_m)
        if junction is not None:
            cross, (junction_lon, junction_lat), junction_m = junction
            place = Place(road=road.names, road_distance_m=distances[nearest],
                          cross_road=cross.names, junction_distance_m=junction_m,
                          junction_lon=junction_lon, junction_lat=junction_lat)
    landmark = _nearest_poi(pois, to_local, within_m=poi_within_m)
    if landmark is not None:
        poi, poi_m = landmark
        place = Place(road=place.road, road_distance_m=place.road_distance_m,
                      cross_road=place.cross_road,
                      junction_distance_m=place.junction_distance_m,
                      junction_lon=place.junction_lon, junction_lat=place.junction_lat,
                      poi=poi.names, poi_kind=poi.kind, poi_distance_m=poi_m)
    return place


def rounded_distance_m(metres: float) -> int:
    """A distance as a person says it: to 5 m below 100 m, to 10 m above.

    Parameters
    ----------
    metres : float

    Returns
    -------
    int
    """
    step = 5 if metres < 100 else 10
    return int(step * round(metres / step))


def _clean(text: str | None) -> str:
    return text.strip() if isinstance(text, str) else ""


def _local_projection(lon0: float, lat0: float) -> LocalProjection:
    """A function taking EPSG:4326 geometries to metres east and north of (lon0, lat0)."""
    x_scale = METRES_PER_DEGREE * math.cos(math.radians(lat0))

    def to_local(geometry: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geometry, lambda xy: (xy - (lon0, lat0)) * (
            x_scale, METRES_PER_DEGREE))
    return to_local


def _nearest_junction(road: NearbyRoad, named: Sequence[NearbyRoad],
                      to_local: LocalProjection, *, within_m: float
                      ) -> tuple[NearbyRoad, tuple[float, float], float] | None:
    """The junction of ``road`` with another named road nearest to the place.

    The place is the origin of ``to_local``; only junctions within ``within_m`` count.
    Returns (the crossing road, the junction's lon/lat, metres), or None.
    """
    own = {_vertex_key(xy) for xy in road.geometry.coords}
    best: tuple[float, int, str, NearbyRoad, tuple[float, float]] | None = None
    for other in named:
        if other.names.key == road.names.key:
            continue
        for xy in other.geometry.coords:
            if _vertex_key(xy) not in own:
                continue
            metres = float(Point(0.0, 0.0).distance(to_local(Point(xy))))
            if metres > within_m:
                continue
            # nearest junction first; at one junction, the most important crossing road
            candidate = (round(metres, 1), ROAD_RANK.get(other.highway, _OTHER_RANK),
                         other.names.key, other, (float(xy[0]), float(xy[1])))
            if best is None or candidate[:3] < best[:3]:
                best = candidate
    if best is None:
        return None
    return best[3], best[4], best[0]


def _vertex_key(xy: Sequence[float]) -> tuple[int, int]:
    """A vertex to 1e-7 degree (about 1 cm): OSM node coordinates are stored to that."""
    return round(xy[0] * 1e7), round(xy[1] * 1e7)


def _nearest_poi(pois: Sequence[NearbyPoi], to_local: LocalProjection, *,
                 within_m: float) -> tuple[NearbyPoi, float] | None:
    best: tuple[float, str, NearbyPoi] | None = None
    for poi in pois:
        if not poi.names.key:
            continue
        metres = float(Point(0.0, 0.0).distance(to_local(Point(poi.lon, poi.lat))))
        if metres <= within_m and (best is None or (metres, poi.names.key) < best[:2]):
            best = (metres, poi.names.key, poi)
    return None if best is None else (best[2], best[0])
