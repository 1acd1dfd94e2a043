"""``gridpatrol import``: OSM extracts, area boundaries, crime incidents, cameras,
GB/T 28181 catalogues, and the checkpoints and passage records of the checkpoint system
(``app/passages/cli.py``).

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
from app.cameras.catalog import CatalogImport, import_catalog
from app.cameras.importing import import_camera_csv, row_line
from app.db import get_session
from app.errors import exit_partly_written_if, nothing_imported, reported_on_the_command_line
from app.geography.datum import datum_option
from app.geography.import_boundary import import_boundary
from app.geography.import_osm import import_osm
from app.jobs.cli import terminal_progress
from app.passages import cli as passage_cli
from dispatch.cameras.catalog import MAX_CATALOG_BYTES, InvalidCatalog
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
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def boundary(file: Path, name_field: str | None, kind: str, datum: str,
             reason: str | None) -> None:
    """Import area polygons from FILE (GeoJSON, GeoPackage or Shapefile)."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_boundary(session, file, name_field=name_field, kind=kind, reason=reason,
                                 datum=datum)
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
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def incidents(files: tuple[Path, ...], mapping_text: str | None, source: str | None,
              encoding: str | None, default_tz: str | None, rejects_path: Path | None,
              category_map: Path | None, datum: str, reason: str | None) -> None:
    """Import crime incidents from FILES (CSV in any layout — police.uk and SFPD exports
    are recognised —, GeoJSON, GeoPackage, Shapefile, or folders of them). Bad rows are
    reported and written to a rejects file; the rest is imported; re-importing updates."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(ValueError, OSError)):
        mapping = _mapping(mapping_text) if mapping_text else None
        chosen = read_category_map(category_map) if category_map else None
        with terminal_progress() as progress:
            summary = import_incidents(session, list(files), mapping=mapping, source=source,
                                       encoding=encoding, default_tz=default_tz,
                                       rejects_path=rejects_path, reason=reason,
                                       progress=progress, category_map=chosen, datum=datum)
        if not summary.accepted:
            raise nothing_imported("incidents", [
                f"{count:,} rejected: {why}" + "".join(
                    f"; e.g. {e}" for e in summary.examples.get(why, [])[:1])
                for why, count in sorted(summary.rejects_by_reason.items())]
                + ([f"rejects with their reasons: {summary.rejects_path}"]
                   if summary.rejects_path else []))
    session.commit()
    for line in summary_lines(summary, files=len(files)):
        click.echo(line)
    exit_partly_written_if(summary.rejected)


def _mapping(text: str) -> Any:
    path = Path(text)
    if text.endswith(".json") and path.is_file():
        return mapping_from_dict(json.loads(path.read_text()))
    return parse_mapping(text)


@group.command("cameras")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def cameras(file: Path, datum: str, reason: str | None) -> None:
    """Import cameras from a CSV FILE (UTF-8, UTF-16 or GB18030; comma, semicolon or tab;
    English or Chinese headings such as 名称, 经度, 纬度, 方向, 视角, 距离, 类型, 国标编码).
    Good rows are written, bad ones listed by line and field; a known gb_id updates its
    camera; stream URLs must pass the stream fence."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_camera_csv(session, file.read_bytes(), source=file.name, reason=reason,
                                   datum=datum)
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


LISTED = 50  # lines per list on the terminal (the API answers them all)


@group.command("catalog")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@datum_option
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def catalog(files: tuple[Path, ...], datum: str, reason: str | None) -> None:
    """Import cameras from a GB/T 28181 catalogue: the XML of Catalog responses (SIP
    MESSAGE bodies), one message per file, several concatenated, or a capture of the SIP
    requests; GB2312/GB18030 or UTF-8. Cameras are matched by DeviceID (updated, never
    duplicated); divisions, groups, organisations and recorders are skipped and listed;
    the whole import is one transaction."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True, also=(OSError,)):
        result = import_catalog(session, [(f.name, _read_bounded(f)) for f in files],
                                datum=datum, reason=reason)
        if not result.written:
            raise nothing_imported("cameras", [
                f"{r['where']}: {r['device_id']} {r['name']}: {r['message']}"
                for r in result.refused] + [
                f"{count} skipped: {what}" for what, count in result.skipped_by_kind().items()])
    session.commit()
    for line in catalog_lines(result):
        click.echo(line)
    exit_partly_written_if(len(result.refused))


def _read_bounded(path: Path) -> bytes:
    """The file, unless it is larger than a catalogue import reads (refused unread)."""
    size = path.stat().st_size
    if size > MAX_CATALOG_BYTES:
        raise InvalidCatalog(f"{path.name}: the file is {size:,} bytes; at most "
                             f"{MAX_CATALOG_BYTES:,} are read in one import (split it by "
                             "message)")
    return path.read_bytes()


def catalog_lines(result: CatalogImport) -> list[str]:
    """The summary of a catalogue import, as printed."""
    messages = f"{result.messages} message{'s' if result.messages != 1 else ''}"
    lines = [f"catalogue: {messages}, {result.items} items "
             f"({', '.join(result.encodings)}), coordinates read as {result.datum}",
             f"cameras: {result.created} created, {result.updated} updated, "
             f"{len(result.refused)} refused"]
    if result.skipped:
        kinds = ", ".join(f"{count} {what}" for what, count in result.skipped_by_kind().items())
        lines.append(f"skipped {len(result.skipped)} items that are not cameras: {kinds}")
        lines += _listed([f"{s['device_id']} {s['name']}: {s['what']}, {s['why']}"
                          for s in result.skipped])
    if result.refused:
        lines.append("refused:")
        lines += _listed([f"{r['where']}: {r['device_id']} {r['name']}: {r['message']}"
                          for r in result.refused])
    if result.unplaced:
        lines.append(f"updated without moving ({len(result.unplaced)}: no coordinates):")
        lines += _listed([f"{u['device_id']} {u['name']}: {u['message']}"
                          for u in result.unplaced])
    if result.status_changes:
        moves: dict[str, int] = {}
        for change in result.status_changes:
            moves[change["to"]] = moves.get(change["to"], 0) + 1
        lines.append(f"states changed: {len(result.status_changes)} ("
                     + ", ".join(f"{n} {to}" for to, n in sorted(moves.items())) + ")")
    lines += [f"note: {n}" for n in result.notes]
    if result.item_notes:
        lines.append("notes on items:")
        lines += _listed([f"{n['device_id']} {n['name']}: {'; '.join(n['notes'])}"
                          for n in result.item_notes])
    return lines


def _listed(lines: list[str]) -> list[str]:
    shown = [f"  {line}" for line in lines[:LISTED]]
    return shown + ([f"  … and {len(lines) - LISTED} more"] if len(lines) > LISTED else [])


group.add_command(passage_cli.checkpoints)
group.add_command(passage_cli.passages)
