"""Bulk upserts through COPY into a temporary table (one transaction, no half-writes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
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


def csv_block(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> str:
    """``columns`` of ``frame`` as PostgreSQL CSV (``geom`` from the geometry column).

    Missing values become unquoted empty fields, which COPY reads as NULL (so does an
    empty text value); dicts become JSON; booleans ``t``/``f``.
    """
    data = pd.DataFrame(index=range(len(frame)))
    for column in columns:
        if column == "geom":
            data[column] = ewkb_hex(frame.geometry)
            continue
        values = frame[column].reset_index(drop=True)
        first = values.first_valid_index()
        if first is not None and isinstance(values[first], dict):
            values = values.map(lambda v: None if v is None else json.dumps(
                v, ensure_ascii=False))
        elif values.dtype == bool:
            values = values.map({True: "t", False: "f"})
        data[column] = values
    return data.to_csv(header=False, index=False, na_rep="", lineterminator="\n")


def copy_frame(cur: Cursor[Any], table: sql.Composable, frame: gpd.GeoDataFrame,
               columns: Sequence[str]) -> None:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(table, cols)) \
            as copy:
        copy.write(csv_block(frame, columns))


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
