"""The embedded cluster's role passwords, one private file per role.

Each role's secret lives in ``instance/db-secrets/<role>.pgpass`` as a libpq password
file (``*:*:*:<role>:<secret>``), mode 0600 in a 0700 folder, owned by the user who runs
gridpatrol. Started as root, ``gridpatrol serve`` hands the app role's file (only that one)
to the service account and lets its group through the folder (0710, no listing):
:meth:`Credentials.share`. Connection strings name the file (``passfile=``), never the password, so
a URL can be logged or shown without giving anything away, and libpq reads the file at
each new connection: a rotated password takes effect without restarting anything.

Secrets are 256-bit random URL-safe strings (no ``:`` or ``\\`` to escape). They are
made on first use and never printed.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

SECRETS_DIRNAME = "db-secrets"


class CredentialsError(RuntimeError):
    """A role's password file is missing, unreadable or malformed."""


def new_secret() -> str:
    """A fresh random password (256 bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Credentials:
    """The password files of one cluster, in ``folder``."""

    folder: Path

    def passfile(self, role: str) -> Path:
        """The libpq password file of ``role`` (it may not exist yet)."""
        return self.folder / f"{role}.pgpass"

    def has(self, role: str) -> bool:
        return self.passfile(role).is_file()

    def secret(self, role: str) -> str:
        """The password of ``role``, read from its file."""
        path = self.passfile(role)
        try:
            line = path.read_text().strip()
        except FileNotFoundError:
            raise CredentialsError(f"{path} is missing") from None
        except OSError as exc:
            raise CredentialsError(f"{path} cannot be read ({exc.strerror})") from None
        fields = line.split(":")
        if len(fields) != 5 or fields[3] != role or not fields[4]:
            raise CredentialsError(f"{path} is not a password file for {role}")
        return fields[4]

    def ensure(self, role: str) -> str:
        """The password of ``role``, made and stored first if there is none."""
        self._ensure_folder()
        path = self.passfile(role)
        if not path.exists():
            staged = self._stage(role, new_secret())
            try:
                os.link(staged, path)  # atomic create-if-absent: a racing start keeps one
            except FileExistsError:
                pass
            finally:
                staged.unlink()
        os.chmod(path, 0o600)
        return self.secret(role)

    def replace(self, role: str, secret: str) -> None:
        """Store a new password for ``role`` (atomically: readers see old or new); a file
        handed to another user stays theirs."""
        self._ensure_folder()
        staged = self._stage(role, secret)
        try:
            owner = self.passfile(role).stat()
        except FileNotFoundError:
            owner = None
        if owner is not None and owner.st_uid != os.geteuid():
            os.chown(staged, owner.st_uid, owner.st_gid)
        os.replace(staged, self.passfile(role))

    def share(self, role: str, uid: int, gid: int) -> None:
        """Hand ``role``'s file to user ``uid`` (mode 0600, as libpq demands) and let group
        ``gid`` pass through the folder without listing it. Root only."""
        self.ensure(role)
        os.chown(self.folder, -1, gid)
        os.chmod(self.folder, 0o710)  # noqa: S103 (group: traverse only, to its own file)
        os.chown(self.passfile(role), uid, gid)

    def _stage(self, role: str, secret: str) -> Path:
        staged = self.folder / f".{role}.{secrets.token_hex(4)}.new"
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"*:*:*:{role}:{secret}\n")
        return staged

    def _ensure_folder(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(self.folder.stat().st_mode) not in (0o700, 0o710):  # 0710: shared
            os.chmod(self.folder, 0o700)
