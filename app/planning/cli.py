"""``gridpatrol roster``, ``gridpatrol points``, ``gridpatrol stations`` and
``gridpatrol plan``: patrol planning from the command line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext
from pydantic import ValidationError

from app.db import get_session
from app.errors import exit_partly_written_if, nothing_imported, reported_on_the_command_line
from app.geography.datum import datum_option
from app.jobs.cli import terminal_progress
from app.jobs.progress import scaled
from app.planning.plans import configured_shifts, known_shift, plan_shift
from app.planning.points import import_points, propose_from_pois
from app.planning.roster import (
    StationInput,
    read_roster_file,
    roster_for,
    save_station,
    write_roster,
)
from gis.crs import datum_to_wgs84_array

roster_group = click.Group("roster", help="The roster: who works which shift in which grids.")
points_group = click.Group("points", help="Must-visit points (必巡点).")
stations_group = click.Group("stations", help="Stations where patrol routes start and end.")


def parse_day(value: str) -> date:
    """``today``, ``tomorrow`` or YYYY-MM-DD."""
    if value == "today":
        return date.today()
    if value == "tomorrow":
        return date.today() + timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not today, tomorrow or YYYY-MM-DD") from None


@roster_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def roster_import(file: Path, reason: str | None) -> None:
    """Import roster rows from FILE (CSV: date, shift, unit, grids, station, start, end,
    note — English or Chinese headings; UTF-8, UTF-16 or GB18030 — or a .json list). Bad
    rows are listed by line; good rows are written (a unit's row for the same day and
    shift is replaced). Exit status 0 all written, 3 some refused, 1 nothing written."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = write_roster(session, read_roster_file(file), reason=reason)
        if not result.written:
            raise nothing_imported("roster rows", result.errors)
    session.commit()
    click.echo(f"roster: {result.written} rows written, {len(result.errors)} refused")
    for error in result.errors:
        click.echo(f"  {error}")
    exit_partly_written_if(len(result.errors))


@roster_group.command("show")
@click.option("--date", "day", default="today", help="today, tomorrow or YYYY-MM-DD")
@with_appcontext
def roster_show(day: str) -> None:
    """Who works on a day."""
    entries = roster_for(get_session(), parse_day(day))
    if not entries:
        click.echo("nobody is rostered")
    for e in entries:
        click.echo(f"{e['shift']:<8} {e['start'][11:16]}–{e['end'][11:16]}  {e['unit']:<10} "
                   f"{e['kind']:<13} {e['station'] or '(no station)':<20} "
                   f"{', '.join(e['grids'])}")


@click.command("plan")
@click.option("--date", "day", required=True, help="today, tomorrow or YYYY-MM-DD")
@click.option("--shift", default=None, help="One shift (default: every shift of the day).")
@click.option("--engine", type=click.Choice(["vroom", "ortools"]), default=None)
@click.option("--seed", type=int, default=None, help="Default: derived from date and shift.")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def plan(day: str, shift: str | None, engine: str | None, seed: int | None,
         reason: str | None) -> None:
    """Plan patrol routes for a day: each rostered unit from its station and back, visiting
    the must-visit points of its grids in their windows and dosing the hot spots."""
    session = get_session()
    when = parse_day(day)
    with reported_on_the_command_line(), terminal_progress() as progress:
        shifts = [known_shift(shift)] if shift else list(configured_shifts())
        plans = [plan_shift(session, when, s, engine=engine, seed=seed, reason=reason,
                            progress=scaled(progress, i / len(shifts),
                                            (i + 1) / len(shifts)))
                 for i, s in enumerate(shifts)]
    session.commit()
    for p in plans:
        s = p.summary
        click.echo(f"{when.isoformat()} {p.shift}: {s['routes']} routes, {s['served']} of "
                   f"{s['stops']} stops served, {s['travel_s'] / 3600:.1f} h driving, "
                   f"solved in {s['solve_s']:.1f} s ({p.engine})")
        for item in p.unserved:
            click.echo(f"  not served: {item.get('name') or item.get('callsign') or ''} "
                       f"({item['reason']}): {item['message']}")


@points_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def points_import(file: Path, datum: str, reason: str | None) -> None:
    """Import must-visit points from CSV (name, lon, lat, windows like
    'mon-fri 07:30-08:15; sat 10:00-12:00', dwell_min, visits_per_shift, priority, covert)
    or GeoJSON points with those properties. Bad rows are listed; good ones written."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_points(session, file, reason=reason, datum=datum)
        if not result.created:
            raise nothing_imported("must-visit points", result.errors)
    session.commit()
    click.echo(f"must-visit points: {result.created} created, {len(result.errors)} refused")
    for error in result.errors:
        click.echo(f"  {error}")
    exit_partly_written_if(len(result.errors))


@points_group.command("propose")
@click.option("--kinds", default=None,
              help="POI kinds, comma-separated (default: schools, banks, markets, …).")
@click.option("--area", default=None, help="Only POIs in this area.")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def points_propose(kinds: str | None, area: str | None, reason: str | None) -> None:
    """Propose must-visit points from the imported POIs, with windows by kind."""
    session = get_session()
    with reported_on_the_command_line():
        count = propose_from_pois(session, kinds=kinds.split(",") if kinds else None,
                                  area=area, reason=reason)
    session.commit()
    click.echo(f"must-visit points proposed from POIs: {count}")


@stations_group.command("add")
@click.argument("name")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@click.option("--units", default="", help="Callsigns of the units based there, comma-separated.")
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def stations_add(name: str, lon: float, lat: float, units: str, datum: str,
                 reason: str | None) -> None:
    """Create (or move) a station and base units there (LON LAT in --datum)."""
    lon, lat = (float(v) for v in datum_to_wgs84_array(datum, lon, lat))
    session = get_session()
    with reported_on_the_command_line(also=(ValidationError,)):
        station = StationInput(name=name, lon=lon, lat=lat, reason=reason,
                               units=[u.strip() for u in units.split(",") if u.strip()])
        save_station(session, station)
    session.commit()
    click.echo(f"station {name} at {lon:.6f}, {lat:.6f}" + (
        " (WGS-84)" if datum != "wgs84" else ""))
