"""Real camera streams served on 127.0.0.1 for the snapshot tests.

Nothing here leaves the machine: every server binds to the loopback address on a port the
kernel picks. Each server runs in daemon threads, counts the requests it answers, and on
exit stops its threads and closes every socket it opened, so a test suite running with
``filterwarnings = error`` sees no ``ResourceWarning``.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
BOUNDARY = "gridpatrolframe"


def draw_frame(index: int, *, size: tuple[int, int], text: str) -> np.ndarray:
    """Draw test frame ``index``: a moving bar, ``text`` and the frame counter."""
    width, height = size
    frame = np.full((height, width, 3), 40, np.uint8)
    bar_width = max(width // 10, 4)
    left = (index * bar_width) % width
    cv2.rectangle(frame, (left, 0), (left + bar_width, height - 1), (0, 180, 255), -1)
    cv2.putText(frame, text, (10, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                (255, 255, 255), 2)
    cv2.putText(frame, f"#{index}", (10, height - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255), 1)
    return frame


def encode_jpeg(frame: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".jpg", frame)
    assert ok, "cv2.imencode failed on a test frame"
    return buffer.tobytes()


class _CameraServer(http.server.ThreadingHTTPServer):
    """An HTTP camera: ``/stream.mjpg`` (MJPEG) and ``/still.jpg``; 404 for the rest."""

    daemon_threads = True
    block_on_close = True  # server_close() joins the handler threads

    def __init__(self, *, fps: float, size: tuple[int, int], text: str,
                 delay_s: float, host: str = HOST, redirect_to: str | None = None) -> None:
        super().__init__((host, 0), _CameraHandler)
        self.redirect_to = redirect_to
        self.fps = fps
        self.size = size
        self.text = text
        self.delay_s = delay_s
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()

    def count(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1

    def requests(self, path: str) -> int:
        with self._lock:
            return self._requests[path]


class _CameraHandler(http.server.BaseHTTPRequestHandler):
    server: _CameraServer

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("test camera: %s", format % args)

    def do_GET(self) -> None:
        server = self.server
        server.count(self.path)
        if server.delay_s and server.stopping.wait(server.delay_s):
            return
        try:
            if server.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", server.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/stream.mjpg":
                self._send_mjpeg()
            elif self.path == "/still.jpg":
                self._send_still()
            else:
                self.send_error(404)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client (OpenCV) hung up after reading what it needed

    def _send_still(self) -> None:
        body = encode_jpeg(draw_frame(0, size=self.server.size, text=self.server.text))
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_mjpeg(self) -> None:
        server = self.server
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        index = 0
        while not server.stopping.is_set():
            body = encode_jpeg(draw_frame(index, size=server.size, text=server.text))
            self.wfile.write(
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body + b"\r\n"
            )
            self.wfile.flush()
            index += 1
            server.stopping.wait(1.0 / server.fps)


class CameraServer:
    """What :func:`serve_mjpeg` yields: the URLs and a request counter."""

    def __init__(self, server: _CameraServer) -> None:
        self._server = server
        self.port: int = server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}{path}"

    @property
    def mjpeg_url(self) -> str:
        return self.url("/stream.mjpg")

    @property
    def jpeg_url(self) -> str:
        return self.url("/still.jpg")

    def requests(self, path: str) -> int:
        """How many requests for ``path`` (e.g. ``"/stream.mjpg"``) arrived so far."""
        return self._server.requests(path)


@contextmanager
def serve_mjpeg(*, fps: float = 5, size: tuple[int, int] = (320, 240), text: str = "CAM 1",
                delay_s: float = 0.0, host: str = HOST,
                redirect_to: str | None = None) -> Iterator[CameraServer]:
    """Serve an MJPEG camera on 127.0.0.1 (or another loopback ``host``) until the block
    ends.

    ``size`` is (width, height) in pixels; ``delay_s`` holds every answer back that long
    (to make concurrent requests overlap for certain). With ``redirect_to`` every request
    is answered 302 to that URL instead (counted all the same).
    """
    server = _CameraServer(fps=fps, size=size, text=text, delay_s=delay_s, host=host,
                           redirect_to=redirect_to)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="test-camera", daemon=True)
    thread.start()
    try:
        yield CameraServer(server)
    finally:
        server.stopping.set()
        server.shutdown()
        thread.join()
        server.server_close()


class BlackHole:
    """What :func:`serve_black_hole` yields: a listener that accepts and never answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}/stream.mjpg"
        self.rtsp_url = f"rtsp://{HOST}:{port}/live"
        self.connected = threading.Event()
        self._lock = threading.Lock()
        self._accepted = 0

    @property
    def accepted(self) -> int:
        """How many connections were accepted so far."""
        with self._lock:
            return self._accepted

    def _note_connection(self) -> None:
        with self._lock:
            self._accepted += 1
        self.connected.set()


@contextmanager
def serve_black_hole() -> Iterator[BlackHole]:
    """Accept TCP connections on 127.0.0.1 and never send a byte until the block ends.

    On exit every accepted connection is closed, so a client still stuck on one sees the
    end of the stream and gives up.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(16)
    listener.settimeout(0.05)
    hole = BlackHole(listener.getsockname()[1])
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)
            hole._note_connection()

    thread = threading.Thread(target=accept_forever, name="black-hole", daemon=True)
    thread.start()
    try:
        yield hole
    finally:
        stop.set()
        thread.join()
        listener.close()
        for connection in held:
            connection.close()


def dead_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a port just freed by the kernel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    return f"http://{HOST}:{port}/stream.mjpg"


def write_test_video(path: Path, *, frames: int = 10, size: tuple[int, int] = (320, 240),
                     fps: float = 5.0) -> Path:
    """Write ``frames`` test frames of ``size`` (width, height) as MJPG in an AVI file.

    ``frames=0`` writes a valid container with no frame in it.
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    try:
        assert writer.isOpened(), f"cv2.VideoWriter cannot write {path}"
        for index in range(frames):
            writer.write(draw_frame(index, size=size, text="FILE"))
    finally:
        writer.release()
    return path

