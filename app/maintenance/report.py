"""The monthly uptime and SLA report per maintainer and area.

For a calendar month in the jurisdiction's time zone (``GRIDPATROL_TIMEZONE``), and
optionally one area and one maintainer, each (maintainer, area), each maintainer and the
whole get:

- **uptime** from the cameras' state history (``camera_status_changes``): the share of
  the time counted with a picture (online or degraded) and with a faultless picture
  (online), time in maintenance and before a camera's first check left out — summed over
  cameras, so a camera counts by the time it was watched. The current month counts up to
  now. A camera's maintainer and area are its current ones.
- **tickets**: opened and closed in the month, open at its end; for those opened in it,
  response time (to the first of acknowledgement and closing) and repair time (to
  closing) against the contract's, and the breaches, as known when the report is made
  (a ticket still unanswered past its due time is breached; one whose clock still runs
  is counted apart). A ticket counts for the maintainer it was sent to.

Both halves are computed in PostgreSQL (:func:`app.cameras.health.repository.uptime_by_group`,
:func:`app.maintenance.repository.ticket_figures`). The state history of a month is
usually small, but a network whose cameras flap at every check makes millions of changes:
past :data:`INLINE_CHANGES` the report runs as a job (``uptime_report``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.cameras.health import repository as health_rows
from app.errors import InvalidValue, NotPermitted
from app.geography.repository.areas import area_exists
from app.maintenance import repository
from app.models import User
from dispatch.cameras.health import uptime_shares

MONTH = re.compile(r"(\d{4})-(\d{2})")
#: State changes a report may read inline (under half a second on this machine at rest,
#: about 1.5 s under a load of 12: benchmarks/uptime_report.py).
INLINE_CHANGES = 200_000
STATES = ("online", "degraded", "offline", "maintenance", "unknown")
UPTIME_LEVELS = {health_rows.GROUP_LEVEL: "area", health_rows.MAINTAINER_LEVEL: "maintainer",
                 health_rows.TOTAL_LEVEL: "total"}
TICKET_LEVELS = {0: "area", 1: "maintainer", 3: "total"}
WORST = 20  # cameras listed with the lowest uptime
NO_MAINTAINER = -1


@dataclass(frozen=True)
class ReportRequest:
    """A validated report request: the month (its first instant and the next month's, in
    the local zone), and the area and maintainer it is limited to, if any."""

    month: str
    start: datetime
    end: datetime
    area: str | None = None
    maintainer_id: int | None = None

    def params(self) -> dict[str, Any]:
        """As a job's parameters (and the query that asks again)."""
        return {"month": self.month, "area": self.area, "maintainer": self.maintainer_id}


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of ``month`` (YYYY-MM) and of the next, in ``zone``.

    Raises :class:`InvalidValue` (field ``month``) for anything else."""
    found = MONTH.fullmatch(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise InvalidValue(f"month must be a month as YYYY-MM from 2000-01 on (2026-11); "
                           f"got {month!r}.", field="month")
    year, number = int(found.group(1)), int(found.group(2))
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end


def read_request(session: Session, args: Mapping[str, str], *, user: User, zone: ZoneInfo,
                 now: datetime) -> ReportRequest:
    """The request in ``args`` (month, area, maintainer), checked: a month that has begun,
    an area and a maintainer that exist. A maintainer's staff get their own maintainer's
    report, and only that."""
    month = (args.get("month") or "").strip() or now.astimezone(zone).strftime("%Y-%m")
    start, end = month_bounds(month, zone)
    if start > now:
        raise InvalidValue(f"month {month} has not begun: the report covers months up to "
                           "the current one.", field="month", code="future_month")
    area = (args.get("area") or "").strip() or None
    if area is not None and (len(area) > 200 or not area_exists(session, area)):
        raise InvalidValue(f"No area is named {area[:200]!r}.", field="area",
                           code="unknown_area")
    raw = (args.get("maintainer") or "").strip()
    maintainer_id = None
    if raw:
        if not raw.isdigit() or len(raw) > 9:
            raise InvalidValue(f"maintainer must be a maintainer's id (a whole number); got "
                               f"{raw[:40]!r}.", field="maintainer")
        maintainer_id = int(raw)
    if user.role_name == "maintainer":
        # not working for any maintainer yet: an empty report, as its tickets are
        own = repository.member_maintainer(session, user.id) or NO_MAINTAINER
        if maintainer_id not in (None, own):
            raise NotPermitted("A maintainer's staff see their own maintainer's report "
                               "only.")
        maintainer_id = own
    elif maintainer_id is not None and repository.maintainer_by_id(
            session, maintainer_id) is None:
        raise InvalidValue(f"No maintainer has the id {maintainer_id}.", field="maintainer",
                           code="unknown_maintainer")
    return ReportRequest(month, start, end, area, maintainer_id)


def request_from_params(params: Mapping[str, Any], zone: ZoneInfo) -> ReportRequest:
    """A job's parameters (validated when it was submitted) as a request again."""
    start, end = month_bounds(str(params["month"]), zone)
    return ReportRequest(str(params["month"]), start, end, params.get("area"),
                         params.get("maintainer"))


def is_small(session: Session, request: ReportRequest, now: datetime) -> bool:
    """Whether the month's state history is small enough to report inline."""
    return health_rows.count_changes(session, start=request.start, end=min(request.end, now),
                                     at_most=INLINE_CHANGES + 1) <= INLINE_CHANGES


