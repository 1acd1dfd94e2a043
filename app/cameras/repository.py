"""Cameras in PostGIS: every query of the cameras area. GeoJSON with each camera's
coverage, one camera as JSON, the registry's look-ups and writes, and the coverage
tables (``sector``, ``coverage``, ``camera_roads``). Nothing here commits."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from psycopg import Cursor, sql
from shapely.geometry.base import BaseGeometry
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.db.bulk import copy_frame, raw_cursor
from app.db.geometry import from_ewkb_many, to_ewkb
from app.geography.repository import MAX_FEATURES, BBox
from app.models import Camera, CameraCatalogEntry, CameraStatusChange

logger = logging.getLogger(__name__)

_COLUMNS = """c.id, c.name, c.kind, c.source, c.azimuth_deg, c.fov_deg, c.range_m, c.height_m,
    c.mount, c.status, c.gb_id, c.area_id, c.stream_url IS NOT NULL AS has_stream,
    c.recording_url IS NOT NULL AS has_recording,
    c.updated_at, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
    ST_AsGeoJSON(c.coverage, 6)::json AS coverage,
    CASE WHEN c.azimuth_deg IS NOT NULL AND coalesce(c.fov_deg, 360) < 360
         THEN ST_AsGeoJSON(c.sector, 6)::json END AS sector"""


def cameras_geojson(session: Session, bbox: BBox | None, *, limit: int = MAX_FEATURES) -> str:
    """Cameras (point features) with their coverage polygon as a property."""
    where = "TRUE"
    params: dict[str, Any] = {"limit": limit, "limit_plus_one": limit + 1}
    if bbox is not None:
        where = ("(c.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) OR "
                 "c.coverage && ST_MakeEnvelope(:w, :s, :e, :n, 4326))")
        params.update(w=bbox.west, s=bbox.south, e=bbox.east, n=bbox.north)
    return str(session.execute(sa.text(f"""
        WITH rows AS (SELECT {_COLUMNS}, c.geom FROM cameras c WHERE {where}
                      ORDER BY c.id LIMIT :limit_plus_one)
        SELECT json_build_object(
            'type', 'FeatureCollection', 'truncated', count(*) > :limit,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 6)::json,
                'properties', to_jsonb(numbered) - 'geom' - 'rn' - 'lon' - 'lat'
            )) FILTER (WHERE rn <= :limit), '[]'::json))::text
        FROM (SELECT *, row_number() OVER () AS rn FROM rows) numbered
    """), params).scalar_one())  # noqa: S608 (where is one of two constants)


def camera_dict(session: Session, camera_id: int) -> dict[str, Any] | None:
    row = session.execute(sa.text(f"SELECT {_COLUMNS} FROM cameras c WHERE c.id = :id"),  # noqa: S608
                          {"id": camera_id}).mappings().first()
    if row is None:
        return None
    data = dict(row)
    data["updated_at"] = data["updated_at"].isoformat()
    return data


# -- the registry ----------------------------------------------------------------------------

def camera_for_update(session: Session, camera_id: int) -> Camera | None:
    """The camera, its row locked until the transaction ends."""
    return session.execute(sa.select(Camera).where(Camera.id == camera_id).with_for_update()
                           ).scalar_one_or_none()


def gb_id_holder(session: Session, gb_id: str, *, other_than: int | None) -> int | None:
    """The id of a camera (but ``other_than``) with this GB/T 28181 id."""
    return session.execute(sa.select(Camera.id).where(
        Camera.gb_id == gb_id, Camera.id != (other_than or -1))).scalar()


def camera_ids_by_gb_id(session: Session, gb_ids: Sequence[str]) -> dict[str, int]:
    """``{gb_id: camera id}`` of the cameras holding these GB/T 28181 ids."""
    if not gb_ids:
        return {}
    return {g: i for g, i in session.execute(
        sa.select(Camera.gb_id, Camera.id).where(Camera.gb_id.in_(list(gb_ids)))).all()}


@dataclass(frozen=True)
class CatalogTarget:
    """What a catalogue import needs to know of a camera it updates."""

    id: int
    status: str
    azimuth_deg: float | None
    kind: str
    fov_deg: float | None
    range_m: float | None
    lon: float
    lat: float


def catalog_targets(session: Session, gb_ids: Sequence[str]) -> dict[str, CatalogTarget]:
    """``{gb_id: target}`` of the cameras holding these GB/T 28181 ids, rows locked."""
    if not gb_ids:
        return {}
    rows = session.execute(sa.text("""
        SELECT gb_id, id, status, azimuth_deg, kind, fov_deg, range_m, ST_X(geom), ST_Y(geom)
        FROM cameras WHERE gb_id = ANY(:ids) FOR UPDATE"""), {"ids": list(gb_ids)})
    return {str(r[0]): CatalogTarget(int(r[1]), str(r[2]), r[3], str(r[4]), r[5], r[6],
                                     float(r[7]), float(r[8])) for r in rows}


def save_catalog_entries(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Keep what the catalogue said of each camera (``camera_catalog``), replacing the
    previous import's row."""
    if not entries:
        return
    statement = insert(CameraCatalogEntry).values(list(entries))
    columns = [c for c in entries[0] if c != "camera_id"]
    session.execute(statement.on_conflict_do_update(
        index_elements=["camera_id"],
        set_={c: statement.excluded[c] for c in columns} | {"imported_at": sa.func.now()}))


