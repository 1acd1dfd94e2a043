"""Searching the passages: by whole or partial plate, a plate's trace, and vehicles through
checkpoint A then B. Every search needs a reason and is audited — who, when, what was asked
and why, and how much was found, also when nothing was — in the same transaction as it is
answered; the audit row's id is answered as ``search_id``, for the case file.

Bounds: the time window is required; a whole plate (and a trace) may span
:data:`MAX_DAYS_EXACT` days, a partial plate and "A then B" :data:`MAX_DAYS_PARTIAL`; answers
hold at most ``limit`` passages (``truncated`` says when more matched).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.errors import InvalidValue
from app.models import User
from app.passages import repository
from dispatch.checkpoints import plate_query
from dispatch.checkpoints.plates import InvalidPlate, PlateQuery

MAX_DAYS_EXACT = 31
MAX_DAYS_PARTIAL = 7
MAX_WITHIN_MIN = 24 * 60
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
MIN_REASON = 2


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def require_reason(reason: str | None) -> str:
    """The search's reason, stripped; 422 ``reason_required`` without one."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidValue("Every passage search needs a reason (the case or task it is "
                           "for): it is kept in the audit log.", field="reason",
                           code="reason_required")
    return text[:500]


def read_plate_query(text: str | None, *, exact_only: bool = False) -> PlateQuery:
    try:
        query = plate_query(text or "")
    except InvalidPlate as exc:
        raise InvalidValue(f"plate: {exc}.", field="plate", code="bad_plate") from None
    if exact_only and not query.exact:
        raise InvalidValue("A trace follows one plate: give it whole, without * or ?.",
                           field="plate", code="bad_plate")
    return query


def window(start: datetime, end: datetime, *, max_days: int) -> Window:
    """The time window, checked: ``from`` before ``to``, at most ``max_days`` long."""
    if end <= start:
        raise InvalidValue("`to` must come after `from`.", field="to",
                           code="window_reversed")
    if end - start > timedelta(days=max_days):
        raise InvalidValue(f"The time window may span at most {max_days} days for this "
                           "search: narrow it.", field="to", code="window_too_long")
    return Window(start, end)


def checkpoint_ids(session: Session, codes: list[str]) -> list[int] | None:
    """Ids of the checkpoints named by code (None for all); 422 for an unknown code."""
    if not codes:
        return None
    found = {row.code: row.id for row in repository.checkpoints(session, codes=codes)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise InvalidValue(f"No checkpoint {', '.join(map(repr, missing))}.",
                           field="checkpoints", code="unknown_checkpoint")
    return [found[code] for code in codes]


def passage_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "passed_at": row["passed_at"].isoformat(), "plate": row["plate"],
            "checkpoint": {"id": row["checkpoint_id"], "code": row["checkpoint_code"],
                           "name": row["checkpoint_name"], "lon": row["lon"],
                           "lat": row["lat"]},
            "direction": row["direction"], "lane": row["lane"],
            "vehicle_type": row["vehicle_type"], "vehicle_colour": row["vehicle_colour"],
            "plate_colour": row["plate_colour"]}


def search_passages(session: Session, *, plate: str | None, start: datetime, end: datetime,
                    checkpoints: list[str], reason: str | None, actor: User | None,
                    limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Passages of a whole or partial plate in a window, at some checkpoints; audited."""
    why = require_reason(reason)
    query = read_plate_query(plate)
    span = window(start, end, max_days=MAX_DAYS_EXACT if query.exact else MAX_DAYS_PARTIAL)
    ids = checkpoint_ids(session, checkpoints)
    rows = repository.find_passages(session, plate=query.like, exact=query.exact,
                                    start=span.start, end=span.end, checkpoint_ids=ids,
                                    limit=limit + 1)
    truncated = len(rows) > limit
    rows = rows[:limit]
    entry = audit.record(session, "passage.search", object_type="passages",
                         object_id=query.text, reason=why, actor=actor, details={
                             "plate": query.text, "exact": query.exact,
                             "from": span.start.isoformat(), "to": span.end.isoformat(),
                             "checkpoints": checkpoints, "found": len(rows),
                             "truncated": truncated})
    return {"plate": query.text, "exact": query.exact, "from": span.start.isoformat(),
            "to": span.end.isoformat(), "checkpoints": checkpoints, "count": len(rows),
            "truncated": truncated, "passages": [passage_json(r) for r in rows],
            "_audit": entry}


def vehicles_through(session: Session, *, first: str, then: str, within_min: float,
                     start: datetime, end: datetime, reason: str | None,
                     actor: User | None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Vehicles that passed checkpoint ``first`` in the window and then ``then`` within
    ``within_min`` minutes (escape routes); audited."""
    why = require_reason(reason)
    if not 0 < within_min <= MAX_WITHIN_MIN:
        raise InvalidValue(f"within_min must be more than 0 and at most {MAX_WITHIN_MIN}.",
                           field="within_min")
    span = window(start, end, max_days=MAX_DAYS_PARTIAL)
    (first_id,) = checkpoint_ids(session, [first]) or [0]
    (then_id,) = checkpoint_ids(session, [then]) or [0]
    if first_id == then_id:
        raise InvalidValue("Name two different checkpoints.", field="then",
                           code="same_checkpoint")
    rows = repository.through_a_then_b(session, first=first_id, then=then_id,
                                       within=timedelta(minutes=within_min),
                                       start=span.start, end=span.end, limit=limit + 1)
    truncated = len(rows) > limit
    rows = rows[:limit]
    entry = audit.record(session, "passage.through", object_type="passages",
                         object_id=f"{first}>{then}", reason=why, actor=actor, details={
                             "first": first, "then": then, "within_min": within_min,
                             "from": span.start.isoformat(), "to": span.end.isoformat(),
                             "found": len(rows), "truncated": truncated})
    return {"first": first, "then": then, "within_min": within_min,
            "from": span.start.isoformat(), "to": span.end.isoformat(), "count": len(rows),
            "truncated": truncated, "vehicles": [{
                "plate": r["plate"], "first_at": r["first_at"].isoformat(),
                "first_direction": r["first_direction"], "first_lane": r["first_lane"],
                "then_at": r["then_at"].isoformat(), "then_direction": r["then_direction"],
                "then_lane": r["then_lane"],
                "minutes": round((r["then_at"] - r["first_at"]).total_seconds() / 60, 1)}
                for r in rows], "_audit": entry}


def with_search_id(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with the audit row's id (known once committed) as ``search_id``."""
    entry = answer.pop("_audit")
    return {"search_id": entry.id, **answer}
