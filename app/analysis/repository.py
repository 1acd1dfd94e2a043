"""Every SQL statement of crime analysis: incidents in and out, stored grid cells, saved
results and what promotion writes (patrol hot spots, must-visit points at hot cells).

Periods are compared in each incident's *local* time (the zone its source reported in):
``from=2023-06`` means June as the police force counted it, so a police.uk June record,
stored as 2023-05-31 23:00 UTC, is in June, not May. The instants a day either side of the
period (wider than any zone's offset) are also required, so the index on ``occurred_at``
narrows the rows before each one's local time is worked out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.orm import Session

from app.db.bulk import bump_version, copy_frame, raw_cursor
from app.models import HotspotResult, Incident, IncidentCategoryMap, IncidentImport
from runtime.notes import Note

_LOCAL = "(i.occurred_at AT TIME ZONE coalesce(i.timezone, 'UTC'))"
_INCIDENTS_SQL = f"""
SELECT i.id, i.category, i.time_resolution, {_LOCAL} AS local_time, i.geom
FROM incidents i
WHERE (CAST(:since AS timestamp) IS NULL OR {_LOCAL} >= CAST(:since AS timestamp))
  AND (CAST(:until AS timestamp) IS NULL OR {_LOCAL} < CAST(:until AS timestamp))
  AND (CAST(:since AS timestamp) IS NULL
       OR i.occurred_at >= (CAST(:since AS timestamp) AT TIME ZONE 'UTC') - interval '1 day')
  AND (CAST(:until AS timestamp) IS NULL
       OR i.occurred_at < (CAST(:until AS timestamp) AT TIME ZONE 'UTC') + interval '1 day')
  AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:area AS text) IS NULL OR EXISTS (
        SELECT 1 FROM areas a WHERE a.name = :area AND ST_Covers(a.geom, i.geom)))
"""  # noqa: S608 - the only interpolation is the constant expression _LOCAL
_STORED_CELLS_SQL = """
SELECT g.code, g.name, a.name AS area_name, g.geom
FROM grid_cells g LEFT JOIN areas a ON a.id = g.area_id
WHERE g.shape = :shape AND abs(g.cell_m - :cell_m) < 0.01
  AND (CAST(:area AS text) IS NULL OR a.name = :area)
ORDER BY g.code
"""
_MERGE_SQL = """
INSERT INTO incidents AS i ({cols})
SELECT {cols} FROM _import_incidents
ON CONFLICT (source, source_id) DO UPDATE SET
    occurred_at = EXCLUDED.occurred_at, time_resolution = EXCLUDED.time_resolution,
    timezone = EXCLUDED.timezone, category = EXCLUDED.category,
    source_category = EXCLUDED.source_category,
    source_subcategory = EXCLUDED.source_subcategory, description = EXCLUDED.description,
    address = EXCLUDED.address, import_id = EXCLUDED.import_id, geom = EXCLUDED.geom
WHERE (i.occurred_at, i.time_resolution, i.timezone, i.category, i.source_category,
       i.source_subcategory, i.description, i.address, i.geom)
      IS DISTINCT FROM
      (EXCLUDED.occurred_at, EXCLUDED.time_resolution, EXCLUDED.timezone, EXCLUDED.category,
       EXCLUDED.source_category, EXCLUDED.source_subcategory, EXCLUDED.description,
       EXCLUDED.address, EXCLUDED.geom)
RETURNING (xmax = 0)
"""
_AREA_SQL = """
UPDATE incidents i SET area_id = a.id FROM areas a
WHERE i.import_id = %s AND ST_Covers(a.geom, i.geom)
  AND i.area_id IS DISTINCT FROM a.id
