"""Incident imports and the analyst's category map on the API: upload an export, read what
each import found (hours of day, time resolutions, unmapped categories), and map source
categories to the common ones, re-classifying the incidents already stored."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import Field

from app.analysis import repository
from app.analysis.categories import category_map, remove_category_map, save_category_map
from app.analysis.import_incidents import IncidentImportSummary, import_incidents
from app.api import bp
from app.api.docs import Param, StrictBody, documented, parse_body
from app.auth.access import ANALYSIS_READERS, allow
from app.db import get_session
from app.errors import InvalidValue, RecordNotFound
from app.geography.datum import checked_datum
from app.models import IncidentImport
from gis.incidents import ColumnMapping, mapping_from_dict, parse_mapping
from gis.incidents.category_map import parse_category_map
from gis.incidents.sources import CSV_SUFFIXES, GEO_SUFFIXES

READERS = ANALYSIS_READERS
SIDECARS = frozenset({".shx", ".dbf", ".prj", ".cpg"})
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
            "summary": _public(dict(record.counts))}


def _public(summary: dict[str, Any]) -> dict[str, Any]:
    """Server paths are shown by file name only."""
    for key in ("rejects_path", "unmapped_path"):
        if summary.get(key):
            summary[key] = Path(summary[key]).name
    return summary


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
            "line, or a JSON object), `source`, `tz`, `encoding`, `datum` (wgs84, gcj02 "
            "for AMap or Tencent exports, bd09 for Baidu's), `reason`, and a "
            "`category_map` CSV file. A time column that reads two ways is refused (422, "
            "with example values) and nothing is written", tag="analysis",
            responses={201: "{id, summary}", 422: "unreadable file, unknown layout, "
                                                   "ambiguous times, bad category map"})
def upload_import() -> tuple[dict[str, Any], int]:
    uploads = request.files.getlist("files")
    if not uploads:
        raise InvalidValue("Send the export as multipart field 'files'.", field="files")
    mapping = _mapping(request.form.get("mapping"))
    datum = checked_datum(request.form.get("datum"))  # exactly wgs84, gcj02 or bd09
    chosen = _category_map(request.files.get("category_map"))
    session = get_session()
    with tempfile.TemporaryDirectory(prefix="gridpatrol-import-") as folder:
        names: set[str] = set()
        for upload in uploads:
            name = _safe_name(upload.filename or "")
            if name in names:
                raise InvalidValue(f"Two files are called {name!r}.", field="files")
            names.add(name)
            upload.save(Path(folder) / name)
        summary = import_incidents(
            session, [Path(folder)], mapping=mapping, source=request.form.get("source") or None,
            encoding=request.form.get("encoding") or None,
            default_tz=request.form.get("tz") or None, reason=request.form.get("reason"),
            category_map=chosen, actor=current_user, datum=datum)
        session.commit()
    return {"id": summary.import_id, "summary": _public(_summary_json(summary))}, 201


def _safe_name(filename: str) -> str:
    """The upload's name without any folder, in letters (any script), digits, ``-`` and
    ``_``, with its suffix; 422 for a kind of file that is not read."""
    base = Path(filename.replace("\\", "/")).name
    suffix = Path(base).suffix.lower()
    if suffix not in CSV_SUFFIXES | GEO_SUFFIXES | SIDECARS:
        raise InvalidValue(f"{filename!r}: use CSV, GeoJSON, GeoPackage or a Shapefile.",
                           field="files")
    stem = re.sub(r"[^\w\-]+", "_", Path(base).stem).strip("_")[:100] or "upload"
    return stem + suffix


def _summary_json(summary: IncidentImportSummary) -> dict[str, Any]:
    return summary.as_dict()


def _mapping(text: str | None) -> ColumnMapping | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    if text.startswith("{"):
        try:
            values = json.loads(text)
        except ValueError:
            raise InvalidValue("mapping is not valid JSON.", field="mapping") from None
        if not isinstance(values, dict):
            raise InvalidValue("mapping must be a JSON object.", field="mapping")
        return mapping_from_dict(values)
    return parse_mapping(text)


def _category_map(upload: Any) -> dict[str, str] | None:
    if upload is None:
        return None
    raw = upload.read(5_000_001)
    if len(raw) > 5_000_000:
        raise InvalidValue("The category map is over 5 MB.", field="category_map")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return parse_category_map(raw.decode(encoding), name="category_map")
        except UnicodeDecodeError:
            continue
    raise InvalidValue("The category map is neither UTF-8 nor GB18030 text.",
                       field="category_map")


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
