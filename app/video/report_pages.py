"""The monthly uptime and SLA report as a page (printable: css/print.css) and as CSV.
A month whose state history is large runs as a job: the page follows it (``?job=ID``)
and shows its result when done."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import redirect, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import TICKET_READERS, allow
from app.cameras.health import repository as health_rows
from app.db import get_read_session, get_session
from app.errors import InvalidValue
from app.jobs.service import job_view, submit, visible_job
from app.maintenance import jobs, report
from app.maintenance import repository as maintenance_rows
from app.maintenance.report_api import csv_response
from app.video.pages import bp


def _choices(session: Any) -> dict[str, Any]:
    mine = current_user.role_name == "maintainer"
    return {"areas": health_rows.area_names(session), "is_maintainer": mine,
            "maintainers": [] if mine else maintenance_rows.maintainers(session)}


def _queued(wanted: report.ReportRequest, fmt: str | None = None) -> Response:
    session = get_session()
    params = wanted.params() | ({"format": fmt} if fmt else {})
    job = submit(session, jobs.UPTIME_REPORT.name, params, actor=current_user,
                 page=jobs.page_link(wanted.params(), "{id}"))
    session.commit()
    return redirect(jobs.page_link(wanted.params(), job.id))


def _job_context(raw: str) -> dict[str, Any]:
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidValue("No such job.", field="job")
    job = visible_job(get_session(), int(raw), current_user)
    if job.kind != jobs.UPTIME_REPORT.name:
        raise InvalidValue("That job is not an uptime report.", field="job")
    context: dict[str, Any] = {"job": job_view(job), "job_title": jobs.UPTIME_REPORT.description}
    if job.state == "done" and job.result:
        context |= {"report": job.result,
                    "csv_url": f"/api/v1/jobs/{job.id}/result?format=csv"}
    elif job.state == "failed" and job.error:
        context["error"] = (job.error.get("field") or "", job.error.get("message", ""))
    return context


@bp.get("/report")
@allow(*TICKET_READERS)
def report_page() -> Any:
    """The month's uptime and SLA per maintainer and area (a job when large)."""
    session = get_session()
    now = datetime.now(UTC)
    args = request.args
    context: dict[str, Any] = {"args": args, "error": None, "report": None, "job": None,
                               **_choices(session)}
    status = 200
    try:
        wanted = report.read_request(session, args, user=current_user, zone=jobs.zone(),
                                     now=now)
        context["month"] = wanted.month
        if args.get("job"):
            context |= _job_context(args["job"])
        elif report.is_small(get_read_session(), wanted, now):
            context["report"] = report.build_report(get_read_session(), wanted, now=now)
            context["csv_url"] = "/video/report.csv?" + urlencode(
                {k: v for k, v in wanted.params().items() if v is not None})
        else:
            return _queued(wanted)
    except InvalidValue as exc:
        context["error"] = (exc.field or "", exc.message)
        context.setdefault("month", "")
        status = 422
    return render_template("video/report.html", **context), status


@bp.get("/report.csv")
@allow(*TICKET_READERS)
def report_csv() -> Response:
    """The month's report as CSV (a large month: the job, then its CSV)."""
    now = datetime.now(UTC)
    wanted = report.read_request(get_session(), request.args, user=current_user,
                                 zone=jobs.zone(), now=now)
    if not report.is_small(get_read_session(), wanted, now):
        return _queued(wanted, "csv")
    answer = report.build_report(get_read_session(), wanted, now=now)
    return csv_response(report.report_csv(answer), report.csv_name(answer))

