"""Still frames from camera streams for the dispatch console, with a hard timeout.

:func:`grab_frame` opens a camera's stream with OpenCV's FFmpeg backend, reads one frame,
shrinks it and returns JPEG bytes; it runs in :class:`FrameGrabber`, a bounded pool of
worker threads. The cache that lets many consoles share one grab per camera is
:class:`app.cameras.snapshot_cache.SnapshotCache`.

Accepted stream URLs (anything else raises :class:`UnsupportedStreamError` before any I/O):

* ``rtsp://`` and ``rtsps://`` -- IP cameras (FFmpeg's default RTSP transport is UDP; set
  ``OPENCV_FFMPEG_CAPTURE_OPTIONS="rtsp_transport;tcp"`` in the environment if a firewall
  drops it);
* ``http://`` and ``https://`` -- MJPEG (``multipart/x-mixed-replace``) or a single JPEG
  (found from the answer, so the URL needs no ``.mjpg`` suffix or hint);
* ``file:///absolute/path`` and plain absolute paths -- a video or image file.

Stream URLs make the *server* connect somewhere, so every grab passes the stream fence
(:mod:`app.cameras.fence`) in its worker, right before connecting: the host is resolved
and each address checked against the camera networks, files must lie under the media
folder. RTSP is then opened at the checked address (the URL's host replaced by it), so
FFmpeg resolves nothing itself; HTTP(S) images are fetched in Python
(:mod:`app.cameras.http_frames`), where every redirect is fenced too, and decoded with
OpenCV. A refused URL fails with :class:`StreamRefusedError`. URLs may carry credentials
(``rtsp://user:password@camera/``), so errors and log lines only ever show
:func:`redact_url`'s form of a URL.

Timeouts. FFmpeg's network protocols honour OpenCV's open/read timeouts, but not everything
below them does (a hanging DNS lookup or network file system), so each grab runs in a bounded
pool of worker threads and the caller stops waiting after ``timeout_s`` whatever the worker
is doing. OpenCV gets ``timeout_s + BACKEND_GRACE_S`` for opening and again for reading: a
stuck FFmpeg worker frees itself within about ``2 * timeout_s + 2`` s, and the caller's
deadline, not OpenCV's, is what reports a silent camera as a timeout. When every worker is
busy a new grab fails at once with :class:`GrabberBusyError` instead of queueing.
"""

from __future__ import annotations

import http.client
import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import ClassVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import url2pathname

import cv2
import numpy as np
import numpy.typing as npt

from app.cameras.fence import StreamFence, StreamRefused, Target
from app.cameras.http_frames import NotAnImage, fetch_image

NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
BACKEND_GRACE_S = 1.0
DEFAULT_MAX_WORKERS = 4
JPEG_QUALITY = 80


class SnapshotError(ValueError):
    """A still frame could not be taken from a camera stream.

    ``code`` is a stable short name for the failure, stored in
    :attr:`app.cameras.snapshot_cache.Snapshot.error` and safe to show (or translate) on
    the console.
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


class StreamRefusedError(SnapshotError):
    """The stream fence refused the URL (or a redirect from it) just before connecting."""

    code = "refused"


class GrabberBusyError(SnapshotError):
    """Every worker is busy with an earlier grab, so this one was refused at once."""

    code = "busy"


class SnapshotSettingError(ValueError):
    """A timeout, TTL, width or pool size is not a finite positive number."""


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


def check_positive(name: str, value: float) -> None:
    """Raise SnapshotSettingError (naming ``name``) unless ``value`` is finite and > 0."""
    if not (math.isfinite(value) and value > 0):
        raise SnapshotSettingError(f"{name} must be a finite number above 0, not {value!r}")


def check_count(name: str, value: int) -> None:
    """Raise SnapshotSettingError (naming ``name``) unless ``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SnapshotSettingError(f"{name} must be a whole number >= 1, not {value!r}")


def _shrink(frame: npt.NDArray[np.uint8], max_width: int) -> npt.NDArray[np.uint8]:
    height, width = frame.shape[:2]
    if width <= max_width:
        return frame
    new_height = max(1, round(height * max_width / width))
    return np.asarray(cv2.resize(frame, (max_width, new_height), interpolation=cv2.INTER_AREA),
                      dtype=np.uint8)


def _read_jpeg(url: str, shown: str, *, fence: StreamFence, timeout_s: float,
               backend_timeout_ms: int, max_width: int) -> bytes:
    """Fence ``url``, take one frame, shrink it and encode it (runs in a worker thread)."""
    deadline = time.monotonic() + backend_timeout_ms / 1000
    try:
        target = fence.check(url)  # resolved and checked now, right before connecting
    except StreamRefused as exc:
        raise StreamRefusedError(f"{shown}: {exc.message} (rule: {exc.rule})") from None
    if target.scheme in ("http", "https"):
        frame = _http_frame(target, fence, shown, timeout_s=backend_timeout_ms / 1000,
                            deadline=deadline)
    else:
        source = str(target.path) if target.path is not None else target.pinned_url()
        frame = _capture_frame(source, shown, backend_timeout_ms=backend_timeout_ms)
    try:
        small = _shrink(frame, max_width)
        encoded, buffer = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    except cv2.error as error:
        raise NoFrameError(f"OpenCV failed to encode a frame from {shown}") from error
    if not encoded:
        raise NoFrameError(f"the frame from {shown} could not be encoded as JPEG")
    return bytes(buffer.tobytes())


