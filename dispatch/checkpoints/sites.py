"""Checkpoint sites (卡口点位): one checkpoint as entered or imported, and their CSV; pure.

Decisions
---------
A checkpoint (:class:`CheckpointInput`, pydantic, unknown fields refused):

- ``code``: its number in the checkpoint system (卡口编号), what its passage records name;
  1 to 32 letters, digits, ``-``, ``_`` and ``.`` (GB/T 28181 device ids and the systems'
  own codes both fit); unique.
- ``name`` 1 to 200 characters; ``lon``/``lat`` finite degrees in ``datum`` (converted to
  WGS-84 by the caller).
- ``directions``: the directions its records name (``东向西``, ``西向东``, or codes
  ``1``…``4``), each up to 32 characters, at most 8 (blanks and repeats dropped); empty
  means any. In a CSV cell they are separated by ``|``, ``;``, ``/`` or ``、``.
- ``area`` (optional): the area it belongs to, by name; ``active`` defaults to true (a
  checkpoint taken down keeps its passages and is marked inactive, never deleted while
  passages name it).

CSV (:func:`parse_checkpoint_csv`): headings as in :data:`COLUMN_ALIASES` (English and
Chinese: 卡口编号, 卡口名称, 经度, 纬度, 方向, 区域); every bad row is reported with its
line and field, the good ones kept; a code repeated in the file is an error on the later
row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dispatch.tabular import RowError, heading_key, read_heading

CODE_PATTERN: Final = r"^[A-Za-z0-9_.\-]{1,32}$"
"""What a checkpoint code may hold."""
TRIMMED: Final = (r"^[^\s\x00-\x1f\x7f\x85\ufeff]"
                  r"(?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f\x85\ufeff])?$")
"""A direction: no control characters, no spaces at either end (the same set in Python's
and JavaScript's regular expressions)."""
VISIBLE: Final = r"[^\s\x1c-\x1f\x85]"
"""Text holding something besides what Python's strip() takes away (a name)."""
_CODE = re.compile(CODE_PATTERN)
_LIST_SEPARATORS = re.compile(r"\s*[|;/、；]\s*")


class CheckpointInput(BaseModel):
    """One checkpoint, validated by the rules in the module docstring."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    code: str = Field(min_length=1, max_length=32,
                      description="the checkpoint's number in the checkpoint system (卡口编号)")
    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    directions: list[str] = Field(default_factory=list, max_length=8,
                                  description="directions its records name; empty: any")
    area: str | None = Field(default=None, max_length=200)
    active: bool = True

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError("use 1 to 32 letters, digits, -, _ or .")
        return value

    @field_validator("directions", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in _LIST_SEPARATORS.split(value.strip()) if part]
        return value

    @field_validator("directions")
    @classmethod
    def _directions(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(d.strip() for d in value if d.strip()))  # once each
        if any(len(d) > 32 for d in cleaned):
            raise ValueError("each direction has at most 32 characters")
        return cleaned

    @field_validator("area", mode="before")
    @classmethod
    def _blank_area(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


COLUMN_ALIASES: Final[Mapping[str, str]] = MappingProxyType({
    **dict.fromkeys(("code", "checkpoint", "checkpoint_code", "tollgateid", "卡口编号",
                     "卡口代码", "卡口id", "kkbh"), "code"),
    **dict.fromkeys(("name", "名称", "卡口名称", "点位名称", "kkmc"), "name"),
    **dict.fromkeys(("lon", "lng", "longitude", "x", "经度"), "lon"),
    **dict.fromkeys(("lat", "latitude", "y", "纬度"), "lat"),
    **dict.fromkeys(("directions", "direction", "方向", "行驶方向"), "directions"),
    **dict.fromkeys(("area", "区域", "所属区域"), "area"),
    **dict.fromkeys(("active", "启用", "状态"), "active"),
})
"""Column headings accepted (after trimming, lower-casing, spaces and hyphens to ``_``)."""

_FALSE = frozenset({"false", "no", "0", "停用", "否", "inactive"})


@dataclass
class CheckpointCsv:
    """What :func:`parse_checkpoint_csv` read: good rows with their lines, errors, warnings."""

    rows: list[CheckpointInput] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def parse_checkpoint_csv(text: str) -> CheckpointCsv:
    """Read checkpoints from CSV text, keeping every good row and reporting every bad one.

    Parameters
    ----------
    text : str
        The whole file, decoded.

    Returns
    -------
    CheckpointCsv
    """
    result = CheckpointCsv()
    heading = read_heading(text)
    if isinstance(heading, RowError):
        result.errors.append(heading)
        return result
    columns: dict[int, str] = {}
    for index, cell in enumerate(heading.cells):
        name = COLUMN_ALIASES.get(heading_key(cell))
        if name is None or name in columns.values():
            result.warnings.append(RowError(heading.line, cell.strip() or None,
                                            f"column {cell.strip()!r} ignored"))
            continue
        columns[index] = name
    missing = [n for n in ("code", "name", "lon", "lat") if n not in columns.values()]
    if missing:
        result.errors.append(RowError(heading.line, None,
                                      f"missing required columns: {', '.join(missing)}"))
        return result
    first_line: dict[str, int] = {}
    for line, cells in heading.rows(result.errors):
        values: dict[str, Any] = {}
        for index, name in columns.items():
            cell = cells[index].strip() if index < len(cells) else ""
            if cell:
                values[name] = (cell.casefold() not in _FALSE) if name == "active" else cell
        try:
            site = CheckpointInput.model_validate(values)
        except ValidationError as exc:
            result.errors.extend(
                RowError(line, str(e["loc"][0]) if e["loc"] else None,
                         "required, but the cell is empty" if e["type"] == "missing"
                         else str(e["msg"])) for e in exc.errors())
            continue
        if site.code in first_line:
            result.errors.append(RowError(line, "code", f"code {site.code} repeated; first "
                                                        f"on line {first_line[site.code]}"))
            continue
        first_line[site.code] = line
        result.rows.append(site)
        result.lines.append(line)
    return result
