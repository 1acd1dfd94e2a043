"""``gridpatrol audit``: checking the audit log."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.audit import verify_chain
from app.audit.chain import Anchor
from app.db import get_session

group = click.Group("audit", help="Check the audit log.")


def _anchor(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Anchor | None:
    if value is None:
        return None
    try:
        return Anchor.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@group.command("verify")
@click.option("--from", "start", metavar="ID:HASH", callback=_anchor,
              help="Start at an anchor printed by an earlier verify (and kept elsewhere): "
                   "checks that row still has that hash, then the rows after it.")
@click.pass_context
@with_appcontext
def verify(ctx: click.Context, start: Anchor | None) -> None:
    """Walk the audit log's hash chain: OK with the count, or the first broken link."""
    report = verify_chain(get_session(), start=start)
    since = f"after row {start.row_id}" if start else "from the first"
    if report.broken is not None:
        click.echo(f"audit log BROKEN at row {report.broken.row_id}: {report.broken.message}"
                   if report.broken.row_id is not None
                   else f"audit log BROKEN: {report.broken.message}")
        click.echo(f"({report.rows:,} rows {since} checked good before it)")
        ctx.exit(1)
    click.echo(f"audit log OK: {report.rows:,} rows chained {since}"
               + (f" (ids {report.first_id}–{report.last.row_id})"
                  if report.rows and report.last else ""))
    if report.last is not None:
        click.echo(f"newest row, to keep elsewhere as an anchor: {report.last}")
