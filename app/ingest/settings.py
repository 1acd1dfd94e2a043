"""The ingest service's settings, assembled from the app's configuration: the broker to
read (``GRIDPATROL_MQTT_URL`` or the own one), the journal, the status code table."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from app.dispatch.calls import call_archive, call_inbox
from app.ingest.broker import INGEST_CLIENT, Broker
from app.ingest.sources import Source
from app.ingest.sources.calls import CallFolderSource
from app.ingest.sources.gpsd import GpsdSource
from app.ingest.sources.nmea import NmeaTcpSource, NmeaUdpSource
from app.ingest.tak import TakLink
from app.ingest.target import MqttTarget, parse_mqtt_url
from app.serving.service_user import Account
from dispatch.status_codes import StatusCodeTable

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CODES = ROOT / "data" / "radio_status_codes.json"


def own_broker(app: Flask, account: Account | None = None) -> Broker:
    """The project's own broker of this instance folder."""
    return Broker.for_instance(Path(app.instance_path), port=app.config["MQTT_PORT"],
                               bind=app.config["MQTT_BIND"], account=account,
                               trunk_prefixes=tuple(app.config["TRUNK_RECORDER_TOPICS"]))


def uses_own_broker(app: Flask) -> bool:
    return not app.config.get("MQTT_URL")


def ingest_target(app: Flask) -> MqttTarget:
    """Where ingest connects: ``MQTT_URL``, else the own broker as ``gridpatrol-ingest``."""
    url = app.config.get("MQTT_URL") or own_broker(app).url(INGEST_CLIENT)
    return parse_mqtt_url(url)


def journal_path(app: Flask) -> Path:
    configured = app.config.get("INGEST_JOURNAL")
    return Path(configured) if configured else Path(app.instance_path) / "ingest" / \
        "journal.sqlite"


def status_codes(app: Flask) -> StatusCodeTable:
    """The defaults, overridden entry by entry by ``STATUS_CODES`` when given."""
    table = StatusCodeTable.from_json(json.loads(DEFAULT_CODES.read_text(encoding="utf-8")),
                                      name="defaults")
    extra = app.config.get("STATUS_CODES")
    if extra:
        table = table.overridden_by(StatusCodeTable.from_json(
            json.loads(Path(extra).read_text(encoding="utf-8")), name=Path(extra).stem))
    return table


def gpsd_sources(app: Flask) -> list[GpsdSource]:
    """A source per configured gpsd daemon (``GPSD``, ``GPSD_DEVICES``, ``GPSD_TIME``)."""
    endpoints = app.config.get("GPSD") or ()
    daemons = {_name(host, port): radio for host, port, radio in endpoints if radio}
    return [GpsdSource(host, port, devices=dict(app.config.get("GPSD_DEVICES") or {}),
                       daemons=daemons, time_source=app.config.get("GPSD_TIME") or "receiver")
            for host, port, _ in endpoints]


def _name(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def call_folder(app: Flask) -> CallFolderSource | None:
    """The trunk-recorder call folder source (``CALL_FOLDER``, ``CALL_ARCHIVE``)."""
    inbox = call_inbox(app)
    return None if inbox is None else CallFolderSource(inbox, call_archive(app))


def tak_link(app: Flask) -> TakLink | None:
    """TAK clients and servers (``TAK_TCP``, ``TAK_UDP``, ``TAK_TARGETS``); None when none
    is configured. The stale time must exceed the interval (or clients blink)."""
    tcp, udp, targets = (tuple(app.config.get(k) or ()) for k in
                         ("TAK_TCP", "TAK_UDP", "TAK_TARGETS"))
    if not (tcp or udp or targets):
        return None
    interval, stale = app.config["TAK_INTERVAL_S"], app.config["TAK_STALE_S"]
    if stale <= interval:
        raise ValueError(f"GRIDPATROL_TAK_STALE_S ({stale:g}) must be more than "
                         f"GRIDPATROL_TAK_INTERVAL_S ({interval:g})")
    return TakLink(app, tcp=tcp, udp=udp, targets=targets, interval_s=interval,
                   stale_s=stale)


def input_sources(app: Flask) -> list[Source]:
    """Every input besides MQTT: gpsd daemons, NMEA over UDP and TCP, the call folder,
    TAK."""
    mapping = dict(app.config.get("NMEA_SOURCES") or {})
    sources: list[Source] = list(gpsd_sources(app))
    folder = call_folder(app)
    if folder is not None:
        sources.append(folder)
    tak = tak_link(app)
    if tak is not None:
        sources.append(tak)
    sources += [NmeaUdpSource(host, port, sources=mapping)
                for host, port in app.config.get("NMEA_UDP") or ()]
    sources += [NmeaTcpSource(host, port, sources=mapping)
                for host, port in app.config.get("NMEA_TCP") or ()]
    return sources
