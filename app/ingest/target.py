"""Where an MQTT client connects: ``GRIDPATROL_MQTT_URL``, or a client of the own broker.

``mqtt://user@host:port?passfile=/path/user.secret`` (the password read from the file at
each connection, as libpq reads a ``passfile``), ``mqtt://user:password@host:port``
(discouraged: the password is in the environment), ``mqtts://`` for TLS with the
system's CA store (``?cafile=`` for another one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


class MqttUrlError(ValueError):
    """A broker URL that cannot be used."""


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    username: str | None
    password: str | None = None
    passfile: Path | None = None
    tls: bool = False
    cafile: Path | None = None

    def password_now(self) -> str | None:
        """The password, read from the password file at each connection."""
        if self.passfile is not None:
            try:
                return self.passfile.read_text().strip()
            except OSError as exc:
                raise MqttUrlError(f"cannot read {self.passfile} ({exc.strerror})") from None
        return self.password

    def safe(self) -> str:
        """The target for logs: never the password."""
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.username or ''}@{self.host}:{self.port}"


def parse_mqtt_url(raw: str) -> MqttTarget:
    """Read an ``mqtt://`` or ``mqtts://`` URL; raise :class:`MqttUrlError` naming what is
    wrong."""
    parts = urlsplit(raw)
    if parts.scheme not in DEFAULT_PORTS:
        raise MqttUrlError("expected an mqtt:// or mqtts:// URL")
    if not parts.hostname:
        raise MqttUrlError("the URL names no host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise MqttUrlError("the port is not a number from 1 to 65535") from None
    query = parse_qs(parts.query)
    unknown = set(query) - {"passfile", "cafile"}
    if unknown:
        raise MqttUrlError(f"unknown URL parameters: {', '.join(sorted(unknown))}")
    passfile = Path(query["passfile"][0]) if "passfile" in query else None
    cafile = Path(query["cafile"][0]) if "cafile" in query else None
    password = unquote(parts.password) if parts.password else None
    if passfile is not None and password is not None:
        raise MqttUrlError("give the password or a passfile, not both")
    return MqttTarget(parts.hostname, port, unquote(parts.username) if parts.username else None,
                      password, passfile, parts.scheme == "mqtts", cafile)
