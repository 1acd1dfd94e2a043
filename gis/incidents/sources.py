"""Reading incident files into tables of text: CSV, GeoJSON, GeoPackage and Shapefile.

Every cell comes back as text (``""`` when empty), so one set of rules reads every format;
where each row came from is kept (a CSV's 1-based physical line, a feature's 1-based
number otherwise).

CSV
    Decoded as the given encoding, else UTF-16 when it starts with a byte-order mark or
    reads as UTF-16 (spreadsheets' "Unicode text"), else UTF-8 (a BOM is dropped), else
    GB18030 (what Chinese Excel and 110 systems write); a file with NUL bytes that is not
    UTF-16 is binary and refused. The delimiter is the most frequent of ``;``, tab
    and ``,`` in the header line (comma on a tie). Blank lines and rows of empty cells are
    skipped. pandas' C parser reads the file; only when a row has more cells than the header
    does the standard ``csv`` module re-read it, so that such a row can be reported (see
    :attr:`SourceTable.problems`) rather than stop the import.
GeoJSON, GeoPackage, Shapefile
    Read with pyogrio, dates and times as ISO text; ``encoding`` applies to a Shapefile's
    attributes only (GeoJSON and GeoPackage are UTF-8 by definition). A GeoPackage with
    several layers needs ``layer`` unless exactly one of them holds points.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
from runtime.text import utf16_codec

from gis.errors import EmptyInputError, IncidentFileError

logger = logging.getLogger(__name__)

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
GEO_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp"})
FALLBACK_ENCODINGS = ("utf-8-sig", "gb18030")

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class SourceTable:
    """One file's rows as text.

    Attributes
    ----------
    label : str
        How rows name the file (``source_file``): its name, or its path when two inputs
        share a name.
    values : pandas.DataFrame
        One text column per source column (headers trimmed), ``""`` where empty.
    lines : numpy.ndarray of int64
        The 1-based line each row starts on (CSV; the header is on line 1 unless blank
        lines precede it) or the 1-based feature number.
    problems : pandas.Series of str
        ``""``, or why the row does not fit the header (more cells than headings).
    geometry : geopandas.GeoSeries or None
        The features' geometries, in the file's CRS; None for CSV.
    encoding : str or None
        The text encoding used for a CSV file.
    """

    label: str
    values: pd.DataFrame
    lines: npt.NDArray[np.int64]
    problems: pd.Series
    geometry: gpd.GeoSeries | None = None
    encoding: str | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        """The column names, in file order."""
        return tuple(str(c) for c in self.values.columns)


def input_files(paths: PathLike | Iterable[PathLike]) -> list[tuple[Path, str]]:
    """List the files to read, each with the label its rows will carry.

    Parameters
    ----------
    paths : path or iterable of paths
        Files, or directories whose CSV, GeoJSON, GeoPackage and Shapefile files (not
        sub-directories) are read in name order.

    Raises
    ------
    IncidentFileError
        A path does not exist or is of an unsupported kind.
    EmptyInputError
        No file to read.
    """
    items = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    files: list[Path] = []
    for item in items:
        if item.is_dir():
            files.extend(sorted(p for p in item.iterdir()
                                if p.is_file() and p.suffix.lower() in CSV_SUFFIXES | GEO_SUFFIXES))
        elif not item.exists():
            raise IncidentFileError(f"{item} does not exist")
        elif item.suffix.lower() not in CSV_SUFFIXES | GEO_SUFFIXES:
            raise IncidentFileError(
                f"{item.name}: unsupported file kind; use CSV, GeoJSON, GeoPackage or Shapefile")
        else:
            files.append(item)
    unique = list(dict.fromkeys(p.resolve() for p in files))
    if not unique:
        raise EmptyInputError(f"no incident files in {', '.join(map(str, items)) or 'nothing'}")
    names = Counter(p.name for p in unique)
    return [(p, p.name if names[p.name] == 1 else str(p)) for p in unique]


def read_source(path: Path, *, label: str, encoding: str | None = None,
                layer: str | None = None) -> SourceTable:
    """Read one file as text (see the module docstring).

    Raises
    ------
    IncidentFileError
        The file cannot be opened, decoded or parsed.
    """
    if path.suffix.lower() in CSV_SUFFIXES:
        return _read_csv(path, label=label, encoding=encoding)
    return _read_geo(path, label=label, encoding=encoding, layer=layer)


# -- CSV -----------------------------------------------------------------------------------

def _decode(path: Path, encoding: str | None) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IncidentFileError(f"cannot read {path.name}: {exc.strerror}") from exc
    if not encoding and (utf16 := utf16_codec(data)) is not None:
        encoding = utf16  # a spreadsheet's "Unicode text" export
    elif not encoding and b"\x00" in data:
        raise IncidentFileError(f"{path.name} is binary, not text (it holds NUL bytes)")
    for candidate in (encoding,) if encoding else FALLBACK_ENCODINGS:
        try:
            return data.decode(candidate).removeprefix("\ufeff"), candidate
        except LookupError as exc:
            raise IncidentFileError(f"unknown text encoding {candidate!r}") from exc
        except UnicodeDecodeError as exc:
            failure = exc
    tried = encoding or " or ".join(FALLBACK_ENCODINGS)
    raise IncidentFileError(f"{path.name} is not {tried} text: byte {failure.start} "
                            f"cannot be decoded") from failure


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _read_csv(path: Path, *, label: str, encoding: str | None) -> SourceTable:
    text, used = _decode(path, encoding)
    offset, header_line = 0, 1
    while True:  # skip blank lines before the header
        end = text.find("\n", offset)
        first = text[offset:] if end < 0 else text[offset:end]
        if first.strip():
            break
        if end < 0:
            raise IncidentFileError(f"{path.name} is empty")
        offset, header_line = end + 1, header_line + 1
    body = text[offset:]
    delimiter = _sniff_delimiter(first)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(body), sep=delimiter, dtype=str,
                                keep_default_na=False, skip_blank_lines=False,
                                index_col=False, engine="c")
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        logger.info("%s has rows longer than its header; reading it row by row", path.name)
        frame, lines, problems = _read_ragged_csv(body, delimiter)
    else:
        frame = frame.fillna("")
        lines = _record_lines(body, frame)
        problems = pd.Series("", index=frame.index, dtype=str)
    frame.columns = [str(c).strip() for c in frame.columns]
    keep = ~_blank_rows(frame)
    return SourceTable(label=label, values=frame[keep].reset_index(drop=True),
                       lines=lines[keep] + (header_line - 1),
                       problems=problems[keep].reset_index(drop=True), encoding=used)


def _record_lines(body: str, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """1-based line each record starts on, counting from the header as line 1."""
    lines = np.arange(len(frame), dtype=np.int64) + 2
    physical = body.count("\n") + (0 if body.endswith("\n") else 1)
    if physical == len(frame) + 1:  # no quoted line breaks: one record per line
        return lines
    newlines = sum((frame[c].str.count("\n") for c in frame.columns),
                   start=pd.Series(0, index=frame.index))
    extra = sum(str(c).count("\n") for c in frame.columns)
    before: npt.NDArray[np.int64] = newlines.cumsum().shift(fill_value=0).to_numpy(
        dtype=np.int64)
    return lines + extra + before


def _blank_rows(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows whose cells are all empty or white space (blank lines, ``,,,`` lines)."""
    if not len(frame.columns):
        return np.ones(len(frame), dtype=bool)
    blank: npt.NDArray[np.bool_] = np.array(frame.iloc[:, 0].str.strip().eq(""), dtype=bool)
    if blank.any():
        candidates = frame.loc[blank]
        blank[blank] = ~candidates.apply(lambda c: c.str.strip().ne("")).any(axis=1).to_numpy()
    return blank


