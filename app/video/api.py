"""Live video over the API: start (or join) a camera's HLS conversion, serve its playlist
and segments, and list who watched what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_login import current_user

from app import audit
from app.api import bp
from app.api.docs import DATE_TIME, Answer, Param, documented, json_object
from app.auth.access import VIDEO_OPERATORS, allow
from app.cameras.snapshots import stream_fence
from app.db import get_session
from app.errors import RecordNotFound, Unavailable
from app.models import Camera
from app.video import conversions, repository
from app.video.hls import PLAYLIST
from app.video.live import LiveBusy, LiveFailed, LiveRefused

CAMERA_ID = Param("camera_id", "camera id", location="path", type="integer")
FILE_NAME = Param("name", "index.m3u8, or a segment the playlist names (seg-NNNNNN.ts)",
                  location="path", schema={"pattern": r"^(index\.m3u8|seg-[0-9]{6}\.ts)$"})
HLS = "application/vnd.apple.mpegurl"
LIVE = json_object(
    ("camera_id", "view_id", "playlist", "mode", "started"),
    camera_id={"type": "integer"}, view_id={"type": "integer"}, playlist={"type": "string"},
    mode={"enum": ["copy", "transcode", "running"]}, started={"type": "boolean"},
    idle_s={"type": "number"})
VIEW = json_object(("id", "camera_id", "username", "started_at", "last_seen_at"),
                   id={"type": "integer"}, camera_id={"type": "integer"},
                   username={"type": "string"}, started_at=DATE_TIME, last_seen_at=DATE_TIME,
                   seconds={"type": "number"}, client={"type": ["string", "null"]})


@bp.get("/cameras/<int:camera_id>/live")
@allow(*VIDEO_OPERATORS)
@documented("Watch a camera live: its stream is converted to HLS by FFmpeg on the server "
            "(remuxed when it is H.264, transcoded otherwise), one conversion per camera "
            "however many watch, stopped 30 s after the last viewer; the answer names the "
            "playlist for hls.js. Every view is kept (who, which camera, from when to "
            "when: GET /api/v1/live-views) and audited", tag="video", params=(CAMERA_ID,),
            responses={200: Answer("{camera_id, view_id, playlist, mode, started}",
                                   schema=LIVE),
                       404: "No camera, or it has no stream",
                       503: "live_busy: every conversion slot is taken (Retry-After); "
                            "camera_offline: no video in time; stream_refused: the URL is "
                            "outside the stream fence"})
def start_live(camera_id: int) -> dict[str, Any]:
    session = get_session()
    camera = session.get(Camera, camera_id)
    if camera is None or not camera.stream_url:
        raise RecordNotFound(f"Camera {camera_id} has no stream.", field="camera_id")
    live = conversions()
    try:
        conversion = live.ensure(camera_id, camera.stream_url, fence=stream_fence(),
                                 codec=repository.stream_codec(session, camera_id))
        mode = live.wait_ready(camera_id) if conversion.started else conversion.mode
    except LiveBusy as exc:
        raise Unavailable(f"{exc}; try again when a viewer leaves (GRIDPATROL_LIVE_MAX_"
                          "CONVERSIONS).", code="live_busy", extra={"retry_after_s": 10}
                          ) from None
    except LiveRefused as exc:
        raise Unavailable(f"Camera {camera_id}'s stream URL is outside the stream fence "
                          f"(rule: {exc.rule}); nothing was fetched.",
                          code="stream_refused") from None
    except LiveFailed as exc:
        raise Unavailable(f"Camera {camera_id} gave no video: {exc}", code="camera_offline"
                          ) from None
    now = datetime.now(UTC)
    view = repository.start_view(session, camera_id, user_id=current_user.id,
                                 username=current_user.username, at=now,
                                 client=request.remote_addr)
    audit.record(session, "camera.live_view", object_type="camera", object_id=camera_id,
                 details={"view_id": view.id, "mode": mode})
    session.commit()
    return {"camera_id": camera_id, "view_id": view.id,
            "playlist": f"/api/v1/cameras/{camera_id}/live/{PLAYLIST}?view={view.id}",
            "mode": mode, "started": conversion.started,
            "idle_s": live.settings.idle_s}


@bp.get("/cameras/<int:camera_id>/live/<name>")
@allow(*VIDEO_OPERATORS)
@documented("The live playlist, or one of the segments it names (files written by the "
            "camera's conversion, served as they are: the playlist never cached, segments "
            "cached briefly); 404 once the conversion has stopped", tag="video",
            params=(CAMERA_ID, FILE_NAME,
                    Param("view", "the view this player belongs to (from GET …/live): its "
                                  "end moves on", type="integer",
                          schema={"minimum": 0, "maximum": 10**18 - 1})),
            responses={200: Answer("HLS playlist or MPEG-TS segment", HLS,
                                   more={"video/mp2t": {"type": "string"}}),
                       404: "No such file: not converting now, or the segment is gone"})
def live_file(camera_id: int, name: str) -> Response:
    live = conversions()
    path = live.file(camera_id, name)
    if path is None:
        raise RecordNotFound(f"Camera {camera_id} has no live {name} now.", field="name")
    live.touch(camera_id)
    try:  # read whole (small files): nothing stays open if the player goes away
        data = path.read_bytes()
    except FileNotFoundError:  # dropped from the sliding window meanwhile
        raise RecordNotFound(f"Camera {camera_id} has no live {name} now.",
                             field="name") from None
    if name != PLAYLIST:
        response = Response(data, mimetype="video/mp2t")
        response.headers["Cache-Control"] = "private, max-age=10"
        return response
    view = request.args.get("view")
    if view:
        session = get_session()
        repository.still_watching(session, int(view), camera_id=camera_id,
                                  user_id=current_user.id, at=datetime.now(UTC))
        session.commit()
    response = Response(data, mimetype=HLS)
    response.headers["Cache-Control"] = "no-cache, no-store"
    return response


@bp.get("/live-views")
@allow("supervisor")
@documented("Who watched which camera live, from when to when, newest first", tag="video",
            params=(Param("camera", "only this camera's", type="integer",
                          schema={"minimum": 0, "maximum": 2**31 - 1}),
                    Param("username", "only this user's", schema={"maxLength": 64}),
                    Param("since", "only views still running at or after this time",
                          format="date-time"),
                    Param("limit", "at most this many (default 500)", type="integer",
                          schema={"minimum": 1, "maximum": 5000})),
            responses={200: Answer("{views}", schema=json_object(
                ("views",), views={"type": "array", "items": VIEW}))})
def live_views() -> dict[str, Any]:
    args = request.args
    return {"views": repository.views(
        get_session(), camera_id=int(args["camera"]) if args.get("camera") else None,
        username=args.get("username") or None,
        since=datetime.fromisoformat(args["since"]) if args.get("since") else None,
        limit=int(args.get("limit") or 500))}
