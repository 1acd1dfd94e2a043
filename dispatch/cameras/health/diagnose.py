"""From a check's measures to its faults: the thresholds, fixed and adaptive.

Each rule compares one measure with a limit. Without a baseline for the camera at this
time of day (a new camera, or the first nights of one) only fixed limits apply, set wide
enough that a dark, noisy street at night or a sodium-lit one passes; with a baseline
(:mod:`dispatch.cameras.health.baseline`) the limit moves with the camera's usual value
— never below the fixed one's strictness where the fixed limit is the safer, and never
inside the usual spread (the "k standard deviations" guard), so a camera that is always
a little soft or dark is not reported every check.

Faults explain each other: a black or one-colour picture is reported as that alone (it
also looks "frozen" and "low-contrast"); a covered lens is not also "blurred", "frozen"
or "moved"; a view that merely does not match its reference is called moved only when
nothing else (noise, blur, cast, broken decoding) explains the mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.cameras.health.baseline import BandBaseline
from dispatch.cameras.health.faults import Fault, Finding
from dispatch.cameras.health.reference import SceneComparison
from dispatch.cameras.health.sample import SampleFailure, SampleMeasures


@dataclass(frozen=True)
class Limits:
    """The fixed limits and the adaptive factors (defaults documented per field).

    Attributes
    ----------
    uniform_share : float
        A picture this uniform (share of pixels near its median) is one flat colour.
    black_luma, black_std : float
        ... and black when darker than this mean luma and flatter than this spread.
    blank_std : float
        A one-colour picture flatter than this spread is blank (blue/grey "no signal").
    frozen_motion : float
        Median change between consecutive frames (levels) under which the picture is
        frozen; with a baseline, at most ``frozen_ratio`` of the usual motion.
    min_frozen_span_s : float
        A sample must cover this many seconds to call a picture frozen.
    covered_share : float
        Share of the reference's textured cells lost for "covered".
    moved_shift, moved_rotation_deg, moved_scale : float
        The view moved: its centre shifted by this share of the width, turned by this
        many degrees, or zoomed by this factor (±).
    moved_match_ratio : float
        Matched features below this share of the usual: the view is unlike its reference.
    noise_sigma, noise_ratio : float
        Noise above this (levels), or above ``noise_ratio`` × the usual.
    sharpness, blur_ratio : float
        Edge sharpness below this, or below ``blur_ratio`` × the usual.
    cast_d, cast_k, cast_margin : float
        Colour cast: the chroma mean this far from neutral and this one-sided; with a
        baseline, also ``cast_margin`` beyond the usual.
    bright_share, over_luma, over_margin : float
        Over-exposed: this share of clipped-white pixels, a mean luma above
        ``over_luma``, or (with a baseline) ``over_margin`` above the usual.
    under_luma, under_ratio : float
        Under-exposed: a mean luma under ``under_luma`` (structure left, not black), or
        under ``under_ratio`` × the usual.
    low_range, contrast_ratio : float
        Low contrast: a 2-98 % luma range under ``low_range`` levels, or under
        ``contrast_ratio`` × the usual.
    decode_errors_per_s : float
        Mosaic / corrupted: decoder complaints per second above this.
    spread_k : float
        A limit is never inside ``spread_k`` standard deviations of the usual value.
    """

    uniform_share: float = 0.9
    black_luma: float = 35.0
    black_std: float = 4.0
    blank_std: float = 8.0
    frozen_motion: float = 0.08
    frozen_ratio: float = 0.15
    min_frozen_span_s: float = 1.0
    covered_share: float = 0.3
    moved_shift: float = 0.05
    moved_rotation_deg: float = 3.0
    moved_scale: float = 0.1
    moved_match_ratio: float = 0.25
    noise_sigma: float = 6.0
    noise_ratio: float = 3.0
    sharpness: float = 0.24
    blur_ratio: float = 0.65
    cast_d: float = 25.0
    cast_k: float = 2.0
    cast_margin: float = 15.0
    bright_share: float = 0.35
    over_luma: float = 225.0
    over_margin: float = 70.0
    under_luma: float = 6.0
    under_ratio: float = 0.3
    low_range: float = 12.0
    contrast_ratio: float = 0.35
    decode_errors_per_s: float = 0.5
    spread_k: float = 5.0


DEFAULT_LIMITS = Limits()


def failure_finding(failure: SampleFailure, detail: str = "") -> Finding:
    """The finding of a sample without frames."""
    fault = Fault.NO_FRAMES if failure is SampleFailure.NO_FRAMES else Fault.UNREACHABLE
    note = {SampleFailure.UNREACHABLE: "the stream could not be opened",
            SampleFailure.TIMEOUT: "no frame before the deadline (signal lost)",
            SampleFailure.NO_FRAMES: "the stream gives nothing decodable"}[failure]
    return Finding(fault, "frames", 0.0, 1.0, None, f"{note}: {detail}" if detail else note)


def diagnose(measures: SampleMeasures, *, comparison: SceneComparison | None = None,
             baseline: BandBaseline | None = None,
             limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    """The faults a sample shows.

    Parameters
    ----------
    measures : SampleMeasures
        The sample's measures.
    comparison : SceneComparison or None, keyword-only
        The sample against the camera's reference for this time of day (None: no
        reference yet; covered and moved are then not judged).
    baseline : BandBaseline or None, keyword-only
        The camera's usual values at this time of day (None or not ready: fixed limits).
    limits : Limits, keyword-only

    Returns
    -------
    list of Finding
        Empty for a healthy picture; ordered by :class:`Fault` declaration.
    """
    usual = baseline if baseline is not None and baseline.ready else None
    flat = _flat_picture(measures, usual, limits)
    if flat is not None:
        return [flat]
    found: list[Finding] = []
    covered = comparison is not None and comparison.covered_share >= limits.covered_share
    if not covered:
        found += _frozen(measures, usual, limits)
    found += _exposure(measures, usual, limits, covered=covered)
    found += _texture(measures, usual, limits, covered=covered)
    found += _colour_and_decoding(measures, usual, limits)
    if comparison is not None:
        if covered:
            found.append(Finding(
                Fault.COVERED, "covered_share", comparison.covered_share, limits.covered_share,
                None, f"{len(comparison.covered_cells)} of the view's textured cells lost"))
        else:
            found += _moved(comparison, usual, limits, explained=bool(found))
    order = list(Fault)
    return sorted(found, key=lambda f: order.index(f.fault))


def _above(value: float, fixed: float, usual: float | None, ratio: float, spread: float,
           k: float) -> float:
    """The upper limit: ``fixed``, or ratio × usual and k spreads above it when larger."""
    if usual is None:
        return fixed
    return max(fixed, ratio * usual, usual + k * spread)


def _flat_picture(m: SampleMeasures, usual: BandBaseline | None,
                  limits: Limits) -> Finding | None:
    if m.uniform_share < limits.uniform_share:
        return None
    black_std = limits.black_std
    if usual is not None and (usual_std := usual.mean("luma_std")) is not None:
        black_std = max(1.0, min(black_std, 0.5 * usual_std))
    if m.luma_mean < limits.black_luma and m.luma_std < black_std:
        return Finding(Fault.BLACK, "luma_std", m.luma_std, black_std,
                       usual.mean("luma_std") if usual else None,
                       f"mean luma {m.luma_mean:.0f}, {m.uniform_share:.0%} of it one level")
    if m.luma_mean >= limits.black_luma and m.luma_std < limits.blank_std:
        return Finding(Fault.BLANK, "uniform_share", m.uniform_share, limits.uniform_share,
                       usual.mean("uniform_share") if usual else None,
                       f"one colour (mean luma {m.luma_mean:.0f})")
    return None


def _frozen(m: SampleMeasures, usual: BandBaseline | None, limits: Limits) -> list[Finding]:
    if m.frames < 3 or m.span_s < limits.min_frozen_span_s:
        return []
    limit = limits.frozen_motion
    typical = usual.mean("motion") if usual is not None else None
    if typical is not None:
        limit = max(0.02, min(limit, limits.frozen_ratio * typical))
    if m.motion <= limit:
        return [Finding(Fault.FROZEN, "motion", m.motion, limit, typical,
                        f"the picture did not change over {m.span_s:.1f} s")]
    return []


def _exposure(m: SampleMeasures, usual: BandBaseline | None, limits: Limits, *,
              covered: bool) -> list[Finding]:
    found = []
    typical = usual.mean("luma_mean") if usual is not None else None
    spread = usual.std("luma_mean") if usual is not None else 0.0
    over = limits.over_luma
    if typical is not None:
        over = min(over, max(typical + limits.over_margin, typical + limits.spread_k * spread,
                             170.0))
    if m.bright_share >= limits.bright_share or m.luma_mean > over:
        found.append(Finding(Fault.OVEREXPOSED, "luma_mean", m.luma_mean, over, typical,
                             f"{m.bright_share:.0%} of the picture clipped white"))
    if covered:
        return found
    under = limits.under_luma
    if typical is not None:
        under = max(under, min(limits.under_ratio * typical,
                               typical - limits.spread_k * spread))
    if m.luma_mean < under:
        found.append(Finding(Fault.UNDEREXPOSED, "luma_mean", m.luma_mean, under, typical,
                             f"{m.dark_share:.0%} of the picture near black"))
    range_limit = limits.low_range
    typical_range = usual.mean("dynamic_range") if usual is not None else None
    if typical_range is not None:
        range_limit = max(range_limit, min(
            limits.contrast_ratio * typical_range,
            typical_range - limits.spread_k * usual.std("dynamic_range")))  # type: ignore[union-attr]
    if m.dynamic_range < range_limit:
        found.append(Finding(Fault.LOW_CONTRAST, "dynamic_range", m.dynamic_range,
                             range_limit, typical_range, "the picture is washed out"))
    return found


def _texture(m: SampleMeasures, usual: BandBaseline | None, limits: Limits, *,
             covered: bool) -> list[Finding]:
    found = []
    typical_noise = usual.mean("noise_sigma") if usual is not None else None
    noise_limit = _above(m.noise_sigma, limits.noise_sigma, typical_noise, limits.noise_ratio,
                         usual.std("noise_sigma") if usual else 0.0, limits.spread_k)
    noisy = m.noise_sigma > noise_limit
    if noisy:
        found.append(Finding(Fault.NOISE, "noise_sigma", m.noise_sigma, noise_limit,
                             typical_noise, "noise (snow) over the picture"))
    if covered:
        return found
    typical_sharp = usual.mean("sharpness") if usual is not None else None
    sharp_limit = limits.sharpness
    if typical_sharp is not None:
        sharp_limit = min(max(limits.blur_ratio * typical_sharp, 0.15), 0.3)
        sharp_limit = min(sharp_limit, typical_sharp - limits.spread_k * usual.std("sharpness"))  # type: ignore[union-attr]
        sharp_limit = max(sharp_limit, 0.1)
    if m.sharpness < sharp_limit and not noisy:
        found.append(Finding(Fault.BLURRED, "sharpness", m.sharpness, sharp_limit,
                             typical_sharp, "edges are spread over several pixels"))
    return found


def _colour_and_decoding(m: SampleMeasures, usual: BandBaseline | None,
                         limits: Limits) -> list[Finding]:
    found = []
    typical = usual.mean("cast_d") if usual is not None else None
    cast_limit = limits.cast_d
    if typical is not None:
        cast_limit = max(cast_limit, typical + limits.cast_margin,
                         typical + limits.spread_k * usual.std("cast_d"))  # type: ignore[union-attr]
    if m.cast_d > cast_limit and m.cast_k > limits.cast_k:
        hue = ("green" if m.cast_a < -abs(m.cast_b) else "magenta" if m.cast_a > abs(m.cast_b)
               else "blue" if m.cast_b < 0 else "yellow")
        found.append(Finding(Fault.COLOUR_CAST, "cast_d", m.cast_d, cast_limit, typical,
                             f"the whole picture leans {hue} (k = {m.cast_k:.1f})"))
    if m.decode_errors_per_s > limits.decode_errors_per_s:
        found.append(Finding(Fault.CORRUPTED, "decode_errors_per_s", m.decode_errors_per_s,
                             limits.decode_errors_per_s, None,
                             f"{m.decode_errors} decoding errors in {m.span_s:.1f} s"))
    return found


def _moved(c: SceneComparison, usual: BandBaseline | None, limits: Limits, *,
           explained: bool) -> list[Finding]:
    if c.matched:
        if c.shift_share > limits.moved_shift:
            return [Finding(Fault.MOVED, "shift_share", c.shift_share, limits.moved_shift, None,
                            f"the view shifted by {c.shift_share:.0%} of its width")]
        if abs(c.rotation_deg) > limits.moved_rotation_deg:
            return [Finding(Fault.MOVED, "rotation_deg", abs(c.rotation_deg),
                            limits.moved_rotation_deg, None,
                            f"the view turned by {c.rotation_deg:.1f}°")]
        if abs(c.scale - 1) > limits.moved_scale:
            return [Finding(Fault.MOVED, "scale", c.scale, 1 + limits.moved_scale, None,
                            f"the view zoomed by a factor {c.scale:.2f}")]
    typical = usual.mean("match_share") if usual is not None else None
    if explained or typical is None:
        return []
    limit = limits.moved_match_ratio * typical
    if c.match_share < limit:
        return [Finding(Fault.MOVED, "match_share", c.match_share, limit, typical,
                        "the view no longer matches its reference")]
    return []
