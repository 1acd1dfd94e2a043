"""The embedded PostgreSQL + PostGIS cluster under ``instance/pg``.

When no ``GRIDPATROL_DATABASE_URL`` is given, gridpatrol runs its own cluster: a
real PostgreSQL server started with ``pg_ctl``, listening on a private unix socket
only (``listen_addresses = ''``), in a socket directory only its owner can enter.
``initdb`` and ``postgres`` refuse to run as root, so as root the cluster belongs to
the ``postgres`` system user (created by Debian's postgresql package).

Three database roles:

``gridpatrol_admin``  the bootstrap superuser (extensions, creating databases)
``gridpatrol_owner``  owns the schema; migrations run as this role
``gridpatrol_app``    what the web app and CLI use; no DDL, no UPDATE/DELETE of audit rows
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

ADMIN_ROLE = "gridpatrol_admin"
OWNER_ROLE = "gridpatrol_owner"
APP_ROLE = "gridpatrol_app"
MAIN_DATABASE = "gridpatrol"
SERVICE_USER = "postgres"


class ClusterError(RuntimeError):
    """The embedded cluster cannot be created, started or reached."""


def _pg_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                        else 0)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError("PostgreSQL server binaries not found: run `make demo` or "
                       "`scripts/bootstrap.sh` to install postgresql-15-postgis-3")


def _running_as_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Cluster:
    """One embedded cluster; ``root`` holds ``data/``, ``run/`` and ``server.log``."""

    root: Path
    port: int = 5432

    @classmethod
    def for_instance(cls, instance_path: Path, *, port: int = 5432) -> Cluster:
        """The cluster of an instance folder.

        As root, the data must be reachable by the ``postgres`` user; when a parent
        folder of the checkout is closed to others (a ``mktemp -d`` folder, say) the
        cluster lives in ``/var/lib/gridpatrol/pg/<hash of the instance path>``.
        """
        preferred = instance_path.resolve() / "pg"
        if not _running_as_root() or _reachable_by_service_user(preferred.parent):
            return cls(preferred, port)
        digest = hashlib.sha256(str(instance_path.resolve()).encode()).hexdigest()[:12]
        return cls(Path("/var/lib/gridpatrol/pg") / digest, port)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, role: str, database: str = MAIN_DATABASE) -> str:
        """SQLAlchemy URL for ``role`` over the private socket."""
        return (f"postgresql+psycopg://{role}@/{database}"
                f"?host={self.socket_dir}&port={self.port}")

    def conninfo(self, role: str, database: str = MAIN_DATABASE) -> str:
        """libpq connection string for ``role`` over the private socket."""
        return f"host={self.socket_dir} port={self.port} user={role} dbname={database}"

    # -- life cycle ---------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = self._pg_ctl("status", check=False)
        return result.returncode == 0

    def initialise(self) -> None:
        """``initdb`` a new cluster with the gridpatrol settings (no-op if present)."""
        if self.is_initialised():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self._hand_to_service_user(self.root)
        os.chmod(self.root, 0o700)
        os.chmod(self.socket_dir, 0o700)
        logger.info("initialising PostgreSQL cluster in %s", self.data_dir)
        self._run([str(_pg_bindir() / "initdb"), "-D", str(self.data_dir), "-U", ADMIN_ROLE,
                   "--auth-local=trust", "--auth-host=reject", "-E", "UTF8",
                   "--locale=C.UTF-8"])
        conf = self.data_dir / "postgresql.auto.conf"
        settings = (
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "unix_socket_permissions = 0700\n"
            f"port = {self.port}\n"
            "max_connections = 200\n"
            "shared_buffers = '256MB'\n"
            "fsync = on\n"
        )
        self._run(["sh", "-c", f"cat >> '{conf}'"], input_text=settings)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.initialise()
        if self.is_running():
            return
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file))
        self.ensure_database(MAIN_DATABASE)

    def stop(self) -> None:
        if self.is_running():
            self._pg_ctl("stop", "-m", "fast", "-w")

    def status(self) -> str:
        if not self.is_initialised():
            return f"not initialised ({self.data_dir})"
        if self.is_running():
            return f"running (socket {self.socket_dir}, port {self.port}, data {self.data_dir})"
        return f"stopped ({self.data_dir})"

    def start_standby(self, root: Path, *, port: int) -> Cluster:
        """Copy this running cluster into ``root`` and start the copy as a streaming
        replica (hot standby) on its own socket directory and ``port``.

        ``pg_basebackup -R`` writes ``standby.signal`` and ``primary_conninfo`` (the
        admin role over this cluster's socket); ``hot_standby_feedback`` keeps the
        primary's vacuum from cancelling long analyses on the replica. Roles, databases
        and schema all come from the primary; the copy refuses every write.
        """
        standby = Cluster(root, port)
        standby.socket_dir.mkdir(parents=True, exist_ok=True)
        self._hand_to_service_user(root)
        os.chmod(root, 0o700)
        os.chmod(standby.socket_dir, 0o700)
        self._run([str(_pg_bindir() / "pg_basebackup"), "-D", str(standby.data_dir), "-R",
                   "-X", "stream", "-c", "fast", "-h", str(self.socket_dir),
                   "-p", str(self.port), "-U", ADMIN_ROLE])
        settings = (f"unix_socket_directories = '{standby.socket_dir}'\n"
                    f"port = {port}\n"
                    "hot_standby_feedback = on\n")
        self._run(["sh", "-c", f"cat >> '{standby.data_dir / 'postgresql.auto.conf'}'"],
                  input_text=settings)
        standby._pg_ctl("start", "-w", "-t", "60", "-l", str(standby.log_file))
        return standby

    # -- databases and roles ------------------------------------------------------
    def ensure_database(self, name: str) -> None:
        """Create the roles, the database ``name`` owned by the owner role, and PostGIS."""
        with psycopg.connect(self.conninfo(ADMIN_ROLE, "postgres"), autocommit=True) as conn:
            for role, extra in ((OWNER_ROLE, sql.SQL("LOGIN CREATEDB")),
                                (APP_ROLE, sql.SQL("LOGIN"))):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                      (role,)).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(role), extra))
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(OWNER_ROLE)))
        with psycopg.connect(self.conninfo(ADMIN_ROLE, name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)))

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.conninfo(ADMIN_ROLE, "postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    # -- helpers ------------------------------------------------------------------
    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run([str(_pg_bindir() / "pg_ctl"), "-D", str(self.data_dir), *args],
                         check=check)

    def _run(self, argv: list[str], *, check: bool = True,
             input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        if _running_as_root():
            argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, check=False,
                                input=input_text, cwd="/")
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            if "start" in argv and self.log_file.exists():
                detail += "\n" + self.log_file.read_text(errors="replace")[-2000:]
            raise ClusterError(f"{' '.join(argv)} failed: {detail}")
        return result

    @staticmethod
    def _hand_to_service_user(path: Path) -> None:
        if not _running_as_root():
            return
        try:
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise ClusterError(f"running as root needs the system user {SERVICE_USER!r} "
                               "(installed with Debian's postgresql package)") from None
        for item in [path, *path.rglob("*")]:
            os.chown(item, entry.pw_uid, entry.pw_gid)


def _reachable_by_service_user(folder: Path) -> bool:
    """Whether the ``postgres`` user can enter ``folder`` (every parent searchable)."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    result = subprocess.run(["runuser", "-u", SERVICE_USER, "--", "test", "-x", str(probe)],
                            capture_output=True, check=False)
    return result.returncode == 0
