"""Passage records (过车记录): one vehicle read by one checkpoint, checked field by field; pure.

Decisions
---------
A record (:func:`read_passage`) holds:

- ``checkpoint``: the checkpoint's code in the checkpoint system (卡口编号), 1 to 32
  characters without control characters; whether such a checkpoint exists is the
  caller's question.
- ``passed_at``: when it passed (过车时间), read by :func:`read_time`: ISO 8601
  (``2026-03-01T08:15:30+08:00``, ``…Z``), ``2026-03-01 08:15:30`` or with ``/``,
  fractions of a second allowed; 14 digits ``20260301081530`` (GA/T 1400's form), 17 with
  milliseconds; 10 or 13 digits as epoch seconds or milliseconds; a JSON number as epoch
  seconds (milliseconds above 10^11). A time without a zone is in the jurisdiction's
  zone (``tz``). A time more than :data:`FUTURE_TOLERANCE` after ``now`` is refused (a
  checkpoint clock gone wrong), and so is one before ``oldest`` (past the retention: it
  would be purged at once).
- ``plate``: read by :func:`dispatch.checkpoints.plates.read_plate`; an unread-plate
  marker makes the whole record "unread" (:class:`UnreadPlate`), not an error.
- ``direction`` (方向): text up to 32 characters, as the checkpoint system writes it
  (``东向西``, ``1``, ``northbound``); the caller may hold it to the checkpoint's list.
- ``lane`` (车道): an integer 0 to 99 (``"01"`` and ``"1.0"`` read as 1).
- ``vehicle_type`` (车辆类型, up to 32), ``vehicle_colour`` (车身颜色) and
  ``plate_colour`` (号牌颜色), up to 16: text as written.

Empty cells mean "not given"; ``checkpoint``, ``passed_at`` and ``plate`` are required.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from dispatch.checkpoints.plates import InvalidPlate, read_plate

FUTURE_TOLERANCE: Final = timedelta(minutes=5)
"""How far after now a passage time may lie (clock skew) before it is refused."""

FIELDS: Final = ("checkpoint", "passed_at", "plate", "direction", "lane", "vehicle_type",
                 "vehicle_colour", "plate_colour")
"""The fields of a passage record, in order."""

REQUIRED: Final = ("checkpoint", "passed_at", "plate")
"""The fields a record cannot do without."""

_TEXT_LIMITS: Final = {"checkpoint": 32, "direction": 32, "vehicle_type": 32,
                       "vehicle_colour": 16, "plate_colour": 16}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"\d+")
_LANE = re.compile(r"\d{1,2}(?:\.0+)?")


@dataclass(frozen=True, slots=True)
class PassageRecord:
    """One passage, checked; ``passed_at`` aware UTC, ``plate`` normalised."""

    checkpoint: str
    passed_at: datetime
    plate: str
    direction: str | None = None
    lane: int | None = None
    vehicle_type: str | None = None
    vehicle_colour: str | None = None
    plate_colour: str | None = None


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one field of a record (``field`` None: the record as a whole)."""

    field: str | None
    message: str


class UnreadPlate(Exception):  # noqa: N818 - what the record is, not a failure
    """The record says its plate was not read (``未识别``, ``无牌``…): skipped, counted."""


class BadRecord(ValueError):
    """A record with one or more bad fields.

    Attributes
    ----------
    problems : list of FieldProblem
        Every field at fault, in :data:`FIELDS` order.
    field : str or None
        The first field at fault.
    """

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" if p.field else p.message
                                   for p in problems))
        self.problems = problems
        self.field = problems[0].field if problems else None


