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

from dispatch.errors import RadioFormatError as RadioFormatError  # re-exported


def is_number(value: object) -> TypeGuard[int | float]:
    """Tell whether ``value`` is a finite JSON number.

    Parameters
    ----------
    value : object
        A decoded JSON value.

    Returns
    -------
    bool
        True for a finite ``int`` or ``float``; False for a bool (``True`` is not 1 here),
        NaN, an infinity and anything else.
    """
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def mapping(value: object, name: str) -> Mapping[str, Any]:
    """Read a JSON object.

    Parameters
    ----------
    value : object
        The decoded field.
    name : str
        Path of the field, for the error (e.g. ``"srcList[1]"``).

    Returns
    -------
    Mapping[str, Any]
        ``value`` itself.

    Raises
    ------
    RadioFormatError
        When ``value`` is not a mapping.
    """
    if not isinstance(value, Mapping):
        raise RadioFormatError(name, f"expected an object, got {type(value).__name__}")
    return value


def required(data: Mapping[str, Any], key: str, prefix: str) -> object:
    """Read a field that must be present.

    Parameters
    ----------
    data : Mapping[str, Any]
        The object holding the field.
    key : str
        The field's key in ``data``.
    prefix : str
        Path of ``data`` with a trailing dot (``"srcList[1]."``), or ``""`` at the top;
        the error names ``prefix + key``.

    Returns
    -------
    object
        The field's value, not yet checked for type.

    Raises
    ------
    RadioFormatError
        When ``key`` is missing or its value is null.
    """
    if key not in data or data[key] is None:
        raise RadioFormatError(prefix + key, "missing")
    return data[key]


def integer(value: object, name: str) -> int:
    """Read an integer.

    Parameters
    ----------
    value : object
        The decoded field.
    name : str
        Path of the field, for the error.

    Returns
    -------
    int
        ``value`` itself.

    Raises
    ------
    RadioFormatError
        When ``value`` is not an ``int``, or is a bool.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise RadioFormatError(name, f"expected an integer, got {type(value).__name__}")
    return value


def number(value: object, name: str) -> float:
    """Read a finite number.

    Parameters
    ----------
    value : object
        The decoded field.
    name : str
        Path of the field, for the error.

    Returns
    -------
    float
        ``value`` as a float.

    Raises
    ------
    RadioFormatError
        When ``value`` is not a finite number (see :func:`is_number`).
    """
    if not is_number(value):
        raise RadioFormatError(name, f"expected a finite number, got {value!r}")
    return float(value)


def flag(value: object, name: str) -> bool:
    """Read a yes/no flag sent as a JSON bool or as 0/1.

    Parameters
    ----------
    value : object
        The decoded field.
    name : str
        Path of the field, for the error.

    Returns
    -------
    bool
        ``value`` for a bool; True for 1 and False for 0.

    Raises
    ------
    RadioFormatError
        When ``value`` is neither a bool nor the integer 0 or 1.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    raise RadioFormatError(name, f"expected 0, 1, true or false, got {value!r}")


def text(value: object, name: str) -> str:
    """Read a string.

    Parameters
    ----------
    value : object
        The decoded field.
    name : str
        Path of the field, for the error.

    Returns
    -------
    str
        ``value`` itself, untrimmed.

    Raises
    ------
    RadioFormatError
        When ``value`` is not a string.
    """
    if not isinstance(value, str):
        raise RadioFormatError(name, f"expected text, got {type(value).__name__}")
    return value


def optional_text(data: Mapping[str, Any], key: str, prefix: str) -> str | None:
    """Read a string field that may be missing.

    Parameters
    ----------
    data : Mapping[str, Any]
        The object holding the field.
    key : str
        The field's key in ``data``.
    prefix : str
        Path of ``data`` with a trailing dot, or ``""`` at the top.

    Returns
    -------
    str or None
        The string; None when ``key`` is missing or null.

    Raises
    ------
    RadioFormatError
        When the field is present but not a string.
    """
    value = data.get(key)
    return None if value is None else text(value, prefix + key)


def epoch(value: object, name: str) -> datetime:
    """Read epoch seconds (integer, float or a string of digits) as an aware UTC datetime.

    Parameters
    ----------
    value : object
        The decoded field: seconds since 1970-01-01T00:00Z.
    name : str
        Path of the field, for the error.

    Returns
    -------
    datetime
        The instant, timezone-aware in UTC.

    Raises
    ------
    RadioFormatError
        When ``value`` is not a finite number or a string of up to 12 digits (with an
        optional fraction), or lies outside the range a datetime can hold.
    """
    seconds = value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}(\.[0-9]+)?", value.strip()):
        seconds = float(value)
    if not is_number(seconds):
        raise RadioFormatError(name, f"expected epoch seconds, got {value!r}")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RadioFormatError(name, f"epoch seconds out of range: {value!r}") from None
