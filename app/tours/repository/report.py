"""What the tour report reads: runs by local day, operator and area, what their walls
showed and the findings flagged in them. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.tours.repository.runs import RUN_END, SHOWN_END


def report_runs(session: Session, *, timezone: str, first: date, last: date,
                username: str | None, area: str | None, stale_s: float, now: datetime
                ) -> list[dict[str, Any]]:
    """Runs started on the local days ``first``–``last`` (a run counts on the day it
    started), with their known end and seconds on the wall."""
    rows = session.execute(sa.text(f"""
        SELECT r.id, (r.started_at AT TIME ZONE :tz)::date AS day, r.username, r.area,
               r.planned, r.paused_s, r.tour_id,
               extract(epoch FROM {RUN_END} - r.started_at) AS seconds
        FROM tour_runs r
        WHERE (r.started_at AT TIME ZONE :tz)::date BETWEEN :first AND :last
          AND (CAST(:username AS text) IS NULL OR r.username = CAST(:username AS text))
          AND (CAST(:area AS text) IS NULL OR r.area = CAST(:area AS text))
        ORDER BY 2, 3, 4, r.id"""),  # noqa: S608 (constants)
        {"tz": timezone, "first": first, "last": last, "username": username, "area": area,
         "stale": stale_s, "now": now}).mappings()
    return [dict(r) for r in rows]


def shown_by_run(session: Session, run_ids: Sequence[int], *, stale_s: float,
                 now: datetime) -> list[dict[str, Any]]:
    """Per run and camera: whether it played, and its seconds on a tile (played tiles)."""
    if not run_ids:
        return []
    rows = session.execute(sa.text(f"""
        SELECT s.run_id, s.camera_id, bool_or(s.played) AS played,
               coalesce(sum(extract(epoch FROM {SHOWN_END} - s.started_at))
                        FILTER (WHERE s.played), 0) AS seconds
        FROM tour_shown s JOIN tour_runs r ON r.id = s.run_id
        WHERE s.run_id = ANY(:runs) AND s.camera_id IS NOT NULL
        GROUP BY s.run_id, s.camera_id"""),  # noqa: S608 (constants)
        {"runs": list(run_ids), "stale": stale_s, "now": now}).mappings()
    return [dict(r) for r in rows]


def findings_by_run(session: Session, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not run_ids:
        return []
    rows = session.execute(sa.text("""
        SELECT run_id, outcome, count(*) AS n FROM video_findings
        WHERE run_id = ANY(:runs) GROUP BY 1, 2"""), {"runs": list(run_ids)}).mappings()
    return [dict(r) for r in rows]


def operator_names(session: Session) -> list[str]:
    """Who has run tours (for the report's picker)."""
    return list(session.execute(sa.text(
        "SELECT DISTINCT username FROM tour_runs ORDER BY 1 LIMIT 1000")).scalars())
