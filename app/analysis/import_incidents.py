"""Crime incidents into PostGIS: read and validated by :mod:`gis.incidents`, written in
one transaction (upsert by source and source id, so re-importing never duplicates), rejects
written to a CSV with the reason per row, the run kept in ``incident_imports`` and audited.

The summary says what an analyst must see before trusting the data: how each time column
was read (HHMM numbers, day-first dates...), the incidents per local hour of day and per
time resolution (a collapse to midnight shows at once), the source categories no table or
rule knows (with counts, also written to a CSV to fill in and hand back as
``--category-map``) and those a keyword rule settled. The analyst's category map (stored,
and the ``category_map`` given with this import, which is then stored for the data set)
wins over the built-in tables.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.analysis import repository
from app.analysis.categories import checked_entries, reclassify
from app.geography.datum import checked_datum
from app.geography.repository.areas import area_polygons
from app.jobs.progress import Progress, no_progress, scaled
from app.models import IncidentImport
from gis.incidents import (
    ColumnMapping,
    IncidentReadResult,
    category_map_csv,
    read_incidents,
    write_rejects_csv,
)
from gis.incidents.categories import normalise_key
from runtime.notes import Note

logger = logging.getLogger(__name__)

COLUMNS = ("source", "source_id", "occurred_at", "time_resolution", "timezone", "category",
           "source_category", "source_subcategory", "description", "address", "import_id",
           "geom")
EXAMPLES_PER_REASON = 3
MAX_LISTED = 1000  # unmapped values kept in the summary (the CSV file lists them all)
MAX_REJECTED_LISTED = 1000  # rejected rows kept in the summary (the rejects CSV has all)
#: Shares of an import's progress: reading and checking the files, then writing.
READ_SHARE, WRITE_SHARE = 0.55, 0.4


@dataclass
class IncidentImportSummary:
    """What one import did; ``examples`` holds a few reject messages per reason."""

    import_id: int
    source: str
    presets: dict[str, str | None]
    read: int
    accepted: int
    rejected: int
    rejects_by_reason: dict[str, int]
    inserted: int
    updated: int
    unchanged: int
    rejects_path: str | None
    categories: dict[str, int]
    resolutions: dict[str, int]
    unknown_categories: dict[str, int]
    examples: dict[str, list[str]] = field(default_factory=dict)
    areas_checked: bool = True
    hours: list[int] = field(default_factory=list)
    time_notes: list[str] = field(default_factory=list)
    ruled_categories: dict[str, list[Any]] = field(default_factory=dict)
    unmapped_path: str | None = None
    category_map: int = 0
    reclassified: int = 0  # incidents of earlier imports the category map re-classified
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    datum: str = "wgs84"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_rejects_path(source: str, *, kind: str = "incidents") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(current_app.instance_path) / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source)
    return folder / f"{kind}-{safe}-{stamp}.csv"


def _apply_overrides(result: IncidentReadResult, overrides: Mapping[str, str]) -> None:
    """The analyst's map wins: set the category of the rows whose source category it names,
    and stop listing those values as unknown or ruled."""
    if not overrides:
        return
    chosen = {normalise_key(k): v for k, v in overrides.items()}
    keys = result.incidents["source_category"].fillna("").astype(str).map(normalise_key)
    codes = keys.map(chosen)
    result.incidents["category"] = codes.where(codes.notna(), result.incidents["category"])
    for value in [v for v in result.unknown_categories if normalise_key(v) in chosen]:
        del result.unknown_categories[value]
    for value in [v for v in result.ruled_categories if normalise_key(v) in chosen]:
        del result.ruled_categories[value]


def import_incidents(session: Session, paths: Sequence[Path], *,
                     mapping: ColumnMapping | None = None, source: str | None = None,
                     encoding: str | None = None, default_tz: str | None = None,
                     rejects_path: Path | None = None, reason: str | None = None,
                     progress: Progress | None = None,
                     category_map: Mapping[str, str] | None = None,
                     actor: Any = None, datum: str = "wgs84") -> IncidentImportSummary:
    """Read ``paths`` and upsert the good rows; the caller commits (or rolls back).

    Raises the :mod:`gis.errors` of :func:`gis.incidents.read_incidents` (unknown layout,
    missing column, unreadable file, missing time zone, a time column that reads two ways)
    before anything is written. ``category_map`` (source value → code) is checked first
    and stored for the data set. Coordinates are in ``datum`` (wgs84, gcj02, bd09) and
    stored as WGS-84. ``progress(fraction, message)`` is told the rows read and
    written; it may raise to stop the import (a job's cancellation) up to the last point,
    "listing the rejects", after which nothing but the rejects files and the audit row is
    written — so a stopped import leaves no file either once the caller rolls back."""
    datum = checked_datum(datum)
    report = progress or no_progress
    entries = checked_entries(category_map) if category_map else []
    reclassified = 0
    areas = area_polygons(session)
    result = read_incidents(list(paths), mapping=mapping, encoding=encoding, areas=areas,
                            default_tz=default_tz, progress=scaled(report, 0.0, READ_SHARE),
                            category_overrides={v: c for v, _, c in entries} or None,
                            datum=datum)
    presets = dict(result.layouts)
    source = source or _default_source(presets, paths)
    overrides = repository.category_overrides(session, source) | {v: c for v, _, c in entries}
    _apply_overrides(result, overrides)
    record = IncidentImport(
        source=source, preset=next(iter(set(presets.values())), None),
        files=[str(p) for p in paths],
        mapping={name: _mapping_json(m) for name, m in result.mappings.items()},
        created_by=getattr(actor, "id", None))
    session.add(record)
    session.flush()
    frame = result.incidents.copy()
    frame["source"] = source
    frame["import_id"] = record.id
    inserted, updated = repository.merge_incidents(
        session, frame, COLUMNS, import_id=record.id,
        progress=scaled(report, READ_SHARE, READ_SHARE + WRITE_SHARE))
    if entries:
        report(READ_SHARE + WRITE_SHARE, Note("storing %(entries)s category map entries",
                                              entries=len(entries)))
        repository.upsert_category_map(session, source, entries,
                                       created_by=getattr(actor, "id", None))
        reclassified = reclassify(session, [v for v, _, _ in entries], source=source)["total"]
    report(0.98, Note("%(accepted)s written; listing %(rejected)s rejected rows",
                      accepted=result.accepted, rejected=result.rejected))
    path = None
    if result.rejected:
        target = rejects_path or default_rejects_path(source)
        write_rejects_csv(result, target)
        path = str(target)
    unmapped_path = None
    if result.unknown_categories:
        unmapped = default_rejects_path(source, kind="unmapped-categories")
        unmapped.write_text(category_map_csv(result.unknown_categories), encoding="utf-8-sig")
        unmapped_path = str(unmapped)
    summary = IncidentImportSummary(
        import_id=record.id, source=source, presets=presets, read=result.read,
        accepted=result.accepted, rejected=result.rejected,
        rejects_by_reason={k: v for k, v in result.counts.items() if v},
        inserted=inserted, updated=updated, unchanged=result.accepted - inserted - updated,
        rejects_path=path,
        categories=result.incidents["category"].value_counts().to_dict(),
        resolutions=result.incidents["time_resolution"].value_counts().to_dict(),
        unknown_categories=dict(result.unknown_categories.most_common(MAX_LISTED)),
        examples=_examples(result.rejects), areas_checked=areas is not None,
        hours=result.hours(), time_notes=list(result.notes),
        ruled_categories={value: [code, count] for value, (code, count) in sorted(
            result.ruled_categories.items(), key=lambda item: -item[1][1])},
        unmapped_path=unmapped_path, category_map=len(entries), reclassified=reclassified,
        rejected_rows=rejected_rows(result), datum=datum)
    record.counts = {k: v for k, v in summary.as_dict().items()
                     if k not in ("import_id", "source", "presets")}
    record.rejects_path = path
    audit.record(session, "incidents.import", object_type="incident_import",
                 object_id=record.id, reason=reason, actor=actor,
                 details={"source": source, "files": record.files, "read": summary.read,
                          "accepted": summary.accepted, "rejected": summary.rejected,
                          "inserted": inserted, "updated": updated, "datum": datum,
                          "category_map": {v: c for v, _, c in entries}})
    logger.info("incidents import %s: %d read, %d accepted, %d rejected", source,
                summary.read, summary.accepted, summary.rejected)
    return summary


def _default_source(presets: dict[str, str | None], paths: Sequence[Path]) -> str:
    known = {p for p in presets.values() if p}
    if len(known) == 1 and None not in presets.values():
        return known.pop()
    return Path(paths[0]).stem[:64] or "incidents"


def _mapping_json(mapping: ColumnMapping) -> dict[str, str]:
    return {k: v for k, v in mapping.__dict__.items() if v is not None}


def rejected_rows(result: IncidentReadResult, *, limit: int = MAX_REJECTED_LISTED
                  ) -> list[dict[str, Any]]:
    """The first ``limit`` rejected rows: file, line, reason, the source column(s) it is
    about (as named in the file; None for a row that is broken as a whole) and why."""
    rejects = result.rejects
    if rejects is None or rejects.empty:
        return []
    rows = []
    for row in rejects.head(limit).itertuples():
        mapping = result.mappings.get(str(row.source_file))
        rows.append({"file": str(row.source_file), "line": int(row.line),
                     "reason": str(row.reason),
                     "field": _field_of(str(row.reason), mapping) if mapping else None,
                     "message": str(row.message)})
    return rows


def _field_of(reason: str, mapping: ColumnMapping) -> str | None:
    """The source column(s) a reject reason is about."""
    if reason in ("missing_id", "duplicate_id"):
        return mapping.id
    if reason == "bad_time":
        columns = [mapping.datetime, mapping.date, mapping.time, mapping.month]
    elif reason in ("no_coordinates", "bad_coordinates", "zero_coordinates",
                    "coordinates_out_of_range", "outside_area"):
        columns = [mapping.lon, mapping.lat, mapping.x, mapping.y]
        if not any(columns):
            return "geometry"
    else:
        return None
    return ", ".join(c for c in columns if c) or None


def _examples(rejects: Any) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    if rejects is None or rejects.empty:
        return examples
    for reason, group in rejects.groupby("reason", sort=True):
        examples[str(reason)] = [
            f"{row.source_file} line {row.line}: {row.message}"
            for row in group.head(EXAMPLES_PER_REASON).itertuples()]
    return examples
