"""Camera snapshots for the console: one cache per app (frames reused briefly, a dead
camera answered from its cached failure), prefetched when an alert is raised, and the
camera's status set online/offline from what the grab found."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.cameras import repository
from app.cameras.fence import StreamFence, StreamRefused, refused_field
from app.cameras.snapshot_cache import Snapshot, SnapshotCache
from app.models import Camera

logger = logging.getLogger(__name__)


def stream_fence() -> StreamFence:
    """The app's stream fence (``GRIDPATROL_CAMERA_SCHEMES``, ``…_NETWORKS``, ``MEDIA_DIR``)."""
    ext = current_app.extensions.setdefault("gridpatrol_snapshots", {})
    if "fence" not in ext:
        ext["fence"] = StreamFence.from_config(current_app.config)
    return ext["fence"]  # type: ignore[no-any-return]


def check_stream_url(url: str | None) -> None:
    """Refuse (422 naming ``stream_url`` and the rule) a URL outside the fence."""
    if url:
        try:
            stream_fence().check(url)
        except StreamRefused as exc:
            raise refused_field(exc) from None


def cache() -> SnapshotCache:
    ext = current_app.extensions.setdefault("gridpatrol_snapshots", {})
    if "cache" not in ext:
        ext["cache"] = SnapshotCache(timeout_s=float(current_app.config["SNAPSHOT_TIMEOUT_S"]),
                                     fence=stream_fence())
    return ext["cache"]  # type: ignore[no-any-return]


def prefetch_snapshots(session: Session, camera_ids: list[int]) -> int:
    """Start grabbing frames in the background (the answer does not wait)."""
    if not camera_ids:
        return 0
    return cache().prefetch([(str(camera_id), url) for camera_id, url
                             in repository.stream_urls(session, camera_ids)])


def snapshot(session: Session, camera: Camera) -> Snapshot:
    """A frame (or the failure) for ``camera``; records a change of its online status."""
    assert camera.stream_url  # noqa: S101 (callers check)
    shot = cache().get(str(camera.id), camera.stream_url)
    status = "online" if shot.online else "offline"
    if shot.error in ("busy", "refused"):  # our pool was full, or the stream fence said
        return shot  # no: neither says anything about the camera itself
    if camera.status != status and camera.status != "maintenance":
        previous = camera.status
        camera.status = status
        camera.status_at = datetime.now(UTC)
        audit.record(session, "camera.status", object_type="camera", object_id=camera.id,
                     actor_name="system:snapshot",
                     details={"from": previous, "to": status, "error": shot.error})
        session.commit()
    return shot
