"""NMEA 0183 over real sockets, as AVL boxes send it: a TCP stream and UDP datagrams of
the shared receiver logs reach the ingest service, each receiver epoch becomes one
position of the unit holding the box's radio (named by @id, or by address), and a box
nobody mapped is listed among the unknown radios."""

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
from app.models import UnitPosition
from dispatch.nmea_epochs import read_log
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import ServiceThread, free_port, wait_for
from tests.conftest import SHARED_DATA

LOGS = SHARED_DATA / "radio" / "nmea"


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
