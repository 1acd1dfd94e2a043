"""``gridpatrol serve``: the web app under gunicorn."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

ROOT = Path(__file__).resolve().parents[2]


@click.command("serve")
@click.option("--bind", default=None, help="host:port (default GRIDPATROL_BIND).")
@click.option("--workers", type=int, default=None, help="Processes (default GRIDPATROL_WORKERS).")
@with_appcontext
def serve(bind: str | None, workers: int | None) -> None:
    """Serve the web app (gunicorn, threaded workers)."""
    bind = bind or current_app.config["BIND"]
    workers = workers or current_app.config["WORKERS"]
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    click.echo(f"serving on http://{bind}/ with {workers} workers")
    os.chdir(ROOT)
    os.execv(gunicorn,  # noqa: S606 (hand the process to gunicorn)
             [gunicorn, "--config", "python:app.cli.gunicorn_config",
              "--bind", bind, "--workers", str(workers), "--threads", "8",
              "--worker-class", "gthread", "--timeout", "120", "--access-logfile", "-",
              "--preload", "wsgi:app"])
