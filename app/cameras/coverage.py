"""Camera coverage in the database: ``sector`` (the plain wedge) and ``coverage`` (the
wedge cut by building footprints), recomputed when a camera or the buildings change."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.cameras import repository
from app.geography.hooks import OsmImported
from dispatch.cameras import CameraKind
from gis.coverage import coverage_sectors, visible_sector

logger = logging.getLogger(__name__)


def refresh_coverage(session: Session, *, camera_ids: Sequence[int] | None = None,
                     within: BaseGeometry | None = None) -> int:
    """Recompute sector, coverage and watched road segments for some cameras (all when no
    filter is given).

    ``camera_ids`` picks cameras by id; ``within`` (an EPSG:4326 polygon) picks those
    standing inside it. Returns the number of cameras updated. Runs in the session's
    transaction; the caller commits.
    """
    cameras = repository.cameras_to_cover(session, camera_ids=camera_ids, within=within)
    if cameras.empty:
        return 0
    cameras["range_m"] = [
        r if r is not None and r == r else default_range_m(k)  # NaN/None: by kind
        for r, k in zip(cameras["range_m"], cameras["kind"], strict=True)]
    cameras["sector"] = coverage_sectors(cameras, segments=16)
    blocking = repository.store_sectors(
        session, cameras.set_geometry("sector").drop(columns="geometry").rename_geometry("geom"))
    if blocking:
        cut = cameras[cameras["id"].isin(list(blocking))]
        polygons = [
            shapely.force_2d(visible_sector(
                float(row.geometry.x), float(row.geometry.y),
                azimuth_deg=_maybe(row.azimuth_deg), fov_deg=_maybe(row.fov_deg),
                range_m=float(row.range_m), segments=16, rays=90,
                obstacles=blocking[int(row.id)]))
            for row in cut.itertuples()]
        visible = gpd.GeoDataFrame({"id": cut["id"].to_numpy()},
                                   geometry=gpd.GeoSeries(polygons, crs="EPSG:4326"),
                                   crs="EPSG:4326").rename_geometry("geom")
        repository.store_coverage(session, visible)
    repository.link_watched_roads(session, [int(i) for i in cameras["id"]])
    logger.info("coverage of %d cameras refreshed (%d cut by buildings)", len(cameras),
                len(blocking))
    return len(cameras)


def refresh_after_osm_import(session: Session, imported: OsmImported) -> Mapping[str, int]:
    """After an OSM import that wrote cameras, buildings or road segments, recompute the
    coverage of the cameras in the extract's box (``camera_coverage``: how many)."""
    written = imported.written
    if imported.extent is None or not (written.get("cameras") or written.get("buildings")
                                       or written.get("road_edges")):
        return {}
    return {"camera_coverage": refresh_coverage(session, within=imported.extent)}


def default_range_m(kind: str) -> float:
    try:
        return CameraKind(kind).default_range_m
    except ValueError:
        return CameraKind.FIXED.default_range_m


def _maybe(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number
