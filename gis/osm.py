"""Reading an OpenStreetMap extract (.osm.pbf or .osm XML) into GeoDataFrames.

Two passes with pyosmium: nodes and ways (node locations cached) give roads (one row
per way), the drivable road graph's edges (ways split at junctions, see
`gis.osm_lines`), points of interest and surveillance cameras; areas (multipolygons
assembled by libosmium) give building footprints, land cover for the basemap and POIs
drawn as areas. The second pass runs in a forked process beside the first where that
is safe (`runtime.forked`). What each tag means is in `gis.osm_tags`. Everything is in
EPSG:4326; lengths are geodesic metres.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from runtime.forked import ForkedCall
from runtime.memory import collector_paused
from shapely.geometry import Point

from gis.errors import OsmReadError as OsmReadError  # re-exported: importable from here
from gis.osm_lines import WGS84, Polylines, from_hex_wkb, linestrings, split_into_edges
from gis.osm_tags import (
    DRIVABLE,
    INTERESTING_KEYS,
    WALK_ONLY,
    Tags,
    camera_row,
    is_camera,
    landcover_kind,
    names,
    parse_metres,
    poi_kind,
    road_row,
    tag_dict,
)

ProgressCallback = Callable[[str, int], None]


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
        """Count the rows of each frame.

        Returns
        -------
        dict of str to int
            Rows per frame, by frame name: ``roads``, ``road_edges``, ``buildings``,
            ``pois``, ``cameras`` and ``landcover`` (``skipped`` is not counted).
        """
        return {"roads": len(self.roads), "road_edges": len(self.road_edges),
                "buildings": len(self.buildings), "pois": len(self.pois),
                "cameras": len(self.cameras), "landcover": len(self.landcover)}


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


class _ConsumerError(Exception):
    """Carries an exception of the ``on_roads`` callback through the pass unchanged."""


class _RoadBatches:
    """Roads handed on in frames while pass 1 goes on (an importer streams them)."""

    def __init__(self, out: _Collector, on_roads: Callable[[gpd.GeoDataFrame], None],
                 size: int) -> None:
        self.out = out
        self.on_roads = on_roads
        self.size = size
        self.sent = 0
        self.frames: list[gpd.GeoDataFrame] = []

    def send(self) -> None:
        end = len(self.out.roads)
        if end == self.sent:
            return
        part = _Collector(roads=self.out.roads[self.sent:end],
                          road_nodes=self.out.road_nodes[self.sent:end],
                          road_wkb=self.out.road_wkb[self.sent:end])
        frame = _roads_frame(part, Polylines.of(
            [nodes for nodes in part.road_nodes if nodes is not None]))
        try:
            self.on_roads(frame)
        except Exception as exc:
            raise _ConsumerError from exc
        self.frames.append(frame)
        self.sent = end


def _read_ways(path: Path, progress: ProgressCallback | None,
               batches: _RoadBatches | None = None) -> _Collector:
    """Pass 1: nodes and ways (roads, node POIs, cameras); no area assembly."""
    out = batches.out if batches is not None else _Collector()
    wkb = osmium.geom.WKBFactory()
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY) \
        .with_locations().with_filter(osmium.filter.KeyFilter(*INTERESTING_KEYS))
    seen = 0
    for obj in processor:
        seen += 1
        if progress is not None and seen % 50_000 == 0:
            progress("nodes and ways read", seen)
        tags = obj.tags
        if isinstance(obj, osmium.osm.Way):
            _collect_way(obj, tags, wkb, out)
            if batches is not None and len(out.roads) - batches.sent >= batches.size:
                batches.send()
        elif isinstance(obj, osmium.osm.Node):
            _collect_node(obj, tags, out)
    if batches is not None:
        batches.send()
    if progress is not None:
        progress("nodes and ways read", seen)
    return out


def _read_areas(path: Path, progress: ProgressCallback | None) -> _Collector:
    """Pass 2: areas (closed ways and multipolygons) assembled by libosmium.

    Only areas reach Python: nodes and ways feed the assembler in C++.
    """
    out = _Collector()
    wkb = osmium.geom.WKBFactory()
    processor = osmium.FileProcessor(str(path)).with_areas() \
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA)) \
        .with_filter(osmium.filter.KeyFilter(*INTERESTING_KEYS))
    seen = 0
    for obj in processor:
        seen += 1
        if progress is not None and seen % 50_000 == 0:
            progress("areas read", seen)
        _collect_area(obj, obj.tags, wkb, out)
    if progress is not None:
        progress("areas read", seen)
    return out


def _collect_node(node: osmium.osm.Node, tags: Tags, out: _Collector) -> None:
    point = Point(node.location.lon, node.location.lat)
    key = f"n{node.id}"
    if is_camera(tags):
        out.cameras.append(camera_row(key, tags, point, out.skipped))
    kind = poi_kind(tags)
    if kind:
        out.pois.append({"osm_key": key, "kind": kind, **names(tags), "tags": tag_dict(tags),
                         "geometry": point})


def _collect_way(way: osmium.osm.Way, tags: Tags, wkb: Any, out: _Collector) -> None:
    highway = tags.get("highway")
    if highway in DRIVABLE or highway in WALK_ONLY:
        _collect_road(way, tags, wkb, out)
    if is_camera(tags):  # a camera drawn as a way: use its first node
        try:
            first = way.nodes[0]
            out.cameras.append(camera_row(f"w{way.id}", tags, Point(first.lon, first.lat),
                                           out.skipped))
        except (osmium.InvalidLocationError, IndexError):
            out.skipped["camera way without location"] += 1


def _collect_road(way: osmium.osm.Way, tags: Tags, wkb: Any, out: _Collector) -> None:
    row = road_row(way.id, tags)
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
        out.pois.append({"osm_key": key, "kind": kind, **names(tags), "tags": tag_dict(tags),
                         "geometry": geometry.representative_point()})
    if cover and not building:
        out.landcover.append({"osm_key": key, "kind": cover, "name": tags.get("name"),
                              "geometry": geometry})


def _roads_frame(collected: _Collector, polylines: Polylines) -> gpd.GeoDataFrame:
    """The collected roads with their lines (``polylines``: their node runs, in order)."""
    return gpd.GeoDataFrame(collected.roads, geometry=_road_geometries(collected, polylines),
                            crs=WGS84)


def _road_geometries(collected: _Collector, polylines: Polylines) -> np.ndarray:
    """Lines for every road: from node coordinates (drivable) or libosmium's WKB."""
    geoms = np.empty(len(collected.roads), dtype=object)
    with_nodes = [i for i, nodes in enumerate(collected.road_nodes) if nodes is not None]
    with_wkb = [i for i, w in enumerate(collected.road_wkb) if w is not None]
    if with_nodes:
        geoms[with_nodes] = linestrings(polylines.coords, polylines.sizes)
    if with_wkb:
        geoms[with_wkb] = from_hex_wkb([w for w in collected.road_wkb if w is not None])
    return geoms


