"""Writing the audit log: one row per state change, in the same transaction; and
checking its hash chain.

Callers record the audit row on the session that carries the change and commit once;
PostgreSQL refuses UPDATE and DELETE on ``audit_log`` (trigger and grants) and chains
each row to the one before by its hash (migration 0008). Chaining takes a lock held to
commit, so the rows are inserted last, just before COMMIT (:func:`record` keeps them on
the session until then): a transaction holding the chain never waits for another lock.
"""

from __future__ import annotations

import getpass
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.audit import repository
from app.audit.chain import Anchor, ChainBreak, ChainReport, walk
from app.models import AuditEntry, User

REASON_HEADER = "X-Audit-Reason"
MAX_REASON_LENGTH = 2000


def record(session: Session, action: str, *, object_type: str | None = None,
           object_id: object = None, reason: str | None = None,
           details: dict[str, Any] | None = None, actor: User | None = None,
           actor_name: str | None = None) -> AuditEntry:
    """Add an audit row for ``action`` to ``session`` (the caller commits).

    Who: ``actor`` or the signed-in user, else ``actor_name`` or ``cli:<os user>``.
    Why: ``reason``, else the request's ``X-Audit-Reason`` header.
    """
    request_id = client_addr = None
    if has_request_context():
        request_id = g.get("request_id")
        client_addr = request.remote_addr
        if reason is None:
            reason = request.headers.get(REASON_HEADER) or None
        if actor is None and current_user.is_authenticated:
            actor = current_user._get_current_object()  # type: ignore[attr-defined]
    if actor is not None:
        name = actor.username
    elif actor_name:
        name = actor_name
    elif has_request_context():
        name = "anonymous"
    else:
        name = f"cli:{getpass.getuser()}"
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor=name[:64],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:128],
        reason=reason[:MAX_REASON_LENGTH] if reason else None,
        request_id=request_id,
        client_addr=client_addr,
        details=details or {},
    )
    if not session.in_transaction():
        session.begin()  # so a rollback before any other statement still forgets the row
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


_PENDING = "gridpatrol.audit_pending"


@event.listens_for(Session, "before_commit")
def _insert_audit_rows_last(session: Session) -> None:
    """Flush every other change first, then the audit rows: the chain's lock is the last
    one the transaction takes."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.flush()
        session.add_all(pending)
        session.flush()


@event.listens_for(Session, "after_transaction_end")
def _forget_unwritten_audit_rows(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back or closed: the change did not happen
        session.info.pop(_PENDING, None)


def verify_chain(session: Session, *, start: Anchor | None = None) -> ChainReport:
    """Walk the audit log's hash chain (from ``start``, an anchor written down earlier,
    or from the first row)."""
    if start is not None:
        stored = repository.row_hash_of(session, start.row_id)
        if stored != start.row_hash:
            found = "is missing" if stored is None else f"carries {stored.hex()[:16]}…"
            return ChainReport(0, None, None, ChainBreak(
                start.row_id, "anchor",
                f"row {start.row_id} {found}, but the anchor says "
                f"{start.row_hash.hex()[:16]}…: the log was rewritten after the anchor was "
                "taken"))
    with repository.chain_rows(session, after_id=start.row_id if start else 0) as (head, rows):
        return walk(rows, head=head, start=start)
