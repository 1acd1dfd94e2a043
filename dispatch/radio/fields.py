"""Radio field readers: inbound values read one field at a time, and the error naming it.

Each reader takes a value and the path of its field (e.g. ``"srcList[1].src"``) and returns
the value read, or raises :class:`RadioFormatError` naming that path. Times come back as
timezone-aware UTC datetimes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard


class RadioFormatError(ValueError):
    """Inbound radio data with a missing or unreadable field.

    Attributes
    ----------
    field : str
        Path of the field, e.g. ``"talkgroup"``, ``"srcList[1].src"``, ``"on.unit"``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RadioFormatError(name, f"expected an object, got {type(value).__name__}")
    return value


def required(data: Mapping[str, Any], key: str, prefix: str) -> object:
    if key not in data or data[key] is None:
        raise RadioFormatError(prefix + key, "missing")
    return data[key]


def integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RadioFormatError(name, f"expected an integer, got {type(value).__name__}")
    return value


def number(value: object, name: str) -> float:
    if not is_number(value):
        raise RadioFormatError(name, f"expected a finite number, got {value!r}")
    return float(value)


def flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    raise RadioFormatError(name, f"expected 0, 1, true or false, got {value!r}")


def text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise RadioFormatError(name, f"expected text, got {type(value).__name__}")
    return value


def optional_text(data: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = data.get(key)
    return None if value is None else text(value, prefix + key)


def epoch(value: object, name: str) -> datetime:
    """Read epoch seconds (integer, float or a string of digits) as an aware UTC datetime."""
    seconds = value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}(\.[0-9]+)?", value.strip()):
        seconds = float(value)
    if not is_number(seconds):
        raise RadioFormatError(name, f"expected epoch seconds, got {value!r}")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RadioFormatError(name, f"epoch seconds out of range: {value!r}") from None
