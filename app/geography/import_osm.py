"""``gridpatrol import osm``: roads, road graph, buildings, POIs, cameras, land cover."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from scipy.spatial import ConvexHull, QhullError
from sqlalchemy.orm import Session

from app import audit
from app.db.bulk import bump_version, raw_cursor, upsert, upsert_stream
from app.geography.hooks import OsmImported, run_after_osm_import
from gis.osm import OsmExtract, OsmReader, ProgressCallback

ROAD_COLUMNS = ["osm_id", "highway", "name", "name_zh", "name_en", "ref", "oneway",
                "maxspeed_kmh", "speed_kmh", "drivable", "walkable", "geom"]
EDGE_COLUMNS = ["osm_way_id", "seq", "u", "v", "length_m", "travel_s", "oneway", "highway",
                "name", "geom"]
BUILDING_COLUMNS = ["osm_key", "building", "name", "height_m", "levels", "geom"]
POI_COLUMNS = ["osm_key", "kind", "name", "name_zh", "name_en", "tags", "geom"]
LANDCOVER_COLUMNS = ["osm_key", "kind", "name", "geom"]
CAMERA_COLUMNS = ["osm_key", "source", "name", "kind", "azimuth_deg", "fov_deg", "height_m",
                  "mount", "tags", "geom"]
ROAD_BATCH = 4096  # roads per frame streamed to PostgreSQL during the first pass
# OSM camera:type → our camera kinds
CAMERA_KINDS = {"fixed": "fixed", "dome": "dome", "panning": "ptz", "ptz": "ptz"}


@dataclass
class ImportSummary:
    file: str
    written: dict[str, int]
    found: dict[str, int]
    skipped: dict[str, int] = field(default_factory=dict)
    default_area: str | None = None


def camera_frame(extract: OsmExtract) -> Any:
    cameras = extract.cameras.copy()
    if cameras.empty:
        return cameras
    cameras["source"] = "osm"
    cameras["kind"] = [
        "checkpoint" if t in ("ALPR", "alpr") else CAMERA_KINDS.get(str(k).lower(), "fixed")
        for k, t in zip(cameras["camera_type"], cameras["surveillance_type"], strict=True)]
    cameras["azimuth_deg"] = cameras["direction_deg"]
    cameras["fov_deg"] = cameras["angle_deg"]
    return cameras


def write_edges(cur: Any, edges: gpd.GeoDataFrame) -> int:
    """Upsert road graph edges; pieces of re-drawn ways that no longer exist go."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM road_edges)")
    had_edges = cur.fetchone()[0]
    written = upsert(cur, "road_edges", edges, EDGE_COLUMNS, key=("osm_way_id", "seq"))
    if had_edges and not edges.empty:  # a way re-drawn with fewer junctions leaves
        # stale pieces behind (every way in the file, whichever of its pieces it kept)
        cur.execute("DELETE FROM road_edges e WHERE EXISTS (SELECT 1 FROM _import_road_edges t "
                    "WHERE t.osm_way_id = e.osm_way_id) AND NOT EXISTS (SELECT 1 FROM "
                    "_import_road_edges n WHERE n.osm_way_id = e.osm_way_id AND n.seq = e.seq)")
    return written


def write_features(cur: Any, extract: OsmExtract) -> dict[str, int]:
    """Upsert buildings, POIs, land cover and cameras."""
    written: dict[str, int] = {}
    buildings = extract.buildings
    if not buildings.empty:
        buildings = buildings.assign(levels=buildings["levels"].astype("Int64"))
    written["buildings"] = upsert(cur, "buildings", buildings, BUILDING_COLUMNS, key="osm_key")
    written["pois"] = upsert(cur, "pois", extract.pois, POI_COLUMNS, key="osm_key")
    written["landcover"] = upsert(cur, "landcover", extract.landcover, LANDCOVER_COLUMNS,
                                  key="osm_key")
    written["cameras"] = upsert(cur, "cameras", camera_frame(extract), CAMERA_COLUMNS,
                                key="osm_key")
    return written


