"""Radio gateways: the edge adapters that send an outbound :class:`RadioMessage`.

:class:`FileGateway` (JSON lines for a bridge process), :class:`WebhookGateway` (HTTP POST)
and :class:`NullGateway`; :func:`gateway_from_config` picks one from the setting. ``send``
never raises for a transport failure: it returns ``DeliveryResult(False, reason)`` for the
radio log and logs the failure.

Decisions
---------
- The webhook ignores environment proxies (the gateway sits on the dispatch network) and
  follows no redirects (the token must not travel to another host).
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from dispatch.radio.fields import is_number
from dispatch.radio.messages import RadioMessage, encode_message

logger = logging.getLogger(__name__)


class GatewayConfigError(ValueError):
    """A radio gateway setting that is not one of the accepted forms."""


@dataclass(frozen=True)
class DeliveryResult:
    """What a gateway did with a message: ``delivered`` and a short ``detail`` for the log."""

    delivered: bool
    detail: str


@runtime_checkable
class RadioGateway(Protocol):
    """An outbound radio channel."""

    def send(self, message: RadioMessage) -> DeliveryResult:
        """Send ``message``; report a transport failure in the result, never by raising."""
        ...


class FileGateway(RadioGateway):
    """Append each message as one JSON line to a file that a radio bridge process reads.

    Each message is one ``write`` on a descriptor opened with ``O_APPEND`` and then
    fsynced, so processes appending to the same local file never interleave lines and
    ``delivered`` means the line is on disk.

    Parameters
    ----------
    path : str or os.PathLike
        The JSON-lines file; created (mode 0640) when missing, its folder must exist.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FileGateway({str(self.path)!r})"

    def send(self, message: RadioMessage) -> DeliveryResult:
        """Append ``message``; see the class docstring."""
        line = encode_message(message)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o640)
            try:
                written = os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            logger.exception("radio message %s not written to %s", message.message_id,
                             self.path)
            return DeliveryResult(False, f"cannot write {self.path}: {error.strerror}")
        if written != len(line):
            logger.error("radio message %s: short write to %s (%d of %d bytes)",
                         message.message_id, self.path, written, len(line))
            return DeliveryResult(False, f"short write to {self.path}")
        return DeliveryResult(True, f"appended to {self.path}")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx then surfaces as an HTTPError


class WebhookGateway(RadioGateway):
    """POST each message as JSON to a radio gateway's HTTP endpoint.

    Headers: ``Content-Type: application/json; charset=utf-8``, ``Idempotency-Key`` (the
    message id) and, with a token, ``Authorization: Bearer <token>``. A 2xx answer is
    delivered; another status, a refused connection or a timeout is not (and is logged with
    the URL's scheme, host and path only: never the token or the query).

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` URL, without user name or password.
    timeout_s : float, keyword-only
        Seconds allowed for connecting and for each read.
    token : str or None, keyword-only
        Bearer token; printable ASCII without spaces.
    """

    def __init__(self, url: str, *, timeout_s: float = 2.0, token: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GatewayConfigError("webhook URL must be http:// or https:// with a host")
        if parts.username is not None or parts.password is not None:
            raise GatewayConfigError("webhook URL must not carry credentials; pass a token")
        if not is_number(timeout_s) or timeout_s <= 0:
            raise GatewayConfigError("webhook timeout_s must be a positive number")
        if token is not None and re.fullmatch(r"[\x21-\x7e]+", token) is None:
            raise GatewayConfigError("webhook token must be printable ASCII without spaces")
        self.url = url
        self.timeout_s = float(timeout_s)
        self._token = token
        self._safe_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   _RefuseRedirects())

    def __repr__(self) -> str:
        return f"WebhookGateway({self._safe_url!r}, timeout_s={self.timeout_s})"

    def send(self, message: RadioMessage) -> DeliveryResult:
        """POST ``message``; see the class docstring."""
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Idempotency-Key": message.message_id,
                   "User-Agent": "gridpatrol-radio/1"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        # The scheme was checked to be http(s) in __init__, and redirects are refused.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=encode_message(message), headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            error.close()
            logger.error("radio webhook %s answered HTTP %d to message %s", self._safe_url,
                         error.code, message.message_id)
            return DeliveryResult(False, f"HTTP {error.code} {error.reason}")
        except (OSError, http.client.HTTPException) as error:
            logger.exception("radio webhook %s failed for message %s", self._safe_url,
                             message.message_id)
            return DeliveryResult(False, self._reason(error))
        return DeliveryResult(True, f"HTTP {status}")

    def _reason(self, error: Exception) -> str:
        cause: object = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(cause, TimeoutError):
            return f"timed out after {self.timeout_s:g} s"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        return f"{type(cause).__name__}: {cause}"


class NullGateway(RadioGateway):
    """The gateway when none is configured: nothing is sent."""

    def __repr__(self) -> str:
        return "NullGateway()"

    def send(self, message: RadioMessage) -> DeliveryResult:
        """Return undelivered with ``"no radio gateway configured"``."""
        logger.warning("radio message %s not sent: no radio gateway configured",
                       message.message_id)
        return DeliveryResult(False, "no radio gateway configured")


def gateway_from_config(value: str | None, *, token: str | None = None,
                        timeout_s: float = 2.0) -> RadioGateway:
    """Return the gateway a setting names.

    Parameters
    ----------
    value : str or None
        ``"file:/abs/path.jsonl"`` (or ``"file:///abs/path.jsonl"``): :class:`FileGateway`;
        ``"http://…"`` or ``"https://…"``: :class:`WebhookGateway`; None or blank:
        :class:`NullGateway`.
    token, timeout_s : keyword-only
        Passed to :class:`WebhookGateway`.

    Raises
    ------
    GatewayConfigError
        For any other value (naming the accepted forms), a relative file path or a bad URL.
    """
    if value is None or not value.strip():
        return NullGateway()
    value = value.strip()
    scheme, colon, rest = value.partition(":")
    scheme = scheme.lower() if colon else ""
    if scheme == "file":
        path = rest[2:] if rest.startswith("//") else rest
        if not path.startswith("/"):
            raise GatewayConfigError("radio gateway file path must be absolute: file:/path")
        return FileGateway(path)
    if scheme in ("http", "https"):
        return WebhookGateway(value, timeout_s=timeout_s, token=token)
    shown = f"scheme {scheme!r}" if scheme else "a value without a scheme"
    raise GatewayConfigError(
        f"radio gateway: {shown} is not accepted; use 'file:/absolute/path.jsonl', "
        "'http://host/path' or 'https://host/path', or leave it empty for none"
    )
