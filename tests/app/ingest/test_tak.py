"""TAK interop over real sockets on loopback: a TCP client reads gridpatrol's CoT stream
(units and open alerts, typed, with stale times; plainclothes units and covert alerts
kept off it; changes sent at once, closures as delete events), a UDP target gets the
same, and TAK users' positions sent in over TCP and UDP move the units their uid or
callsign is mapped to, through the journal; an unknown TAK user is listed for mapping,
and bad XML is kept with its reason."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import shapely
import sqlalchemy as sa
from defusedxml.ElementTree import fromstring
from flask import Flask

from app.db import get_session
from app.db.geometry import to_ewkb
from app.dispatch.units import PositionIn, change_status, record_positions
from app.ingest import radios
from app.ingest.broker import Broker
from app.ingest.repository import messages
from app.ingest.tak import TakLink
from app.models import Alert, IngestMessage, Unit
from dispatch.cot_in import CotStream
from dispatch.status import UnitStatus
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import ServiceThread, free_port, wait_for
from tests.dispatch.test_cot import BILLION_LAUGHS, atak_report

HERE = (-0.0935, 51.5155)


class CotReader:
    """A TAK client's TCP connection: reads gridpatrol's stream, sends its own events."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=0.2)
        self.stream = CotStream()
        self.events: list[Element] = []

    def read(self) -> None:
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return
        for raw in self.stream.feed(data):
            self.events.append(fromstring(raw))

    def wait(self, found: Callable[[list[Element]], Any], what: str) -> Any:
        def check() -> Any:
            self.read()
            return found(self.events)
        return wait_for(check, what=what, timeout_s=30)

    def close(self) -> None:
        self.sock.close()


def of(uid: str) -> Callable[[list[Element]], Element | None]:
    return lambda events: next((e for e in reversed(events) if e.get("uid") == uid), None)


def deleting(uid: str) -> Callable[[list[Element]], Element | None]:
    return lambda events: next((e for e in events if e.get("type") == "t-x-d-d"
                                and e.find("detail/link").get("uid") == uid), None)


def placed_unit(app: Flask, units: Units, *, kind: str = "patrol_car",
                radio_ids: tuple[str, ...] = ()) -> int:
    unit_id = units.add(radio_ids=radio_ids)
    with app.app_context():
        session = get_session()
        unit = session.get(Unit, unit_id)
        unit.kind = kind
        record_positions(session, unit, [PositionIn(*HERE, datetime.now(UTC), 7.5, 90.0)],
                         source="test")
        session.commit()
    return unit_id


def an_alert(app: Flask, *, covert: bool = False) -> int:
    with app.app_context():
        session = get_session()
        alert = Alert(level="red", kind="robbery", source="test", raised_by="test",
                      covert=covert, description="two suspects <on foot>",
                      geom=to_ewkb(shapely.Point(-0.09, 51.51)))
        session.add(alert)
        session.commit()
        return alert.id


def unit_at(app: Flask, unit_id: int) -> tuple[float, float] | None:
    with app.app_context():
        row = get_session().execute(sa.select(sa.func.ST_X(Unit.geom), sa.func.ST_Y(
            Unit.geom)).where(Unit.id == unit_id)).one()
    return None if row[0] is None else (round(row[0], 6), round(row[1], 6))


