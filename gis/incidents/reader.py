"""Read crime-incident exports of any layout into clean rows and rejects.

:func:`read_incidents` reads CSV, GeoJSON, GeoPackage and Shapefile exports (one file,
several, or a directory of them), maps their columns (:mod:`gis.incidents.mapping`), reads
times (:mod:`gis.incidents.times`) and coordinates (:mod:`gis.incidents.points`), maps
categories (:mod:`gis.incidents.categories`) and keeps every good row. Every other row is
a reject with one reason code, the first that applies in this order:

=========================  ===================================================================
``bad_row``                a CSV row has more cells than the header
``missing_id``             the id cell is empty, when ``hash_missing_ids=False``
``no_coordinates``         empty coordinate cell or no geometry
``bad_coordinates``        a coordinate cell is not a finite number
``zero_coordinates``       both coordinates are 0
``coordinates_out_of_range``  not a place on Earth once in WGS-84
``bad_time``               empty or unreadable time
``outside_area``           outside every polygon of ``areas``
``duplicate_id``           an id already kept from an earlier row (of any file)
=========================  ===================================================================

``line`` is the 1-based line a CSV record starts on (the header is line 1), or the 1-based
feature number in a GeoJSON, GeoPackage or Shapefile.

``duplicate_id`` is decided last, among rows that passed every other check: the first
*usable* row of an id is kept, so a bad first copy does not cost a good second one.

Ids. The id column's text (trimmed) is ``source_id``. A row without one (police.uk leaves
``Crime ID`` empty for anti-social behaviour; some exports have no id column) gets
``hash:`` + the first 24 hex digits of the SHA-256 of its cells (every source column,
ordered by header name, so column order and file name do not matter; then the geometry of
a GeoJSON/GeoPackage/Shapefile feature), and ``#2``, ``#3`` …
for the second, third … identical row of the input, because without an id two identical
rows may still be two incidents. The id is the same on every read of the same data.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from runtime.notes import Note

from gis.crs import DATUMS, require_crs
from gis.errors import (
    CrsError,
    EmptyInputError,
    GeometryTypeError,
    InvalidGeometryError,
    MissingColumnError,
)
from gis.incidents.categories import Categorised, CategoryTable, categorise
from gis.incidents.mapping import ColumnMapping, bind_columns, check_timezone, detect_mapping
from gis.incidents.points import WGS84, locate
from gis.incidents.progress import FileProgress, Progress
from gis.incidents.sources import PathLike, SourceTable, input_files, read_source
from gis.incidents.times import hour_histogram, parse_times

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


class RejectReason(StrEnum):
    """Why a row was not kept; the value is the code written to the rejects file."""

    BAD_ROW = "bad_row"
    MISSING_ID = "missing_id"
    NO_COORDINATES = "no_coordinates"
    BAD_COORDINATES = "bad_coordinates"
    ZERO_COORDINATES = "zero_coordinates"
    COORDINATES_OUT_OF_RANGE = "coordinates_out_of_range"
    BAD_TIME = "bad_time"
    OUTSIDE_AREA = "outside_area"
    DUPLICATE_ID = "duplicate_id"


INCIDENT_COLUMNS = ("source_id", "occurred_at", "time_resolution", "timezone", "category",
                    "source_category", "source_subcategory", "description", "address",
                    "source_file", "source_line")
"""Columns of :attr:`IncidentReadResult.incidents`, before ``geometry``."""

REJECT_COLUMNS = ("source_file", "line", "reason", "message")
"""Leading columns of :attr:`IncidentReadResult.rejects`; the source's columns follow."""

HASH_PREFIX = "hash:"


