"""``gridpatrol grids``: patrol grid cells (网格)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.db import get_session
from app.errors import exit_partly_written_if, reported_on_the_command_line
from app.geography.datum import datum_option
from app.geography.import_grids import build_grids, import_grids

group = click.Group("grids", help="Build or import patrol grids.")


@group.command("build")
@click.option("--shape", type=click.Choice(["square", "hex"]), default="square",
              show_default=True)
@click.option("--cell-m", type=click.FloatRange(min=50, max=20000), default=500,
              show_default=True, help="Square side, or hexagon width across flats (m).")
@click.option("--area", default=None, help="Only this area (default: every area).")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def build(shape: str, cell_m: float, area: str | None, reason: str | None) -> None:
    """Cover the areas with cells; codes are stable, so a rebuild keeps names."""
    session = get_session()
    with reported_on_the_command_line():
        result = build_grids(session, shape=shape, cell_m=cell_m, area=area, reason=reason)
    session.commit()
    click.echo(f"{result.cells} {shape} cells of {cell_m:g} m over "
               f"{', '.join(result.areas)}: {result.created} new, {result.removed} removed")


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name-field", default=None, help="Attribute holding the cell name.")
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def import_file(file: Path, name_field: str | None, datum: str, reason: str | None) -> None:
    """Import grid cells drawn elsewhere (GeoJSON, GeoPackage, Shapefile polygons). Exit
    status 0 all written, 3 some features refused (listed), 1 nothing written."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_grids(session, file, name_field=name_field, reason=reason,
                              datum=datum)
    session.commit()
    click.echo(f"{result.cells} cells imported ({result.created} new)")
    for problem in result.rejected:
        click.echo(f"  rejected {problem}")
    exit_partly_written_if(len(result.rejected))