def ensure_default_area(session: Session, name: str, extract: OsmExtract) -> str | None:
    """An area covering the imported roads (convex hull + 100 m) when no area holds them.

    "Holds" means an existing area contains the centre of the extract's roads, so a
    re-import, or an extract inside imported boundaries, adds no area.
    """
    if extract.roads.empty:
        return None
    points = shapely.get_coordinates(extract.roads.geometry.values)
    try:
        hull = shapely.Polygon(points[ConvexHull(points).vertices])  # qhull: fast
    except QhullError:  # roads all on one line: the hull is that line (buffered below)
        hull = shapely.convex_hull(shapely.multipoints(points))
    centre = hull.centroid
    with raw_cursor(session) as cur:
        cur.execute("SELECT 1 FROM areas WHERE ST_Contains(geom, ST_SetSRID(%s::geometry, 4326))",
                    (centre.wkb_hex,))
        if cur.fetchone():
            return None
        cur.execute(
            "INSERT INTO areas (name, kind, geom) VALUES (%s || CASE WHEN EXISTS ("
            "SELECT 1 FROM areas WHERE name = %s) THEN ' (' || left(md5(%s), 6) || ')' "
            "ELSE '' END, 'extent', ST_Multi(ST_Buffer(ST_SetSRID(%s::geometry, 4326)"
            "::geography, 100)::geometry)) RETURNING name",
            (name, name, hull.wkb_hex, hull.wkb_hex))
        row = cur.fetchone()
        bump_version(cur, "areas")
    return str(row[0]) if row else None


def import_osm(session: Session, path: str | Path, *,
               progress: ProgressCallback | None = None,
               reason: str | None = None) -> ImportSummary:
    """Read ``path`` and write it under one savepoint; the caller commits.

    The app's after-import hooks (`app.geography.hooks`; the cameras area recomputes the
    coverage of cameras in the extract's box) run inside the savepoint too.

    Three things run at once, like osm2pgsql's processes: pass 1 (nodes and ways)
    here, whose roads stream into PostgreSQL by a writer thread as they are read, and
    pass 2 (areas) in a forked process (see `gis.osm.OsmReader.start_areas`). A file found bad
    in either pass, or a failed write, rolls back to the savepoint: nothing of the file
    is kept.
    """
    path = Path(path)
    reader = OsmReader(path, progress=progress)
    pending = reader.start_areas()
    try:
        with session.begin_nested(), raw_cursor(session) as cur:
            with upsert_stream(cur, "roads", ROAD_COLUMNS, key="osm_id") as roads:
                ways = reader.ways(on_roads=roads.write, batch=ROAD_BATCH)
            if progress is not None:
                progress("writing road edges to PostGIS", len(ways.road_edges))
            written = {"roads": roads.written, "road_edges": write_edges(cur, ways.road_edges)}
            bump_version(cur, "roads")
            extract = reader.extract(ways, pending.result())
            if progress is not None:
                progress("writing the rest to PostGIS", sum(extract.counts().values()))
            written |= write_features(cur, extract)
            written |= run_after_osm_import(session, OsmImported(dict(written),
                                                                 _extent(extract)))
            area = ensure_default_area(session, _area_name(path), extract)
            summary = ImportSummary(str(path), written, extract.counts(),
                                    dict(extract.skipped), area)
            audit.record(session, "import.osm", object_type="file", object_id=path.name,
                         reason=reason, details={
                             "sha256": file_sha256(path), "found": summary.found,
                             "written": written, "skipped": summary.skipped,
                             "default_area": area})
    finally:
        pending.cancel()
    return summary


def _extent(extract: OsmExtract) -> shapely.Polygon | None:
    """The box around the extract's roads, buildings and cameras (EPSG:4326), if any."""
    boxes = [frame.total_bounds for frame in (extract.roads, extract.buildings, extract.cameras)
             if not frame.empty]
    if not boxes:
        return None
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return shapely.box(west, south, east, north)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (extracts can be large)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _area_name(path: Path) -> str:
    return path.name.split(".")[0].replace("-", " ").replace("_", " ").title()