def read_time(value: object, *, tz: tzinfo) -> datetime:
    """A passage time as an aware UTC datetime.

    Parameters
    ----------
    value : object
        Text or a number, in one of the forms of the module docstring.
    tz : tzinfo, keyword-only
        Zone of a time written without one.

    Returns
    -------
    datetime
        Aware, UTC.

    Raises
    ------
    ValueError
        A form not read, or a date that does not exist.
    """
    if isinstance(value, bool):
        raise ValueError("must be a time, not true or false")
    if isinstance(value, int | float):
        return _epoch(float(value))
    if not isinstance(value, str):
        raise ValueError("must be a time (ISO 8601, YYYY-MM-DD HH:MM:SS or YYYYMMDDHHMMSS)")
    text = value.strip()
    if _DIGITS.fullmatch(text):
        if len(text) in (10, 13):
            return _epoch(float(text))
        if len(text) in (14, 17):
            naive = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(
                microsecond=int(text[14:] or 0) * 1000)
            return naive.replace(tzinfo=tz).astimezone(UTC)
        raise ValueError(f"{text!r} is neither YYYYMMDDHHMMSS nor epoch seconds")
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"{shown!r} is not a time (ISO 8601, YYYY-MM-DD HH:MM:SS or "
                         "YYYYMMDDHHMMSS)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _epoch(seconds: float) -> datetime:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    if not 0 < seconds < 1e10:
        raise ValueError(f"{seconds:g} is not a time (epoch seconds)")
    return datetime.fromtimestamp(seconds, UTC)


def read_passage(values: Mapping[str, object], *, tz: tzinfo, now: datetime,
                 oldest: datetime | None = None) -> PassageRecord:
    """Check one record.

    Parameters
    ----------
    values : mapping of str to object
        Field name (:data:`FIELDS`) to the cell as read: text, or a JSON value.
    tz : tzinfo, keyword-only
        Zone of times written without one.
    now : datetime, keyword-only
        The present (aware): times after it by more than :data:`FUTURE_TOLERANCE` are
        refused.
    oldest : datetime, optional, keyword-only
        Times before it are refused (past the retention).

    Returns
    -------
    PassageRecord

    Raises
    ------
    UnreadPlate
        The plate is an unread-plate marker and nothing else is wrong.
    BadRecord
        With every field at fault.
    """
    problems: list[FieldProblem] = []
    cells = {name: _cell(values.get(name)) for name in FIELDS}
    for name in REQUIRED:
        if cells[name] is None:
            problems.append(FieldProblem(name, "required, but the cell is empty"))
    texts: dict[str, str | None] = {}
    for name, limit in _TEXT_LIMITS.items():
        texts[name] = _text(cells[name], name, limit, problems)
    passed_at = None
    if cells["passed_at"] is not None:
        try:
            passed_at = read_time(cells["passed_at"], tz=tz)
        except ValueError as exc:
            problems.append(FieldProblem("passed_at", str(exc)))
        else:
            if passed_at > now + FUTURE_TOLERANCE:
                problems.append(FieldProblem("passed_at", f"{passed_at.isoformat()} lies in "
                                             "the future (a checkpoint clock gone wrong?)"))
            elif oldest is not None and passed_at < oldest:
                problems.append(FieldProblem("passed_at", f"{passed_at.isoformat()} is older "
                                             "than the retention allows"))
    plate: str | None = None
    unread = False
    if cells["plate"] is not None:
        try:
            plate = read_plate(str(cells["plate"]))
        except InvalidPlate as exc:
            problems.append(FieldProblem("plate", str(exc)))
        else:
            unread = plate is None
    lane = _lane(cells["lane"], problems)
    if problems:
        order = {name: i for i, name in enumerate(FIELDS)}
        problems.sort(key=lambda p: order.get(p.field or "", -1))
        raise BadRecord(problems)
    if unread:
        raise UnreadPlate(str(cells["plate"]))
    assert passed_at is not None and plate is not None and texts["checkpoint"] is not None
    return PassageRecord(texts["checkpoint"], passed_at, plate, texts["direction"], lane,
                         texts["vehicle_type"], texts["vehicle_colour"], texts["plate_colour"])


def _cell(value: object) -> object:
    """None for a missing or blank cell; text stripped."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def _text(value: object, name: str, limit: int, problems: list[FieldProblem]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(FieldProblem(name, "must be text"))
        return None
    text = str(value)
    if _CONTROL.search(text):
        problems.append(FieldProblem(name, "holds a control character"))
        return None
    if len(text) > limit:
        problems.append(FieldProblem(name, f"longer than {limit} characters"))
        return None
    return text


def _lane(value: object, problems: list[FieldProblem]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        problems.append(FieldProblem("lane", "must be a lane number, not true or false"))
        return None
    if isinstance(value, int | float) and float(value).is_integer() and 0 <= value <= 99:
        return int(value)
    if isinstance(value, str) and _LANE.fullmatch(value):
        return int(float(value))
    problems.append(FieldProblem("lane", f"{str(value)[:20]!r} is not a lane number (0 to 99)"))
    return None
