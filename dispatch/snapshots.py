"""Still frames from camera streams for the dispatch console, with a hard timeout and a cache.

When a red alert is raised the console shows one still frame from each camera that can see
the place. :func:`grab_frame` opens a camera's stream with OpenCV's FFmpeg backend, reads
one frame, shrinks it and returns JPEG bytes. :class:`SnapshotCache` keeps recent frames so
that many consoles opening the same alert cost each camera one grab.

Accepted stream URLs (anything else raises :class:`UnsupportedStreamError` before any I/O):

* ``rtsp://`` and ``rtsps://`` -- IP cameras (FFmpeg's default RTSP transport is UDP; set
  ``OPENCV_FFMPEG_CAPTURE_OPTIONS="rtsp_transport;tcp"`` in the environment if a firewall
  drops it);
* ``http://`` and ``https://`` -- MJPEG (``multipart/x-mixed-replace``) or a single JPEG;
  FFmpeg finds the format from the answer, so the URL needs no ``.mjpg`` suffix or hint;
* ``file:///absolute/path`` and plain absolute paths -- a video or image file.

Stream URLs are configured by administrators, never taken from a request: the server
connects to whatever host they name, and a file path is read from the *server's* disk.
URLs may carry credentials (``rtsp://user:password@camera/``), so errors and log lines only
ever show :func:`redact_url`'s form of a URL.

Timeouts. FFmpeg's network protocols honour OpenCV's open/read timeouts, but not everything
below them does (a hanging DNS lookup or network file system), so each grab runs in a bounded
pool of worker threads and the caller stops waiting after ``timeout_s`` whatever the worker
is doing. OpenCV gets ``timeout_s + BACKEND_GRACE_S`` for opening and again for reading: a
stuck FFmpeg worker frees itself within about ``2 * timeout_s + 2`` s, and the caller's
deadline, not OpenCV's, is what reports a silent camera as a timeout. When every worker is
busy a new grab fails at once with :class:`GrabberBusyError` instead of queueing.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

import cv2
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
BACKEND_GRACE_S = 1.0
DEFAULT_MAX_WORKERS = 4
JPEG_QUALITY = 80


class SnapshotError(ValueError):
    """A still frame could not be taken from a camera stream.

    ``code`` is a stable short name for the failure, stored in :attr:`Snapshot.error` and
    safe to show (or translate) on the console.
    """

    code: ClassVar[str] = "snapshot_failed"


class UnsupportedStreamError(SnapshotError):
    """The stream URL has a scheme other than rtsp, rtsps, http, https or file, or is malformed."""

    code = "unsupported_scheme"


class StreamOpenError(SnapshotError):
    """The stream could not be opened (refused, not found, not a video or image)."""

    code = "cannot_open"


class NoFrameError(SnapshotError):
    """The stream opened but gave no frame that could be decoded and encoded."""

    code = "no_frame"


class SnapshotTimeoutError(SnapshotError):
    """The camera did not give a frame within ``timeout_s``."""

    code = "timeout"


class GrabberBusyError(SnapshotError):
    """Every worker is busy with an earlier grab, so this one was refused at once."""

    code = "busy"


class SnapshotSettingError(ValueError):
    """A timeout, TTL, width or pool size is not a finite positive number."""


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


def redact_url(url: str) -> str:
    """Return ``url`` without user, password, query or fragment, for logs and messages."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url if not parts.scheme else f"{parts.scheme}:{parts.path}"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def capture_source(url: str) -> str:
    """Check a camera stream URL and return the string to hand to OpenCV.

    Parameters
    ----------
    url : str
        An ``rtsp``, ``rtsps``, ``http`` or ``https`` URL with a host, a ``file:`` URL on
        this machine, or an absolute local path. Relative paths are refused: they would
        depend on the server's working directory.

    Returns
    -------
    str
        For network streams the URL with its scheme in lower case (FFmpeg matches protocol
        names case-sensitively: ``HTTP://`` would not open); for files the decoded path.

    Raises
    ------
    UnsupportedStreamError
        Any other scheme (``ftp:``, ``javascript:``, ``data:``, ...), a network URL without
        a host, a ``file:`` URL naming another host, a relative path, or control characters.
    """
    if not url or any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise UnsupportedStreamError("the stream URL is empty or holds control characters")
    if url.startswith("/"):
        return url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in NETWORK_SCHEMES:
        if not parts.hostname:
            raise UnsupportedStreamError(f"the stream URL {redact_url(url)} names no host")
        return scheme + url[len(parts.scheme):]
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise UnsupportedStreamError("a file: stream URL must name a file on this server")
        path = url2pathname(parts.path)
        if not path.startswith("/"):
            raise UnsupportedStreamError("a file: stream URL must hold an absolute path")
        return path
    if not scheme:
        raise UnsupportedStreamError("a local stream path must be absolute")
    raise UnsupportedStreamError(
        f"stream URL scheme {scheme!r} is not one of rtsp, rtsps, http, https, file"
    )


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise SnapshotSettingError(f"{name} must be a finite number above 0, not {value!r}")


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SnapshotSettingError(f"{name} must be a whole number >= 1, not {value!r}")


