"""Camera health, pure: each measure on frames drawn here, the rules that turn measures
into faults (fixed and adaptive), the baseline, the reference comparison, and the
decisions over time (state, streaks, tickets, SLA clocks, uptime). The FFmpeg-made
labelled set is tests/app/cameras/test_health_accuracy.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from dispatch.cameras.health import (
    BandBaseline,
    Fault,
    Limits,
    Sample,
    SampleFailure,
    Streaks,
    TicketAction,
    TicketPolicy,
    Verdict,
    band_of,
    compare,
    diagnose,
    evaluate,
    measure_frame,
    measure_sample,
    next_status,
    reference_from,
    sla_clocks,
    ticket_action,
    time_in_status,
    uptime_shares,
)
from dispatch.cameras.kinds import CameraStatus
from tests.camera_clips import Street

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def street_frames(count: int = 8, *, seed: int = 5, start: int = 0, night: float = 0.0
                  ) -> list[np.ndarray]:
    street = Street.draw(seed, (320, 180))
    return [street.frame(start + 3 * i, night=night) for i in range(count)]


def sample_of(frames: list[np.ndarray], *, errors: int = 0) -> Sample:
    return Sample(frames=tuple(frames), times_s=tuple(i * 0.25 for i in range(len(frames))),
                  decode_errors=errors, span_s=2.0)


def warmed(seed: int = 5, checks: int = 3) -> tuple[BandBaseline, object]:
    """A baseline and reference learnt from healthy samples of one street."""
    baseline, reference = BandBaseline(), None
    for n in range(checks):
        result = evaluate(sample_of(street_frames(seed=seed, start=200 + 40 * n)),
                          baseline=baseline, reference=reference)  # type: ignore[arg-type]
        assert result.findings == []
        baseline = result.baseline
        reference = reference or result.new_reference
    return baseline, reference


# -- measures -----------------------------------------------------------------------------

def test_measures_read_brightness_uniformity_and_cast_on_plain_pictures() -> None:
    black = measure_frame(np.zeros((90, 160, 3), np.uint8))
    assert black.luma_mean == 0 and black.uniform_share == 1.0 and black.dark_share == 1.0
    white = measure_frame(np.full((90, 160, 3), 255, np.uint8))
    assert white.bright_share == 1.0
    green = measure_frame(np.dstack([np.full((90, 160), v, np.uint8) for v in (40, 200, 40)]))
    assert green.cast_d > 50 and green.cast_a < 0  # a* negative: green
    grey = measure_frame(np.full((90, 160, 3), 128, np.uint8))
    assert grey.cast_d < 1


def test_sharpness_falls_with_blur_but_not_with_darkness() -> None:
    frame = street_frames(1)[0]
    sharp = measure_frame(frame).sharpness
    blurred = measure_frame(np.asarray(cv2.GaussianBlur(frame, (0, 0), 2.5))).sharpness
    darker = measure_frame((frame * 0.3).astype(np.uint8)).sharpness
    assert blurred < 0.65 * sharp
    assert darker == pytest.approx(sharp, rel=0.2)


def test_noise_estimate_grows_with_added_noise() -> None:
    frame = street_frames(1)[0]
    clean = measure_frame(frame).noise_sigma
    rng = np.random.default_rng(1)
    noisy = np.clip(frame + rng.normal(0, 20, frame.shape), 0, 255).astype(np.uint8)
    assert measure_frame(noisy).noise_sigma > clean + 10


def test_a_sample_measures_motion_between_frames() -> None:
    moving = measure_sample(sample_of(street_frames()))[0]
    still = measure_sample(sample_of([street_frames(1)[0]] * 8))[0]
    assert moving.motion > 0.3 and still.motion == 0.0
    assert measure_sample(sample_of(street_frames(), errors=5))[0].decode_errors_per_s == 2.5


def test_a_sample_without_frames_must_say_why() -> None:
    with pytest.raises(ValueError, match="name its failure"):
        Sample()
    with pytest.raises(ValueError, match="one time per frame"):
        Sample(frames=(np.zeros((8, 8, 3), np.uint8),), times_s=())
    with pytest.raises(ValueError, match="BGR frame"):
        measure_frame(np.zeros((4, 4), np.uint8))


# -- the reference ------------------------------------------------------------------------

def test_the_reference_sees_a_shift_a_turn_and_a_cover() -> None:
    frames = street_frames()
    measures, small = measure_sample(sample_of(frames))
    reference = reference_from(small, measures.cell_texture)
    later = street_frames(start=120)
    m, s = measure_sample(sample_of(later))
    same = compare(s, m.cell_texture, m.cell_std, reference)
    assert same.matched and same.shift_share < 0.01 and abs(same.rotation_deg) < 0.5
    shifted = [np.roll(f, 40, axis=1) for f in later]
    m, s = measure_sample(sample_of(shifted))
    moved = compare(s, m.cell_texture, m.cell_std, reference)
    assert moved.matched and moved.shift_share == pytest.approx(40 / 320, abs=0.02)
    centre = (160, 90)
    turn = cv2.getRotationMatrix2D(centre, 8, 1.0)
    turned = [np.asarray(cv2.warpAffine(f, turn, (320, 180))) for f in later]
    m, s = measure_sample(sample_of(turned))
    rotated = compare(s, m.cell_texture, m.cell_std, reference)
    assert rotated.rotation_deg == pytest.approx(8, abs=1.0)
    covered_frames = [f.copy() for f in later]
    for f in covered_frames:
        f[:, :200] = 25
    m, s = measure_sample(sample_of(covered_frames))
    assert compare(s, m.cell_texture, m.cell_std, reference).covered_share > 0.5


# -- rules ------------------------------------------------------------------------------

def test_every_picture_fault_is_found_against_a_warm_baseline() -> None:
    baseline, reference = warmed()
    later = street_frames(start=500)
    rng = np.random.default_rng(3)
    cases = {
        Fault.FROZEN: [later[0]] * 8,
        Fault.BLACK: [np.zeros_like(f) for f in later],
        Fault.BLANK: [np.dstack([np.full(f.shape[:2], c, np.uint8) for c in (160, 60, 0)])
                      for f in later],
        Fault.BLURRED: [np.asarray(cv2.GaussianBlur(f, (0, 0), 3)) for f in later],
        Fault.NOISE: [np.clip(f + rng.normal(0, 35, f.shape), 0, 255).astype(np.uint8)
                      for f in later],
        Fault.COLOUR_CAST: [(f * np.array([0.3, 1.0, 0.3])).astype(np.uint8) for f in later],
        Fault.OVEREXPOSED: [np.clip(f.astype(int) + 170, 0, 255).astype(np.uint8)
                            for f in later],
        Fault.UNDEREXPOSED: [(f * 0.15).astype(np.uint8) for f in later],
        Fault.LOW_CONTRAST: [(f * 0.12 + 110).astype(np.uint8) for f in later],
        Fault.MOVED: [np.roll(f, 60, axis=1) for f in later],
    }
    for fault, frames in cases.items():
        found = evaluate(sample_of(frames), baseline=baseline, reference=reference)  # type: ignore[arg-type]
        assert fault in [f.fault for f in found.findings], (fault, found.findings)
        assert found.verdict is Verdict.DEGRADED
    corrupted = evaluate(sample_of(later, errors=12), baseline=baseline, reference=reference)  # type: ignore[arg-type]
    assert [f.fault for f in corrupted.findings] == [Fault.CORRUPTED]


def test_a_black_picture_is_reported_alone() -> None:
    black = [np.zeros((180, 320, 3), np.uint8)] * 8
    findings = diagnose(measure_sample(sample_of(black))[0])
    assert [f.fault for f in findings] == [Fault.BLACK]
    assert findings[0].measure == "luma_std" and findings[0].value < findings[0].limit


def test_a_dark_street_at_night_is_not_a_fault_even_without_a_baseline() -> None:
    for seed in (5, 6, 7):
        night = street_frames(seed=seed, night=1.0)
        assert diagnose(measure_sample(sample_of(night))[0]) == [], seed


def test_limits_adapt_to_the_camera_and_the_hour() -> None:
    soft = [np.asarray(cv2.GaussianBlur(f, (0, 0), 1.6)) for f in street_frames(start=50)]
    measures = measure_sample(sample_of(soft))[0]
    strict = Limits(sharpness=measures.sharpness + 0.01)
    assert [f.fault for f in diagnose(measures, limits=strict)] == [Fault.BLURRED]
    usual = BandBaseline()
    for _ in range(3):
        usual = usual.learn(measures)
    # this camera is always that soft: against its own baseline it is not blurred
    assert diagnose(measures, baseline=usual, limits=strict) == []


def test_a_check_without_frames_is_offline_and_teaches_nothing() -> None:
    baseline, reference = warmed(checks=3)
    result = evaluate(Sample(failure=SampleFailure.TIMEOUT, detail="no frame"),
                      baseline=baseline, reference=reference)  # type: ignore[arg-type]
    assert result.verdict is Verdict.OFFLINE and result.fault_codes == ["unreachable"]
    assert result.baseline == baseline and result.new_reference is None
    assert evaluate(Sample(failure=SampleFailure.NO_FRAMES)).fault_codes == ["no_frames"]


def test_only_healthy_checks_teach_the_baseline_and_the_first_becomes_the_reference() -> None:
    first = evaluate(sample_of(street_frames()))
    assert first.verdict is Verdict.ONLINE and first.baseline.checks == 1
    assert first.new_reference is not None
    second = evaluate(sample_of(street_frames(start=40)), baseline=first.baseline,
                      reference=first.new_reference)
    assert second.baseline.checks == 2 and second.new_reference is None
    bad = evaluate(sample_of([np.zeros((180, 320, 3), np.uint8)] * 8),
                   baseline=second.baseline, reference=first.new_reference)
    assert bad.baseline == second.baseline


def test_baselines_round_trip_and_bands_cover_the_day() -> None:
    baseline, _ = warmed(checks=4)
    assert BandBaseline.from_dict(baseline.as_dict()).checks == 4
    restored = BandBaseline.from_dict(baseline.as_dict())
    assert restored.mean("sharpness") == pytest.approx(baseline.mean("sharpness"), rel=1e-4)
    with pytest.raises(ValueError, match="not a band baseline"):
        BandBaseline.from_dict({"checks": 1, "stats": {"luma_mean": "x"}})
    assert [band_of(h) for h in (0, 2, 3, 12, 23)] == [0, 0, 1, 4, 7]
    with pytest.raises(ValueError):
        band_of(24)


# -- over time ----------------------------------------------------------------------------

def test_maintenance_is_kept_until_ended_by_hand() -> None:
    assert next_status("maintenance", Verdict.OFFLINE) is CameraStatus.MAINTENANCE
    assert next_status("unknown", Verdict.DEGRADED) is CameraStatus.DEGRADED
    assert next_status("offline", Verdict.ONLINE) is CameraStatus.ONLINE


def test_a_ticket_opens_after_two_checks_and_closes_after_healthy_ones() -> None:
    policy = TicketPolicy(open_after=2, close_after=3)
    streaks = Streaks().after(["frozen"])
    assert ticket_action(streaks, has_open_ticket=False, in_maintenance=False,
                         policy=policy) == (TicketAction.NONE, [])
    streaks = streaks.after(["frozen", "blurred"])
    assert streaks.faults == {"frozen": 2, "blurred": 1}
    assert ticket_action(streaks, has_open_ticket=False, in_maintenance=False,
                         policy=policy) == (TicketAction.OPEN, ["frozen"])
    assert ticket_action(streaks, has_open_ticket=False, in_maintenance=True,
                         policy=policy) == (TicketAction.NONE, [])
    assert ticket_action(streaks, has_open_ticket=True, in_maintenance=False,
                         policy=policy) == (TicketAction.UPDATE, ["blurred", "frozen"])
    for expected in (TicketAction.NONE, TicketAction.NONE, TicketAction.CLOSE):
        streaks = streaks.after([])
        assert ticket_action(streaks, has_open_ticket=True, in_maintenance=False,
                             policy=policy)[0] is expected
    assert Streaks.from_dict(streaks.as_dict()) == streaks
    with pytest.raises(ValueError, match="close_after"):
        TicketPolicy(close_after=0)


def test_sla_clocks_run_and_are_met_or_breached() -> None:
    response, repair = sla_clocks(T0, response_h=2, repair_h=24)
    assert response.due == T0 + timedelta(hours=2)
    assert response.state(T0 + timedelta(hours=1)) == "running"
    assert response.state(T0 + timedelta(hours=3)) == "breached"
    assert response.remaining_s(T0 + timedelta(hours=1)) == 3600
    met, late = sla_clocks(T0, response_h=2, repair_h=24,
                           responded_at=T0 + timedelta(minutes=30),
                           repaired_at=T0 + timedelta(hours=30))
    assert met.state(T0 + timedelta(days=9)) == "met"
    assert late.state(T0 + timedelta(days=9)) == "breached" and late.remaining_s(T0) is None
    with pytest.raises(ValueError, match="time zone"):
        sla_clocks(T0.replace(tzinfo=None), response_h=1, repair_h=1)


def test_uptime_counts_time_in_each_state_without_maintenance() -> None:
    changes = [(T0 - timedelta(hours=1), "online"), (T0 + timedelta(hours=6), "offline"),
               (T0 + timedelta(hours=8), "maintenance"), (T0 + timedelta(hours=10), "degraded"),
               (T0 + timedelta(hours=12), "online")]
    spent = time_in_status(changes, start=T0, end=T0 + timedelta(hours=24), initial="unknown")
    assert spent == {"online": 18 * 3600.0, "offline": 7200.0, "maintenance": 7200.0,
                     "degraded": 7200.0}
    shares = uptime_shares(spent)
    assert shares["online_share"] == pytest.approx(20 / 22)
    assert shares["healthy_share"] == pytest.approx(18 / 22)
    assert uptime_shares({"maintenance": 5.0}) == {"online_share": None, "healthy_share": None}
    with pytest.raises(ValueError, match="end after"):
        time_in_status([], start=T0, end=T0, initial="online")


def test_limits_are_a_plain_value() -> None:
    assert replace(Limits(), noise_sigma=9.0).noise_sigma == 9.0
