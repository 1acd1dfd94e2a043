"""One health check's sample of a camera, and the measures taken from it.

A sample is a few frames over a couple of seconds, or why there are none.

The edge (``app.cameras.health.sampler``) fills a :class:`Sample`; :func:`measure_sample`
turns it into :class:`SampleMeasures`: the median of each frame measure, how much the
picture changed from frame to frame (a frozen picture does not), and the decoder's
complaints per second (corrupted packets).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, fields
from enum import StrEnum

import numpy as np

from dispatch.cameras.health.measures import Frame, FrameMeasures, luma, measure_frame, scaled


class SampleFailure(StrEnum):
    """Why a sample has no frames.

    ``unreachable``: nothing answered (refused, no route, no such file, an error answer);
    ``timeout``: the connection opened, or was still opening, when the time was up — the
    signal is lost; ``no_frames``: the stream answered but nothing could be decoded (not a
    video, or every frame broken).
    """

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    NO_FRAMES = "no_frames"


@dataclass(frozen=True)
class StreamInfo:
    """What the stream says of itself (when the decoder reported it)."""

    codec: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Sample:
    """Frames taken from one camera in one check, or the failure.

    Attributes
    ----------
    frames : tuple of numpy.ndarray
        BGR ``uint8`` frames in stream order (any size; they are scaled for measuring).
    times_s : tuple of float
        Stream time of each frame from the first, seconds.
    decode_errors : int
        Complaints the decoder logged while decoding the sample (broken slices,
        concealed macroblocks, missing references).
    span_s : float
        Stream time the sample covers, seconds (0 for a single frame).
    failure : SampleFailure or None
        Set when ``frames`` is empty.
    detail : str
        A short, safe description of a failure (never a URL or a credential).
    stream : StreamInfo
        Codec and size, when known.
    """

    frames: tuple[Frame, ...] = ()
    times_s: tuple[float, ...] = ()
    decode_errors: int = 0
    span_s: float = 0.0
    failure: SampleFailure | None = None
    detail: str = ""
    stream: StreamInfo = field(default_factory=StreamInfo)

    def __post_init__(self) -> None:
        """Check that frames and times agree, and that an empty sample says why."""
        if len(self.frames) != len(self.times_s):
            raise ValueError("a sample needs one time per frame")
        if not self.frames and self.failure is None:
            raise ValueError("a sample without frames must name its failure")


@dataclass(frozen=True)
class SampleMeasures:
    """The measures of one sample (see :class:`FrameMeasures` for each name).

    Frame measures are medians over the sample's frames; ``cell_texture`` and
    ``cell_std`` are per-cell medians. ``motion`` is the median mean absolute luma change
    between consecutive frames and ``motion_max`` the largest (levels); ``changed_share``
    the largest share of pixels that changed by more than 2 levels between two
    consecutive frames. ``decode_errors_per_s`` is the decoder's complaints per second of
    stream time sampled.
    """

    frames: int
    span_s: float
    luma_mean: float
    luma_std: float
    dynamic_range: float
    dark_share: float
    bright_share: float
    uniform_share: float
    sharpness: float
    noise_sigma: float
    cast_d: float
    cast_k: float
    cast_a: float
    cast_b: float
    motion: float
    motion_max: float
    changed_share: float
    decode_errors: int
    decode_errors_per_s: float
    cell_texture: tuple[float, ...]
    cell_std: tuple[float, ...]

    def as_dict(self) -> dict[str, float | int | list[float]]:
        """The measures as JSON-ready values (rounded to 4 significant places)."""
        out: dict[str, float | int | list[float]] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, tuple):
                out[item.name] = [_round(v) for v in value]
            elif isinstance(value, int):
                out[item.name] = value
            else:
                out[item.name] = _round(float(value))
        return out


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return 0.0 if not math.isfinite(value) else value
    return round(value, max(0, 3 - int(math.floor(math.log10(abs(value))))))


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def measure_sample(sample: Sample) -> tuple[SampleMeasures, list[Frame]]:
    """Measure a sample that has frames.

    Parameters
    ----------
    sample : Sample
        With at least one frame.

    Returns
    -------
    measures : SampleMeasures
    frames : list of numpy.ndarray
        The frames scaled to the analysis width (for the reference comparison).

    Raises
    ------
    ValueError
        When the sample has no frames.
    """
    if not sample.frames:
        raise ValueError("the sample has no frames to measure")
    small = [scaled(frame) for frame in sample.frames]
    per_frame: list[FrameMeasures] = [measure_frame(frame) for frame in small]
    grays = [luma(frame) for frame in small]
    steps = [np.abs(a - b) for a, b in zip(grays, grays[1:], strict=False)
             if a.shape == b.shape]
    motions = [float(step.mean()) for step in steps] or [math.nan]
    changed = [float((step > 2.0).mean()) for step in steps] or [math.nan]
    span = max(sample.span_s, sample.times_s[-1] - sample.times_s[0] if sample.times_s else 0)
    cells_n = len(per_frame[0].cell_texture)

    def med(name: str) -> float:
        return _median([float(getattr(m, name)) for m in per_frame])

    return SampleMeasures(
        frames=len(per_frame), span_s=span,
        luma_mean=med("luma_mean"), luma_std=med("luma_std"),
        dynamic_range=_median([m.dynamic_range for m in per_frame]),
        dark_share=med("dark_share"), bright_share=med("bright_share"),
        uniform_share=med("uniform_share"), sharpness=med("sharpness"),
        noise_sigma=med("noise_sigma"), cast_d=med("cast_d"), cast_k=med("cast_k"),
        cast_a=med("cast_a"), cast_b=med("cast_b"),
        motion=_median(motions), motion_max=max(motions), changed_share=max(changed),
        decode_errors=sample.decode_errors,
        decode_errors_per_s=sample.decode_errors / max(span, 1.0),
        cell_texture=tuple(_median([m.cell_texture[i] for m in per_frame])
                           for i in range(cells_n)),
        cell_std=tuple(_median([m.cell_std[i] for m in per_frame]) for i in range(cells_n)),
    ), small
