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

Every role signs in with a SCRAM password (``pg_hba.conf`` allows nothing else, and only
over the socket); the secrets are files under ``instance/db-secrets`` (see
:mod:`app.db.credentials`). A cluster made before that, which trusted every local
connection, is moved to passwords by the next :meth:`Cluster.start`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.db.credentials import SECRETS_DIRNAME, Credentials, new_secret

logger = logging.getLogger(__name__)

ADMIN_ROLE = "gridpatrol_admin"
OWNER_ROLE = "gridpatrol_owner"
APP_ROLE = "gridpatrol_app"
MAIN_DATABASE = "gridpatrol"
SERVICE_USER = "postgres"
ROLES = (ADMIN_ROLE, OWNER_ROLE, APP_ROLE)

# The whole pg_hba.conf of an embedded cluster: the socket only, a SCRAM password for
# every role; no TCP line at all (and listen_addresses is empty).
HBA_CONF = """\
# Written by gridpatrol (app/db/cluster.py); `gridpatrol db start` puts it back if changed.
# Only the private unix socket, and only with a SCRAM password: see the README, "The database".
local   all   all   scram-sha-256
local   replication   all   scram-sha-256
"""
RELOAD_WAIT_S = 10.0


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
    """One embedded cluster; ``root`` holds ``data/``, ``run/`` and ``server.log``;
    ``secrets_dir`` the role passwords (default: ``db-secrets`` beside ``root``)."""

    root: Path
    port: int = 5432
    secrets_dir: Path | None = None

    @classmethod
    def for_instance(cls, instance_path: Path, *, port: int = 5432) -> Cluster:
        """The cluster of an instance folder.

        As root, the data must be reachable by the ``postgres`` user; when a parent
        folder of the checkout is closed to others (a ``mktemp -d`` folder, say) the
        cluster lives in ``/var/lib/gridpatrol/pg/<hash of the instance path>``.
        """
        instance = instance_path.resolve()
        secrets_dir = instance / SECRETS_DIRNAME
        preferred = instance / "pg"
        if not _running_as_root() or _reachable_by_service_user(preferred.parent):
            return cls(preferred, port, secrets_dir)
        digest = hashlib.sha256(str(instance).encode()).hexdigest()[:12]
        return cls(Path("/var/lib/gridpatrol/pg") / digest, port, secrets_dir)

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.secrets_dir or self.root.parent / SECRETS_DIRNAME)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def passfile(self, role: str) -> Path:
        """The password file libpq reads for ``role`` (``PGPASSFILE`` for other tools)."""
        return self.credentials.passfile(role)

    def url(self, role: str, database: str = MAIN_DATABASE) -> str:
        """SQLAlchemy URL for ``role`` over the private socket; it names the role's
        password file, not the password."""
        return (f"postgresql+psycopg://{role}@/{database}"
                f"?host={quote(str(self.socket_dir))}&port={self.port}"
                f"&passfile={quote(str(self.passfile(role)))}")

    def conninfo(self, role: str, database: str = MAIN_DATABASE) -> str:
        """libpq connection string for ``role`` over the private socket (with its
        password file)."""
        return make_conninfo(host=str(self.socket_dir), port=self.port, user=role,
                             dbname=database, passfile=str(self.passfile(role)))

    # -- life cycle ---------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = self._pg_ctl("status", check=False)
        return result.returncode == 0

    def initialise(self) -> None:
        """``initdb`` a new cluster with the gridpatrol settings (no-op if present): the
        superuser gets its password from the start and no connection is ever trusted."""
        if self.is_initialised():
            return
        admin_secret = self.credentials.ensure(ADMIN_ROLE)
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self._hand_to_service_user(self.root)
        os.chmod(self.root, 0o700)
        os.chmod(self.socket_dir, 0o700)
        logger.info("initialising PostgreSQL cluster in %s", self.data_dir)
        pwfile = self.root / "initdb-password"  # read by initdb (as postgres), then removed
        self._write_as_service_user(pwfile, admin_secret + "\n")
        try:
            self._run([str(_pg_bindir() / "initdb"), "-D", str(self.data_dir), "-U", ADMIN_ROLE,
                       "--auth-local=scram-sha-256", "--auth-host=reject",
                       f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"])
        finally:
            pwfile.unlink(missing_ok=True)
        self._write_as_service_user(self.data_dir / "pg_hba.conf", HBA_CONF)
        conf = self.data_dir / "postgresql.auto.conf"
        self._run(["sh", "-c", 'cat >> "$1"', "sh", str(conf)], input_text=self.server_settings())

    def server_settings(self) -> str:
        """What ``initdb`` appends to ``postgresql.auto.conf``: the socket only, in ``run/``."""
        return (
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "unix_socket_permissions = 0770\n"
            f"port = {self.port}\n"
            "max_connections = 200\n"
            "shared_buffers = '256MB'\n"
            "fsync = on\n"
        )

    def start(self) -> None:
        """Start the server (if it is not running), make sure every role signs in with its
        password (:meth:`secure`) and that the main database exists. Idempotent."""
        self.initialise()
        if not self.is_running():
            self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file))
        self.secure()
        self.ensure_database(MAIN_DATABASE)

    def stop(self) -> None:
        if self.is_running():
            self._pg_ctl("stop", "-m", "fast", "-w")

    def restart(self) -> None:
        """Restart the running server (fast shutdown: open sessions are ended)."""
        self._pg_ctl("restart", "-m", "fast", "-w", "-t", "60", "-l", str(self.log_file))

    def share_socket_with_group(self) -> None:
        """Let the ``postgres`` group (of which the ``gridpatrol`` service user is a
        member) reach the socket: its folders 0750, the socket 0770; the data stays 0700.
        A running server made when the socket was 0700 is switched and restarted. Root
        only (the folders belong to ``postgres``)."""
        for folder in (self.root, self.socket_dir):
            os.chmod(folder, 0o750)  # noqa: S103 (group: the service user; others: none)
        socket_file = self.socket_dir / f".s.PGSQL.{self.port}"
        if not self.is_running() or socket_file.stat().st_mode & 0o070 == 0o070:
            return
        with psycopg.connect(self.conninfo(ADMIN_ROLE, "postgres"), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET unix_socket_permissions = '0770'")
        logger.info("restarting the embedded cluster to open its socket to its group")
        self.restart()

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
        standby = Cluster(root, port, self.credentials.folder)
        standby.socket_dir.mkdir(parents=True, exist_ok=True)
        self._hand_to_service_user(root)
        os.chmod(root, 0o700)
        os.chmod(standby.socket_dir, 0o700)
        # the password goes in by environment (never on a command line); -R writes it
        # into the standby's primary_conninfo, inside its data folder (mode 0700)
        self._run([str(_pg_bindir() / "pg_basebackup"), "-D", str(standby.data_dir), "-R",
                   "-X", "stream", "-c", "fast", "-h", str(self.socket_dir),
                   "-p", str(self.port), "-U", ADMIN_ROLE],
                  env={**os.environ, "PGPASSWORD": self.credentials.secret(ADMIN_ROLE)})
        settings = (f"unix_socket_directories = '{standby.socket_dir}'\n"
                    f"port = {port}\n"
                    "hot_standby_feedback = on\n")
        self._run(["sh", "-c", f"cat >> '{standby.data_dir / 'postgresql.auto.conf'}'"],
                  input_text=settings)
        standby._pg_ctl("start", "-w", "-t", "60", "-l", str(standby.log_file))
        return standby

    # -- passwords ----------------------------------------------------------------
    def hba_is_managed(self) -> bool:
        """Whether ``pg_hba.conf`` is gridpatrol's (passwords only), not e.g. a trusting
        one from before."""
        try:
            return (self.data_dir / "pg_hba.conf").read_text() == HBA_CONF
        except FileNotFoundError:
            return False

    def secure(self) -> bool:
        """Give every role the password in its file and put gridpatrol's ``pg_hba.conf``
        in place (reloading the running server). Returns whether ``pg_hba.conf`` had to be
        rewritten: a cluster that trusted local connections has just been moved to
        passwords. Idempotent; the server must be running."""
        rewrite = not self.hba_is_managed()
        with self._admin_connection("postgres") as conn:
            for role in ROLES:
                self._ensure_role(conn, role, self.credentials.ensure(role))
            loaded_at = conn.execute("SELECT pg_conf_load_time()").fetchone()
        if rewrite:
            logger.info("%s trusted local connections or was edited: every role now needs "
                        "its password", self.data_dir / "pg_hba.conf")
            self._write_as_service_user(self.data_dir / "pg_hba.conf", HBA_CONF)
            self._pg_ctl("reload")
            self._wait_for_reload(loaded_at[0] if loaded_at else None)
        return rewrite

    def rotate_password(self, role: str) -> None:
        """Give ``role`` a new random password: the server first, then its file. Running
        processes keep their connections; new ones read the new file."""
        if role not in ROLES:
            raise ClusterError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        secret = new_secret()
        with self._admin_connection("postgres") as conn:
            self._ensure_role(conn, role, secret)
            self.credentials.replace(role, secret)
        logger.info("password of %s rotated", role)

    def _ensure_role(self, conn: psycopg.Connection, role: str, secret: str) -> None:
        verifier = conn.pgconn.encrypt_password(secret.encode(), role.encode(),
                                                b"scram-sha-256").decode()
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(verifier)))
        else:
            extra = sql.SQL("LOGIN CREATEDB" if role == OWNER_ROLE else "LOGIN")
            conn.execute(sql.SQL("CREATE ROLE {} {} PASSWORD {}").format(
                sql.Identifier(role), extra, sql.Literal(verifier)))

    def _wait_for_reload(self, before: object) -> None:
        """Wait until the server has re-read its configuration (new connections see a
        later ``pg_conf_load_time``), so the new rules hold when ``start`` returns."""
        deadline = time.monotonic() + RELOAD_WAIT_S
        while True:
            with self._admin_connection("postgres") as conn:
                row = conn.execute("SELECT pg_conf_load_time()").fetchone()
            if before is None or (row is not None and row[0] != before):
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"the server did not reload {self.data_dir / 'pg_hba.conf'} "
                                   f"within {RELOAD_WAIT_S:g} s; see {self.log_file}")
            time.sleep(0.05)

    @contextmanager
    def _admin_connection(self, database: str) -> Iterator[psycopg.Connection]:
        try:
            conn = psycopg.connect(self.conninfo(ADMIN_ROLE, database), autocommit=True)
        except psycopg.OperationalError as exc:
            raise ClusterError(
                f"cannot sign in to the embedded cluster as {ADMIN_ROLE} with "
                f"{self.passfile(ADMIN_ROLE)}: {str(exc).strip()}. If that file was lost, "
                "see the README (\"The database\", \"A lost password file\")") from None
        with conn:
            yield conn

    # -- databases and roles ------------------------------------------------------
    def ensure_database(self, name: str) -> None:
        """Create the roles (if missing), the database ``name`` owned by the owner role,
        and PostGIS."""
        with self._admin_connection("postgres") as conn:
            for role in (OWNER_ROLE, APP_ROLE):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                      (role,)).fetchone()
                if not exists:
                    self._ensure_role(conn, role, self.credentials.ensure(role))
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(OWNER_ROLE)))
        with self._admin_connection(name) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)))

    def drop_database(self, name: str) -> None:
        with self._admin_connection("postgres") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    # -- helpers ------------------------------------------------------------------
    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run([str(_pg_bindir() / "pg_ctl"), "-D", str(self.data_dir), *args],
                         check=check)

    def _run(self, argv: list[str], *, check: bool = True, input_text: str | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        if _running_as_root():
            argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, check=False,
                                input=input_text, cwd="/", env=env)
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            if "start" in argv and self.log_file.exists():
                detail += "\n" + self.log_file.read_text(errors="replace")[-2000:]
            raise ClusterError(f"{' '.join(argv)} failed: {detail}")
        return result

    def _write_as_service_user(self, path: Path, text: str) -> None:
        """Write a private file (0600) as the cluster's owner, atomically."""
        self._run(["sh", "-c", 'umask 077 && cat > "$1.tmp" && mv "$1.tmp" "$1"', "sh",
                   str(path)], input_text=text)

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
