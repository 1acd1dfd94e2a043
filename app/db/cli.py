"""``gridpatrol db``: the embedded cluster and the schema."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app import audit, db
from app.db.cluster import ADMIN_ROLE, APP_ROLE, MAIN_DATABASE, OWNER_ROLE, ClusterError
from app.db.credentials import CredentialsError

ROLE_CHOICES = {"app": APP_ROLE, "owner": OWNER_ROLE, "admin": ADMIN_ROLE}

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
    was_trusting = cluster.is_initialised() and not cluster.hba_is_managed()
    try:
        cluster.start()
    except (ClusterError, CredentialsError) as exc:
        raise click.ClickException(str(exc)) from None
    if was_trusting:
        click.echo("the cluster trusted local connections: every role now signs in with its "
                   f"password (files in {cluster.credentials.folder})")
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
    revision = db.current_revision(db.app_database_url(current_app))
    click.echo(f"schema revision: {revision or 'none (run `gridpatrol db upgrade`)'}")


@group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply migrations (as the owner role), grant the app role its rights and keep the
    partitions of the position history (monthly) and the checkpoint passages (daily):
    made ahead, and dropped past their retention."""
    runs = db.upgrade(db.migration_database_url(current_app), _app_role(), revision,
                      position_retention_days=current_app.config["POSITION_RETENTION_DAYS"],
                      passage_retention_days=current_app.config["PASSAGE_RETENTION_DAYS"])
    click.echo(f"schema at {db.current_revision(db.migration_database_url(current_app))}")
    for run in runs:
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
               position_retention_days=current_app.config["POSITION_RETENTION_DAYS"],
               passage_retention_days=current_app.config["PASSAGE_RETENTION_DAYS"])
    click.echo("database reset and migrated")


@group.command("rotate-passwords")
@click.option("--role", "which", type=click.Choice(["all", *ROLE_CHOICES]), default="all",
              show_default=True, help="Whose password to change.")
@click.option("--reason", default=None, help="Why (written to the audit log).")
@with_appcontext
def rotate_passwords(which: str, reason: str | None) -> None:
    """Give database roles new random passwords (files in instance/db-secrets)."""
    _embedded_only()
    session = db.get_session()
    if db.schema_revision(session) is None:
        raise click.ClickException("the schema (and its audit log) is not there yet: run "
                                   "`gridpatrol db upgrade` first")
    cluster = db.cluster_of(current_app)
    roles = list(ROLE_CHOICES.values()) if which == "all" else [ROLE_CHOICES[which]]
    try:
        for role in roles:
            cluster.rotate_password(role)
            audit.record(session, "db.rotate_password", object_type="db_role", object_id=role,
                         reason=reason)
            click.echo(f"{role}: new password in {cluster.passfile(role)}")
    except (ClusterError, CredentialsError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        session.commit()  # audit what was rotated, even when a later role failed
