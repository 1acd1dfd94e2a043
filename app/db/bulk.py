"""Bulk upserts through COPY into a temporary table (one transaction, no half-writes)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
from psycopg import Copy, Cursor, sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.orm import Session

from app.db.geometry import to_ewkb_hex_many


def raw_cursor(session: Session) -> Cursor[Any]:
    """A psycopg cursor on the session's own connection and transaction."""
    driver = session.connection().connection.driver_connection
    return driver.cursor()  # type: ignore[no-any-return, union-attr]


def column_values(frame: gpd.GeoDataFrame, column: str) -> list[Any]:
    """One column as Python values for COPY (``geom`` from the geometry column).

    Missing values (None, NaN, NA, NaT) and empty strings become None (NULL); dicts
    become JSON text.
    """
    if column == "geom":
        return to_ewkb_hex_many(frame.geometry).tolist()  # type: ignore[no-any-return]
    values = frame[column].to_numpy(dtype=object, na_value=None)
    first = next((v for v in values if v is not None), None)
    if isinstance(first, dict):
        return [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    if isinstance(first, str):
        values[values == ""] = None
    return values.tolist()  # type: ignore[no-any-return]


def _write_frame(copy: Copy, frame: gpd.GeoDataFrame, columns: Sequence[str]) -> None:
    for row in zip(*(column_values(frame, c) for c in columns), strict=True):
        copy.write_row(row)


def copy_frame(cur: Cursor[Any], table: sql.Composable, frame: gpd.GeoDataFrame,
               columns: Sequence[str]) -> None:
    """COPY ``columns`` of ``frame`` into ``table`` (text format, rows streamed).

    Rows go to the server as they are formatted, so PostgreSQL parses and indexes one
    block while the next is being written.
    """
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, cols)) as copy:
        _write_frame(copy, frame, columns)


class UpsertStream:
    """Frames written with `write` while the COPY is open; ``written`` counts afterwards."""

    def __init__(self, copy: Copy, columns: Sequence[str]) -> None:
        self._copy = copy
        self._columns = columns
        self.rows = 0
        self.written = 0

    def write(self, frame: gpd.GeoDataFrame) -> None:
        """Send ``frame``'s rows (formatted here, handed to the server by a thread)."""
        _write_frame(self._copy, frame, self._columns)
        self.rows += len(frame)


@contextmanager
def upsert_stream(cur: Cursor[Any], table: str, columns: Sequence[str], *,
                  key: str | Sequence[str]) -> Iterator[UpsertStream]:
    """Insert or update frames into ``table`` by its unique ``key`` column(s) as they come.

    One COPY stays open for the block: into ``table`` itself when it is empty, else into
    a temporary table merged at the end. A psycopg writer thread sends the formatted
    rows, so the caller goes on computing the next frame while PostgreSQL parses and
    indexes the last (measured: the roads of Heidelberg cost no wall time that way).
    Rows whose values did not change are left alone (no dead tuples, no index churn),
    so re-importing the same file writes almost nothing.
    """
    keys = [key] if isinstance(key, str) else list(key)
    target = sql.Identifier(table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    cur.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(target))
    empty = bool(cur.fetchone()[0])  # type: ignore[index]
    temp = sql.Identifier(f"_import_{table}")
    if not empty:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
        cur.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} "
                            "WITH NO DATA").format(temp, cols, target))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target if empty else temp, cols)
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        stream = UpsertStream(copy, columns)
        yield stream
    if empty:
        stream.written = stream.rows
        return
    others = [c for c in columns if c not in keys]
    updates = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in others)
    changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("{}.{}").format(target, sql.Identifier(c)) for c in others),
        sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others))
    cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) "
                        "DO UPDATE SET {} WHERE {}").format(
        target, cols, cols, temp, sql.SQL(", ").join(sql.Identifier(k) for k in keys),
        updates, changed))
    stream.written = cur.rowcount


def upsert(cur: Cursor[Any], table: str, frame: gpd.GeoDataFrame, columns: Sequence[str], *,
           key: str | Sequence[str]) -> int:
    """`upsert_stream` of one frame; returns the rows written (0 for an empty frame)."""
    if frame.empty:
        return 0
    with upsert_stream(cur, table, columns, key=key) as stream:
        stream.write(frame)
    return stream.written


def bump_version(cur: Cursor[Any], name: str) -> None:
    """Tell every process that data set ``name`` changed."""
    cur.execute("INSERT INTO data_versions (name, version, changed_at) VALUES (%s, 1, now()) "
                "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1, "
                "changed_at = now()", (name,))
