"""Checking the audit log's hash chain (no SQL here: rows in, a report out).

Each row's ``row_hash`` is ``sha256(prev_hash || canonical)``, ``canonical`` being the
row's fields as PostgreSQL's ``audit_log_canonical`` prints them, and ``prev_hash`` the
``row_hash`` of the row before (32 zero bytes for the first row). The one-row chain head
names the newest row and its hash. A walk recomputes every hash and checks every link,
and stops at the first row where either fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = bytes(32)


def link_hash(prev_hash: bytes, canonical: str) -> bytes:
    """The hash a row with these fields must carry after ``prev_hash``."""
    return hashlib.sha256(prev_hash + canonical.encode("utf-8")).digest()


@dataclass(frozen=True)
class ChainRow:
    id: int
    prev_hash: bytes | None
    row_hash: bytes | None
    canonical: str


@dataclass(frozen=True)
class Anchor:
    """A row id and the hash it had when it was written down somewhere else."""

    row_id: int
    row_hash: bytes

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``ID:HEX`` (as ``gridpatrol audit verify`` prints it)."""
        row_id, sep, hex_hash = text.strip().partition(":")
        try:
            if not sep or not row_id.isdigit():
                raise ValueError
            digest = bytes.fromhex(hex_hash)
        except ValueError:
            raise ValueError(f"expected ID:HASH (e.g. 1240:3fa2…, 64 hex digits), got {text!r}"
                             ) from None
        if len(digest) != 32:
            raise ValueError(f"the hash of an anchor has 64 hex digits, got {len(hex_hash)}")
        return cls(int(row_id), digest)

    def __str__(self) -> str:
        return f"{self.row_id}:{self.row_hash.hex()}"


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold: the row (None: the head) and why."""

    row_id: int | None
    kind: str  # altered | unlinked | unhashed | unchained | truncated | head | anchor
    message: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_id: int | None
    last: Anchor | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _short(digest: bytes | None) -> str:
    return digest.hex()[:16] + "…" if digest else "nothing"


def walk(rows: Iterable[ChainRow], *, head: Anchor | None,
         start: Anchor | None = None) -> ChainReport:
    """Check ``rows`` (ascending ids, all rows after ``start`` or from the first) against
    each other and against the chain ``head``; stop at the first break."""
    expected = start.row_hash if start else GENESIS
    previous_id = start.row_id if start else None
    count, first_id = 0, None

    def report(broken: ChainBreak | None) -> ChainReport:
        last = Anchor(previous_id, expected) if previous_id is not None else None
        return ChainReport(count, first_id, last, broken)

    for row in rows:
        if head is not None and row.id > head.row_id:
            return report(ChainBreak(row.id, "unchained",
                                     f"row {row.id} comes after the chain head (row "
                                     f"{head.row_id}): it was written with the chain trigger "
                                     "disabled"))
        if row.prev_hash is None or row.row_hash is None:
            return report(ChainBreak(row.id, "unhashed",
                                     f"row {row.id} has no hash: it was written with the chain "
                                     "trigger disabled"))
        computed = link_hash(row.prev_hash, row.canonical)
        if computed != row.row_hash:
            return report(ChainBreak(row.id, "altered",
                                     f"row {row.id} was altered after it was written: its "
                                     f"fields hash to {_short(computed)}, but it carries "
                                     f"{_short(row.row_hash)}"))
        if row.prev_hash != expected:
            after = (f"row {previous_id}" if previous_id is not None
                     else "the start of the chain")
            return report(ChainBreak(row.id, "unlinked",
                                     f"row {row.id} does not follow {after}: it was chained "
                                     f"after a row with hash {_short(row.prev_hash)}, but "
                                     f"{after} has {_short(expected)} (a row between them was "
                                     "deleted, or the earlier row was altered and re-hashed)"))
        expected, previous_id = row.row_hash, row.id
        first_id = row.id if first_id is None else first_id
        count += 1
    if head is None:
        return report(ChainBreak(None, "head", "the chain head (audit_chain_head) is missing"))
    last_id = previous_id or 0
    if head.row_id > last_id:
        return report(ChainBreak(head.row_id, "truncated",
                                 f"the newest rows are missing: the chain head names row "
                                 f"{head.row_id}, but the log ends at "
                                 f"{f'row {last_id}' if last_id else 'no row at all'}"))
    if head.row_hash != expected:
        return report(ChainBreak(last_id, "head",
                                 f"row {last_id} carries {_short(expected)}, but the chain "
                                 f"head says {_short(head.row_hash)}: the newest row was "
                                 "altered and re-hashed, or the head was edited"))
    return report(None)
