"""Named errors and the one place that maps them to HTTP answers.

API answers are ``{"error": code, "message": text, "field": name?}``; pages get an
error page. Bad input never becomes a 500: validation raises one of these first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from dispatch.errors import IllegalStatusChange
from gis.errors import DatumRangeError, GridTooLargeError, NoRoute, TooFarFromRoad

logger = logging.getLogger(__name__)


class Failure(Exception):
    """A failure named after what went wrong, with a stable code and the offending field.

    Services and views raise these; only :data:`HTTP_STATUS` below says which HTTP status
    each becomes, so no service knows about HTTP.
    """

    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra or {}


class MalformedRequest(Failure):
    """The request cannot be read at all (not JSON, not a form, a bad encoding)."""

    code = "bad_request"


class NotSignedIn(Failure):
    """No valid session or token."""

    code = "unauthorized"


class NotPermitted(Failure):
    """The signed-in user's role may not do this."""

    code = "forbidden"


class RecordNotFound(Failure):
    """The thing named does not exist (or is not visible to this user)."""

    code = "not_found"


class StateConflict(Failure):
    """The change clashes with the current state (a duplicate, an illegal transition)."""

    code = "conflict"


class InvalidValue(Failure):
    """A field's value is readable but not acceptable."""

    code = "invalid"


class NothingImported(InvalidValue):
    """An import that would write nothing: the file is empty, holds only a heading, or
    every row was refused (each listed). Nothing is written, not even the audit row."""

    code = "nothing_imported"


def nothing_imported(what: str, problems: list[str], *, field: str = "file",
                     rows: list[dict[str, Any]] | None = None) -> NothingImported:
    """The failure of an import that wrote nothing: ``what`` says what was looked for,
    ``problems`` why each row (or the file) was refused; on the command line the first
    twenty are listed, over the API ``rows`` (or the problems) come as ``errors``."""
    shown = "".join(f"\n  {p}" for p in problems[:20])
    more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
    reason = f":{shown}{more}" if problems else ": the file holds no rows."
    return NothingImported(f"No {what} imported{reason}", field=field,
                           extra={"errors": rows if rows is not None else problems})


class TooManyAttempts(Failure):
    """Too many tries in the window (sign-in)."""

    code = "rate_limited"


class Unavailable(Failure):
    """A part the answer needs does not answer now (a camera, the database)."""

    code = "unavailable"


class Misdirected(Failure):
    """The request reached a server that does not answer it (the event stream, asked of
    the app server instead of the events service)."""

    code = "misdirected"


#: The one table from failure to HTTP status (a subclass takes its nearest base's).
HTTP_STATUS: dict[type[Failure], int] = {
    MalformedRequest: 400, NotSignedIn: 401, NotPermitted: 403, RecordNotFound: 404,
    StateConflict: 409, InvalidValue: 422, TooManyAttempts: 429, Unavailable: 503,
    Misdirected: 421,
}

#: Errors of the pure packages (``gis``, ``dispatch``, ``patrol``): every ``ValueError``
#: they raise is a failure of the input and answers 422 ``invalid`` with its message and
#: its ``field`` when it names one; these few answer otherwise.
DOMAIN_STATUS: dict[type[ValueError], tuple[int, str]] = {
    IllegalStatusChange: (409, "illegal_status_change"),
    NoRoute: (422, "no_route"),
    TooFarFromRoad: (422, "too_far_from_road"),
    DatumRangeError: (422, "coordinates_out_of_range"),
    GridTooLargeError: (422, "grid_too_large"),
}
DOMAIN_PACKAGES = ("gis", "dispatch", "patrol")


def status_of(failure: Failure) -> int:
    """The HTTP status of a failure: its class's entry, else its nearest base's."""
    for cls in type(failure).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400


def _is_domain_error(exc: BaseException) -> bool:
    return (isinstance(exc, ValueError)
            and type(exc).__module__.split(".")[0] in DOMAIN_PACKAGES)


@contextmanager
def reported_on_the_command_line(*, unchanged: bool = False,
                                 also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Turn a failure (or a pure package's ValueError, or one of ``also``) raised inside the
    block into a one-line ``click`` error, after rolling the session back; with
    ``unchanged`` the line says the database was not changed. The CLI's one mapping."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, Failure):
            message = exc.message
        elif _is_domain_error(exc) or isinstance(exc, also):
            message = str(exc)
        else:
            raise
        from app.db import get_session

        get_session().rollback()
        suffix = "; the database was not changed" if unchanged else ""
        raise click.ClickException(message + suffix) from None


PARTLY_WRITTEN = 3
"""Exit status of an import that wrote its good rows and refused others (listed). An import
that wrote everything exits 0; one that wrote nothing (an unreadable or empty file, every
row refused, a failure) exits 1 with the reason, its transaction rolled back."""


def exit_partly_written_if(refused: int) -> None:
    """End an import command with :data:`PARTLY_WRITTEN` when rows were refused."""
    if refused:
        raise click.exceptions.Exit(PARTLY_WRITTEN)


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


def discard_failed_work() -> None:
    """Roll the request's session back before an error answer is built.

    A failed statement leaves the session (and PostgreSQL's transaction) unusable; the
    answer itself may read from it (the signed-in user's language), so it is rolled back
    first. A rollback that fails too (the connection is gone) is logged, not raised.
    """
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except SQLAlchemyError:
        logger.warning("rollback after a failed request failed too", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Failure)
    def handle_failure(exc: Failure) -> Any:
        return error_response(status_of(exc), exc.code, exc.message, exc.field, **exc.extra)

    @app.errorhandler(ValueError)
    def handle_domain_error(exc: ValueError) -> Any:
        if not _is_domain_error(exc):
            return handle_unexpected(exc)
        status, code = next((answer for cls, answer in DOMAIN_STATUS.items()
                             if isinstance(exc, cls)), (422, "invalid"))
        field = getattr(exc, "field", None)
        return error_response(status, code, str(exc), field if isinstance(field, str) else None)

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
        discard_failed_work()
        logger.warning("integrity error answered as 409: %s", type(exc.orig).__name__)
        return error_response(409, "conflict",
                              _("The change conflicts with existing data."))

    @app.errorhandler(DataError)
    def handle_data_error(exc: DataError) -> Any:
        discard_failed_work()
        logger.warning("data error answered as 422: %s", type(exc.orig).__name__)
        return error_response(422, "invalid", _("A value is out of range or malformed."))

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(exc: OperationalError) -> Any:
        # the server restarting or out of reach: a retry shortly will do (the pool's
        # pre-ping replaces the dead connections); not the request's fault, not a bug.
        # Not translated: the user's language is kept in the database.
        # No page template either: it would ask for the signed-in user, from the database.
        logger.warning("database unavailable: %s", type(exc.orig).__name__)
        message = "The database does not answer; try again in a few seconds."
        if wants_json():
            response = jsonify({"error": "database_unavailable", "message": message})
        else:
            response = Response(message + "\n", mimetype="text/plain")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Any:
        status = exc.code or 500
        response = make_response(error_response(status, _snake(exc.name),
                                                exc.description or exc.name))
        # werkzeug's own headers (a 405's Allow, a 401's WWW-Authenticate) stay on the answer
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        discard_failed_work()
        logger.error("unhandled error in request %s", g.get("request_id"), exc_info=exc)
        return error_response(500, "internal_error",
                              _("Internal error; it has been logged with request id %(id)s.",
                                id=g.get("request_id", "-")))
