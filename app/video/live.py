"""Live video: a camera's stream turned into HLS by FFmpeg, one conversion per camera
however many people watch, shared by every server process through the disk.

Each conversion lives in ``instance/live/camera-<id>/``: ``index.m3u8`` and its ``.ts``
segments (FFmpeg's HLS muxer: 1 s target segments, the last 6 kept, the playlist written
atomically), ``lock`` (held with ``flock`` by the FFmpeg process itself: the conversion
runs exactly as long as that lock is held, whichever process started it), ``pid``,
``seen`` (touched by every playlist and segment request, from any process) and
``ffmpeg.log``. So the gunicorn workers of ``gridpatrol serve`` (or several app servers on
one host) share conversions without talking to each other:

- a viewer asking for a camera whose lock is held joins the running conversion;
- otherwise, under a host-wide start lock, the number of held locks is counted against
  the cap (``GRIDPATROL_LIVE_MAX_CONVERSIONS``; beyond it :class:`LiveBusy`) and FFmpeg is
  started, holding the camera's lock;
- every process runs a reaper (a thread, every few seconds): a conversion whose ``seen``
  is older than ``GRIDPATROL_LIVE_IDLE_S`` (30 s) is stopped (SIGTERM to the pid whose
  command line names that folder), and folders of ended conversions are emptied.

H.264 sources are remuxed (``-c:v copy``: no decoding, a few percent of a core); any
other codec is transcoded to H.264 (``libx264 veryfast zerolatency``, at most 720 lines).
The codec is the one the last health check saw; when there is none the stream is tried
as H.264 and, if its first segment says otherwise (or it cannot be copied), started again
transcoding — no separate probe opens the stream first. Audio is dropped. Files
(recordings under the media folder) loop at their own pace. The stream fence is asked
right before FFmpeg connects, as for snapshots.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from app.cameras.fence import StreamFence, StreamRefused
from app.cameras.frame_grabber import UnsupportedStreamError, capture_source, redact_url
from app.video.hls import PLAYLIST, SEGMENT_NAME

logger = logging.getLogger(__name__)

REAP_EVERY_S = 5.0


class LiveBusy(ValueError):
    """Every live conversion slot is taken."""


class LiveRefused(ValueError):
    """The stream fence (or the URL's form) refused the camera's stream."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class LiveFailed(ValueError):
    """FFmpeg could not make the first segment in time (the camera's answer in ``detail``)."""


@dataclass(frozen=True)
class LiveSettings:
    """Where conversions live, how many may run, when an unwatched one stops, how long a
    start may take."""

    root: Path
    max_conversions: int = 16
    idle_s: float = 30.0
    start_timeout_s: float = 10.0
    open_timeout_s: float = 5.0


@dataclass(frozen=True)
class Conversion:
    """A running conversion: its folder, whether this call started it, copy or transcode."""

    camera_id: int
    folder: Path
    started: bool
    mode: str


def hls_command(source: str, folder: Path, *, mode: str, is_file: bool, rtsp: bool,
                open_timeout_s: float) -> list[str]:
    """FFmpeg's command line for one conversion."""
    before: list[str] = []
    if rtsp:  # 1 s of stream is enough to know an IP camera's codec and size
        before = ["-rtsp_transport", "tcp", "-timeout", str(int(open_timeout_s * 1e6)),
                  "-analyzeduration", "1000000", "-probesize", "1000000"]
    if is_file:
        before = ["-re", "-stream_loop", "-1"]
    video = (["-c:v", "copy"] if mode == "copy" else
             ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
              "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
              "-vf", "scale=-2:'min(720,ih)'"])
    return [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-hide_banner", "-loglevel",
            "warning", "-fflags", "+genpts", *before, "-i", source, "-map", "0:v:0", "-an",
            "-sn", "-dn", *video, "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_flags", "delete_segments+omit_endlist+independent_segments+temp_file",
            "-hls_segment_filename", str(folder / "seg-%06d.ts"), str(folder / PLAYLIST)]


def probe_codec(source: str, *, rtsp: bool, timeout_s: float) -> str | None:
    """The video codec FFmpeg's probe finds (``h264``, ``hevc``, ``mjpeg`` …), or None."""
    command = [shutil.which("ffprobe") or "ffprobe", "-v", "error", "-select_streams", "v:0",
               "-show_entries", "stream=codec_name", "-of", "csv=p=0"]
    if rtsp:
        command += ["-rtsp_transport", "tcp", "-timeout", str(int(timeout_s * 1e6))]
    try:
        done = subprocess.run([*command, source], capture_output=True, text=True,
                              timeout=timeout_s + 2, check=False)
    except subprocess.TimeoutExpired:
        return None
    codec = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    return codec or None


