"""``python -m app.serving``: the front and gunicorn, started, watched and stopped together.

``gridpatrol serve`` prepares the service account (when root) and hands its process over
to this module, which:

1. binds the front's address (as root, if started so);
2. starts gunicorn (threaded workers, ``--preload``) on ``instance/run/app.sock``, as the
   service account when root;
3. becomes the service account itself;
4. starts the job worker (``python -m app.jobs``, as the service account when root) and
   restarts it if it ends (after 1, 2, 4 … 60 s);
5. waits until gunicorn answers on its socket, then serves (``app.serving.front``);
6. on SIGTERM or SIGINT stops the front (open streams end), then gunicorn and the job
   worker (its running jobs go back to the queue); SIGHUP is passed to gunicorn (reload
   its workers). If gunicorn dies, the front stops too and the exit status says so, for
   systemd or whoever started it to act on.

Beside them run the children of :mod:`app.serving.children` (the own MQTT broker,
``gridpatrol ingest``, the demo simulator), started before the front serves, restarted if
they die, stopped last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.config import read_environment
from app.serving.children import (
    ChildSpec,
    children_for,
    hold_children,
    start_children,
    stop_children,
)
from app.serving.front import EventSettings, RunningFront, build_front, listening_socket
from app.serving.proxy import Upstream
from app.serving.service_user import Account, ServiceUserError, run_dir, running_as_root

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
MAX_UNIX_PATH = 100


@dataclass(frozen=True)
class Plan:
    """What to serve, and how."""

    bind: str
    workers: int
    threads: int
    instance: Path
    conninfo: str
    events: EventSettings
    account: Account | None
    job_concurrency: int = 2
    children: tuple[ChildSpec, ...] = ()


def database_conninfo(config: dict[str, object], instance: Path) -> str:
    """libpq connection string of the app role (``GRIDPATROL_DATABASE_URL`` or the
    embedded cluster's), for the events listener."""
    url = config.get("DATABASE_URL")
    if not url:
        from app.db.cluster import APP_ROLE, Cluster

        url = Cluster.for_instance(instance, port=int(str(config["PG_PORT"]))).url(APP_ROLE)
    return str(url).replace("postgresql+psycopg://", "postgresql://", 1)


def app_socket_path(instance: Path, bind: str) -> Path:
    """Where gunicorn listens: ``instance/run/app-<port>.sock``, one per address served
    (or a short temporary folder when that path is too long for a unix socket)."""
    port = bind.rpartition(":")[2]
    path = run_dir(instance) / f"app-{port}.sock"
    if len(str(path)) <= MAX_UNIX_PATH:
        return path
    return Path(tempfile.mkdtemp(prefix="gridpatrol-")) / "app.sock"


def gunicorn_argv(plan: Plan, socket_path: Path) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--bind", f"unix:{socket_path}",
            "--workers", str(plan.workers), "--threads", str(plan.threads),
            "--worker-class", "gthread", "--timeout", "120", "--keep-alive", "75",
            "--access-logfile", "-", "--preload", *_no_control_socket(), "wsgi:app"]