"""
_PATROL_HOTSPOT_SQL = sa.text(
    "INSERT INTO patrol_hotspots (code, name, result_id, incidents, z, gi_bin, "
    "dosage_min, dosage_max, revisit_min, active, geom, created_by) VALUES (:code, "
    ":name, :result, :count, :z, :bin, :dmin, :dmax, :revisit, true, "
    "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:geom), 4326)), :by) "
    "ON CONFLICT (code) DO UPDATE SET result_id = EXCLUDED.result_id, "
    "incidents = EXCLUDED.incidents, z = EXCLUDED.z, gi_bin = EXCLUDED.gi_bin, "
    "dosage_min = EXCLUDED.dosage_min, dosage_max = EXCLUDED.dosage_max, "
    "revisit_min = EXCLUDED.revisit_min, active = true, geom = EXCLUDED.geom")
_HOTSPOT_POINT_SQL = sa.text(
    "WITH cell AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:geom), 4326) AS g), "
    "spot AS (SELECT coalesce(ST_Centroid(ST_Collect(i.geom)), "
    "                         ST_PointOnSurface((SELECT g FROM cell))) AS p "
    "  FROM incidents i, cell WHERE ST_Covers(cell.g, i.geom) "
    "  AND (CAST(:cats AS text[]) IS NULL OR i.category = ANY(CAST(:cats AS text[])))) "
    "INSERT INTO must_visit_points (name, dwell_min, priority, source, source_ref, "
    "grid_cell_id, geom, created_by) "
    "SELECT :name, :dwell, :priority, 'hotspot', :code, "
    "(SELECT id FROM grid_cells WHERE code = :code), p, :by FROM spot "
    "ON CONFLICT (source, source_ref) DO UPDATE SET dwell_min = EXCLUDED.dwell_min, "
    "priority = EXCLUDED.priority, geom = EXCLUDED.geom, active = true")


# -- incidents --------------------------------------------------------------------------

def incidents_frame(session: Session, *, since: datetime | None, until: datetime | None,
                    categories: Sequence[str], area: str | None) -> gpd.GeoDataFrame:
    """Incidents in the period (naive local times), categories and area, as EPSG:4326
    points with ``local_time``, ``time_resolution`` and ``category``."""
    params = {"since": since, "until": until, "categories": list(categories) or None,
              "area": area}
    frame = gpd.read_postgis(sa.text(_INCIDENTS_SQL), session.connection(), geom_col="geom",
                             params=params)
    frame["local_time"] = pd.to_datetime(frame["local_time"])
    return frame.rename_geometry("geometry")


_TIME_COUNTS_SQL = f"""
WITH matched AS ({_INCIDENTS_SQL}),
slots AS (
    SELECT CASE WHEN time_resolution = 'minute'
                THEN CAST(extract(isodow FROM local_time) AS integer) - 1 END AS weekday,
           CASE WHEN time_resolution = 'minute'
                THEN CAST(extract(hour FROM local_time) AS integer) END AS hour,
           CAST(date_trunc('month', local_time) AS date) AS month
    FROM matched)
