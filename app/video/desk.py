"""The maintenance desk: tickets as pages. The list (a maintainer's own; everyone else's
filtered by state, maintainer and area), one ticket with its camera's faults and frame,
SLA clocks, delivery and notes, and the forms that take it on, add a note and close it
by hand with a note — each the same service call as its API twin, audited there."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.api.docs import validate_json
from app.auth.access import TICKET_KEEPERS, TICKET_READERS, allow
from app.cameras.health import repository as health_rows
from app.db import get_session
from app.errors import Failure
from app.maintenance import repository, tickets
from app.maintenance.api import TicketAcknowledgeBody, TicketCloseBody, TicketNoteBody
from app.video import faults
from app.video.pages import bp, own_maintainer

STATES = ("open", "closed")
NO_MAINTAINER = -1  # a maintainer's user working for no one: sees no ticket


def visible_maintainer(session: Any) -> int | None:
    """The only maintainer whose tickets this reader sees (None: every one)."""
    if current_user.role_name != "maintainer":
        return None
    return own_maintainer(session) or NO_MAINTAINER


@bp.get("/tickets")
@allow(*TICKET_READERS)
def tickets_page() -> str:
    """Tickets, open ones first: a maintainer's own; the bureau's filtered."""
    session = get_session()
    now = datetime.now(UTC)
    args = request.args
    status = args.get("status") if args.get("status") in STATES else ""
    area = (args.get("area") or "")[:200]
    keeper = args.get("maintainer", "")
    asked = int(keeper) if keeper.isdigit() and len(keeper) < 10 else None
    own = visible_maintainer(session)
    rows = repository.ticket_rows(session, status=status or None,
                                  maintainer_id=own if own is not None else asked,
                                  area=area or None, limit=1000)
    return render_template(
        "video/tickets.html", tickets=[faults.ticket_view(r, now) for r in rows],
        filters={"status": status, "area": area, "maintainer": str(asked or "")},
        is_maintainer=own is not None, areas=health_rows.area_names(session),
        maintainers=repository.maintainers(session) if own is None else [])


def _ticket(session: Any, ticket_id: int) -> dict[str, Any]:
    found = repository.ticket_rows(session, ticket_id=ticket_id,
                                   maintainer_id=visible_maintainer(session))
    if not found:
        abort(404)
    return found[0]


@bp.get("/tickets/<int:ticket_id>")
@allow(*TICKET_READERS)
def ticket_page(ticket_id: int) -> str:
    """One ticket: its camera's faults, frame and state, SLA clocks, notes; and, for
    those who may, the forms to take it on, add a note, close it."""
    session = get_session()
    row = faults.ticket_view(_ticket(session, ticket_id), datetime.now(UTC))
    camera = health_rows.health_list(session, camera_id=row["camera_id"])
    return render_template(
        "video/ticket.html", ticket=row, camera=camera[0] if camera else None,
        findings=[faults.finding_view(f) for f in row["findings"] or []],
        notes=repository.notes(session, ticket_id), status_label=faults.status_label)


def _act(ticket_id: int, act: Any) -> Response:
    """Run ``act(session, now)`` on a visible ticket, commit, and go back to it with what
    happened (a refusal is shown there, nothing written)."""
    session = get_session()
    _ticket(session, ticket_id)
    try:
        done = act(session, datetime.now(UTC))
        session.commit()
    except ValidationError as exc:
        session.rollback()
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "note"
        flash(_("%(field)s: %(message)s", field=field, message=first["msg"]), "error")
    except Failure as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        flash(done, "info")
    return redirect(url_for("video.ticket_page", ticket_id=ticket_id))


def _note() -> str | None:
    return (request.form.get("note") or "").strip() or None


@bp.post("/tickets/<int:ticket_id>/acknowledge")
@allow(*TICKET_KEEPERS, "maintainer")
def acknowledge_ticket_page(ticket_id: int) -> Response:
    """Take the ticket on (with a note, if written)."""
    def act(session: Any, now: datetime) -> str:
        body = validate_json(TicketAcknowledgeBody, {"note": _note()})
        tickets.acknowledge(session, ticket_id, by=current_user, now=now, note=body.note)
        return _("Ticket #%(id)d taken on.", id=ticket_id)
    return _act(ticket_id, act)


@bp.post("/tickets/<int:ticket_id>/notes")
@allow(*TICKET_KEEPERS, "maintainer")
def note_ticket_page(ticket_id: int) -> Response:
    """Add a note to the ticket."""
    def act(session: Any, now: datetime) -> str:
        body = validate_json(TicketNoteBody, {"note": _note() or ""})
        tickets.add_note(session, ticket_id, body=body.note, by=current_user, now=now)
        return _("Note added to ticket #%(id)d.", id=ticket_id)
    return _act(ticket_id, act)


@bp.post("/tickets/<int:ticket_id>/close")
@allow(*TICKET_KEEPERS, "maintainer")
def close_ticket_page(ticket_id: int) -> Response:
    """Close the ticket by hand, with a note (the maintainer is told through the
    gateway)."""
    closed: list[int] = []

    def act(session: Any, now: datetime) -> str:
        body = validate_json(TicketCloseBody, {"note": _note() or ""})
        closed.append(tickets.close_by_hand(session, ticket_id, note=body.note,
                                            by=current_user, now=now).id)
        return _("Ticket #%(id)d closed.", id=ticket_id)
    answer = _act(ticket_id, act)
    if closed:
        tickets.send_after_commit(get_session(), tickets.TicketChange("close", closed[0]))
    return answer
