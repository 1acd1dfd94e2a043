"""One health check, decided.

The sample is measured, compared with the camera's reference and diagnosed against its
baseline; and the check teaches: the baseline learns a healthy check, and the first
healthy check of a time-of-day band becomes its reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.cameras.health.baseline import BandBaseline
from dispatch.cameras.health.diagnose import DEFAULT_LIMITS, Limits, diagnose, failure_finding
from dispatch.cameras.health.faults import Finding
from dispatch.cameras.health.reference import Reference, SceneComparison, compare, reference_from
from dispatch.cameras.health.sample import Sample, SampleMeasures, measure_sample
from dispatch.cameras.health.state import Verdict


@dataclass(frozen=True)
class CheckResult:
    """What one check found and what it changes.

    Attributes
    ----------
    verdict : Verdict
        online (no fault), degraded (picture faults) or offline (no picture).
    findings : list of Finding
    measures : SampleMeasures or None
        None when there was no frame.
    comparison : SceneComparison or None
        None without a reference (or without frames).
    baseline : BandBaseline
        The band's baseline after this check (learnt from it when it was healthy).
    new_reference : Reference or None
        Set when this check becomes the band's reference (the first healthy one).
    """

    verdict: Verdict
    findings: list[Finding]
    measures: SampleMeasures | None
    comparison: SceneComparison | None
    baseline: BandBaseline
    new_reference: Reference | None

    @property
    def fault_codes(self) -> list[str]:
        """The faults' codes, in order."""
        return [f.fault.value for f in self.findings]


def evaluate(sample: Sample, *, baseline: BandBaseline | None = None,
             reference: Reference | None = None,
             limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Decide one check.

    Parameters
    ----------
    sample : Sample
        What the sampler took (frames, or the failure).
    baseline : BandBaseline or None, keyword-only
        The camera's baseline for the band this check falls in.
    reference : Reference or None, keyword-only
        The camera's reference view for that band.
    limits : Limits, keyword-only

    Returns
    -------
    CheckResult
    """
    band = baseline or BandBaseline()
    if sample.failure is not None or not sample.frames:
        assert sample.failure is not None  # noqa: S101 (Sample guarantees it)
        return CheckResult(Verdict.OFFLINE, [failure_finding(sample.failure, sample.detail)],
                           None, None, band, None)
    measures, frames = measure_sample(sample)
    comparison = (compare(frames, measures.cell_texture, measures.cell_std, reference)
                  if reference is not None else None)
    findings = diagnose(measures, comparison=comparison, baseline=band, limits=limits)
    if findings:
        return CheckResult(Verdict.DEGRADED, findings, measures, comparison, band, None)
    learnt = band.learn(measures, match_share=comparison.match_share if comparison else None)
    new_reference = reference_from(frames, measures.cell_texture) if reference is None else None
    return CheckResult(Verdict.ONLINE, [], measures, comparison, learnt, new_reference)
