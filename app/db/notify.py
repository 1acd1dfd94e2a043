"""PostgreSQL LISTEN/NOTIFY: the bus that carries committed changes to every process.

Triggers (migration 0003) send on :data:`CHANNEL`; :func:`listening` opens a connection of
its own that listens there, for the event hub's thread (``app.events``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

CHANNEL = "gridpatrol_events"


@contextmanager
def listening(conninfo: str) -> Iterator[psycopg.Connection]:
    """A new autocommit connection listening on :data:`CHANNEL`, closed afterwards."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        yield conn

