"""Camera snapshots: real OpenCV (FFmpeg backend) against real streams served on 127.0.0.1.

Nothing is mocked: the MJPEG camera, the still-JPEG camera, the black hole and the video
files come from tests/streams.py. Grab counts are the requests the test server answered.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cameras.fence import StreamFence, parse_networks
from app.cameras.snapshot_cache import (
    FrameGrabber,
    GrabberBusyError,
    NoFrameError,
    Snapshot,
    SnapshotCache,
    SnapshotError,
    SnapshotSettingError,
    SnapshotTimeoutError,
    StreamOpenError,
    UnsupportedStreamError,
    capture_source,
    grab_frame,
    redact_url,
)
from tests.streams import dead_url, serve_black_hole, serve_mjpeg, write_test_video

# The test cameras listen on 127.0.0.1 and the test videos lie under the temporary folder.
LOCAL = StreamFence(networks=parse_networks("127.0.0.1/32"),
                    media_dir=Path(tempfile.gettempdir()))

# Correctness bound for "gave up at the deadline": generous for a loaded CI machine, yet
# well below the 1 s grace OpenCV's own timeouts get on top of timeout_s.
MARGIN_S = 0.5


def decode(jpeg: bytes) -> np.ndarray:
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "JPEG does not decode"
    return np.asarray(image)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def grabber() -> Iterator[FrameGrabber]:
    pool = FrameGrabber(max_workers=2)
    yield pool
    pool.close(wait=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- grab_frame ---------------------------------------------------------------------------

def test_mjpeg_stream_gives_a_jpeg_of_the_requested_width() -> None:
    with serve_mjpeg(size=(320, 240)) as camera:
        jpeg = grab_frame(camera.mjpeg_url, fence=LOCAL, timeout_s=3, max_width=160)
        assert camera.requests("/stream.mjpg") == 1
    image = decode(jpeg)
    assert image.shape == (120, 160, 3)  # 4:3 kept
    assert image.std() > 10  # the drawn bar and text, not a blank frame


def test_still_jpeg_over_http_is_not_enlarged(grabber: FrameGrabber) -> None:
    with serve_mjpeg(size=(320, 240)) as camera:
        jpeg = grabber.grab_frame(camera.jpeg_url, fence=LOCAL, timeout_s=3, max_width=640)
        assert camera.requests("/still.jpg") == 1
    assert decode(jpeg).shape == (240, 320, 3)


def test_an_upper_case_scheme_still_opens(grabber: FrameGrabber) -> None:
    # FFmpeg matches protocol names case-sensitively; capture_source lower-cases the scheme.
    with serve_mjpeg() as camera:
        url = camera.jpeg_url.replace("http://", "HTTP://")
        jpeg = grabber.grab_frame(url, fence=LOCAL, timeout_s=3)
    assert decode(jpeg).shape == (240, 320, 3)


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_video_file(tmp_path: Path, grabber: FrameGrabber, as_url: bool) -> None:
    video = write_test_video(tmp_path / "camera 7.avi", frames=10, size=(320, 240))
    url = video.as_uri() if as_url else str(video)  # as_uri percent-encodes the space
    jpeg = grabber.grab_frame(url, fence=LOCAL, timeout_s=3, max_width=200)
    assert decode(jpeg).shape == (150, 200, 3)


def test_video_without_frames_gives_no_frame(tmp_path: Path, grabber: FrameGrabber) -> None:
    video = write_test_video(tmp_path / "empty.avi", frames=0)
    with pytest.raises(NoFrameError):
        grabber.grab_frame(str(video), fence=LOCAL, timeout_s=3)


def test_missing_file_cannot_be_opened(tmp_path: Path, grabber: FrameGrabber) -> None:
    with pytest.raises(StreamOpenError, match="no file"):
        grabber.grab_frame(str(tmp_path / "nope.avi"), fence=LOCAL, timeout_s=3)


def test_http_404_cannot_be_opened(grabber: FrameGrabber) -> None:
    with serve_mjpeg() as camera:
        with pytest.raises(StreamOpenError):
            grabber.grab_frame(camera.url("/missing.mjpg"), fence=LOCAL, timeout_s=3)
        assert camera.requests("/missing.mjpg") == 1


def test_dead_port_fails_with_cannot_open_not_timeout(grabber: FrameGrabber) -> None:
    # A refused connection must be reported as such at once, not after waiting out
    # timeout_s (which would raise SnapshotTimeoutError instead).
    with pytest.raises(StreamOpenError) as raised:
        grabber.grab_frame(dead_url(), fence=LOCAL, timeout_s=5)
    assert not isinstance(raised.value, SnapshotTimeoutError)


@pytest.mark.parametrize("scheme", ["http", "rtsp"])
def test_black_hole_gives_up_at_the_deadline(grabber: FrameGrabber, scheme: str) -> None:
    timeout_s = 0.5
    with serve_black_hole() as hole:
        url = hole.url if scheme == "http" else hole.rtsp_url
        started = time.monotonic()
        with pytest.raises(SnapshotTimeoutError):
            grabber.grab_frame(url, fence=LOCAL, timeout_s=timeout_s)
        elapsed = time.monotonic() - started
        assert hole.accepted >= 1  # OpenCV did connect, and then got nothing
    assert timeout_s <= elapsed < timeout_s + MARGIN_S


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/cam.avi",
    "javascript:alert(1)",
    "data:image/jpeg;base64,/9j/",
    "gopher://127.0.0.1:70/",
    "rtmp://127.0.0.1/live",
    "cams/relative.avi",
    "file://camera-host/srv/cam.avi",
    "file:relative.avi",
    "http:///stream.mjpg",
    "",
    "http://127.0.0.1/stream.mjpg\r\nX-Injected: 1",
])
def test_unsupported_urls_are_refused_before_any_io(grabber: FrameGrabber, url: str) -> None:
    with pytest.raises(UnsupportedStreamError) as raised:
        grabber.grab_frame(url, fence=LOCAL, timeout_s=1)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(("url", "source"), [
    ("rtsp://admin:pw@10.1.2.3:554/Streaming/Channels/101",
     "rtsp://admin:pw@10.1.2.3:554/Streaming/Channels/101"),
    ("RTSPS://cam.local/live", "rtsps://cam.local/live"),
    ("https://cam.local/mjpg/video.mjpg", "https://cam.local/mjpg/video.mjpg"),
    ("file:///srv/cams/lobby%20west.avi", "/srv/cams/lobby west.avi"),
    ("file://localhost/srv/cams/a.avi", "/srv/cams/a.avi"),
    ("/srv/cams/a.avi", "/srv/cams/a.avi"),
])
def test_accepted_urls_and_what_opencv_is_given(url: str, source: str) -> None:
    assert capture_source(url) == source


def test_credentials_stay_out_of_messages(grabber: FrameGrabber) -> None:
    url = dead_url()
    secret_url = url.replace("http://", "http://admin:s3cret@") + "?token=t0ken"
    assert redact_url(secret_url) == url
    with pytest.raises(StreamOpenError) as raised:
        grabber.grab_frame(secret_url, fence=LOCAL, timeout_s=3)
    assert "s3cret" not in str(raised.value)
    assert "t0ken" not in str(raised.value)


def test_a_full_pool_refuses_at_once_and_frees_its_worker_later() -> None:
    pool = FrameGrabber(max_workers=1)
    stuck_errors: list[BaseException] = []

    def grab_stuck(url: str) -> None:
        try:
            pool.grab_frame(url, fence=LOCAL, timeout_s=1.0)
        except SnapshotError as error:
            stuck_errors.append(error)

    try:
        with serve_mjpeg() as camera:
            with serve_black_hole() as hole:
                stuck = threading.Thread(target=grab_stuck, args=(hole.url,))
                stuck.start()
                assert hole.connected.wait(2), "OpenCV never reached the black hole"
                with pytest.raises(GrabberBusyError):
                    pool.grab_frame(camera.jpeg_url, fence=LOCAL, timeout_s=1.0)
                # Refused while the first grab was still waiting: it did not queue.
                assert stuck.is_alive()
                stuck.join()
                assert camera.requests("/still.jpg") == 0
            # The black hole closed its connections, so the stuck worker ends and its slot
            # comes back; a slot that leaked would make this loop run out.
            deadline = time.monotonic() + 3
            while True:
                try:
                    jpeg = pool.grab_frame(camera.jpeg_url, fence=LOCAL, timeout_s=1.0)
                    break
                except GrabberBusyError:
                    assert time.monotonic() < deadline, "the stuck worker's slot never came back"
                    time.sleep(0.02)
            assert decode(jpeg).shape == (240, 320, 3)
    finally:
        pool.close(wait=True)
    assert [type(error) for error in stuck_errors] == [SnapshotTimeoutError]


def test_settings_are_checked() -> None:
    with pytest.raises(SnapshotSettingError):
        FrameGrabber(max_workers=0)
    with pytest.raises(SnapshotSettingError):
        SnapshotCache(fence=LOCAL, ttl_s=0)
    with pytest.raises(SnapshotSettingError):
        SnapshotCache(fence=LOCAL, timeout_s=float("nan"))
    with pytest.raises(SnapshotSettingError):
        SnapshotCache(fence=LOCAL, max_width=0)


# -- SnapshotCache ------------------------------------------------------------------------

def test_cache_reuses_a_frame_within_ttl_and_grabs_again_after(
        grabber: FrameGrabber, clock: FakeClock) -> None:
    cache = SnapshotCache(fence=LOCAL, timeout_s=3, ttl_s=10, grabber=grabber, clock=clock)
    with serve_mjpeg() as camera:
        first = cache.get("cam-1", camera.mjpeg_url)
        assert first.online and first.error is None and first.jpeg is not None
        assert first.taken_at == clock.now and first.taken_at.tzinfo is UTC
        decode(first.jpeg)

        clock.advance(9.9)
        assert cache.get("cam-1", camera.mjpeg_url) is first
        assert cache.peek("cam-1") is first
        assert camera.requests("/stream.mjpg") == 1

        clock.advance(0.2)
        assert cache.peek("cam-1") is None
        second = cache.get("cam-1", camera.mjpeg_url)
        assert second is not first and second.online
        assert second.taken_at == clock.now
        assert camera.requests("/stream.mjpg") == 2


def test_cache_grabs_again_when_the_url_changes(grabber: FrameGrabber) -> None:
    cache = SnapshotCache(fence=LOCAL, timeout_s=3, grabber=grabber)
    with serve_mjpeg() as camera:
        cache.get("cam-1", camera.mjpeg_url)
        moved = cache.get("cam-1", camera.jpeg_url)
        assert moved.online
        assert (camera.requests("/stream.mjpg"), camera.requests("/still.jpg")) == (1, 1)


def test_concurrent_requests_share_one_grab(grabber: FrameGrabber) -> None:
    cache = SnapshotCache(fence=LOCAL, timeout_s=3, grabber=grabber)
    start = threading.Barrier(3)
    results: list[Snapshot] = []

    def ask() -> None:
        start.wait()
        results.append(cache.get("cam-1", camera.mjpeg_url))

    # The camera holds every answer 0.3 s, so both requests surely overlap the grab.
    with serve_mjpeg(delay_s=0.3) as camera:
        askers = [threading.Thread(target=ask) for _ in range(3)]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
        assert camera.requests("/stream.mjpg") == 1
    assert len(results) == 3
    assert all(result is results[0] for result in results)
    assert results[0].online


def test_failures_are_cached_offline_for_the_failure_ttl(
        grabber: FrameGrabber, clock: FakeClock) -> None:
    cache = SnapshotCache(fence=LOCAL, timeout_s=3, ttl_s=10, failure_ttl_s=30,
                          grabber=grabber, clock=clock)
    with serve_mjpeg() as camera:
        url = camera.url("/missing.mjpg")
        failed = cache.get("cam-9", url)
        assert failed == Snapshot(jpeg=None, taken_at=clock.now, online=False,
                                  error="cannot_open")
        clock.advance(29)  # past ttl_s, within failure_ttl_s
        assert cache.get("cam-9", url) is failed
        assert camera.requests("/missing.mjpg") == 1
        clock.advance(2)
        assert cache.get("cam-9", url) is not failed
        assert camera.requests("/missing.mjpg") == 2


def test_cache_reports_a_silent_camera_as_timeout(grabber: FrameGrabber) -> None:
    cache = SnapshotCache(fence=LOCAL, timeout_s=0.5, grabber=grabber)
    with serve_black_hole() as hole:
        started = time.monotonic()
        snapshot = cache.get("cam-2", hole.url)
        elapsed = time.monotonic() - started
        assert cache.get("cam-2", hole.url) is snapshot
    assert (snapshot.online, snapshot.error, snapshot.jpeg) == (False, "timeout", None)
    assert elapsed < 0.5 + MARGIN_S


def test_cache_turns_a_refused_url_into_an_offline_snapshot(grabber: FrameGrabber) -> None:
    snapshot = SnapshotCache(fence=LOCAL, grabber=grabber).get("cam-3", "ftp://127.0.0.1/cam")
    assert (snapshot.online, snapshot.error) == (False, "unsupported_scheme")


def test_cache_reports_a_full_pool_without_caching_it() -> None:
    pool = FrameGrabber(max_workers=1)
    cache = SnapshotCache(fence=LOCAL, timeout_s=1.0, grabber=pool)
    try:
        with serve_mjpeg() as camera, serve_black_hole() as hole:
            assert cache.prefetch([("stuck", hole.url)]) == 1
            assert hole.connected.wait(2)
            busy = cache.get("cam-1", camera.jpeg_url)
            assert (busy.online, busy.error) == (False, "busy")
            assert cache.peek("cam-1") is None
            assert camera.requests("/still.jpg") == 0
    finally:
        pool.close(wait=True)


def test_prefetch_returns_at_once_and_get_joins_the_grab(
        grabber: FrameGrabber, clock: FakeClock) -> None:
    cache = SnapshotCache(fence=LOCAL, timeout_s=3, grabber=grabber, clock=clock)
    with serve_mjpeg(delay_s=0.3) as camera:
        assert cache.prefetch([("cam-1", camera.mjpeg_url), ("cam-2", camera.jpeg_url)]) == 2
        # The camera holds its answer 0.3 s, so a prefetch that waited would find it here.
        assert cache.peek("cam-1") is None
        assert cache.prefetch([("cam-1", camera.mjpeg_url)]) == 0  # already under way
        snapshot = cache.get("cam-1", camera.mjpeg_url)
        assert snapshot.online
        assert camera.requests("/stream.mjpg") == 1
        assert cache.prefetch([("cam-1", camera.mjpeg_url)]) == 0  # fresh
        # Nobody waits for cam-2: its grab is settled by the worker itself.
        deadline = time.monotonic() + 3
        while cache.peek("cam-2") is None:
            assert time.monotonic() < deadline, "the prefetched snapshot never arrived"
            time.sleep(0.02)
        prefetched = cache.peek("cam-2")
        assert prefetched is not None and prefetched.online
        assert cache.get("cam-2", camera.jpeg_url) is prefetched
        assert camera.requests("/still.jpg") == 1
