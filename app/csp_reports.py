"""``POST /csp-report``: browsers report Content-Security-Policy violations here.

Public (a violation can happen on the sign-in page) and without CSRF (the browser sends
the report, not our scripts). A body over :data:`MAX_REPORT_BYTES` is refused with 413
before it is read; each process counts every report (:func:`report_count`, read by the
browser tests, which expect none), keeps the last :data:`KEPT` in memory
(:func:`recent_reports`) and logs at most :data:`LOG_PER_MINUTE` of them a minute, so a
flood of reports cannot flood the log. Nothing is written to the database: an
unauthenticated endpoint must not be a way to fill it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, request
from werkzeug.wrappers import Response

from app.auth.access import no_csrf, public
from app.errors import MalformedRequest
from app.security_headers import REPORT_PATH

logger = logging.getLogger(__name__)

MAX_REPORT_BYTES = 16 * 1024
LOG_PER_MINUTE = 30
KEPT = 100
REPORT_TYPES = ("application/csp-report", "application/reports+json", "application/json")
# the fields of a report worth a log line (never the whole body: it is the sender's text)
LOGGED_FIELDS = ("document-uri", "documentURL", "violated-directive", "effectiveDirective",
                 "effective-directive", "blocked-uri", "blockedURL", "source-file",
                 "sourceFile", "line-number", "lineNumber", "script-sample", "sample")

bp = Blueprint("csp_reports", __name__)


@dataclass
class ReportTally:
    """Reports received by this process, and the log budget of the current minute."""

    received: int = 0
    minute: int = 0
    logged_this_minute: int = 0
    recent: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=KEPT))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, reports: list[dict[str, str]]) -> list[dict[str, str]]:
        """Count and keep ``reports``; return those that may still be logged this minute."""
        with self.lock:
            self.received += len(reports)
            self.recent.extend(reports)
            minute = int(time.monotonic() // 60)
            if minute != self.minute:
                self.minute, self.logged_this_minute = minute, 0
            room = max(0, LOG_PER_MINUTE - self.logged_this_minute)
            self.logged_this_minute += min(room, len(reports))
            return reports[:room]


def tally(app: Flask | None = None) -> ReportTally:
    return (app or current_app).extensions["gridpatrol_csp_reports"]  # type: ignore[no-any-return]


def report_count(app: Flask | None = None) -> int:
    """How many violation reports this process has received since it started."""
    return tally(app).received


def recent_reports(app: Flask | None = None) -> list[dict[str, str]]:
    """The last :data:`KEPT` reports received by this process (their logged fields)."""
    with tally(app).lock:
        return list(tally(app).recent)


def summary(report: dict[str, Any]) -> dict[str, str]:
    """The fields of a report worth keeping, each cut to 200 characters."""
    return {k: str(report[k])[:200] for k in LOGGED_FIELDS if k in report}


def violations_in(payload: Any) -> list[dict[str, Any]]:
    """The violations in a report body: the ``report-uri`` form (``{"csp-report": {…}}``)
    or the Reporting API's list of ``{"type": "csp-violation", "body": {…}}``."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list) and all(isinstance(r, dict) for r in payload):
        return [r["body"] for r in payload
                if r.get("type") == "csp-violation" and isinstance(r.get("body"), dict)]
    raise MalformedRequest("A CSP report is {\"csp-report\": {...}} or a list of reports.",
                           field="body")


@bp.post(REPORT_PATH)
@public
@no_csrf
def csp_report() -> Response:
    """Count and log a browser's Content-Security-Policy violation report."""
    request.max_content_length = MAX_REPORT_BYTES
    if request.mimetype not in REPORT_TYPES:
        raise MalformedRequest(f"A CSP report is sent as {REPORT_TYPES[0]}.", field="body")
    try:
        payload = json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deep
        raise MalformedRequest("The CSP report is not JSON.", field="body") from None
    reports = [summary(r) for r in violations_in(payload)]
    for report in tally().add(reports):
        logger.warning("CSP violation: %s", report)
    return Response(status=204)


def init_app(app: Flask) -> None:
    app.extensions["gridpatrol_csp_reports"] = ReportTally()
    app.register_blueprint(bp)
