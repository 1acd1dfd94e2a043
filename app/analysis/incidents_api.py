"""Incident imports and the analyst's category map on the API: upload an export, read what
each import found (hours of day, time resolutions, unmapped categories), and map source
categories to the common ones, re-classifying the incidents already stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import Field

from app.analysis import repository
from app.analysis.categories import category_map, remove_category_map, save_category_map
from app.analysis.import_jobs import (
    import_answer,
    import_is_small,
    import_upload,
    public_summary,
    queue_import,
)
from app.analysis.uploads import upload_from_request
from app.api import bp
from app.api.docs import Param, StrictBody, documented, parse_body
from app.auth.access import ANALYSIS_READERS, allow
from app.db import get_session
from app.errors import RecordNotFound
from app.jobs.api import ACCEPTED, TOO_MANY
from app.jobs.service import accepted, prefers_async
from app.models import IncidentImport

READERS = ANALYSIS_READERS
IMPORT_ID = Param("import_id", "incident import id", location="path", type="integer")
ENTRY_ID = Param("entry_id", "category map entry id", location="path", type="integer")


class MappingEntry(StrictBody):
    source_category: str = Field(min_length=1, max_length=500)
    category: str = Field(min_length=1, max_length=32)


class CategoryMapBody(StrictBody):
    source: str | None = Field(default=None, max_length=64)
    mappings: list[MappingEntry] = Field(min_length=1, max_length=500)
    reason: str | None = Field(default=None, max_length=2000)


def import_json(record: IncidentImport) -> dict[str, Any]:
    return {"id": record.id, "source": record.source, "preset": record.preset,
            "files": [Path(f).name for f in record.files],
            "created_at": record.created_at.isoformat() if record.created_at else None,
            "summary": public_summary(dict(record.counts))}


@bp.get("/incidents/imports")
@allow(*READERS)
@documented("Incident imports, newest first, each with its summary (rows, rejects by "
            "reason, time notes, incidents per hour of day and per time resolution, "
            "categories, unmapped source categories)", tag="analysis")
def list_imports() -> dict[str, Any]:
    return {"imports": [import_json(r) for r in repository.import_records(get_session())]}


@bp.get("/incidents/imports/<int:import_id>")
@allow(*READERS)
@documented("One incident import with its summary", tag="analysis", params=(IMPORT_ID,))
def show_import(import_id: int) -> dict[str, Any]:
    record = repository.import_record(get_session(), import_id)
    if record is None:
        raise RecordNotFound(f"No incident import {import_id}.", field="import_id")
    return import_json(record)


@bp.post("/incidents/imports")
@allow("analyst")
@documented("Import incident files (multipart `files`: CSV, GeoJSON, GeoPackage, or a "
            "Shapefile with its .shx/.dbf/.prj); form fields `mapping` (as on the command "
            "line, or a JSON object), `source`, `tz`, `encoding`, `datum` (wgs84, gcj02 for "
            "AMap or Tencent exports, bd09 for Baidu's), `reason`, and a "
            "`category_map` CSV file. Refused at once (422 naming the field): no or empty "
            "files, an unread kind of file, a mapping that does not parse, a CSV whose "
            "header matches no layout without a mapping (`unknown_layout`) or lacks a "
            "mapped column, an unknown tz or encoding, a bad category map. Up to 1 MB (and "
            "without Prefer: respond-async) the import runs in the request (201); larger "
            "uploads are stored and imported by a job (202: follow /api/v1/jobs/ID, whose "
            "result is the same {id, summary}; cancelling it writes nothing). A time "
            "column that reads two ways is refused (422, or the job fails with that "
            "error) and nothing is written", tag="analysis",
            responses={201: "{id, summary}", 202: ACCEPTED, 429: TOO_MANY,
                       422: "a field that cannot be read (see above); inline: unreadable "
                            "file, ambiguous times"})
def upload_import() -> Any:
    upload = upload_from_request(request.form, request.files)
    session = get_session()
    if prefers_async() or not import_is_small(upload):
        job = queue_import(session, upload, actor=current_user)
        session.commit()
        return accepted(job)
    summary = import_upload(session, upload, actor=current_user)
    session.commit()
    return import_answer(summary), 201


@bp.get("/incidents/category-map")
@allow(*READERS)
@documented("The analyst's category map, the source categories no table, rule or entry "
            "knows (with their incident counts) and the common categories", tag="analysis",
            responses={200: "{mappings, unmapped: [{source, source_category, count}], "
                            "categories}"})
def get_category_map() -> dict[str, Any]:
    return category_map(get_session())


@bp.post("/incidents/category-map")
@allow("analyst")
@documented("Map source categories to common ones (for one source, or every source when "
            "`source` is left out); the incidents already stored are re-classified",
            tag="analysis", body=CategoryMapBody,
            responses={200: "{mappings, reclassified: {total, by_category}}"},
            refusals={"unknown_category": "a category is not one of the common codes "
                                          "(GET /incidents/category-map lists them)"})
def post_category_map() -> dict[str, Any]:
    body = parse_body(CategoryMapBody)
    entries: dict[str, str] = {}
    for entry in body.mappings:
        entries[entry.source_category] = entry.category
    session = get_session()
    answer = save_category_map(session, entries, source=body.source or None,
                               actor=current_user, reason=body.reason)
    session.commit()
    return answer


@bp.delete("/incidents/category-map/<int:entry_id>")
@allow("analyst")
@documented("Remove a category map entry; its incidents are re-classified by the tables "
            "and rules", tag="analysis", params=(ENTRY_ID,))
def delete_category_map(entry_id: int) -> dict[str, Any]:
    session = get_session()
    answer = remove_category_map(session, entry_id, actor=current_user,
                                 reason=request.args.get("reason"))
    session.commit()
    return answer
