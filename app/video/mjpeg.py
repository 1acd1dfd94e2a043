"""Live video as MJPEG, for browsers that play no HLS (no Media Source Extensions and no
native HLS): ``GET /api/v1/cameras/ID/live.mjpeg``, a ``multipart/x-mixed-replace``
answer an ``<img>`` shows frame after frame.

Served by the front from its event loop (a long answer must not hold a request worker;
see ``app.serving.front``), built on the camera's HLS conversion rather than a second
connection to the camera:

- the viewer is asked about as the app asks: the front GETs ``/api/v1/cameras/ID/live``
  with the viewer's cookies, so the role check, the stream fence, the conversion cap and
  the audited view (``camera.live_view``) are the app's own, and a refusal is relayed as
  the app worded it;
- the front then reads the conversion's playlist (with the view: its end moves on, as
  hls.js's requests move it) and each new segment through the app, starting from the
  newest, and pipes them into an FFmpeg of this stream's own (``-re``: frames come out
  at the video's pace) that writes JPEGs (:data:`MjpegSettings.fps` a second, at most
  :data:`MjpegSettings.max_lines` lines) in FFmpeg's ``mpjpeg`` multipart form;
- the stream ends when the viewer goes, when the playlist is gone (the conversion
  stopped) or refused (signed out, role changed), or when FFmpeg ends. At most
  ``GRIDPATROL_LIVE_MAX_MJPEG`` streams at once per front (503 ``live_busy`` beyond):
  each decodes its camera, which HLS viewers never make the server do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
from dataclasses import dataclass

from aiohttp import web

from app.serving.proxy import Upstream, json_error
from app.video.hls import SEGMENT_NAME

logger = logging.getLogger(__name__)

MJPEG_PATH = r"/api/v1/cameras/{camera_id:[0-9]{1,10}}/live.mjpeg"
BOUNDARY = "gridpatrolframe"
KEEP_NAMES = 32
POLL_S = 0.3
READ_BYTES = 256 * 1024


@dataclass(frozen=True)
class MjpegSettings:
    """How many MJPEG streams at once, and their frames."""

    max_streams: int = 8
    fps: float = 5.0
    max_lines: int = 480
    quality: int = 7  # FFmpeg's -q:v for MJPEG: 2 (best) … 31


def mjpeg_command(settings: MjpegSettings) -> list[str]:
    """FFmpeg reading MPEG-TS segments on stdin, writing multipart JPEGs on stdout."""
    return [shutil.which("ffmpeg") or "ffmpeg", "-hide_banner", "-loglevel", "error",
            "-re", "-f", "mpegts", "-i", "pipe:0", "-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", f"fps={settings.fps:g},scale=-2:'min({settings.max_lines},ih)'",
            "-q:v", str(settings.quality), "-f", "mpjpeg", "-boundary_tag", BOUNDARY,
            "pipe:1"]


def playlist_segments(text: str) -> list[str]:
    """The segment names an HLS playlist lists, in order (anything else ignored)."""
    return [line.strip() for line in text.splitlines()
            if SEGMENT_NAME.match(line.strip())]


def new_segments(listed: list[str], sent: list[str]) -> list[str]:
    """What to send next: the newest segment to begin with, then every one not sent."""
    if not sent:
        return listed[-1:]
    return [name for name in listed if name not in sent]


class MjpegStreams:
    """The front's MJPEG streams: their count, and each one's serving."""

    def __init__(self, upstream: Upstream, settings: MjpegSettings) -> None:
        self.upstream = upstream
        self.settings = settings
        self.active = 0

    async def serve(self, request: web.Request) -> web.StreamResponse:
        camera_id = int(request.match_info["camera_id"])
        if self.active >= self.settings.max_streams:
            signed_in = await self.upstream.authorize(request)  # no view, no side effect
            if isinstance(signed_in, web.Response):
                return signed_in  # not signed in: said so, not that the server is busy
            return json_error(503, "live_busy", f"The server shows {self.active} live MJPEG "
                              "streams, as many as it may (GRIDPATROL_LIVE_MAX_MJPEG); try "
                              "again when a viewer leaves.", {"Retry-After": "10"})
        self.active += 1
        try:
            return await self._serve(request, camera_id)
        finally:
            self.active -= 1

    async def _serve(self, request: web.Request, camera_id: int) -> web.StreamResponse:
        status, body = await self.upstream.fetch(request, f"/api/v1/cameras/{camera_id}/live")
        if status != 200:
            return web.Response(status=status, body=body, content_type="application/json")
        try:
            playlist = str(json.loads(body)["playlist"])
        except (ValueError, KeyError, TypeError):
            return json_error(502, "app_unavailable", "The application server's answer "
                              "could not be read.")
        process = await asyncio.create_subprocess_exec(
            *mjpeg_command(self.settings), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        response = web.StreamResponse(headers={
            "Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}",
            "Cache-Control": "no-cache, no-store", "X-Content-Type-Options": "nosniff"})
        response.force_close()
        feeder = asyncio.create_task(self._feed(request, process, playlist),
                                     name=f"mjpeg-feed-{camera_id}")
        try:
            await response.prepare(request)
            assert process.stdout is not None
            while chunk := await process.stdout.read(READ_BYTES):
                await response.write(chunk)
        except (ConnectionError, TimeoutError):
            pass  # the viewer went away
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeder
            if process.returncode is None:
                process.kill()
            await process.wait()
        return response

    async def _feed(self, request: web.Request, process: asyncio.subprocess.Process,
                    playlist: str) -> None:
        """Pipe the conversion's segments into FFmpeg as they come, until the playlist is
        gone or refused; then close FFmpeg's input (it ends, and so does the stream)."""
        assert process.stdin is not None
        base = playlist.split("?", 1)[0].rsplit("/", 1)[0] + "/"
        sent: list[str] = []
        try:
            while True:
                status, text = await self.upstream.fetch(request, playlist)
                if status != 200:
                    return
                todo = new_segments(playlist_segments(text.decode("utf-8", "replace")), sent)
                for name in todo:
                    status, data = await self.upstream.fetch(request, base + name)
                    sent.append(name)
                    if status == 200:
                        process.stdin.write(data)
                        await process.stdin.drain()
                del sent[:-KEEP_NAMES]
                await asyncio.sleep(POLL_S)
        except (ConnectionError, BrokenPipeError):
            return  # FFmpeg ended
        finally:
            with contextlib.suppress(ConnectionError, BrokenPipeError, RuntimeError):
                process.stdin.close()
