"""What every request must satisfy before a view reads it.

Bad input is answered with a named failure, never a 500:

* a URL (path and query string) longer than :data:`MAX_URL_BYTES` → 414, before routing
  or sign-in (under gunicorn, a request line past its ``limit_request_line`` is answered
  414 by gunicorn itself, in JSON too: :mod:`app.cli.gunicorn_config`);
* a JSON body nested deeper than :data:`MAX_JSON_DEPTH` → 400, found by a linear scan
  before :func:`json.loads` recurses (Python's parser recurses once per level and fails
  near 1,000 with a ``RecursionError``);
* a NUL character in a query parameter, a form field, a path parameter, a header or
  anywhere in a JSON string or key → 422 naming the field (PostgreSQL text cannot hold
  NUL); a numeric path id beyond PostgreSQL's bigint → 404 naming it;
* a body over ``MAX_CONTENT_LENGTH`` → 413 (werkzeug raises it; :mod:`app.errors` words it).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from flask import Flask, Request, request
from werkzeug.exceptions import RequestURITooLarge

from app.errors import InvalidValue, MalformedRequest, RecordNotFound

MAX_JSON_DEPTH = 64
MAX_URL_BYTES = 8000
"""Path plus query string, in bytes as sent. gunicorn's request-line limit is set a little
above it (``limit_request_line`` 8190, its largest), so what passes gunicorn but not this
is answered by the app, and longer lines by gunicorn: both 414 in JSON."""

BIGINT = 2**63  # ids are PostgreSQL bigint (or smaller): a path id beyond names nothing

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, dtype=np.int32)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_CHUNK = 1 << 22


def nested_deeper_than(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` (JSON text) nests arrays and objects more than ``limit`` levels
    deep; brackets inside strings do not count. Linear, without recursion."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS)
    steps = np.frombuffer(brackets, dtype=np.uint8)
    depth = 0
    for start in range(0, len(steps), _CHUNK):
        running = np.cumsum(_STEP[steps[start:start + _CHUNK]], dtype=np.int64) + depth
        if int(running.max()) > limit:
            return True
        depth = int(running[-1])
    return False


def nul_path(value: Any, path: str = "") -> str | None:
    """The path (``units[2].name``) of the first string or key in decoded JSON that holds
    a NUL character, or None. Called on values no deeper than :data:`MAX_JSON_DEPTH`."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return where.replace("\x00", "\\u0000")
            found = nul_path(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


def load_json(data: bytes | str, *, what: str = "The request body") -> Any:
    """Parse JSON text as request bodies and imported files are parsed: refused (as
    :class:`MalformedRequest`) when nested deeper than :data:`MAX_JSON_DEPTH`, refused
    (as :class:`InvalidValue` naming the field) when a string holds NUL. Plain
    ``ValueError`` for text that is not JSON, as :func:`json.loads`."""
    if nested_deeper_than(data):
        raise MalformedRequest(f"{what} nests JSON arrays or objects more than "
                               f"{MAX_JSON_DEPTH} levels deep.", field="body",
                               code="json_too_deep")
    value = json.loads(data)
    marker = b"\\u0000" if isinstance(data, bytes | bytearray) else "\\u0000"
    if marker in data:  # type: ignore[operator]
        field = nul_path(value)
        if field:
            raise nul_failure(field)
    return value


def nul_failure(field: str) -> InvalidValue:
    return InvalidValue(f"{field} holds a NUL character (\\u0000), which cannot be stored.",
                        field=field, code="nul_character")


class _GuardedJson:
    """The ``json_module`` of :class:`GuardedRequest`: ``request.get_json`` parses
    through :func:`load_json`, so every view (``json_body``, ``parse_body`` or its own
    ``get_json``) gets the same limits."""

    @staticmethod
    def loads(data: bytes | str, **_kwargs: Any) -> Any:
        return load_json(data)

    @staticmethod
    def dumps(value: Any, **kwargs: Any) -> str:
        return json.dumps(value, **kwargs)


class GuardedRequest(Request):
    """Flask's request, parsing JSON bodies through :func:`load_json`."""

    @property  # type: ignore[override]
    def json_module(self) -> Any:
        return _GuardedJson

    @json_module.setter
    def json_module(self, _provider: Any) -> None:
        """Flask's request context sets ``app.json`` here; the guarded parser stays."""


def check_request() -> None:
    """before_request: URL length, then NUL characters in parameters and form fields."""
    if len(request.path.encode("utf-8", "surrogatepass")) + len(
            request.query_string) > MAX_URL_BYTES:
        raise RequestURITooLarge(f"The URL is longer than {MAX_URL_BYTES} bytes; send "
                                 "long parameters in a request body.")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise nul_failure(name)
        if isinstance(value, int) and not -BIGINT <= value < BIGINT:
            raise RecordNotFound(f"No record has {name} {value}.", field=name)
    for name, value in request.headers.items():
        if "\x00" in value:
            raise nul_failure(name)
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                raise nul_failure(name.replace("\x00", "\\u0000"))


def init_app(app: Flask) -> None:
    """Install the guarded request class and the check; call first in the factory."""
    app.request_class = GuardedRequest
    app.before_request(check_request)
