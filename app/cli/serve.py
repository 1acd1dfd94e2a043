"""``gridpatrol serve``: the front (with the events service) and gunicorn.

As root, the service account is prepared first (``app.serving.service_user``); then the
process becomes ``python -m app.serving`` (``app.serving.supervisor``), which drops root.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.db import app_database_url, cluster_of, engine, uses_embedded_cluster
from app.db.credentials import Credentials
from app.serving import service_user

ROOT = Path(__file__).resolve().parents[2]


@click.command("serve")
@click.option("--bind", default=None, help="host:port (default GRIDPATROL_BIND).")
@click.option("--workers", type=int, default=None, help="Processes (default GRIDPATROL_WORKERS).")
@click.option("--threads", type=int, default=None,
              help="Threads per process (default GRIDPATROL_THREADS).")
@with_appcontext
def serve(bind: str | None, workers: int | None, threads: int | None) -> None:
    """Serve: the front (live events, on --bind) and the app (gunicorn, threaded workers)."""
    app = current_app
    bind = bind or app.config["BIND"]
    workers = workers or app.config["WORKERS"]
    threads = threads or app.config["THREADS"]
    argv = [sys.executable, "-m", "app.serving", "--bind", bind, "--workers", str(workers),
            "--threads", str(threads)]
    if service_user.running_as_root():
        account = prepare_service_account()
        argv += ["--user", account.name]
        click.echo(f"started as root: serving as the system user {account.name}")
    click.echo(f"serving on http://{bind}/ ({workers} workers × {threads} threads, "
               "live events from the front)")
    engine(app).dispose()
    os.chdir(ROOT)
    os.execv(sys.executable, argv)  # noqa: S606 (hand the process to the supervisor)


def prepare_service_account() -> service_user.Account:
    """Give the service account what the servers need (the database socket, the app
    role's password file, instance/run, the outbox) and check it; root only."""
    app = current_app
    try:
        account = service_user.Account.named()
        socket_dir = _embedded_socket_dir()
        if socket_dir is not None:
            cluster_of(app).share_socket_with_group()
        passfile = _app_passfile()
        if passfile is not None:
            Credentials(passfile.parent).share(passfile.name.removesuffix(".pgpass"),
                                               account.uid, account.gid)
        service_user.prepare(
            account, instance=Path(app.instance_path),
            conninfo=app_database_url(app).replace("postgresql+psycopg://", "postgresql://", 1),
            outbox=_radio_outbox(), socket_dir=socket_dir)
    except service_user.ServiceUserError as exc:
        raise click.ClickException(str(exc)) from None
    return account


def _app_passfile() -> Path | None:
    """The app role's password file (``passfile=`` of its URL), when it is one of ours:
    the service account must read it."""
    passfile = make_url(app_database_url(current_app)).query.get("passfile")
    if isinstance(passfile, str) and passfile.endswith(".pgpass"):
        return Path(passfile)
    return None


def _embedded_socket_dir() -> Path | None:
    """The embedded cluster's socket folder, when the app's database lives there."""
    app = current_app
    cluster = cluster_of(app)
    if uses_embedded_cluster(app) or str(cluster.socket_dir) in app_database_url(app):
        return cluster.socket_dir if cluster.is_running() else None
    return None


def _radio_outbox() -> Path | None:
    """The file the radio gateway appends to, when it is a file."""
    from app.orders.settings import outbox_file

    return outbox_file(current_app)
