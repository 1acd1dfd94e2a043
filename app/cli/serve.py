"""``gridpatrol serve``: the front (with the events service) and gunicorn.

As root, the service account is prepared first (``app.serving.service_user``); then the
process becomes ``python -m app.serving`` (``app.serving.supervisor``), which drops root.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.db import app_database_url, cluster_of, engine, uses_embedded_cluster
from app.db.credentials import Credentials
from app.ingest.broker import APP_CLIENT, INGEST_CLIENT, BrokerError, terminal_client
from app.ingest.secrets import ClientSecretError
from app.ingest.settings import call_folder, journal_path, own_broker
from app.ingest.target import MqttUrlError
from app.serving import service_user
from app.serving.children import default_children

ROOT = Path(__file__).resolve().parents[2]


@click.command("serve")
@click.option("--bind", default=None, help="host:port (default GRIDPATROL_BIND).")
@click.option("--workers", type=int, default=None, help="Processes (default GRIDPATROL_WORKERS).")
@click.option("--threads", type=int, default=None,
              help="Threads per process (default GRIDPATROL_THREADS).")
@click.option("--simulate", is_flag=True,
              help="Also run the demo's terminal simulator (what `make demo` does).")
@with_appcontext
def serve(bind: str | None, workers: int | None, threads: int | None,
          simulate: bool = False) -> None:
    """Serve: the front (live events, on --bind) and the app (gunicorn, threaded workers);
    beside them the own MQTT broker and `gridpatrol ingest` (GRIDPATROL_SERVE_INGEST)."""
    app = current_app
    bind = bind or app.config["BIND"]
    workers = workers or app.config["WORKERS"]
    threads = threads or app.config["THREADS"]
    children = default_children(app.config, simulate=simulate)
    argv = [sys.executable, "-m", "app.serving", "--bind", bind, "--workers", str(workers),
            "--threads", str(threads), "--children", ",".join(children)]
    account = None
    if service_user.running_as_root():
        account = prepare_service_account()
        argv += ["--user", account.name]
        click.echo(f"started as root: serving as the system user {account.name}")
    if children:
        try:
            prepare_children(app, children, account)
        except (BrokerError, ClientSecretError, OSError, MqttUrlError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"beside the servers, restarted if they end: {', '.join(children)}")
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
            outboxes=_outboxes(), socket_dir=socket_dir)
    except service_user.ServiceUserError as exc:
        raise click.ClickException(str(exc)) from None
    return account


def prepare_children(app: Flask, children: tuple[str, ...],
                     account: service_user.Account | None) -> None:
    """Before the supervisor starts them: the own broker's files written (handed to the
    service account when root) and a broker started earlier stopped (serve runs its own
    now); the secrets the children read, and the journal folder, handed to the account."""
    broker = own_broker(app, account)
    if "mqtt" in children:
        if broker.stop():
            click.echo("mqtt: stopped the broker running on its own; serve runs it now")
        broker.write_files()
    if account is None:
        return
    if "ingest" in children:
        journal = journal_path(app)
        journal.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for item in [journal.parent, *journal.parent.iterdir()]:
            os.chown(item, account.uid, account.gid)
        _share_call_folders(app, account)
    if "mqtt" in children:
        clients = [INGEST_CLIENT, APP_CLIENT]
        if "simulator" in children:
            clients += [terminal_client(r) for r in broker.terminals()]
        for client in clients:
            broker.secrets.share(client, account.uid, account.gid)


def _share_call_folders(app: Flask, account: service_user.Account) -> None:
    """The call folder's inbox and archive, made for the service account where they are
    not there yet (a folder the operator made is left as it is: its owner decides)."""
    source = call_folder(app)
    if source is None:
        return
    for folder in (source.archive, source.inbox, source.audio_root):
        if folder.exists():
            continue
        folder.mkdir(mode=0o750, parents=True)
        os.chown(folder, account.uid, account.gid)


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


def _outboxes() -> list[Path]:
    """The files the radio and ticket gateways append to, when they are files."""
    from app.maintenance.tickets import ticket_outbox_file
    from app.orders.settings import outbox_file

    files = {outbox_file(current_app), ticket_outbox_file(current_app)}
    return sorted(f for f in files if f is not None)