@dataclass(frozen=True)
class IncidentReadResult:
    """What :func:`read_incidents` read.

    Attributes
    ----------
    incidents : geopandas.GeoDataFrame
        The kept rows in input order, EPSG:4326 points, with :data:`INCIDENT_COLUMNS`:
        ``source_id`` (text), ``occurred_at`` (``datetime64[us, UTC]``),
        ``time_resolution`` (``month``/``day``/``minute``), ``timezone`` (the IANA zone
        naive source times were read in; NA when none was given), ``category`` (a
        common code), ``source_category``, ``source_subcategory``, ``description``,
        ``address`` (text as given, NA when absent), ``source_file``, ``source_line``.
    rejects : pandas.DataFrame
        One row per reject: :data:`REJECT_COLUMNS` then every source column as text.
    counts : dict of str to int
        Rejects per reason code, every code present.
    unknown_categories : collections.Counter of str
        Source category values found in no table and matched by no keyword rule (those
        rows are ``other``), with how many kept rows have each.
    ruled_categories : dict of str to (str, int)
        Source category values settled by a keyword rule: their code and kept rows.
    layouts : dict of str to (str or None)
        Per ``source_file``, the preset recognised (None: the caller's own mapping).
    mappings : dict of str to ColumnMapping
        Per ``source_file``, the mapping used, column names as spelled in the file.
    notes : list of str
        How recognised time columns were read (HHMM numbers, Excel serials, day-first
        dates...) and midnight warnings, each prefixed with its file.
    """

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    counts: dict[str, int]
    unknown_categories: Counter[str] = field(default_factory=Counter)
    ruled_categories: dict[str, tuple[str, int]] = field(default_factory=dict)
    layouts: dict[str, str | None] = field(default_factory=dict)
    mappings: dict[str, ColumnMapping] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        """Rows read (blank lines excluded)."""
        return self.accepted + self.rejected

    @property
    def accepted(self) -> int:
        """Rows kept."""
        return len(self.incidents)

    @property
    def rejected(self) -> int:
        """Rows rejected."""
        return len(self.rejects)

    def hours(self) -> list[int]:
        """Kept rows with a time of day per local hour, 0-23 (see :func:`hour_histogram`)."""
        rows = self.incidents
        return hour_histogram(rows["occurred_at"], rows["timezone"], rows["time_resolution"])


@dataclass
class _Part:
    table: SourceTable
    rows: pd.DataFrame  # incident columns + lon, lat, reason, message, cell_hash


