"""``gridpatrol mqtt …`` (the own broker) and ``gridpatrol ingest`` (the service)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app import audit
from app.db import engine, get_session
from app.ingest.apply import Applier
from app.ingest.broker import APP_CLIENT, INGEST_CLIENT, Broker, BrokerError
from app.ingest.secrets import ClientSecretError
from app.ingest.service import IngestService
from app.ingest.settings import (
    call_folder,
    ingest_target,
    input_sources,
    journal_path,
    own_broker,
    status_codes,
    uses_own_broker,
)
from app.ingest.target import MqttUrlError
from app.orders.desk import RadioDesk
from app.serving import service_user
from dispatch.errors import InvalidStatusCodeTable

logger = logging.getLogger(__name__)

group = click.Group("mqtt", help="The project's own MQTT broker (Mosquitto under instance/mqtt).")


def _broker() -> Broker:
    account = service_user.Account.named() if service_user.running_as_root() else None
    return own_broker(current_app, account)


@group.command("start")
@with_appcontext
def start() -> None:
    """Write the broker's files and start it (as the service account when root)."""
    broker = _broker()
    try:
        broker.start()
    except (BrokerError, service_user.ServiceUserError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"mqtt: {broker.status()}")


@group.command("stop")
@with_appcontext
def stop() -> None:
    """Stop the own broker (it saves the messages it queues first)."""
    broker = own_broker(current_app)
    click.echo("mqtt: stopped" if broker.stop() else "mqtt: was not running")


@group.command("status")
@with_appcontext
def status() -> None:
    """Whether the own broker runs, where, and for how many terminals."""
    click.echo(f"mqtt: {own_broker(current_app).status()}")


@group.command("terminal")
@click.argument("radio_id")
@click.option("--remove", is_flag=True, help="Take the terminal's credentials away.")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def terminal(radio_id: str, remove: bool, reason: str | None) -> None:
    """Credentials for the terminal of RADIO_ID: it may publish only under
    gridpatrol/units/RADIO_ID/ and read its orders. Prints where its password file is."""
    broker = _broker()
    try:
        if remove:
            done = broker.remove_terminal(radio_id)
        else:
            path = broker.add_terminal(radio_id)
    except (ClientSecretError, BrokerError) as exc:
        raise click.ClickException(str(exc)) from None
    session = get_session()
    audit.record(session, "mqtt.terminal_remove" if remove else "mqtt.terminal_add",
                 object_type="radio", object_id=radio_id, reason=reason)
    session.commit()
    if remove:
        click.echo(f"terminal {radio_id}: " + ("credentials removed" if done else "had none"))
        return
    click.echo(f"terminal {radio_id}: user radio-{radio_id}, password in {path} (give it to "
               f"the terminal; it publishes gridpatrol/units/{radio_id}/…)")


@group.command("terminals")
@with_appcontext
def terminals() -> None:
    """The radio ids that have terminal credentials."""
    for radio_id in own_broker(current_app).terminals():
        click.echo(radio_id)


@click.command("ingest")
@click.option("--no-broker", is_flag=True,
              help="Do not start the own broker (`gridpatrol serve` runs it).")