def build_report(session: Session, request: ReportRequest, *, now: datetime
                 ) -> dict[str, Any]:
    """The report as JSON-ready data: ``rows`` (each (maintainer, area), then the
    maintainer's subtotal; the total last) and the ``worst`` cameras by uptime."""
    until = min(request.end, now)
    uptime = health_rows.uptime_by_group(session, start=request.start, end=until,
                                         area=request.area,
                                         maintainer_id=request.maintainer_id)
    tickets = repository.ticket_figures(session, start=request.start, end=request.end,
                                        now=now, area=request.area,
                                        maintainer_id=request.maintainer_id)
    keepers = {m.id: m for m in repository.maintainers(session)}
    rows: dict[tuple[str, int | None, str | None], dict[str, Any]] = {}

    def row(level: str, maintainer_id: int | None, area: str | None) -> dict[str, Any]:
        key = (level, maintainer_id if level != "total" else None,
               area if level == "area" else None)
        if key not in rows:
            rows[key] = _empty_row(level, keepers.get(maintainer_id) if level != "total"
                                   else None, key[2])
        return rows[key]

    worst = []
    for found in uptime:
        if found["level"] == health_rows.CAMERA_LEVEL:
            worst.append(_camera_uptime(found))
            continue
        target = row(UPTIME_LEVELS[found["level"]], found["maintainer_id"], found["area"])
        target["cameras"] = int(found["cameras"])
        target["seconds"] = {state: round(float(found[f"{state}_s"] or 0)) for state in STATES}
        target.update(_shares(target["seconds"]))
    for found in tickets:
        target = row(TICKET_LEVELS[found["level"]], found["maintainer_id"], found["area"])
        target["tickets"] = _ticket_figures(found)
    ordered = sorted(rows.values(), key=_order)
    worst = sorted((w for w in worst if w["uptime_pct"] is not None),
                   key=lambda w: (w["uptime_pct"], w["camera_id"]))[:WORST]
    return {"month": request.month, "area": request.area,
            "maintainer": _maintainer(keepers.get(request.maintainer_id))
            if request.maintainer_id is not None else None,
            "from": request.start.isoformat(), "to": request.end.isoformat(),
            "first_day": request.start.date().isoformat(),
            "last_day": (request.end - timedelta(days=1)).date().isoformat(),
            "counted_until": until.isoformat(), "as_of": now.isoformat(),
            "complete": now >= request.end, "rows": ordered, "worst": worst}


def _maintainer(keeper: Any) -> dict[str, Any] | None:
    if keeper is None:
        return None
    return {"id": keeper.id, "code": keeper.code, "name": keeper.name, "kind": keeper.kind,
            "response_h": keeper.response_h, "repair_h": keeper.repair_h}


def _empty_row(level: str, keeper: Any, area: str | None) -> dict[str, Any]:
    return {"level": level, "maintainer": _maintainer(keeper), "area": area, "cameras": 0,
            "seconds": dict.fromkeys(STATES, 0), "uptime_pct": None, "healthy_pct": None,
            "tickets": _ticket_figures({})}


def _shares(seconds: Mapping[str, float]) -> dict[str, float | None]:
    shares = uptime_shares(seconds)
    return {"uptime_pct": _pct(shares["online_share"]),
            "healthy_pct": _pct(shares["healthy_share"])}


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 2)


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


TICKET_COUNTS = ("opened", "closed", "open_at_end", "responded", "response_breached",
                 "response_running", "repaired", "repair_breached", "repair_running")


def _ticket_figures(found: Mapping[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {name: int(found.get(name) or 0) for name in TICKET_COUNTS}
    for clock in ("response", "repair"):
        figures[f"{clock}_mean_h"] = _hours(found.get(f"{clock}_mean_s"))
        figures[f"{clock}_max_h"] = _hours(found.get(f"{clock}_max_s"))
    return figures


def _camera_uptime(found: Mapping[str, Any]) -> dict[str, Any]:
    seconds = {state: float(found[f"{state}_s"]) for state in STATES}
    return {"camera_id": int(found["camera_id"]), "name": found["name"], "area": found["area"],
            "maintainer_id": found["maintainer_id"], **_shares(seconds),
            "offline_h": _hours(seconds["offline"]), "degraded_h": _hours(seconds["degraded"])}


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    keeper = row["maintainer"]
    return (row["level"] == "total", keeper is None,
            (keeper or {}).get("name") or "", (keeper or {}).get("id") or 0,
            row["level"] == "maintainer", row["area"] is None, row["area"] or "")


CSV_COLUMNS = (
    "month", "level", "maintainer_code", "maintainer_name", "area", "cameras", "uptime_pct",
    "healthy_pct", "online_h", "degraded_h", "offline_h", "maintenance_h", "unknown_h",
    "tickets_opened", "tickets_closed", "tickets_open_at_end", "contract_response_h",
    "response_mean_h", "response_max_h", "response_breached", "response_running",
    "contract_repair_h", "repair_mean_h", "repair_max_h", "repair_breached",
    "repair_running")


def report_csv(report: Mapping[str, Any]) -> str:
    """The report's rows as CSV (text cells guarded against spreadsheet formulas)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["rows"]:
        keeper, seconds, tickets = row["maintainer"] or {}, row["seconds"], row["tickets"]
        writer.writerow([_cell(v) for v in (
            report["month"], row["level"], keeper.get("code"), keeper.get("name"),
            row["area"], row["cameras"], row["uptime_pct"], row["healthy_pct"],
            *(_hours(seconds[state]) for state in STATES),
            tickets["opened"], tickets["closed"], tickets["open_at_end"],
            keeper.get("response_h"), tickets["response_mean_h"], tickets["response_max_h"],
            tickets["response_breached"], tickets["response_running"],
            keeper.get("repair_h"), tickets["repair_mean_h"], tickets["repair_max_h"],
            tickets["repair_breached"], tickets["repair_running"])])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


def csv_name(report: Mapping[str, Any]) -> str:
    return f"uptime-sla-{report['month']}.csv"
