"""Heavy reads on a streaming replica: the second engine, the read session, its lag.

With ``GRIDPATROL_READ_DATABASE_URL`` set, the analyses (hot spots, near repeat, time
tables) and plan versus actual read through :func:`app.db.get_read_session`: a session on
the replica whose connections are read-only (``default_transaction_read_only``; a hot
standby refuses writes anyway), used when

* the replica answers (an unreachable one is left alone for :data:`RETRY_AFTER_S` and its
  reads go to the primary), and
* it is at most ``GRIDPATROL_READ_MAX_LAG_S`` behind (measured once per request, below).

Otherwise, and when no replica is configured, the read session *is* the request's primary
session, so a request reads its own writes. Every response that read through it says who
served it: ``X-Read-Source: replica|primary`` and, from a replica, ``X-Read-Lag-S``.
Writes never go through the read session.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

SOURCE_HEADER = "X-Read-Source"
LAG_HEADER = "X-Read-Lag-S"
APPLICATION_NAME = "gridpatrol-read"
RETRY_AFTER_S = 30.0
CONNECT_TIMEOUT_S = 3

# How far behind the standby is, in seconds: 0 when everything received is replayed (an
# idle primary is not "lag"), else the age of the last transaction replayed. 0 on a server
# that is not in recovery (a read URL pointing at a primary or a pooler in front of one).
_LAG_SQL = sa.text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0.0 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0 "
    "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0.0) END")


def read_engine_options() -> dict[str, Any]:
    """Engine keywords of the replica: read-only connections, named in pg_stat_activity."""
    return {"pool_size": 5, "max_overflow": 10,
            "connect_args": {"options": "-c default_transaction_read_only=on",
                             "application_name": APPLICATION_NAME,
                             "connect_timeout": CONNECT_TIMEOUT_S}}


def replica_lag_s(session: Session) -> float:
    """Seconds the replica behind ``session`` is behind its primary (see :data:`_LAG_SQL`)."""
    return float(session.execute(_LAG_SQL).scalar_one())


def open_replica_session(app: Flask, engine: Engine) -> tuple[Session | None, float | None]:
    """A session on the replica and its lag, or ``(None, lag)`` when it must not be used
    (unreachable, recently unreachable, or too far behind)."""
    state = app.extensions["gridpatrol_db"]
    if time.monotonic() < state.get("replica_down_until", 0.0):
        return None, None
    session = Session(bind=engine, expire_on_commit=False)
    try:
        lag = replica_lag_s(session)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        session.close()
        state["replica_down_until"] = time.monotonic() + RETRY_AFTER_S
        logger.warning("read replica unreachable: heavy reads go to the primary for the "
                       "next %.0f s", RETRY_AFTER_S, exc_info=True)
        return None, None
    if lag > float(app.config["READ_MAX_LAG_S"]):
        session.close()
        logger.warning("read replica %.1f s behind (limit %.1f s): reading the primary",
                       lag, app.config["READ_MAX_LAG_S"])
        return None, lag
    return session, lag


def note_source(source: str, lag_s: float | None) -> None:
    """Remember who serves this request's heavy reads, for the response headers."""
    g.read_source = source
    g.read_lag_s = lag_s


def add_source_headers(response: Response) -> Response:
    """``X-Read-Source`` (and ``X-Read-Lag-S`` from a replica) when the request read
    through the read session."""
    source = g.get("read_source")
    if source:
        response.headers[SOURCE_HEADER] = source
        lag = g.get("read_lag_s")
        if source == "replica" and lag is not None:
            response.headers[LAG_HEADER] = f"{lag:.3f}"
    return response
