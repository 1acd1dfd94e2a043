"""Writing the audit log: one row per state change, in the same transaction.

Callers add the audit row to the session that carries the change and commit once;
PostgreSQL refuses UPDATE and DELETE on ``audit_log`` (trigger and grants).
"""

from __future__ import annotations

import getpass
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

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
    session.add(entry)
    return entry
