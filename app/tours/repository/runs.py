"""Tour runs and what their walls showed: the log's writes and reads. A tile still on
screen (``ended_at`` NULL) ends, when read, at the run's end, else at its last sign of
life when that is older than the stale limit, else now. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import TourRun, TourShown

# the moment a run is known to have ended (or now, while it lives)
RUN_END = """coalesce(r.ended_at,
    CASE WHEN r.last_seen_at > CAST(:now AS timestamptz) - make_interval(secs => :stale)
         THEN greatest(CAST(:now AS timestamptz), r.last_seen_at) ELSE r.last_seen_at END)"""
SHOWN_END = f"coalesce(s.ended_at, {RUN_END})"


def add_run(session: Session, **values: Any) -> TourRun:
    run = TourRun(**values)
    session.add(run)
    session.flush()
    return run


def run_for_update(session: Session, run_id: int) -> TourRun | None:
    return session.execute(sa.select(TourRun).where(TourRun.id == run_id)
                           .with_for_update()).scalar_one_or_none()


def open_tiles(session: Session, run_id: int) -> list[TourShown]:
    return list(session.execute(sa.select(TourShown).where(
        TourShown.run_id == run_id, TourShown.ended_at.is_(None))
        .order_by(TourShown.tile)).scalars())


def close_tiles(session: Session, run_id: int, at: datetime) -> int:
    """End every tile of the run still on screen at ``at``; how many."""
    done = session.execute(sa.update(TourShown).where(
        TourShown.run_id == run_id, TourShown.ended_at.is_(None)).values(ended_at=at))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def show_tiles(session: Session, run_id: int, *, step: int, at: datetime,
               tiles: Sequence[dict[str, Any]]) -> None:
    for tile in tiles:
        session.add(TourShown(run_id=run_id, step=step, started_at=at, **tile))
    session.flush()


def run_rows(session: Session, *, stale_s: float, now: datetime, run_id: int | None = None,
             tour_id: int | None = None, username: str | None = None,
             since: datetime | None = None, until: datetime | None = None,
             limit: int = 200) -> list[dict[str, Any]]:
    """Runs, newest first, each with its tour's name, its end as known (a live one's is
    ``now``), the seconds on the wall (pauses included), cameras planned and shown, and
    findings counted."""
    rows = session.execute(sa.text(f"""
        SELECT r.id, r.tour_id, t.name AS tour_name, r.username, r.started_at,
               r.last_seen_at, r.ended_at, r.end_how, r.layout, r.area, r.planned, r.skipped,
               r.paused_s, r.paused_at IS NOT NULL AS paused,
               {RUN_END} AS ends_at,
               r.ended_at IS NULL AND r.last_seen_at
                   > CAST(:now AS timestamptz) - make_interval(secs => :stale) AS running,
               extract(epoch FROM {RUN_END} - r.started_at) AS seconds,
               (SELECT count(DISTINCT s.camera_id) FROM tour_shown s WHERE s.run_id = r.id)
                   AS shown,
               (SELECT count(DISTINCT s.camera_id) FROM tour_shown s
                WHERE s.run_id = r.id AND s.played) AS played,
               (SELECT count(*) FROM video_findings f WHERE f.run_id = r.id) AS findings
        FROM tour_runs r JOIN tours t ON t.id = r.tour_id
        WHERE (CAST(:run AS bigint) IS NULL OR r.id = :run)
          AND (CAST(:tour AS integer) IS NULL OR r.tour_id = :tour)
          AND (CAST(:username AS text) IS NULL OR r.username = :username)
          AND (CAST(:since AS timestamptz) IS NULL OR {RUN_END} >= :since)
          AND (CAST(:until AS timestamptz) IS NULL OR r.started_at < :until)
        ORDER BY r.started_at DESC, r.id DESC LIMIT :limit"""),  # noqa: S608 (constants)
        {"stale": stale_s, "now": now, "run": run_id, "tour": tour_id, "username": username,
         "since": since, "until": until, "limit": limit}).mappings()
    return [dict(r) for r in rows]


def shown_rows(session: Session, run_id: int, *, stale_s: float,
               now: datetime) -> list[dict[str, Any]]:
    """What the run's wall showed, tile by tile, in order."""
    rows = session.execute(sa.text(f"""
        SELECT s.step, s.tile, s.camera_id, c.name AS camera_name, s.started_at,
               {SHOWN_END} AS ended_at, s.ended_at IS NULL AS on_screen, s.state, s.played,
               s.problem, extract(epoch FROM {SHOWN_END} - s.started_at) AS seconds
        FROM tour_shown s JOIN tour_runs r ON r.id = s.run_id
        LEFT JOIN cameras c ON c.id = s.camera_id
        WHERE s.run_id = :run ORDER BY s.started_at, s.tile, s.id"""),  # noqa: S608
        {"run": run_id, "stale": stale_s, "now": now}).mappings()
    return [dict(r) for r in rows]
