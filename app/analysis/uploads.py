"""An incident export uploaded from the analyst's page or the API, checked before anything
is queued: what can be refused from the request itself is refused at once (422 naming
the field), the rest is read later by :mod:`app.analysis.import_jobs`.

Refused at once: no files; a kind of file that is not read; two files of one name; an
empty file; a Shapefile part without its ``.shp``; a mapping that does not parse; an
unknown time zone or text encoding; a source name over 64 characters; a category map that
does not parse or names unknown categories; and, for each CSV file, what its header line
already tells (:func:`gis.incidents.peek.check_csv_layout`): no known layout and no
mapping, or a mapped column the file lacks. What only reading every row can tell (times
that read two ways, rows refused) is the import's own answer.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage, ImmutableMultiDict

from app.analysis.categories import checked_entries
from app.errors import InvalidValue
from app.geography.datum import checked_datum
from app.jobs.service import InputFile
from gis.errors import (
    CategoryTableError,
    CrsError,
    IncidentFileError,
    IncidentMappingError,
    MissingColumnError,
    TimezoneError,
    UnknownIncidentLayoutError,
)
from gis.incidents import ColumnMapping, mapping_from_dict, parse_mapping
from gis.incidents.category_map import parse_category_map
from gis.incidents.mapping import check_timezone
from gis.incidents.peek import check_csv_layout
from gis.incidents.sources import CSV_SUFFIXES, GEO_SUFFIXES

SIDECARS = frozenset({".shx", ".dbf", ".prj", ".cpg"})
MAX_CATEGORY_MAP_BYTES = 5_000_000
FILES, CATEGORY_MAP = "files", "category_map"


@dataclass(frozen=True)
class IncidentUpload:
    """The files of an import and how to read them, as the form or the API gave them."""

    files: list[InputFile]
    mapping: dict[str, str] | None = None
    source: str | None = None
    encoding: str | None = None
    tz: str | None = None
    reason: str | None = None
    category_map: InputFile | None = None
    datum: str = "wgs84"

    @property
    def size(self) -> int:
        """Bytes of the export's files."""
        return sum(len(f.content) for f in self.files)

    def column_mapping(self) -> ColumnMapping | None:
        return mapping_from_dict(self.mapping) if self.mapping else None

    def category_entries(self) -> dict[str, str] | None:
        return _category_map(self.category_map.content) if self.category_map else None

    def params(self) -> dict[str, Any]:
        """The job's parameters (the files themselves are stored beside it)."""
        return {"mapping": self.mapping, "source": self.source, "encoding": self.encoding,
                "tz": self.tz, "reason": self.reason, "datum": self.datum}

    def inputs(self) -> list[InputFile]:
        return self.files + ([self.category_map] if self.category_map else [])

    @classmethod
    def from_job(cls, params: dict[str, Any], files: Iterable[Any]) -> IncidentUpload:
        """Back from a job's parameters and stored files (``role``, ``name``,
        ``content``)."""
        stored = [InputFile(f.role, f.name, bytes(f.content)) for f in files]
        return cls(files=[f for f in stored if f.role == FILES],
                   category_map=next((f for f in stored if f.role == CATEGORY_MAP), None),
                   mapping=params.get("mapping"), source=params.get("source"),
                   encoding=params.get("encoding"), tz=params.get("tz"),
                   reason=params.get("reason"), datum=params.get("datum") or "wgs84")


