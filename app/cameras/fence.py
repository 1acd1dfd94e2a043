"""The stream fence: where the server may fetch camera streams from.

A camera's stream URL makes the *server* connect somewhere, so it is fenced twice: when
it is saved (the API, the CSV import: a 422 naming ``stream_url`` and the rule) and again
in the grab worker right before connecting (DNS may have changed since; HTTP redirects are
followed only to places the fence allows, and every connection, redirected or not, goes to
an address checked just before). The rules, each named in the refusal:

``url``
    The URL can be read (a host, a port in range, brackets closed).
``scheme``
    The scheme is one of ``GRIDPATROL_CAMERA_SCHEMES`` (default rtsp, rtsps, http, https,
    file); a bare absolute path counts as ``file``.
``camera_networks``
    The host (an address, or a name resolved on this server) has addresses, and every one
    of them lies inside ``GRIDPATROL_CAMERA_NETWORKS`` (default: the private ranges police
    video networks are addressed from — RFC 1918 10/8, 172.16/12, 192.168/16 and IPv6
    unique-local fc00::/7).
``loopback`` and ``link_local``
    127/8, ::1 and 169.254/16, fe80::/10 (the cloud metadata address among them) are
    refused even inside a listed network, unless a listed network is itself loopback or
    link-local (``127.0.0.1/32`` lets a local test camera in; ``0.0.0.0/0`` does not).
``reserved``
    0.0.0.0/8, ``::``, multicast and broadcast addresses: never.
``unresolvable``
    The name has no address on this server.
``media_dir``
    Files only under ``GRIDPATROL_MEDIA_DIR`` (unset: no file streams): no ``..``
    component, and the path with its symlinks resolved must stay inside the folder.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit
from urllib.request import url2pathname

from app.errors import InvalidValue

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALL_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
DEFAULT_NETWORKS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
RESERVED = (ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("255.255.255.255/32"))


class StreamRefused(ValueError):
    """A stream URL the fence does not let the server fetch; ``rule`` names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def parse_networks(raw: str) -> tuple[IPNetwork, ...]:
    """``"10.0.0.0/8, 192.168.1.20"`` → networks; a host address is its own /32 (/128).
    Raises ValueError on junk or host bits set (``10.0.0.1/8``)."""
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=True))
        except ValueError as exc:
            raise ValueError(f"{part!r} is not a network in CIDR form ({exc})") from None
    if not networks:
        raise ValueError("expected at least one network in CIDR form, e.g. 10.0.0.0/8")
    return tuple(networks)


def parse_schemes(raw: str) -> frozenset[str]:
    schemes = {p.strip().lower() for p in raw.split(",") if p.strip()}
    unknown = sorted(schemes - set(ALL_SCHEMES))
    if unknown or not schemes:
        raise ValueError(f"expected some of {', '.join(ALL_SCHEMES)}, got {raw!r}")
    return frozenset(schemes)


def parse_media_dir(raw: str) -> Path:
    path = Path(raw)
    if not path.is_absolute():
        raise ValueError(f"expected an absolute folder path, got {raw!r}")
    return path


def system_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to on this server (A and AAAA)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)]


