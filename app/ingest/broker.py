"""The project's own MQTT broker: Debian's Mosquitto under ``instance/mqtt``.

When ``GRIDPATROL_MQTT_URL`` is unset, gridpatrol runs its own broker, as it runs its own
PostgreSQL: ``gridpatrol mqtt start`` (and ``gridpatrol ingest``, ``demo run``) write
its files and start it, ``gridpatrol mqtt stop`` stops it.

``instance/mqtt/``
    ``mosquitto.conf`` (written at every start), ``passwd`` (salted PBKDF2-SHA512 hashes
    of the clients' passwords, mosquitto_passwd's ``$7$`` format), ``acl`` (who may
    publish and read what), ``data/`` (the broker's persistence: queued QoS 1 messages
    survive a restart), ``run/mosquitto.pid`` and ``mosquitto.log``.
``instance/mqtt-secrets/``
    one password file per client (:mod:`app.ingest.secrets`); never given to the broker.

The broker listens on ``GRIDPATROL_MQTT_BIND``:``GRIDPATROL_MQTT_PORT`` (loopback, 1884)
only, refuses anonymous clients, and holds each client to its topics:

- ``gridpatrol-ingest`` reads ``gridpatrol/#`` and trunk-recorder's prefixes;
- ``gridpatrol-app`` publishes orders, ``gridpatrol/units/+/orders``;
- ``trunk-recorder`` publishes under its prefixes;
- ``gridpatrol-replay`` (``gridpatrol replay``) publishes as any terminal (never orders)
  and under trunk-recorder's prefixes;
- a terminal ``radio-<id>`` publishes only ``gridpatrol/units/<id>/{position,nmea,status,
  ack,text}`` and reads its own ``…/orders``.

Started as root, the broker runs as the ``gridpatrol`` service account (its folder is
handed to it); never as root.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from app.ingest.secrets import ClientSecrets
from app.serving.service_user import Account
from dispatch.terminals import TERMINAL_KINDS, TOPIC_ROOT

INGEST_CLIENT = "gridpatrol-ingest"
APP_CLIENT = "gridpatrol-app"
TRUNK_RECORDER_CLIENT = "trunk-recorder"
REPLAY_CLIENT = "gridpatrol-replay"
SERVICE_CLIENTS = (INGEST_CLIENT, APP_CLIENT, TRUNK_RECORDER_CLIENT, REPLAY_CLIENT)
TERMINAL_PREFIX = "radio-"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
HASH_ITERATIONS = 101  # mosquitto_passwd's; the secrets are 256 random bits


class BrokerError(RuntimeError):
    """The own broker cannot be set up, started or stopped."""


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """The ``$7$`` line mosquitto checks a password against (PBKDF2-SHA512)."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, HASH_ITERATIONS)
    return (f"$7${HASH_ITERATIONS}${base64.b64encode(salt).decode()}$"
            f"{base64.b64encode(digest).decode()}")


def terminal_client(radio_id: str) -> str:
    return TERMINAL_PREFIX + radio_id


