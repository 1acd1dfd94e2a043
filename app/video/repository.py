"""Live views in PostgreSQL: every query of the live view. Nothing here commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import CameraHealth, LiveView

SEEN_EVERY = timedelta(seconds=5)  # a view's end is moved on at most this often


def stream_codec(session: Session, camera_id: int) -> str | None:
    """The codec the camera's latest health check saw, if any."""
    stream = session.execute(sa.select(CameraHealth.stream).where(
        CameraHealth.camera_id == camera_id)).scalar()
    codec = stream.get("codec") if isinstance(stream, dict) else None
    return str(codec) if codec else None


def start_view(session: Session, camera_id: int, *, user_id: int, username: str,
               at: datetime, client: str | None) -> LiveView:
    row = LiveView(camera_id=camera_id, user_id=user_id, username=username[:64],
                   started_at=at, last_seen_at=at, client=(client or "")[:64] or None)
    session.add(row)
    session.flush()
    return row


def still_watching(session: Session, view_id: int, *, camera_id: int, user_id: int,
                   at: datetime) -> None:
    """Move the view's end on (its own viewer's only; at most every few seconds)."""
    session.execute(sa.update(LiveView).where(
        LiveView.id == view_id, LiveView.camera_id == camera_id, LiveView.user_id == user_id,
        LiveView.last_seen_at < at - SEEN_EVERY).values(last_seen_at=at))


def views(session: Session, *, camera_id: int | None, username: str | None,
          since: datetime | None, limit: int) -> list[dict[str, Any]]:
    query = sa.select(LiveView).order_by(LiveView.started_at.desc(), LiveView.id.desc())
    if camera_id is not None:
        query = query.where(LiveView.camera_id == camera_id)
    if username:
        query = query.where(LiveView.username == username)
    if since is not None:
        query = query.where(LiveView.last_seen_at >= since)
    return [{"id": v.id, "camera_id": v.camera_id, "username": v.username,
             "started_at": v.started_at.isoformat(), "last_seen_at": v.last_seen_at.isoformat(),
             "seconds": round((v.last_seen_at - v.started_at).total_seconds(), 1),
             "client": v.client}
            for v in session.execute(query.limit(limit)).scalars()]
