"""Started as root, gridpatrol serves as the ``gridpatrol`` system user.

``scripts/bootstrap.sh`` creates the account (``useradd --system``, no login shell, no
home, member of the ``postgres`` group so it can reach the embedded cluster's socket).
Before the servers start, :func:`prepare` gives it exactly what serving needs and checks
it, as that user, before anything listens:

- read: the checkout and its ``.venv`` and ``node_modules`` (not changed here: a checkout
  under a folder closed to others is refused with the fix), ``instance/secret_key``
  (group ``gridpatrol``, mode 0640);
- write: ``instance/run/`` (its own: sockets, caches; 0700) and the outbox files (radio,
  maintenance tickets)
  when the gateway is a file;
- connect: the database (the embedded cluster's socket opened to the ``postgres`` group).

The front binds its address as root, starts gunicorn as the account, then becomes the
account itself (:meth:`Account.become`); nothing of gridpatrol keeps running as root.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT_NAME = "gridpatrol"
ROOT = Path(__file__).resolve().parents[2]


class ServiceUserError(RuntimeError):
    """The service account is missing or cannot reach what serving needs."""


def running_as_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Account:
    """A system account to run as: its ids and supplementary groups."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]

    @classmethod
    def named(cls, name: str = ACCOUNT_NAME) -> Account:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise ServiceUserError(
                f"started as root, gridpatrol serves as the system user {name!r}, which does "
                f"not exist: run scripts/bootstrap.sh (or `useradd --system --user-group "
                f"--groups postgres --shell /usr/sbin/nologin --no-create-home {name}`)"
            ) from None
        groups = tuple(g for g in os.getgrouplist(name, entry.pw_gid) if g != entry.pw_gid)
        return cls(name, entry.pw_uid, entry.pw_gid, groups)

    def spawn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``subprocess``/``asyncio`` to start a child as this user."""
        return {"user": self.uid, "group": self.gid, "extra_groups": list(self.groups)}

    def become(self) -> None:
        """Drop this process from root to the account, for good."""
        os.setgroups(list(self.groups))
        os.setgid(self.gid)
        os.setuid(self.uid)
        if os.getuid() != self.uid or os.geteuid() != self.uid:
            raise ServiceUserError(f"could not become {self.name}")
        try:
            os.setuid(0)
        except PermissionError:
            return
        raise ServiceUserError(f"became {self.name} but could still return to root")


def run_dir(instance: Path) -> Path:
    return instance / "run"


def prepare(account: Account, *, instance: Path, conninfo: str,
            outboxes: Sequence[Path], socket_dir: Path | None) -> None:
    """Give ``account`` what serving needs under ``instance`` and check it, as the account
    (raises :class:`ServiceUserError` naming what is missing and how to fix it)."""
    _open_to_group(instance, account.gid, 0o010)
    secret = instance / "secret_key"
    if secret.is_file():
        os.chown(secret, 0, account.gid)
        os.chmod(secret, 0o640)
    runtime = run_dir(instance)
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.chown(runtime, account.uid, account.gid)
    os.chmod(runtime, 0o700)
    for outbox in outboxes:
        outbox.parent.mkdir(parents=True, exist_ok=True)
        outbox.touch(exist_ok=True)
        os.chown(outbox, account.uid, account.gid)
        os.chmod(outbox, 0o640)
    if socket_dir is not None:
        owner_group = socket_dir.stat().st_gid
        if owner_group not in account.groups and owner_group != account.gid:
            group = grp.getgrgid(owner_group).gr_name
            raise ServiceUserError(
                f"{account.name} cannot reach the database socket in {socket_dir} (group "
                f"{group}): run scripts/bootstrap.sh, or `usermod -aG {group} {account.name}`")
    check_access(account, instance=instance, conninfo=conninfo, outboxes=outboxes)


def _open_to_group(folder: Path, gid: int, bits: int) -> None:
    """Let group ``gid`` into ``folder`` when others may not enter it."""
    mode = folder.stat().st_mode
    if mode & 0o001:
        return
    os.chown(folder, -1, gid)
    os.chmod(folder, (mode & 0o7777) | bits)


_CHECK = r"""
import json, os, sys
spec = json.loads(sys.stdin.read())
missing = [f"read {p}" for p in spec["read"] if not os.access(p, os.R_OK)]
missing += [f"write {p}" for p in spec["write"] if not os.access(p, os.W_OK)]
if not missing:
    import psycopg
    try:
        with psycopg.connect(spec["conninfo"], connect_timeout=10) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        missing.append("connect to the database: " + str(exc).strip().splitlines()[0])
print(json.dumps(missing))
"""


def check_access(account: Account, *, instance: Path, conninfo: str,
                 outboxes: Sequence[Path]) -> None:
    """Run a short check as ``account``: can it read, write and connect what it must?"""
    read = [ROOT / "wsgi.py", ROOT / "app" / "__init__.py", instance / "secret_key"]
    if (ROOT / "node_modules").is_dir():
        read.append(ROOT / "node_modules")
    write = [run_dir(instance), *outboxes]
    spec = {"read": [str(p) for p in read if p.exists()], "write": [str(p) for p in write],
            "conninfo": conninfo}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(run_dir(instance))}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    try:
        done = subprocess.run([sys.executable, "-c", _CHECK], input=json.dumps(spec),
                              capture_output=True, text=True, cwd="/", timeout=60,
                              check=False, env=env, **account.spawn_options())
    except OSError:
        done = None
    if done is None or done.returncode != 0:
        closed = closed_folders(account, [Path(sys.executable).resolve(), ROOT])
        where = f" ({', '.join(map(str, closed))} closed to it)" if closed else ""
        detail = done.stderr.strip()[-300:] if done is not None else ""
        raise ServiceUserError(
            f"{account.name} cannot run {sys.executable} with the code in {ROOT}{where}. "
            "Keep the checkout and the Python it runs where other users may enter (e.g. "
            "/opt/gridpatrol with a .venv made from /usr/bin/python3, as "
            f"scripts/bootstrap.sh does when run as root). {detail}")
    missing = json.loads(done.stdout or "[]")
    if missing:
        raise ServiceUserError(f"{account.name} cannot " + "; ".join(missing))


def closed_folders(account: Account, paths: list[Path]) -> list[Path]:
    """The folders on the way to ``paths`` that ``account`` may not enter."""
    closed: list[Path] = []
    for path in paths:
        for folder in reversed(path.parents):
            try:
                info = folder.stat()
            except OSError:
                continue
            if info.st_uid == account.uid:
                allowed = info.st_mode & 0o100
            elif info.st_gid == account.gid or info.st_gid in account.groups:
                allowed = info.st_mode & 0o010
            else:
                allowed = info.st_mode & 0o001
            if not allowed and folder not in closed:
                closed.append(folder)
                break
    return closed
