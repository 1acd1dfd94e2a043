"""Camera health on the labelled set made by FFmpeg at test time (tests/camera_clips.py):
every fault is found, no clean stream is flagged, and the sampler's own failures (nothing
listening, a stream that never answers, a file that is not a video, a URL outside the
fence) are named. The same set, with precision and recall per fault and the checks per
minute, is benchmarks/camera_health.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cameras.fence import StreamFence, parse_networks
from app.cameras.health.sampler import SamplePlan, SampleRefused, take_sample
from dispatch.cameras.health import (
    BandBaseline,
    Reference,
    SampleFailure,
    Verdict,
    band_of,
    evaluate,
)
from tests.app.cameras.conftest import ClipSet
from tests.camera_clips import Clip
from tests.streams import dead_url, serve_black_hole, serve_mjpeg

PLAN = SamplePlan(open_timeout_s=2.0)


def fence_for(folder: Path) -> StreamFence:
    return StreamFence(media_dir=folder, networks=parse_networks("127.0.0.1/32"))


def warm_camera(clips: ClipSet, fence: StreamFence
                ) -> tuple[dict[int, BandBaseline], dict[int, Reference]]:
    """What the camera's earlier healthy checks at noon taught: baseline and reference."""
    baselines: dict[int, BandBaseline] = {}
    references: dict[int, Reference] = {}
    for clip in clips.warm_up:
        band = band_of(clip.hour)
        result = evaluate(take_sample(str(clip.path), fence=fence, plan=PLAN),
                          baseline=baselines.get(band), reference=references.get(band))
        assert result.findings == [], (clip.name, result.findings)
        baselines[band] = result.baseline
        if result.new_reference is not None:
            references[band] = result.new_reference
    return baselines, references


def found(clip: Clip, fence: StreamFence, baselines: dict[int, BandBaseline],
          references: dict[int, Reference]) -> set[str]:
    band = band_of(clip.hour)
    result = evaluate(take_sample(str(clip.path), fence=fence, plan=PLAN),
                      baseline=baselines.get(band), reference=references.get(band))
    return set(result.fault_codes)


def test_every_fault_is_found_and_no_clean_stream_is_flagged(clip_set: ClipSet) -> None:
    fence = fence_for(clip_set.folder)
    baselines, references = warm_camera(clip_set, fence)
    assert set(baselines) == {band_of(12)} and baselines[band_of(12)].ready
    outcome = {clip.name: (set(clip.faults), found(clip, fence, baselines, references))
               for clip in clip_set.labelled}
    wrong = {name: pair for name, pair in outcome.items() if pair[0] != pair[1]}
    assert wrong == {}
    labels = {fault for clip in clip_set.labelled for fault in clip.faults}
    assert labels == {"frozen", "black", "blurred", "noise", "colour_cast", "corrupted",
                      "covered", "moved"}
    assert {"clean", "night", "to-night"} <= {c.name for c in clip_set.labelled if not c.faults}


def test_clean_streets_by_day_and_night_pass_on_a_first_check(clip_set: ClipSet) -> None:
    fence = fence_for(clip_set.folder)
    flagged = {clip.name: found(clip, fence, {}, {}) for clip in clip_set.others}
    assert flagged == {clip.name: set() for clip in clip_set.others}


def test_picture_faults_without_history_are_still_found(clip_set: ClipSet) -> None:
    """Fixed limits alone find the plain faults on a camera checked for the first time."""
    fence = fence_for(clip_set.folder)
    for name, fault in (("freeze", "frozen"), ("black", "black"), ("noise", "noise"),
                        ("colour_cast", "colour_cast"), ("corrupted", "corrupted"),
                        ("blur", "blurred")):
        assert fault in found(clip_set.clip(name), fence, {}, {}), name


def test_the_sampler_reports_decode_errors_and_stream_details(clip_set: ClipSet) -> None:
    fence = fence_for(clip_set.folder)
    clean = take_sample(str(clip_set.clip("clean").path), fence=fence, plan=PLAN)
    assert clean.failure is None and len(clean.frames) == 8
    assert (clean.stream.codec, clean.stream.width, clean.stream.height) == ("h264", 640, 360)
    assert clean.frames[0].shape == (180, 320, 3) and clean.decode_errors == 0
    broken = take_sample(str(clip_set.clip("corrupted").path), fence=fence, plan=PLAN)
    assert broken.decode_errors > 5


def test_nothing_listening_is_unreachable_and_a_silent_stream_times_out() -> None:
    fence = fence_for(Path("/nonexistent"))
    for url in (dead_url(), dead_url().replace("http://", "rtsp://")):
        sample = take_sample(url, fence=fence, plan=PLAN)
        assert sample.failure is SampleFailure.UNREACHABLE, (url, sample.detail)
        assert evaluate(sample).verdict is Verdict.OFFLINE
    with serve_black_hole() as hole:
        sample = take_sample(hole.rtsp_url, fence=fence,
                             plan=SamplePlan(span_s=1.0, open_timeout_s=1.0, grace_s=1.0))
        assert sample.failure is SampleFailure.TIMEOUT
        assert hole.accepted >= 1


def test_a_file_that_is_not_video_gives_no_frames(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01 this is not a video " * 400)
    sample = take_sample(str(junk), fence=fence_for(tmp_path), plan=PLAN)
    assert sample.failure is SampleFailure.NO_FRAMES
    assert str(tmp_path) not in sample.detail  # paths and URLs never reach the detail


def test_the_fence_is_asked_before_anything_is_opened(clip_set: ClipSet, tmp_path: Path
                                                     ) -> None:
    with pytest.raises(SampleRefused) as refused:
        take_sample(str(clip_set.clip("clean").path), fence=fence_for(tmp_path), plan=PLAN)
    assert refused.value.rule == "media_dir"
    with pytest.raises(SampleRefused) as outside:
        take_sample("rtsp://8.8.8.8/live", fence=fence_for(tmp_path), plan=PLAN)
    assert outside.value.rule == "camera_networks"
    with pytest.raises(SampleRefused) as scheme:
        take_sample("ftp://127.0.0.1/x", fence=fence_for(tmp_path), plan=PLAN)
    assert scheme.value.rule == "scheme"


def test_http_cameras_are_sampled_through_the_fence() -> None:
    fence = fence_for(Path("/nonexistent"))
    with serve_mjpeg(fps=10) as camera:
        sample = take_sample(camera.mjpeg_url, fence=fence, plan=PLAN)
        assert sample.failure is None and len(sample.frames) >= 4
        assert camera.requests("/stream.mjpg") == 1  # the parts of one answer
        assert "frozen" not in evaluate(sample).fault_codes
        still = take_sample(camera.jpeg_url, fence=fence, plan=PLAN)
        assert len(still.frames) >= 2 and camera.requests("/still.jpg") == len(still.frames)
        # the test camera's still is always its first frame: a frozen picture
        assert evaluate(still).fault_codes == ["frozen"]
