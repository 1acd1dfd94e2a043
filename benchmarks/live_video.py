"""Live video: time to the first frame, over 20 starts, against FFmpeg's own open time.

A real RTSP camera on 127.0.0.1 (GStreamer's RTSP server, tests/rtsp_camera.py, serving
H.264 640x360 at 25 frames a second with a key frame every second, made by FFmpeg), the
app on werkzeug's threaded server over a database of its own, Debian's chromium through
Playwright signed in as a video operator. Each start opens the live page of a camera
whose conversion is not running (it is stopped after each start), and measures:

- FFmpeg (the reference): ``ffmpeg -rtsp_transport tcp -i URL -frames:v 1 -f null -``,
  from start to exit: opening the stream and decoding its first frame;
- server: ``GET /api/v1/cameras/ID/live`` as the page's script timed it (the conversion
  started, until its first HLS segment is written);
- browser: from navigating to the page until the <video> element's time advances (page,
  hls.js, playlist, first segment, decode, paint).

The issue's target: browser p95 ≤ 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app.auth import users  # noqa: E402
from app.db import get_session  # noqa: E402
from app.video import conversions  # noqa: E402
from benchmarks.common import bench_database, percentile, table  # noqa: E402
from tests.rtsp_camera import h264_file, serve_rtsp  # noqa: E402

PASSWORD = "correct horse battery"  # noqa: S105 (a throw-away benchmark user)


def ffmpeg_first_frame(url: str) -> float:
    started = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
                    "-i", url, "-frames:v", "1", "-f", "null", "-"], check=True, timeout=30)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="live-bench-") as raw:
        folder = Path(raw)
        clip = h264_file(folder / "camera.mkv", seconds=120)
        with serve_rtsp(clip, mounts=args.starts) as rtsp, bench_database(
                "gridpatrol_bench_live", LIVE_DIR=str(folder / "live"),
                CAMERA_NETWORKS="127.0.0.1/32") as bench:
            app = bench["app"]
            with app.app_context():
                session = get_session()
                supervisor = users.create_user(session, "bench-sup", PASSWORD, "supervisor")
                token = users.issue_token(session, supervisor, label="bench")
                users.create_user(session, "bench-op", PASSWORD, "video_operator")
                session.commit()
            client = app.test_client()
            cameras = [client.post("/api/v1/cameras", headers={
                "Authorization": f"Bearer {token}"}, json={
                "name": f"cam{n}", "lon": 24.94, "lat": 60.17,
                "stream_url": rtsp.url(f"cam{n}")}).json["id"]
                for n in range(1, args.starts + 1)]
            reference = [ffmpeg_first_frame(rtsp.url(f"cam{n}"))
                         for n in range(1, args.starts + 1)]
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            base = f"http://127.0.0.1:{server.server_port}"
            browser_s, server_s = [], []
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path="/usr/bin/chromium", headless=True,
                        args=["--no-sandbox", "--disable-gpu"])
                    page = browser.new_page()
                    page.goto(f"{base}/login")
                    page.fill("#username", "bench-op")
                    page.fill("#password", PASSWORD)
                    page.click("#sign-in")
                    page.wait_for_load_state()
                    for camera_id in cameras:
                        started = time.perf_counter()
                        page.goto(f"{base}/video/live/{camera_id}")
                        while not page.evaluate(
                                "document.getElementById('live-video').currentTime > 0"):
                            if time.perf_counter() - started > 30:
                                raise RuntimeError(f"camera {camera_id}: no video in 30 s")
                            page.wait_for_timeout(20)
                        browser_s.append(time.perf_counter() - started)
                        server_s.append(page.evaluate(
                            "performance.getEntriesByType('resource').filter(e => "
                            "e.name.endsWith('/live')).map(e => e.duration)[0]") / 1000)
                        page.goto("about:blank")
                        conversions(app).stop(camera_id)
                    browser.close()
            finally:
                server.shutdown()
                thread.join(timeout=10)
                server.server_close()
                conversions(app).close()
    rows = []
    for name, values in (("FFmpeg: open + first frame (reference)", reference),
                         ("server: GET …/live (conversion to first segment)", server_s),
                         ("browser: page to playing video", browser_s)):
        rows.append([name, len(values), f"{statistics.median(values):.2f}",
                     f"{percentile(values, 95):.2f}", f"{max(values):.2f}",
                     f"{percentile(values, 95) / percentile(reference, 95):.1f}"])
    print(f"\nFirst frame, {args.starts} starts (seconds)\n")
    print(table(rows, ["measure", "starts", "p50", "p95", "max", "p95 / FFmpeg p95"]))
    target = percentile(browser_s, 95) <= 3.0
    print(f"\ntarget browser p95 <= 3 s: {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
