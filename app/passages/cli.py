"""``gridpatrol import checkpoints`` and ``gridpatrol import passages``: the files of the
checkpoint system, read and checked as the API reads them, imported in this process with a
progress bar on a terminal (the API makes large files a background job instead)."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask.cli import with_appcontext

from app.db import get_session
from app.errors import (
    InvalidValue,
    exit_partly_written_if,
    nothing_imported,
    reported_on_the_command_line,
)
from app.passages.checkpoints import DATUMS, import_checkpoint_csv
from app.passages.importing import import_passages


def _bar(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        click.echo(f"\r{fraction:4.0%} {message}\033[K", nl=False, err=True)


def _where(error: dict[str, object]) -> str:
    where = f"line {error['line']}" if "line" in error else f"record {error.get('record')}"
    field = f"{error['field']}: " if error.get("field") else ""
    return f"{where}: {field}{error['message']}"


@click.command("checkpoints")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--datum", type=click.Choice(DATUMS), default="wgs84", show_default=True,
              help="Datum of the coordinates (gcj02: AMap, Tencent; bd09: Baidu).")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def checkpoints(file: Path, datum: str, reason: str | None) -> None:
    """Import checkpoints (卡口) from a CSV FILE: code/卡口编号, name/卡口名称, lon/经度,
    lat/纬度, directions/方向 (separated by | or ;), area/区域. A known code updates its
    checkpoint; bad rows are listed by line and field."""
    session = get_session()
    with reported_on_the_command_line(unchanged=True):
        result = import_checkpoint_csv(session, file.read_bytes(), source=file.name,
                                       datum=datum, reason=reason)
        if not result["created"] and not result["updated"]:
            raise nothing_imported("checkpoints", [_where(e) for e in result["errors"]])
    session.commit()
    click.echo(f"checkpoints: {result['created']} created, {result['updated']} updated, "
               f"{len(result['errors'])} refused ({result['encoding']})")
    for error in result["errors"]:
        click.echo(f"  {_where(error)}")
    exit_partly_written_if(len(result["errors"]))


@click.command("passages")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True,
              help="Write the good rows and list the bad ones (default: a file with a bad "
                   "row is refused whole, nothing written).")
@click.option("--tz", "zone", default=None,
              help="Time zone of times written without one (default: GRIDPATROL_TIMEZONE).")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def passages(file: Path, skip_bad: bool, zone: str | None, reason: str | None) -> None:
    """Import passage records (过车记录) from a checkpoint export FILE: CSV (UTF-8 or
    GB18030; English, Chinese or pinyin headings such as 卡口编号, 过车时间, 号牌号码, 方向,
    车道, 车辆类型, 车身颜色) or JSON (a list, {passages}, GA/T 1400). Every row is checked;
    passages already stored are not written twice; unread plates are skipped."""
    try:
        tz = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--tz") from None
    session = get_session()
    with reported_on_the_command_line(unchanged=True):
        try:
            result = import_passages(session, file.read_bytes(), name=file.name,
                                     skip_bad=skip_bad, reason=reason, tz=tz, progress=_bar)
        except InvalidValue as exc:
            if sys.stderr.isatty():
                click.echo("", err=True)
            for error in exc.extra.get("errors", []) if exc.code == "bad_rows" else []:
                click.echo(f"  {_where(error)}", err=True)
            raise
    session.commit()
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"passages: {result.written:,} written, {result.duplicates:,} already stored, "
               f"{result.unread:,} unread plates skipped, {result.refused:,} rows refused"
               + (f" ({result.encoding})" if result.encoding else ""))
    if result.first and result.last:
        click.echo(f"  {len(result.checkpoints)} checkpoints, {result.first.isoformat()} to "
                   f"{result.last.isoformat()}")
    for error in result.errors[:50]:
        click.echo(f"  {_where(error)}")
    if len(result.errors) > 50:
        click.echo(f"  … and {len(result.errors) - 50:,} more")
    exit_partly_written_if(result.refused)
