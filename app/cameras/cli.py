"""``gridpatrol cameras …``: the camera health check from the command line."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cameras.health.checks import run_round

group = click.Group("cameras", help="Camera health checks.")


@group.command("check")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--camera", "camera_ids", type=click.IntRange(1, 2**31 - 1), multiple=True,
              help="Check only this camera (repeatable).")
@click.option("--interval-s", type=click.IntRange(10, 86400), default=None,
              help="Seconds between rounds (default GRIDPATROL_HEALTH_INTERVAL_S).")
@click.option("--verbose", "-v", is_flag=True, help="List every camera's outcome.")
@with_appcontext
def check(once: bool, camera_ids: tuple[int, ...], interval_s: int | None,
          verbose: bool) -> None:
    """Sample every camera with a stream and diagnose its picture (signal lost, frozen,
    black, blurred, noise, colour cast, mosaic, covered, moved …); record states, uptime
    and maintenance tickets. Without --once: a round every interval until Ctrl+C."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    every = interval_s or int(app.config["HEALTH_INTERVAL_S"])
    while True:
        started = time.monotonic()
        summary = run_round(app, camera_ids=list(camera_ids) or None)
        click.echo(summary.describe())
        if verbose or camera_ids:
            for line in summary.lines:
                click.echo(line)
        if once:
            return
        time.sleep(max(0.0, every - (time.monotonic() - started)))
