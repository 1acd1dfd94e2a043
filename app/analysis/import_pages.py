"""The analyst's incident imports page: upload an export (always a job: the page follows it
with a progress bar and shows its summary, also after a reload, ``?job=ID``), the imports
made so far, and one stored import's summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.analysis import repository
from app.analysis.import_jobs import KIND, public_summary, queue_import
from app.analysis.pages import bp
from app.analysis.uploads import upload_from_request
from app.auth.access import ANALYSIS_READERS, ANALYSTS, allow
from app.db import get_session
from app.errors import Failure, RecordNotFound
from app.jobs.service import job_view, visible_job
from app.models import IncidentImport, User
from gis.incidents import load_category_table

#: Rejected rows a page lists (the summary keeps up to 1,000; the rejects file has all).
ROWS_SHOWN = 100


@bp.get("/imports")
@allow(*ANALYSIS_READERS)
def imports() -> str:
    """Upload an export (analysts) and see the imports made; ``?job=ID``: an import job's
    progress, then its summary."""
    context: dict[str, Any] = {"job": None, "error": None, "summary": None}
    raw = request.args.get("job", "")
    if raw:
        context |= _job_context(raw, current_user)
    return render_template("analysis/imports.html", records=_records(),
                           rows_shown=ROWS_SHOWN, form=request.form,
                           category_names=_category_names(), **context)


@bp.post("/imports")
@allow(*ANALYSTS)
def upload_import() -> Response | tuple[str, int]:
    """Store the upload with a new import job and show the job."""
    session = get_session()
    try:
        upload = upload_from_request(request.form, request.files)
        job = queue_import(session, upload, actor=current_user)
    except Failure as exc:
        session.rollback()
        return render_template("analysis/imports.html", records=_records(), job=None,
                               summary=None, rows_shown=ROWS_SHOWN, form=request.form,
                               category_names={},
                               error=(exc.field or "", exc.message)), 422
    session.commit()
    return redirect(url_for("analysis.imports", job=job.id))


@bp.get("/imports/<int:import_id>")
@allow(*ANALYSIS_READERS)
def import_record(import_id: int) -> str:
    """One stored import's summary."""
    record = repository.import_record(get_session(), import_id)
    if record is None:
        raise RecordNotFound(f"No incident import {import_id}.", field="import_id")
    return render_template("analysis/import.html", record=_record_view(record),
                           summary=public_summary(dict(record.counts)),
                           rows_shown=ROWS_SHOWN, category_names=_category_names())


def _job_context(raw_id: str, user: User) -> dict[str, Any]:
    if not raw_id.isdigit() or len(raw_id) > 9:
        return {"error": ("job", _("No such job."))}
    try:
        job = visible_job(get_session(), int(raw_id), user)
    except Failure as exc:
        return {"error": (exc.field or "job", exc.message)}
    if job.kind != KIND:
        return {"error": ("job", _("No such job."))}
    context: dict[str, Any] = {"job": job_view(job), "job_title": _("Incident import"),
                               "job_files": [f["name"] for f in job.params.get(
                                   "input_files", []) if f.get("role") == "files"]}
    if job.state == "failed" and job.error:
        context["error"] = (job.error.get("field") or "", job.error.get("message", ""))
    if job.state == "done" and job.result:
        context["summary"] = job.result["summary"]
        context["import_id"] = job.result["id"]
    return context


def _category_names() -> dict[str, str]:
    from app.analysis.pages import _is_zh

    zh = _is_zh()
    return {code: (c.label_zh if zh else c.label_en)
            for code, c in load_category_table().categories.items()}


def _records() -> list[dict[str, Any]]:
    return [_record_view(r) for r in repository.import_records(get_session(), limit=20)]


def _record_view(record: IncidentImport) -> dict[str, Any]:
    counts = record.counts or {}
    return {"id": record.id, "source": record.source, "created_at": record.created_at,
            "files": [Path(f).name for f in record.files or []],
            "read": counts.get("read", 0), "accepted": counts.get("accepted", 0),
            "rejected": counts.get("rejected", 0)}
