"""Taking a health check's sample from a camera: a few frames over a couple of seconds.

Video streams (RTSP, and files under the media folder) are read by FFmpeg in a process of
its own: it decodes the first ``span_s`` seconds, keeps ``rate`` frames a second scaled to
the analysis width, and hands them over as BMP images on a pipe; what its decoder says
about broken data (``error while decoding MB``, ``concealing … errors``) is counted from
its log. A process can be killed: whatever the stream does (never answers, answers slowly,
sends garbage forever), the sample ends by its hard deadline, and one stuck camera holds
one worker thread for at most that long. HTTP(S) cameras (JPEG stills, MJPEG) are read as
the snapshots are, in Python through :mod:`app.cameras.http_frames`, every connection and
redirect passing the stream fence; a few stills spread over the span make the sample.

The stream fence is checked right before connecting (:mod:`app.cameras.fence`): RTSP is
opened at the checked address, so FFmpeg resolves nothing itself. A refused URL is not
sampled at all (:class:`SampleRefused`): the URL is at fault, not the camera.
"""

from __future__ import annotations

import http.client
import logging
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.error import HTTPError, URLError

import cv2
import numpy as np

from app.cameras.fence import StreamFence, StreamRefused, Target
from app.cameras.frame_grabber import UnsupportedStreamError, capture_source, redact_url
from app.cameras.http_frames import NotAnImage, fetch_images
from dispatch.cameras.health import ANALYSIS_WIDTH, Sample, SampleFailure, StreamInfo

logger = logging.getLogger(__name__)

#: Log lines of FFmpeg's video decoders that say the data was broken.
DECODER_COMPLAINT = re.compile(
    r"^\[(?:h264|hevc|h265|mpeg4|mpeg2video|mjpeg|vp8|vp9|av1)\s@\s0x[0-9a-f]+\]\s.*"
    r"(?:error|conceal|corrupt|invalid|missing|non-existing|out of range|overread)",
    re.IGNORECASE)
STREAM_LINE = re.compile(r"Stream #0:\d+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
UNREACHABLE_HINTS = ("Connection refused", "No route to host", "Network is unreachable",
                     "No such file", "Server returned", "Name or service not known",
                     "Connection reset", "401 Unauthorized", "404 Not Found",
                     "method DESCRIBE failed", "Host is unreachable")
STDERR_LIMIT = 256 * 1024


class SampleRefused(ValueError):
    """The stream fence refused the URL right before connecting."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class SamplePlan:
    """How a sample is taken.

    ``span_s``: stream seconds decoded; ``rate``: frames kept per second;
    ``open_timeout_s``: longest wait for the stream to open and give its first bytes;
    the hard deadline of the whole sample is ``open_timeout_s + span_s + grace_s``.
    """

    span_s: float = 2.0
    rate: float = 4.0
    open_timeout_s: float = 5.0
    grace_s: float = 2.0
    width: int = ANALYSIS_WIDTH

    @property
    def deadline_s(self) -> float:
        return self.open_timeout_s + self.span_s + self.grace_s


def ffmpeg_binary() -> str:
    """FFmpeg's path (Debian's package puts it on PATH)."""
    return shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def take_sample(url: str, *, fence: StreamFence, plan: SamplePlan) -> Sample:
    """Sample one camera stream (see the module docstring).

    Raises
    ------
    SampleRefused
        The fence refused the URL (or its scheme is not one the server reads).
    """
    try:
        capture_source(url)
        target = fence.check(url)
    except UnsupportedStreamError as exc:
        raise SampleRefused("scheme", str(exc)) from None
    except StreamRefused as exc:
        raise SampleRefused(exc.rule, exc.message) from None
    if target.scheme in ("http", "https"):
        return _http_sample(target, fence, plan)
    source = str(target.path) if target.path is not None else target.pinned_url()
    return _ffmpeg_sample(source, target, plan)


def ffmpeg_command(source: str, target: Target, plan: SamplePlan) -> list[str]:
    """The FFmpeg command line that decodes a sample of ``source``."""
    timeout_us = str(int(plan.open_timeout_s * 1_000_000))
    before: list[str] = []
    if target.scheme in ("rtsp", "rtsps"):
        before = ["-rtsp_transport", "tcp", "-timeout", timeout_us]
    return [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "info", "-threads", "1",
            "-probesize", "2000000", "-analyzeduration", "2000000", *before, "-i", source,
            "-map", "0:v:0", "-an", "-sn", "-dn", "-t", f"{plan.span_s:g}",
            "-vf", f"fps={plan.rate:g},scale={plan.width}:-2:flags=area",
            "-c:v", "bmp", "-f", "image2pipe", "pipe:1"]


def _ffmpeg_sample(source: str, target: Target, plan: SamplePlan) -> Sample:
    shown = redact_url(target.url)
    started = time.monotonic()
    process = subprocess.Popen(ffmpeg_command(source, target, plan), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    log: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(process, log), daemon=True,
                              name="ffmpeg-log")
    reader.start()
    try:
        out, timed_out = _read_until(process, started + plan.deadline_s)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(timeout=2)
        if process.stdout is not None:
            process.stdout.close()
    text = b"".join(log).decode("utf-8", errors="replace")
    frames = _split_bmps(out)
    stream = _stream_info(text)
    errors = sum(1 for line in text.splitlines() if DECODER_COMPLAINT.search(line))
    if frames:
        times = tuple(i / plan.rate for i in range(len(frames)))
        return Sample(frames=tuple(frames), times_s=times, decode_errors=errors,
                      span_s=max(plan.span_s if not timed_out else times[-1], times[-1]),
                      stream=stream)
    opened = "Input #0" in text
    refused = any(hint in text for hint in UNREACHABLE_HINTS)
    waited_out = time.monotonic() - started >= 0.9 * plan.open_timeout_s and not refused
    if timed_out or (waited_out and not opened):  # ours, or FFmpeg's own I/O timeout
        failure, detail = SampleFailure.TIMEOUT, (
            f"no frame within {plan.deadline_s:g} s" + (" (the stream opened)" if opened
                                                         else ""))
    elif refused or not (opened or "Invalid data found" in text):
        failure, detail = SampleFailure.UNREACHABLE, _reason(text) or "could not be opened"
    else:  # it answered, with nothing that decodes
        failure, detail = SampleFailure.NO_FRAMES, _reason(text) or "no decodable frame"
    logger.info("health sample of %s: %s (%s)", shown, failure.value, detail)
    return Sample(failure=failure, detail=detail, decode_errors=errors, stream=stream)


def _drain(process: subprocess.Popen[bytes], log: list[bytes]) -> None:
    """Read FFmpeg's log (bounded) so that it never blocks on a full pipe."""
    assert process.stderr is not None
    size = 0
    for line in iter(process.stderr.readline, b""):
        if size < STDERR_LIMIT:
            log.append(line)
            size += len(line)
    process.stderr.close()


