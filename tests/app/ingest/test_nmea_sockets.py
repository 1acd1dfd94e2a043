"""NMEA 0183 over real sockets, as AVL boxes send it: a TCP stream and UDP datagrams of
the shared receiver logs reach the ingest service, each receiver epoch becomes one
position of the unit holding the box's radio (named by @id, or by address), and a box
nobody mapped is listed among the unknown radios. The sentences without a position
(GSV, GSA, VTG, proprietary), from a listener or a terminal's ``…/nmea`` topic, are
counted apart as ``nmea_ignored``, never as rejected."""

from __future__ import annotations

import socket
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.ingest.broker import Broker
from app.ingest.repository import messages
from app.ingest.sources.nmea import NmeaTcpSource, NmeaUdpSource
from app.models import IngestStatus, PositionReject, RadioLogEntry, UnitPosition
from dispatch.nmea_epochs import read_log
from dispatch.nmea_streams import EpochSplitter
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import Publisher, ServiceThread, free_port, wait_for
from tests.conftest import SHARED_DATA

LOGS = SHARED_DATA / "radio" / "nmea"
POSITION_TYPES = ("GGA", "RMC", "GNS", "GLL")


def sentences(name: str) -> list[str]:
    return [ln for ln in (LOGS / name).read_text(errors="replace").splitlines()
            if ln.startswith("$")]


def track(app: Flask, unit_id: int) -> list[tuple[float, float]]:
    with app.app_context():
        rows = get_session().execute(
            sa.select(sa.func.ST_X(UnitPosition.geom), sa.func.ST_Y(UnitPosition.geom))
            .where(UnitPosition.unit_id == unit_id)
            .order_by(UnitPosition.at, UnitPosition.id)).all()
    return [(round(x, 6), round(y, 6)) for x, y in rows]


def logged(name: str) -> list[tuple[float, float]]:
    fixes = read_log(sentences(name), utc_date=date.today()).fixes
    return [(round(f.lon, 6), round(f.lat, 6)) for f in fixes]


