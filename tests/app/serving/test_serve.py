"""``gridpatrol serve`` for real, on 127.0.0.1: open consoles do not hold the app's
workers; a reconnecting console gets what it missed; streams are capped per user; a slow
console is cut off with a resync; the front passes everything else on untouched; started
as root, nothing runs as root.

One server for the module, deliberately small: 1 gunicorn worker × 2 threads, at most 3
streams per user, a backlog of 50 events, a 1 s heartbeat.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest

from app.serving.service_user import Account, running_as_root
from tests.conftest import DatabaseInfo, make_app, scratch_database
from tests.served import Served, served, stop

PER_USER = 3
BACKLOG = 50
TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass
class Site:
    server: Served
    database: DatabaseInfo
    tokens: dict[str, str]  # username -> bearer token
    passwords: dict[str, str]
    unit_id: int

    @property
    def url(self) -> str:
        return self.server.url

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with scratch_database("serve") as database:
        app = make_app(database)
        tokens, passwords = {}, {}
        with app.app_context():
            from app.auth import users
            from app.db import engine, get_session

            session = get_session()
            for n in range(25):
                name = f"console-{n:02d}"
                user = users.create_user(session, name, "correct horse battery", "viewer")
                tokens[name] = users.issue_token(session, user, label="test")
                passwords[name] = "correct horse battery"
            for name, role in (("radio", "device"), ("desk", "dispatcher")):
                user = users.create_user(session, name, "correct horse battery", role)
                tokens[name] = users.issue_token(session, user, label="test")
                passwords[name] = "correct horse battery"
            session.commit()
            engine(app).dispose()
        with psycopg.connect(_plain(database.app_url)) as conn:
            row = conn.execute(
                "INSERT INTO units (callsign, kind, status, geom) VALUES ('S-1', 'foot', "
                "'available', ST_SetSRID(ST_MakePoint(8.69, 49.41), 4326)) RETURNING id"
            ).fetchone()
        assert row is not None
        env = {"GRIDPATROL_EVENTS_PER_USER": str(PER_USER),
               "GRIDPATROL_EVENTS_BACKLOG": str(BACKLOG),
               "GRIDPATROL_EVENTS_REPLAY": "200", "GRIDPATROL_EVENTS_HEARTBEAT_S": "1"}
        log = tmp_path_factory.mktemp("serve") / "serve.log"
        with served(database.app_url, log, workers=1, threads=2, env=env) as server:
            yield Site(server, database, tokens, passwords, int(row[0]))


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class Stream:
    """An open event stream read by a task, counting what arrives."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.events: list[tuple[str | None, str, dict[str, Any]]] = []  # (id, event, data)
        self.comments = 0
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        block: dict[str, str] = {}
        async for raw in self.response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith(":"):
                self.comments += 1
            elif line == "":
                if "event" in block:
                    self.events.append((block.get("id"), block["event"],
                                        json.loads(block["data"])))
                    self.arrived.set()
                block = {}
            else:
                key, _, value = line.partition(": ")
                block[key] = value

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for _, event, data in self.events if event == kind]

    async def wait_for(self, kind: str, count: int = 1, timeout_s: float = 20.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.of(kind)) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def close(self) -> None:
        self.reader.cancel()
        self.response.close()
        await asyncio.gather(self.reader, return_exceptions=True)