def _shrink(frame: npt.NDArray[np.uint8], max_width: int) -> npt.NDArray[np.uint8]:
    height, width = frame.shape[:2]
    if width <= max_width:
        return frame
    new_height = max(1, round(height * max_width / width))
    return np.asarray(cv2.resize(frame, (max_width, new_height), interpolation=cv2.INTER_AREA),
                      dtype=np.uint8)


def _read_jpeg(source: str, shown: str, *, backend_timeout_ms: int, max_width: int) -> bytes:
    """Open ``source``, read one frame, shrink it and encode it (runs in a worker thread)."""
    if source.startswith("/") and not os.path.isfile(source):
        raise StreamOpenError(f"no file at {shown}")
    try:
        capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, backend_timeout_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, backend_timeout_ms,
        ])
    except cv2.error as error:
        raise StreamOpenError(f"OpenCV failed to open {shown}") from error
    try:
        if not capture.isOpened():
            raise StreamOpenError(f"could not open the stream at {shown}")
        ok, frame = capture.read()
        if not ok or frame is None or frame.size == 0:
            raise NoFrameError(f"the stream at {shown} gave no frame")
        small = _shrink(np.asarray(frame, dtype=np.uint8), max_width)
        encoded, buffer = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    except cv2.error as error:
        raise NoFrameError(f"OpenCV failed to read or encode a frame from {shown}") from error
    finally:
        capture.release()
    if not encoded:
        raise NoFrameError(f"the frame from {shown} could not be encoded as JPEG")
    return buffer.tobytes()


