"""Query strings read as the API description says.

Before an API view runs, an empty value (``?status=``) counts as absent, as a client that
fills a form or a template expects, and every query parameter the operation declares with
``@documented`` is checked against its schema: a wrong type, a value outside its range or
choices, or a missing required parameter is refused with 422 naming the parameter. The
views then read ``request.args`` knowing that what is there is well formed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

from app.api.docs import DOC_ATTR, Operation, Param
from app.errors import InvalidValue

_INTEGER = re.compile(r"[+-]?\d{1,18}")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 (JSON Schema's date-time): a full date and time with a zone.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
                        r"(?:[Zz]|[+-]\d{2}:\d{2})")
_BOOLEAN = {"true": True, "false": False}


def operation_of(app: Flask, endpoint: str | None) -> Operation | None:
    """The ``@documented`` operation of an endpoint, if it has one."""
    return getattr(app.view_functions.get(endpoint or ""), DOC_ATTR, None)


def value_of(param: Param, raw: str) -> Any:
    """``raw`` read as ``param`` declares; :class:`InvalidValue` naming it otherwise."""
    value = _typed(param, raw)
    _check_constraints(param, param.json_schema(), value, raw)
    return value


def _typed(param: Param, raw: str) -> Any:
    name = param.name
    if param.type == "integer":
        if not _INTEGER.fullmatch(raw):
            raise InvalidValue(f"{name} must be a whole number; got {raw!r}.", field=name)
        return int(raw)
    if param.type == "number":
        if not _NUMBER.fullmatch(raw) or not math.isfinite(float(raw)):
            raise InvalidValue(f"{name} must be a number; got {raw!r}.", field=name)
        return float(raw)
    if param.type == "boolean":
        if raw not in _BOOLEAN:
            raise InvalidValue(f"{name} must be true or false; got {raw!r}.", field=name)
        return _BOOLEAN[raw]
    if param.format == "date":
        try:
            if not _DATE.fullmatch(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            raise InvalidValue(f"{name} must be a date, YYYY-MM-DD; got {raw!r}.",
                               field=name) from None
    if param.format == "date-time":
        try:
            if not _DATE_TIME.fullmatch(raw):
                raise ValueError(raw)
            return datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidValue(f"{name} must be an ISO 8601 time with a zone "
                               f"(2024-03-01T08:00:00+08:00); got {raw!r}.",
                               field=name) from None
    return raw


def _check_constraints(param: Param, schema: Mapping[str, Any], value: Any, raw: str) -> None:
    name = param.name
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(str(v) for v in schema["enum"])
        raise InvalidValue(f"{name} must be one of {choices}; got {raw!r}.", field=name)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get(
                "maxLength", math.inf):
            raise InvalidValue(f"{name} must have {schema.get('minLength', 0)} to "
                               f"{schema.get('maxLength', 'any number of')} characters.",
                               field=name)
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise InvalidValue(f"{name} is not in the expected form: {param.description}.",
                               field=name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
        above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if value < low or value > high or (above is not None and value <= above) or (
                below is not None and value >= below):
            raise InvalidValue(f"{name} must be {_range_text(schema)}; got {raw!r}.",
                               field=name)


def _range_text(schema: Mapping[str, Any]) -> str:
    parts = []
    if "minimum" in schema:
        parts.append(f"at least {schema['minimum']:g}")
    if "exclusiveMinimum" in schema:
        parts.append(f"more than {schema['exclusiveMinimum']:g}")
    if "maximum" in schema:
        parts.append(f"at most {schema['maximum']:g}")
    if "exclusiveMaximum" in schema:
        parts.append(f"less than {schema['exclusiveMaximum']:g}")
    return " and ".join(parts)


def check_query() -> None:
    """before_request of the API blueprint: drop empty values, check declared parameters."""
    args = request.args
    if any(value == "" for _, value in args.items(multi=True)):
        request.args = ImmutableMultiDict(  # type: ignore[misc]
            [(key, value) for key, value in args.items(multi=True) if value != ""])
    operation = operation_of(current_app, request.endpoint)
    if operation is None:
        return
    for param in operation.params:
        if param.location != "query":
            continue
        values = request.args.getlist(param.name)
        if not values and param.required:
            raise InvalidValue(f"{param.name} is required: {param.description}.",
                               field=param.name)
        for raw in values:
            value_of(param, raw)
