"""The labelled camera-health test set, made at test time: one street-like source clip
drawn here and encoded by FFmpeg, and from it, with FFmpeg's filters, one clip per fault a
video-quality diagnosis must find (freeze, black, blur, noise, colour cast, corrupted
packets, a box over the lens, the view shifted or rotated), a clean clip that turns to
night, and clean clips of other streets.

Nothing is downloaded: the scene is drawn with numpy and OpenCV (sky, façades with
windows, a road with lane marks, parked and moving cars, people, trees, sensor noise), and
FFmpeg (Debian's, on PATH) encodes it as H.264.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SIZE = (640, 360)
FPS = 10
SECONDS = 4.0
FFMPEG = shutil.which("ffmpeg") or "ffmpeg"


@dataclass(frozen=True)
class Clip:
    """One clip of the set: its file and the faults it must be found to have (none for a
    clean one); ``hour``: the local hour of day it stands for."""

    name: str
    path: Path
    faults: frozenset[str]
    hour: int = 12


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class Street:
    """The still parts of one street scene, drawn once; :meth:`frame` adds what moves."""

    background: np.ndarray
    windows: list[tuple[int, int, int, int]]
    lamps: list[tuple[int, int]]
    road_top: int
    seed: int

    @classmethod
    def draw(cls, seed: int, size: tuple[int, int] = SIZE) -> Street:
        rng = _rng(seed)
        width, height = size
        frame = np.zeros((height, width, 3), np.float32)
        horizon = int(height * rng.uniform(0.35, 0.45))
        for y in range(horizon):  # sky: a vertical gradient
            t = y / max(horizon, 1)
            frame[y, :] = (235 - 50 * t, 200 - 30 * t, 150 - 10 * t)
        frame[horizon:, :] = (90, 95, 100)  # pavement
        road_top = horizon + int((height - horizon) * 0.35)
        cv2.fillPoly(frame, [np.array([(int(width * 0.3), road_top), (int(width * 0.7), road_top),
                                       (width, height), (0, height)], np.int32)],
                     (70, 72, 75))
        for k in range(8):  # lane marks
            y0 = road_top + k * (height - road_top) // 8
            cv2.line(frame, (width // 2, y0), (width // 2, y0 + (height - road_top) // 16),
                     (220, 220, 220), 2 + k // 3)
        windows = []
        x = 0
        while x < width:  # façades along the horizon
            w = int(rng.uniform(60, 140))
            h = int(rng.uniform(0.5, 1.0) * horizon) + int(height * 0.12)
            colour = tuple(float(c) for c in rng.uniform(60, 200, 3))
            top = horizon + int(height * 0.12) - h
            cv2.rectangle(frame, (x, top), (x + w - 2, horizon + int(height * 0.12)), colour,
                          -1)
            for wy in range(top + 8, horizon + int(height * 0.1) - 10, 18):
                for wx in range(x + 6, x + w - 14, 16):
                    windows.append((wx, wy, 9, 11))
                    cv2.rectangle(frame, (wx, wy), (wx + 9, wy + 11), (50, 45, 40), -1)
            x += w
        for _ in range(int(rng.integers(2, 5))):  # trees
            cx = int(rng.uniform(0, width))
            cy = horizon + int(height * 0.1)
            cv2.rectangle(frame, (cx - 3, cy - 10), (cx + 3, cy + 25), (40, 60, 80), -1)
            cv2.circle(frame, (cx, cy - 20), int(rng.uniform(14, 26)), (40, 110, 50), -1)
        for _ in range(int(rng.integers(2, 4))):  # parked cars
            cx = int(rng.uniform(20, width - 80))
            cy = road_top + int(rng.uniform(5, 40))
            colour = tuple(float(c) for c in rng.uniform(30, 220, 3))
            cv2.rectangle(frame, (cx, cy), (cx + 60, cy + 24), colour, -1)
            cv2.rectangle(frame, (cx + 12, cy - 10), (cx + 46, cy), colour, -1)
        lamps = [(int(width * f), horizon - 10) for f in (0.15, 0.5, 0.85)]
        for lx, ly in lamps:
            cv2.line(frame, (lx, ly), (lx, road_top), (50, 50, 55), 3)
        texture = rng.normal(0, 6, (height, width, 1)).astype(np.float32)
        frame += cv2.GaussianBlur(texture, (0, 0), 1.2)[..., None]  # surface texture
        return cls(frame, windows, lamps, road_top, seed)

    def frame(self, index: int, *, night: float = 0.0) -> np.ndarray:
        """Frame ``index``: cars and people moved on, sensor noise, ``night`` from 0 (day)
        to 1 (street lamps and lit windows only)."""
        rng = _rng(self.seed * 100_003 + index)
        frame = self.background.copy()
        height, width = frame.shape[:2]
        for lane, (speed, colour) in enumerate(((9, (30, 30, 160)), (-7, (160, 150, 40)))):
            x = (index * speed + lane * 211) % (width + 120) - 60
            y = self.road_top + 40 + lane * 45
            cv2.rectangle(frame, (x, y), (x + 80, y + 32), colour, -1)
            cv2.rectangle(frame, (x + 15, y - 14), (x + 62, y), colour, -1)
            cv2.circle(frame, (x + 18, y + 32), 7, (15, 15, 15), -1)
            cv2.circle(frame, (x + 62, y + 32), 7, (15, 15, 15), -1)
        for person in range(3):
            px = (index * (2 + person) + person * 157) % width
            py = self.road_top - 30 + person * 6
            cv2.rectangle(frame, (px, py), (px + 6, py + 22), (60, 40, 90 + 40 * person), -1)
        if night > 0:
            dark = frame * (1 - 0.8 * night)
            glow = np.zeros_like(frame)
            for lx, ly in self.lamps:
                cv2.circle(glow, (lx, ly), 60, (60, 140, 220), -1)
            glow = cv2.GaussianBlur(glow, (0, 0), 25) * night
            for i, (wx, wy, ww, wh) in enumerate(self.windows):
                if (i * 7919 + self.seed) % 3 == 0:
                    cv2.rectangle(dark, (wx, wy), (wx + ww, wy + wh),
                                  (120 * night, 200 * night, 230 * night), -1)
            frame = dark + glow
        noise_sigma = 2.0 + 3.0 * night
        frame += rng.normal(0, noise_sigma, frame.shape).astype(np.float32)
        return np.clip(frame, 0, 255).astype(np.uint8)


def encode(frames: Iterator[np.ndarray], path: Path, *, fps: int = FPS,
           size: tuple[int, int] = SIZE, gop: int = FPS) -> Path:
    """Encode BGR frames as H.264 (yuv420p) in an MP4 file with FFmpeg."""
    width, height = size
    with subprocess.Popen(
            [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
             "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0",
             "-c:v", "libx264", "-preset", "veryfast", "-tune", "film", "-g", str(gop), "-bf", "0",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdin is not None
        for frame in frames:
            process.stdin.write(np.ascontiguousarray(frame).tobytes())
        process.stdin.close()
        error = process.stderr.read() if process.stderr else b""
        code = process.wait(timeout=120)
    assert code == 0, error.decode(errors="replace")
    return path


def street_clip(path: Path, *, seed: int, night: float | tuple[float, float] = 0.0,
                seconds: float = SECONDS, size: tuple[int, int] = SIZE,
                first_frame: int = 0, fps: int = FPS) -> Path:
    """A clean street clip from frame ``first_frame`` on (a later moment of the same
    street: the cars and people elsewhere); ``night`` a level, or (start, end) to turn
    from one to the other over the clip."""
    street = Street.draw(seed, size)
    count = int(seconds * fps)
    start, end = (night, night) if isinstance(night, int | float) else night
    return encode((street.frame(first_frame + i,
                                night=start + (end - start) * i / max(count - 1, 1))
                   for i in range(count)), path, size=size, fps=fps, gop=2 * fps)


def ffmpeg_filter(source: Path, target: Path, *args: str,
                  before: tuple[str, ...] = ()) -> Path:
    """Re-encode ``source`` through FFmpeg options ``args`` (a filter, a bitstream filter);
    ``before``: options of the input."""
    done = subprocess.run([FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                           *before, "-i", str(source), *args, str(target)],
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return target


H264 = ("-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS), "-bf", "0", "-pix_fmt", "yuv420p")


def corrupt_packets(source: Path, target: Path, *, every_bytes: int = 400,
                    seed: int = 7) -> Path:
    """Flip bytes inside the H.264 slices of ``source`` as a lossy link would (parameter
    sets and the first key frame are left intact, so the stream still opens), in an
    MPEG-TS file (no index to break)."""
    raw = target.with_suffix(".h264")
    ffmpeg_filter(source, raw, "-c:v", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264")
    data = bytearray(raw.read_bytes())
    rng = _rng(seed)
    starts = [i for i in range(len(data) - 4) if data[i:i + 3] == b"\x00\x00\x01"]
    slices = [s for s in starts if data[s + 3] & 0x1F == 1]  # non-IDR slices
    for begin, end in zip(slices, [*slices[1:], len(data)], strict=True):
        for offset in range(begin + 12, end - 4, every_bytes):
            offset += int(rng.integers(0, every_bytes // 2))
            if offset < end - 4:
                data[offset] ^= 0xFF
    raw.write_bytes(bytes(data))
    out = ffmpeg_filter(raw, target, "-c:v", "copy", "-f", "mpegts",
                        before=("-fflags", "+genpts", "-r", str(FPS), "-f", "h264"))
    raw.unlink()
    return out


def warm_up_clips(folder: Path, *, seed: int = 1, count: int = 3) -> list[Clip]:
    """Clean clips of the camera at other moments of the day band (what its first
    checks saw: its baseline and reference are learnt from them)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Clip(f"warm-up-{n}", street_clip(folder / f"warm-up-{n}.mp4", seed=seed,
                                             first_frame=300 + 97 * n), frozenset())
            for n in range(count)]