@dataclass(frozen=True)
class Target:
    """A stream URL the fence let through: where to connect, or which file to read."""

    url: str
    scheme: str
    host: str = ""
    port: int = 0
    addresses: tuple[str, ...] = ()
    path: Path | None = None

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address, so the stream library
        connects there and resolves nothing itself."""
        parts = urlsplit(self.url)
        address = self.addresses[0]
        shown = f"[{address}]" if ":" in address else address
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (f"{userinfo}@" if userinfo else "") + shown + (
            f":{parts.port}" if parts.port is not None else "")
        return SplitResult(self.scheme, netloc, parts.path, parts.query, "").geturl()


@dataclass(frozen=True)
class StreamFence:
    """The rules above, for one configuration. ``resolve`` looks names up (the system's
    resolver; a test may pass its own table)."""

    schemes: frozenset[str] = frozenset(ALL_SCHEMES)
    networks: tuple[IPNetwork, ...] = field(
        default_factory=lambda: parse_networks(DEFAULT_NETWORKS))
    media_dir: Path | None = None
    resolve: Callable[[str, int], list[str]] = system_addresses

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StreamFence:
        """From the app's ``CAMERA_SCHEMES``, ``CAMERA_NETWORKS`` and ``MEDIA_DIR``
        (parsed values, or their text as in the environment)."""
        schemes = config.get("CAMERA_SCHEMES") or ",".join(ALL_SCHEMES)
        networks = config.get("CAMERA_NETWORKS") or DEFAULT_NETWORKS
        media = config.get("MEDIA_DIR")
        return cls(schemes=parse_schemes(schemes) if isinstance(schemes, str)
                   else frozenset(schemes),
                   networks=parse_networks(networks) if isinstance(networks, str)
                   else tuple(networks),
                   media_dir=parse_media_dir(media) if isinstance(media, str) else media)

    def check(self, url: str, *, schemes: Iterable[str] | None = None) -> Target:
        """Resolve and check ``url``; the :class:`Target` to fetch, or
        :class:`StreamRefused` naming the rule. ``schemes`` narrows the allowed schemes
        (a redirect may only go to http or https)."""
        allowed = self.schemes if schemes is None else self.schemes & set(schemes)
        if url.startswith("/"):
            return self._file(url, url, allowed)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise StreamRefused("url", f"{shown_url(url)} is not a usable URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise StreamRefused("media_dir", "a file: URL must name a file on this server")
            return self._file(url, url2pathname(parts.path), allowed)
        if scheme not in allowed or scheme not in DEFAULT_PORTS:
            raise StreamRefused("scheme", f"scheme {scheme or '(none)'!r} is not allowed "
                                f"(GRIDPATROL_CAMERA_SCHEMES: {', '.join(sorted(allowed))})")
        host = parts.hostname or ""
        if not host:
            raise StreamRefused("url", f"{shown_url(url)} names no host")
        port = port or DEFAULT_PORTS[scheme]
        return Target(url, scheme, host, port, self.addresses(host, port))

    def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """Every address of ``host``, each checked: all must be allowed."""
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        elif "%" in host:  # an IPv6 zone index: link-local by definition
            raise StreamRefused("link_local", f"{host} is a link-local address")
        else:
            try:
                found = list(dict.fromkeys(self.resolve(host, port)))
            except (OSError, UnicodeError):
                found = []
            if not found:
                raise StreamRefused("unresolvable", f"host {host} does not resolve on this "
                                    "server")
        for address in found:
            self._check_address(host, ipaddress.ip_address(address.split("%")[0]))
        return tuple(found)

    def _check_address(self, host: str, address: IPAddress) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        named = host if host == str(address) else f"{host} ({address})"
        if address.is_unspecified or address.is_multicast or _within(address, RESERVED):
            raise StreamRefused("reserved", f"{named} is a reserved address")
        for rule, special, kind in (("loopback", LOOPBACK, "loopback"),
                                    ("link_local", LINK_LOCAL, "link-local")):
            if _within(address, special) or (rule == "link_local" and address.is_link_local):
                listed = [n for n in self.networks if _within(address, [n])
                          and any(n.version == s.version and n.subnet_of(s)  # type: ignore[arg-type]
                                  for s in special)]
                if not listed:
                    raise StreamRefused(rule, f"{named} is a {kind} address, refused unless "
                                        f"GRIDPATROL_CAMERA_NETWORKS lists a {kind} network")
                return
        if not _within(address, self.networks):
            raise StreamRefused("camera_networks", f"{named} is outside the camera networks "
                                f"(GRIDPATROL_CAMERA_NETWORKS: "
                                f"{', '.join(map(str, self.networks))})")

    def _file(self, url: str, path: str, allowed: frozenset[str]) -> Target:
        if "file" not in allowed:
            raise StreamRefused("scheme", "file streams are not allowed "
                                f"(GRIDPATROL_CAMERA_SCHEMES: {', '.join(sorted(allowed))})")
        if self.media_dir is None:
            raise StreamRefused("media_dir", "file streams need GRIDPATROL_MEDIA_DIR, the "
                                "folder they must lie in (it is not set)")
        if not path.startswith("/") or ".." in Path(path).parts:
            raise StreamRefused("media_dir", "a file stream needs an absolute path without "
                                "'..'")
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(os.path.realpath(self.media_dir)):
            raise StreamRefused("media_dir", f"{path} is not inside GRIDPATROL_MEDIA_DIR "
                                f"({self.media_dir})" + (" once its links are followed"
                                                          if real != Path(path) else ""))
        return Target(url, "file", path=real)


def refused_field(exc: StreamRefused, *, field: str = "stream_url") -> InvalidValue:
    """The API's answer to a refused URL: 422 naming the field and the rule."""
    return InvalidValue(f"{field}: {exc.message} (rule: {exc.rule})", field=field,
                        code="stream_url_refused", extra={"rule": exc.rule})


def _within(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def shown_url(url: str) -> str:
    """``url`` without credentials, query or fragment (they may hold secrets)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "this"
    if not parts.netloc:
        return url[:200]
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"[:200]
