"""The analyst's category map: which common category a source's own category values go
to, beyond the built-in tables and keyword rules (`gis.incidents.categories`).

An entry holds for one data set (``source``) or for every one (``source`` empty); a data
set's own entry wins. Saving or removing entries re-classifies the incidents already
stored whose source category is one of those values (``source_category`` is kept on every
incident), in the same transaction and audited. The unmapped values are the stored
incidents' source categories that no table, rule or entry knows, with their counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from app import audit
from app.analysis import repository
from app.errors import InvalidValue, RecordNotFound
from app.models import IncidentCategoryMap
from gis.errors import CategoryTableError
from gis.incidents import categorise, load_category_table
from gis.incidents.categories import normalise_key

MAX_ENTRIES = 500


def entry_json(row: IncidentCategoryMap) -> dict[str, Any]:
    return {"id": row.id, "source": row.source or None, "source_category": row.source_category,
            "category": row.category, "created_at": row.created_at.isoformat()
            if row.created_at else None}


def checked_entries(entries: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``(value, key, code)`` for each entry; 422 naming the first unknown code."""
    table = load_category_table()
    if not entries:
        raise InvalidValue("Give at least one source_category and category.", field="mappings")
    if len(entries) > MAX_ENTRIES:
        raise InvalidValue(f"At most {MAX_ENTRIES} entries at a time.", field="mappings")
    checked = []
    for value, code in entries.items():
        text = value.strip()
        if not text:
            raise InvalidValue("source_category is empty.", field="source_category")
        try:
            checked.append((text, normalise_key(text), table.check_code(code)))
        except CategoryTableError as exc:
            raise InvalidValue(str(exc), field="category", code="unknown_category") from None
    return checked


def save_category_map(session: Session, entries: Mapping[str, str], *, source: str | None,
                      actor: Any = None, reason: str | None = None) -> dict[str, Any]:
    """Store entries (value → code) for ``source`` (None: every source) and re-classify the
    stored incidents of those values; the caller commits."""
    checked = checked_entries(entries)
    rows = repository.upsert_category_map(session, source or "", checked,
                                          created_by=getattr(actor, "id", None))
    changed = reclassify(session, [value for value, _, _ in checked], source=source)
    audit.record(session, "incidents.category_map", object_type="incident_category_map",
                 object_id=source or "*", reason=reason, actor=actor, details={
                     "source": source, "entries": {v: c for v, _, c in checked},
                     "reclassified": changed["total"]})
    return {"mappings": [entry_json(r) for r in rows], "reclassified": changed}


def remove_category_map(session: Session, entry_id: int, *, actor: Any = None,
                        reason: str | None = None) -> dict[str, Any]:
    """Remove one entry and re-classify its incidents by the tables and rules again."""
    entry = repository.category_map_entry(session, entry_id)
    if entry is None:
        raise RecordNotFound(f"No category map entry {entry_id}.", field="entry_id")
    value, source, code = entry.source_category, entry.source or None, entry.category
    repository.delete_category_map_entry(session, entry)
    changed = reclassify(session, [value], source=source)
    audit.record(session, "incidents.category_map.remove",
                 object_type="incident_category_map", object_id=entry_id, reason=reason,
                 actor=actor, details={"source": source, "source_category": value,
                                       "category": code, "reclassified": changed["total"]})
    return {"removed": entry_id, "reclassified": changed}


def reclassify(session: Session, values: Iterable[str], *,
               source: str | None = None) -> dict[str, Any]:
    """Give the stored incidents whose source category is one of ``values`` (compared as
    the tables compare: case and spacing ignored) the code the map, tables and rules give
    now. Returns ``{"total": n, "by_category": {code: n}}``."""
    keys = {normalise_key(v) for v in values}
    groups = [g for g in repository.source_categories(session, source=source)
              if normalise_key(g.source_category) in keys]
    changes: list[tuple[str, str, str | None, str]] = []
    moved: Counter[str] = Counter()
    by_source: dict[str, list[Any]] = defaultdict(list)
    for group in groups:
        by_source[group.source].append(group)
    for name, members in by_source.items():
        found = categorise(pd.Series([g.source_category for g in members], dtype=str),
                           pd.Series([g.source_subcategory for g in members], dtype=object),
                           table=repository.category_table_of(session, name),
                           overrides=repository.category_overrides(session, name))
        for group, code in zip(members, found.codes, strict=True):
            if code != group.category:
                changes.append((group.source, group.source_category, group.source_subcategory,
                                code))
                moved[code] += int(group.n)
    total = repository.set_categories(session, changes)
    return {"total": total, "by_category": dict(moved)}


def unmapped_categories(session: Session, *, source: str | None = None,
                        limit: int = 500) -> list[dict[str, Any]]:
    """Stored source categories that no table, rule or map entry knows (their incidents are
    ``other``), most incidents first: ``{source, source_category, count}``."""
    groups = [g for g in repository.source_categories(session, source=source)
              if g.category == "other"]
    counts: Counter[tuple[str, str]] = Counter()
    for group in groups:
        counts[(group.source, group.source_category)] += int(group.n)
    by_source: dict[str, list[str]] = defaultdict(list)
    for name, value in counts:
        by_source[name].append(value)
    unknown: list[dict[str, Any]] = []
    for name, values in by_source.items():
        found = categorise(pd.Series(values, dtype=str),
                           table=repository.category_table_of(session, name),
                           overrides=repository.category_overrides(session, name))
        unknown += [{"source": name, "source_category": value, "count": counts[(name, value)]}
                    for value in found.unknown]
    unknown.sort(key=lambda item: (-item["count"], item["source"], item["source_category"]))
    return unknown[:limit]


def category_map(session: Session) -> dict[str, Any]:
    """The stored entries, the unmapped values and the codes to choose from."""
    table = load_category_table()
    return {"mappings": [entry_json(r) for r in repository.category_map_rows(session)],
            "unmapped": unmapped_categories(session),
            "categories": [{"code": c.code, "en": c.label_en, "zh": c.label_zh}
                           for c in table.categories.values()]}