def _read_ragged_csv(body: str, delimiter: str,
                     ) -> tuple[pd.DataFrame, npt.NDArray[np.int64], pd.Series]:
    """Read a CSV whose rows may be longer than its header, with the csv module."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        width = len(header)
        records: list[list[str]] = []
        lines: list[int] = []
        problems: list[str] = []
        start = reader.line_num + 1
        for record in reader:
            cells = record[:width] + [""] * (width - len(record))
            surplus = [cell for cell in record[width:] if cell.strip()]
            records.append(cells)
            lines.append(start)
            problems.append(f"row has {len(record)} cells but the header has {width}"
                            if surplus else "")
            start = reader.line_num + 1
    except csv.Error as exc:
        raise IncidentFileError(f"unreadable CSV near line {reader.line_num}: {exc}") from exc
    columns = _unique_headers(header)
    frame = pd.DataFrame(records, columns=columns, dtype=str)
    return (frame, np.asarray(lines, dtype=np.int64),
            pd.Series(problems, index=frame.index, dtype=str))


def _unique_headers(header: list[str]) -> list[str]:
    """Name columns as pandas does: ``Unnamed: i`` for blanks, ``.1`` for repeats."""
    seen: Counter[str] = Counter()
    names = []
    for index, raw in enumerate(header):
        name = raw.strip() or f"Unnamed: {index}"
        names.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    return names


# -- GeoJSON, GeoPackage, Shapefile --------------------------------------------------------

def _choose_layer(path: Path, layer: str | None) -> str | None:
    if layer is not None:
        return layer
    layers = pyogrio.list_layers(path)
    if len(layers) <= 1:
        return None
    points = [str(name) for name, kind in layers if kind and "point" in str(kind).lower()]
    if len(points) == 1:
        return points[0]
    listed = ", ".join(f"{name} ({kind})" for name, kind in layers)
    raise IncidentFileError(f"{path.name} has several layers ({listed}); name one with layer=")


def _as_text(column: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(column) or column.dtype == object:
        return column.where(column.notna(), "").astype(str)
    return column.astype(str).where(column.notna(), "")


def _read_geo(path: Path, *, label: str, encoding: str | None,
              layer: str | None) -> SourceTable:
    try:
        chosen = _choose_layer(path, layer)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(
                path, layer=chosen, datetime_as_string=True,
                encoding=encoding if path.suffix.lower() == ".shp" else None)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise IncidentFileError(f"cannot read {path.name}: {exc}") from exc
    for warning in caught:
        logger.debug("%s: %s", path.name, warning.message)
    geometry: gpd.GeoSeries | None = None
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry.reset_index(drop=True)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    values = pd.DataFrame({str(c).strip(): _as_text(frame[c]) for c in frame.columns},
                          index=range(len(frame)))
    return SourceTable(label=label, values=values,
                       lines=np.arange(1, len(values) + 1, dtype=np.int64),
                       problems=pd.Series("", index=values.index, dtype=str),
                       geometry=geometry)
