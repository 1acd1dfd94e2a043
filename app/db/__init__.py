"""The one place that talks to PostGIS: engines, the per-request session, migrations.

A request (or CLI command) gets one SQLAlchemy session from :func:`get_session`; it
is closed, and anything uncommitted rolled back, when the app context ends. A state
change and its audit row are committed together by the caller's single ``commit``.
Heavy reads go through :func:`get_read_session` instead: a streaming replica's read-only
session when one is configured and fresh enough, else the same primary session
(``app.db.replica``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from app.db import replica
from app.db.cluster import APP_ROLE, OWNER_ROLE, Cluster
from app.db.partitions import PASSAGES, POSITIONS, History, PartitionRun, maintain_history

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached."""


def cluster_of(app: Flask) -> Cluster:
    """The embedded cluster of this app's instance folder."""
    return Cluster.for_instance(Path(app.instance_path), port=app.config["PG_PORT"])


def uses_embedded_cluster(app: Flask) -> bool:
    return not app.config.get("DATABASE_URL")


def app_database_url(app: Flask) -> str:
    """URL of the role the app runs as. Embedded: it names the app role's password file
    only, the one secret a web process can use."""
    url = app.config.get("DATABASE_URL")
    return url if url else cluster_of(app).url(APP_ROLE)


def migration_database_url(app: Flask) -> str:
    """URL of the schema owner (migrations, grants); only ``gridpatrol db upgrade`` and
    ``db reset`` ask for it."""
    url = app.config.get("MIGRATION_DATABASE_URL") or app.config.get("DATABASE_URL")
    return url if url else cluster_of(app).url(OWNER_ROLE)


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    return sa.create_engine(_sqlalchemy_url(url), pool_pre_ping=True, **kwargs)


def engine(app: Flask | None = None) -> Engine:
    """The app role's engine, created on first use (no connection at start-up)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ext = app.extensions["gridpatrol_db"]
    if ext.get("engine") is None:
        ext["engine"] = make_engine(app_database_url(app), pool_size=5, max_overflow=10)
    return ext["engine"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The session of the current app context."""
    if "db_session" not in g:
        bind: Engine | Connection = current_app.config.get("DB_CONNECTION") or engine()
        g.db_session = Session(bind=bind, expire_on_commit=False,
                               join_transaction_mode="create_savepoint")
    return g.db_session  # type: ignore[no-any-return]


def read_engine(app: Flask | None = None) -> Engine | None:
    """The replica's engine (read-only connections), or None without a read URL."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("READ_DATABASE_URL")
    if not url:
        return None
    ext = app.extensions["gridpatrol_db"]
    if ext.get("read_engine") is None:
        ext["read_engine"] = make_engine(url, **replica.read_engine_options())
    return ext["read_engine"]  # type: ignore[no-any-return]


def get_read_session() -> Session:
    """The session heavy reads of this app context go through: the replica's when one is
    configured, answers and is fresh enough; else the primary session of
    :func:`get_session`. Never write through it."""
    if "db_read_session" not in g:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        reader = read_engine(app)
        session, lag = (None, None) if reader is None else replica.open_replica_session(
            app, reader)
        replica.note_source("primary" if session is None else "replica",
                            None if session is None else lag)
        g.db_read_session = session if session is not None else get_session()
    return g.db_read_session  # type: ignore[no-any-return]


def ping(session: Session) -> None:
    """Raise if the database does not answer a trivial query on ``session``."""
    session.execute(sa.text("SELECT 1"))


def close_session(_exc: BaseException | None = None) -> None:
    reader = g.pop("db_read_session", None)
    session = g.pop("db_session", None)
    if reader is not None and reader is not session:
        reader.close()
    if session is None:
        return
    try:
        session.close()
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        # the connection died under the request (the server restarting): the rollback of
        # close() cannot reach it; drop the connection instead of failing the answer
        logger.warning("database connection lost during the request; discarded")
        session.invalidate()


def init_app(app: Flask) -> None:
    app.extensions["gridpatrol_db"] = {"engine": None, "read_engine": None}
    app.after_request(replica.add_source_headers)
    app.teardown_appcontext(close_session)


# -- migrations and grants -------------------------------------------------------------

def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", _sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def upgrade(owner_url: str, app_role: str | None, revision: str = "head", *,
            position_retention_days: int | None = None,
            passage_retention_days: int | None = None) -> list[PartitionRun]:
    """Apply migrations as the owner, then grant the app role what it may do; with a
    retention, also keep that history's partitions (made ahead, expired ones dropped)."""
    from alembic import command

    command.upgrade(alembic_config(owner_url), revision)
    if app_role:
        grant_app_privileges(owner_url, app_role)
    runs = []
    for history, days in ((POSITIONS, position_retention_days),
                          (PASSAGES, passage_retention_days)):
        if days is not None:
            runs.append(maintain_partitions(owner_url, retention_days=days, history=history))
    return runs


def maintain_partitions(owner_url: str, *, retention_days: int,
                        now: datetime | None = None,
                        history: History = POSITIONS) -> PartitionRun:
    """One partition maintenance run of ``history`` as the schema owner, committed."""
    owner_engine = make_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        with owner_engine.begin() as conn:
            return maintain_history(conn, history, now=now or datetime.now(UTC),
                                    retention_days=retention_days)
    finally:
        owner_engine.dispose()


def current_revision(url: str) -> str | None:
    """The schema's Alembic revision at ``url`` (None before the first migration)."""
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return schema_revision(conn)
    finally:
        engine.dispose()


def schema_revision(bind: Connection | Session) -> str | None:
    """The schema's Alembic revision seen through ``bind`` (None before the first
    migration)."""
    if bind.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar_one() is None:
        return None
    row = bind.execute(sa.text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def grant_app_privileges(owner_url: str, app_role: str) -> None:
    """Data rights for the app role: everything but UPDATE/DELETE/TRUNCATE of audit rows."""
    owner_engine = make_engine(owner_url, poolclass=sa.pool.NullPool)
    with owner_engine.begin() as conn:
        current_user = conn.execute(sa.text("SELECT current_user")).scalar_one()
        if current_user == app_role:
            logger.info("app and owner are the same role; the audit trigger alone "
                        "keeps the audit log append-only")
            return
        role = sa.sql.quoted_name(app_role, quote=True)
        quoted = conn.dialect.identifier_preparer.quote(role)
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        conn.execute(sa.text(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"))
        conn.execute(sa.text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
        conn.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {quoted}"))
        if conn.execute(sa.text("SELECT to_regclass('audit_chain_head')")).scalar_one():
            conn.execute(sa.text(
                f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain_head FROM {quoted}"))
        conn.execute(sa.text(f"REVOKE ALL ON alembic_version FROM {quoted}"))
        conn.execute(sa.text(f"GRANT SELECT ON alembic_version TO {quoted}"))
    owner_engine.dispose()
