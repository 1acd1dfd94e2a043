"""CSV import of cameras: :func:`parse_camera_csv` keeps every good row and reports every bad one.

Column headings, delimiters, decimal commas and duplicate ``gb_id`` rows are handled as its
docstring says; each row is validated as a :class:`~dispatch.cameras.records.CameraInput`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from dispatch.cameras.gb_id import InvalidGbId, validate_gb_id
from dispatch.cameras.records import CameraInput
from dispatch.tabular import RowError, heading_key, read_heading

COLUMN_ALIASES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(("name", "名称", "设备名称", "点位名称"), "name"),
    **dict.fromkeys(("lon", "lng", "long", "longitude", "x", "经度"), "lon"),
    **dict.fromkeys(("lat", "latitude", "y", "纬度"), "lat"),
    **dict.fromkeys(("azimuth", "azimuth_deg", "direction", "方向", "方位角"), "azimuth_deg"),
    **dict.fromkeys(("fov", "fov_deg", "angle", "视角", "视场角"), "fov_deg"),
    **dict.fromkeys(("range", "range_m", "distance", "距离", "可视距离"), "range_m"),
    **dict.fromkeys(("kind", "type", "类型", "摄像机类型"), "kind"),
    **dict.fromkeys(("stream", "stream_url", "url", "视频流地址"), "stream_url"),
    **dict.fromkeys(("recording", "recording_url", "playback", "playback_url", "录像地址",
                     "回放地址"), "recording_url"),
    **dict.fromkeys(("gb_id", "gbid", "gb28181", "国标编码", "国标id"), "gb_id"),
    **dict.fromkeys(("height", "height_m", "高度", "安装高度"), "height_m"),
    **dict.fromkeys(("status", "状态"), "status"),
    **dict.fromkeys(("area", "区域", "所属区域"), "area"),
})
"""Column headings accepted (after trimming, lower-casing, spaces and hyphens to ``_``)."""

REQUIRED_COLUMNS = ("name", "lon", "lat")
_NUMERIC = frozenset({"lon", "lat", "azimuth_deg", "fov_deg", "range_m", "height_m"})
_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]+")


@dataclass(frozen=True)
class CsvResult:
    """What :func:`parse_camera_csv` read.

    Attributes
    ----------
    rows : list of CameraInput
        The good rows, in file order.
    lines : list of int
        The line each good row came from, in the same order.
    errors : list of RowError
        Rows (or a heading) that could not be used; nothing from an erroneous row is kept.
    warnings : list of RowError
        Columns ignored.
    delimiter : str
        The delimiter used: ``","``, ``";"`` or a tab.
    """

    rows: list[CameraInput] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    delimiter: str = ","


def parse_camera_csv(text: str) -> CsvResult:
    """Read cameras from CSV text, keeping every good row and reporting every bad one.

    Parameters
    ----------
    text : str
        The file's content, decoded as UTF-8 (a leading BOM is ignored). Coordinates are
        WGS-84 degrees; convert GCJ-02 or BD-09 exports before calling.

    Returns
    -------
    CsvResult
        Good rows, their lines, errors and warnings.

    Notes
    -----
    - The delimiter is the most frequent of ``;``, tab and ``,`` in the heading line
      (comma on a tie). In a ``;`` or tab file a number written with a decimal comma
      (``116,39``) is read as ``116.39``.
    - Headings are matched case-insensitively against :data:`COLUMN_ALIASES` (English and
      Chinese). An unknown heading is one warning on line 1 and its cells are ignored.
      A missing ``name``, ``lon`` or ``lat`` column, or two columns meaning the same field,
      is one error and no rows are read.
    - Blank lines are skipped. Empty cells mean "not given". A row with more non-empty
      cells than headings is an error (usually an unquoted delimiter in a name).
    - Each row is validated as a :class:`CameraInput`; every problem is a
      :class:`RowError` on the row's line naming the field. A ``gb_id`` already seen on an
      earlier row (valid there, whatever else was wrong with that row) is an error on the
      later row.
    """
    heading = read_heading(text)
    if isinstance(heading, RowError):
        return CsvResult(errors=[heading])
    header, line = heading.cells, heading.line
    result = CsvResult(delimiter=heading.delimiter)
    columns = _map_columns(header, line, result)
    if columns is None:
        return result

    first_line_of: dict[str, int] = {}
    for start, record in heading.rows(result.errors):
        _read_row(record, start, columns, len(header), heading.delimiter, first_line_of,
                  result)
    return result


def _map_columns(header: list[str], line: int, result: CsvResult) -> dict[int, str] | None:
    columns: dict[int, str] = {}
    headings_of: dict[str, list[str]] = {}
    for index, heading in enumerate(header):
        name = COLUMN_ALIASES.get(heading_key(heading))
        if name is None:
            if heading.strip():
                result.warnings.append(RowError(
                    line, heading.strip(), f"unknown column {heading.strip()!r} ignored"))
            else:
                result.warnings.append(RowError(
                    line, None, f"column {index + 1} has no heading; ignored"))
            continue
        columns[index] = name
        headings_of.setdefault(name, []).append(heading.strip())
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in headings_of]
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        problems.append(f"missing required columns: {', '.join(missing)} (found: {found})")
    for name, headings in headings_of.items():
        if len(headings) > 1:
            problems.append(f"columns {', '.join(map(repr, headings))} all give {name}")
    if problems:
        result.errors.append(RowError(line, None, "; ".join(problems)))
        return None
    return columns


def _read_row(record: list[str], line: int, columns: dict[int, str], width: int,
              delimiter: str, first_line_of: dict[str, int], result: CsvResult) -> None:
    if any(cell.strip() for cell in record[width:]):
        result.errors.append(RowError(
            line, None, f"row has {len(record)} cells but the heading has {width}"))
        return
    values: dict[str, str] = {}
    for index, name in columns.items():
        cell = record[index].strip() if index < len(record) else ""
        if not cell:
            continue
        if name in _NUMERIC and delimiter != "," and _DECIMAL_COMMA.fullmatch(cell):
            cell = cell.replace(",", ".")
        values[name] = cell

    errors: list[RowError] = []
    gb_id = values.get("gb_id")
    if gb_id is not None:
        try:
            normalised = validate_gb_id(gb_id).value
        except InvalidGbId:
            pass  # reported by the model below
        else:
            if normalised in first_line_of:
                errors.append(RowError(line, "gb_id", (
                    f"duplicate gb_id {normalised}; first on line {first_line_of[normalised]}")))
            else:
                first_line_of[normalised] = line
    try:
        camera = CameraInput.model_validate(values)
    except ValidationError as exc:
        errors[:0] = [_row_error(line, error) for error in exc.errors()]
    if errors:
        result.errors.extend(errors)
        return
    result.rows.append(camera)
    result.lines.append(line)


def _row_error(line: int, error: Mapping[str, Any]) -> RowError:
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else None
    if error.get("type") == "missing":
        return RowError(line, name, "required, but the cell is empty")
    message = str(error["msg"])
    value = error.get("input")
    if name is not None and isinstance(value, str) and error.get("type") not in (
            "gb_id", "camera_kind", "camera_status"):
        shown = value if len(value) <= 40 else value[:37] + "..."
        message = f"{message} (got {shown!r})"
    return RowError(line, name, message)
