"""Processes ``gridpatrol serve`` runs beside the front and gunicorn, each watched and
restarted when it ends: the own MQTT broker, ``gridpatrol ingest`` (with its radio desk)
and, for the demo, the terminal simulator.

Which ones run is decided from the configuration (:func:`children_for`): the broker when
``GRIDPATROL_MQTT_URL`` is unset, ingest unless ``GRIDPATROL_SERVE_INGEST`` is false, the
simulator when ``serve --simulate`` asks (``make demo``). Each is started before the
front serves and stopped after it (SIGTERM, then SIGKILL after 30 s), in reverse order; one
that ends is started again after 1 s, then 2, 4 … 60 s while it keeps failing within a
minute of its start. Started as root, each runs as the service account (its files were
handed to it by ``gridpatrol serve`` before; see :func:`app.cli.serve.prepare_children`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_S = 30.0
HEALTHY_AFTER_S = 60.0
MAX_DELAY_S = 60.0
NAMES = ("mqtt", "ingest", "simulator")


@dataclass(frozen=True)
class ChildSpec:
    """A supervised child: its name (for the logs) and its command line."""

    name: str
    argv: tuple[str, ...]


def cli_argv(*args: str) -> tuple[str, ...]:
    """The ``gridpatrol`` command of this checkout with ``args``."""
    return (sys.executable, "-m", "app.cli", *args)


def children_for(names: tuple[str, ...], *, config: dict[str, object],
                 instance: Path) -> list[ChildSpec]:
    """The specs of the named children (unknown names refused)."""
    unknown = set(names) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown children: {', '.join(sorted(unknown))}")
    specs = []
    if "mqtt" in names:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        specs.append(ChildSpec("mqtt", (binary, "-c", str(instance / "mqtt" /
                                                          "mosquitto.conf"))))
    if "ingest" in names:
        own = "mqtt" in names
        specs.append(ChildSpec("ingest", cli_argv("ingest", *(("--no-broker",) if own
                                                              else ()))))
    if "simulator" in names:
        specs.append(ChildSpec("simulator", cli_argv("demo", "simulate")))
    return specs


def default_children(config: dict[str, object], *, simulate: bool) -> tuple[str, ...]:
    """The children ``serve`` runs under this configuration."""
    if not config.get("SERVE_INGEST", True):
        return ()
    names = ("ingest",) if config.get("MQTT_URL") else ("mqtt", "ingest")
    return names + (("simulator",) if simulate else ())


class Child:
    """One supervised process (see the module)."""

    def __init__(self, spec: ChildSpec, *, env: dict[str, str],
                 spawn: dict[str, object]) -> None:
        self.spec = spec
        self.env = env
        self.spawn = spawn
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch())

    async def _spawn(self) -> None:
        # after the supervisor has become the service account it cannot switch users:
        # its children are that account anyway
        spawn = self.spawn if os.geteuid() == 0 else {}
        self.process = await asyncio.create_subprocess_exec(
            *self.spec.argv, cwd=ROOT, env=self.env, **spawn)  # type: ignore[arg-type]
        self.starts += 1
        logger.info("%s started (pid %d)", self.spec.name, self.process.pid)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 1.0
        while not self._stopping:
            assert self.process is not None  # noqa: S101 (started before watching)
            started = loop.time()
            status = await self.process.wait()
            if self._stopping:
                return
            if loop.time() - started > HEALTHY_AFTER_S:
                delay = 1.0
            logger.error("%s ended (status %s); starting it again in %g s", self.spec.name,
                         status, delay)
            await asyncio.sleep(delay)
            delay = min(MAX_DELAY_S, delay * 2)
            if self._stopping:
                return
            try:
                await self._spawn()
            except OSError:
                logger.exception("%s could not be started", self.spec.name)

    def hold(self) -> None:
        """Start it again no more (the server is stopping: a signal to the whole process
        group may end it before :meth:`stop` is reached)."""
        self._stopping = True

    async def stop(self) -> None:
        self.hold()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            logger.warning("%s did not stop within %g s; killing it", self.spec.name,
                           STOP_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
            await process.wait()


async def start_children(specs: list[ChildSpec], *, env: dict[str, str],
                         spawn: dict[str, object]) -> list[Child]:
    children = [Child(spec, env=env, spawn=spawn) for spec in specs]
    for child in children:
        await child.start()
    return children


def hold_children(children: list[Child]) -> None:
    for child in children:
        child.hold()


async def stop_children(children: list[Child]) -> None:
    for child in reversed(children):
        await child.stop()
