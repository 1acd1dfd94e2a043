"""Crime incidents into PostGIS: read and validated by :mod:`gis.incidents`, written in
one transaction (upsert by source and source id, so re-importing never duplicates), rejects
written to a CSV with the reason per row, the run kept in ``incident_imports`` and audited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.analysis import repository
from app.geography.repository.areas import area_polygons
from app.models import IncidentImport
from gis.incidents import ColumnMapping, read_incidents, write_rejects_csv

logger = logging.getLogger(__name__)

COLUMNS = ("source", "source_id", "occurred_at", "time_resolution", "timezone", "category",
           "source_category", "source_subcategory", "description", "address", "import_id",
           "geom")
EXAMPLES_PER_REASON = 3


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

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_rejects_path(source: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(current_app.instance_path) / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"incidents-{source}-{stamp}.csv"


def import_incidents(session: Session, paths: Sequence[Path], *,
                     mapping: ColumnMapping | None = None, source: str | None = None,
                     encoding: str | None = None, default_tz: str | None = None,
                     rejects_path: Path | None = None, reason: str | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     actor: Any = None) -> IncidentImportSummary:
    """Read ``paths`` and upsert the good rows; the caller commits (or rolls back).

    Raises the :mod:`gis.errors` of :func:`gis.incidents.read_incidents` (unknown layout,
    missing column, unreadable file, missing time zone) before anything is written."""
    areas = area_polygons(session)
    result = read_incidents(list(paths), mapping=mapping, encoding=encoding, areas=areas,
                            default_tz=default_tz, on_progress=progress)
    presets = dict(result.layouts)
    source = source or _default_source(presets, paths)
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
    inserted, updated = repository.merge_incidents(session, frame, COLUMNS, import_id=record.id)
    path = None
    if result.rejected:
        target = rejects_path or default_rejects_path(source)
        write_rejects_csv(result, target)
        path = str(target)
    summary = IncidentImportSummary(
        import_id=record.id, source=source, presets=presets, read=result.read,
        accepted=result.accepted, rejected=result.rejected,
        rejects_by_reason={k: v for k, v in result.counts.items() if v},
        inserted=inserted, updated=updated, unchanged=result.accepted - inserted - updated,
        rejects_path=path,
        categories=result.incidents["category"].value_counts().to_dict(),
        resolutions=result.incidents["time_resolution"].value_counts().to_dict(),
        unknown_categories=dict(result.unknown_categories.most_common(20)),
        examples=_examples(result.rejects), areas_checked=areas is not None)
    record.counts = {k: v for k, v in summary.as_dict().items()
                     if k not in ("import_id", "source", "presets")}
    record.rejects_path = path
    audit.record(session, "incidents.import", object_type="incident_import",
                 object_id=record.id, reason=reason, actor=actor,
                 details={"source": source, "files": record.files, "read": summary.read,
                          "accepted": summary.accepted, "rejected": summary.rejected,
                          "inserted": inserted, "updated": updated})
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


def _examples(rejects: Any) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    if rejects is None or rejects.empty:
        return examples
    for reason, group in rejects.groupby("reason", sort=True):
        examples[str(reason)] = [
            f"{row.source_file} line {row.line}: {row.message}"
            for row in group.head(EXAMPLES_PER_REASON).itertuples()]
    return examples
