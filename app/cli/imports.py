"""``gridpatrol import``: OSM extracts and area boundaries."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.db import get_session
from app.errors import ApiError
from app.importers.boundary import import_boundary
from app.importers.osm import import_osm
from gis.osm import OsmReadError

group = click.Group("import", help="Import map data.")


def _progress(phase: str, count: int) -> None:
    if sys.stderr.isatty():
        click.echo(f"\r{phase}: {count:,}\033[K", nl=False, err=True)


@group.command("osm")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def osm(file: Path, reason: str | None) -> None:
    """Import roads, the road graph, buildings, POIs, cameras and land cover from FILE
    (.osm.pbf or .osm). Re-importing updates by OSM id; a bad file changes nothing."""
    session = get_session()
    try:
        summary = import_osm(session, file, progress=_progress, reason=reason)
    except OsmReadError as exc:
        session.rollback()
        raise click.ClickException(f"{exc}; the database was not changed") from None
    session.commit()
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"imported {file}")
    for kind, found in summary.found.items():
        click.echo(f"  {kind:<11} {found:>8,} found  {summary.written.get(kind, 0):>8,} written")
    for why, count in sorted(summary.skipped.items()):
        click.echo(f"  skipped {count:,}: {why}")
    if summary.default_area:
        click.echo(f"  created the area {summary.default_area!r} from the roads' extent")


@group.command("boundary")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name-field", default=None,
              help="Attribute holding the area name (default: name, NAME, or the first text "
                   "column).")
@click.option("--kind", default="area", show_default=True,
              help="What the polygons are (county, station, …).")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def boundary(file: Path, name_field: str | None, kind: str, reason: str | None) -> None:
    """Import area polygons from FILE (GeoJSON, GeoPackage or Shapefile)."""
    session = get_session()
    try:
        result = import_boundary(session, file, name_field=name_field, kind=kind, reason=reason)
    except ApiError as exc:
        session.rollback()
        raise click.ClickException(f"{exc.message}; the database was not changed") from None
    session.commit()
    click.echo(f"areas: {result.created} created, {result.updated} updated")
    for problem in result.rejected:
        click.echo(f"  rejected {problem}")
