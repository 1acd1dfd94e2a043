"""The MQTT clients' passwords, one private file per client (like the database roles').

Each client (``gridpatrol-ingest``, ``gridpatrol-app``, ``trunk-recorder``, one
``radio-<id>`` per terminal) has ``instance/mqtt-secrets/<client>.secret``: the password
on one line, mode 0600 in a 0700 folder, owned by the user who runs gridpatrol. The
broker gets only their salted hashes (``instance/mqtt/passwd``); connection URLs name the
file (``passfile=``), never the password. Secrets are 256-bit random URL-safe strings,
made on first use and never printed.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".secret"
CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


class ClientSecretError(RuntimeError):
    """A client's password file is missing, unreadable or malformed, or its name is bad."""


@dataclass(frozen=True)
class ClientSecrets:
    """The password files of one broker's clients, in ``folder``."""

    folder: Path

    def path(self, client: str) -> Path:
        if not CLIENT_NAME.fullmatch(client):
            raise ClientSecretError(f"{client!r} is not a client name (letters, digits, "
                                    "-, _ and ., at most 64)")
        return self.folder / f"{client}{SUFFIX}"

    def clients(self) -> list[str]:
        """Every client with a password file, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name[:-len(SUFFIX)] for p in self.folder.glob(f"*{SUFFIX}")
                      if CLIENT_NAME.fullmatch(p.name[:-len(SUFFIX)]))

    def secret(self, client: str) -> str:
        path = self.path(client)
        try:
            value = path.read_text().strip()
        except FileNotFoundError:
            raise ClientSecretError(f"{path} is missing") from None
        except OSError as exc:
            raise ClientSecretError(f"{path} cannot be read ({exc.strerror})") from None
        if not value or ":" in value or "\n" in value:
            raise ClientSecretError(f"{path} does not hold one password")
        return value

    def ensure(self, client: str) -> Path:
        """The client's password file, made (with a new random password) if missing."""
        path = self.path(client)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            staged = self.folder / f".{client}.{secrets.token_hex(4)}.new"
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
            try:
                os.link(staged, path)  # atomic create-if-absent
            except FileExistsError:
                pass
            finally:
                staged.unlink()
        return path

    def remove(self, client: str) -> bool:
        path = self.path(client)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def share(self, client: str, uid: int, gid: int) -> None:
        """Hand ``client``'s file to user ``uid`` and let group ``gid`` through the folder
        without listing it (the ingest service running as the service account). Root only."""
        path = self.ensure(client)
        os.chown(self.folder, -1, gid)
        os.chmod(self.folder, 0o710)  # noqa: S103 (group: traverse only, to its own file)
        os.chown(path, uid, gid)
