"""``gridpatrol db``: the embedded cluster and the schema."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app import db
from app.db.cluster import APP_ROLE, MAIN_DATABASE, ClusterError

group = click.Group("db", help="Start, stop and migrate the database.")


def _embedded_only() -> None:
    if not db.uses_embedded_cluster(current_app):
        raise click.ClickException("GRIDPATROL_DATABASE_URL is set: gridpatrol does not manage "
                                   "that server (start/stop/reset are for the embedded one)")


def _app_role() -> str | None:
    return APP_ROLE if db.uses_embedded_cluster(current_app) else None


@group.command("start")
@with_appcontext
def start() -> None:
    """Create (first time) and start the embedded PostGIS cluster."""
    _embedded_only()
    cluster = db.cluster_of(current_app)
    try:
        cluster.start()
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(cluster.status())


@group.command("stop")
@with_appcontext
def stop() -> None:
    """Stop the embedded cluster."""
    _embedded_only()
    cluster = db.cluster_of(current_app)
    cluster.stop()
    click.echo(cluster.status())


@group.command("status")
@with_appcontext
def status() -> None:
    """Say where the database is and which migration it is at."""
    if db.uses_embedded_cluster(current_app):
        cluster = db.cluster_of(current_app)
        click.echo(f"embedded cluster: {cluster.status()}")
        if not cluster.is_running():
            return
    else:
        click.echo("external server (GRIDPATROL_DATABASE_URL)")
    revision = db.current_revision(db.migration_database_url(current_app))
    click.echo(f"schema revision: {revision or 'none (run `gridpatrol db upgrade`)'}")


@group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply migrations (as the owner role), grant the app role its rights and keep the
    position history's monthly partitions (ahead and within the retention)."""
    run = db.upgrade(db.migration_database_url(current_app), _app_role(), revision,
                     position_retention_days=current_app.config["POSITION_RETENTION_DAYS"])
    click.echo(f"schema at {db.current_revision(db.migration_database_url(current_app))}")
    if run is not None:
        click.echo(run.describe())


@group.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset(yes: bool) -> None:
    """Drop the embedded database with all its data and build it anew."""
    _embedded_only()
    if not yes:
        click.confirm("Drop every table and all data of the embedded database?", abort=True)
    cluster = db.cluster_of(current_app)
    cluster.start()
    db.engine(current_app).dispose()
    cluster.drop_database(MAIN_DATABASE)
    cluster.ensure_database(MAIN_DATABASE)
    db.upgrade(db.migration_database_url(current_app), APP_ROLE,
               position_retention_days=current_app.config["POSITION_RETENTION_DAYS"])
    click.echo("database reset and migrated")
