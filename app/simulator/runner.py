"""``gridpatrol demo simulate``: the simulated units driven, each through an MQTT terminal
of its own (the radio's credentials on the own broker: it publishes only under its radio,
as a real terminal must), until stopped.

Every :data:`TICK_S` each unit moves on (:mod:`app.simulator.fleet`) and answers what came
on its order topic; every ``interval_s`` it reports its position. Paths come from the
road graph: the unit's planned patrol route for the time (joined from where it is), else
random streets; towards an alert, the fastest route.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion
from shapely.geometry import LineString, MultiLineString

from app.db import get_session
from app.geography.graph import ServedGraph, road_graph
from app.ingest.broker import Broker, terminal_client
from app.ingest.target import MqttTarget, parse_mqtt_url
from app.simulator import repository
from app.simulator.fleet import Outgoing, SimulatedUnit, Want
from dispatch.terminals import TOPIC_ROOT, orders_topic
from gis.errors import GraphError
from gis.moving import Path

logger = logging.getLogger(__name__)

TICK_S = 1.0
DUTY_CHECK_S = 10.0
ROUTE_REFRESH_S = 600.0
JOIN_M = 50.0  # farther than this from its route, a unit drives to it first
ROAM_DEG = 0.02  # a unit without a route roams this many degrees around (about 1–2 km)


class SimTerminal:
    """One unit's terminal: an MQTT 5 client as ``radio-<id>``, reading its orders."""

    def __init__(self, target: MqttTarget, radio_id: str) -> None:
        self.radio_id = radio_id
        self.inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.connected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=f"gridpatrol-sim-{radio_id}", protocol=mqtt.MQTTv5)
        client.username_pw_set(target.username, target.password_now())
        client.reconnect_delay_set(1, 10)

        def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                logger.error("terminal %s refused: %s", radio_id, reason)
                return
            c.subscribe(orders_topic(radio_id), qos=1)
            self.connected.set()

        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            try:
                data = json.loads(msg.payload)
            except ValueError:
                return
            if isinstance(data, dict):
                self.inbox.put(data)

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect_async(target.host, target.port, keepalive=30)
        client.loop_start()
        self.client = client

    def publish(self, out: Outgoing) -> None:
        self.client.publish(f"{TOPIC_ROOT}/{self.radio_id}/{out.kind}",
                            json.dumps(out.payload), qos=1)

    def received(self) -> list[dict[str, Any]]:
        got = []
        while not self.inbox.empty():
            got.append(self.inbox.get_nowait())
        return got

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Simulator:
    """The simulated fleet on one broker (see the module)."""

    def __init__(self, app: Flask, broker: Broker, *, interval_s: float = 5.0,
                 callsigns: list[str] | None = None, seed: int = 16) -> None:
        self.app = app
        self.broker = broker
        self.interval_s = interval_s
        self.callsigns = callsigns
        self.random = random.Random(seed)
        self.units: list[SimulatedUnit] = []
        self.terminals: dict[int, SimTerminal] = {}
        self.graph: ServedGraph | None = None
        self._routes: dict[int, tuple[float, Path | None]] = {}
        self._off_duty: set[int] = set()  # units not yet seen on duty

    # -- set-up ----------------------------------------------------------------------------
    def start(self) -> list[Outgoing]:
        """Load the units and connect their terminals; the first words (a unit out of
        service comes on duty: ``10-8``)."""
        with self.app.app_context():
            session = get_session()
            self.graph = road_graph(session)
            rows = repository.units_with_radios(session, self.callsigns)
        first: list[Outgoing] = []
        for row in rows:
            radio = next((r for r in row[4] if self.broker.secrets.path(
                terminal_client(r)).exists()), None)
            if radio is None:
                logger.warning("%s: no terminal credentials for its radios %s (gridpatrol "
                               "mqtt terminal RADIO_ID): not simulated", row[1], row[4])
                continue
            lon, lat = self._start_place(row)
            unit = SimulatedUnit(row[0], row[1], row[2], radio, lon, lat, home=(lon, lat))
            self.units.append(unit)
            self.terminals[unit.unit_id] = SimTerminal(
                parse_mqtt_url(self.broker.url(terminal_client(radio))), radio)
            if row[3] == "out_of_service":
                self._off_duty.add(unit.unit_id)
                first.append(self._on_duty(unit))
        logger.info("simulating %d units: %s", len(self.units),
                    ", ".join(u.callsign for u in self.units))
        return first

    def _on_duty(self, unit: SimulatedUnit) -> Outgoing:
        """The officer comes on duty: ``10-8`` (available)."""
        said = Outgoing("status", {"status": "10-8", "at": datetime.now(UTC).isoformat()})
        self.terminals[unit.unit_id].publish(said)
        return said

    def check_duty(self) -> int:
        """Say ``10-8`` again for units still shown out of service (a message sent before
        ingest first subscribed is lost with the broker), until each is seen on duty
        once; after that, a unit a dispatcher takes out of service stays out. Returns how
        many were told."""
        if not self._off_duty:
            return 0
        with self.app.app_context():
            now = repository.statuses(get_session(), sorted(self._off_duty))
        told = 0
        for unit in self.units:
            if unit.unit_id not in self._off_duty:
                continue
            if now.get(unit.unit_id, "out_of_service") != "out_of_service":
                self._off_duty.discard(unit.unit_id)
            else:
                self._on_duty(unit)
                told += 1
        return told

    def _start_place(self, row: Any) -> tuple[float, float]:
        if row[5] is not None:
            return float(row[5]), float(row[6])
        if row[7] is not None:
            return float(row[7]), float(row[8])
        return self._random_place()

    def _random_place(self, near: tuple[float, float] | None = None) -> tuple[float, float]:
        """The middle of a random road segment (within about :data:`ROAM_DEG` of
        ``near``: a unit roams its own neighbourhood)."""
        assert self.graph is not None  # noqa: S101 (loaded in start)
        edges = self.graph.edges
        if near is not None:
            around = edges.cx[near[0] - ROAM_DEG:near[0] + ROAM_DEG,
                              near[1] - ROAM_DEG / 2:near[1] + ROAM_DEG / 2]
            edges = around if len(around) else edges
        line = edges.geometry.iloc[self.random.randrange(len(edges))]
        point = line.interpolate(0.5, normalized=True)
        return float(point.x), float(point.y)

    # -- paths -----------------------------------------------------------------------------
    def _route(self, start: tuple[float, float], end: tuple[float, float]) -> Path:
        assert self.graph is not None  # noqa: S101
        try:
            route = self.graph.graph.route_between_points(*start, *end, max_snap_m=2000)
            return Path.from_line(route.geometry)
        except (GraphError, ValueError):
            return Path.from_coords([start, end])  # off the network: straight there

    def _patrol_route(self, unit: SimulatedUnit) -> Path | None:
        fetched, path = self._routes.get(unit.unit_id, (-1e9, None))
        if time.monotonic() - fetched > ROUTE_REFRESH_S:
            with self.app.app_context():
                geometry = repository.patrol_route(get_session(), unit.unit_id,
                                                   datetime.now(UTC))
            path = (Path.from_line(geometry)
                    if isinstance(geometry, LineString | MultiLineString) else None)
            self._routes[unit.unit_id] = (time.monotonic(), path)
        return path

    def give_path(self, unit: SimulatedUnit, want: Want) -> None:
        here = (unit.lon, unit.lat)
        if want.purpose == "respond" and want.target is not None:
            unit.follow(self._route(here, want.target))
            return
        planned = self._patrol_route(unit)
        if planned is None or planned.length_m == 0:
            unit.follow(self._route(here, self._random_place(near=unit.home)))
            return
        along, away = planned.nearest_vertex(*here)
        rest = planned.after(along)
        if rest.length_m < JOIN_M:
            rest = planned  # round again from the start
            away = float(Path.from_coords([here, planned.start]).length_m)
        if away > JOIN_M:
            unit.follow(self._route(here, rest.start), rest)
        else:
            unit.follow(rest)

    # -- running ---------------------------------------------------------------------------
    def tick(self, dt_s: float, *, report: bool) -> int:
        """One step of every unit; returns the messages published."""
        now = datetime.now(UTC)
        sent = 0
        for unit in self.units:
            terminal = self.terminals[unit.unit_id]
            said: list[Outgoing] = []
            for message in terminal.received():
                said += unit.on_message(message, now)
            want = unit.wants
            if want is not None:
                self.give_path(unit, want)
            said += unit.advance(dt_s, now)
            if report:
                said.append(unit.position(now))
            for out in said:
                terminal.publish(out)
            sent += len(said)
        return sent

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set."""
        self.start()
        last_report = 0.0
        last = last_duty = time.monotonic()
        try:
            while not stop.wait(TICK_S):
                now = time.monotonic()
                report = now - last_report >= self.interval_s
                if report:
                    last_report = now
                try:
                    self.tick(now - last, report=report)
                    if now - last_duty >= DUTY_CHECK_S:
                        last_duty = now
                        self.check_duty()
                except Exception:  # noqa: BLE001 (a bad step must not end the demo)
                    logger.exception("a simulation step failed")
                last = now
        finally:
            for terminal in self.terminals.values():
                terminal.close()