def test_avl_boxes_over_tcp_and_udp_move_their_units(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    tcp_unit = units.add(radio_ids=("avl-ublox",))
    udp_unit = units.add(radio_ids=("4913",))
    tcp = NmeaTcpSource("127.0.0.1", free_port())
    udp = NmeaUdpSource("127.0.0.1", free_port(), sources={"127.0.0.1": "4913"})
    with ServiceThread(ingest_app, broker, journal, sources=[tcp, udp]):
        wait_for(lambda: tcp.connected and udp.connected, what="the listeners")
        with socket.create_connection(("127.0.0.1", tcp.port)) as box:
            box.sendall(b"@avl-ublox\r\n")
            for line in sentences("ublox-neo-m9n-nmea.log"):  # a line at a time, as sent
                box.sendall(line.encode() + b"\r\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagrams:
            for line in sentences("quectel-eg25-g.log"):
                datagrams.sendto(line.encode() + b"\r\n", ("127.0.0.1", udp.port))
                time.sleep(0.001)  # a receiver's pace, not a flood (UDP may drop)
        wait_for(lambda: len(track(ingest_app, tcp_unit)) >= 61, what="the TCP box's track")
        wait_for(lambda: len(track(ingest_app, udp_unit)) >= 23, what="the UDP box's track",
                 timeout_s=30)
    assert track(ingest_app, tcp_unit) == logged("ublox-neo-m9n-nmea.log")
    assert track(ingest_app, udp_unit) == logged("quectel-eg25-g.log")
    assert tcp.counters["nmea_epochs"] == 61 and tcp.counters["nmea_connections"] == 1
    assert udp.counters["nmea_datagrams"] == len(sentences("quectel-eg25-g.log"))


def test_a_box_nobody_mapped_is_listed_for_mapping(
        broker: Broker, ingest_app: Flask, journal: Path) -> None:
    udp = NmeaUdpSource("127.0.0.1", free_port())
    epoch = sentences("ublox-neo-m9n-nmea.log")[:20]  # its first epoch, with a fix
    with ServiceThread(ingest_app, broker, journal, sources=[udp]) as running:
        wait_for(lambda: udp.connected, what="the listener")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
            datagram.sendto(("@ublox-9\r\n" + "\r\n".join(epoch)).encode(),
                            ("127.0.0.1", udp.port))
        wait_for(lambda: running.service.counters["unmapped"] >= 1, what="the unmapped box")
    with ingest_app.app_context():
        unknown = messages.unknown_radios(get_session(), now=datetime.now(UTC), limit=50)
    assert "ublox-9" in {row[0] for row in unknown}


def without_position(lines: list[str]) -> int:
    """Sentences carrying no position, by their address alone: proprietary ``$P…`` and
    every type but GGA, RMC, GNS and GLL."""
    return sum(1 for ln in lines if ln[1] == "P" or ln[3:6] not in POSITION_TYPES)


def gives_a_fix(line: str) -> bool:
    """A position sentence whose receiver says it has a fix (GGA quality, RMC status,
    GNS mode)."""
    fields = line.split("*", 1)[0].split(",")
    kind = fields[0][3:6]
    return ((kind == "GGA" and fields[6] not in ("", "0")) or (kind == "RMC" and fields[2] == "A")
            or (kind == "GNS" and fields[6].strip("N") != ""))


def published(app: Flask) -> dict[str, object]:
    with app.app_context():
        return get_session().execute(sa.select(IngestStatus.counters).where(
            IngestStatus.name == "mqtt")).scalar() or {}


def epochs_of(lines: list[str]) -> list[list[str]]:
    splitter = EpochSplitter()
    cut = [epoch for line in lines for epoch in splitter.feed(line)]
    return cut + splitter.flush()


def test_sentences_without_a_position_are_ignored_apart_from_the_rejected(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    terminal_log, tcp_log = sentences("haicom-305N.log"), sentences("quectel-eg25-g.log")
    held = units.add(radio_ids=("4977",))
    units.add(radio_ids=("avl-quectel",))
    tcp = NmeaTcpSource("127.0.0.1", free_port())
    broker.add_terminal("4977")
    radio = Publisher(broker, "radio-4977")
    epochs = epochs_of(terminal_log)
    # an epoch none of whose position sentences has a fix is refused as a whole
    refused = sum(1 for log in (terminal_log, tcp_log) for epoch in epochs_of(log)
                  if not any(gives_a_fix(line) for line in epoch))
    # and a message of satellites only (a receiver searching): ignored as a whole
    satellites = [ln for ln in terminal_log if ln[3:6] == "GSV"][:3]
    expected = (without_position(terminal_log) + without_position(tcp_log)
                + without_position(satellites))
    assert refused > 0 and expected > 0
    with ServiceThread(ingest_app, broker, journal, sources=[tcp]) as running:
        wait_for(lambda: tcp.connected, what="the listener")
        for epoch in epochs:  # a terminal publishes its receiver's epochs as they come
            radio.publish("gridpatrol/units/4977/nmea", "\r\n".join(epoch) + "\r\n")
        radio.publish("gridpatrol/units/4977/nmea", "\r\n".join(satellites) + "\r\n")
        with socket.create_connection(("127.0.0.1", tcp.port)) as box:
            box.sendall(b"@avl-quectel\r\n")
            for line in tcp_log:
                box.sendall(line.encode() + b"\r\n")
        counters = running.service.counters
        wait_for(lambda: tcp.counters["nmea_epochs"] == len(epochs_of(tcp_log))
                 and counters["parsed"] + counters["rejected"]
                 == len(epochs) + 1 + tcp.counters["nmea_epochs"], what="every epoch read")
        assert counters["nmea_ignored"] == expected
        assert counters["rejected"] == refused
        assert set(running.service.rejected) <= {"nmea_no_fix", "nmea_void_status"}
        assert counters["ignored"] == 1  # the satellites; every epoch had a position
        # published with the other counters, as the status API and the page show them
        wait_for(lambda: published(ingest_app).get("nmea_ignored") == expected,
                 what="the published counters")
    radio.close()
    with ingest_app.app_context():
        kept = get_session().execute(sa.select(sa.func.count()).select_from(PositionReject)
                                     .where(PositionReject.radio_id.in_(
                                         ("4977", "avl-quectel")))).scalar_one()
    assert kept == refused  # one reject per refused epoch, none per ignored sentence
    with ingest_app.app_context():  # nor a line in the radio log
        assert get_session().execute(sa.select(RadioLogEntry).where(
            RadioLogEntry.unit_id == held)).first() is None
