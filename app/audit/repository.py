"""Reading the audit log: filters, and the rows of its hash chain."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit.chain import Anchor, ChainRow
from app.errors import InvalidValue
from app.models import AuditEntry

MAX_LIMIT = 1000


def _parse_time(field: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidValue(f"{field} must be an ISO 8601 time, got {raw!r}.",
                            field=field) from None
    if value.tzinfo is None:
        raise InvalidValue(f"{field} needs a time zone (e.g. 2026-11-23T08:00:00+08:00).",
                            field=field)
    return value


def _parse_int(field: str, raw: str | None, default: int, maximum: int) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit():
        raise InvalidValue(f"{field} must be a whole number, got {raw!r}.", field=field)
    return min(int(raw), maximum)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilter:
        return cls(
            actor=args.get("actor") or None,
            action=args.get("action") or None,
            object_type=args.get("object_type") or None,
            object_id=args.get("object_id") or None,
            since=_parse_time("since", args.get("since")),
            until=_parse_time("until", args.get("until")),
            limit=_parse_int("limit", args.get("limit"), 100, MAX_LIMIT),
            offset=_parse_int("offset", args.get("offset"), 0, 10**9),
        )


def list_audit(session: Session, f: AuditFilter) -> tuple[list[AuditEntry], int]:
    """Entries newest first, and how many match in all."""
    conditions = []
    if f.actor:
        conditions.append(AuditEntry.actor == f.actor)
    if f.action:
        # "user." matches every user action
        conditions.append(AuditEntry.action.startswith(f.action) if f.action.endswith(".")
                          else AuditEntry.action == f.action)
    if f.object_type:
        conditions.append(AuditEntry.object_type == f.object_type)
    if f.object_id:
        conditions.append(AuditEntry.object_id == f.object_id)
    if f.since:
        conditions.append(AuditEntry.at >= f.since)
    if f.until:
        conditions.append(AuditEntry.at < f.until)
    total = session.execute(
        sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions)).scalar_one()
    rows = session.execute(
        sa.select(AuditEntry).where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(f.limit).offset(f.offset)).scalars().all()
    return list(rows), total


def file_was_imported(session: Session, action: str, sha256: str) -> bool:
    """Whether an audited ``action`` (``import.osm``) recorded a file with this digest."""
    return session.execute(sa.text(
        "SELECT 1 FROM audit_log WHERE action = :a AND details->>'sha256' = :d LIMIT 1"),
        {"a": action, "d": sha256}).first() is not None


# -- the hash chain (migration 0008) ----------------------------------------------------

CHAIN_BATCH_ROWS = 5000


@contextmanager
def chain_rows(session: Session, *, after_id: int = 0
               ) -> Iterator[tuple[Anchor | None, Iterator[ChainRow]]]:
    """The chain head and the rows after ``after_id`` in id order, from one statement (one
    snapshot: the head and the rows agree even while others write), streamed; the cursor
    is closed when the block ends, read to the end or not."""
    result = session.execute(sa.text(
        "SELECT h.last_id, h.last_hash, a.id, a.prev_hash, a.row_hash, "
        "       audit_log_canonical(a) "
        "FROM (SELECT 1) AS one "
        "LEFT JOIN audit_chain_head h ON true "
        "LEFT JOIN audit_log a ON a.id > :after "
        "ORDER BY a.id").execution_options(yield_per=CHAIN_BATCH_ROWS),
        {"after": after_id})
    try:
        first = result.fetchone()
        head = (Anchor(int(first[0]), bytes(first[1]))
                if first is not None and first[0] is not None else None)
        leading = [first] if first is not None and first[2] is not None else []
        yield head, (ChainRow(int(row[2]), _bytes(row[3]), _bytes(row[4]), row[5])
                     for row in itertools.chain(leading, result))
    finally:
        result.close()


def row_hash_of(session: Session, row_id: int) -> bytes | None:
    """The stored hash of one row (None: no such row)."""
    value = session.execute(sa.text("SELECT row_hash FROM audit_log WHERE id = :id"),
                            {"id": row_id}).scalar_one_or_none()
    return _bytes(value)


def _bytes(value: object) -> bytes | None:
    return None if value is None else bytes(value)  # type: ignore[call-overload]
