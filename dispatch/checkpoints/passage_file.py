"""Passage files: the checkpoint system's CSV or JSON export read record by record; pure.

Decisions
---------
- **CSV** (:func:`csv_passages`): the delimiter is the most frequent of ``,`` ``;`` and
  tab in the heading line; headings are matched case-insensitively (spaces and dashes as
  ``_``) against :data:`COLUMN_ALIASES`: English names, the Chinese headings of checkpoint
  exports (卡口编号, 过车时间, 号牌号码, 方向, 车道, 车辆类型, 车身颜色, 号牌颜色) and
  the pinyin column names of the traffic-police databases they come from (KKBH, GCSJ,
  HPHM, FXBH, CDBH, CLLX, CSYS, HPYS). An unknown heading is a warning and its cells are
  ignored; a missing required column (checkpoint, time, plate) or two columns giving one
  field is one error for the whole file. A row with more non-empty cells than headings is
  an error (an unquoted delimiter). Rows are numbered by the line they start on.
- **JSON** (:func:`json_passages`): a list of objects; or an object holding the list
  under ``passages``; or GA/T 1400's ``{"MotorVehicleListObject": {"MotorVehicleObject":
  [...]}}``, whose ``TollgateID``, ``PassTime``, ``PlateNo``, ``LaneNo``, ``Direction``,
  ``VehicleClass``, ``VehicleColor`` and ``PlateColor`` are aliases too. Keys are matched
  as CSV headings; unknown keys are one warning each. Records are numbered from 1 in the
  list.
- Each record is then checked by :func:`dispatch.checkpoints.records.read_passage`
  (:func:`checked`): good, unread (an unread-plate marker: counted, skipped) or bad (every
  field at fault, as :class:`~dispatch.tabular.RowError` on the record's row).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Final

from dispatch.checkpoints.records import (
    REQUIRED,
    BadRecord,
    PassageRecord,
    UnreadPlate,
    read_passage,
)
from dispatch.tabular import Heading, RowError, heading_key, read_heading

COLUMN_ALIASES: Final[Mapping[str, str]] = MappingProxyType({
    **dict.fromkeys(("checkpoint", "checkpoint_id", "checkpoint_code", "checkpoint_no",
                     "tollgate", "tollgateid", "tollgate_id", "卡口编号", "卡口代码", "卡口id",
                     "卡口", "卡口号", "点位编号", "设备编号", "kkbh", "kkdm"), "checkpoint"),
    **dict.fromkeys(("passed_at", "time", "datetime", "timestamp", "pass_time", "passtime",
                     "过车时间", "经过时间", "通过时间", "抓拍时间", "识别时间", "gcsj", "jgsj"),
                    "passed_at"),
    **dict.fromkeys(("plate", "plate_number", "plate_no", "plateno", "number_plate",
                     "registration", "号牌号码", "车牌号码", "车牌号", "号牌", "车牌", "hphm"),
                    "plate"),
    **dict.fromkeys(("direction", "方向", "行驶方向", "方向编号", "方向类型", "fxbh", "fxlx",
                     "xsfx"), "direction"),
    **dict.fromkeys(("lane", "lane_no", "laneno", "车道", "车道号", "车道编号", "cdbh", "cdh"),
                    "lane"),
    **dict.fromkeys(("vehicle_type", "vehicle_class", "vehicleclass", "type", "车辆类型",
                     "车型", "cllx"), "vehicle_type"),
    **dict.fromkeys(("vehicle_colour", "vehicle_color", "vehiclecolor", "colour", "color",
                     "车身颜色", "车辆颜色", "csys"), "vehicle_colour"),
    **dict.fromkeys(("plate_colour", "plate_color", "platecolor", "号牌颜色", "车牌颜色",
                     "hpys"), "plate_colour"),
})
"""Column headings and JSON keys accepted (after trimming, lower-casing, spaces and
hyphens to ``_``), and the field each gives."""


@dataclass
class PassageSource:
    """A passage file opened: its raw records, and what was found wrong with the file.

    Attributes
    ----------
    kind : {"csv", "json"}
        What the file is.
    records : iterator of (int, dict)
        The row number (CSV line, JSON position from 1) and the record's cells by field
        name; empty when ``errors`` holds a problem of the whole file.
    errors : list of RowError
        Problems of the file or of rows that could not be cut into cells (found while
        iterating ``records`` for CSV).
    warnings : list of RowError
        Columns or keys ignored.
    """

    kind: str
    records: Iterator[tuple[int, dict[str, object]]]
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def csv_passages(text: str) -> PassageSource:
    """Open CSV text (decoded; a leading BOM is ignored) as passage records.

    Parameters
    ----------
    text : str
        The whole file.

    Returns
    -------
    PassageSource
        Its records are produced as they are iterated.
    """
    heading = read_heading(text)
    if isinstance(heading, RowError):
        return PassageSource("csv", iter(()), errors=[heading])
    source = PassageSource("csv", iter(()))
    columns = _map_columns(heading.cells, heading.line, source)
    if columns is not None:
        source.records = _csv_records(heading, columns, source.errors)
    return source


def _map_columns(header: list[str], line: int, source: PassageSource) -> dict[int, str] | None:
    columns: dict[int, str] = {}
    seen: dict[str, list[str]] = {}
    for index, cell in enumerate(header):
        name = COLUMN_ALIASES.get(heading_key(cell))
        if name is None:
            shown = cell.strip()
            source.warnings.append(RowError(line, shown or None, (
                f"unknown column {shown!r} ignored" if shown
                else f"column {index + 1} has no heading; ignored")))
            continue
        columns[index] = name
        seen.setdefault(name, []).append(cell.strip())
    problems = []
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        found = ", ".join(c.strip() for c in header if c.strip()) or "none"
        problems.append(f"missing required columns: {', '.join(missing)} (found: {found})")
    problems += [f"columns {', '.join(map(repr, headings))} all give {name}"
                 for name, headings in seen.items() if len(headings) > 1]
    if problems:
        source.errors.append(RowError(line, None, "; ".join(problems)))
        return None
    return columns


def _csv_records(heading: Heading, columns: dict[int, str], errors: list[RowError]
                 ) -> Iterator[tuple[int, dict[str, object]]]:
    width = len(heading.cells)
    for line, cells in heading.rows(errors):
        if any(cell.strip() for cell in cells[width:]):
            errors.append(RowError(line, None, f"row has {len(cells)} cells but the "
                                               f"heading has {width}"))
            continue
        yield line, {name: cells[i] if i < len(cells) else None
                     for i, name in columns.items()}


def json_passages(value: object) -> PassageSource:
    """Open decoded JSON as passage records.

    Parameters
    ----------
    value : object
        The parsed document: a list of objects, ``{"passages": [...]}`` or GA/T 1400's
        ``{"MotorVehicleListObject": {"MotorVehicleObject": [...]}}``.

    Returns
    -------
    PassageSource
    """
    items = _json_list(value)
    if items is None:
        return PassageSource("json", iter(()), errors=[RowError(0, None, (
            "expected a list of passages, an object with 'passages', or GA/T 1400's "
            "MotorVehicleListObject"))])
    source = PassageSource("json", iter(()))
    source.records = _json_records(items, source)
    return source


def _json_list(value: object) -> list[object] | None:
    if isinstance(value, list):
        return value
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("passages"), list):
        return value["passages"]  # type: ignore[no-any-return]
    wrapper = value.get("MotorVehicleListObject")
    if isinstance(wrapper, dict) and isinstance(wrapper.get("MotorVehicleObject"), list):
        return wrapper["MotorVehicleObject"]  # type: ignore[no-any-return]
    return None


def _json_records(items: list[object], source: PassageSource
                  ) -> Iterator[tuple[int, dict[str, object]]]:
    warned: set[str] = set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            source.errors.append(RowError(number, None, "a passage must be a JSON object"))
            continue
        cells: dict[str, object] = {}
        doubled = None
        for key, cell in item.items():
            name = COLUMN_ALIASES.get(heading_key(str(key)))
            if name is None:
                if key not in warned:
                    warned.add(key)
                    source.warnings.append(RowError(number, str(key),
                                                    f"unknown key {key!r} ignored"))
                continue
            if name in cells:
                doubled = name
            cells[name] = cell
        if doubled is not None:
            source.errors.append(RowError(number, doubled, f"two keys give {doubled}"))
            continue
        yield number, cells


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """One record after checking.

    ``record`` when good, ``problems`` when bad; neither when its plate was not read
    (``unread``).
    """

    row: int
    record: PassageRecord | None = None
    problems: tuple[RowError, ...] = ()
    unread: bool = False


def checked(source: PassageSource, *, tz: tzinfo, now: datetime,
            oldest: datetime | None = None) -> Iterator[CheckedRow]:
    """Check every record of ``source`` (see :func:`~dispatch.checkpoints.records.read_passage`).

    Parameters
    ----------
    source : PassageSource
        An opened file.
    tz : tzinfo, keyword-only
        Zone of times written without one.
    now : datetime, keyword-only
        The present: later times are refused.
    oldest : datetime, optional, keyword-only
        Earlier times are refused.

    Yields
    ------
    CheckedRow
        One per record, in file order. Rows that could not be cut into cells are not
        yielded: they are in ``source.errors``.
    """
    for row, cells in source.records:
        try:
            record = read_passage(cells, tz=tz, now=now, oldest=oldest)
        except UnreadPlate:
            yield CheckedRow(row, unread=True)
        except BadRecord as exc:
            yield CheckedRow(row, problems=tuple(RowError(row, p.field, p.message)
                                                 for p in exc.problems))
        else:
            yield CheckedRow(row, record=record)
