"""Reading an OpenStreetMap extract (.osm.pbf or .osm XML) into GeoDataFrames.

One pass with pyosmium (node locations cached, multipolygons assembled) gives roads
(one row per way), the drivable road graph's edges (ways split at junctions), building
footprints, points of interest, surveillance cameras and land cover for the basemap.
Everything is in EPSG:4326; lengths are geodesic metres.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import osmium
import shapely
from pyproj import Geod
from shapely.geometry import Point

from gis.memory import collector_paused

WGS84 = "EPSG:4326"
_GEOD = Geod(ellps="WGS84")

DRIVABLE = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "road", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
})
WALK_ONLY = frozenset({"footway", "path", "pedestrian", "steps", "cycleway", "track",
                       "bridleway", "corridor"})
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
DEFAULT_SPEED_KMH = {
    "motorway": 100.0, "trunk": 80.0, "primary": 60.0, "secondary": 50.0, "tertiary": 40.0,
    "unclassified": 40.0, "residential": 30.0, "living_street": 10.0, "service": 15.0,
    "road": 30.0, "motorway_link": 60.0, "trunk_link": 50.0, "primary_link": 40.0,
    "secondary_link": 40.0, "tertiary_link": 30.0,
}
# Country-coded implicit limits (maxspeed=DE:urban …); the zone suffix decides.
ZONE_SPEED_KMH = {"urban": 50.0, "rural": 100.0, "motorway": 130.0, "living_street": 7.0,
                  "walk": 7.0, "trunk": 100.0, "zone30": 30.0, "zone20": 20.0}
COMPASS = {name: i * 22.5 for i, name in enumerate(
    ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
     "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"])}

# kind → (key, values) that make a point of interest patrols care about
POI_KINDS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "school": (("amenity", frozenset({"school", "college", "university"})),),
    "kindergarten": (("amenity", frozenset({"kindergarten", "childcare"})),),
    "bank": (("amenity", frozenset({"bank", "bureau_de_change"})),),
    "atm": (("amenity", frozenset({"atm"})),),
    "hospital": (("amenity", frozenset({"hospital", "clinic"})),),
    "market": (("amenity", frozenset({"marketplace"})),
               ("shop", frozenset({"supermarket"}))),
    "mall": (("shop", frozenset({"mall", "department_store"})),),
    "bus_station": (("amenity", frozenset({"bus_station"})),
                    ("highway", frozenset({"bus_stop"}))),
    "rail_station": (("railway", frozenset({"station", "halt", "subway_entrance"})),),
    "nightlife": (("amenity", frozenset({"bar", "pub", "nightclub", "karaoke_box"})),),
    "fuel": (("amenity", frozenset({"fuel"})),),
    "government": (("office", frozenset({"government"})),
                   ("amenity", frozenset({"townhall", "police", "courthouse"}))),
    "place_of_worship": (("amenity", frozenset({"place_of_worship"})),),
}
LANDCOVER_KINDS: dict[str, tuple[tuple[str, frozenset[str] | None], ...]] = {
    "water": (("natural", frozenset({"water", "bay"})), ("waterway", frozenset({"riverbank"})),
              ("landuse", frozenset({"reservoir", "basin"}))),
    "park": (("leisure", frozenset({"park", "garden", "pitch", "playground"})),
             ("landuse", frozenset({"grass", "recreation_ground", "village_green"}))),
    "forest": (("landuse", frozenset({"forest"})), ("natural", frozenset({"wood", "scrub"}))),
    "residential": (("landuse", frozenset({"residential"})),),
    "commercial": (("landuse", frozenset({"commercial", "retail"})),),
    "industrial": (("landuse", frozenset({"industrial", "railway"})),),
    "farmland": (("landuse", frozenset({"farmland", "meadow", "orchard", "vineyard"})),),
}
# Objects without any of these keys never reach Python (libosmium filters them).
INTERESTING_KEYS = ("highway", "building", "amenity", "shop", "railway", "office", "man_made",
                    "natural", "waterway", "landuse", "leisure")
ProgressCallback = Callable[[str, int], None]


class OsmReadError(ValueError):
    """The OSM file cannot be read (missing, corrupt or truncated)."""


@dataclass
class OsmExtract:
    """What an OSM file holds for gridpatrol, every frame in EPSG:4326."""

    roads: gpd.GeoDataFrame
    road_edges: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    landcover: gpd.GeoDataFrame
    skipped: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        return {"roads": len(self.roads), "road_edges": len(self.road_edges),
                "buildings": len(self.buildings), "pois": len(self.pois),
                "cameras": len(self.cameras), "landcover": len(self.landcover)}


# -- tag parsing -------------------------------------------------------------------------

def parse_speed_kmh(raw: str | None) -> float | None:
    """``maxspeed`` in km/h: '50', '30 mph', 'DE:urban', 'walk'; None if unusable."""
    if not raw:
        return None
    value = raw.split(";")[0].strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", value)
    if match:
        speed = float(match.group(1))
        speed = speed * 1.609344 if match.group(2) == "mph" else speed
        return speed if 0 < speed <= 200 else None
    zone = value.split(":")[-1]
    return ZONE_SPEED_KMH.get(zone)


def parse_direction_deg(raw: str | None) -> float | None:
    """A camera direction in degrees clockwise from north: '135', 'SE', '90-180'."""
    if not raw:
        return None
    value = raw.split(";")[0].strip().upper()
    if value in COMPASS:
        return COMPASS[value]
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:\s*-\s*(-?\d+(?:\.\d+)?))?", value)
    if not match:
        return None
    start = float(match.group(1))
    if match.group(2) is not None:  # a range: its middle, clockwise
        end = float(match.group(2))
        start = start + ((end - start) % 360) / 2
    return start % 360


def parse_metres(raw: str | None) -> float | None:
    """A height such as '5', '5 m', '5.5m', "16'"; None if unusable."""
    if not raw:
        return None
    value = raw.split(";")[0].strip().lower().replace(",", ".")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(m|metres|meters|ft|')?", value)
    if not match:
        return None
    metres = float(match.group(1))
    return metres * 0.3048 if match.group(2) in ("ft", "'") else metres


def oneway_direction(tags: Tags) -> int:
    """+1 forward only, -1 backward only, 0 both ways."""
    raw = tags.get("oneway", "").lower()
    if raw in ("yes", "true", "1"):
        return 1
    if raw in ("-1", "reverse"):
        return -1
    if raw in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in (
            "motorway", "motorway_link"):
        return 1
    return 0


def poi_kind(tags: Tags) -> str | None:
    for kind, rules in POI_KINDS.items():
        for key, values in rules:
            if tags.get(key) in values:
                return kind
    return None


def landcover_kind(tags: Tags) -> str | None:
    for kind, rules in LANDCOVER_KINDS.items():
        for key, values in rules:
            if key in tags and (values is None or tags[key] in values):
                return kind
    return None


class Tags(Protocol):
    """What gridpatrol needs of a tag list: a dict or pyosmium's TagList."""

    def get(self, key: str, default: Any = None, /) -> Any: ...

    def __contains__(self, key: str, /) -> bool: ...

    def __getitem__(self, key: str, /) -> str: ...


