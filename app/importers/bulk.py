"""Bulk upserts through COPY into a temporary table (one transaction, no half-writes)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psycopg import Cursor, sql
from sqlalchemy.orm import Session


def raw_cursor(session: Session) -> Cursor[Any]:
    """A psycopg cursor on the session's own connection and transaction."""
    driver = session.connection().connection.driver_connection
    return driver.cursor()  # type: ignore[no-any-return, union-attr]


def ewkb_hex(geometries: gpd.GeoSeries) -> np.ndarray:
    """Hex EWKB with SRID 4326, the text form PostGIS accepts for a geometry column."""
    if geometries.crs is None or geometries.crs.to_epsg() != 4326:
        raise ValueError("geometries must be in EPSG:4326")
    with_srid = shapely.set_srid(geometries.values, 4326)
    return np.asarray(shapely.to_wkb(with_srid, hex=True, include_srid=True))


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def frame_rows(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    """Rows of ``columns`` (``geom`` taken from the geometry column) ready for COPY."""
    geoms = ewkb_hex(frame.geometry)
    data = [frame[c].to_numpy(dtype=object) if c != "geom" else geoms for c in columns]
    for i in range(len(frame)):
        yield tuple(_clean(col[i]) for col in data)


def upsert(cur: Cursor[Any], table: str, frame: gpd.GeoDataFrame, columns: Sequence[str], *,
           key: str) -> int:
    """Insert or update ``frame`` into ``table`` by the unique ``key``; returns rows written."""
    if frame.empty:
        return 0
    temp = sql.Identifier(f"_import_{table}")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                .format(temp, cols, sql.Identifier(table)))
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(temp, cols)) as copy:
        for row in frame_rows(frame, columns):
            copy.write_row(row)
    updates = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in columns if c != key)
    cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}")
                .format(sql.Identifier(table), cols, cols, temp, sql.Identifier(key), updates))
    return cur.rowcount


def bump_version(cur: Cursor[Any], name: str) -> None:
    """Tell every process that data set ``name`` changed."""
    cur.execute("INSERT INTO data_versions (name, version, changed_at) VALUES (%s, 1, now()) "
                "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1, "
                "changed_at = now()", (name,))
