"""The schema: migrations match the models; geometry columns are typed, 4326 and indexed."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import db
from app.db.partitions import include_in_schema_comparison
from app.models import Base
from tests.conftest import DatabaseInfo

# Trigram expression indexes for name search live in the migrations only (SQLAlchemy
# cannot reflect an expression index with an operator class).
SEARCH_INDEXES = {"ix_roads_names_trgm", "ix_pois_names_trgm"}


def _include(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    if kind == "index" and name in SEARCH_INDEXES:
        return False
    return include_in_schema_comparison(obj, name, kind, reflected, compare_to)


def test_migrations_match_the_models(database: DatabaseInfo) -> None:
    engine = db.make_engine(database.owner_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = set(conn.execute(sa.text("SELECT indexname FROM pg_indexes")).scalars())
        assert names >= SEARCH_INDEXES
        context = MigrationContext.configure(conn, opts={
            "include_object": _include, "compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_every_geometry_column_has_srid_4326_a_type_and_a_gist_index(
        database: DatabaseInfo) -> None:
    with psycopg.connect(database.owner_url.replace("+psycopg", "")) as conn:
        columns = conn.execute(
            "SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
            "WHERE f_table_schema = 'public'").fetchall()
        assert columns, "no geometry columns at all"
        for table, column, srid, kind in columns:
            assert srid == 4326, (table, column)
            assert kind != "GEOMETRY", f"{table}.{column} has no declared geometry type"
            indexed = conn.execute(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = c.relam "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND a.attname = %s AND am.amname = 'gist'",
                (table, column)).fetchone()
            assert indexed, f"{table}.{column} has no GiST index"


def test_postgis_is_real(connection: sa.Connection) -> None:
    area = connection.execute(sa.text(
        "SELECT ST_Area(ST_Transform(ST_MakeEnvelope(24.9, 60.16, 24.95, 60.18, 4326), 3067))"
    )).scalar_one()
    assert 5.5e6 < area < 6.5e6  # about 2.8 km x 2.2 km in central Helsinki


def test_embedded_cluster_listens_on_no_tcp_port(connection: sa.Connection,
                                                 database: DatabaseInfo) -> None:
    listen = connection.execute(sa.text("SHOW listen_addresses")).scalar_one()
    if "host=/" in database.app_url:  # the embedded cluster
        assert listen == ""