def _no_control_socket() -> list[str]:
    """gunicorn ≥ 24 opens a control socket under $HOME; serve needs none (and two servers
    of one checkout would share its path)."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(
        s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


async def supervise(plan: Plan) -> int:
    """Run the front and gunicorn until a stop signal (0) or gunicorn's end (1)."""
    runtime = run_dir(plan.instance)
    runtime.mkdir(mode=0o700, exist_ok=True)
    socket_path = app_socket_path(plan.instance, plan.bind)
    if plan.account is not None and socket_path.parent != runtime:
        os.chown(socket_path.parent, plan.account.uid, plan.account.gid)
    socket_path.unlink(missing_ok=True)
    sock = listening_socket(plan.bind)
    env = dict(os.environ)
    spawn = {}
    if plan.account is not None:
        env["HOME"] = str(runtime)
        spawn = plan.account.spawn_options()
    gunicorn = await asyncio.create_subprocess_exec(
        *gunicorn_argv(plan, socket_path), cwd=ROOT, env=env, **spawn)
    jobs = JobWorker(env=env, spawn=spawn, concurrency=plan.job_concurrency)
    await jobs.start()
    children = await start_children(list(plan.children), env=env, spawn=spawn)
    if plan.account is not None:
        os.environ["HOME"] = str(runtime)
        plan.account.become()
    front = build_front(plan.conninfo, Upstream(socket_path=str(socket_path)), plan.events)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _signal(gunicorn, signal.SIGHUP))
    gunicorn_ended = asyncio.create_task(gunicorn.wait())
    stopping = asyncio.create_task(stop.wait())
    running: RunningFront | None = None
    try:
        ready = asyncio.create_task(_wait_for_socket(socket_path))
        await asyncio.wait({ready, gunicorn_ended, stopping},
                           return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            return 1 if gunicorn_ended.done() else 0
        running = RunningFront(front, sock)
        await running.start()
        logger.info("serving on http://%s/ (events here; the app on %s, %d × %d threads)",
                    plan.bind, socket_path, plan.workers, plan.threads)
        await asyncio.wait({gunicorn_ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if gunicorn_ended.done():
            logger.error("gunicorn ended (status %s); stopping", gunicorn.returncode)
            return 1
        return 0
    finally:
        hold_children(children)
        if running is not None:
            await running.stop()
        sock.close()
        await _stop(gunicorn)
        await jobs.stop()
        await stop_children(children)
        socket_path.unlink(missing_ok=True)
        for task in (gunicorn_ended, stopping):
            task.cancel()


def job_worker_argv(concurrency: int) -> list[str]:
    return [sys.executable, "-m", "app.jobs", "--concurrency", str(concurrency)]


class JobWorker:
    """The job worker beside gunicorn: started with it, restarted when it ends (backing
    off from 1 s to 60 s), stopped last (SIGTERM: running jobs go back to the queue)."""

    def __init__(self, *, env: dict[str, str], spawn: dict[str, object],
                 concurrency: int) -> None:
        self.env, self.spawn, self.concurrency = env, spawn, concurrency
        self.process: asyncio.subprocess.Process | None = None
        self.watcher: asyncio.Task[None] | None = None
        self.stopping = False

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *job_worker_argv(self.concurrency), cwd=ROOT, env=self.env,
            **self.spawn)  # type: ignore[arg-type]
        self.watcher = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        delay = 1.0
        while not self.stopping:
            assert self.process is not None
            started = asyncio.get_running_loop().time()
            status = await self.process.wait()
            if self.stopping:
                return
            if asyncio.get_running_loop().time() - started > 60:
                delay = 1.0
            logger.error("the job worker ended (status %s); restarting in %g s", status,
                         delay)
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)
            if self.stopping:
                return
            self.process = await asyncio.create_subprocess_exec(
                *job_worker_argv(self.concurrency), cwd=ROOT, env=self.env,
                **self.spawn)  # type: ignore[arg-type]

    async def stop(self) -> None:
        self.stopping = True
        if self.process is not None:
            await _stop(self.process, "the job worker")
        if self.watcher is not None:
            self.watcher.cancel()


def _signal(process: asyncio.subprocess.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


async def _stop(process: asyncio.subprocess.Process, name: str = "gunicorn") -> None:
    if process.returncode is not None:
        return
    _signal(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        logger.warning("%s did not stop within %g s; killing it", name, STOP_TIMEOUT_S)
        _signal(process, signal.SIGKILL)
        await process.wait()


async def _wait_for_socket(path: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT_S
    while True:
        try:
            reader, writer = await asyncio.open_unix_connection(str(path))
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(f"gunicorn did not listen on {path} within "
                                   f"{STARTUP_TIMEOUT_S:g} s") from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.serving",
                                     description="The front (events service) and gunicorn.")
    parser.add_argument("--bind", help="host:port (default GRIDPATROL_BIND)")
    parser.add_argument("--workers", type=int, help="default GRIDPATROL_WORKERS")
    parser.add_argument("--threads", type=int, help="default GRIDPATROL_THREADS")
    parser.add_argument("--user", help="the account to serve as (required when root)")
    parser.add_argument("--children", default="",
                        help="comma-separated: mqtt, ingest, simulator (run and restarted "
                             "beside the servers)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [front] %(levelname)s "
                        "%(name)s: %(message)s")
    args = parse_args(argv)
    config = read_environment()
    instance = ROOT / "instance"
    if running_as_root() and not args.user:
        logger.error("started as root: name the service account with --user (`gridpatrol "
                     "serve` does)")
        return 2
    try:
        account = Account.named(args.user) if args.user and running_as_root() else None
    except ServiceUserError as exc:
        logger.error("%s", exc)
        return 2
    plan = Plan(bind=args.bind or str(config["BIND"]),
                workers=args.workers or int(config["WORKERS"]),
                threads=args.threads or int(config["THREADS"]), instance=instance,
                conninfo=database_conninfo(config, instance),
                events=EventSettings.from_config(config), account=account,
                job_concurrency=int(config["JOBS_CONCURRENCY"]),
                children=tuple(children_for(
                    tuple(n for n in args.children.split(",") if n), config=config,
                    instance=instance)))
    try:
        return asyncio.run(supervise(plan))
    except (OSError, ValueError, TimeoutError, ServiceUserError) as exc:
        logger.error("cannot serve: %s", exc)
        return 1
