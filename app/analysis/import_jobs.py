"""Incident imports started from the analyst's page or the API, as jobs.

An upload (:mod:`app.analysis.uploads`, checked before anything is queued) becomes a job
of kind ``incident_import``: its files are stored with the job in PostgreSQL (table
``job_files``, in the request's transaction, so any worker on any node reads them; they
are deleted when the job ends), the request answers ``202`` with the job, and a worker
reads, checks and writes the rows with progress (rows read, rows written). The job's
transaction holds every write — the incidents, the import record, the category map, the
audit row — and commits them with the job's ``done``: a cancelled or failed import
writes nothing. Its result is the import's summary (what ``POST /incidents/imports``
answers inline): counts, rejected rows with line, column and why, incidents per hour of
day, unmapped categories.

A small upload (at most :data:`INLINE_IMPORT_BYTES`, and no ``Prefer: respond-async``) is
imported in the request, as before jobs existed (``201`` with the summary). The page
always queues a job.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.analysis.import_incidents import IncidentImportSummary, import_incidents
from app.analysis.uploads import IncidentUpload
from app.auth.access import ANALYSIS_READERS
from app.jobs.kinds import JobContext, JobKind, JobOutcome, register
from app.jobs.progress import Progress
from app.jobs.service import submit
from app.models import Job
from gis.incidents.sources import CSV_SUFFIXES, GEO_SUFFIXES
from runtime.notes import Note

KIND = "incident_import"
#: Bytes an upload may have to be imported in the request (about 3,000 rows of the SFPD
#: export, a few tenths of a second); anything larger is a job.
INLINE_IMPORT_BYTES = 1_000_000
PAGE = "/analysis/imports?job={id}"


def import_is_small(upload: IncidentUpload) -> bool:
    return upload.size <= INLINE_IMPORT_BYTES


def import_upload(session: Session, upload: IncidentUpload, *, actor: Any,
                  progress: Progress | None = None) -> IncidentImportSummary:
    """Import the upload in ``session``'s transaction (the caller commits): its files are
    written to a temporary folder of their own (a Shapefile beside its sidecars) and read
    from there."""
    with tempfile.TemporaryDirectory(prefix="gridpatrol-import-") as folder:
        paths = []
        for file in upload.files:
            path = Path(folder) / file.name
            path.write_bytes(file.content)
            if path.suffix.lower() in CSV_SUFFIXES | GEO_SUFFIXES:
                paths.append(path)
        return import_incidents(
            session, paths, mapping=upload.column_mapping(), source=upload.source,
            encoding=upload.encoding, default_tz=upload.tz, reason=upload.reason,
            category_map=upload.category_entries(), actor=actor, progress=progress,
            datum=upload.datum)


def queue_import(session: Session, upload: IncidentUpload, *, actor: Any) -> Job:
    """Queue the import as a job with its files (the caller commits); audited as
    ``job.submit``."""
    return submit(session, KIND, upload.params(), actor=actor, reason=upload.reason,
                  files=upload.inputs(), page=PAGE)


def import_answer(summary: IncidentImportSummary) -> dict[str, Any]:
    """What an import answers: its id and its summary (server paths by file name only)."""
    return {"id": summary.import_id, "summary": public_summary(summary.as_dict())}


def public_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with the rejects and unmapped-categories files named, not located."""
    shown = dict(summary)
    for key in ("rejects_path", "unmapped_path"):
        if shown.get(key):
            shown[key] = Path(shown[key]).name
    return shown


def run_import_job(context: JobContext) -> JobOutcome:
    upload = IncidentUpload.from_job(context.params, context.files())
    context.progress(0.0, Note("%(files)s file(s), %(bytes)s bytes: reading",
                               files=len(upload.files), bytes=upload.size))
    summary = import_upload(context.session, upload, actor=context.actor,
                            progress=context.progress)
    return JobOutcome(
        message=Note("%(read)s read, %(accepted)s accepted, %(rejected)s rejected",
                     read=summary.read, accepted=summary.accepted,
                     rejected=summary.rejected),
        result=import_answer(summary), page_url=PAGE.format(id=context.job_id))


# Imports change what every analyst reads: they see one being made, as they see the
# import records (GET /incidents/imports); the requester and admin may cancel it.
INCIDENT_IMPORT = register(JobKind(KIND, run_import_job, "Incident import",
                                   readers=ANALYSIS_READERS))
