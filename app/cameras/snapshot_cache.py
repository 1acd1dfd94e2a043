"""Still frames from camera streams for the dispatch console: snapshots and their cache.

When a red alert is raised the console shows one still frame from each camera that can see
the place. :class:`SnapshotCache` keeps recent frames so that many consoles opening the
same alert cost each camera one grab. Taking a frame (:func:`grab_frame`, the stream URLs
accepted, the timeouts) is :mod:`app.cameras.frame_grabber`'s; its public names are
re-exported here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.cameras.fence import StreamFence
from app.cameras.frame_grabber import (
    BACKEND_GRACE_S,
    DEFAULT_MAX_WORKERS,
    JPEG_QUALITY,
    NETWORK_SCHEMES,
    FrameGrabber,
    GrabberBusyError,
    NoFrameError,
    SnapshotError,
    SnapshotSettingError,
    SnapshotTimeoutError,
    StreamOpenError,
    StreamRefusedError,
    UnsupportedStreamError,
    capture_source,
    check_count,
    check_positive,
    grab_frame,
    redact_url,
    shared_grabber,
)

__all__ = [
    "BACKEND_GRACE_S", "DEFAULT_MAX_WORKERS", "JPEG_QUALITY", "NETWORK_SCHEMES",
    "FrameGrabber", "GrabberBusyError", "NoFrameError", "Snapshot", "SnapshotCache",
    "SnapshotError", "SnapshotSettingError", "SnapshotTimeoutError", "StreamOpenError",
    "StreamRefusedError", "UnsupportedStreamError", "capture_source", "grab_frame",
    "redact_url", "utc_now",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One attempt to take a still frame from a camera.

    Attributes
    ----------
    jpeg : bytes or None
        The frame as JPEG, or None when the attempt failed.
    taken_at : datetime
        When the attempt ended (timezone-aware, UTC).
    online : bool
        True when a frame was taken.
    error : str or None
        The failure's :attr:`SnapshotError.code` (``"timeout"``, ``"cannot_open"``, ...),
        None when online.
    """

    jpeg: bytes | None
    taken_at: datetime
    online: bool
    error: str | None


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the default clock of :class:`SnapshotCache`)."""
    return datetime.now(UTC)


@dataclass(slots=True)
class _Flight:
    """A grab under way for one camera, shared by everyone who asks meanwhile."""

    url: str
    future: Future[bytes]
    deadline: float  # time.monotonic()
    snapshot: Snapshot | None = None


class SnapshotCache:
    """Recent still frames per camera, taken once however many consoles ask.

    A camera's snapshot is reused for ``ttl_s`` after a frame was taken and for
    ``failure_ttl_s`` after a failure. Failures are kept *longer* than frames on purpose:
    a dead camera's grab can hold a worker for up to about ``2 * timeout_s + 2`` s (see
    :mod:`app.cameras.frame_grabber`), and retrying it sooner than that would let one dead
    camera take several workers. :class:`GrabberBusyError` failures are not cached (the
    camera is not at fault). Asking with a different URL for a camera ignores what was cached.

    Concurrent requests for the same camera share one grab (single flight). All methods
    are thread-safe.

    Parameters
    ----------
    timeout_s : float
        Seconds a grab may take before the camera is reported with error ``"timeout"``.
    max_width : int
        Width in pixels frames are shrunk to.
    ttl_s : float
        Seconds a frame is reused.
    failure_ttl_s : float
        Seconds a failure is reused.
    fence : StreamFence
        Where grabs may connect (and which files they may read), checked by the worker
        right before connecting; a refusal is cached like any failure (``"refused"``).
    grabber : FrameGrabber or None
        The worker pool; None uses the module's shared pool.
    clock : callable
        Returns the current timezone-aware UTC time; used for ``taken_at`` and the TTLs.
    """

    def __init__(self, *, fence: StreamFence, timeout_s: float = 5.0, max_width: int = 640,
                 ttl_s: float = 10.0, failure_ttl_s: float = 30.0,
                 grabber: FrameGrabber | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        for name, value in (("timeout_s", timeout_s), ("ttl_s", ttl_s),
                            ("failure_ttl_s", failure_ttl_s)):
            check_positive(name, value)
        check_count("max_width", max_width)
        self.fence = fence
        self.timeout_s = timeout_s
        self.max_width = max_width
        self.ttl = timedelta(seconds=ttl_s)
        self.failure_ttl = timedelta(seconds=failure_ttl_s)
        self._grabber = grabber if grabber is not None else shared_grabber
        self._clock = clock
        # Reentrant: a future that is already done runs its done-callback, which settles
        # under this lock, inside add_done_callback in _start.
        self._lock = threading.RLock()
        self._entries: dict[str, tuple[str, Snapshot]] = {}
        self._flights: dict[str, _Flight] = {}

    def get(self, camera_id: str, url: str) -> Snapshot:
        """Return the camera's snapshot, grabbing a frame unless a fresh one is cached.

        Waits at most ``timeout_s`` (less when joining a grab already under way).

        Parameters
        ----------
        camera_id : str
            The cache key.
        url : str
            The camera's stream URL; a snapshot cached from another URL is not reused.

        Returns
        -------
        Snapshot
            Camera failures, a refused URL and a busy pool give an offline snapshot with
            the error's code, never an exception: one broken camera cannot fail a page.
        """
        with self._lock:
            cached = self._fresh(camera_id, url)
            if cached is not None:
                return cached
            flight = self._flights.get(camera_id)
            if flight is None or flight.url != url:
                started = self._start(camera_id, url)
                if isinstance(started, Snapshot):
                    return started
                flight = started
        outcome: bytes | str
        try:
            outcome = flight.future.result(timeout=max(0.0, flight.deadline - time.monotonic()))
        except FutureTimeoutError:
            outcome = SnapshotTimeoutError.code
        except SnapshotError as error:
            outcome = error.code
        return self._settle(camera_id, flight, outcome)

    def prefetch(self, items: Iterable[tuple[str, str]]) -> int:
        """Start grabs for ``(camera_id, url)`` pairs in the background and return at once.

        Meant for the moment an alert is raised, so the frames are ready when consoles ask.
        Cameras with a fresh snapshot or a grab under way are skipped. Nothing is raised:
        a refused URL or a busy pool is logged (and the refusal cached) as in :meth:`get`.

        Parameters
        ----------
        items : iterable of (str, str)
            ``(camera_id, url)`` pairs.

        Returns
        -------
        int
            How many grabs were started.
        """
        started = 0
        with self._lock:
            for camera_id, url in items:
                flight = self._flights.get(camera_id)
                if self._fresh(camera_id, url) is not None or (
                        flight is not None and flight.url == url):
                    continue
                if isinstance(self._start(camera_id, url), _Flight):
                    started += 1
        return started

    def peek(self, camera_id: str) -> Snapshot | None:
        """Return the camera's cached snapshot if it is still fresh, without grabbing."""
        with self._lock:
            entry = self._entries.get(camera_id)
            return entry[1] if entry is not None and self._is_fresh(entry[1]) else None

    # -- internals: methods named "(lock held)" expect the caller to hold self._lock -----

    def _is_fresh(self, snapshot: Snapshot) -> bool:
        ttl = self.ttl if snapshot.online else self.failure_ttl
        return self._clock() - snapshot.taken_at < ttl

    def _fresh(self, camera_id: str, url: str) -> Snapshot | None:
        """The cached snapshot if fresh and taken from ``url`` (lock held)."""
        entry = self._entries.get(camera_id)
        if entry is None or entry[0] != url or not self._is_fresh(entry[1]):
            return None
        return entry[1]

    def _start(self, camera_id: str, url: str) -> _Flight | Snapshot:
        """Submit a grab as the camera's flight, or return the snapshot of a refusal (lock held).

        A refused URL is cached like any failure; a busy pool is not (the camera is not at
        fault, and the next request may find a free worker).
        """
        deadline = time.monotonic() + self.timeout_s
        try:
            future = self._grabber.submit(url, timeout_s=self.timeout_s, fence=self.fence,
                                          max_width=self.max_width)
        except GrabberBusyError:
            logger.warning("snapshot of camera %s refused: all workers busy", camera_id)
            return self._failure(GrabberBusyError.code)
        except UnsupportedStreamError:
            logger.warning("camera %s has an unsupported stream URL", camera_id)
            snapshot = self._failure(UnsupportedStreamError.code)
            self._entries[camera_id] = (url, snapshot)
            return snapshot
        flight = _Flight(url=url, future=future, deadline=deadline)
        self._flights[camera_id] = flight
        future.add_done_callback(lambda done: self._record(camera_id, flight, done))
        logger.debug("snapshot of camera %s started from %s", camera_id, redact_url(url))
        return flight

    def _failure(self, code: str) -> Snapshot:
        return Snapshot(jpeg=None, taken_at=self._clock(), online=False, error=code)

    def _record(self, camera_id: str, flight: _Flight, future: Future[bytes]) -> None:
        """Settle a flight when its worker ends, even if nobody is waiting for it.

        Runs in the worker thread. A result that arrives after the deadline counts as a
        timeout, as it did for anyone who was waiting.
        """
        if future.cancelled() or time.monotonic() > flight.deadline:
            self._settle(camera_id, flight, SnapshotTimeoutError.code)
        elif (error := future.exception()) is None:
            self._settle(camera_id, flight, future.result())
        elif isinstance(error, SnapshotError):
            self._settle(camera_id, flight, error.code)
        else:
            logger.error("snapshot of camera %s crashed", camera_id, exc_info=error)
            self._settle(camera_id, flight, SnapshotError.code)

    def _settle(self, camera_id: str, flight: _Flight, outcome: bytes | str) -> Snapshot:
        """Turn a flight's outcome (JPEG or error code) into its one shared snapshot.

        The first caller decides; later ones get the same object. Expired entries are
        dropped here, so the cache holds only cameras asked about within the last TTL.
        """
        with self._lock:
            if flight.snapshot is not None:
                return flight.snapshot
            if isinstance(outcome, bytes):
                flight.snapshot = Snapshot(jpeg=outcome, taken_at=self._clock(), online=True,
                                           error=None)
            else:
                flight.snapshot = self._failure(outcome)
                logger.warning("snapshot of camera %s failed (%s) from %s", camera_id, outcome,
                               redact_url(flight.url))
            if self._flights.get(camera_id) is flight:
                del self._flights[camera_id]
                self._entries[camera_id] = (flight.url, flight.snapshot)
            for stale in [key for key, (_, shot) in self._entries.items()
                          if not self._is_fresh(shot)]:
                del self._entries[stale]
            return flight.snapshot
