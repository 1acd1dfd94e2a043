"""The processes `gridpatrol serve` keeps beside the servers: which ones the configuration
asks for, a child that ends is started again, and — for real, against a Mosquitto of the
test's own — the served `gridpatrol ingest` moves a unit, comes back after being killed,
runs as the service account when started as root and ends with the server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from app.ingest.broker import APP_CLIENT, INGEST_CLIENT, Broker
from app.serving.children import Child, ChildSpec, children_for, default_children
from app.serving.service_user import Account, running_as_root
from tests.app.ingest.support import Publisher, running_broker, wait_for
from tests.conftest import scratch_database
from tests.served import served


def test_the_configuration_picks_the_children() -> None:
    own: dict[str, object] = {"SERVE_INGEST": True, "MQTT_URL": None}
    assert default_children(own, simulate=False) == ("mqtt", "ingest")
    assert default_children(own, simulate=True) == ("mqtt", "ingest", "simulator")
    assert default_children(own | {"MQTT_URL": "mqtt://x@h"}, simulate=False) == ("ingest",)
    assert default_children(own | {"SERVE_INGEST": False}, simulate=True) == ()
    specs = children_for(("mqtt", "ingest"), config=own, instance=Path("/srv/gp/instance"))
    assert specs[0].argv[1:] == ("-c", "/srv/gp/instance/mqtt/mosquitto.conf")
    assert specs[0].argv[0].endswith("mosquitto")
    assert specs[1].argv[-3:] == ("app.cli", "ingest", "--no-broker")  # serve runs the broker
    alone = children_for(("ingest",), config=own, instance=Path("/i"))
    assert alone[0].argv[-2:] == ("app.cli", "ingest")
    with pytest.raises(ValueError, match="unknown children: web"):
        children_for(("web",), config=own, instance=Path("/i"))


def test_a_child_that_ends_is_started_again_and_stopped_for_good() -> None:
    async def scenario() -> tuple[int, int, bool]:
        child = Child(ChildSpec("napper", (sys.executable, "-c",
                                          "import time; time.sleep(0.2)")),
                      env=dict(os.environ), spawn={})
        await child.start()
        deadline = time.monotonic() + 20
        while child.starts < 2 and time.monotonic() < deadline:  # ended, waited 1 s, again
            await asyncio.sleep(0.1)
        restarted = child.starts
        child.hold()  # the server stops: a child ending now stays ended
        await asyncio.sleep(2.5)
        held = child.starts
        await child.stop()
        assert child.process is not None
        return restarted, held, child.process.returncode is not None

    restarted, held, ended = asyncio.run(scenario())
    assert restarted >= 2 and ended
    assert held == restarted


@pytest.fixture
def own_folder() -> Iterator[Path]:
    """A folder the service account may use (the journal's), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="gridpatrol-children-"))
    if running_as_root():
        account = Account.named()
        os.chown(folder, account.uid, account.gid)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _child_pids(front: int, word: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == front and word.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])
    raise AssertionError("no Uid line")


def test_serve_runs_ingest_beside_the_servers_and_restarts_it(
        own_folder: Path, tmp_path: Path) -> None:
    with running_broker() as broker, scratch_database("children") as database:
        if running_as_root():
            account = Account.named()
            for client in (INGEST_CLIENT, APP_CLIENT):
                broker.secrets.share(client, account.uid, account.gid)
        plain = database.app_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as conn:
            unit_id = conn.execute("INSERT INTO units (callsign, kind, status, radio_ids) "
                                   "VALUES ('C-1', 'foot', 'available', ARRAY['8801']) "
                                   "RETURNING id").fetchone()[0]
        env = {"GRIDPATROL_MQTT_URL": broker.url(INGEST_CLIENT),
               "GRIDPATROL_RADIO_GATEWAY": broker.url(APP_CLIENT),
               "GRIDPATROL_INGEST_JOURNAL": str(own_folder / "journal.sqlite"),
               "GRIDPATROL_SERVE_INGEST": "true"}
        with served(database.app_url, tmp_path / "serve.log", env=env) as server:
            front = server.process.pid
            (ingest,) = wait_for(lambda: _child_pids(front, "ingest"), what="ingest started")
            expected = Account.named().uid if running_as_root() else os.getuid()
            assert _uid(ingest) == expected  # never root
            radio = _terminal(broker, "8801")
            # ingest subscribes a moment after its process starts: a report sent before
            # that is not for it, so the terminal reports again each second, as one does
            wait_for(_reporting(radio, "8801", plain, unit_id, (24.94, 60.17)),
                     what="the unit moved")
            os.kill(ingest, signal.SIGKILL)
            again = wait_for(lambda: [p for p in _child_pids(front, "ingest") if p != ingest],
                             what="ingest started again", timeout_s=30)
            wait_for(_reporting(radio, "8801", plain, unit_id, (24.95, 60.18)),
                     what="the unit moved through the new ingest")
            radio.close()
        assert not Path(f"/proc/{again[0]}").exists(), "ingest outlived the server"
        assert "ingest ended (status -9); starting it again" in server.log_text()


def _terminal(broker: Broker, radio_id: str) -> Publisher:
    broker.add_terminal(radio_id)
    return Publisher(broker, f"radio-{radio_id}")


def _report(radio: Publisher, radio_id: str, lon: float, lat: float) -> None:
    assert not radio.publish(f"gridpatrol/units/{radio_id}/position", json.dumps(
        {"lon": lon, "lat": lat, "at": time.time()})).is_failure


def _reporting(radio: Publisher, radio_id: str, conninfo: str, unit_id: int,
               where: tuple[float, float]) -> Callable[[], bool]:
    """A check for wait_for: reports ``where`` once a second until the unit is there."""
    last = [0.0]

    def check() -> bool:
        if time.monotonic() - last[0] >= 1.0:
            _report(radio, radio_id, *where)
            last[0] = time.monotonic()
        return _fix(conninfo, unit_id) == where

    return check


def _fix(conninfo: str, unit_id: int) -> tuple[float, float] | None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM units WHERE id = %s",
                           (unit_id,)).fetchone()
    return None if row is None or row[0] is None else (round(row[0], 5), round(row[1], 5))
