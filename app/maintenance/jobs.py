"""The monthly uptime and SLA report as a background job, when its month's state history
is too large to read inside a request (:data:`app.maintenance.report.INLINE_CHANGES`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import current_app

from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from app.maintenance import report
from runtime.notes import Note


def zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config.get("TIMEZONE") or "UTC"))


def page_link(params: dict[str, Any], job_id: int | str) -> str:
    """The report page showing the job (``job_id`` may be ``{id}``, filled in on submit)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"/video/report?{query}&job={job_id}"


def run_report_job(context: JobContext) -> JobOutcome:
    request = report.request_from_params(context.params, zone())
    context.progress(0.1, Note("reading the month's state history"))
    answer = report.build_report(context.read_session, request, now=datetime.now(UTC))
    total = next((r for r in answer["rows"] if r["level"] == "total"), None)
    cameras = total["cameras"] if total else 0
    return JobOutcome(
        message=Note("%(month)s: %(cameras)s cameras, %(rows)s rows",
                     month=str(request.month), cameras=cameras, rows=len(answer["rows"])),
        result=answer,
        result_url=f"/api/v1/jobs/{context.job_id}/result"
                   + ("?format=csv" if context.params.get("format") == "csv" else ""),
        page_url=page_link(request.params(), context.job_id or ""))


def render_report(result: Any, fmt: str) -> tuple[str, str, str | None]:
    if fmt == "csv":
        return report.report_csv(result), "text/csv", report.csv_name(result)
    import json

    return json.dumps(result), "application/json", None


# Its requester's (and admin's): a maintainer's report is its own business.
UPTIME_REPORT = register(JobKind(
    "uptime_report", run_report_job, "Monthly uptime and SLA report", render=render_report))
