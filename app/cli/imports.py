"""``gridpatrol import``: OSM extracts, area boundaries, crime incidents, cameras, and the
checkpoints and passage records of the checkpoint system (``app/passages/cli.py``).

Exit status of every importer: 0 when everything in the file was written; 3
(:data:`app.errors.PARTLY_WRITTEN`) when the good rows were written and others refused
(listed); 1 when nothing was written — the file unreadable, empty or holding only a
heading, every row refused — with the reason, the database unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from app.analysis.import_incidents import import_incidents
from app.analysis.summary_text import summary_lines
from app.cameras.importing import import_camera_csv, row_line
from app.db import get_session
from app.errors import exit_partly_written_if, nothing_imported, reported_on_the_command_line
from app.geography.import_boundary import import_boundary
from app.geography.import_osm import import_osm
from app.passages import cli as passage_cli
from gis.incidents import mapping_from_dict, parse_mapping, read_category_map

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
    with reported_on_the_command_line(unchanged=True):
        summary = import_osm(session, file, progress=_progress, reason=reason)
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
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_boundary(session, file, name_field=name_field, kind=kind, reason=reason)
    session.commit()
    click.echo(f"areas: {result.created} created, {result.updated} updated")
    for problem in result.rejected:
        click.echo(f"  rejected {problem}")
    for table, count in result.reattached.items():
        click.echo(f"  {table}: {count:,} now in the new areas (from the placeholder extent "
                   "or from no area)")
    for name, tables in result.extents_kept.items():
        click.echo(f"  kept the placeholder area {name!r}: still holds "
                   + ", ".join(f"{count:,} {table}" for table, count in tables.items()))
    exit_partly_written_if(len(result.rejected))


@group.command("incidents")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--mapping", "mapping_text", default=None,
              help="Source columns, e.g. 'id=Row ID,datetime=Incident Datetime,"
                   "category=Incident Category,lon=Longitude,lat=Latitude,tz=America/"
                   "Los_Angeles'; a JSON file path also works. Overrides a recognised preset "
                   "field by field.")
@click.option("--source", default=None,
              help="Name of the data set (ids are unique within it; default: the preset, "
                   "else the first file's name).")
@click.option("--encoding", default=None, help="CSV encoding (default: UTF-8, else GB18030).")
@click.option("--tz", "default_tz", default=None,
              help="IANA time zone of naive times when the mapping names none.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Where to write rejected rows with their reason "
                                 "(default: instance/rejects/…).")
@click.option("--category-map", "category_map", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV 'source_category,category' choosing the common category of source "
                   "values (stored for this source; the unmapped-categories file an import "
                   "writes can be filled in and given here).")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def incidents(files: tuple[Path, ...], mapping_text: str | None, source: str | None,
              encoding: str | None, default_tz: str | None, rejects_path: Path | None,
              category_map: Path | None, reason: str | None) -> None:
    """Import crime incidents from FILES (CSV in any layout — police.uk and SFPD exports
    are recognised —, GeoJSON, GeoPackage, Shapefile, or folders of them). Bad rows are
    reported and written to a rejects file; the rest is imported; re-importing updates."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(ValueError, OSError)):
        mapping = _mapping(mapping_text) if mapping_text else None
        chosen = read_category_map(category_map) if category_map else None
        summary = import_incidents(session, list(files), mapping=mapping, source=source,
                                   encoding=encoding, default_tz=default_tz,
                                   rejects_path=rejects_path, reason=reason,
                                   progress=_file_progress, category_map=chosen)
        if not summary.accepted:
            raise nothing_imported("incidents", [
                f"{count:,} rejected: {why}" + "".join(
                    f"; e.g. {e}" for e in summary.examples.get(why, [])[:1])
                for why, count in sorted(summary.rejects_by_reason.items())]
                + ([f"rejects with their reasons: {summary.rejects_path}"]
                   if summary.rejects_path else []))
    session.commit()
    if sys.stderr.isatty():
        click.echo("", err=True)
    for line in summary_lines(summary, files=len(files)):
        click.echo(line)
    exit_partly_written_if(summary.rejected)


def _mapping(text: str) -> Any:
    path = Path(text)
    if text.endswith(".json") and path.is_file():
        return mapping_from_dict(json.loads(path.read_text()))
    return parse_mapping(text)


def _file_progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        click.echo(f"\rfiles read: {done}/{total}\033[K", nl=False, err=True)


@group.command("cameras")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def cameras(file: Path, reason: str | None) -> None:
    """Import cameras from a CSV FILE (UTF-8, UTF-16 or GB18030; comma, semicolon or tab;
    English or Chinese headings such as 名称, 经度, 纬度, 方向, 视角, 距离, 类型, 国标编码).
    Good rows are written, bad ones listed by line and field; a known gb_id updates its
    camera; stream URLs must pass the stream fence."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_camera_csv(session, file.read_bytes(), source=file.name, reason=reason)
        if not result.written:
            raise nothing_imported("cameras", [row_line(e) for e in result.errors])
    session.commit()
    click.echo(f"cameras: {result.created} created, {result.updated} updated, "
               f"{len(result.errors)} refused ({result.encoding})")
    for error in result.errors:
        click.echo(f"  {row_line(error)}")
    for warning in result.warnings:
        click.echo(f"  warning: {row_line(warning)}")
    exit_partly_written_if(len(result.errors))


group.add_command(passage_cli.checkpoints)
group.add_command(passage_cli.passages)
