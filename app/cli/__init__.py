"""The ``gridpatrol`` command: Flask's CLI with one command group per domain."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    from app.audit import cli as audit
    from app.auth import cli as users
    from app.cameras import cli as cameras
    from app.cli import demo, imports, scheduler, serve
    from app.db import cli as db
    from app.geography import cli as grids
    from app.ingest import cli as ingest
    from app.jobs import cli as jobs
    from app.planning import cli as planning

    for command in (db.group, audit.group, users.group, imports.group, grids.group, demo.group,
                    serve.serve, planning.roster_group, planning.points_group,
                    planning.stations_group, planning.plan, scheduler.scheduler, ingest.group,
                    ingest.ingest, jobs.group, ingest.replay_command, cameras.group):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from app import create_app

    return create_app()


def main() -> None:
    FlaskGroup(create_app=_create_app, name="gridpatrol",
               help="gridpatrol: grid patrol and dispatch.")(prog_name="gridpatrol")
