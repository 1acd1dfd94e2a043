"""Planning a day as a background job, and when a request may plan inline.

A plan's cost grows with the rostered units times the places they may be sent to (the
travel-time table, the solver); a request plans inline only while that product stays
under :data:`INLINE_WORK` (a few units and points: seconds). Anything larger — and every
plan started from the planning page — is a job.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from app.auth.access import PLANNERS, PLANNING_READERS
from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from app.jobs.progress import scaled
from app.planning.plans import configured_shifts, known_shift, plan_shift, shift_hours
from app.planning.repository import plan_workload
from runtime.notes import Note

#: Rostered units × (must-visit points + patrol hot spots) still planned inline.
INLINE_WORK = 100


def plan_is_small(session: Session, day: date, shift: str | None) -> bool:
    units, places = plan_workload(session, day, shift)
    return units * max(places, 1) <= INLINE_WORK


def plan_params(*, day: date, shift: str | None, engine: str | None, seed: int | None,
                reason: str | None) -> dict[str, Any]:
    return {"date": day.isoformat(), "shift": shift, "engine": engine, "seed": seed,
            "reason": reason}


def page_link(day: str, shift: str | None, job: int | str = "{id}") -> str:
    """The planning page of the day (and shift) showing the job (its message when done)."""
    return "/planning?" + urlencode({"date": day, **({"shift": shift} if shift else {})}
                                    ) + f"&job={job}"


def run_plan_job(context: JobContext) -> JobOutcome:
    """Plan the shifts asked for, each a share of the progress bar."""
    params = context.params
    day = date.fromisoformat(params["date"])
    shifts = [known_shift(params["shift"])] if params.get("shift") else list(
        configured_shifts())
    plans = []
    for number, shift in enumerate(shifts):
        step = scaled(context.progress, number / len(shifts), (number + 1) / len(shifts))
        plans.append(plan_shift(context.session, day, shift, engine=params.get("engine"),
                                seed=params.get("seed"), actor=context.actor,
                                reason=params.get("reason"), progress=step))
        step(1.0, Note("%(shift)s: %(routes)s routes", shift=shift_hours(shift),
                       routes=plans[-1].summary["routes"]))
    context.progress(1.0, Note("saving the plans"))
    query = {"date": day.isoformat(), **({"shift": params["shift"]}
                                         if params.get("shift") else {})}
    return JobOutcome(
        message=_plans_made(shifts, plans),
        result={"plans": [{"id": p.id, "date": p.day.isoformat(), "shift": p.shift,
                           "status": p.status, "engine": p.engine, "seed": p.seed,
                           "summary": p.summary, "unserved": len(p.unserved)}
                          for p in plans]},
        result_url="/api/v1/patrol-plans?" + urlencode(query),
        page_url=page_link(day.isoformat(), plans[0].shift if params.get("shift") else None,
                           job=context.job_id or ""))


def _plans_made(shifts: list[Any], plans: list[Any]) -> Note:
    """What the plans came to, shift by shift (by their hours: read in either language)."""
    notes = [Note("%(shift)s: %(routes)s routes, %(served)s of %(stops)s stops served",
                  shift=shift_hours(s), routes=p.summary["routes"],
                  served=p.summary["served"], stops=p.summary["stops"])
             for s, p in zip(shifts, plans, strict=True)]
    made = notes[0]
    for note in notes[1:]:
        made = Note("%(before)s; %(after)s", before=made, after=note)
    return made


PLAN = register(JobKind(
    "plan", run_plan_job, "Plan a day's shifts (routes and unserved stops)",
    readers=PLANNING_READERS, cancellers=PLANNERS))