def read_incidents(path: PathLike | Iterable[PathLike], *,
                   mapping: ColumnMapping | None = None, encoding: str | None = None,
                   areas: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
                   default_tz: str | None = None, layer: str | None = None,
                   hash_missing_ids: bool = True, categories: CategoryTable | None = None,
                   category_overrides: Mapping[str, str] | None = None,
                   on_progress: ProgressCallback | None = None,
                   progress: Progress | None = None,
                   datum: str = "wgs84") -> IncidentReadResult:
    """Read incident exports, keeping good rows and reporting the others by line and reason.

    Parameters
    ----------
    path : path or iterable of paths
        CSV (``.csv``, ``.tsv``, ``.txt``), GeoJSON (``.geojson``, ``.json``), GeoPackage
        or Shapefile files, or directories of them (read in name order).
    mapping : ColumnMapping, optional
        Overrides the preset recognised from each file's headers, or stands alone when no
        preset fits (then it must be complete). See :func:`~gis.incidents.mapping.detect_mapping`.
    encoding : str, optional
        Text encoding of CSV files (and Shapefile attributes); by default UTF-8 with or
        without BOM, else GB18030.
    areas : geopandas.GeoDataFrame or GeoSeries, optional
        Polygons in any CRS; rows whose point lies outside all of them (boundary counts as
        inside) are rejected as ``outside_area``.
    default_tz : str, optional
        IANA zone for naive times when the mapping names none (presets do).
    layer : str, optional
        The GeoPackage layer to read.
    hash_missing_ids : bool
        Give rows without an id a hash id (default, see the module docstring); when False
        they are rejected as ``missing_id``.
    categories : CategoryTable, optional
        The category table; the project's ``data/incident_categories.json`` by default.
    category_overrides : Mapping of str to str, optional
        Source category value → common code chosen by an analyst; wins over the tables and
        the keyword rules (see :func:`~gis.incidents.categories.categorise`).
    on_progress : callable, optional
        Called as ``on_progress(files_done, files_total)`` after each file.
    progress : callable, optional
        Called as ``progress(fraction, message)`` (fraction 0-1, weighted by the files'
        sizes) before and after each file is parsed and before the checks over all rows;
        the message (a :class:`~runtime.notes.Note`) says the rows read so far. It may
        raise to stop the reading.
    datum : {"wgs84", "gcj02", "bd09"}
        The datum of the files' coordinates (AMap and Tencent exports: gcj02; Baidu's:
        bd09); the stored points are WGS-84. See :mod:`gis.incidents.points`.

    Returns
    -------
    IncidentReadResult

    Raises
    ------
    UnknownIncidentLayoutError
        A file's headers match no preset and ``mapping`` does not complete them.
    MissingColumnError
        The mapping names a column a file lacks.
    IncidentFileError, EmptyInputError
        A file is missing, unsupported or unreadable; no files.
    MissingTimezoneError, UnknownTimezoneError
        Naive times with no zone; an unknown zone name.
    AmbiguousTimeError
        A time column without a format reads two ways (HHMM or minutes since midnight;
        day-first or month-first dates); the message shows values from the file.
    MissingCrsError, GeometryTypeError, InvalidGeometryError, EmptyInputError
        ``areas`` without a CRS, with non-polygons, invalid or empty; non-point features.
    CrsError
        An unknown datum.
    """
    if datum not in DATUMS:
        raise CrsError(f"unknown datum {datum!r}; use one of {', '.join(DATUMS)}")
    files = input_files(path)
    area = _area_polygon(areas) if areas is not None else None
    if default_tz is not None:
        check_timezone(default_tz)
    report = FileProgress(progress, [file for file, _ in files])
    parts: list[_Part] = []
    layouts: dict[str, str | None] = {}
    mappings: dict[str, ColumnMapping] = {}
    unknown: Counter[str] = Counter()
    ruled: dict[str, tuple[str, int]] = {}
    notes: list[str] = []
    for number, (file, label) in enumerate(files, start=1):
        report.file(0.0, Note("%(file)s: reading (file %(number)s of %(files)s)",
                              file=label, number=number, files=len(files)))
        table = read_source(file, label=label, encoding=encoding, layer=layer)
        report.file(0.5, Note("%(file)s: %(rows)s rows: times, places, categories",
                              file=label, rows=len(table.values)))
        has_geometry = table.geometry is not None
        preset, resolved = detect_mapping(table.headers, override=mapping,
                                          has_geometry=has_geometry)
        resolved.require_complete(has_geometry=has_geometry)
        resolved, absent = bind_columns(resolved, table.headers)
        if absent:
            raise MissingColumnError(
                f"{label} has no column {', '.join(map(repr, absent))}; its headers are "
                f"{', '.join(map(repr, table.headers))}")
        layouts[label], mappings[label] = preset, resolved
        rows, found, time_notes = _read_rows(table, resolved, default_tz=default_tz,
                                             hash_missing_ids=hash_missing_ids,
                                             categories=categories,
                                             overrides=category_overrides, datum=datum)
        unknown.update(found.unknown)
        for value, (code, count) in found.ruled.items():
            ruled[value] = (code, ruled.get(value, (code, 0))[1] + count)
        notes += [f"{label}: {note}" for note in time_notes]
        parts.append(_Part(table, rows))
        logger.info("%s: %d rows (%s layout)", label, len(rows), preset or "custom")
        report.done(len(rows))
        if on_progress is not None:
            on_progress(number, len(files))
    combined = pd.concat([part.rows for part in parts], ignore_index=True)
    _number_repeated_hashes(combined)
    if area is not None:
        report.after_files(0.0, Note("rows read: %(rows)s; checking them against the areas",
                                     rows=len(combined)))
        _reject(combined, ~shapely.intersects_xy(area, combined["lon"].to_numpy(),
                                                 combined["lat"].to_numpy()),
                RejectReason.OUTSIDE_AREA, "point " + combined["lon"].astype(str) + ", "
                + combined["lat"].astype(str) + " is outside every area")
    report.after_files(1.0, Note("rows read: %(rows)s; looking for repeated ids",
                                 rows=len(combined)))
    _reject_duplicates(combined)
    return _result(parts, combined, unknown, layouts, mappings, notes, ruled)


