"""The common incident categories and the tables that map source exports onto them.

Every agency names its offences differently (police.uk "Crime type", SFPD "Incident
Category", a Chinese 110 system's 警情类别). Analysis works on one short list of common
codes (``load_category_table().categories``), each with an English and a Chinese label; the
source value is always kept beside the code.

The list and the mapping tables live in ``data/incident_categories.json``:

- ``categories``: code, ``en`` and ``zh`` labels, in display order.
- ``tables``: one table per source layout (``police_uk``, ``sfpd``, ``sfpd_legacy``) and a
  ``generic`` one (common Chinese and English names), each mapping a source value to a code.
- ``subcategories``: per table, a category's subcategory values that refine its code (SFPD
  "Larceny Theft" / "Larceny - From Vehicle" is vehicle crime, as police.uk counts it).

Values are compared trimmed, with runs of white space as one space, case-insensitively.
A value is looked up in the named table's subcategory refinements, then the table, then the
generic table, the codes themselves and their labels. With no table named, every table is
tried (generic first, then the others in file order). A value found nowhere is ``other`` and
counted in :attr:`Categorised.unknown`; an empty value is ``other`` and not counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from gis.errors import CategoryTableError, IncidentMappingError

DEFAULT_CATEGORY_FILE = Path(__file__).resolve().parents[2] / "data" / "incident_categories.json"
"""The table shipped with the project (the repository's top-level ``data/``)."""

OTHER = "other"
_GENERIC = "generic"
_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Category:
    """One common category: its stable code and its labels."""

    code: str
    label_en: str
    label_zh: str


@dataclass(frozen=True)
class CategoryTable:
    r"""The common categories and the source tables, keys already normalised.

    Attributes
    ----------
    categories : Mapping of str to Category
        By code, in display order.
    tables : Mapping of str to Mapping of str to str
        Per table name: normalised source value → code.
    subcategories : Mapping of str to Mapping of str to str
        Per table name: normalised ``category + "\x1f" + subcategory`` → code.
    """

    categories: Mapping[str, Category]
    tables: Mapping[str, Mapping[str, str]]
    subcategories: Mapping[str, Mapping[str, str]]

    @property
    def table_names(self) -> tuple[str, ...]:
        """Names a mapping's ``category_table`` may take."""
        return tuple(self.tables)

    def lookup(self, table: str | None) -> tuple[Mapping[str, str], Mapping[str, str]]:
        """Return the merged value → code and (category, subcategory) → code dictionaries.

        Raises
        ------
        IncidentMappingError
            ``table`` is not one of :attr:`table_names`.
        """
        base = {**self._labels(), **self.tables.get(_GENERIC, {})}
        if table is None:
            values: dict[str, str] = {}
            pairs: dict[str, str] = {}
            for name in self.tables:
                values = {**self.tables[name], **values}
                pairs = {**self.subcategories.get(name, {}), **pairs}
            return {**values, **base}, pairs
        if table not in self.tables:
            raise IncidentMappingError(
                f"unknown category table {table!r}; known: {', '.join(self.tables)}")
        return {**base, **self.tables[table]}, dict(self.subcategories.get(table, {}))

    def _labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for category in self.categories.values():
            for name in (category.label_zh, category.label_en, category.code,
                         category.code.replace("_", " ")):
                labels[normalise_key(name)] = category.code
        return labels


@dataclass(frozen=True)
class Categorised:
    """What :func:`categorise` found.

    Attributes
    ----------
    codes : pandas.Series of str
        The common code per row, aligned with the input.
    unknown : collections.Counter of str
        Source values (trimmed) found in no table, with how many rows had each.
    """

    codes: pd.Series
    unknown: Counter[str]


def normalise_key(value: str) -> str:
    """Trim, collapse white space and case-fold a category value for comparison."""
    return " ".join(value.split()).casefold()


def _normalise_series(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.replace(
        r"\s+", " ", regex=True).str.casefold()


def load_category_table(path: Path | None = None) -> CategoryTable:
    """Read a category table file (by default the project's own, read once and cached).

    Parameters
    ----------
    path : pathlib.Path, optional
        A JSON file laid out as ``data/incident_categories.json``.

    Returns
    -------
    CategoryTable

    Raises
    ------
    CategoryTableError
        The file is missing or malformed, or maps a value to an unknown code.
    """
    return _load(DEFAULT_CATEGORY_FILE if path is None else Path(path))


@lru_cache(maxsize=4)
def _load(path: Path) -> CategoryTable:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CategoryTableError(f"cannot read category table {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CategoryTableError(f"{path}: the top level must be an object")
    try:
        categories = {entry["code"]: Category(str(entry["code"]), str(entry["en"]),
                                              str(entry["zh"]))
                      for entry in raw["categories"]}
        tables = {name: _table(name, entries, categories)
                  for name, entries in raw.get("tables", {}).items()}
        refinements = {
            name: _table(name, {cat + _SEPARATOR + sub: code
                                for cat, subs in entries.items() for sub, code in subs.items()},
                         categories)
            for name, entries in raw.get("subcategories", {}).items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise CategoryTableError(f"{path}: malformed entry ({exc!r})") from exc
    if OTHER not in categories:
        raise CategoryTableError(f"{path}: the categories must include {OTHER!r}")
    return CategoryTable(MappingProxyType(categories), MappingProxyType(tables),
                         MappingProxyType(refinements))


def _table(name: str, entries: Any, categories: Mapping[str, Category]) -> Mapping[str, str]:
    table: dict[str, str] = {}
    for value, code in dict(entries).items():
        if code not in categories:
            raise CategoryTableError(f"table {name!r} maps {value!r} to unknown code {code!r}")
        key = _SEPARATOR.join(normalise_key(part) for part in str(value).split(_SEPARATOR))
        table[key] = str(code)
    return MappingProxyType(table)


def categorise(source_category: pd.Series, source_subcategory: pd.Series | None = None, *,
               table: str | None = None, categories: CategoryTable | None = None,
               ) -> Categorised:
    """Map source category values to the common codes (vectorised).

    Parameters
    ----------
    source_category : pandas.Series of str
        The source's category per row; NA or empty means none given.
    source_subcategory : pandas.Series of str, optional
        The source's subcategory, aligned with ``source_category``; refines the code where
        the table says so.
    table : str, optional
        The source table to prefer (``police_uk``, ``sfpd``, ``sfpd_legacy``, ``generic``).
    categories : CategoryTable, optional
        Defaults to :func:`load_category_table`.

    Returns
    -------
    Categorised
        One code per row (``other`` where nothing matched) and the unknown values counted.

    Raises
    ------
    IncidentMappingError
        ``table`` is not a table of ``categories``.
    """
    values, pairs = (categories or load_category_table()).lookup(table)
    keys = _normalise_series(source_category)
    codes = keys.map(values)
    if source_subcategory is not None and pairs:
        refined = (keys + _SEPARATOR + _normalise_series(source_subcategory)).map(pairs)
        codes = refined.where(refined.notna(), codes)
    unknown_mask = codes.isna() & keys.ne("")
    unknown_values = source_category[unknown_mask].astype(str).str.strip()
    unknown = Counter({str(k): int(v) for k, v in unknown_values.value_counts().items()})
    return Categorised(codes.fillna(OTHER).astype(str), unknown)
