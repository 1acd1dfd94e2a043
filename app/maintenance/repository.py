"""Maintainers and tickets in PostgreSQL: every query of the maintenance area.
Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.models import (
    Camera,
    CameraMaintainer,
    Maintainer,
    MaintainerMember,
    MaintenanceTicket,
    MaintenanceTicketNote,
)


def maintainers(session: Session) -> list[Maintainer]:
    return list(session.execute(sa.select(Maintainer).order_by(Maintainer.id)).scalars())


def maintainer_by_code(session: Session, code: str) -> Maintainer | None:
    return session.execute(sa.select(Maintainer).where(Maintainer.code == code)
                           ).scalar_one_or_none()


def camera_counts(session: Session) -> dict[int, int]:
    """Cameras kept by each maintainer."""
    return {int(m): int(n) for m, n in session.execute(
        sa.select(CameraMaintainer.maintainer_id, sa.func.count()).group_by(
            CameraMaintainer.maintainer_id))}


def member_maintainer(session: Session, user_id: int) -> int | None:
    """The maintainer a user works for (None: not a member of any)."""
    return session.execute(sa.select(MaintainerMember.maintainer_id).where(
        MaintainerMember.user_id == user_id)).scalar()


def set_member(session: Session, user_id: int, maintainer_id: int) -> None:
    statement = insert(MaintainerMember).values(user_id=user_id, maintainer_id=maintainer_id)
    session.execute(statement.on_conflict_do_update(
        index_elements=["user_id"], set_={"maintainer_id": maintainer_id}))


def existing_camera_ids(session: Session, camera_ids: Sequence[int]) -> set[int]:
    return {int(i) for i in session.execute(sa.select(Camera.id).where(
        Camera.id.in_(list(camera_ids)))).scalars()}


def camera_ids_in_area(session: Session, area: str) -> list[int]:
    return [int(i) for i in session.execute(sa.text(
        "SELECT c.id FROM cameras c JOIN areas a ON a.id = c.area_id WHERE a.name = :area "
        "ORDER BY c.id"), {"area": area}).scalars()]


def assign_cameras(session: Session, maintainer_id: int, camera_ids: Sequence[int]) -> None:
    """Make ``maintainer_id`` responsible for these cameras (replacing another)."""
    if not camera_ids:
        return
    statement = insert(CameraMaintainer).values(
        [{"camera_id": c, "maintainer_id": maintainer_id} for c in camera_ids])
    session.execute(statement.on_conflict_do_update(
        index_elements=["camera_id"], set_={"maintainer_id": maintainer_id}))


def camera_maintainer(session: Session, camera_id: int) -> Maintainer | None:
    return session.execute(sa.select(Maintainer).join(
        CameraMaintainer, CameraMaintainer.maintainer_id == Maintainer.id).where(
        CameraMaintainer.camera_id == camera_id)).scalar_one_or_none()


def open_ticket(session: Session, camera_id: int, *, lock: bool = False
                ) -> MaintenanceTicket | None:
    query = sa.select(MaintenanceTicket).where(MaintenanceTicket.camera_id == camera_id,
                                               MaintenanceTicket.status == "open")
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def ticket(session: Session, ticket_id: int, *, lock: bool = False) -> MaintenanceTicket | None:
    query = sa.select(MaintenanceTicket).where(MaintenanceTicket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


_TICKETS_SQL = """
    SELECT t.id, t.camera_id, c.name AS camera_name, a.name AS area, t.maintainer_id,
           m.code AS maintainer_code, m.name AS maintainer_name, t.status, t.faults,
           t.findings, t.opened_at, t.respond_by, t.repair_by, t.acknowledged_at,
           t.acknowledged_by, t.closed_at, t.closed_by, t.close_how, t.close_note,
           t.delivered, t.delivery_detail, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat
    FROM maintenance_tickets t
    JOIN cameras c ON c.id = t.camera_id
    LEFT JOIN areas a ON a.id = c.area_id
    LEFT JOIN maintainers m ON m.id = t.maintainer_id
    WHERE (CAST(:status AS text) IS NULL OR t.status = :status)
      AND (CAST(:maintainer AS integer) IS NULL OR t.maintainer_id = :maintainer)
      AND (CAST(:camera AS integer) IS NULL OR t.camera_id = :camera)
      AND (CAST(:area AS text) IS NULL OR a.name = :area)
      AND (CAST(:only_ticket AS integer) IS NULL OR t.id = :only_ticket)
    ORDER BY t.status = 'open' DESC, t.opened_at DESC, t.id DESC
    LIMIT :limit OFFSET :offset
