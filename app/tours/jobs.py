"""Tour proposals as background jobs, when the region is too large to work out in a
request.

A proposal reads the region's incidents known to the minute, finds the hot cells of the
hours asked for and who sees them; over a whole prefecture (100,000 incidents, 2,504
cameras) that is seconds (benchmarks/tour_propose.py). So a request whose region holds
more than :data:`INLINE_INCIDENTS` such incidents — or that says ``Prefer:
respond-async``, as the tours page does — is answered ``202`` with the job
(``tour_proposal``), whose result is the proposal ``POST /api/v1/tours/propose``
answers inline. Nothing is saved either way.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, get_locale
from sqlalchemy.orm import Session

from app.auth.access import VIDEO_OPERATORS
from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from app.tours.propose import ProposeBody, propose_tour
from app.tours.repository import tours as tour_rows
from app.tours.repository.proposals import timed_incidents_in_region
from runtime.notes import Note

KIND = "tour_proposal"
#: Incidents known to the minute a region may hold for its proposal to run in the request
#: (a whole area of that size answers in well under a second; benchmarks/tour_propose.py).
INLINE_INCIDENTS = 20_000


def proposal_is_small(session: Session, body: ProposeBody) -> bool:
    """Whether the proposal may be worked out in the request (an unknown region is: it
    is refused there, by name)."""
    region = tour_rows.region(session, body.area)
    if region is None:
        return True
    return timed_incidents_in_region(session, kind=region["kind"], name=body.area,
                                     limit=INLINE_INCIDENTS + 1) <= INLINE_INCIDENTS


def params_of(body: ProposeBody) -> dict[str, Any]:
    """The job's parameters: the request, and the language its texts are written in (the
    requester's: the proposal's reasons and the draft's name are in it)."""
    return body.model_dump(by_alias=True, mode="json", exclude_none=True) | {
        "locale": str(get_locale() or "en")}


def run_proposal_job(context: JobContext) -> JobOutcome:
    params = dict(context.params)
    locale = params.pop("locale", "en")
    body = ProposeBody.model_validate(params)
    context.progress(0.1, Note("%(area)s: finding the hot cells and the cameras that see them",
                               area=body.area))
    with force_locale(locale):
        proposal = propose_tour(context.read_session, body)
    return JobOutcome(
        message=Note("%(area)s: %(cameras)s cameras proposed", area=body.area,
                     cameras=len(proposal["cameras"])),
        result=proposal, page_url=None)


# Video operators share the wall: each sees (and may cancel) a proposal being made.
TOUR_PROPOSAL = register(JobKind(KIND, run_proposal_job, "Tour proposal",
                                 readers=VIDEO_OPERATORS, cancellers=VIDEO_OPERATORS))