def _frame(rows: Iterable[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    rows = list(rows)
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84),
                                crs=WGS84)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


@dataclass
class OsmWays:
    """Pass 1 of an extract: roads, the road graph's edges, and what nodes and ways hold."""

    roads: gpd.GeoDataFrame
    road_edges: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    skipped: Counter[str]


@dataclass
class OsmAreas:
    """Pass 2 of an extract: buildings, land cover and POIs drawn as areas."""

    buildings: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    landcover: gpd.GeoDataFrame
    skipped: Counter[str]


class OsmReader:
    """Reads an ``.osm.pbf`` or ``.osm`` file in two passes, ways then areas.

    Two passes cost no more than one that assembles areas (libosmium reads relations
    first either way), and let an importer write the roads while the areas are read.

    Raises
    ------
    OsmReadError
        On construction when the file is missing, empty or not named as OSM data; from
        a pass when it is corrupt or truncated.
    """

    def __init__(self, path: str | Path, *, progress: ProgressCallback | None = None) -> None:
        self.path = Path(path)
        self._progress = progress
        if not self.path.is_file():
            raise OsmReadError(f"{self.path}: no such file")
        if self.path.stat().st_size == 0:
            raise OsmReadError(f"{self.path}: the file is empty")
        if not self.path.name.endswith((".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")):
            raise OsmReadError(f"{self.path}: expected a .osm.pbf or .osm file")

    @collector_paused()
    def ways(self, *, on_roads: Callable[[gpd.GeoDataFrame], None] | None = None,
             batch: int = 4096) -> OsmWays:
        """Roads (one row per way), the drivable ones split into edges, node POIs, cameras.

        With ``on_roads``, roads are also handed on during the pass in frames of
        ``batch`` rows (the last one shorter), so they can be written meanwhile; the
        returned ``roads`` are then those frames end to end.
        """
        batches = _RoadBatches(_Collector(), on_roads, batch) if on_roads is not None else None
        collected = self._pass(lambda path, progress: _read_ways(path, progress, batches))
        if self._progress is not None:
            self._progress("splitting roads at junctions", len(collected.roads))
        polylines = Polylines.of([nodes for nodes in collected.road_nodes if nodes is not None])
        edges = split_into_edges([road for road, nodes in zip(
            collected.roads, collected.road_nodes, strict=True) if nodes is not None], polylines)
        if batches is not None and batches.frames:
            roads = gpd.GeoDataFrame(pd.concat(batches.frames, ignore_index=True), crs=WGS84)
        elif collected.roads:
            roads = _roads_frame(collected, polylines)
        else:
            roads = _frame([], ["osm_id"])
        return OsmWays(roads=roads, road_edges=edges,
                       pois=_frame(collected.pois, ["osm_key", "kind"]),
                       cameras=_frame(collected.cameras, ["osm_key"]),
                       skipped=collected.skipped)

    @collector_paused()
    def areas(self) -> OsmAreas:
        """Building footprints, land cover, and POIs drawn as areas (at a point inside)."""
        collected = self._pass(_read_areas)
        return OsmAreas(buildings=_frame(collected.buildings, ["osm_key"]),
                        pois=_frame(collected.pois, ["osm_key", "kind"]),
                        landcover=_frame(collected.landcover, ["osm_key", "kind"]),
                        skipped=collected.skipped)

    def start_areas(self) -> ForkedCall[OsmAreas]:
        """Start pass 2 (areas) so that it runs while pass 1 (ways) does.

        Start pass 2 beside pass 1: in a forked process, on the other core, where that
        is safe (see `runtime.forked`), else in this one when its result is asked for.

        libosmium keeps Python's lock while it assembles areas, so a thread would not run
        alongside. Saved: Heidelberg 0.07 s of 0.87 s; Porto (11,000 buildings) 0.2 s of
        0.83 s. Call it before pass 1: libosmium's reader threads, which Python does not
        see, must not exist when the process forks. The pass reports no progress (the
        callback could write to a terminal or a connection the child must not touch).

        Returns
        -------
        ForkedCall of OsmAreas
            Its ``result()`` gives what :meth:`areas` returns (frames in EPSG:4326), from
            the child or computed then in this process; pass it to :meth:`extract`.
        """
        return ForkedCall.start(OsmReader(self.path).areas, name="gridpatrol-osm-areas")

    def extract(self, ways: OsmWays, areas: OsmAreas) -> OsmExtract:
        """Both passes together.

        Raises
        ------
        OsmReadError
            When the file holds no roads, buildings, points of interest or cameras.
        """
        extract = OsmExtract(
            roads=ways.roads, road_edges=ways.road_edges, buildings=areas.buildings,
            pois=_concat(ways.pois, areas.pois), cameras=ways.cameras,
            landcover=areas.landcover, skipped=ways.skipped + areas.skipped)
        if not (len(extract.roads) or len(extract.buildings) or len(extract.pois)
                or len(extract.cameras)):
            raise OsmReadError(
                f"{self.path}: no roads, buildings, points of interest or cameras found")
        return extract

    def _pass(self, read: Callable[[Path, ProgressCallback | None], _Collector]) -> _Collector:
        try:
            return read(self.path, self._progress)
        except _ConsumerError as wrapped:  # the caller's own error, not the file's
            raise wrapped.__cause__ from None  # type: ignore[misc]
        except RuntimeError as exc:  # libosmium's io/pbf/xml errors
            raise OsmReadError(f"{self.path}: not a readable OSM file ({exc})") from None


def _concat(first: gpd.GeoDataFrame, second: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows of both, column types inferred afresh (as if read in one pass)."""
    if second.empty:
        return first
    if first.empty:
        return second
    return _frame(first.to_dict("records") + second.to_dict("records"), list(first.columns))


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
    reader = OsmReader(path, progress=progress)
    areas = reader.start_areas()
    try:
        ways = reader.ways()
    except BaseException:
        areas.cancel()
        raise
    return reader.extract(ways, areas.result())
