"""PostgreSQL LISTEN/NOTIFY: the bus that carries committed changes to every process.

Triggers (migration 0003) send on :data:`CHANNEL`; :func:`listening_async` opens a
connection of its own that listens there, from the events service's event loop
(``app.events.hub``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg import sql

CHANNEL = "gridpatrol_events"
LISTEN = sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL))


@asynccontextmanager
async def listening_async(conninfo: str, *, connect_timeout_s: float = 10.0
                          ) -> AsyncIterator[psycopg.AsyncConnection]:
    """A new autocommit ``AsyncConnection`` listening on :data:`CHANNEL` (TCP keepalives
    on, so a server gone silent over a network is noticed), closed afterwards."""
    conn = await psycopg.AsyncConnection.connect(
        conninfo, autocommit=True, connect_timeout=max(1, round(connect_timeout_s)),
        keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
    async with conn:
        await conn.execute(LISTEN)
        yield conn