class FrameGrabber:
    """A bounded pool of worker threads that take still frames from camera streams.

    Parameters
    ----------
    max_workers : int
        Grabs that may run at once, stuck ones included. One more is refused with
        :class:`GrabberBusyError` rather than queued.
    """

    def __init__(self, *, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        _check_count("max_workers", max_workers)
        self.max_workers = max_workers
        self._slots = threading.BoundedSemaphore(max_workers)
        self._executor = ThreadPoolExecutor(max_workers=max_workers,
                                            thread_name_prefix="snapshot-grab")

    def submit(self, url: str, *, timeout_s: float, max_width: int = 640) -> Future[bytes]:
        """Start a grab in a worker and return its future without waiting.

        The future may finish long after ``timeout_s`` (or, in a hung system call, not at
        all); callers wait on it with their own deadline, as :meth:`grab_frame` does.

        Raises
        ------
        UnsupportedStreamError
            The URL is refused by :func:`capture_source`.
        GrabberBusyError
            All ``max_workers`` workers are taken.
        """
        _check_positive("timeout_s", timeout_s)
        _check_count("max_width", max_width)
        source = capture_source(url)
        shown = redact_url(url)
        if not self._slots.acquire(blocking=False):
            raise GrabberBusyError(f"all {self.max_workers} snapshot workers are busy; "
                                   f"not grabbing {shown}")
        backend_timeout_ms = math.ceil((timeout_s + BACKEND_GRACE_S) * 1000)
        try:
            future = self._executor.submit(_read_jpeg, source, shown,
                                           backend_timeout_ms=backend_timeout_ms,
                                           max_width=max_width)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def grab_frame(self, url: str, *, timeout_s: float, max_width: int = 640) -> bytes:
        """Take one still frame; see the module-level :func:`grab_frame`."""
        started = time.monotonic()
        future = self.submit(url, timeout_s=timeout_s, max_width=max_width)
        try:
            return future.result(timeout=max(0.0, started + timeout_s - time.monotonic()))
        except FutureTimeoutError:
            future.cancel()
            raise SnapshotTimeoutError(
                f"no frame from {redact_url(url)} within {timeout_s:g} s"
            ) from None

    def close(self, *, wait: bool = False) -> None:
        """Refuse new grabs; with ``wait``, also wait for running ones to end."""
        self._executor.shutdown(wait=wait, cancel_futures=True)


_shared_grabber = FrameGrabber()


def grab_frame(url: str, *, timeout_s: float, max_width: int = 640) -> bytes:
    """Take one still frame from a camera stream as JPEG bytes.

    Runs in the module's shared pool of :data:`DEFAULT_MAX_WORKERS` workers.

    Parameters
    ----------
    url : str
        The stream URL, as configured by an administrator (see the module docstring for
        the schemes accepted; file paths are read from the server's disk).
    timeout_s : float
        Seconds to wait for the frame, opening the stream included. The call returns or
        raises by then even if the worker is still stuck.
    max_width : int
        Frames wider than this many pixels are shrunk to it, keeping the aspect ratio;
        narrower frames are left as they are.

    Returns
    -------
    bytes
        A JPEG image (quality :data:`JPEG_QUALITY`).

    Raises
    ------
    UnsupportedStreamError
        The URL's scheme or form is not accepted; nothing was opened.
    GrabberBusyError
        Every worker is busy; raised at once.
    StreamOpenError
        The stream could not be opened (nothing listening, HTTP error, no such file,
        not a video).
    NoFrameError
        The stream opened but gave no frame.
    SnapshotTimeoutError
        No frame within ``timeout_s``.
    """
    return _shared_grabber.grab_frame(url, timeout_s=timeout_s, max_width=max_width)


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
    a dead camera's grab can hold a worker for up to about ``2 * timeout_s + 2`` s (see the
    module docstring), and retrying it sooner than that would let one dead camera take
    several workers. :class:`GrabberBusyError` failures are not cached (the camera is not
    at fault). Asking with a different URL for a camera ignores what was cached.

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
    grabber : FrameGrabber or None
        The worker pool; None uses the module's shared pool.
    clock : callable
        Returns the current timezone-aware UTC time; used for ``taken_at`` and the TTLs.
    """

    def __init__(self, *, timeout_s: float = 5.0, max_width: int = 640, ttl_s: float = 10.0,
                 failure_ttl_s: float = 30.0, grabber: FrameGrabber | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        for name, value in (("timeout_s", timeout_s), ("ttl_s", ttl_s),
                            ("failure_ttl_s", failure_ttl_s)):
            _check_positive(name, value)
        _check_count("max_width", max_width)
        self.timeout_s = timeout_s
        self.max_width = max_width
        self.ttl = timedelta(seconds=ttl_s)
        self.failure_ttl = timedelta(seconds=failure_ttl_s)
        self._grabber = grabber if grabber is not None else _shared_grabber
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
            future = self._grabber.submit(url, timeout_s=self.timeout_s,
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