def _tag_dict(tags: Tags) -> dict[str, str]:
    if isinstance(tags, dict):
        return tags
    return {tag.k: tag.v for tag in tags}  # type: ignore[attr-defined]


def _names(tags: Tags) -> dict[str, str | None]:
    return {"name": tags.get("name"),
            "name_zh": tags.get("name:zh") or tags.get("name:zh-Hans"),
            "name_en": tags.get("name:en")}


# -- reading -----------------------------------------------------------------------------

@dataclass
class _Collector:
    roads: list[dict[str, Any]] = field(default_factory=list)
    # per road: its (node id, lon, lat) run, or libosmium's hex WKB line (walk-only roads)
    road_nodes: list[list[tuple[int, float, float]] | None] = field(default_factory=list)
    road_wkb: list[str | None] = field(default_factory=list)
    buildings: list[dict[str, Any]] = field(default_factory=list)
    pois: list[dict[str, Any]] = field(default_factory=list)
    cameras: list[dict[str, Any]] = field(default_factory=list)
    landcover: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def _is_camera(tags: Tags) -> bool:
    return tags.get("man_made") == "surveillance" and tags.get(
        "surveillance:type", "camera") in ("camera", "ALPR", "alpr")


def _camera_row(key: str, tags: Tags, point: Point,
                skipped: Counter[str]) -> dict[str, Any]:
    raw_direction = tags.get("camera:direction") or tags.get("direction")
    direction = parse_direction_deg(raw_direction)
    if raw_direction and direction is None:
        skipped["camera direction not understood (camera kept, direction unknown)"] += 1
    angle = parse_direction_deg(tags.get("camera:angle"))
    return {
        "osm_key": key, "name": tags.get("name"), "camera_type": tags.get("camera:type"),
        "mount": tags.get("camera:mount"), "direction_deg": direction,
        "angle_deg": angle, "height_m": parse_metres(tags.get("height")),
        "zone": tags.get("surveillance:zone") or tags.get("surveillance"),
        "surveillance_type": tags.get("surveillance:type"), "tags": _tag_dict(tags),
        "geometry": point,
    }