def test_units_and_alerts_go_out_to_tak_clients_and_changes_at_once(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    patrol = placed_unit(ingest_app, units)
    covert_unit = placed_unit(ingest_app, units, kind="plainclothes")
    alert = an_alert(ingest_app)
    hidden = an_alert(ingest_app, covert=True)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    link = TakLink(ingest_app, tcp=(("127.0.0.1", 0),),
                   targets=(("udp", "127.0.0.1", receiver.getsockname()[1]),),
                   interval_s=30.0, stale_s=90.0)  # changes must come by themselves
    with ServiceThread(ingest_app, broker, journal, sources=[link]):
        wait_for(lambda: link.connected, what="the TAK link")
        client = CotReader(link.ports[0])
        try:
            unit_cot = client.wait(of(f"gridpatrol.unit.{patrol}"), "the unit's event")
            alert_cot = client.wait(of(f"gridpatrol.alert.{alert}"), "the alert's event")
            assert unit_cot.get("type") == "a-f-G-U-U-L-C" and unit_cot.get("how") == "m-g"
            made = datetime.fromisoformat(unit_cot.get("time").replace("Z", "+00:00"))
            stale = datetime.fromisoformat(unit_cot.get("stale").replace("Z", "+00:00"))
            assert stale - made == timedelta(seconds=90)
            point = unit_cot.find("point")
            assert (float(point.get("lon")), float(point.get("lat"))) == HERE
            assert point.get("ce") == "9999999.0"
            assert unit_cot.find("detail/contact").get("callsign").startswith("T-")
            assert unit_cot.find("detail/track").get("speed") == "7.5"
            assert alert_cot.get("type") == "a-h-G" and alert_cot.get("how") == "h-e"
            assert alert_cot.find("detail/remarks").text == "two suspects <on foot>"
            uids = {e.get("uid") for e in client.events}
            assert f"gridpatrol.unit.{covert_unit}" not in uids
            assert f"gridpatrol.alert.{hidden}" not in uids
            datagrams = []
            while len(datagrams) < 2:
                datagrams.append(fromstring(receiver.recv(65536)).get("uid"))
            assert set(datagrams) <= uids
            with ingest_app.app_context():  # changes: out of service, alert closed
                session = get_session()
                change_status(session, session.get(Unit, patrol), UnitStatus.OUT_OF_SERVICE,
                              actor="test", source="test")
                session.get(Alert, alert).status = "closed"
                session.commit()
            client.wait(deleting(f"gridpatrol.unit.{patrol}"), "the unit taken off")
            gone = client.wait(deleting(f"gridpatrol.alert.{alert}"), "the alert taken off")
            assert gone.find("detail/link").get("type") == "a-h-G"
            assert gone.find("detail/__forcedelete") is not None
        finally:
            client.close()
            receiver.close()


def test_tak_users_positions_move_their_units_through_the_journal(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path) -> None:
    by_uid = units.add(radio_ids=("tak-ANDROID-1234abcd",))
    by_callsign = units.add()
    with ingest_app.app_context():
        session = get_session()
        radios.assign(session, radio_id="tak-callsign-BRAVO_2", unit_id=by_callsign,
                      valid_from=datetime.now(UTC) - timedelta(hours=1), valid_until=None,
                      alias="whoever is Bravo 2", note=None, actor="test")
        session.commit()
    udp_port = free_port()
    link = TakLink(ingest_app, tcp=(("127.0.0.1", 0),), udp=(("127.0.0.1", udp_port),),
                   interval_s=30.0, stale_s=90.0)
    now = datetime.now(UTC)
    with ServiceThread(ingest_app, broker, journal, sources=[link]) as running:
        wait_for(lambda: link.connected, what="the TAK link")
        client = CotReader(link.ports[0])
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # over TCP, in pieces, as a stream
            report = atak_report(uid="ANDROID-1234abcd", at=now, lat="51.5161", lon="-0.0921")
            for i in range(0, len(report), 50):
                client.sock.sendall(report[i:i + 50])
            for datagram in (
                    atak_report(uid="S-9", at=now, lat="51.5140", lon="-0.0990"),
                    atak_report(uid="ANDROID-ffff", at=now, lat="51.51", lon="-0.1",
                                detail='<detail><contact callsign="Zulu"/></detail>'),
                    atak_report(uid="chat-1", kind="b-t-f", how="h-g-i-g-o"),
                    atak_report(uid="gridpatrol.unit.1", at=now),
                    BILLION_LAUGHS):
                sender.sendto(datagram, ("127.0.0.1", udp_port))
            wait_for(lambda: unit_at(ingest_app, by_uid) == (-0.0921, 51.5161),
                     what="the unit of the uid moved")
            wait_for(lambda: unit_at(ingest_app, by_callsign) == (-0.099, 51.514),
                     what="the unit of the callsign moved")
            wait_for(lambda: running.service.counters["unmapped"] >= 1
                     and running.service.counters["rejected"] >= 1, what="the others")
        finally:
            client.close()
            sender.close()
    assert link.counters["tak_not_positions"] == 1 and link.counters["tak_own_echoes"] == 1
    with ingest_app.app_context():
        session = get_session()
        unknown = {r[0]: r[1] for r in messages.unknown_radios(
            session, now=datetime.now(UTC), limit=50)}
        refused = session.execute(sa.select(IngestMessage).where(
            IngestMessage.source == "tak", IngestMessage.outcome == "rejected")).scalars().all()
    assert unknown.get("tak-ANDROID-ffff") == "Zulu (ANDROID-ffff)"
    assert [r.reason.split(":")[0] for r in refused] == ["not_xml"]
    # the cutter keeps an event from its <event tag: a DTD before it never reaches the
    # parser, and the entity it declared is refused as undefined
    assert refused[0].kind == "cot" and refused[0].payload.startswith("<event")
    assert "&lol2;" in refused[0].payload
