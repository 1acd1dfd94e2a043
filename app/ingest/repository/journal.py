"""The ingest journal: every message received, written to disk before anything is done
with it; a local SQLite database in WAL mode.

Why SQLite and not an append-only file of our own: a transaction per batch gives the
atomic, checksummed, fsync'd append (``synchronous=FULL``: the WAL is synced at each
commit) that a hand-written file would need framing, checksums and a recovery scan for;
the identity is a UNIQUE key, so a broker's redelivery is refused at the door; "the next
messages not yet applied" is an indexed range read; pruning applied messages is a
DELETE, and the file never has to be rewritten. It is in Python's standard library, on
every machine, and one writer (the ingest process) is all it serves.

Tables: ``messages(seq, identity UNIQUE, topic, payload, received_at)`` in arrival order,
and ``state(key, value)`` holding ``applied_through``: every message up to that ``seq``
is in PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    identity TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO state (key, value) VALUES ('applied_through', 0);
"""


@dataclass(frozen=True)
class Received:
    """A message as it arrived: what the journal writes."""

    identity: str
    topic: str
    payload: bytes
    received_at: float  # epoch seconds


@dataclass(frozen=True)
class Entry:
    """A journaled message, with its place in the journal."""

    seq: int
    identity: str
    topic: str
    payload: bytes
    received_at: float


class Journal:
    """The journal file at ``path`` (created with its folder, 0700/0600)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def append(self, batch: Sequence[Received]) -> list[bool]:
        """Write ``batch`` in one transaction (synced to disk when this returns); for each
        message, whether it was new (False: its identity is journaled already)."""
        fresh = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO messages (identity, topic, payload, received_at) "
                    "VALUES (?, ?, ?, ?)",
                    (item.identity, item.topic, item.payload, item.received_at))
                fresh.append(cursor.rowcount == 1)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return fresh

    def applied_through(self) -> int:
        row = self._db.execute(
            "SELECT value FROM state WHERE key = 'applied_through'").fetchone()
        return int(row[0])

    def pending(self, limit: int) -> list[Entry]:
        """The oldest ``limit`` messages not yet applied, in arrival order."""
        rows = self._db.execute(
            "SELECT seq, identity, topic, payload, received_at FROM messages "
            "WHERE seq > (SELECT value FROM state WHERE key = 'applied_through') "
            "ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [Entry(int(r[0]), r[1], r[2], bytes(r[3]), float(r[4])) for r in rows]

    def mark_applied(self, seq: int) -> None:
        """Every message up to ``seq`` is in PostgreSQL."""
        self._db.execute("UPDATE state SET value = max(value, ?) WHERE key = 'applied_through'",
                         (seq,))

    def backlog(self) -> int:
        """Messages journaled and not yet applied."""
        row = self._db.execute(
            "SELECT count(*) FROM messages WHERE seq > "
            "(SELECT value FROM state WHERE key = 'applied_through')").fetchone()
        return int(row[0])

    def oldest_pending(self) -> float | None:
        """When the oldest message not yet applied was received (epoch s), or None."""
        row = self._db.execute(
            "SELECT min(received_at) FROM messages WHERE seq > "
            "(SELECT value FROM state WHERE key = 'applied_through')").fetchone()
        return None if row[0] is None else float(row[0])

    def prune(self, *, keep_s: float, now: float | None = None) -> int:
        """Delete applied messages received more than ``keep_s`` ago (their identities
        still refuse repeats in PostgreSQL). Returns how many."""
        cutoff = (now or time.time()) - keep_s
        cursor = self._db.execute(
            "DELETE FROM messages WHERE received_at < ? AND seq <= "
            "(SELECT value FROM state WHERE key = 'applied_through')", (cutoff,))
        return cursor.rowcount
