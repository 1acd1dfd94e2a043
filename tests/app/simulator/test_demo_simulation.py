"""The demo simulator on the demo itself (Helsinki, its plans): `demo load`, the demo
terminals' credentials on the own broker (a real Mosquitto in a folder of the test's), and
the simulated unit comes on duty and drives along its planned patrol route, reporting as
its terminal over MQTT."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import shapely
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from paho.mqtt.enums import CallbackAPIVersion

from app.cli.demo import ensure_demo_terminals
from app.db import get_session
from app.ingest.broker import INGEST_CLIENT
from app.ingest.settings import own_broker
from app.serving.service_user import Account, running_as_root
from app.simulator.repository import patrol_route
from app.simulator.runner import Simulator
from gis.moving import haversine_m
from tests.app.ingest.support import free_port, wait_for


def test_a_demo_unit_comes_on_duty_and_drives_its_planned_route(
        runner: FlaskCliRunner, app: Flask, connection: sa.Connection) -> None:
    instance = Path(tempfile.mkdtemp(prefix="gridpatrol-sim-test-"))
    os.chmod(instance, 0o711)  # noqa: S103 (the service account runs the broker when root)
    app.instance_path = str(instance)
    app.config["MQTT_PORT"] = free_port()
    heard: list[tuple[str, dict[str, Any]]] = []
    stop = threading.Event()
    broker = own_broker(app, Account.named() if running_as_root() else None)
    try:
        loaded = runner.invoke(args=["demo", "load"])
        assert loaded.exit_code == 0, loaded.output
        with app.app_context():
            assert ensure_demo_terminals() == ["D-11", "D-12", "D-13", "D-21", "D-31"]
            unit_id = get_session().execute(sa.text(
                "SELECT id FROM units WHERE callsign = 'D-11'")).scalar_one()
            route = patrol_route(get_session(), unit_id, datetime.now(UTC))
        assert route is not None, "the demo plans give D-11 a route"
        broker.start()
        listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-listener",
                               protocol=mqtt.MQTTv5)
        listener.username_pw_set(INGEST_CLIENT, broker.secrets.secret(INGEST_CLIENT))
        listener.on_message = lambda _c, _u, m: heard.append(
            (m.topic.rsplit("/", 1)[1], json.loads(m.payload)))
        listener.connect("127.0.0.1", broker.port)
        listener.subscribe("gridpatrol/units/9110/#", qos=1)
        listener.loop_start()
        simulator = Simulator(app, broker, interval_s=0.5, callsigns=["D-11"])
        driving = threading.Thread(target=simulator.run, args=(stop,), daemon=True)
        driving.start()
        wait_for(lambda: sum(kind == "position" for kind, _ in heard) >= 12,
                 what="a dozen positions", timeout_s=60)
        stop.set()
        driving.join(30)
        listener.loop_stop()
        listener.disconnect()
    finally:
        stop.set()
        broker.stop()  # also when the test fails: no broker left behind
        shutil.rmtree(instance, ignore_errors=True)
    assert heard[0] == ("status", {"status": "10-8", "at": heard[0][1]["at"]})  # on duty
    positions = [body for kind, body in heard if kind == "position"]
    points = [(p["lon"], p["lat"]) for p in positions]
    travelled = sum(float(haversine_m(*a, *b)) for a, b in zip(points, points[1:], strict=False))
    assert travelled > 40  # 8 m/s for about 6 s
    near = [float(haversine_m(x, y, *_nearest(route, x, y))) for x, y in points]
    assert max(near) < 60, near  # on its planned route (or joining it from the station)
    assert all(0 <= p["course_deg"] <= 360 and p["speed_mps"] in (0.0, 8.0) for p in positions)


def _nearest(line: Any, lon: float, lat: float) -> tuple[float, float]:
    point = line.interpolate(line.project(shapely.Point(lon, lat)))
    return point.x, point.y