def upload_from_request(form: ImmutableMultiDict[str, str],
                        files: ImmutableMultiDict[str, FileStorage]) -> IncidentUpload:
    """The upload of a multipart request (``files``, ``mapping``, ``source``, ``tz``,
    ``encoding``, ``datum``, ``reason``, ``category_map``), checked (422 naming the
    field)."""
    uploads = [u for u in files.getlist(FILES) if u.filename]
    if not uploads:
        raise InvalidValue("Send the export as multipart field 'files'.", field="files")
    mapping = _mapping(form.get("mapping"))
    datum = checked_datum(form.get("datum") or None)  # wgs84 (also left blank), gcj02, bd09
    source = (form.get("source") or "").strip() or None
    if source and len(source) > 64:
        raise InvalidValue("source is longer than 64 characters.", field="source")
    tz = (form.get("tz") or "").strip() or None
    if tz:
        try:
            check_timezone(tz)
        except TimezoneError as exc:
            raise InvalidValue(str(exc), field="tz") from None
    encoding = (form.get("encoding") or "").strip() or None
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidValue(f"Unknown text encoding {encoding!r}.",
                               field="encoding") from None
    stored = _files(uploads)
    chosen = files.get(CATEGORY_MAP)
    category_map = None
    if chosen is not None and chosen.filename:
        raw = chosen.read(MAX_CATEGORY_MAP_BYTES + 1)
        if len(raw) > MAX_CATEGORY_MAP_BYTES:
            raise InvalidValue("The category map is over 5 MB.", field="category_map")
        entries = _category_map(raw)
        if entries:
            checked_entries(entries)
        category_map = InputFile(CATEGORY_MAP, "category_map.csv", raw)
    column_mapping = mapping_from_dict(mapping) if mapping else None
    for file in stored:
        if Path(file.name).suffix.lower() in CSV_SUFFIXES:
            try:
                check_csv_layout(file.content, name=file.name, mapping=column_mapping,
                                 encoding=encoding)
            except UnknownIncidentLayoutError as exc:
                raise InvalidValue(str(exc), field="mapping", code="unknown_layout") from None
            except (IncidentMappingError, MissingColumnError) as exc:
                raise InvalidValue(str(exc), field="mapping") from None
            except IncidentFileError as exc:
                raise InvalidValue(str(exc), field="files") from None
    reason = (form.get("reason") or "").strip()[:2000] or None
    return IncidentUpload(files=stored, mapping=mapping, source=source, encoding=encoding,
                          tz=tz, reason=reason, category_map=category_map, datum=datum)


def _files(uploads: list[FileStorage]) -> list[InputFile]:
    stored: list[InputFile] = []
    names: set[str] = set()
    for upload in uploads:
        name = safe_name(upload.filename or "")
        if name in names:
            raise InvalidValue(f"Two files are called {name!r}.", field="files")
        names.add(name)
        content = upload.read()
        if not content:
            raise InvalidValue(f"{upload.filename!r} is empty.", field="files")
        stored.append(InputFile(FILES, name, content))
    readable = [f for f in stored if Path(f.name).suffix.lower() in CSV_SUFFIXES | GEO_SUFFIXES]
    if not readable:
        raise InvalidValue("Only Shapefile parts were sent: add the .shp file.",
                           field="files")
    return stored


def safe_name(filename: str) -> str:
    """The upload's name without any folder, in letters (any script), digits, ``-`` and
    ``_``, with its suffix; 422 for a kind of file that is not read."""
    base = Path(filename.replace("\\", "/")).name
    suffix = Path(base).suffix.lower()
    if suffix not in CSV_SUFFIXES | GEO_SUFFIXES | SIDECARS:
        raise InvalidValue(f"{filename!r}: use CSV, GeoJSON, GeoPackage or a Shapefile.",
                           field="files")
    stem = re.sub(r"[^\w\-]+", "_", Path(base).stem).strip("_")[:100] or "upload"
    return stem + suffix


def _mapping(text: str | None) -> dict[str, str] | None:
    """The mapping as a dict of its fields (checked by building it)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        if text.startswith("{"):
            try:
                values = json.loads(text)
            except ValueError:
                raise InvalidValue("mapping is not valid JSON.", field="mapping") from None
            if not isinstance(values, dict):
                raise InvalidValue("mapping must be a JSON object.", field="mapping")
            built = mapping_from_dict(values)
        else:
            built = parse_mapping(text)
    except (IncidentMappingError, TimezoneError, CrsError) as exc:
        raise InvalidValue(str(exc), field="mapping") from None
    return {k: v for k, v in built.__dict__.items() if v is not None}


def _category_map(raw: bytes) -> dict[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return parse_category_map(text, name="category_map")
        except CategoryTableError as exc:
            raise InvalidValue(str(exc), field="category_map") from None
    raise InvalidValue("The category map is neither UTF-8 nor GB18030 text.",
                       field="category_map")