def _read_until(process: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bool]:
    """FFmpeg's output up to its end or the deadline; whether the deadline cut it."""
    assert process.stdout is not None
    chunks: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        while chunk := process.stdout.read1(1 << 16):
            chunks.append(chunk)
        done.set()

    reader = threading.Thread(target=read, daemon=True, name="ffmpeg-frames")
    reader.start()
    finished = done.wait(max(0.0, deadline - time.monotonic()))
    if not finished:
        process.kill()
        done.wait(2)
    return b"".join(chunks), not finished


def _split_bmps(data: bytes) -> list[np.ndarray]:
    """BMP images written back to back (each names its own size in its header)."""
    frames = []
    offset = 0
    while offset + 14 <= len(data) and data[offset:offset + 2] == b"BM":
        size = int.from_bytes(data[offset + 2:offset + 6], "little")
        if size < 54 or offset + size > len(data):
            break  # the last image was cut off by the deadline
        image = cv2.imdecode(np.frombuffer(data[offset:offset + size], np.uint8),
                             cv2.IMREAD_COLOR)
        if image is not None:
            frames.append(np.asarray(image, dtype=np.uint8))
        offset += size
    return frames


def _stream_info(text: str) -> StreamInfo:
    found = STREAM_LINE.search(text)
    if found is None:
        return StreamInfo()
    return StreamInfo(found.group(1), int(found.group(2)), int(found.group(3)))


def _reason(text: str) -> str:
    """The last line of FFmpeg's log that says what went wrong, without any URL."""
    for line in reversed(text.splitlines()):
        if any(word in line for word in ("rror", "refused", "failed", "Invalid", "No such",
                                         "returned", "timed out", "unreachable")):
            cleaned = re.sub(r"\b[a-z][a-z0-9+.-]*://\S+", "(stream)", line)
            cleaned = re.sub(r"/\S+", "(path)", cleaned)
            return cleaned.strip()[:200]
    return ""


def _http_sample(target: Target, fence: StreamFence, plan: SamplePlan) -> Sample:
    """A few images over the span from an HTTP(S) camera: successive parts of its MJPEG
    stream, or repeated JPEG stills; every connection fenced."""
    started = time.monotonic()
    deadline = started + plan.deadline_s
    count = max(2, min(8, int(plan.span_s * plan.rate)))
    try:
        images = fetch_images(target, fence, count=count, every_s=plan.span_s / (count - 1),
                              timeout_s=plan.open_timeout_s, deadline=deadline)
    except StreamRefused as exc:
        raise SampleRefused(exc.rule, exc.message) from None
    except HTTPError as exc:
        exc.close()
        return Sample(failure=SampleFailure.UNREACHABLE, detail=f"HTTP {exc.code}")
    except TimeoutError:
        return Sample(failure=SampleFailure.TIMEOUT, detail="no image before the deadline")
    except URLError as exc:
        timeout = isinstance(exc.reason, TimeoutError)
        return Sample(failure=SampleFailure.TIMEOUT if timeout else SampleFailure.UNREACHABLE,
                      detail=type(exc.reason).__name__)
    except (OSError, http.client.HTTPException) as exc:
        return Sample(failure=SampleFailure.UNREACHABLE, detail=type(exc).__name__)
    except NotAnImage as exc:
        return Sample(failure=SampleFailure.NO_FRAMES, detail=str(exc))
    frames, times = [], []
    for at, data in images:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is not None:
            frames.append(np.asarray(image, dtype=np.uint8))
            times.append(at - images[0][0])
    if not frames:
        return Sample(failure=SampleFailure.NO_FRAMES, detail="images that do not decode")
    return Sample(frames=tuple(frames), times_s=tuple(times), span_s=times[-1],
                  stream=StreamInfo("jpeg", frames[0].shape[1], frames[0].shape[0]))