def _read(path: Path, progress: ProgressCallback | None) -> _Collector:
    out = _Collector()
    wkb = osmium.geom.WKBFactory()
    processor = osmium.FileProcessor(str(path)).with_locations().with_areas().with_filter(
        osmium.filter.KeyFilter(*INTERESTING_KEYS))
    seen = 0
    for obj in processor:
        seen += 1
        if progress is not None and seen % 50_000 == 0:
            progress("objects read", seen)
        if not obj.tags:
            continue
        tags = obj.tags
        if isinstance(obj, osmium.osm.Node):
            _collect_node(obj, tags, out)
        elif isinstance(obj, osmium.osm.Way):
            _collect_way(obj, tags, wkb, out)
        elif isinstance(obj, osmium.osm.Area):
            _collect_area(obj, tags, wkb, out)
    if progress is not None:
        progress("objects read", seen)
    return out


def _collect_node(node: osmium.osm.Node, tags: Tags, out: _Collector) -> None:
    point = Point(node.location.lon, node.location.lat)
    key = f"n{node.id}"
    if _is_camera(tags):
        out.cameras.append(_camera_row(key, tags, point, out.skipped))
    kind = poi_kind(tags)
    if kind:
        out.pois.append({"osm_key": key, "kind": kind, **_names(tags), "tags": _tag_dict(tags),
                         "geometry": point})


def _collect_way(way: osmium.osm.Way, tags: Tags, wkb: Any, out: _Collector) -> None:
    highway = tags.get("highway")
    if highway in DRIVABLE or highway in WALK_ONLY:
        _collect_road(way, tags, wkb, out)
    if _is_camera(tags):  # a camera drawn as a way: use its first node
        try:
            first = way.nodes[0]
            out.cameras.append(_camera_row(f"w{way.id}", tags, Point(first.lon, first.lat),
                                           out.skipped))
        except (osmium.InvalidLocationError, IndexError):
            out.skipped["camera way without location"] += 1