def _read_rows(table: SourceTable, mapping: ColumnMapping, *, default_tz: str | None,
               hash_missing_ids: bool, categories: CategoryTable | None,
               overrides: Mapping[str, str] | None, datum: str,
               ) -> tuple[pd.DataFrame, Categorised, tuple[str, ...]]:
    values = table.values

    def text(column: str | None) -> pd.Series:
        if column is None:
            return pd.Series(np.nan, index=values.index, dtype=str)
        stripped = values[column].str.strip()
        return stripped.where(stripped.ne(""))

    rows = pd.DataFrame(index=values.index)
    rows["source_id"] = text(mapping.id)
    rows["cell_hash"] = _cell_hashes(table, rows["source_id"].isna() & hash_missing_ids)
    times = parse_times(values, mapping, default_tz=default_tz)
    rows["occurred_at"] = times.occurred_at
    rows["time_resolution"] = times.resolution
    rows["timezone"] = pd.Series(mapping.timezone or default_tz, index=values.index, dtype=str)
    found = categorise(text(mapping.category),
                       text(mapping.subcategory) if mapping.subcategory else None,
                       table=mapping.category_table, categories=categories,
                       overrides=overrides)
    rows["category"] = found.codes
    rows["source_category"] = text(mapping.category)
    rows["source_subcategory"] = text(mapping.subcategory)
    rows["description"] = text(mapping.description)
    rows["address"] = text(mapping.address)
    rows["source_file"] = pd.Series(table.label, index=values.index, dtype=str)
    rows["source_line"] = table.lines
    located = locate(table, mapping, datum=datum)
    rows["lon"], rows["lat"] = located.lon, located.lat
    rows["reason"] = pd.Series("", index=values.index, dtype=str)
    rows["message"] = pd.Series("", index=values.index, dtype=str)
    _reject(rows, table.problems.ne("").to_numpy(), RejectReason.BAD_ROW, table.problems)
    if not hash_missing_ids:
        what = f"{mapping.id!r} is empty" if mapping.id else "the mapping names no id column"
        _reject(rows, rows["source_id"].isna().to_numpy(), RejectReason.MISSING_ID,
                f"no id: {what}")
    for code in ("no_coordinates", "bad_coordinates", "zero_coordinates",
                 "coordinates_out_of_range"):
        _reject(rows, located.reason.eq(code).to_numpy(), RejectReason(code), located.message)
    _reject(rows, times.problem.ne("").to_numpy(), RejectReason.BAD_TIME, times.problem)
    return rows, found, times.notes


def _reject(rows: pd.DataFrame, mask: np.ndarray, reason: RejectReason,
            message: str | pd.Series) -> None:
    """Give ``reason`` to rows in ``mask`` that have no reason yet."""
    todo = np.asarray(mask, dtype=bool) & rows["reason"].eq("").to_numpy()
    if not todo.any():
        return
    rows.loc[todo, "reason"] = reason.value
    rows.loc[todo, "message"] = message if isinstance(message, str) else message[todo]


def _cell_hashes(table: SourceTable, wanted: pd.Series) -> pd.Series:
    """Fingerprint the cells of the rows in ``wanted``.

    SHA-256 of the cells (columns by name, then the geometry as WKT) of the rows in
    ``wanted``; NA elsewhere.
    """
    values = table.values
    hashes = pd.Series(np.nan, index=values.index, dtype=str)
    if not wanted.any():
        return hashes
    columns = sorted(values.columns)
    chosen = values.loc[wanted, columns]
    if table.geometry is not None:
        columns.append("\x00geometry")
        chosen = chosen.assign(**{columns[-1]: shapely.to_wkt(
            table.geometry.array[wanted.to_numpy()], rounding_precision=-1)})
        chosen[columns[-1]] = chosen[columns[-1]].fillna("").astype(str)
    joined = chosen[columns[0]].str.cat([chosen[c] for c in columns[1:]], sep="\x1f")
    digests = [hashlib.sha256(row.encode("utf-8")).hexdigest()[:24] for row in joined]
    hashes[wanted] = pd.Series(digests, index=chosen.index, dtype=str)
    return hashes


def _number_repeated_hashes(rows: pd.DataFrame) -> None:
    """Fill missing ids with their hash, numbering the second and later identical rows."""
    hashed = rows["cell_hash"].notna() & rows["source_id"].isna()
    if not hashed.any():
        return
    occurrence = rows.loc[hashed].groupby("cell_hash").cumcount() + 1
    suffix = pd.Series("", index=occurrence.index, dtype=str).where(
        occurrence.eq(1), "#" + occurrence.astype(str))
    rows.loc[hashed, "source_id"] = HASH_PREFIX + rows.loc[hashed, "cell_hash"] + suffix