def _http_frame(target: Target, fence: StreamFence, shown: str, *, timeout_s: float,
                deadline: float) -> npt.NDArray[np.uint8]:
    """One image over HTTP(S), every connection fenced; decoded by OpenCV."""
    try:
        data = fetch_image(target, fence, timeout_s=timeout_s, deadline=deadline)
    except StreamRefused as exc:
        raise StreamRefusedError(f"{shown}: {exc.message} (rule: {exc.rule})") from None
    except HTTPError as exc:
        exc.close()  # it holds the answer, and so the connection
        raise StreamOpenError(f"the camera at {shown} answered HTTP {exc.code}") from None
    except TimeoutError:
        raise SnapshotTimeoutError(f"no frame from {shown} in time") from None
    except URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SnapshotTimeoutError(f"no frame from {shown} in time") from None
        raise StreamOpenError(f"could not open the stream at {shown} "
                              f"({type(exc.reason).__name__})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise StreamOpenError(f"could not open the stream at {shown} "
                              f"({type(exc).__name__})") from None
    except NotAnImage as exc:
        raise NoFrameError(f"the stream at {shown} gave no frame: {exc}") from None
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None or frame.size == 0:
        raise NoFrameError(f"the image from {shown} could not be decoded")
    return np.asarray(frame, dtype=np.uint8)


def _capture_frame(source: str, shown: str, *, backend_timeout_ms: int
                   ) -> npt.NDArray[np.uint8]:
    """One frame from a file or an RTSP stream through OpenCV's FFmpeg backend."""
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
        return np.asarray(frame, dtype=np.uint8)
    except cv2.error as error:
        raise NoFrameError(f"OpenCV failed to read a frame from {shown}") from error
    finally:
        capture.release()


class FrameGrabber:
    """A bounded pool of worker threads that take still frames from camera streams.

    Parameters
    ----------
    max_workers : int
        Grabs that may run at once, stuck ones included. One more is refused with
        :class:`GrabberBusyError` rather than queued.
    """

    def __init__(self, *, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        check_count("max_workers", max_workers)
        self.max_workers = max_workers
        self._slots = threading.BoundedSemaphore(max_workers)
        self._executor = ThreadPoolExecutor(max_workers=max_workers,
                                            thread_name_prefix="snapshot-grab")

    def submit(self, url: str, *, timeout_s: float, fence: StreamFence,
               max_width: int = 640) -> Future[bytes]:
        """Start a grab in a worker and return its future without waiting; the worker
        passes ``url`` through ``fence`` right before connecting.

        The future may finish long after ``timeout_s`` (or, in a hung system call, not at
        all); callers wait on it with their own deadline, as :meth:`grab_frame` does.

        Raises
        ------
        UnsupportedStreamError
            The URL is refused by :func:`capture_source`.
        GrabberBusyError
            All ``max_workers`` workers are taken.
        """
        check_positive("timeout_s", timeout_s)
        check_count("max_width", max_width)
        capture_source(url)  # malformed or unsupported: refused before taking a worker
        shown = redact_url(url)
        if not self._slots.acquire(blocking=False):
            raise GrabberBusyError(f"all {self.max_workers} snapshot workers are busy; "
                                   f"not grabbing {shown}")
        backend_timeout_ms = math.ceil((timeout_s + BACKEND_GRACE_S) * 1000)
        try:
            future = self._executor.submit(_read_jpeg, url, shown, fence=fence,
                                           timeout_s=timeout_s,
                                           backend_timeout_ms=backend_timeout_ms,
                                           max_width=max_width)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def grab_frame(self, url: str, *, timeout_s: float, fence: StreamFence,
                   max_width: int = 640) -> bytes:
        """Take one still frame; see the module-level :func:`grab_frame`."""
        started = time.monotonic()
        future = self.submit(url, timeout_s=timeout_s, fence=fence, max_width=max_width)
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


shared_grabber = FrameGrabber()
"""The module's pool: :func:`grab_frame` runs in it, and so does a
:class:`app.cameras.snapshot_cache.SnapshotCache` given no grabber."""


def grab_frame(url: str, *, timeout_s: float, fence: StreamFence,
               max_width: int = 640) -> bytes:
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
    fence : StreamFence
        Where the server may connect (and which files it may read); checked in the worker
        right before connecting, redirects included.
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
    StreamRefusedError
        The fence refused the URL or a redirect; nothing outside it was connected to.
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
    return shared_grabber.grab_frame(url, timeout_s=timeout_s, fence=fence,
                                     max_width=max_width)
