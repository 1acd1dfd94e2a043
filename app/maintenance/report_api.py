"""The monthly uptime and SLA report over the API (JSON or CSV); a job when the month's
state history is large (202, its result at /api/v1/jobs/ID/result)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_login import current_user

from app.api import bp
from app.api.docs import Answer, Param, choice, documented
from app.auth.access import TICKET_READERS, allow
from app.db import get_read_session, get_session
from app.jobs.api import ACCEPTED, TOO_MANY
from app.jobs.service import accepted, prefers_async, submit
from app.maintenance import jobs, report

REPORT_PARAMS = (
    Param("month", "the month, YYYY-MM in the jurisdiction's time zone (default: the "
                   "current one, counted up to now); from 2000-01",
          schema={"pattern": r"^[2-9][0-9]{3}-(0[1-9]|1[0-2])$"}),
    Param("area", "only cameras in this area (by name)", schema={"maxLength": 200}),
    Param("maintainer", "only this maintainer (id); a maintainer's staff get their own",
          type="integer", schema={"minimum": 0, "maximum": 2**31 - 1}),
    choice("format", "json (default) or csv", ("json", "csv")),
)
REFUSALS = {"future_month": "the month has not begun",
            "unknown_area": "no area has that name",
            "unknown_maintainer": "no maintainer has that id"}


def report_request(now: datetime) -> report.ReportRequest:
    return report.read_request(get_session(), request.args, user=current_user,
                               zone=jobs.zone(), now=now)


def csv_response(body: str, name: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/reports/uptime")
@allow(*TICKET_READERS)
@documented("Monthly uptime and SLA report per maintainer and area: uptime from the "
            "cameras' state history (share of the time with a picture and with a faultless "
            "one; maintenance left out), tickets opened, closed and open at the end, "
            "response and repair times against the contract's, and breaches; rows per "
            "(maintainer, area), per maintainer and the total, and the cameras with the "
            "lowest uptime. A month with a large state history is a job (202)",
            tag="video", params=REPORT_PARAMS, refusals=REFUSALS,
            responses={200: Answer("{month, from, to, counted_until, as_of, complete, rows, "
                                   "worst} (or CSV with format=csv)",
                                   more={"text/csv": {"type": "string"}}),
                       202: ACCEPTED, 403: "Another maintainer's report", 429: TOO_MANY})
def uptime_report() -> Any:
    now = datetime.now(UTC)
    wanted = report_request(now)
    fmt = request.args.get("format", "json")
    if prefers_async() or not report.is_small(get_read_session(), wanted, now):
        session = get_session()
        params = wanted.params() | ({"format": "csv"} if fmt == "csv" else {})
        job = submit(session, jobs.UPTIME_REPORT.name, params, actor=current_user,
                     page=jobs.page_link(wanted.params(), "{id}"))
        session.commit()
        return accepted(job)
    answer = report.build_report(get_read_session(), wanted, now=now)
    if fmt == "csv":
        return csv_response(report.report_csv(answer), report.csv_name(answer))
    return answer