def _reject_duplicates(rows: pd.DataFrame) -> None:
    usable = rows["reason"].eq("") & rows["source_id"].notna()
    repeated = pd.Series(False, index=rows.index)
    repeated[usable] = rows.loc[usable, "source_id"].duplicated()
    if not repeated.any():
        return
    # the first usable row of each id, to name it in the message
    firsts = rows.loc[usable].drop_duplicates("source_id")
    where = pd.Series((firsts["source_file"] + ":" + firsts["source_line"].astype(str)).values,
                      index=firsts["source_id"].values)
    previous = rows.loc[repeated, "source_id"].map(where)
    _reject(rows, repeated.to_numpy(), RejectReason.DUPLICATE_ID,
            ("id " + rows["source_id"] + " already read at " + previous).reindex(rows.index))


def _area_polygon(areas: gpd.GeoDataFrame | gpd.GeoSeries) -> shapely.Geometry:
    if not isinstance(areas, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(f"areas must be a GeoDataFrame or GeoSeries, got {type(areas).__name__}")
    require_crs(areas, what="areas")
    geometry = (areas.geometry if isinstance(areas, gpd.GeoDataFrame) else areas).to_crs(WGS84)
    if geometry.empty:
        raise EmptyInputError("areas has no rows")
    array = geometry.array
    if (shapely.is_missing(array) | shapely.is_empty(array)).any():
        raise InvalidGeometryError("areas has rows without a geometry")
    kinds = shapely.get_type_id(array)
    if not np.isin(kinds, [shapely.GeometryType.POLYGON,
                           shapely.GeometryType.MULTIPOLYGON]).all():
        raise GeometryTypeError(f"areas must be polygons, found {sorted(set(geometry.geom_type))}")
    if not geometry.is_valid.all():
        raise InvalidGeometryError("areas has invalid polygons (self-intersecting?)")
    union = shapely.union_all(array)
    shapely.prepare(union)
    return union


def _result(parts: list[_Part], combined: pd.DataFrame, unknown: Counter[str],
            layouts: dict[str, str | None],
            mappings: dict[str, ColumnMapping], notes: list[str],
            ruled: dict[str, tuple[str, int]]) -> IncidentReadResult:
    kept = combined["reason"].eq("").to_numpy()
    good = combined.loc[kept].reset_index(drop=True)
    incidents = gpd.GeoDataFrame(
        good[list(INCIDENT_COLUMNS)],
        geometry=gpd.points_from_xy(good["lon"], good["lat"]), crs=WGS84)
    kept_values = good["source_category"].dropna().astype(str).value_counts()
    unknown = Counter({str(v): int(n) for v, n in kept_values.items() if v in unknown})
    ruled = {str(v): (ruled[str(v)][0], int(n)) for v, n in kept_values.items()
             if str(v) in ruled}
    counts = {reason.value: 0 for reason in RejectReason}
    counts.update({str(k): int(v) for k, v in combined.loc[~kept, "reason"].value_counts().items()})
    originals = []
    start = 0
    for part in parts:
        stop = start + len(part.rows)
        mask = ~kept[start:stop]
        if mask.any():
            cells = part.table.values.loc[mask].reset_index(drop=True)
            meta = combined.iloc[start:stop].loc[mask].reset_index(drop=True)
            originals.append(_reject_frame(meta, cells))
        start = stop
    rejects = (pd.concat(originals, ignore_index=True).fillna("") if originals
               else pd.DataFrame({name: pd.Series(dtype=str) for name in REJECT_COLUMNS}))
    return IncidentReadResult(incidents, rejects, counts, unknown, ruled, layouts, mappings,
                              notes)


def _reject_frame(meta: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"source_file": meta["source_file"], "line": meta["source_line"],
                          "reason": meta["reason"], "message": meta["message"]})
    for column in cells.columns:
        name = column if column not in REJECT_COLUMNS else f"{column} (source)"
        frame[name] = cells[column]
    return frame


def write_rejects_csv(result: IncidentReadResult, path: PathLike, *,
                      encoding: str = "utf-8-sig") -> int:
    """Write the rejects, with their reason and message per row, as CSV.

    Parameters
    ----------
    result : IncidentReadResult
    path : path
        The file to write (overwritten).
    encoding : str
        ``utf-8-sig`` (UTF-8 with a BOM) by default, so Excel shows Chinese text correctly.

    Returns
    -------
    int
        The number of rows written.
    """
    result.rejects.to_csv(Path(path), index=False, encoding=encoding)
    return len(result.rejects)