async def _open(http: aiohttp.ClientSession, site: Site, user: str,
                last_event_id: str | None = None) -> Stream:
    headers = site.auth(user) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    response = await http.get(site.url + "/api/v1/events", headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/event-stream"
    stream = Stream(response)
    await stream.wait_for("hello")
    return stream


async def _post_position(http: aiohttp.ClientSession, site: Site, lon: float) -> int:
    async with http.post(f"{site.url}/api/v1/units/{site.unit_id}/position",
                         headers=site.auth("radio"), json={"lon": lon, "lat": 49.41}) as answer:
        await answer.read()
        return answer.status


def test_fifty_open_consoles_leave_the_app_answering(site: Site) -> None:
    """50 streams against 1 worker × 2 threads: health checks and position posts still
    answer, and every console receives the position."""
    async def scenario() -> None:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            consoles = [name for name in site.tokens if name.startswith("console-")]
            streams = await asyncio.gather(*(_open(http, site, consoles[n // 2])
                                             for n in range(50)))
            try:
                for _ in range(3):
                    async with http.get(site.url + "/healthz") as health:
                        assert health.status == 200 and (await health.json())["status"] == "ok"
                assert await _post_position(http, site, 8.6901) == 200
                await asyncio.gather(*(s.wait_for("unit") for s in streams))
                assert all(s.of("unit")[-1]["lon"] == 8.6901 for s in streams)
            finally:
                await asyncio.gather(*(s.close() for s in streams))

    asyncio.run(scenario())


def test_a_reconnecting_console_gets_what_it_missed(site: Site) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            first = await _open(http, site, "console-00")
            last_id = first.events[0][0]
            assert last_id is not None and re.fullmatch(r"[0-9a-f]+\.\d+", last_id)
            await first.close()
            for lon in (8.6911, 8.6912):
                assert await _post_position(http, site, lon) == 200
            back = await _open(http, site, "console-00", last_event_id=last_id)
            await back.wait_for("unit", 2)
            assert [d["lon"] for d in back.of("unit")] == [8.6911, 8.6912]
            assert back.of("resync") == []
            epoch, _, n = last_id.partition(".")
            assert [i for i, e, _ in back.events if e == "unit"] == [f"{epoch}.{int(n) + 1}",
                                                                    f"{epoch}.{int(n) + 2}"]
            await back.close()
            lost = await _open(http, site, "console-00", last_event_id="0000.1")
            await lost.wait_for("resync")
            await lost.close()

    asyncio.run(scenario())


def test_an_idle_stream_says_it_is_alive(site: Site) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            stream = await _open(http, site, "console-01")
            await asyncio.sleep(2.5)
            assert stream.comments >= 1
            await stream.close()

    asyncio.run(scenario())


def test_streams_per_user_are_capped_with_a_clear_429(site: Site) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            streams = [await _open(http, site, "console-02") for _ in range(PER_USER)]
            async with http.get(site.url + "/api/v1/events",
                                headers=site.auth("console-02")) as refused:
                assert refused.status == 429
                assert refused.headers["Retry-After"] == "30"
                body = await refused.json()
                assert body["error"] == "too_many_streams" and "console-02" in body["message"]
            other = await _open(http, site, "console-03")  # someone else still may
            await streams.pop().close()
            deadline = time.monotonic() + 15
            while True:  # the closed stream is let go as soon as the front notices
                async with http.get(site.url + "/api/v1/events",
                                    headers=site.auth("console-02")) as again:
                    if again.status == 200:
                        break
                    assert again.status == 429 and time.monotonic() < deadline
                await asyncio.sleep(0.2)
            for stream in [*streams, other]:
                await stream.close()

    asyncio.run(scenario())


def test_a_console_that_stops_reading_is_cut_off_with_a_resync(site: Site) -> None:
    """A client that stops reading: once the kernel's buffers are full (over a megabyte on
    loopback) its backlog passes 50 events, it gets a resync and its stream ends; a client
    that reads along receives all 10,000 events."""
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = site.url.removeprefix("http://").split(":")
    slow.connect((host, int(port)))
    slow.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
                 f"{site.tokens['console-04']}\r\n\r\n".encode())
    slow.settimeout(30)
    head = b""
    while b"event: hello" not in head:
        head += slow.recv(4096)

    async def flood() -> Stream:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            quick = await _open(http, site, "console-05")
            with psycopg.connect(_plain(site.database.app_url)) as conn:
                for n in range(50):  # 50 transactions of 200 distinct updates
                    with conn.transaction():
                        for k in range(200):
                            conn.execute("UPDATE units SET geom = ST_SetSRID(ST_MakePoint("
                                         "8.69 + %s * 1e-7, 49.41), 4326) WHERE id = %s",
                                         (n * 200 + k, site.unit_id))
                    await asyncio.sleep(0)  # the quick client reads meanwhile
            await quick.wait_for("unit", 10_000, timeout_s=120)
            await quick.close()
            return quick

    quick = asyncio.run(flood())
    assert quick.of("resync") == []  # a console that keeps up is never cut off
    received, deadline = head, time.monotonic() + 60
    while time.monotonic() < deadline:  # read what was buffered, up to the server's close
        chunk = slow.recv(1 << 20)
        if not chunk:
            break
        received += chunk
    else:
        raise AssertionError("the stream of the console that stopped reading did not end")
    slow.close()
    events = re.findall(rb"^event: (\w+)$", received, re.MULTILINE)
    assert events[-1] == b"resync" and len(events) < 10_000


def test_the_front_passes_sign_in_cookies_and_addresses_on(site: Site) -> None:
    async def scenario() -> None:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(timeout=TIMEOUT, cookie_jar=jar) as http:
            async with http.get(site.url + "/login") as page:
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
            assert csrf is not None
            form = {"username": "console-06", "password": "wrong password!", "csrf_token":
                    csrf.group(1)}
            async with http.post(site.url + "/login", data=form,
                                 allow_redirects=False) as failed:
                assert failed.status in (200, 401)
            form["password"] = site.passwords["console-06"]
            async with http.post(site.url + "/login", data=form,
                                 allow_redirects=False) as signed_in:
                assert signed_in.status == 302
            async with http.get(site.url + "/api/v1/me") as me:
                assert me.status == 200 and (await me.json())["username"] == "console-06"
            async with http.get(site.url + "/api/v1/events") as stream:  # by cookie
                assert stream.status == 200
                opening = await stream.content.readuntil(b"event: hello\n")
                assert opening.startswith(b"retry: ")
            async with http.head(site.url + "/healthz") as head:
                assert head.status == 200 and await head.read() == b""
            async with http.get(site.url + "/api/v1/nowhere?q=%E5%B7%A1") as missing:
                assert missing.status == 404 and (await missing.json())["error"] == "not_found"
            # an over-long URL is answered by the app server, as when it is reached directly
            async with http.get(site.url + "/api/v1/units?q=" + "x" * 100_000) as long_url:
                assert long_url.status == 414

    asyncio.run(scenario())
    with psycopg.connect(_plain(site.database.app_url)) as conn:
        rows = conn.execute("SELECT action, client_addr FROM audit_log WHERE object_id = "
                            "'console-06' AND action LIKE 'auth.login%%'").fetchall()
    assert {action for action, _ in rows} == {"auth.login_failed", "auth.login"}
    assert {address for _, address in rows} == {"127.0.0.1"}


def _uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", status, re.MULTILINE)
    assert match is not None
    return int(match.group(2))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_nothing_serves_as_root(site: Site) -> None:
    front = site.server.process.pid
    gunicorn = _children(front)
    workers = [w for g in gunicorn for w in _children(g)]
    assert gunicorn and workers, "the front's gunicorn and its worker"
    expected = Account.named().uid if running_as_root() else os.getuid()
    assert {_uid(pid) for pid in [front, *gunicorn, *workers]} == {expected}
    if running_as_root():
        secret = Path(__file__).resolve().parents[3] / "instance" / "secret_key"
        if secret.exists():
            info = secret.stat()
            assert (info.st_gid, info.st_mode & 0o777) == (Account.named().gid, 0o640)


def test_sigterm_stops_the_front_and_the_app(site: Site) -> None:
    """Last in this module: it stops the shared server."""
    front = site.server.process.pid
    processes = [front, *_children(front)]
    started = time.monotonic()
    assert stop(site.server) == 0
    assert time.monotonic() - started < 30
    assert not any(Path(f"/proc/{pid}").exists() for pid in processes[1:])
