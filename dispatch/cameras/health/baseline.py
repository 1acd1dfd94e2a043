"""Each camera's usual picture, per time of day: the baseline its thresholds adapt to.

A dark street at night is not a fault, and a camera watching a foggy river is not
"low contrast" every morning: each measure's usual value and spread are learnt per camera
and per time-of-day band (:data:`BAND_HOURS` hours each, in the jurisdiction's local
time) from its healthy checks, as a running mean and variance (Welford's algorithm for
the first :data:`WINDOW` checks, then exponentially weighted with weight 1/WINDOW, so a
camera's slow changes — seasons, a new lamp — are followed). A check that found a fault
does not teach the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from dispatch.cameras.health.sample import SampleMeasures

BAND_HOURS = 3
"""Hours per time-of-day band (8 bands: 00-03, 03-06, ... 21-24 local time)."""
WINDOW = 20
"""Checks after which the running statistics forget at rate 1/WINDOW."""
MIN_CHECKS = 3
"""Healthy checks a band needs before its thresholds adapt to it."""
TRACKED = ("luma_mean", "luma_std", "dynamic_range", "uniform_share", "sharpness",
           "noise_sigma", "cast_d", "motion", "match_share")
"""The measures a baseline keeps (``match_share``: features matched to the reference)."""


def band_of(hour: int) -> int:
    """The time-of-day band (0-7) of a local hour (0-23).

    Raises
    ------
    ValueError
        When ``hour`` is not 0-23.
    """
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23, not {hour!r}")
    return hour // BAND_HOURS


@dataclass(frozen=True)
class Stat:
    """A running mean and variance."""

    mean: float
    var: float = 0.0

    @property
    def std(self) -> float:
        """The standard deviation."""
        return math.sqrt(max(self.var, 0.0))


@dataclass(frozen=True)
class BandBaseline:
    """One camera's usual values in one time-of-day band.

    Attributes
    ----------
    checks : int
        Healthy checks learnt from.
    stats : Mapping[str, Stat]
        Per tracked measure.
    """

    checks: int = 0
    stats: Mapping[str, Stat] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Whether enough checks were seen for thresholds to adapt."""
        return self.checks >= MIN_CHECKS

    def mean(self, name: str) -> float | None:
        """The usual value of ``name``, once ready (None before, or never measured)."""
        stat = self.stats.get(name)
        return stat.mean if stat is not None and self.ready else None

    def std(self, name: str) -> float:
        """The usual spread of ``name`` (0 when unknown)."""
        stat = self.stats.get(name)
        return stat.std if stat is not None else 0.0

    def learn(self, measures: SampleMeasures, *, match_share: float | None = None
              ) -> BandBaseline:
        """Return the baseline updated with a healthy check's measures."""
        values = {name: float(getattr(measures, name)) for name in TRACKED
                  if name != "match_share"}
        if match_share is not None:
            values["match_share"] = match_share
        checks = self.checks + 1
        weight = 1.0 / min(checks, WINDOW)
        stats = dict(self.stats)
        for name, value in values.items():
            if not math.isfinite(value):
                continue
            old = stats.get(name)
            if old is None:
                stats[name] = Stat(value, 0.0)
                continue
            delta = value - old.mean
            mean = old.mean + weight * delta
            var = (1 - weight) * (old.var + weight * delta * delta)
            stats[name] = Stat(mean, var)
        return BandBaseline(checks, stats)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"checks": n, "stats": {name: [mean, var]}}``."""
        return {"checks": self.checks,
                "stats": {k: [round(v.mean, 6), round(v.var, 6)] for k, v in self.stats.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> BandBaseline:
        """Read what :meth:`as_dict` wrote.

        Raises
        ------
        ValueError
            When the data is not in that form.
        """
        try:
            checks = int(data.get("checks", 0))  # type: ignore[call-overload]
            raw = data.get("stats", {})
            if not isinstance(raw, Mapping):
                raise TypeError("stats is not an object")
            stats = {str(k): Stat(float(v[0]), float(v[1])) for k, v in raw.items()}
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise ValueError(f"not a band baseline: {exc}") from None
        return cls(checks, stats)
