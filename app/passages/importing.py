"""Passage files and feed batches into ``passages``: read, checked row by row, written in
one transaction (COPY into a stage, one INSERT that skips reads already stored).

**Never half-written.** A file is checked whole before anything is kept: with a bad row
(its line or position, the field and why, every one listed up to :data:`MAX_LISTED`) the
import is refused (422 ``bad_rows``, nothing written) unless ``skip_bad`` asks for the good
rows to be written and the bad ones listed; a failure or a cancelled job midway rolls the
whole transaction back. A live feed batch takes ``skip_bad`` always (one bad record must
not hold back the others, nor have the checkpoint system send the batch for ever).
Unread plates (``未识别``, ``无牌``…) are counted and skipped, not errors. A passage
already stored (same checkpoint, time, lane and plate) is counted as a duplicate, so a
file imported twice or a batch sent again writes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from app import audit
from app.errors import InvalidValue, nothing_imported
from app.guards import load_json
from app.jobs.progress import Progress, no_progress
from app.models import User
from app.passages import repository
from dispatch.checkpoints import checked, csv_passages, json_passages
from dispatch.checkpoints.passage_file import PassageSource
from dispatch.tabular import RowError, UnreadableText, decode_text
from runtime.notes import Note

logger = logging.getLogger(__name__)

MAX_LISTED = 1000
"""Refused rows listed in an answer (the rest are counted)."""
CHUNK = 20_000
"""Rows staged per COPY."""


@dataclass
class PassageImport:
    """What an import or a feed batch did."""

    kind: str = "csv"
    encoding: str | None = None
    records: int = 0
    written: int = 0
    duplicates: int = 0
    unread: int = 0
    refused: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "encoding": self.encoding, "records": self.records,
                "written": self.written, "duplicates": self.duplicates,
                "unread_plates": self.unread, "refused": self.refused,
                "errors": self.errors, "warnings": self.warnings,
                "checkpoints": len(self.checkpoints),
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None}

    def refuse(self, *problems: RowError) -> None:
        """One row refused, for each of its problems."""
        self.refused += 1
        key = "line" if self.kind == "csv" else "record"
        for error in problems[:max(0, MAX_LISTED - len(self.errors))]:
            self.errors.append({key: error.row, "field": error.field,
                                "message": error.message})


def jurisdiction_zone() -> tzinfo:
    """The zone of times written without one: ``GRIDPATROL_TIMEZONE``."""
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or "UTC")


def retention_start(now: datetime) -> datetime | None:
    days = current_app.config.get("PASSAGE_RETENTION_DAYS") if has_app_context() else None
    return now - timedelta(days=int(days)) if days else None


def open_file(raw: bytes, *, name: str) -> tuple[PassageSource, str | None]:
    """The file as passage records (JSON by its name or its first character), and the
    encoding of a CSV; 422 naming ``file`` when it is not text or not JSON."""
    suffix = PurePath(name).suffix.lower()
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix == ".json" or (suffix not in (".csv", ".txt") and head[:1] in (b"[", b"{")):
        try:
            return json_passages(load_json(raw.decode("utf-8-sig"), what="The file")), None
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidValue(f"The passage file is not JSON: {exc}.", field="file",
                               code="unreadable_file") from None
    try:
        text, encoding = decode_text(raw)
    except UnreadableText as exc:
        raise InvalidValue(f"The passage file cannot be read: {exc}.", field="file",
                           code="unreadable_file") from None
    return csv_passages(text), encoding


def import_passages(session: Session, raw: bytes, *, name: str, skip_bad: bool = False,
                    reason: str | None = None, actor: User | None = None,
                    tz: tzinfo | None = None, source: str = "import",
                    progress: Progress = no_progress, now: datetime | None = None
                    ) -> PassageImport:
    """Import a passage file (the caller commits). See the module docstring."""
    opened, encoding = open_file(raw, name=name)
    total = raw.count(b"\n") if opened.kind == "csv" else None
    result = write_source(session, opened, skip_bad=skip_bad, tz=tz, source=source,
                          progress=progress, now=now, total=total)
    result.encoding = encoding
    audit.record(session, "passage.import", object_type="passages", object_id=name[:128],
                 reason=reason, actor=actor, details=_audit_details(result) | {"file": name})
    return result


def ingest_batch(session: Session, records: list[Any], *, actor: User | None = None,
                 now: datetime | None = None) -> PassageImport:
    """A batch of live records from the checkpoint system (JSON objects as in a file): the
    good ones written, the bad ones listed by their position; audited as one row."""
    result = write_source(session, json_passages(records), skip_bad=True, tz=None,
                          source="feed", now=now, empty_ok=True)
    audit.record(session, "passage.feed", object_type="passages", actor=actor,
                 details=_audit_details(result))
    return result


def write_source(session: Session, opened: PassageSource, *, skip_bad: bool,
                 tz: tzinfo | None, source: str, progress: Progress = no_progress,
                 now: datetime | None = None, total: int | None = None,
                 empty_ok: bool = False) -> PassageImport:
    """Check every record of ``opened`` and write the good ones (all, or none when a row is
    bad and ``skip_bad`` is off: then 422 ``bad_rows`` listing them)."""
    result = PassageImport(kind=opened.kind)
    if opened.errors:  # the file itself: no heading, a required column missing, not a list
        raise nothing_imported("passages", [e.message for e in opened.errors])
    now = now or datetime.now(UTC)
    known = {row.code: row for row in repository.checkpoints(session)}
    writer = repository.PassageWriter(session)
    chunk: list[tuple[Any, ...]] = []
    for row in _good_rows(opened, result, known, tz=tz or jurisdiction_zone(), now=now):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            if not result.refused or skip_bad:
                writer.stage(chunk)
            chunk = []
            progress(min(0.9, result.records / total) if total else 0.5,
                     Note("%(rows)s rows read", rows=result.records))
    for error in opened.errors:  # rows that could not be cut into cells
        result.refuse(error)
    result.errors.sort(key=lambda e: e.get("line", e.get("record", 0)))
    result.warnings = [{"field": w.field, "message": w.message} for w in opened.warnings]
    if result.refused and not skip_bad:
        raise InvalidValue(
            f"{result.refused:,} of {result.records:,} rows refused; nothing was written "
            "(correct them, or import with skip_bad to write the good rows): "
            + "; ".join(_line(e) for e in result.errors[:3]),
            field="file", code="bad_rows",
            extra={"errors": result.errors, "refused": result.refused})
    writer.stage(chunk)
    good = writer.staged
    if not good and not empty_ok:
        problems = [_line(e) for e in result.errors]
        if result.unread:
            problems.append(f"{result.unread:,} rows with unread plates skipped")
        raise nothing_imported("passages", problems, rows=result.errors)
    progress(0.95, Note("writing %(passages)s passages", passages=good))
    result.written = writer.write(source=source) if good else 0
    result.duplicates = good - result.written
    return result


def _good_rows(opened: PassageSource, result: PassageImport,
               known: dict[str, repository.CheckpointRow], *, tz: tzinfo, now: datetime
               ) -> Iterator[tuple[Any, ...]]:
    for row in checked(opened, tz=tz, now=now, oldest=retention_start(now)):
        result.records += 1
        if row.unread:
            result.unread += 1
            continue
        if row.record is None:
            result.refuse(*row.problems)
            continue
        record = row.record
        site = known.get(record.checkpoint)
        if site is None:
            result.refuse(RowError(row.row, "checkpoint", f"no checkpoint {record.checkpoint!r}"
                                   " (register it first: POST /api/v1/checkpoints or "
                                   "gridpatrol import checkpoints)"))
            continue
        if record.direction and site.directions and record.direction not in site.directions:
            result.refuse(RowError(row.row, "direction", (
                f"{record.direction!r} is not a direction of checkpoint {site.code} "
                f"({', '.join(site.directions)})")))
            continue
        result.checkpoints.add(site.code)
        result.first = min(result.first or record.passed_at, record.passed_at)
        result.last = max(result.last or record.passed_at, record.passed_at)
        yield (site.id, record.passed_at, record.plate, record.direction, record.lane,
               record.vehicle_type, record.vehicle_colour, record.plate_colour)


def _line(error: dict[str, Any]) -> str:
    where = f"line {error['line']}" if "line" in error else f"record {error.get('record')}"
    field_name = f"{error['field']}: " if error.get("field") else ""
    return f"{where}: {field_name}{error['message']}"


def _audit_details(result: PassageImport) -> dict[str, Any]:
    return {"records": result.records, "written": result.written,
            "duplicates": result.duplicates, "unread_plates": result.unread,
            "refused": result.refused, "checkpoints": sorted(result.checkpoints)[:50],
            "first": result.first.isoformat() if result.first else None,
            "last": result.last.isoformat() if result.last else None}
