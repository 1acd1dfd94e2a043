"""The datum of coordinates coming in (``wgs84``, ``gcj02``, ``bd09``): read from an API
field or a ``--datum`` option, refused by name when unknown. Every importer with
coordinates takes it and hands it to :mod:`gis.datums`; what is stored is WGS-84."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from app.errors import InvalidValue
from gis.crs import DATUMS
from gis.datums import parse_datum
from gis.errors import CrsError

F = TypeVar("F", bound=Callable[..., Any])

DATUM_HELP = ("Datum of the file's longitude/latitude: wgs84 (GPS, CGCS2000, Tianditu; the "
              "default), gcj02 (AMap, Tencent) or bd09 (Baidu); converted to WGS-84.")
DATUM_DESCRIPTION = ("datum of the coordinates given: `wgs84` (GPS, CGCS2000, Tianditu; the "
                     "default), `gcj02` (AMap, Tencent) or `bd09` (Baidu); stored as WGS-84")


def checked_datum(value: object, *, field: str = "datum") -> str:
    """The datum an API request names: ``wgs84`` (also when it names none), ``gcj02`` or
    ``bd09``, written exactly so (as the API description's enum says); anything else is
    422 naming ``field``. The command line's ``--datum`` also takes aliases."""
    if value is None:
        return "wgs84"
    if isinstance(value, str) and value in DATUMS:
        return value
    shown = repr(value)[:40]
    raise InvalidValue(f"Unknown datum {shown}; use wgs84 (GPS, CGCS2000), gcj02 (AMap, "
                       "Tencent) or bd09 (Baidu).", field=field)


def datum_taken_from(body: dict[str, Any], *, field: str = "datum") -> str:
    """Take ``datum`` off a JSON body: ``wgs84`` when it is not there, else exactly one of
    the three codes (null refused, as the API description says)."""
    if field not in body:
        return "wgs84"
    value = body.pop(field)
    if value is None:
        raise InvalidValue("datum may be left out, not null; use wgs84, gcj02 or bd09.",
                           field=field)
    return checked_datum(value, field=field)


def _option_value(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    try:
        return parse_datum(value)
    except CrsError as exc:
        raise click.BadParameter(str(exc)) from None


def datum_option(command: F) -> F:
    """The ``--datum`` option of an import command (a usage error, exit 2, when unknown)."""
    option = click.option("--datum", default="wgs84", show_default=True,
                          metavar="wgs84|gcj02|bd09", callback=_option_value,
                          help=DATUM_HELP)
    return option(command)
