"""The kinds of job: what each runs and who may see and cancel it.

Areas register their kinds (``app/planning/jobs.py``, ``app/analysis/jobs.py``); the
worker looks a job's kind up here. A job is visible to whoever asked for it, to admin, and
to the kind's ``readers`` (roles that may see its result anyway: every planning reader
sees a plan being made); it may be cancelled by whoever asked, admin and the kind's
``cancellers``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.jobs.progress import Progress
from app.models import JobFile, User


@dataclass
class JobContext:
    """What a job's run gets: the primary session (it commits nothing itself: the worker
    commits its writes together with the job's final state), the read session (the
    replica when one is configured), its parameters, who asked, and its progress."""

    job_id: int | None
    params: dict[str, Any]
    session: Session
    read_session: Session
    actor: User | None
    progress: Progress

    def files(self) -> list[JobFile]:
        """The files the job was given (read on the primary, where they were stored)."""
        from app.jobs.repository import job_files

        return job_files(self.session, self.job_id) if self.job_id is not None else []


@dataclass
class JobOutcome:
    """What a finished job leaves: a message (a :class:`runtime.notes.Note`, so that pages
    word it in their reader's language), its result (JSON), a link to the result
    (default: ``/api/v1/jobs/ID/result``) and the page that shows it."""

    message: str
    result: Any = None
    result_url: str | None = None
    page_url: str | None = None


#: How a stored result is answered: ``render(result, format)`` → (body text, media
#: type, file name for a download or None).
Render = Callable[[Any, str], tuple[str, str, str | None]]


def render_json(result: Any, _fmt: str) -> tuple[str, str, str | None]:
    return json.dumps(result), "application/json", None


@dataclass(frozen=True)
class JobKind:
    """``readers``/``cancellers``: roles besides the requester and admin that may see or
    cancel a job of this kind."""

    name: str
    run: Callable[[JobContext], JobOutcome]
    description: str
    readers: tuple[str, ...] = ()
    cancellers: tuple[str, ...] = ()
    render: Render = field(default=render_json)


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> JobKind | None:
    return KINDS.get(name)
