"""The real server on 127.0.0.1 for tests and benchmarks: ``gridpatrol serve`` in a child.

:func:`served` starts the checkout's ``gridpatrol serve`` (front + gunicorn) against a
database of the caller's, waits until ``/healthz`` answers and stops it afterwards (SIGTERM
to the front, which stops gunicorn; anything left of its process group is killed).

Started as root, ``serve`` runs as the ``gridpatrol`` system user, which must be able to
run the interpreter. A virtualenv made from a Python under ``/root`` (pyenv's, say) is
closed to it; then the child runs Debian's ``/usr/bin/python3`` (the same 3.11) with the
virtualenv's packages on ``PYTHONPATH`` — what ``scripts/bootstrap.sh`` arranges for a
fresh checkout by making the virtualenv from ``/usr/bin/python3`` when run as root.

:class:`ThreadedFront` runs only the front, in a thread of the test process, before an
app server the test already runs (the browser tests' werkzeug server).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from app.serving.front import EventSettings, RunningFront, build_front, listening_socket
from app.serving.proxy import Upstream
from app.serving.service_user import Account, closed_folders, running_as_root

ROOT = Path(__file__).resolve().parent.parent
CLI = 'import sys; from app.cli import main; sys.argv[0] = "gridpatrol"; main()'
DEBIAN_PYTHON = Path("/usr/bin/python3")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def interpreter_for_the_server() -> tuple[str, dict[str, str]]:
    """The Python to run ``serve`` with, and the environment it needs (see the module)."""
    if not running_as_root():
        return sys.executable, {}
    account = Account.named()
    if not closed_folders(account, [Path(sys.executable).resolve()]):
        return sys.executable, {}
    assert DEBIAN_PYTHON.exists(), f"{DEBIAN_PYTHON} is missing (Debian's python3)"
    return str(DEBIAN_PYTHON), {"PYTHONPATH": sysconfig.get_paths()["purelib"]}


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def served(database_url: str, log: Path, *, workers: int = 1, threads: int = 2,
           env: dict[str, str] | None = None, startup_timeout_s: float = 240.0
           ) -> Iterator[Served]:
    """``gridpatrol serve`` on a free loopback port against ``database_url``."""
    port = free_port()
    python, extra = interpreter_for_the_server()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDPATROL_")}
    child_env.update(extra)
    child_env.update({"GRIDPATROL_DATABASE_URL": database_url,
                      "GRIDPATROL_SECRET_KEY": "served-test-secret-" + "x" * 40,
                      # the broker and ingest beside the servers only when a test asks:
                      # the checkout's own broker port and journal are not the tests'
                      "GRIDPATROL_SERVE_INGEST": "false"})
    child_env.update(env or {})
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [python, "-c", CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers",
             str(workers), "--threads", str(threads)],
            cwd=ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    server = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_healthy(server, startup_timeout_s)
        yield server
    finally:
        stop(server)


def stop(server: Served, timeout_s: float = 60.0) -> int:
    """SIGTERM to the front; then whatever is left of its process group is killed."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(10)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGKILL)
    return int(server.process.returncode)


def _wait_until_healthy(server: Served, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"serve ended ({server.process.returncode}):\n"
                                 f"{server.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"serve did not answer within {timeout_s:g} s:\n"
                         f"{server.log_text()[-3000:]}")


class ThreadedFront:
    """The front on a free loopback port, in a thread, before the app server at
    ``upstream_url`` (whose database ``conninfo`` names)."""

    def __init__(self, upstream_url: str, conninfo: str, settings: EventSettings) -> None:
        self._sock = listening_socket("127.0.0.1:0")
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._front = build_front(conninfo.replace("postgresql+psycopg://", "postgresql://", 1),
                                  Upstream(url=upstream_url), settings)
        self._loop = asyncio.new_event_loop()
        self._running: RunningFront | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="front",
                                        daemon=True)

    def start(self) -> ThreadedFront:
        self._thread.start()
        self._running = RunningFront(self._front, self._sock)
        asyncio.run_coroutine_threadsafe(self._running.start(), self._loop).result(30)
        return self

    def stop(self) -> None:
        if self._running is not None:
            asyncio.run_coroutine_threadsafe(self._running.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._sock.close()
