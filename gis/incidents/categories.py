"""The common incident categories and the tables that map source exports onto them.

Every agency names its offences differently (police.uk "Crime type", SFPD "Incident
Category", a Chinese 110 system's 警情类别). Analysis works on one short list of common
codes (``load_category_table().categories``), each with an English and a Chinese label; the
source value is always kept beside the code.

The list and the mapping tables live in ``data/incident_categories.json``:

- ``categories``: code, ``en`` and ``zh`` labels, in display order.
- ``tables``: one table per source family (``police_uk``, ``sfpd``, ``sfpd_legacy``,
  ``us_city`` for Los Angeles, Chicago and New York exports, ``nibrs_ucr`` for the FBI's
  NIBRS and UCR offence names, ``uk_home_office``, ``cn_110`` for 110 警情类别 and 案件类别)
  and a ``generic`` one, each mapping a source value to a code.
- ``subcategories``: per table, a category's subcategory values that refine its code (SFPD
  "Larceny Theft" / "Larceny - From Vehicle" is vehicle crime, as police.uk counts it).
- ``rules``: ordered keyword rules (regular expressions) for values in no table:
  "VEHICLE - STOLEN" is vehicle crime, "THEFT PLAIN - PETTY" theft, "BATTERY - SIMPLE
  ASSAULT" violence. The order settles overlaps ("BURGLARY FROM VEHICLE" is vehicle crime,
  "THEFT OF IDENTITY" fraud, "ASSAULT WITH DEADLY WEAPON" violence); a clause such as
  "(not Embezzlement or Theft)" is dropped before matching.

Values are compared trimmed, with runs of white space as one space, case-insensitively. A
value is looked up, first to last: the caller's ``overrides`` (an analyst's category map),
the named table's subcategory refinements, the named table, the generic table, the codes
themselves and their labels, every other table (in file order), then the rules. With no
table named, every table is tried (generic first, then the others in file order). A value
found nowhere is ``other`` and counted in :attr:`Categorised.unknown`; an empty value is
``other`` and not counted. Values settled by a rule are listed in :attr:`Categorised.ruled`
so a summary can show them for review.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
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
_EXCEPT = re.compile(r"\((?:not|other than|except) [^)]*\)")


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
    rules : tuple of (re.Pattern, str)
        Keyword rules in order: a pattern searched in the normalised value, and its code.
    """

    categories: Mapping[str, Category]
    tables: Mapping[str, Mapping[str, str]]
    subcategories: Mapping[str, Mapping[str, str]]
    rules: tuple[tuple[re.Pattern[str], str], ...] = ()

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
        others: dict[str, str] = {}
        for name in self.tables:
            others = {**self.tables[name], **others}
        return {**others, **base, **self.tables[table]}, dict(self.subcategories.get(table, {}))

    def by_rule(self, value: str) -> str | None:
        """The code of the first keyword rule that matches ``value``, or None."""
        key = _EXCEPT.sub(" ", normalise_key(value))
        return next((code for pattern, code in self.rules if pattern.search(key)), None)

    def check_code(self, code: str) -> str:
        """Return ``code`` trimmed and lower-cased if it is a common category, else raise.

        Raises
        ------
        CategoryTableError
            Not one of :attr:`categories`; the message lists them.
        """
        cleaned = code.strip().casefold()
        if cleaned not in self.categories:
            raise CategoryTableError(
                f"unknown category {code!r}; use one of {', '.join(self.categories)}")
        return cleaned

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
        Source values (trimmed) found in no table and matched by no rule, with how many
        rows had each.
    ruled : dict of str to (str, int)
        Source values (trimmed) settled by a keyword rule: their code and row count.
    """

    codes: pd.Series
    unknown: Counter[str]
    ruled: dict[str, tuple[str, int]] = field(default_factory=dict)


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
        rules = tuple(_rule(entry, categories) for entry in raw.get("rules", []))
    except (KeyError, TypeError, AttributeError) as exc:
        raise CategoryTableError(f"{path}: malformed entry ({exc!r})") from exc
    if OTHER not in categories:
        raise CategoryTableError(f"{path}: the categories must include {OTHER!r}")
    return CategoryTable(MappingProxyType(categories), MappingProxyType(tables),
                         MappingProxyType(refinements), rules)


def _rule(entry: Any, categories: Mapping[str, Category]) -> tuple[re.Pattern[str], str]:
    code, pattern = str(entry["code"]), str(entry["pattern"])
    if code not in categories:
        raise CategoryTableError(f"rule {pattern!r} gives unknown code {code!r}")
    try:
        return re.compile(pattern, re.IGNORECASE), code
    except re.error as exc:
        raise CategoryTableError(f"rule {pattern!r} is not a regular expression: {exc}") from exc


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
               overrides: Mapping[str, str] | None = None) -> Categorised:
    """Map source category values to the common codes (vectorised).

    Parameters
    ----------
    source_category : pandas.Series of str
        The source's category per row; NA or empty means none given.
    source_subcategory : pandas.Series of str, optional
        The source's subcategory, aligned with ``source_category``; refines the code where
        the table says so.
    table : str, optional
        The source table to prefer (``police_uk``, ``sfpd``, ``us_city``, ``cn_110``...).
    categories : CategoryTable, optional
        Defaults to :func:`load_category_table`.
    overrides : Mapping of str to str, optional
        Source value → code decided by an analyst; wins over every table and rule. Keys
        are compared as the tables' are.

    Returns
    -------
    Categorised
        One code per row (``other`` where nothing matched), the unknown values counted,
        and the values settled by a keyword rule.

    Raises
    ------
    IncidentMappingError
        ``table`` is not a table of ``categories``.
    """
    known = categories or load_category_table()
    values, pairs = known.lookup(table)
    keys = _normalise_series(source_category)
    codes = keys.map(values)
    if source_subcategory is not None and pairs:
        refined = (keys + _SEPARATOR + _normalise_series(source_subcategory)).map(pairs)
        codes = refined.where(refined.notna(), codes)
    if overrides:
        chosen = keys.map({normalise_key(k): v for k, v in overrides.items()})
        codes = chosen.where(chosen.notna(), codes)
    ruled: dict[str, tuple[str, int]] = {}
    missing = codes.isna() & keys.ne("")
    if missing.any():
        by_key = {key: known.by_rule(key) for key in keys[missing].unique()}
        found = keys[missing].map(by_key)
        codes[missing] = found
        matched = source_category[missing][found.notna()].astype(str).str.strip()
        ruled = {str(value): (str(by_key[normalise_key(str(value))]), int(count))
                 for value, count in matched.value_counts().items()}
    unknown_mask = codes.isna() & keys.ne("")
    unknown_values = source_category[unknown_mask].astype(str).str.strip()
    unknown = Counter({str(k): int(v) for k, v in unknown_values.value_counts().items()})
    return Categorised(codes.fillna(OTHER).astype(str), unknown, ruled)
