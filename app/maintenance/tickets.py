"""Maintenance tickets: opened when a fault persists, kept in step with the checks,
closed when the camera is healthy again (or by hand, with a note), and sent to the
maintainer through the outbound gateway (the radio gateway's outbox or webhook, as
dispatch orders are) after the transaction commits.

The decisions are :mod:`dispatch.cameras.health.state`'s; this module loads, writes and
sends. Every change is audited (``ticket.open``, ``ticket.close``, ``ticket.acknowledge``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.errors import RecordNotFound, StateConflict
from app.maintenance import repository
from app.models import MaintenanceTicket
from app.orders.settings import build_gateway
from dispatch.cameras.health import Fault, Streaks, TicketAction, TicketPolicy, ticket_action
from dispatch.cameras.health.state import sla_clocks
from dispatch.radio import text_message

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketChange:
    """A ticket opened or closed in the transaction just committed: to be sent."""

    action: str
    ticket_id: int


def follow_check(session: Session, camera_id: int, *, streaks: Streaks,
                 findings: list[dict[str, Any]], in_maintenance: bool,
                 policy: TicketPolicy, now: datetime) -> TicketChange | None:
    """Open, update or close the camera's ticket after a check (in the caller's
    transaction); the change to send once it commits, if any."""
    current = repository.open_ticket(session, camera_id, lock=True)
    action, faults = ticket_action(streaks, has_open_ticket=current is not None,
                                   in_maintenance=in_maintenance, policy=policy)
    if action is TicketAction.OPEN:
        return TicketChange("open", _open(session, camera_id, faults, findings, now).id)
    if current is None:
        return None
    if action is TicketAction.UPDATE and faults != list(current.faults):
        current.faults = faults
        current.findings = [f for f in findings if f.get("fault") in faults] or current.findings
    if action is TicketAction.CLOSE:
        _close(session, current, how="auto", by="system:health", now=now,
               note=f"healthy for {streaks.healthy} checks in a row")
        return TicketChange("close", current.id)
    return None


def _open(session: Session, camera_id: int, faults: list[str],
          findings: list[dict[str, Any]], now: datetime) -> MaintenanceTicket:
    keeper = repository.camera_maintainer(session, camera_id)
    respond_by = repair_by = None
    if keeper is not None:
        response, repair = sla_clocks(now, response_h=keeper.response_h,
                                      repair_h=keeper.repair_h)
        respond_by, repair_by = response.due, repair.due
    row = MaintenanceTicket(camera_id=camera_id, maintainer_id=keeper.id if keeper else None,
                            status="open", faults=faults,
                            findings=[f for f in findings if f.get("fault") in faults],
                            opened_at=now, respond_by=respond_by, repair_by=repair_by)
    session.add(row)
    session.flush()
    audit.record(session, "ticket.open", object_type="ticket", object_id=row.id,
                 actor_name="system:health",
                 details={"camera_id": camera_id, "faults": faults,
                          "maintainer": keeper.code if keeper else None})
    return row


def _close(session: Session, row: MaintenanceTicket, *, how: str, by: str, now: datetime,
           note: str) -> None:
    row.status = "closed"
    row.closed_at = now
    row.closed_by = by[:64]
    row.close_how = how
    row.close_note = note
    audit.record(session, "ticket.close", object_type="ticket", object_id=row.id,
                 actor_name=by if how == "auto" else None,
                 details={"camera_id": row.camera_id, "how": how, "note": note})


def close_by_hand(session: Session, ticket_id: int, *, note: str, by: str,
                  now: datetime) -> MaintenanceTicket:
    """Close an open ticket with a note (the caller commits, then sends)."""
    row = repository.ticket(session, ticket_id, lock=True)
    if row is None:
        raise RecordNotFound(f"No ticket {ticket_id}.", field="ticket_id")
    if row.status != "open":
        raise StateConflict(f"Ticket {ticket_id} is already closed.", field="ticket_id",
                            code="ticket_closed")
    _close(session, row, how="manual", by=by, now=now, note=note)
    return row


def acknowledge(session: Session, ticket_id: int, *, by: str, now: datetime
                ) -> MaintenanceTicket:
    """The maintainer has taken the ticket on (stops the response clock)."""
    row = repository.ticket(session, ticket_id, lock=True)
    if row is None:
        raise RecordNotFound(f"No ticket {ticket_id}.", field="ticket_id")
    if row.status != "open":
        raise StateConflict(f"Ticket {ticket_id} is closed.", field="ticket_id",
                            code="ticket_closed")
    if row.acknowledged_at is None:
        row.acknowledged_at = now
        row.acknowledged_by = by[:64]
        audit.record(session, "ticket.acknowledge", object_type="ticket", object_id=row.id,
                     details={"camera_id": row.camera_id})
    return row


def ticket_text(row: MaintenanceTicket, action: str, camera_name: str | None) -> str:
    """The line sent to the maintainer, Chinese then English."""
    known = {fault.value for fault in Fault}
    faults = [Fault(code) for code in row.faults if code in known]
    zh = "、".join(f.label_zh for f in faults)
    en = ", ".join(f.label_en.lower() for f in faults)
    camera = f"{row.camera_id}" + (f" {camera_name}" if camera_name else "")
    if action == "close":
        return (f"工单 #{row.id} 已关闭 摄像机 {camera} / TICKET #{row.id} closed, camera "
                f"{camera}: {row.close_note or ''}").strip()
    due = (f" 响应时限 {row.respond_by:%Y-%m-%d %H:%M} 修复时限 {row.repair_by:%Y-%m-%d %H:%M}"
           if row.respond_by and row.repair_by else "")
    due_en = (f"; respond by {row.respond_by:%Y-%m-%d %H:%M}Z, repair by "
              f"{row.repair_by:%Y-%m-%d %H:%M}Z" if row.respond_by and row.repair_by else "")
    return (f"工单 #{row.id} 摄像机 {camera} 故障：{zh}{due} / TICKET #{row.id} camera "
            f"{camera}: {en}{due_en}")


def send_after_commit(session: Session, change: TicketChange | None) -> None:
    """Send a committed ticket change to its maintainer and record how it went (own
    commit). A ticket without a maintainer, or a gateway failure, stays undelivered."""
    if change is None:
        return
    row = repository.ticket(session, change.ticket_id)
    if row is None:
        return
    keeper = repository.camera_maintainer(session, row.camera_id)
    if keeper is None or keeper.id != row.maintainer_id:
        row.delivered, row.delivery_detail = False, "no maintainer for this camera"
        session.commit()
        return
    name = (repository.ticket_rows(session, ticket_id=row.id) or [{}])[0].get("camera_name")
    message = text_message(f"ticket-{row.id}-{change.action}", callsign=keeper.code,
                           text=ticket_text(row, change.action, name),
                           created_at=row.closed_at if change.action == "close" and
                           row.closed_at else row.opened_at,
                           talkgroup=keeper.contact or None)
    gateway = build_gateway(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        result = gateway.send(message)
    finally:
        close = getattr(gateway, "close", None)
        if close is not None:
            close()
    row.delivered, row.delivery_detail = result.delivered, result.detail
    session.commit()