def _collect_road(way: osmium.osm.Way, tags: Tags, wkb: Any, out: _Collector) -> None:
    row = _road_row(way.id, tags)
    if not row["drivable"]:  # no graph edges: libosmium builds the line, no node ids needed
        try:
            line = wkb.create_linestring(way)
        except (osmium.InvalidLocationError, RuntimeError):
            pass  # nodes outside the extract, or a degenerate way: the general path below
        else:
            out.roads.append(row)
            out.road_nodes.append(None)
            out.road_wkb.append(line)
            return
    nodes = way.nodes
    run = _longest_located_run(nodes)
    if len(run) < len(nodes):
        out.skipped["road cut at the edge of the extract (part kept)" if len(run) >= 2
                    else "road with fewer than 2 nodes inside the extract"] += 1
    if len(run) >= 2:
        out.roads.append(row)
        out.road_nodes.append(run)
        out.road_wkb.append(None)


def _longest_located_run(nodes: Any) -> list[tuple[int, float, float]]:
    """(node id, lon, lat) of the longest run of nodes whose location is known."""
    try:  # the common case: every node is inside the extract
        return [(n.ref, n.lon, n.lat) for n in nodes]
    except osmium.InvalidLocationError:
        pass
    best: list[tuple[int, float, float]] = []
    run: list[tuple[int, float, float]] = []
    for node in nodes:
        if node.location.valid():
            run.append((node.ref, node.location.lon, node.location.lat))
            continue
        if len(run) > len(best):
            best = run
        run = []
    return run if len(run) > len(best) else best


def _collect_area(obj: Any, tags: Tags, wkb: Any, out: _Collector) -> None:
    building = tags.get("building")
    kind = poi_kind(tags)
    cover = landcover_kind(tags)
    if not (building or kind or cover):
        return
    key = ("w" if obj.from_way() else "r") + str(obj.orig_id())
    try:
        geometry = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj)))
    except RuntimeError:
        out.skipped["area that could not be assembled"] += 1
        return
    if geometry.is_empty:
        out.skipped["empty area"] += 1
        return
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        if geometry.geom_type != "MultiPolygon":
            polygons = [g for g in getattr(geometry, "geoms", [geometry])
                        if g.geom_type == "Polygon"]
            if not polygons:
                out.skipped["invalid area"] += 1
                return
            geometry = shapely.MultiPolygon(polygons)
    if building and building != "no":
        levels = parse_metres(tags.get("building:levels"))
        out.buildings.append({
            "osm_key": key, "building": building, "name": tags.get("name"),
            "height_m": parse_metres(tags.get("height")),
            "levels": int(levels) if levels is not None else None, "geometry": geometry})
    if kind:
        out.pois.append({"osm_key": key, "kind": kind, **_names(tags), "tags": _tag_dict(tags),
                         "geometry": geometry.representative_point()})
    if cover and not building:
        out.landcover.append({"osm_key": key, "kind": cover, "name": tags.get("name"),
                              "geometry": geometry})


def _road_row(way_id: int, tags: Tags) -> dict[str, Any]:
    get = tags.get  # called a dozen times for each of tens of thousands of ways
    highway = get("highway")
    drivable = highway in DRIVABLE and get("access") not in ("no", "private")
    raw_speed = get("maxspeed")
    maxspeed = parse_speed_kmh(raw_speed) if raw_speed else None
    return {
        "osm_id": way_id, "highway": highway, "name": get("name"),
        "name_zh": get("name:zh") or get("name:zh-Hans"), "name_en": get("name:en"),
        "ref": get("ref"), "oneway": oneway_direction(tags) if drivable else 0,
        "maxspeed_kmh": maxspeed,
        "speed_kmh": maxspeed or DEFAULT_SPEED_KMH.get(highway, 5.0),
        "drivable": drivable,
        "walkable": highway not in NOT_WALKABLE and get("foot") != "no",
    }


def geodesic_lengths_m(coords: np.ndarray) -> np.ndarray:
    """Lengths in metres of the segments of a lon/lat polyline (WGS-84 ellipsoid)."""
    _, _, dist = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    return np.asarray(dist, dtype=float)


