"""``gridpatrol import osm``: roads, road graph, buildings, POIs, cameras, land cover."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from scipy.spatial import ConvexHull, QhullError
from sqlalchemy.orm import Session

from app import audit
from app.geography.hooks import OsmImported, run_after_osm_import
from app.geography.repository.areas import add_extent_area, area_holds
from app.geography.repository.osm import osm_writer
from gis.osm import OsmExtract, OsmReader, ProgressCallback

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
    if area_holds(session, hull.centroid):
        return None
    return add_extent_area(session, name, hull)


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
        with osm_writer(session) as writer:
            with writer.roads() as roads:
                ways = reader.ways(on_roads=roads.write, batch=ROAD_BATCH)
            if progress is not None:
                progress("writing road edges to PostGIS", len(ways.road_edges))
            written = {"roads": roads.written, "road_edges": writer.edges(ways.road_edges)}
            writer.roads_changed()
            extract = reader.extract(ways, pending.result())
            if progress is not None:
                progress("writing the rest to PostGIS", sum(extract.counts().values()))
            written |= writer.features(buildings=extract.buildings, pois=extract.pois,
                                       landcover=extract.landcover,
                                       cameras=camera_frame(extract))
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
