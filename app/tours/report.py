"""The tour report: per local day, operator and area, the runs, the cameras planned and
shown (shown at all, and with video playing), minutes on the wall and of camera video
watched, and the findings (incidents, alerts). A run counts on the day it started (a
night shift's tour is the night it began); a run still going counts up to now, a lost
one (no sign of life) up to its last sign."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from app.errors import InvalidValue
from app.tours.repository import report as rows
from app.tours.runs import STALE_S, may_see_all_runs
from app.tours.tours import local_now

COLUMNS = ("day", "operator", "area", "runs", "planned", "shown", "played",
           "not_played", "minutes_on_wall", "minutes_paused", "camera_minutes",
           "findings", "incidents", "alerts")


def report_period(first: str | None, last: str | None) -> tuple[date, date]:
    """``from``/``to`` (YYYY-MM-DD, inclusive): a week by default — the last 7 local days,
    the 7 days up to ``to``, or from ``from``."""
    try:
        start = date.fromisoformat(first) if first else None
        end = date.fromisoformat(last) if last else None
    except ValueError:
        raise InvalidValue("Dates are YYYY-MM-DD and exist.",
                           field="from" if first and not _is_day(first) else "to") from None
    if end is None:
        end = start + timedelta(days=6) if start else local_now().date()
    start = start or end - timedelta(days=6)
    if end < start:
        raise InvalidValue("'to' comes before 'from'.", field="to")
    return start, end


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def tour_report(session: Session, *, first: date, last: date, operator: str | None,
                area: str | None) -> dict[str, Any]:
    """Rows of the report (see the module docstring) and their totals."""
    if not may_see_all_runs():
        operator = current_user.username
    now = datetime.now(UTC)
    runs = rows.report_runs(session, timezone=str(current_app.config.get("TIMEZONE") or "UTC"),
                            first=first, last=last, username=operator, area=area,
                            stale_s=STALE_S, now=now)
    ids = [r["id"] for r in runs]
    shown: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows.shown_by_run(session, ids, stale_s=STALE_S, now=now):
        shown[row["run_id"]].append(row)
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows.findings_by_run(session, ids):
        found[row["run_id"]][row["outcome"]] = int(row["n"])
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[(run["day"], run["username"], run["area"])].append(run)
    report = [_row(key, group, shown, found) for key, group in groups.items()]
    totals = {name: sum(r[name] for r in report) for name in COLUMNS[3:]
              if name not in ("planned", "shown", "played", "not_played")}
    return {"from": first.isoformat(), "to": last.isoformat(), "operator": operator,
            "area": area, "rows": report, "totals": totals}


def _row(key: tuple[Any, ...], group: list[dict[str, Any]],
         shown: dict[int, list[dict[str, Any]]], found: dict[int, dict[str, int]]
         ) -> dict[str, Any]:
    day, operator, area = key
    planned = {c for run in group for c in run["planned"]}
    on_tile = {s["camera_id"] for run in group for s in shown[run["id"]]}
    played = {s["camera_id"] for run in group for s in shown[run["id"]] if s["played"]}
    incidents = sum(found[run["id"]].get("incident", 0) for run in group)
    alerts = sum(found[run["id"]].get("alert", 0) for run in group)
    return {"day": day.isoformat(), "operator": operator, "area": area or "",
            "runs": len(group), "planned": len(planned), "shown": len(on_tile),
            "played": len(played), "not_played": len(on_tile - played),
            "minutes_on_wall": round(sum(float(r["seconds"]) for r in group) / 60, 1),
            "minutes_paused": round(sum(float(r["paused_s"]) for r in group) / 60, 1),
            "camera_minutes": round(sum(float(s["seconds"]) for run in group
                                        for s in shown[run["id"]]) / 60, 1),
            "findings": incidents + alerts, "incidents": incidents, "alerts": alerts}


def report_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()}
                     for row in report["rows"])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Text cells guarded against spreadsheet formulas (an operator named ``=cmd()``)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value