@with_appcontext
def ingest(no_broker: bool = False) -> None:
    """Take radio and terminal messages from MQTT (the own broker, started if needed, or
    GRIDPATROL_MQTT_URL), journal them and apply them to the database; send the orders
    and raise the console alarms (the radio desk); until stopped."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s [ingest] %(levelname)s %(name)s: %(message)s")
    try:
        codes = status_codes(app)
        account = None
        if service_user.running_as_root():
            from app.cli.serve import prepare_service_account

            account = prepare_service_account()
        if uses_own_broker(app) and not no_broker:
            broker = own_broker(app, account)
            broker.start()
            if account is not None:
                broker.secrets.share(INGEST_CLIENT, account.uid, account.gid)
                broker.secrets.share(APP_CLIENT, account.uid, account.gid)
        target = ingest_target(app)
        sources = input_sources(app)
        desk = RadioDesk(app)
        journal = journal_path(app)
        journal.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = call_folder(app)
        if folder is not None:  # the service account keeps the calls; the group may drop
            for place in (folder.archive, folder.inbox):
                place.mkdir(mode=0o770, parents=True, exist_ok=True)
        if account is not None:
            for item in [journal.parent, *journal.parent.iterdir()]:
                os.chown(item, account.uid, account.gid)
            if folder is not None:
                for place in (folder.archive, folder.inbox):
                    os.chown(place, account.uid, account.gid)
    except (InvalidStatusCodeTable, OSError, ValueError, BrokerError, MqttUrlError,
            ClientSecretError, service_user.ServiceUserError) as exc:
        raise click.ClickException(str(exc)) from None
    engine(app).dispose()
    if account is not None:
        os.environ["HOME"] = str(Path(app.instance_path) / "run")
        account.become()
        click.echo(f"started as root: ingest runs as the system user {account.name}")
    service = IngestService(app, target=target, journal_path=journal,
                            applier=Applier(codes, trunk_prefixes=app.config[
                                "TRUNK_RECORDER_TOPICS"]),
                            backlog_limit=app.config["INGEST_BACKLOG"],
                            sources=sources)
    click.echo(f"ingest: reading {target.safe()}"
               + "".join(f", {s.name}" for s in service.sources)
               + f", journal {journal}; radio desk sending through {desk.gateway!r}")
    asyncio.run(_serve(service, desk))


async def _serve(service: IngestService, desk: RadioDesk) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await asyncio.gather(service.run(stop), desk.run(stop))


@click.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--speed", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="1: as recorded; 10: ten times faster; 0: as fast as the broker takes it.")
@click.option("--radio-id", default=None, help="The radio an NMEA log reports for.")
@click.option("--keep-times", is_flag=True,
              help="NMEA: keep the log's own times (default: re-dated to now, so the unit "
                   "moves now).")
@click.option("--url", default=None,
              help="mqtt(s):// URL to publish to (default: the own broker as "
                   "gridpatrol-replay).")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@with_appcontext
def replay_command(file: Path, speed: float, radio_id: str | None, keep_times: bool,
                   url: str | None, reason: str | None) -> None:
    """Send a recorded NMEA log, trunk-recorder call JSON or MQTT capture through MQTT,
    at its own pace (--speed), as if it happened now."""
    from datetime import UTC, datetime

    from app.ingest.broker import REPLAY_CLIENT
    from app.ingest.replay import ReplayError, ReplayPublisher, replay
    from app.ingest.target import parse_mqtt_url
    from dispatch.replay import ReplayFormatError, detect_kind, items_for
    from dispatch.terminals import valid_radio_id

    if radio_id is not None and not valid_radio_id(radio_id):
        raise click.BadParameter("1 to 32 letters, digits, -, _ or .", param_hint="--radio-id")
    app = current_app
    text = file.read_text(encoding="utf-8", errors="replace")
    try:
        kind = detect_kind(text)
        items = items_for(text, kind=kind, radio_id=radio_id,
                          retime_from=None if keep_times else datetime.now(UTC),
                          speed=speed,
                          trunk_prefix=app.config["TRUNK_RECORDER_TOPICS"][0])
        target = parse_mqtt_url(url or own_broker(app).url(REPLAY_CLIENT))
    except (ReplayFormatError, MqttUrlError, ValueError) as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    if not url and uses_own_broker(app):
        broker = _broker()  # the replay client's secret and ACL (made once), files handed
        broker.write_files()  # to the service account when root
        broker.reload()
    span = items[-1].offset_s / speed if items and speed else 0.0
    click.echo(f"replay: {len(items)} messages of {kind} from {file.name} to {target.safe()}"
               + (f", about {span:.0f} s" if speed else ", as fast as possible"))
    try:
        publisher = ReplayPublisher(target)
    except (ReplayError, MqttUrlError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        counts = replay(items, publisher.publish, speed=speed)
    finally:
        publisher.close()
    session = get_session()
    audit.record(session, "ingest.replay", object_type="file", object_id=file.name,
                 reason=reason, details={"kind": kind, "radio_id": radio_id,
                                         "speed": speed, **dict(counts)})
    session.commit()
    click.echo(f"replay: {counts['published']} published, {counts['refused']} refused by "
               "the broker")
    if counts["refused"]:
        raise SystemExit(3)