def set_statuses(session: Session, changes: Sequence[dict[str, Any]]) -> None:
    """Change cameras' states and keep each change (uptime history), in two statements:
    ``changes`` are ``camera_status_changes`` rows (camera_id, at, from_status, to_status,
    reason)."""
    if not changes:
        return
    session.execute(sa.text("""
        UPDATE cameras c SET status = v.status, status_at = v.at
        FROM unnest(CAST(:ids AS int[]), CAST(:statuses AS text[]),
                    CAST(:ats AS timestamptz[])) AS v(id, status, at)
        WHERE c.id = v.id"""), {"ids": [c["camera_id"] for c in changes],
                                 "statuses": [c["to_status"] for c in changes],
                                 "ats": [c["at"] for c in changes]})
    session.execute(insert(CameraStatusChange), list(changes))


def catalog_entry(session: Session, camera_id: int) -> dict[str, Any] | None:
    """The catalogue's record of a camera, JSON-ready; None when no catalogue brought it."""
    row = session.get(CameraCatalogEntry, camera_id)
    if row is None:
        return None
    return {"platform_id": row.platform_id, "manufacturer": row.manufacturer,
            "model": row.model, "owner": row.owner, "civil_code": row.civil_code,
            "address": row.address, "parent_id": row.parent_id, "status": row.status,
            "source_lon": row.source_lon, "source_lat": row.source_lat, "datum": row.datum,
            "details": row.details, "source": row.source,
            "imported_at": row.imported_at.isoformat()}


def update_camera(session: Session, camera_id: int, values: dict[str, Any]) -> None:
    """Set these columns of one camera (``geom`` as EWKB, see `app.db.geometry`)."""
    session.execute(sa.update(Camera).where(Camera.id == camera_id).values(**values))


def stream_urls(session: Session, camera_ids: Sequence[int]) -> list[tuple[int, str]]:
    """``(id, stream URL)`` of those of these cameras that have a stream."""
    rows = session.execute(sa.select(Camera.id, Camera.stream_url).where(
        Camera.id.in_(list(camera_ids)), Camera.stream_url.is_not(None))).all()
    return [(int(r[0]), str(r[1])) for r in rows]


# -- coverage --------------------------------------------------------------------------------

_COVERED_SQL = ("SELECT id, kind, azimuth_deg, fov_deg, range_m, geom FROM cameras "
                "WHERE {where}")


def cameras_to_cover(session: Session, *, camera_ids: Sequence[int] | None = None,
                     within: BaseGeometry | None = None) -> gpd.GeoDataFrame:
    """Cameras by id, or standing inside ``within`` (EPSG:4326), or all: ``id``, ``kind``,
    ``azimuth_deg``, ``fov_deg``, ``range_m`` (NaN when unknown) and their points."""
    where = "TRUE"
    params: dict[str, Any] = {}
    if camera_ids is not None:
        where, params = "id = ANY(%(ids)s)", {"ids": list(camera_ids)}
    elif within is not None:
        where, params = ("ST_Intersects(geom, %(area)s::geometry)",
                         {"area": to_ewkb(within, hex=True)})
    with raw_cursor(session) as cur:
        cur.execute(_COVERED_SQL.format(where=where), params)  # type: ignore[arg-type]
        rows = cur.fetchall()
    columns = ["id", "kind", "azimuth_deg", "fov_deg", "range_m", "geom"]
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame.drop(columns="geom"),
                            geometry=from_ewkb_many(frame["geom"]), crs="EPSG:4326")


def store_sectors(session: Session, sectors: gpd.GeoDataFrame) -> dict[int, list[BaseGeometry]]:
    """Set each camera's ``sector`` and ``coverage`` to its plain wedge (``id`` and polygon
    ``geom`` columns); return the building footprints each wedge meets, by camera id."""
    with raw_cursor(session) as cur:
        _stage(cur, sectors, "sector")
        cur.execute("UPDATE cameras c SET sector = t.geom, coverage = ST_Multi(t.geom), "
                    "updated_at = now() FROM _coverage t WHERE c.id = t.id")
        cur.execute("SELECT t.id, ST_AsBinary(b.geom) FROM _coverage t "
                    "JOIN buildings b ON ST_Intersects(b.geom, t.geom)")
        rows = cur.fetchall()
    blocking: dict[int, list[bytes]] = defaultdict(list)
    for camera_id, wkb in rows:
        blocking[int(camera_id)].append(wkb)
    return {camera_id: list(from_ewkb_many(footprints))
            for camera_id, footprints in blocking.items()}


def store_coverage(session: Session, visible: gpd.GeoDataFrame) -> None:
    """Set the ``coverage`` of these cameras (``id`` and polygon ``geom`` columns)."""
    with raw_cursor(session) as cur:
        _stage(cur, visible, "coverage")
        cur.execute("UPDATE cameras c SET coverage = ST_Multi(t.geom) "
                    "FROM _coverage t WHERE c.id = t.id")


def link_watched_roads(session: Session, camera_ids: Sequence[int]) -> None:
    """Recompute ``camera_roads``: the road segments each camera's coverage meets."""
    ids = list(camera_ids)
    with raw_cursor(session) as cur:
        cur.execute("DELETE FROM camera_roads WHERE camera_id = ANY(%s)", (ids,))
        cur.execute("INSERT INTO camera_roads (camera_id, edge_id) SELECT c.id, e.id "
                    "FROM cameras c JOIN road_edges e ON ST_Intersects(c.coverage, e.geom) "
                    "WHERE c.id = ANY(%s)", (ids,))


def _stage(cur: Cursor[Any], frame: gpd.GeoDataFrame, what: str) -> None:
    """Stage (id, polygon) rows in the temporary table ``_coverage``."""
    cur.execute("DROP TABLE IF EXISTS _coverage")
    cur.execute("CREATE TEMP TABLE _coverage (id integer PRIMARY KEY, "
                "geom geometry(Geometry, 4326)) ON COMMIT DROP")
    copy_frame(cur, sql.Identifier("_coverage"), frame[["id", "geom"]], ["id", "geom"])
    logger.debug("%d %s polygons staged", len(frame), what)
