"""Bulk upserts through COPY into a temporary table (one transaction, no half-writes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from psycopg import Cursor, sql
from sqlalchemy.orm import Session


def raw_cursor(session: Session) -> Cursor[Any]:
    """A psycopg cursor on the session's own connection and transaction."""
    driver = session.connection().connection.driver_connection
    return driver.cursor()  # type: ignore[no-any-return, union-attr]


def ewkb_hex(geometries: gpd.GeoSeries) -> np.ndarray:
    """Hex EWKB with SRID 4326, the text form PostGIS accepts for a geometry column.

    Shapely writes binary WKB and Python hexes it: shapely's own hex output is several
    times slower. A missing geometry stays None.
    """
    if geometries.crs is None or geometries.crs.to_epsg() != 4326:
        raise ValueError("geometries must be in EPSG:4326")
    with_srid = shapely.set_srid(geometries.values, 4326)
    wkb = shapely.to_wkb(with_srid, include_srid=True)
    return np.array([None if b is None else b.hex() for b in wkb], dtype=object)


def column_values(frame: gpd.GeoDataFrame, column: str) -> list[Any]:
    """One column as Python values for COPY (``geom`` from the geometry column).

    Missing values (None, NaN, NA, NaT) and empty strings become None (NULL); dicts
    become JSON text.
    """
    if column == "geom":
        return ewkb_hex(frame.geometry).tolist()  # type: ignore[no-any-return]
    values = frame[column].to_numpy(dtype=object, na_value=None)
    first = next((v for v in values if v is not None), None)
    if isinstance(first, dict):
        return [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    if isinstance(first, str):
        values[values == ""] = None
    return values.tolist()  # type: ignore[no-any-return]


def copy_frame(cur: Cursor[Any], table: sql.Composable, frame: gpd.GeoDataFrame,
               columns: Sequence[str]) -> None:
    """COPY ``columns`` of ``frame`` into ``table`` (text format, rows streamed).

    Rows go to the server as they are formatted, so PostgreSQL parses and indexes one
    block while the next is being written.
    """
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    rows = zip(*(column_values(frame, c) for c in columns), strict=True)
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, cols)) as copy:
        for row in rows:
            copy.write_row(row)


def upsert(cur: Cursor[Any], table: str, frame: gpd.GeoDataFrame, columns: Sequence[str], *,
           key: str | Sequence[str]) -> int:
    """Insert or update ``frame`` into ``table`` by its unique ``key`` column(s).

    Rows whose values did not change are left alone (no dead tuples, no index churn),
    so re-importing the same file writes almost nothing. Returns the rows written.
    """
    if frame.empty:
        return 0
    keys = [key] if isinstance(key, str) else list(key)
    temp = sql.Identifier(f"_import_{table}")
    target = sql.Identifier(table)
    cur.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(target))
    if cur.fetchone()[0]:  # type: ignore[index]  # an empty table: straight in
        copy_frame(cur, target, frame, columns)
        return len(frame)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    others = [c for c in columns if c not in keys]
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                .format(temp, cols, target))
    copy_frame(cur, temp, frame, columns)
    updates = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in others)
    changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("{}.{}").format(target, sql.Identifier(c)) for c in others),
        sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others))
    cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) "
                        "DO UPDATE SET {} WHERE {}").format(
        target, cols, cols, temp, sql.SQL(", ").join(sql.Identifier(k) for k in keys),
        updates, changed))
    return cur.rowcount


def bump_version(cur: Cursor[Any], name: str) -> None:
    """Tell every process that data set ``name`` changed."""
    cur.execute("INSERT INTO data_versions (name, version, changed_at) VALUES (%s, 1, now()) "
                "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1, "
                "changed_at = now()", (name,))
