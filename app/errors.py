"""Named errors and the one place that maps them to HTTP answers.

API answers are ``{"error": code, "message": text, "field": name?}``; pages get an
error page. Bad input never becomes a 500: validation raises one of these first.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a stable code and the offending field."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra or {}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Unprocessable(ApiError):
    status, code = 422, "invalid"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(ApiError):
    status, code = 503, "unavailable"


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, field: str | None = None,
                   **extra: Any) -> Response | tuple[str, int]:
    if wants_json():
        body: dict[str, Any] = {"error": code, "message": message}
        if field:
            body["field"] = field
        body.update(extra)
        response = jsonify(body)
        response.status_code = status
        return response
    return render_template("errors/error.html", status=status, code=code,
                           message=message, field=field), status


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _field_of(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError) -> Any:
        return error_response(exc.status, exc.code, exc.message, exc.field, **exc.extra)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError) -> Any:
        errors = [{"field": _field_of(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        first = errors[0]
        return error_response(422, "invalid", f"{first['field']}: {first['message']}",
                              first["field"], errors=errors)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError) -> Any:
        return error_response(400, "csrf_failed", _(
            "The form has expired or was not sent by this site; reload the page and try again."))

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(exc: IntegrityError) -> Any:
        logger.warning("integrity error answered as 409: %s", type(exc.orig).__name__)
        return error_response(409, "conflict",
                              _("The change conflicts with existing data."))

    @app.errorhandler(DataError)
    def handle_data_error(exc: DataError) -> Any:
        logger.warning("data error answered as 422: %s", type(exc.orig).__name__)
        return error_response(422, "invalid", _("A value is out of range or malformed."))

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Any:
        status = exc.code or 500
        return error_response(status, _snake(exc.name), exc.description or exc.name)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        logger.error("unhandled error in request %s", g.get("request_id"), exc_info=exc)
        return error_response(500, "internal_error",
                              _("Internal error; it has been logged with request id %(id)s.",
                                id=g.get("request_id", "-")))