def _linestrings(coords: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """One shapely call for many polylines stored end to end (``sizes`` points each)."""
    if not len(sizes):
        return np.array([], dtype=object)
    return np.asarray(shapely.linestrings(coords, indices=np.repeat(np.arange(len(sizes)),
                                                                     sizes)))


def _from_hex_wkb(lines: list[str]) -> np.ndarray:
    """Shapely geometries from hex WKB (decoding the hex in Python is much faster)."""
    return np.asarray(shapely.from_wkb([bytes.fromhex(line) for line in lines]))


@dataclass
class _Polylines:
    """The node runs of many ways end to end: ``sizes[k]`` nodes for way ``k``."""

    refs: np.ndarray  # int64 node ids
    coords: np.ndarray  # (n, 2) lon, lat
    sizes: np.ndarray

    @classmethod
    def of(cls, runs: list[list[tuple[int, float, float]]]) -> _Polylines:
        sizes = np.fromiter((len(run) for run in runs), dtype=np.int64, count=len(runs))
        flat = np.array([node for run in runs for node in run], dtype=np.float64)
        if not len(flat):
            return cls(np.empty(0, np.int64), np.empty((0, 2)), sizes)
        # node ids are far below 2**53, so they pass through float64 exactly
        return cls(flat[:, 0].astype(np.int64), flat[:, 1:], sizes)


def _road_geometries(collected: _Collector, polylines: _Polylines) -> np.ndarray:
    """Lines for every road: from node coordinates (drivable) or libosmium's WKB."""
    geoms = np.empty(len(collected.roads), dtype=object)
    with_nodes = [i for i, nodes in enumerate(collected.road_nodes) if nodes is not None]
    with_wkb = [i for i, w in enumerate(collected.road_wkb) if w is not None]
    if with_nodes:
        geoms[with_nodes] = _linestrings(polylines.coords, polylines.sizes)
    if with_wkb:
        geoms[with_wkb] = _from_hex_wkb([w for w in collected.road_wkb if w is not None])
    return geoms


_EDGE_FIELDS = ["osm_way_id", "seq", "u", "v", "length_m", "travel_s", "oneway", "highway",
                "name"]


def split_into_edges(roads: list[dict[str, Any]], polylines: _Polylines) -> gpd.GeoDataFrame:
    """Split drivable ways at junctions (nodes shared by two or more ways) into edges.

    ``polylines`` holds one node run per road in ``roads`` (every drivable road has
    one; walk-only roads read as lines by libosmium are not passed). Each edge runs
    from ``u`` to ``v`` in the way's allowed direction (``oneway=-1`` ways are
    reversed), with geodesic ``length_m`` and ``travel_s`` at the way's speed; ``seq``
    numbers a way's pieces from 0. All of it is vectorised: one geodesic call over every
    segment, one cut over every node.
    """
    mask = np.fromiter((road["drivable"] for road in roads), dtype=bool, count=len(roads))
    if not mask.any():
        return _frame([], _EDGE_FIELDS)
    drivable = [road for road, keep in zip(roads, mask, strict=True) if keep]
    all_starts = np.concatenate([[0], np.cumsum(polylines.sizes)[:-1]])
    sizes, first = polylines.sizes[mask], all_starts[mask]
    # gather the drivable runs end to end, oneway=-1 ways back to front
    backwards = np.fromiter((road["oneway"] == -1 for road in drivable), dtype=bool,
                            count=len(drivable))
    way_of = np.repeat(np.arange(len(drivable)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = np.arange(int(sizes.sum())) - starts[way_of]
    take = first[way_of] + np.where(backwards[way_of], sizes[way_of] - 1 - within, within)
    refs, coords = polylines.refs[take], polylines.coords[take]
    # cumulative geodesic distance along the concatenation (cross-way jumps never used)
    cumulative = np.concatenate([[0.0], np.cumsum(geodesic_lengths_m(coords))])
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    is_cut = counts[inverse] > 1
    is_cut[starts] = True
    is_cut[starts + sizes - 1] = True
    cuts = np.flatnonzero(is_cut)
    same_way = way_of[cuts[:-1]] == way_of[cuts[1:]]
    a, b = cuts[:-1][same_way], cuts[1:][same_way]
    edge_way = way_of[a]
    seq = np.arange(len(a)) - np.searchsorted(edge_way, edge_way, side="left")
    length = cumulative[b] - cumulative[a]
    keep = ~((refs[a] == refs[b]) & (length == 0.0))  # a closed way with no junction
    a, b, edge_way, seq, length = a[keep], b[keep], edge_way[keep], seq[keep], length[keep]
    if not len(a):
        return _frame([], _EDGE_FIELDS)
    speed_ms = np.array([road["speed_kmh"] for road in drivable], dtype=float) / 3.6
    points = b - a + 1  # consecutive edges share their cut node
    offsets = np.concatenate([[0], np.cumsum(points)[:-1]])
    piece = np.arange(int(points.sum())) + np.repeat(a - offsets, points)
    columns = {
        "osm_way_id": np.array([road["osm_id"] for road in drivable], dtype=np.int64)[edge_way],
        "seq": seq, "u": refs[a], "v": refs[b], "length_m": length,
        "travel_s": length / speed_ms[edge_way],
        "oneway": np.array([road["oneway"] != 0 for road in drivable], dtype=bool)[edge_way],
        "highway": np.array([road["highway"] for road in drivable], dtype=object)[edge_way],
        "name": np.array([road["name"] for road in drivable], dtype=object)[edge_way],
    }
    return gpd.GeoDataFrame(columns, geometry=_linestrings(coords[piece], points), crs=WGS84)


def _frame(rows: Iterable[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    rows = list(rows)
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84),
                                crs=WGS84)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


@collector_paused()
def read_osm(path: str | Path, *, progress: ProgressCallback | None = None) -> OsmExtract:
    """Read an ``.osm.pbf`` or ``.osm`` file.

    Parameters
    ----------
    path
        The extract; its format is told by its suffix.
    progress
        Called now and then with a phase name and a count.

    Returns
    -------
    OsmExtract
        Frames in EPSG:4326; ``skipped`` counts what was left out, by reason.

    Raises
    ------
    OsmReadError
        When the file is missing, empty, corrupt or truncated (nothing is returned).
    """
    path = Path(path)
    if not path.is_file():
        raise OsmReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise OsmReadError(f"{path}: the file is empty")
    if not path.name.endswith((".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        raise OsmReadError(f"{path}: expected a .osm.pbf or .osm file")
    try:
        collected = _read(path, progress)
    except RuntimeError as exc:  # libosmium's io/pbf/xml errors
        raise OsmReadError(f"{path}: not a readable OSM file ({exc})") from None
    if not (collected.roads or collected.buildings or collected.pois or collected.cameras):
        raise OsmReadError(f"{path}: no roads, buildings, points of interest or cameras found")
    if progress is not None:
        progress("splitting roads at junctions", len(collected.roads))
    polylines = _Polylines.of([nodes for nodes in collected.road_nodes if nodes is not None])
    edges = split_into_edges([road for road, nodes in zip(
        collected.roads, collected.road_nodes, strict=True) if nodes is not None], polylines)
    road_geoms = _road_geometries(collected, polylines)
    roads = gpd.GeoDataFrame(collected.roads, geometry=road_geoms, crs=WGS84) \
        if collected.roads else _frame([], ["osm_id"])
    return OsmExtract(
        roads=roads,
        road_edges=edges,
        buildings=_frame(collected.buildings, ["osm_key"]),
        pois=_frame(collected.pois, ["osm_key", "kind"]),
        cameras=_frame(collected.cameras, ["osm_key"]),
        landcover=_frame(collected.landcover, ["osm_key", "kind"]),
        skipped=collected.skipped,
    )


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial bearing in degrees clockwise from north (used for camera axes)."""
    azimuth, _, _ = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(azimuth) % 360 if not math.isnan(azimuth) else 0.0