SELECT GROUPING(month) = 0 AS by_month, weekday, hour, month, count(*) AS n
FROM slots GROUP BY GROUPING SETS ((weekday, hour), (month))
"""  # noqa: S608 - constants only


def incident_time_counts(session: Session, *, since: datetime | None,
                         until: datetime | None, categories: Sequence[str],
                         area: str | None) -> list[Any]:
    """The incidents :func:`incidents_frame` would load, counted in the database (never
    loaded): rows ``(by_month, weekday, hour, month, n)`` — with ``by_month`` false, per
    local weekday (0 = Monday) and hour of the minute-exact ones (weekday and hour NULL:
    the coarser ones); with ``by_month`` true, per local month (its first day)."""
    params = {"since": since, "until": until, "categories": list(categories) or None,
              "area": area}
    return list(session.execute(sa.text(_TIME_COUNTS_SQL), params).all())


def incident_groups(session: Session) -> list[Any]:
    """Count, first and last time per source, category and time resolution; then the
    first and last local wall-clock time (in each incident's own time zone)."""
    return list(session.execute(sa.text(
        "SELECT source, category, time_resolution, count(*), min(occurred_at), "
        "max(occurred_at), min(occurred_at AT TIME ZONE coalesce(timezone, 'UTC')), "
        "max(occurred_at AT TIME ZONE coalesce(timezone, 'UTC')) "
        "FROM incidents GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")).all())


def category_counts(session: Session) -> dict[str, int]:
    """How many incidents each category holds."""
    return dict(session.execute(sa.text(  # type: ignore[arg-type]
        "SELECT category, count(*) FROM incidents GROUP BY 1")).all())


def incident_count(session: Session) -> int:
    """All incidents stored."""
    return int(session.execute(sa.text("SELECT count(*) FROM incidents")).scalar_one())


def merge_incidents(session: Session, frame: gpd.GeoDataFrame, columns: Sequence[str], *,
                    import_id: int, progress: Callable[[float, str], None] | None = None,
                    chunk_rows: int = 20_000) -> tuple[int, int]:
    """Upsert ``frame`` by (source, source_id) through COPY, set each new or changed
    incident's area, and tell other processes; returns (inserted, updated). Rows whose
    values did not change are left alone. ``progress(fraction, message)`` is told after
    each ``chunk_rows`` rows sent and before each statement (it may raise: the caller's
    transaction is then rolled back)."""
    inserted = updated = 0
    report = progress or (lambda _fraction, _message: None)
    total = len(frame)
    with raw_cursor(session) as cur:
        if total:
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            cur.execute(sql.SQL("CREATE TEMP TABLE _import_incidents ON COMMIT DROP AS "
                                "SELECT {} FROM incidents WITH NO DATA").format(cols))
            for start in range(0, total, chunk_rows):
                copy_frame(cur, sql.Identifier("_import_incidents"),
                           frame.iloc[start:start + chunk_rows], columns)
                sent = min(total, start + chunk_rows)
                report(0.5 * sent / total, Note("writing: %(sent)s of %(total)s incidents sent",
                                                sent=sent, total=total))
            report(0.5, Note("writing: merging %(total)s incidents with those stored",
                             total=total))
            cur.execute(sql.SQL(_MERGE_SQL).format(cols=cols))
            flags = [row[0] for row in cur.fetchall()]
            inserted = sum(flags)
            updated = len(flags) - inserted
            cur.execute("DROP TABLE _import_incidents")
            report(0.8, Note("writing: %(inserted)s new, %(updated)s updated; placing them "
                             "in their areas", inserted=inserted, updated=updated))
            cur.execute(_AREA_SQL, (import_id,))
            bump_version(cur, "incidents")
    return inserted, updated


# -- grid cells ---------------------------------------------------------------------------

def stored_cells(session: Session, *, shape: str, cell_m: float,
                 area: str | None) -> gpd.GeoDataFrame:
    """Stored patrol grid cells of that shape and size (in one area or all), EPSG:4326,
    with ``code``, ``name`` and ``area_name``."""
    frame = gpd.read_postgis(sa.text(_STORED_CELLS_SQL), session.connection(),
                             geom_col="geom",
                             params={"shape": shape, "cell_m": cell_m, "area": area})
    return frame.rename_geometry("geometry")


_CELLS_ESTIMATE_SQL = sa.text("""
SELECT
  (SELECT count(*) FROM grid_cells g LEFT JOIN areas a ON a.id = g.area_id
   WHERE g.shape = :shape AND abs(g.cell_m - :cell_m) < 0.01
     AND (CAST(:area AS text) IS NULL OR a.name = :area)),
  (SELECT coalesce(sum(ST_Area(geom::geography)), 0) FROM areas
   WHERE CAST(:area AS text) IS NULL OR name = :area)
""")


def cells_estimate(session: Session, *, shape: str, cell_m: float, area: str | None) -> int:
    """About how many cells a hot-spot run of this size works on, without building them:
    the stored patrol grid's cells when there is one, else the areas' surface over a
    cell's (a square of ``cell_m``; a hexagon of that width is a little smaller)."""
    stored, surface_m2 = session.execute(_CELLS_ESTIMATE_SQL, {
        "shape": shape, "cell_m": cell_m, "area": area}).one()
    if stored:
        return int(stored)
    per_cell = cell_m * cell_m * (0.866 if shape == "hex" else 1.0)
    return int(float(surface_m2) / per_cell) + 1


def incidents_span(session: Session) -> tuple[datetime | None, datetime | None]:
    """The first and last time of any incident (two index probes)."""
    first, last = session.execute(sa.select(sa.func.min(Incident.occurred_at),
                                            sa.func.max(Incident.occurred_at))).one()
    return first, last


# -- saved results and promotion ------------------------------------------------------------

def result_rows(session: Session) -> list[Any]:
    """Saved results without their features, newest first."""
    return list(session.execute(sa.select(
        HotspotResult.id, HotspotResult.name, HotspotResult.method, HotspotResult.params,
        HotspotResult.created_at).order_by(HotspotResult.created_at.desc())).all())


def upsert_patrol_hotspot(session: Session, *, code: str, name: str | None, result_id: int,
                          incidents: int | None, z: float | None, gi_bin: int | None,
                          dosage_min: float, dosage_max: float, revisit_min: float,
                          geometry: dict[str, Any], created_by: int | None) -> None:
    """Write or refresh the patrol hot spot of one cell (GeoJSON polygon, lon/lat)."""
    session.execute(_PATROL_HOTSPOT_SQL, {
        "code": code, "name": name, "result": result_id, "count": incidents, "z": z,
        "bin": gi_bin, "dmin": dosage_min, "dmax": dosage_max, "revisit": revisit_min,
        "geom": json.dumps(geometry), "by": created_by})


def upsert_hotspot_point(session: Session, *, code: str, name: str,
                         geometry: dict[str, Any], categories: Sequence[str] | None,
                         dwell_min: float, priority: int, created_by: int | None) -> None:
    """Write or refresh the must-visit point of one hot cell: at the mean position of the
    cell's incidents of those categories (the cell's inner point when it has none)."""
    session.execute(_HOTSPOT_POINT_SQL, {
        "geom": json.dumps(geometry), "cats": list(categories) if categories else None,
        "name": name, "dwell": dwell_min, "priority": priority, "code": code,
        "by": created_by})


# -- the analyst's category map and re-classification --------------------------------------

_SOURCE_CATEGORIES_SQL = """
SELECT source, source_category, source_subcategory, category, count(*) AS n
FROM incidents
WHERE source_category IS NOT NULL
  AND (CAST(:source AS text) IS NULL OR source = :source)
  AND (CAST(:values AS text[]) IS NULL OR source_category = ANY(CAST(:values AS text[])))
GROUP BY 1, 2, 3, 4
"""
_RECLASSIFY_SQL = """
UPDATE incidents i SET category = v.code
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS v(source, cat, sub, code)
WHERE i.source = v.source AND i.source_category = v.cat
  AND i.source_subcategory IS NOT DISTINCT FROM v.sub AND i.category <> v.code
"""


def category_map_rows(session: Session) -> list[IncidentCategoryMap]:
    """Every stored category map entry, by source then value."""
    return list(session.execute(sa.select(IncidentCategoryMap).order_by(
        IncidentCategoryMap.source, IncidentCategoryMap.key)).scalars())


def category_overrides(session: Session, source: str | None) -> dict[str, str]:
    """The entries that hold for ``source`` (its own, and those for every source, which its
    own override), as value → code."""
    rows = session.execute(sa.text(
        "SELECT source_category, category FROM incident_category_map "
        "WHERE source = '' OR source = :source ORDER BY source = '' DESC, id"),
        {"source": source or ""}).all()
    return {str(value): str(code) for value, code in rows}


def upsert_category_map(session: Session, source: str, entries: Sequence[tuple[str, str, str]],
                        *, created_by: int | None) -> list[IncidentCategoryMap]:
    """Write ``(source_category, key, code)`` entries for ``source`` (``''``: every source),
    replacing the code of a key already mapped; returns the rows written."""
    for value, key, code in entries:
        session.execute(sa.text(
            "INSERT INTO incident_category_map (source, source_category, key, category, "
            "created_by) VALUES (:source, :value, :key, :code, :by) "
            "ON CONFLICT (source, key) DO UPDATE SET category = EXCLUDED.category, "
            "source_category = EXCLUDED.source_category, created_by = EXCLUDED.created_by, "
            "created_at = now()"),
            {"source": source, "value": value, "key": key, "code": code, "by": created_by})
    keys = [key for _, key, _ in entries]
    return list(session.execute(sa.select(IncidentCategoryMap).where(
        IncidentCategoryMap.source == source, IncidentCategoryMap.key.in_(keys))).scalars())


def category_map_entry(session: Session, entry_id: int) -> IncidentCategoryMap | None:
    """One stored category map entry."""
    return session.get(IncidentCategoryMap, entry_id)


def delete_category_map_entry(session: Session, entry: IncidentCategoryMap) -> None:
    """Remove one category map entry."""
    session.delete(entry)
    session.flush()


def source_categories(session: Session, *, source: str | None = None,
                      values: Sequence[str] | None = None) -> list[Any]:
    """Stored incidents grouped by ``source, source_category, source_subcategory,
    category`` with their count ``n`` (of one source, and of some category values)."""
    return list(session.execute(sa.text(_SOURCE_CATEGORIES_SQL), {
        "source": source, "values": list(values) if values is not None else None}).all())


def category_table_of(session: Session, source: str) -> str | None:
    """The category table the latest import of ``source`` read with (None: all tables)."""
    mapping = session.execute(sa.text(
        "SELECT mapping FROM incident_imports WHERE source = :s ORDER BY id DESC LIMIT 1"),
        {"s": source}).scalar()
    tables = {m.get("category_table") for m in (mapping or {}).values() if isinstance(m, dict)}
    tables.discard(None)
    return str(tables.pop()) if len(tables) == 1 else None


def set_categories(session: Session, changes: Sequence[tuple[str, str, str | None, str]]) -> int:
    """Give the incidents of each ``(source, source_category, source_subcategory)`` group the
    code that ends each tuple; returns how many incidents changed."""
    if not changes:
        return 0
    with raw_cursor(session) as cur:
        sources, cats, subs, codes = (list(column) for column in zip(*changes, strict=True))
        cur.execute(_RECLASSIFY_SQL, (sources, cats, subs, codes))
        changed = cur.rowcount
        if changed:
            bump_version(cur, "incidents")
    return int(changed)


# -- import records -------------------------------------------------------------------------

def import_records(session: Session, *, limit: int = 50) -> list[IncidentImport]:
    """The latest incident imports, newest first."""
    return list(session.execute(sa.select(IncidentImport).order_by(
        IncidentImport.id.desc()).limit(limit)).scalars())


def import_of_files(session: Session, files: Sequence[str]) -> IncidentImport | None:
    """The latest import of exactly these files (paths as they were given), if any."""
    return session.execute(sa.select(IncidentImport).where(
        IncidentImport.files == list(files)).order_by(IncidentImport.id.desc()).limit(1)
    ).scalar()


def import_record(session: Session, import_id: int) -> IncidentImport | None:
    """One incident import."""
    return session.get(IncidentImport, import_id)


def incidents_estimate(session: Session) -> int:
    """About how many incidents are stored, without a scan: the larger of the planner's
    estimate (as of the last ANALYZE; replicated) and the live rows the statistics count
    (current on the primary; nothing on a replica); -1 when neither knows."""
    return int(session.execute(sa.text(
        "SELECT CASE WHEN c.reltuples < 0 AND coalesce(s.n_live_tup, 0) = 0 THEN -1 "
        "ELSE CAST(greatest(c.reltuples, coalesce(s.n_live_tup, 0)) AS bigint) END "
        "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
        "WHERE c.oid = CAST('incidents' AS regclass)")).scalar_one())


def incidents_count(session: Session, *, since: datetime | None, until: datetime | None,
                    categories: Sequence[str], area: str | None) -> int:
    """How many incidents :func:`incidents_frame` would load (the size of an analysis)."""
    params = {"since": since, "until": until, "categories": list(categories) or None,
              "area": area}
    return int(session.execute(sa.text(_COUNT_SQL), params).scalar_one())


_COUNT_SQL = "SELECT count(*) FROM (" + _INCIDENTS_SQL + ") AS matched"  # noqa: S608 - constants