@dataclass(frozen=True)
class Broker:
    """One own broker: its folder, its clients' secrets, where it listens, who runs it."""

    root: Path
    secrets_dir: Path
    port: int = 1884
    bind: str = "127.0.0.1"
    account: Account | None = None
    trunk_prefixes: tuple[str, ...] = ("trunk-recorder",)

    @classmethod
    def for_instance(cls, instance: Path, *, port: int, bind: str,
                     account: Account | None = None,
                     trunk_prefixes: tuple[str, ...] = ("trunk-recorder",)) -> Broker:
        return cls(instance / "mqtt", instance / "mqtt-secrets", port, bind, account,
                   trunk_prefixes)

    # -- files -----------------------------------------------------------------------
    @property
    def secrets(self) -> ClientSecrets:
        return ClientSecrets(self.secrets_dir)

    @property
    def conf_path(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def pid_path(self) -> Path:
        return self.root / "run" / "mosquitto.pid"

    @property
    def log_path(self) -> Path:
        return self.root / "mosquitto.log"

    def url(self, client: str) -> str:
        """``mqtt://`` URL of ``client`` on this broker; it names the password file."""
        host = f"[{self.bind}]" if ":" in self.bind else self.bind
        return (f"mqtt://{client}@{host}:{self.port}"
                f"?passfile={quote(str(self.secrets.path(client)))}")

    def terminals(self) -> list[str]:
        """Radio ids of the terminals that have credentials."""
        return [c[len(TERMINAL_PREFIX):] for c in self.secrets.clients()
                if c.startswith(TERMINAL_PREFIX)]

    def add_terminal(self, radio_id: str) -> Path:
        """Credentials for the terminal of ``radio_id`` (made once); the broker, if
        running, re-reads its password and ACL files. Returns the password file."""
        path = self.secrets.ensure(terminal_client(radio_id))
        self.write_files()
        self.reload()
        return path

    def remove_terminal(self, radio_id: str) -> bool:
        removed = self.secrets.remove(terminal_client(radio_id))
        self.write_files()
        self.reload()
        return removed

    def write_files(self) -> None:
        """Write the configuration, password and ACL files from the clients' secrets."""
        for client in SERVICE_CLIENTS:
            self.secrets.ensure(client)
        for folder in (self.root, self.root / "data", self.root / "run"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        lines = [f"{c}:{password_hash(self.secrets.secret(c))}" for c in self.secrets.clients()]
        self._write(self.root / "passwd", "\n".join(lines) + "\n")
        self._write(self.root / "acl", self.acl_text())
        self._write(self.conf_path, self.conf_text())
        if self.account is not None:
            for item in [self.root, *self.root.rglob("*")]:
                os.chown(item, self.account.uid, self.account.gid)

    def acl_text(self) -> str:
        lines = ["# Written by gridpatrol (app/ingest/broker.py): who may publish and read "
                 "what.", f"user {INGEST_CLIENT}", "topic read gridpatrol/#"]
        lines += [f"topic read {p.rstrip('/')}/#" for p in self.trunk_prefixes]
        lines += ["", f"user {APP_CLIENT}", f"topic write {TOPIC_ROOT}/+/orders", "",
                  f"user {TRUNK_RECORDER_CLIENT}"]
        lines += [f"topic write {p.rstrip('/')}/#" for p in self.trunk_prefixes]
        lines += ["", f"user {REPLAY_CLIENT}"]  # `gridpatrol replay`: as any terminal
        lines += [f"topic write {TOPIC_ROOT}/+/{kind}" for kind in TERMINAL_KINDS]
        lines += [f"topic write {p.rstrip('/')}/#" for p in self.trunk_prefixes]
        for radio_id in self.terminals():
            lines += ["", f"user {terminal_client(radio_id)}"]
            lines += [f"topic write {TOPIC_ROOT}/{radio_id}/{kind}" for kind in TERMINAL_KINDS]
            lines.append(f"topic read {TOPIC_ROOT}/{radio_id}/orders")
        return "\n".join(lines) + "\n"

    def conf_text(self) -> str:
        return "\n".join([
            "# Written by gridpatrol (app/ingest/broker.py) at every start: edits are lost.",
            f"pid_file {self.pid_path}",
            "persistence true",
            f"persistence_location {self.root / 'data'}/",
            "autosave_interval 10",
            f"log_dest file {self.log_path}",
            "log_type error", "log_type warning", "log_type notice",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
            "allow_anonymous false",
            f"password_file {self.root / 'passwd'}",
            f"acl_file {self.root / 'acl'}",
            "max_queued_messages 200000",
            "max_inflight_messages 100",
            "persistent_client_expiration 14d",
            "max_packet_size 300000",
            f"listener {self.port} {self.bind}",
            "",
        ])

    @staticmethod
    def _write(path: Path, text: str) -> None:
        staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(staged, path)

    # -- life cycle --------------------------------------------------------------------
    def pid(self) -> int | None:
        """The running broker's process id, or None."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        if not cmdline or not cmdline[0].endswith(b"mosquitto") \
                or str(self.conf_path).encode() not in cmdline:
            return None  # a recycled pid: not our broker
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self) -> None:
        """Write the files and start the broker (if it is not running); wait until it
        takes connections."""
        self.write_files()
        if self.is_running():
            return
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).is_file():
            raise BrokerError("mosquitto is not installed: run scripts/bootstrap.sh (Debian's "
                              "mosquitto package)")
        if _port_open(self.bind, self.port):
            raise BrokerError(f"{self.bind}:{self.port} is taken by another program: set "
                              "GRIDPATROL_MQTT_PORT, or GRIDPATROL_MQTT_URL to use that broker")
        spawn = self.account.spawn_options() if self.account is not None else {}
        done = subprocess.run([binary, "-c", str(self.conf_path), "-d"], cwd="/",
                              capture_output=True, text=True, check=False, timeout=30, **spawn)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (self.is_running() and _port_open(self.bind, self.port)):
            if done.returncode != 0 or time.monotonic() > deadline:
                raise BrokerError(f"mosquitto did not start: {done.stderr.strip()} "
                                  f"{self.log_tail()}".strip())
            time.sleep(0.05)

    def stop(self) -> bool:
        """Stop the broker (it saves its queued messages first). Returns whether it ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self.pid() == pid:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        return True

    def reload(self) -> None:
        """Make a running broker re-read its password and ACL files."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGHUP)

    def status(self) -> str:
        pid = self.pid()
        if pid is None:
            return f"stopped ({self.root})"
        return (f"running (pid {pid}, {self.bind}:{self.port}, {len(self.terminals())} "
                f"terminals, folder {self.root})")

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
