"""A camera's uptime over the last day, week and 30 days, from its state history
(:func:`app.cameras.health.repository.uptime_by_camera`): the health API's and the
camera page's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.cameras.health import repository
from dispatch.cameras.health import uptime_shares

UPTIME_DAYS = 30  # the API's ``uptime``
UPTIME_WINDOWS = (1, 7, UPTIME_DAYS)
CHANGES_LISTED = 50  # state changes a camera's health lists


def uptime_windows(session: Session, camera_id: int, now: datetime) -> dict[str, Any]:
    """The camera's uptime over the last day, week and 30 days (seconds per state and the
    shares), from its state history."""
    windows = {}
    for days in UPTIME_WINDOWS:
        spent = repository.uptime_by_camera(session, start=now - timedelta(days=days),
                                            end=now, camera_id=camera_id).get(camera_id, {})
        seconds = {k[:-2]: v for k, v in spent.items() if v}
        windows[str(days)] = {"days": days, "seconds": seconds, **uptime_shares(seconds)}
    return windows
