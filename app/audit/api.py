"""Audit log API (admins only)."""

from __future__ import annotations

from typing import Any

from flask import request

from app.api import bp
from app.api.docs import Param, documented
from app.audit.repository import MAX_LIMIT, AuditFilter, list_audit
from app.auth.access import allow
from app.db import get_session
from app.models import AuditEntry


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
        "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
        "reason": entry.reason, "request_id": entry.request_id,
        "client_addr": entry.client_addr, "details": entry.details,
    }


@bp.get("/audit")
@allow("admin")
@documented("List audit entries, newest first", tag="admin", params=(
    Param("actor", "user name"),
    Param("action", "exact action, or a prefix ending in '.' (e.g. 'user.')"),
    Param("object_type", "kind of object"), Param("object_id", "object identifier"),
    Param("since", "from this time (ISO 8601 with zone)", format="date-time"),
    Param("until", "before this time (ISO 8601 with zone)", format="date-time"),
    Param("limit", f"at most this many (≤ {MAX_LIMIT}, default 100)", type="integer",
          schema={"minimum": 1, "maximum": MAX_LIMIT}),
    Param("offset", "skip this many", type="integer", schema={"minimum": 0, "maximum": 10**9}),
))
def list_audit_entries() -> dict[str, Any]:
    entries, total = list_audit(get_session(), AuditFilter.from_args(request.args))
    return {"total": total, "entries": [audit_json(e) for e in entries]}
