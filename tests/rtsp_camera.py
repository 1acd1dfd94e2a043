"""A real RTSP camera on 127.0.0.1 for the tests and benchmarks: GStreamer's RTSP server
(Debian's gir1.2-gst-rtsp-server-1.0 and python3-gst-1.0) serving an H.264 file made by
FFmpeg at test time, in real time, looped.

Run as a subprocess with Debian's own interpreter (the GObject bindings live there, not in
the virtualenv): ``/usr/bin/python3 tests/rtsp_camera.py --port P --file F.mkv``. It
prints ``READY <port>`` once listening and serves until it is terminated. Every mount
under ``/cam<N>`` streams the same file (each client its own session, from the start),
so one server is many cameras. :func:`serve_rtsp` starts and stops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class RtspCamera:
    """What :func:`serve_rtsp` yields."""

    port: int

    def url(self, mount: str = "cam1") -> str:
        return f"rtsp://{HOST}:{self.port}/{mount}"


def h264_file(path: Path, *, seconds: int = 60, size: str = "640x360", rate: int = 25,
              gop: int = 25) -> Path:
    """An H.264 (no B-frames, a key frame every ``gop``) Matroska file made by FFmpeg from
    its test pattern with a running clock: what an IP camera sends."""
    if not path.exists():
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                        "-i", f"testsrc2=size={size}:rate={rate}", "-t", str(seconds),
                        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                        "-g", str(gop), "-bf", "0", "-pix_fmt", "yuv420p", str(path)],
                       check=True, timeout=300)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_rtsp(file: Path, *, mounts: int = 8) -> Iterator[RtspCamera]:
    """Serve ``file`` over RTSP on 127.0.0.1 (``/cam1`` … ``/cam<mounts>``) until the block
    ends; the server process is stopped and reaped on the way out."""
    port = _free_port()
    process = subprocess.Popen([SYSTEM_PYTHON, __file__, "--port", str(port), "--file",
                                str(file), "--mounts", str(mounts)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY"):
            error = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"the RTSP server did not start: {line!r} {error[-2000:]}")
        yield RtspCamera(port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _main(argv: list[str]) -> None:  # runs under /usr/bin/python3, with GStreamer
    import argparse

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--mounts", type=int, default=8)
    args = parser.parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(HOST)
    server.set_service(str(args.port))
    location = str(Path(args.file).resolve()).replace('"', "")
    launch = (f'( filesrc location="{location}" ! matroskademux ! h264parse ! '
              "rtph264pay name=pay0 pt=96 config-interval=1 )")
    for n in range(1, args.mounts + 1):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(False)
        server.get_mount_points().add_factory(f"/cam{n}", factory)
    if server.attach(None) == 0:
        sys.stdout.write("FAILED to listen\n")
        sys.stdout.flush()
        sys.exit(1)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    sys.stdout.write(f"READY {args.port}\n")
    sys.stdout.flush()
    loop.run()
    os._exit(0)  # GStreamer's threads need not be joined


if __name__ == "__main__":
    _main(sys.argv[1:])