"""


def ticket_rows(session: Session, *, status: str | None = None,
                maintainer_id: int | None = None, camera_id: int | None = None,
                area: str | None = None, ticket_id: int | None = None, limit: int = 500,
                offset: int = 0) -> list[dict[str, Any]]:
    """Tickets with their camera and maintainer, open ones first, newest first."""
    rows = session.execute(sa.text(_TICKETS_SQL), {
        "status": status, "maintainer": maintainer_id, "camera": camera_id, "area": area,
        "only_ticket": ticket_id, "limit": limit, "offset": offset}).mappings()
    return [dict(row) for row in rows]


def add_note(session: Session, ticket_id: int, *, kind: str, body: str, user_id: int | None,
             username: str, at: datetime) -> None:
    session.add(MaintenanceTicketNote(ticket_id=ticket_id, kind=kind, body=body,
                                      user_id=user_id, username=username[:64], at=at))
    session.flush()


def notes(session: Session, ticket_id: int) -> list[MaintenanceTicketNote]:
    """A ticket's notes, oldest first."""
    return list(session.execute(sa.select(MaintenanceTicketNote).where(
        MaintenanceTicketNote.ticket_id == ticket_id).order_by(
        MaintenanceTicketNote.at, MaintenanceTicketNote.id)).scalars())


# -- the monthly report's ticket figures ------------------------------------------------
# Tickets of a (maintainer, area) touching [start, end): opened and closed in it, open at
# its end; and, for the tickets opened in it, their response and repair times and SLA
# breaches as known at :now. The response clock stops at the first of acknowledgement and
# closing (a ticket closed before anyone acknowledged it needed no response after that);
# the repair clock at closing. Maintainer: the ticket's own (whom it was sent to).
_TICKET_FIGURES = """
    WITH t AS (
        SELECT t.maintainer_id, a.name AS area, t.opened_at, t.closed_at, t.respond_by,
               t.repair_by, least(t.acknowledged_at, t.closed_at) AS responded_at,
               t.opened_at >= CAST(:start AS timestamptz) AS opened_in
        FROM maintenance_tickets t
        JOIN cameras c ON c.id = t.camera_id
        LEFT JOIN areas a ON a.id = c.area_id
        WHERE t.opened_at < CAST(:end AS timestamptz)
          AND (t.closed_at IS NULL OR t.closed_at >= CAST(:start AS timestamptz))
          AND (CAST(:area AS text) IS NULL OR a.name = :area)
          AND (CAST(:maintainer AS integer) IS NULL OR t.maintainer_id = :maintainer)
    )
    SELECT maintainer_id, area, GROUPING(maintainer_id, area) AS level,
           count(*) FILTER (WHERE opened_in) AS opened,
           count(*) FILTER (WHERE closed_at < CAST(:end AS timestamptz)) AS closed,
           count(*) FILTER (WHERE closed_at IS NULL OR closed_at >= CAST(:end AS timestamptz))
               AS open_at_end,
           count(*) FILTER (WHERE opened_in AND responded_at IS NOT NULL) AS responded,
           avg(extract(epoch FROM responded_at - opened_at)) FILTER (WHERE opened_in)
               AS response_mean_s,
           max(extract(epoch FROM responded_at - opened_at)) FILTER (WHERE opened_in)
               AS response_max_s,
           count(*) FILTER (WHERE opened_in AND respond_by IS NOT NULL
                            AND coalesce(responded_at, CAST(:now AS timestamptz)) > respond_by)
               AS response_breached,
           count(*) FILTER (WHERE opened_in AND respond_by IS NOT NULL
                            AND responded_at IS NULL AND CAST(:now AS timestamptz) <= respond_by)
               AS response_running,
           count(*) FILTER (WHERE opened_in AND closed_at IS NOT NULL) AS repaired,
           avg(extract(epoch FROM closed_at - opened_at)) FILTER (WHERE opened_in)
               AS repair_mean_s,
           max(extract(epoch FROM closed_at - opened_at)) FILTER (WHERE opened_in)
               AS repair_max_s,
           count(*) FILTER (WHERE opened_in AND repair_by IS NOT NULL
                            AND coalesce(closed_at, CAST(:now AS timestamptz)) > repair_by)
               AS repair_breached,
           count(*) FILTER (WHERE opened_in AND repair_by IS NOT NULL
                            AND closed_at IS NULL AND CAST(:now AS timestamptz) <= repair_by)
               AS repair_running
    FROM t
    GROUP BY GROUPING SETS ((maintainer_id, area), (maintainer_id), ())
"""


def ticket_figures(session: Session, *, start: datetime, end: datetime, now: datetime,
                   area: str | None = None, maintainer_id: int | None = None
                   ) -> list[dict[str, Any]]:
    """Ticket counts, response and repair times (seconds) and SLA breaches of each
    (maintainer, area), each maintainer (``level`` 1) and all (``level`` 3) over
    [start, end); see the statement's comment."""
    rows = session.execute(sa.text(_TICKET_FIGURES), {
        "start": start, "end": end, "now": now, "area": area,
        "maintainer": maintainer_id}).mappings()
    return [dict(row) for row in rows]


def maintainer_by_id(session: Session, maintainer_id: int) -> Maintainer | None:
    return session.get(Maintainer, maintainer_id)