def labelled_set(folder: Path, *, seed: int = 1) -> tuple[Clip, list[Clip]]:
    """The source clip of one camera (clean, at noon) and the labelled clips made from
    it (the source among them); clean clips of other streets are
    :func:`other_streets`, the camera's earlier checks :func:`warm_up_clips`."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = street_clip(folder / "clean.mp4", seed=seed)
    reference = Clip("clean", clean, frozenset())
    width, height = SIZE

    def made(name: str, faults: set[str], *args: str, hour: int = 12) -> Clip:
        return Clip(name, ffmpeg_filter(clean, folder / f"{name}.mp4", *args), frozenset(faults),
                    hour)

    clips = [
        reference,
        made("freeze", {"frozen"}, "-vf", "select='eq(n,3)',loop=loop=39:size=1:start=0,"
             f"setpts=N/{FPS}/TB", "-r", str(FPS), *H264),
        made("black", {"black"}, "-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=black@1:t=fill,"
             "noise=alls=3:allf=t", *H264),
        made("blur", {"blurred"}, "-vf", "gblur=sigma=5", *H264),
        made("noise", {"noise"}, "-vf", "noise=alls=70:allf=t+u", *H264),
        made("colour_cast", {"colour_cast"}, "-vf",
             "colorchannelmixer=rr=0.35:gg=1.0:bb=0.35:gr=0.2:gb=0.2", *H264),
        Clip("corrupted", corrupt_packets(clean, folder / "corrupted.ts"),
             frozenset({"corrupted"})),
        made("covered", {"covered"}, "-vf",
             "drawbox=x=0:y=0:w=iw*0.75:h=ih:color=0x1a1a1a@1:t=fill", *H264),
        made("shifted", {"moved"}, "-vf",
             f"crop=iw*0.8:ih*0.8:iw*0.2:ih*0.12,scale={width}:{height}", *H264),
        made("rotated", {"moved"}, "-vf", "rotate=9*PI/180:fillcolor=0x505050", *H264),
        Clip("night", street_clip(folder / "night.mp4", seed=seed, night=1.0), frozenset(),
             hour=23),
        Clip("to-night", street_clip(folder / "to-night.mp4", seed=seed, night=(0.0, 1.0)),
             frozenset(), hour=18),
    ]
    return reference, clips


def other_streets(folder: Path, seeds: tuple[int, ...] = (2, 3, 4)) -> list[Clip]:
    """Clean clips of other streets, by day and by night."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for seed in seeds:
        clips.append(Clip(f"street-{seed}", street_clip(folder / f"street-{seed}.mp4",
                                                        seed=seed), frozenset()))
        clips.append(Clip(f"street-{seed}-night",
                          street_clip(folder / f"street-{seed}-night.mp4", seed=seed,
                                      night=0.9), frozenset(), hour=2))
    return clips


def frozen_street(folder: Path, *, seed: int = 1, seconds: float = 8.0) -> Path:
    """A street whose picture froze (one frame repeated), as an H.264 Matroska file that
    the test RTSP server (tests/rtsp_camera.py) serves."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = street_clip(folder / f"street-{seed}.mp4", seed=seed, seconds=seconds)
    count = int(seconds * FPS)
    return ffmpeg_filter(clean, folder / f"street-{seed}-frozen.mkv", "-vf",
                         f"select='eq(n,3)',loop=loop={count - 1}:size=1:start=0,"
                         f"setpts=N/{FPS}/TB", "-r", str(FPS), *H264)


def moving_street(folder: Path, *, seed: int = 2, seconds: float = 8.0) -> Path:
    """A clean street (things move) as an H.264 Matroska file for the test RTSP server."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = street_clip(folder / f"street-{seed}.mp4", seed=seed, seconds=seconds)
    return ffmpeg_filter(clean, folder / f"street-{seed}.mkv", "-c:v", "copy")
