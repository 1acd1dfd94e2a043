"""Camera coverage in the database: ``sector`` (the plain wedge) and ``coverage`` (the
wedge cut by building footprints), recomputed when a camera or the buildings change."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psycopg import Cursor, sql
from sqlalchemy.orm import Session

from app.db.bulk import copy_frame, raw_cursor
from dispatch.cameras import CameraKind
from gis.coverage import coverage_sectors, visible_sector

logger = logging.getLogger(__name__)

_CAMERAS_SQL = ("SELECT id, kind, azimuth_deg, fov_deg, range_m, geom FROM cameras "
                "WHERE {where}")


def refresh_coverage(session: Session, *, camera_ids: Sequence[int] | None = None,
                     within_wkb: bytes | None = None) -> int:
    """Recompute sector, coverage and watched road segments for some cameras (all when no
    filter is given).

    ``camera_ids`` picks cameras by id; ``within_wkb`` (EPSG:4326 WKB polygon) picks those
    standing inside it. Returns the number of cameras updated. Runs in the session's
    transaction; the caller commits.
    """
    where: str = "TRUE"
    params: dict[str, Any] = {}
    if camera_ids is not None:
        where, params = "id = ANY(%(ids)s)", {"ids": list(camera_ids)}
    elif within_wkb is not None:
        where, params = ("ST_Intersects(geom, ST_GeomFromWKB(%(area)s, 4326))",
                         {"area": within_wkb})
    with raw_cursor(session) as cur:
        cur.execute(_CAMERAS_SQL.format(where=where), params)  # type: ignore[arg-type]
        rows = cur.fetchall()
        if not rows:
            return 0
        frame = pd.DataFrame(rows, columns=["id", "kind", "azimuth_deg", "fov_deg", "range_m",
                                            "geom"])
        cameras = gpd.GeoDataFrame(
            frame.drop(columns="geom"),
            geometry=shapely.from_wkb(frame["geom"].map(bytes.fromhex).to_numpy()),
            crs="EPSG:4326")
        cameras["range_m"] = [
            r if r is not None and r == r else default_range_m(k)  # NaN/None: by kind
            for r, k in zip(cameras["range_m"], cameras["kind"], strict=True)]
        cameras["sector"] = coverage_sectors(cameras, segments=16)
        _write(cur, cameras.set_geometry("sector").drop(columns="geometry").rename_geometry(
            "geom"), "sector")
        cur.execute("UPDATE cameras c SET sector = t.geom, coverage = ST_Multi(t.geom), "
                    "updated_at = now() FROM _coverage t WHERE c.id = t.id")
        cur.execute("SELECT t.id, ST_AsBinary(b.geom) FROM _coverage t "
                    "JOIN buildings b ON ST_Intersects(b.geom, t.geom)")
        blocking: dict[int, list[bytes]] = defaultdict(list)
        for camera_id, wkb in cur.fetchall():
            blocking[int(camera_id)].append(bytes(wkb))
        if blocking:
            cut = cameras[cameras["id"].isin(list(blocking))]
            polygons = [
                shapely.force_2d(visible_sector(
                    float(row.geometry.x), float(row.geometry.y),
                    azimuth_deg=_maybe(row.azimuth_deg), fov_deg=_maybe(row.fov_deg),
                    range_m=float(row.range_m), segments=16, rays=90,
                    obstacles=list(shapely.from_wkb(blocking[int(row.id)]))))
                for row in cut.itertuples()]
            visible = gpd.GeoDataFrame({"id": cut["id"].to_numpy()},
                                       geometry=gpd.GeoSeries(polygons, crs="EPSG:4326"),
                                       crs="EPSG:4326").rename_geometry("geom")
            _write(cur, visible, "coverage")
            cur.execute("UPDATE cameras c SET coverage = ST_Multi(t.geom) "
                        "FROM _coverage t WHERE c.id = t.id")
        ids = [int(i) for i in cameras["id"]]
        cur.execute("DELETE FROM camera_roads WHERE camera_id = ANY(%s)", (ids,))
        cur.execute("INSERT INTO camera_roads (camera_id, edge_id) SELECT c.id, e.id "
                    "FROM cameras c JOIN road_edges e ON ST_Intersects(c.coverage, e.geom) "
                    "WHERE c.id = ANY(%s)", (ids,))
        logger.info("coverage of %d cameras refreshed (%d cut by buildings)", len(cameras),
                    len(blocking))
        return len(cameras)


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


def _write(cur: Cursor[Any], frame: gpd.GeoDataFrame, what: str) -> None:
    """Stage (id, polygon) rows in the temporary table ``_coverage``."""
    cur.execute("DROP TABLE IF EXISTS _coverage")
    cur.execute("CREATE TEMP TABLE _coverage (id integer PRIMARY KEY, "
                "geom geometry(Geometry, 4326)) ON COMMIT DROP")
    copy_frame(cur, sql.Identifier("_coverage"), frame[["id", "geom"]], ["id", "geom"])
    logger.debug("%d %s polygons staged", len(frame), what)
