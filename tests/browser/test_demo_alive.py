"""The demo is alive, in chromium: simulated terminals drive units over a real Mosquitto
through the real ingest path, so the console shows them moving; a red alert finds them
ranked; dispatching one shows its order reach "acknowledged" (the simulated unit
answers) and the unit drive off towards the alert.

The pieces `make demo` runs as processes beside the server (the broker, `gridpatrol
ingest` with its radio desk, `gridpatrol demo simulate`) run here against the browser
tests' live server: the broker as a process, the others in threads of the test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.db import get_session
from app.db.geometry import to_ewkb
from app.ingest.broker import APP_CLIENT
from app.models import Station, Unit
from app.simulator.runner import Simulator
from tests.app.ingest.support import DeskThread, ServiceThread, running_broker
from tests.browser.support import wait_for
from tests.browser.test_dispatch_console import click_map_at
from tests.browser.test_map_console import open_console

PLACE = (-0.0935, 51.5128)  # lon, lat: Cannon Street, in the London extract
HOME = (-0.0975, 51.5135)  # the demo station, 300 m west
CALLSIGNS = ("SIM-1", "SIM-2", "SIM-3")


@pytest.fixture(scope="module")
def alive(live_server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Any]]:
    """Three out-of-service units with terminals at a station; broker, ingest, radio desk
    and the simulator running."""
    app = live_server["app"]
    with running_broker() as broker:
        ids = {}
        with app.app_context():
            session = get_session()
            station = Station(name="Simulated station", geom=to_ewkb(shapely.Point(*HOME)))
            session.add(station)
            session.flush()
            for number, callsign in enumerate(CALLSIGNS):
                unit = Unit(callsign=callsign, kind="patrol_car", status="out_of_service",
                            radio_ids=[f"77{number}"], station_id=station.id)
                session.add(unit)
                session.flush()
                ids[callsign] = unit.id
                broker.add_terminal(f"77{number}")
            session.commit()
        before = app.config.get("RADIO_GATEWAY")
        app.config["RADIO_GATEWAY"] = broker.url(APP_CLIENT)  # orders go out over MQTT
        stop = threading.Event()
        simulator = Simulator(app, broker, interval_s=1.0, callsigns=list(CALLSIGNS))
        driving = threading.Thread(target=simulator.run, args=(stop,), daemon=True)
        journal = tmp_path_factory.mktemp("journal") / "journal.sqlite"
        try:
            with ServiceThread(app, broker, journal), DeskThread(app, broker):
                driving.start()
                yield {"units": ids}
        finally:
            stop.set()
            driving.join(30)
            app.config["RADIO_GATEWAY"] = before
            with app.app_context():  # the other browser tests know nothing of these units
                session = get_session()
                session.execute(sa.update(Unit).where(Unit.id.in_(ids.values()))
                                .values(active=False))
                session.commit()
    assert not driving.is_alive(), "the simulator did not stop"


def test_units_move_a_red_alert_finds_them_and_the_order_is_acknowledged(
        page: Page, live_server: dict[str, Any], alive: dict[str, Any],
        artifacts: Path) -> None:
    open_console(page, live_server, "demo-dispatcher")
    wait_for(page, "gridpatrol.dispatchReady === true && gridpatrol.live === true")
    page.evaluate(f"gridpatrol.map.setView([{PLACE[1]}, {PLACE[0]}], 16, "
                  "{animate: false}) && null")
    first = alive["units"][CALLSIGNS[0]]
    # on duty (the terminal said 10-8) and placed: the console shows them as they report
    wait_for(page, f"gridpatrol.dispatch.units[{first}] && gridpatrol.dispatch.units"
                   f"[{first}].data.status === 'available' && gridpatrol.dispatch.units"
                   f"[{first}].data.lon !== null", timeout_s=60)
    start = page.evaluate(f"[gridpatrol.dispatch.units[{first}].data.lon, "
                          f"gridpatrol.dispatch.units[{first}].data.lat]")
    wait_for(page, f"(() => {{ const d = gridpatrol.dispatch.units[{first}].data; return "
                   f"d.lon !== {start[0]} || d.lat !== {start[1]}; }})()", timeout_s=60)
    page.screenshot(path=str(artifacts / "demo-alive-moving.png"))

    page.keyboard.press("a")
    click_map_at(page, *PLACE)
    form = page.locator(".gp-alert-form")
    form.locator("input[name=kind]").fill("robbery")
    form.locator("button").click()
    ranked = page.locator("#gp-units li.gp-rec-unit")
    expect(ranked.first).to_be_visible()
    names = ranked.locator("strong").all_inner_texts()
    assert set(names) >= set(CALLSIGNS), names  # the simulated units are ranked
    chosen = names[0]
    ranked.first.locator("button.gp-dispatch").click()

    order = page.locator("#gp-orders li.gp-order").first
    expect(order).to_contain_text(chosen)
    # queued → sent (the broker's PUBACK) → delivered (the terminal's receipt) →
    # acknowledged (the simulated officer, three seconds later)
    expect(order).to_have_attribute("data-delivery", "acknowledged", timeout=30_000)
    expect(order.locator(".gp-delivery")).to_have_text("Acknowledged")
    unit_id = alive["units"][chosen]
    wait_for(page, f"gridpatrol.dispatch.units[{unit_id}].data.status === 'en_route'")
    expect(page.locator("#gp-timeline")).to_contain_text("acknowledged")
    page.screenshot(path=str(artifacts / "demo-alive-acknowledged.png"))
