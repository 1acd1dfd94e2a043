"""Radio assignments: which unit holds a radio when (the decisions in
:mod:`dispatch.radio_identity`, the SQL in :mod:`app.ingest.repository.radios`). Every
change is audited in the caller's transaction; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.dispatch import repository as units_repository
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.ingest.repository import messages, radios
from app.models import RadioAssignment
from dispatch.errors import InvalidAssignment
from dispatch.radio_identity import Assignment, first_overlap, unit_holding

PERIOD_REVERSED = "period_reversed"  # valid_until not after valid_from


def as_assignment(row: RadioAssignment) -> Assignment:
    return Assignment(row.radio_id, row.unit_id, row.valid_from, row.valid_until, row.alias)


class RadioBook:
    """The units the radios of one batch point at, looked up once for the batch."""

    def __init__(self, session: Session, radio_ids: Sequence[str]) -> None:
        wanted = sorted(set(radio_ids))
        self._assignments = [as_assignment(r) for r in radios.assignments_of(session, wanted)]
        self._standing = messages.standing_radios(session, wanted)

    def unit_of(self, radio_id: str, at: datetime) -> int | None:
        return unit_holding(radio_id, at, self._assignments, self._standing)


def assign(session: Session, *, radio_id: str, unit_id: int, valid_from: datetime | None,
           valid_until: datetime | None, alias: str, note: str | None, actor: str,
           reason: str | None = None) -> RadioAssignment:
    """Give ``radio_id`` to ``unit_id`` for a period (from now, open-ended, by default).

    An open-ended assignment of the radio that started earlier is ended where the new one
    begins (the radio changed hands); any other overlap is refused (409)."""
    if units_repository.unit_by_id(session, unit_id) is None:
        raise RecordNotFound(f"No unit {unit_id}.", field="unit_id")
    start = valid_from or datetime.now(UTC)
    try:
        new = Assignment(radio_id, unit_id, start, valid_until, alias)
    except InvalidAssignment as exc:
        raise InvalidValue(str(exc), field=exc.field, code=PERIOD_REVERSED) from None
    radios.lock_radio(session, radio_id)
    rows = radios.assignments_of(session, [radio_id])
    handed_over = [r for r in rows if r.valid_until is None and r.valid_from < start]
    after = [Assignment(r.radio_id, r.unit_id, r.valid_from, start, r.alias)
             if r in handed_over else as_assignment(r) for r in rows]
    clash = first_overlap(new, after)
    if clash is not None:
        raise StateConflict(
            f"Radio {radio_id} is assigned to unit {clash.unit_id} from "
            f"{clash.valid_from.isoformat()} until "
            f"{clash.valid_until.isoformat() if clash.valid_until else 'further notice'}.",
            field="valid_from", code="radio_assigned")
    for row in handed_over:  # the radio changes hands: the holder's period ends here
        row.valid_until = start
        audit.record(session, "radio.assignment_end", object_type="radio_assignment",
                     object_id=row.id, reason=reason, actor_name=actor,
                     details={"radio_id": radio_id, "unit_id": row.unit_id,
                              "valid_until": start.isoformat(), "by": "reassignment"})
    session.flush()  # the old period ends before the new one is inserted (the constraint)
    row = RadioAssignment(radio_id=radio_id, unit_id=unit_id, alias=alias,
                          valid_from=start, valid_until=valid_until, note=note,
                          created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, "radio.assign", object_type="radio_assignment", object_id=row.id,
                 reason=reason, actor_name=actor,
                 details={"radio_id": radio_id, "unit_id": unit_id, "alias": alias,
                          "valid_from": start.isoformat(),
                          "valid_until": valid_until.isoformat() if valid_until else None})
    return row


def end_assignment(session: Session, assignment_id: int, *, valid_until: datetime | None,
                   actor: str, reason: str | None = None) -> RadioAssignment:
    """End an assignment (now by default); an end before its start is refused (422)."""
    row = radios.assignment_by_id(session, assignment_id, lock=True)
    if row is None:
        raise RecordNotFound(f"No radio assignment {assignment_id}.", field="assignment_id")
    end = valid_until or datetime.now(UTC)
    if end <= row.valid_from:
        raise InvalidValue("valid_until must come after the assignment's valid_from "
                           f"({row.valid_from.isoformat()}).", field="valid_until",
                           code=PERIOD_REVERSED)
    if row.valid_until is not None and row.valid_until <= end:
        return row
    row.valid_until = end
    audit.record(session, "radio.assignment_end", object_type="radio_assignment",
                 object_id=row.id, reason=reason, actor_name=actor,
                 details={"radio_id": row.radio_id, "unit_id": row.unit_id,
                          "valid_until": end.isoformat()})
    return row


def assignment_json(row: RadioAssignment) -> dict[str, Any]:
    return {"id": row.id, "radio_id": row.radio_id, "unit_id": row.unit_id,
            "alias": row.alias, "valid_from": row.valid_from.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            "note": row.note, "created_by": row.created_by,
            "created_at": row.created_at.isoformat()}
