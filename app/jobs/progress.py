"""Progress of a running job: the ``progress(fraction, message)`` callable long functions
take, and the cancellation it raises.

Pure packages (``gis``, ``patrol``) accept any plain callable; here it is a
:class:`ProgressReporter` that stores the progress on the job's row at most every
``min_interval_s`` (so a tight loop does not flood the database) and, each time it does,
learns whether someone asked to cancel: then it raises :class:`JobCancelled`, which unwinds
the work at that progress point (its transaction is rolled back).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)

#: What long functions take: ``progress(fraction 0–1, message)``; the message is a
#: :class:`runtime.notes.Note` where a reader may see it (stored with the job, worded in
#: the reader's language by the pages).
Progress = Callable[[float, str], None]


class JobCancelled(Exception):  # noqa: N818 - named after what happened, as the others
    """Raised from a progress point when the job's cancellation was asked for."""


class JobInterrupted(Exception):  # noqa: N818
    """Raised from a progress point when the worker is stopping (SIGTERM): the job goes
    back to the queue."""


def no_progress(_fraction: float, _message: str) -> None:
    """A progress callable that reports nowhere (inline runs without a display)."""


def scaled(progress: Progress, start: float, end: float) -> Progress:
    """``progress`` for one step of a longer job: fractions 0–1 of the step are mapped to
    ``start``–``end`` of the whole."""
    span = end - start

    def report(fraction: float, message: str) -> None:
        progress(start + span * min(1.0, max(0.0, fraction)), message)
    return report


class ProgressStore(Protocol):
    def __call__(self, fraction: float, message: str) -> bool | None: ...


class ProgressReporter:
    """Stores progress through ``store`` (which answers whether cancelling was asked, or
    None when the job is no longer this worker's) and raises at progress points."""

    def __init__(self, store: ProgressStore, *, stopping: threading.Event | None = None,
                 min_interval_s: float = 0.5, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.store = store
        self.stopping = stopping or threading.Event()
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.last_write = float("-inf")
        self.fraction = 0.0
        self.message = ""

    def __call__(self, fraction: float, message: str) -> None:
        self.fraction = max(self.fraction, min(1.0, max(0.0, float(fraction))))
        self.message = message
        if self.stopping.is_set():
            raise JobInterrupted("the worker is stopping")
        now = self.clock()
        if now - self.last_write < self.min_interval_s:
            return
        self.last_write = now
        cancel = self.store(self.fraction, message)
        if cancel is None:
            raise JobCancelled("the job is no longer this worker's")
        if cancel:
            raise JobCancelled("cancelled")
