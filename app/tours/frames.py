"""The frame a finding keeps as evidence, taken by the server when the finding is flagged.

When the camera is being watched live (its HLS conversion runs), the frame is the last
one of the newest segment the conversion wrote: what the operator's wall was showing a
second or two before, without opening the camera again. Otherwise the camera's stream is
asked for a frame through the snapshot grabber (the stream fence, a hard timeout). A
camera that gives nothing leaves the finding without a frame, and says why: the finding
itself is never lost to a dead camera.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from flask import current_app

from app.cameras.frame_grabber import JPEG_QUALITY, SnapshotError, grab_frame
from app.cameras.snapshots import stream_fence
from app.models import Camera
from app.video import conversions

logger = logging.getLogger(__name__)
MAX_WIDTH = 1280


@dataclass(frozen=True)
class Frame:
    """A finding's frame: JPEG bytes (None when none could be taken), when, from where
    (``live``: the live conversion; ``stream``: the camera), or why not."""

    jpeg: bytes | None
    taken_at: datetime
    source: str | None
    error: str | None


def capture_frame(camera: Camera) -> Frame:
    """Take the finding's frame (see the module docstring); never raises for the camera."""
    segment = conversions().newest_segment(camera.id)
    if segment is not None:
        jpeg = last_frame_jpeg(segment)
        if jpeg is not None:
            return Frame(jpeg, datetime.now(UTC), "live", None)
    if not camera.stream_url:
        return Frame(None, datetime.now(UTC), None, "the camera has no stream")
    try:
        jpeg = grab_frame(camera.stream_url, fence=stream_fence(), max_width=MAX_WIDTH,
                          timeout_s=float(current_app.config["SNAPSHOT_TIMEOUT_S"]))
    except SnapshotError as exc:
        return Frame(None, datetime.now(UTC), None, f"{exc.code}: no frame from the camera")
    return Frame(jpeg, datetime.now(UTC), "stream", None)


def last_frame_jpeg(segment: Path) -> bytes | None:
    """The last decodable frame of a (local, short) video file as JPEG, or None."""
    capture = cv2.VideoCapture(str(segment), cv2.CAP_FFMPEG)
    last: npt.NDArray[np.uint8] | None = None
    try:
        while capture.isOpened():
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            last = frame
    except cv2.error:
        logger.warning("live segment %s could not be decoded", segment.name)
    finally:
        capture.release()
    if last is None:
        return None
    height, width = last.shape[:2]
    if width > MAX_WIDTH:
        last = cv2.resize(last, (MAX_WIDTH, round(height * MAX_WIDTH / width)),
                          interpolation=cv2.INTER_AREA)
    encoded, buffer = cv2.imencode(".jpg", last, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return bytes(buffer.tobytes()) if encoded else None