class LiveConversions:
    """The conversions of one host (see the module docstring); one object per process."""

    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings
        settings.root.mkdir(parents=True, exist_ok=True, mode=0o750)
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._tentative: dict[int, tuple[str, bool, bool]] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # -- on disk -------------------------------------------------------------------------

    def folder(self, camera_id: int) -> Path:
        return self.settings.root / f"camera-{camera_id}"

    def running(self, camera_id: int) -> bool:
        """Whether a conversion holds the camera's lock (in any process)."""
        lock = self.folder(camera_id) / "lock"
        if not lock.exists():
            return False
        with open(lock, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def running_cameras(self) -> list[int]:
        found = []
        for folder in self.settings.root.glob("camera-*"):
            suffix = folder.name.removeprefix("camera-")
            if suffix.isdigit() and self.running(int(suffix)):
                found.append(int(suffix))
        return sorted(found)

    def touch(self, camera_id: int) -> None:
        """A viewer is still there (every playlist and segment request)."""
        seen = self.folder(camera_id) / "seen"
        with suppress(FileNotFoundError):
            seen.touch()

    def file(self, camera_id: int, name: str) -> Path | None:
        """The playlist or a segment of a running conversion, if it is there."""
        if name != PLAYLIST and not SEGMENT_NAME.match(name):
            return None
        path = self.folder(camera_id) / name
        return path if path.is_file() and self.running(camera_id) else None

    def newest_segment(self, camera_id: int) -> Path | None:
        """The newest whole segment of a running conversion (FFmpeg writes each under a
        temporary name and renames it when done), or None."""
        if not self.running(camera_id):
            return None
        names = sorted(p for p in self.folder(camera_id).glob("seg-*.ts")
                       if SEGMENT_NAME.match(p.name))
        return names[-1] if names else None

    # -- starting ------------------------------------------------------------------------

    @contextmanager
    def _start_lock(self) -> Iterator[None]:
        with open(self.settings.root / ".start.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure(self, camera_id: int, url: str, *, fence: StreamFence,
               codec: str | None) -> Conversion:
        """Join the camera's conversion or start it (see the module docstring).

        Raises
        ------
        LiveRefused
            The URL is not one the server reads, or the fence refused it.
        LiveBusy
            Every slot is taken.
        """
        self._start_reaper()
        folder = self.folder(camera_id)
        if self.running(camera_id):
            self.touch(camera_id)
            return Conversion(camera_id, folder, False, "running")
        try:
            capture_source(url)
            target = fence.check(url)
        except UnsupportedStreamError as exc:
            raise LiveRefused("scheme", str(exc)) from None
        except StreamRefused as exc:
            raise LiveRefused(exc.rule, exc.message) from None
        source = str(target.path) if target.path is not None else target.pinned_url()
        rtsp = target.scheme in ("rtsp", "rtsps")
        # an unknown codec is tried as H.264 (most cameras): wait_ready checks the first
        # segment and falls back to transcoding, so no separate probe opens the stream
        mode = "transcode" if codec not in (None, "h264") else "copy"
        with self._start_lock():
            if self.running(camera_id):  # another viewer started it meanwhile
                self.touch(camera_id)
                return Conversion(camera_id, folder, False, "running")
            if len(self.running_cameras()) >= self.settings.max_conversions:
                raise LiveBusy(f"all {self.settings.max_conversions} live conversions are in "
                               "use")
            self._start(camera_id, source, mode=mode, is_file=target.path is not None,
                        rtsp=rtsp)
            if codec is None:
                with self._guard:
                    self._tentative[camera_id] = (source, target.path is not None, rtsp)
        logger.info("live: camera %d started (%s%s) from %s", camera_id, mode,
                    "?" if codec is None else "", redact_url(url))
        return Conversion(camera_id, folder, True, mode)

    def _start(self, camera_id: int, source: str, *, mode: str, is_file: bool,
               rtsp: bool) -> None:
        folder = self.folder(camera_id)
        self._clear(folder)
        self._spawn(camera_id, folder, hls_command(
            source, folder, mode=mode, is_file=is_file, rtsp=rtsp,
            open_timeout_s=self.settings.open_timeout_s))

    def _clear(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        for leftover in folder.iterdir():
            if leftover.name != "lock" and leftover.is_file():
                leftover.unlink(missing_ok=True)

    def _spawn(self, camera_id: int, folder: Path, command: list[str]) -> None:
        lock = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            (folder / "seen").touch()
            with open(folder / "ffmpeg.log", "wb") as log:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=log,
                                           pass_fds=(lock,), start_new_session=True)
        finally:
            os.close(lock)  # FFmpeg holds the lock now (the same open file)
        (folder / "pid").write_text(str(process.pid))
        with self._guard:
            self._children[camera_id] = process

    def wait_ready(self, camera_id: int) -> str:
        """Wait until the playlist names a first segment; return the mode it runs in.

        A conversion started as a guess (the codec unknown, tried as H.264 copied) whose
        stream turns out not to be H.264 — its first segment holds another codec, or
        FFmpeg could not copy it at all — is started again, transcoding.

        Raises
        ------
        LiveFailed
            FFmpeg ended, or nothing came within ``start_timeout_s``.
        """
        deadline = time.monotonic() + self.settings.start_timeout_s
        with self._guard:
            guess = self._tentative.pop(camera_id, None)
        mode = "copy" if guess is not None else ""
        if self._first_segment(camera_id, deadline):
            if guess is None or self._segment_codec(camera_id) == "h264":
                return mode or "copy"
        elif guess is None:
            self._fail(camera_id)
        logger.info("live: camera %d is not H.264; transcoding", camera_id)
        self.stop(camera_id)
        source, is_file, rtsp = guess  # type: ignore[misc]
        with self._start_lock():
            self._start(camera_id, source, mode="transcode", is_file=is_file, rtsp=rtsp)
        if not self._first_segment(camera_id, deadline):
            self._fail(camera_id)
        return "transcode"

    def _first_segment(self, camera_id: int, deadline: float) -> bool:
        playlist = self.folder(camera_id) / PLAYLIST
        while time.monotonic() < deadline:
            if playlist.is_file() and "#EXTINF" in playlist.read_text(errors="replace"):
                return True
            if not self.running(camera_id):
                return False
            time.sleep(0.05)
        return False

    def _segment_codec(self, camera_id: int) -> str | None:
        """The codec of the conversion's first segment (a local file: instant)."""
        names = sorted(self.folder(camera_id).glob("seg-*.ts"))
        return probe_codec(str(names[0]), rtsp=False, timeout_s=5) if names else None

    def _fail(self, camera_id: int) -> None:
        detail = self.failure_detail(camera_id)
        self.stop(camera_id)
        raise LiveFailed(detail or f"no video within {self.settings.start_timeout_s:g} s")

    def failure_detail(self, camera_id: int) -> str:
        """The last line of FFmpeg's log, without URLs or paths."""
        log = self.folder(camera_id) / "ffmpeg.log"
        try:
            lines = [line for line in log.read_text(errors="replace").splitlines() if line]
        except FileNotFoundError:
            return ""
        if not lines:
            return ""
        cleaned = re.sub(r"\b[a-z][a-z0-9+.-]*://\S+", "(stream)", lines[-1])
        return re.sub(r"/\S+", "(path)", cleaned).strip()[:200]

    # -- stopping ------------------------------------------------------------------------

    def stop(self, camera_id: int) -> bool:
        """Stop the camera's conversion (whichever process started it)."""
        folder = self.folder(camera_id)
        try:
            pid = int((folder / "pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return False
        stopped = False
        if self.running(camera_id) and _is_our_ffmpeg(pid, folder):
            try:
                os.kill(pid, signal.SIGTERM)
                stopped = True
            except ProcessLookupError:
                pass
        with self._guard:
            child = self._children.pop(camera_id, None)
        if child is not None:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return stopped

    def reap_idle(self, now: float | None = None) -> list[int]:
        """Stop conversions nobody watched for ``idle_s``; reap ended children; empty the
        folders of ended conversions. Returns the cameras stopped."""
        now = time.time() if now is None else now
        stopped = []
        for camera_id in self.running_cameras():
            try:
                seen = (self.folder(camera_id) / "seen").stat().st_mtime
            except FileNotFoundError:
                seen = 0.0
            if now - seen > self.settings.idle_s and self.stop(camera_id):
                stopped.append(camera_id)
                logger.info("live: camera %d stopped (no viewer for %.0f s)", camera_id,
                            now - seen)
        with self._guard:
            ended = [c for c, p in self._children.items() if p.poll() is not None]
            for camera_id in ended:
                self._children.pop(camera_id)
        running = set(self.running_cameras())
        for folder in self.settings.root.glob("camera-*"):
            suffix = folder.name.removeprefix("camera-")
            if suffix.isdigit() and int(suffix) not in running:
                self._clear(folder)  # an ended conversion's segments go
        return stopped

    def _start_reaper(self) -> None:
        with self._guard:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self._reap_forever, name="live-reaper",
                                            daemon=True)
            self._reaper.start()

    def _reap_forever(self) -> None:
        while not self._stop.wait(REAP_EVERY_S):
            try:
                self.reap_idle()
            except OSError:
                logger.exception("live: reaping failed")

    def close(self) -> None:
        """Stop the reaper and every conversion this process started (tests, shutdown)."""
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(timeout=REAP_EVERY_S + 1)
        with self._guard:
            mine = list(self._children)
        for camera_id in mine:
            self.stop(camera_id)


def _is_our_ffmpeg(pid: int, folder: Path) -> bool:
    """Whether ``pid`` is an FFmpeg writing into ``folder`` (never signal a stranger)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(str(folder).encode() in part for part in command)
