"""Camera health (视频质量诊断): what a sample of a camera's video shows, decided.

Pure: frames in (numpy arrays, as the edge's sampler decoded them), measures, faults,
states and decisions out; no database, no network, no FFmpeg.

Modules
-------
- :mod:`~dispatch.cameras.health.measures`: one frame measured (brightness, contrast,
  sharpness, noise, colour cast, uniformity, grid textures).
- :mod:`~dispatch.cameras.health.sample`: a check's sample (frames over a span, or why
  there are none) and its measures (medians, motion between frames, decoding errors).
- :mod:`~dispatch.cameras.health.reference`: the camera's reference view; moved and
  covered against it.
- :mod:`~dispatch.cameras.health.baseline`: each camera's usual values per time-of-day
  band, learnt from healthy checks.
- :mod:`~dispatch.cameras.health.faults`: fault codes and findings.
- :mod:`~dispatch.cameras.health.diagnose`: the limits, fixed and adaptive, and
  :func:`diagnose`.
- :mod:`~dispatch.cameras.health.check`: one check decided (:func:`evaluate`).
- :mod:`~dispatch.cameras.health.state`: camera state, fault streaks, tickets, SLA
  clocks, uptime.
"""

from __future__ import annotations

from dispatch.cameras.health.baseline import BAND_HOURS, MIN_CHECKS, BandBaseline, band_of
from dispatch.cameras.health.check import CheckResult, evaluate
from dispatch.cameras.health.diagnose import DEFAULT_LIMITS, Limits, diagnose
from dispatch.cameras.health.faults import OFFLINE_FAULTS, Fault, Finding
from dispatch.cameras.health.measures import ANALYSIS_WIDTH, FrameMeasures, measure_frame
from dispatch.cameras.health.reference import Reference, SceneComparison, compare, reference_from
from dispatch.cameras.health.sample import (
    Sample,
    SampleFailure,
    SampleMeasures,
    StreamInfo,
    measure_sample,
)
from dispatch.cameras.health.state import (
    SlaClock,
    Streaks,
    TicketAction,
    TicketPolicy,
    Verdict,
    next_status,
    persistent_faults,
    sla_clocks,
    ticket_action,
    time_in_status,
    uptime_shares,
)

__all__ = [
    "ANALYSIS_WIDTH", "BAND_HOURS", "DEFAULT_LIMITS", "MIN_CHECKS", "OFFLINE_FAULTS",
    "BandBaseline", "CheckResult", "Fault", "Finding", "FrameMeasures", "Limits",
    "Reference", "Sample", "SampleFailure", "SampleMeasures", "SceneComparison",
    "SlaClock", "Streaks", "StreamInfo", "TicketAction", "TicketPolicy", "Verdict",
    "band_of", "compare", "diagnose", "evaluate", "measure_frame", "measure_sample",
    "next_status", "persistent_faults", "reference_from", "sla_clocks", "ticket_action",
    "time_in_status", "uptime_shares",
]
