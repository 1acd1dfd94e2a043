"""COPY of GeoDataFrames into PostGIS: every value arrives as it was, NULLs stay NULL."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from psycopg import sql

from app.db.bulk import copy_frame, upsert, upsert_stream
from app.db.geometry import to_ewkb_hex_many

COLUMNS = ["k", "label", "speed", "levels", "flag", "tags", "seen_at", "geom"]


def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "k": [1, 2, 3],
        "label": ["tab\there, new\nline, back\\slash", "", None],
        "speed": [12.5, np.nan, 1e-7],
        "levels": pd.array([3, None, 0], dtype="Int64"),
        "flag": [True, False, True],
        "tags": [{"name:zh": "长安街", "quote": "\"x\""}, None, {}],
        "seen_at": pd.to_datetime(["2024-01-02T03:04:05Z", None, "2024-06-30T23:59:59.5Z"],
                                  format="ISO8601"),
    }, geometry=[shapely.Point(13.4, 52.5), shapely.LineString([(0, 0), (1, 1)]),
                 shapely.Point(-0.1, 51.5)], crs="EPSG:4326")


def scratch_table(connection: sa.Connection) -> None:
    connection.execute(sa.text(
        "CREATE TEMP TABLE bulk_probe (k int PRIMARY KEY, label text, speed float8, "
        "levels int, flag bool, tags jsonb, seen_at timestamptz, "
        "geom geometry(Geometry, 4326))"))


def rows(connection: sa.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in connection.execute(sa.text(
        "SELECT k, label, speed, levels, flag, tags, seen_at, ST_AsText(geom), ST_SRID(geom) "
        "FROM bulk_probe ORDER BY k"))]


def test_copy_keeps_every_value_and_turns_missing_ones_into_null(
        connection: sa.Connection) -> None:
    scratch_table(connection)
    cur = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    copy_frame(cur, sql.Identifier("bulk_probe"), frame(), COLUMNS)
    first, second, third = rows(connection)
    assert first[1:6] == ("tab\there, new\nline, back\\slash", 12.5, 3, True,
                          {"name:zh": "长安街", "quote": "\"x\""})
    assert first[6].isoformat() == "2024-01-02T03:04:05+00:00"  # type: ignore[attr-defined]
    assert first[7:] == ("POINT(13.4 52.5)", 4326)
    assert second[1:7] == (None, None, None, False, None, None)  # '' is NULL, like before
    assert second[7] == "LINESTRING(0 0,1 1)"
    assert third[2] == 1e-7 and third[3] == 0 and third[5] == {}
    assert third[6].microsecond == 500_000  # type: ignore[attr-defined]


def test_an_upsert_of_the_same_frame_writes_nothing(connection: sa.Connection) -> None:
    scratch_table(connection)
    cur = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    assert upsert(cur, "bulk_probe", frame(), COLUMNS, key="k") == 3
    assert upsert(cur, "bulk_probe", frame(), COLUMNS, key="k") == 0
    changed = frame()
    changed.loc[1, "speed"] = 3.0
    assert upsert(cur, "bulk_probe", changed, COLUMNS, key="k") == 1
    assert rows(connection)[1][2] == 3.0


def test_ewkb_hex_is_what_postgis_reads() -> None:
    geoms = gpd.GeoSeries([shapely.Point(1.5, 2.5), None], crs="EPSG:4326")
    encoded = to_ewkb_hex_many(geoms)
    assert encoded[1] is None
    assert shapely.from_wkb(bytes.fromhex(encoded[0])).equals(shapely.Point(1.5, 2.5))
    assert shapely.get_srid(shapely.from_wkb(bytes.fromhex(encoded[0]))) == 4326


def test_an_upsert_stream_takes_frames_as_they_come(connection: sa.Connection) -> None:
    scratch_table(connection)
    cur = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    whole = frame()
    with upsert_stream(cur, "bulk_probe", COLUMNS, key="k") as stream:
        stream.write(whole.iloc[:2])
        stream.write(whole.iloc[2:])
    assert (stream.rows, stream.written) == (3, 3)
    assert [r[0] for r in rows(connection)] == [1, 2, 3]
    changed = frame()
    changed["label"] = ["tab\there, new\nline, back\\slash", "", "new"]
    with upsert_stream(cur, "bulk_probe", COLUMNS, key="k") as stream:
        stream.write(changed.iloc[:1])
        stream.write(changed.iloc[1:])
    assert (stream.rows, stream.written) == (3, 1)
    assert rows(connection)[2][1] == "new"
