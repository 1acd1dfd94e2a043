"""Radio: orders out through a gateway adapter; calls, unit events and acks parsed in.

Outbound, the service writes an order into ``radio_log``, builds a :class:`RadioMessage`
(:func:`dispatch_order`, :func:`cancel_order`, :func:`text_message`) and hands it to a
:class:`RadioGateway`. Gateways are small edge adapters: :class:`FileGateway` (JSON lines
for a bridge process), :class:`WebhookGateway` (HTTP POST) and :class:`NullGateway`.
``send`` never raises for a transport failure: it returns ``DeliveryResult(False, reason)``
for the radio log and logs the failure.

Inbound, the parsers are pure and raise :class:`RadioFormatError` naming the field:
:func:`parse_trunk_recorder_call` (trunk-recorder's per-call JSON), :func:`parse_mqtt_status`
(trunk-recorder's MQTT status plugin) and :func:`parse_ack` (the text acknowledgement).

Decisions
---------
- Radio IDs and talkgroups are text (decimal digits for P25 as trunk-recorder writes
  them as integers), so that they compare directly with ``RadioMessage.talkgroup`` and with
  the radio-ID-to-unit table whatever the radio system.
- Times are epoch seconds in the inbound data (integers, floats or digit strings: the
  plugin's unit ``call`` message sends its ``timestamp`` as a string) and timezone-aware
  UTC datetimes everywhere here.
- An MQTT message's kind is its ``type``; only a message without one (the plugin's
  status, on ``…/trunk_recorder/status``) takes its kind from the topic's last segment.
- The webhook ignores environment proxies (the gateway sits on the dispatch network) and
  follows no redirects (the token must not travel to another host).

Acknowledgement text protocol
-----------------------------
One line, ``<keyword> <reference> <callsign> [note]``:

- keyword: ``ACK`` (any case), ``确认`` or ``收到``;
- reference: the alert number from the order, digits, optionally written ``#41``;
- callsign: the acknowledging unit, letters, digits, CJK characters, ``-``, ``_``, ``.``,
  ``/`` (at most 32; ASCII letters are upper-cased);
- note: any free text after it, e.g. ``ETA 5 min``.

Tokens are separated by spaces or commas; between a Chinese keyword and the number the
separator may be left out (``确认41 P-12``). Full-width characters typed with a Chinese input
method (``ＡＣＫ　４１　Ｐ－１２``, ``＃``, ``，``) are read as their ASCII forms (NFKC).
``ACK 41 P-12`` and ``确认 #41 P-12 已出发`` both mean: unit P-12 acknowledges the order for
alert 41. :func:`format_ack` writes the canonical form.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import os
import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, TypeGuard, runtime_checkable
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

MessageKind = Literal["dispatch_order", "cancel", "text"]
MESSAGE_KINDS: Final = frozenset({"dispatch_order", "cancel", "text"})
FORMAT: Final = "gridpatrol.radio/1"
"""Value of the ``format`` key of every outbound message's JSON."""

LEVELS_ZH: Final[Mapping[str, str]] = MappingProxyType(
    {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
)
"""Chinese names of the alert levels; another level is written as it is."""

UNIT_MESSAGE_KINDS: Final = frozenset(
    {"call", "end", "on", "off", "ackresp", "join", "data", "ans_req", "location"}
)
"""MQTT unit messages: one radio (``unit``), in a body under the key named like the kind."""

CALL_MESSAGE_KINDS: Final = frozenset({"call_start", "call_end", "audio"})
"""MQTT status messages about one call, with its body under ``call``."""

_STATUS_BODIES: Final[Mapping[str, tuple[str, type[object]]]] = MappingProxyType({
    "rates": ("rates", list),
    "config": ("config", dict),
    "systems": ("systems", list),
    "system": ("system", dict),
    "calls_active": ("calls", list),
    "recorders": ("recorders", list),
    "recorder": ("recorder", dict),
    "message": ("message", dict),
    "console": ("console", dict),
    "plugin_status": ("status", str),
})
MQTT_KINDS: Final = frozenset(UNIT_MESSAGE_KINDS | CALL_MESSAGE_KINDS | set(_STATUS_BODIES))
"""Every kind :func:`parse_mqtt_status` reads."""

ACK_KEYWORDS: Final = ("ACK", "确认", "收到")


class RadioFormatError(ValueError):
    """Inbound radio data with a missing or unreadable field.

    Attributes
    ----------
    field : str
        Path of the field, e.g. ``"talkgroup"``, ``"srcList[1].src"``, ``"on.unit"``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class UnsupportedMessageType(RadioFormatError):
    """An MQTT message of a kind not in :data:`MQTT_KINDS`."""


class InvalidRadioMessage(ValueError):
    """An outbound message built with a missing or wrong field (``.field`` names it)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class GatewayConfigError(ValueError):
    """A radio gateway setting that is not one of the accepted forms."""


# -- outbound messages ------------------------------------------------------------------

@dataclass(frozen=True)
class AlertRef:
    """The alert an order is about.

    Attributes
    ----------
    alert_id : int
        The alert's number (``#41`` in the order text, the reference of an ack).
    level : str
        Alert level, e.g. ``"red"``.
    kind : str
        Alert kind code, e.g. ``"burglary"``.
    lon, lat : float
        Place of the alert, WGS-84 (EPSG:4326) decimal degrees.
    description : str
        Address or short description; may be empty.
    """

    alert_id: int
    level: str
    kind: str
    lon: float
    lat: float
    description: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.alert_id, bool) or not isinstance(self.alert_id, int) \
                or self.alert_id <= 0:
            raise InvalidRadioMessage("alert.id", "expected a positive integer")
        for name in ("level", "kind"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InvalidRadioMessage(f"alert.{name}", "expected non-empty text")
        for name, limit in (("lon", 180.0), ("lat", 90.0)):
            value = getattr(self, name)
            if not _is_number(value) or not -limit <= value <= limit:
                raise InvalidRadioMessage(f"alert.{name}", f"expected degrees within ±{limit:g}")

    def to_json(self) -> dict[str, Any]:
        """Return the alert as a JSON-ready dict (``id``, ``level``, ``kind``, ``lon``, …)."""
        return {"id": self.alert_id, "level": self.level, "kind": self.kind,
                "lon": self.lon, "lat": self.lat, "description": self.description}


@dataclass(frozen=True)
class RadioMessage:
    """One outbound radio message.

    Attributes
    ----------
    message_id : str
        Unique id, e.g. the ``radio_log`` row id; gateways may use it to drop repeats.
    kind : {"dispatch_order", "cancel", "text"}
    callsign : str
        The addressed unit, e.g. ``"P-12"``.
    radio_ids : tuple of str
        Radio IDs of the unit's radios; may be empty (the gateway then uses the talkgroup).
    talkgroup : str or None
        Talkgroup to send on, when not to the radios directly.
    alert : AlertRef or None
        Required for ``dispatch_order`` and ``cancel``.
    text : str
        The human line, Chinese then English for orders.
    created_at : datetime
        Timezone-aware; stored converted to UTC.
    """

    message_id: str
    kind: MessageKind
    callsign: str
    radio_ids: tuple[str, ...]
    talkgroup: str | None
    alert: AlertRef | None
    text: str
    created_at: datetime

    def __post_init__(self) -> None:
        for name in ("message_id", "callsign", "text"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InvalidRadioMessage(name, "expected non-empty text")
        if self.kind not in MESSAGE_KINDS:
            raise InvalidRadioMessage("kind", f"expected one of {sorted(MESSAGE_KINDS)}")
        if isinstance(self.radio_ids, str) or not all(
            isinstance(radio_id, str) and radio_id.strip() for radio_id in self.radio_ids
        ):
            raise InvalidRadioMessage("radio_ids", "expected a sequence of non-empty text")
        object.__setattr__(self, "radio_ids", tuple(self.radio_ids))
        if self.talkgroup is not None and (
            not isinstance(self.talkgroup, str) or not self.talkgroup.strip()
        ):
            raise InvalidRadioMessage("talkgroup", "expected non-empty text or None")
        if self.kind != "text" and not isinstance(self.alert, AlertRef):
            raise InvalidRadioMessage("alert", f"a {self.kind} needs the alert")
        if not isinstance(self.created_at, datetime) or self.created_at.utcoffset() is None:
            raise InvalidRadioMessage("created_at", "expected a timezone-aware datetime")
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))

    def to_json(self) -> dict[str, Any]:
        """Return the message as a JSON-ready dict; ``created_at`` as ISO 8601 with +00:00."""
        return {
            "format": FORMAT,
            "message_id": self.message_id,
            "kind": self.kind,
            "callsign": self.callsign,
            "radio_ids": list(self.radio_ids),
            "talkgroup": self.talkgroup,
            "alert": self.alert.to_json() if self.alert is not None else None,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }


def dispatch_order(message_id: str, *, callsign: str, alert: AlertRef, created_at: datetime,
                   radio_ids: Sequence[str] = (), talkgroup: str | None = None) -> RadioMessage:
    """Build the order sending ``callsign`` to ``alert``.

    The text reads e.g. ``派遣 P-12 前往红色警情 #41 burglary 位置 49.41010,8.69340 /
    DISPATCH P-12 to red alert #41 burglary at 49.41010,8.69340 — Hauptstr. 1``: latitude
    then longitude (WGS-84, 5 decimals, about 1 m), the description last when there is one.

    Parameters
    ----------
    message_id : str
        Unique id (the ``radio_log`` row id).
    callsign : str, keyword-only
    alert : AlertRef, keyword-only
    created_at : datetime, keyword-only
        Timezone-aware time of the order (this module reads no clock).
    radio_ids : sequence of str, keyword-only
    talkgroup : str or None, keyword-only

    Returns
    -------
    RadioMessage
    """
    place = f"{alert.lat:.5f},{alert.lon:.5f}"
    zh = (f"派遣 {callsign} 前往{_level_zh(alert.level)}警情 #{alert.alert_id} {alert.kind} "
          f"位置 {place}")
    en = f"DISPATCH {callsign} to {alert.level} alert #{alert.alert_id} {alert.kind} at {place}"
    return RadioMessage(message_id, "dispatch_order", callsign, _radio_ids(radio_ids), talkgroup,
                        alert, _with_description(f"{zh} / {en}", alert), created_at)


def cancel_order(message_id: str, *, callsign: str, alert: AlertRef, created_at: datetime,
                 radio_ids: Sequence[str] = (), talkgroup: str | None = None) -> RadioMessage:
    """Build the message cancelling ``callsign``'s order for ``alert``.

    The text reads e.g. ``取消 P-12 红色警情 #41 派遣 / CANCEL P-12 red alert #41``. Parameters
    as for :func:`dispatch_order`.
    """
    zh = f"取消 {callsign} {_level_zh(alert.level)}警情 #{alert.alert_id} 派遣"
    en = f"CANCEL {callsign} {alert.level} alert #{alert.alert_id}"
    return RadioMessage(message_id, "cancel", callsign, _radio_ids(radio_ids), talkgroup, alert,
                        f"{zh} / {en}", created_at)


def text_message(message_id: str, *, callsign: str, text: str, created_at: datetime,
                 radio_ids: Sequence[str] = (), talkgroup: str | None = None,
                 alert: AlertRef | None = None) -> RadioMessage:
    """Build a free-text message to ``callsign`` (the text is sent as typed, stripped)."""
    return RadioMessage(message_id, "text", callsign, _radio_ids(radio_ids), talkgroup, alert,
                        text.strip() if isinstance(text, str) else text, created_at)


def _radio_ids(radio_ids: Sequence[str]) -> tuple[str, ...]:
    if isinstance(radio_ids, str):  # not split into characters
        raise InvalidRadioMessage("radio_ids", "expected a sequence of radio IDs, not a string")
    return tuple(radio_ids)


def _level_zh(level: str) -> str:
    return LEVELS_ZH.get(level.lower(), level)


def _with_description(text: str, alert: AlertRef) -> str:
    description = alert.description.strip()
    return f"{text} — {description}" if description else text


def encode_message(message: RadioMessage) -> bytes:
    """Return ``message`` as one compact UTF-8 JSON line, ending in a newline."""
    line = json.dumps(message.to_json(), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return (line + "\n").encode("utf-8")


# -- gateways ---------------------------------------------------------------------------

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
        if not _is_number(timeout_s) or timeout_s <= 0:
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


# -- inbound: trunk-recorder per-call JSON ----------------------------------------------

@dataclass(frozen=True)
class RadioSource:
    """One transmission within a call: which radio keyed up, and when.

    Attributes
    ----------
    radio_id : str
        The transmitting radio's ID (trunk-recorder's ``src``).
    at : datetime
        UTC start of the transmission (``time``; from the call start plus ``pos`` without).
    offset_s : float
        Seconds from the call's start (``pos``; from ``at`` without).
    emergency : bool
    tag : str
        trunk-recorder's alias of the radio; may be empty.
    """

    radio_id: str
    at: datetime
    offset_s: float
    emergency: bool = False
    tag: str = ""


@dataclass(frozen=True)
class RadioCall:
    """One recorded call (trunk-recorder per-call JSON).

    Attributes
    ----------
    talkgroup : str
    start, stop : datetime
        UTC.
    frequency_hz : int
    emergency, encrypted : bool
    sources : tuple of RadioSource
        In the file's order.
    length_s : float or None
        Recorded audio length (``call_length``) when present.
    talkgroup_tag : str
    system : str
        trunk-recorder's ``short_name``.
    """

    talkgroup: str
    start: datetime
    stop: datetime
    frequency_hz: int
    emergency: bool
    encrypted: bool
    sources: tuple[RadioSource, ...]
    length_s: float | None = None
    talkgroup_tag: str = ""
    system: str = ""


def parse_trunk_recorder_call(data: Mapping[str, Any]) -> RadioCall:
    """Parse trunk-recorder's per-call JSON (the ``.json`` written beside each recording).

    Parameters
    ----------
    data : Mapping
        The decoded JSON object. Required: ``talkgroup`` (integer), ``start_time`` and
        ``stop_time`` (epoch seconds), ``freq`` (Hz) and ``srcList`` (list of objects with
        ``src`` and ``time`` or ``pos``). Optional: ``emergency``, ``encrypted`` (0/1 or
        booleans), ``call_length``, ``talkgroup_tag``, ``short_name``.

    Returns
    -------
    RadioCall

    Raises
    ------
    RadioFormatError
        Naming the first field missing or unreadable, e.g. ``srcList[1].src``.
    """
    return _read_call(data, "")


def _read_call(data: object, prefix: str) -> RadioCall:
    call = _mapping(data, prefix.rstrip(".") or "call")
    start = _epoch(_required(call, "start_time", prefix), prefix + "start_time")
    stop = _epoch(_required(call, "stop_time", prefix), prefix + "stop_time")
    if stop < start:
        raise RadioFormatError(prefix + "stop_time", "before start_time")
    sources_value = _required(call, "srcList", prefix)
    if not isinstance(sources_value, list):
        raise RadioFormatError(prefix + "srcList", "expected a list")
    length = call.get("call_length")
    return RadioCall(
        talkgroup=str(_integer(_required(call, "talkgroup", prefix), prefix + "talkgroup")),
        start=start,
        stop=stop,
        frequency_hz=round(_number(_required(call, "freq", prefix), prefix + "freq")),
        emergency=_flag(call.get("emergency", False), prefix + "emergency"),
        encrypted=_flag(call.get("encrypted", False), prefix + "encrypted"),
        sources=tuple(_read_source(item, start, f"{prefix}srcList[{i}].")
                      for i, item in enumerate(sources_value)),
        length_s=None if length is None else _number(length, prefix + "call_length"),
        talkgroup_tag=_text(call.get("talkgroup_tag", ""), prefix + "talkgroup_tag"),
        system=_text(call.get("short_name", ""), prefix + "short_name"),
    )


def _read_source(data: object, call_start: datetime, prefix: str) -> RadioSource:
    source = _mapping(data, prefix.rstrip("."))
    radio_id = str(_integer(_required(source, "src", prefix), prefix + "src"))
    offset = None if source.get("pos") is None else _number(source["pos"], prefix + "pos")
    if source.get("time") is not None:
        at = _epoch(source["time"], prefix + "time")
    elif offset is not None:
        at = call_start + timedelta(seconds=offset)
    else:
        raise RadioFormatError(prefix + "time", "missing (and no pos)")
    return RadioSource(
        radio_id=radio_id,
        at=at,
        offset_s=offset if offset is not None else (at - call_start).total_seconds(),
        emergency=_flag(source.get("emergency", False), prefix + "emergency"),
        tag=_text(source.get("tag", ""), prefix + "tag"),
    )


# -- inbound: trunk-recorder MQTT status plugin -----------------------------------------

@dataclass(frozen=True)
class RadioEvent:
    """One message of trunk-recorder's MQTT status plugin.

    Attributes
    ----------
    kind : str
        The message type, one of :data:`MQTT_KINDS` (``"location"``, ``"call_start"``, …).
    radio_id : str or None
        The unit (radio ID) for unit messages and ``call_start``/``call_end``; else None.
    talkgroup : str or None
        When the message names one.
    at : datetime or None
        UTC ``timestamp`` of the message; None only for ``plugin_status``, which has none.
    raw : Mapping
        The payload as received.
    system : str or None
        trunk-recorder's system name (``sys_name``, or ``short_name`` for ``audio``).
    radio_tag : str
        The radio's alias (``unit_alpha_tag``); may be empty.
    """

    kind: str
    radio_id: str | None
    talkgroup: str | None
    at: datetime | None
    raw: Mapping[str, Any] = field(hash=False, repr=False)
    system: str | None = None
    radio_tag: str = ""


def parse_mqtt_status(topic_or_type: str, payload: Mapping[str, Any]) -> RadioEvent:
    """Parse a message of trunk-recorder's MQTT status plugin.

    Parameters
    ----------
    topic_or_type : str
        The MQTT topic (e.g. ``"units/p25trunk/location"``) or the bare type. Used only when
        the payload has no ``type`` (the plugin's ``…/trunk_recorder/status`` message).
    payload : Mapping
        The decoded JSON payload.

    Returns
    -------
    RadioEvent

    Raises
    ------
    UnsupportedMessageType
        For a type not in :data:`MQTT_KINDS` (``field == "type"``).
    RadioFormatError
        Naming the first field missing or unreadable, e.g. ``location.unit``, ``timestamp``.
    """
    message = _mapping(payload, "payload")
    kind = _kind(topic_or_type, message)
    if kind == "plugin_status":
        at = None if message.get("timestamp") is None else _epoch(message["timestamp"],
                                                                  "timestamp")
        _text(_required(message, "status", ""), "status")
        return RadioEvent(kind, None, None, at, message)
    at = _epoch(_required(message, "timestamp", ""), "timestamp")
    if kind in UNIT_MESSAGE_KINDS or kind in ("call_start", "call_end"):
        key = "call" if kind in CALL_MESSAGE_KINDS else kind
        body = _mapping(_required(message, key, ""), key)
        p = key + "."
        talkgroup = body.get("talkgroup")
        if kind in ("call_start", "call_end"):
            talkgroup = _required(body, "talkgroup", p)
        return RadioEvent(
            kind,
            str(_integer(_required(body, "unit", p), p + "unit")),
            None if talkgroup is None else str(_integer(talkgroup, p + "talkgroup")),
            at,
            message,
            system=_optional_text(body, "sys_name", p),
            radio_tag=_optional_text(body, "unit_alpha_tag", p) or "",
        )
    if kind == "audio":
        body = _mapping(_required(message, "call", ""), "call")
        call = _read_call(_required(body, "metadata", "call."), "call.metadata.")
        return RadioEvent(kind, None, call.talkgroup, at, message, system=call.system or None)
    key, expected = _STATUS_BODIES[kind]
    if not isinstance(_required(message, key, ""), expected):
        raise RadioFormatError(key, f"expected a {'list' if expected is list else 'object'}")
    return RadioEvent(kind, None, None, at, message)


def _kind(topic_or_type: str, message: Mapping[str, Any]) -> str:
    if "type" in message:
        kind = _text(message["type"], "type")
    else:
        segment = str(topic_or_type).rstrip("/").rsplit("/", 1)[-1]
        kind = {"status": "plugin_status", "messages": "message"}.get(segment, segment)
    if kind not in MQTT_KINDS:
        raise UnsupportedMessageType("type", f"unsupported message type {kind!r}")
    return kind


# -- inbound: acknowledgement text ------------------------------------------------------

@dataclass(frozen=True)
class Ack:
    """An acknowledgement: ``callsign`` acknowledges the order for alert ``reference``."""

    reference: int
    callsign: str
    note: str = ""


_ACK_KEYWORD = re.compile(r"(?i:ACK)(?![A-Za-z])|确认|收到")
_ACK_REFERENCE = re.compile(r"[\s,:]*#?([0-9]{1,9})(?![0-9A-Za-z])")
_ACK_CALLSIGN = re.compile(r"[\s,]+([A-Za-z0-9\u3400-\u9fff][A-Za-z0-9\u3400-\u9fff._/-]{0,31})"
                           r"(?=[\s,]|$)")


def parse_ack(text: str) -> Ack:
    """Parse an acknowledgement line (protocol in the module docstring).

    Parameters
    ----------
    text : str
        E.g. ``"ACK 41 P-12"``, ``"确认 #41 P-12 已出发"``.

    Returns
    -------
    Ack

    Raises
    ------
    RadioFormatError
        ``field`` is ``"text"`` (not text, empty), ``"keyword"``, ``"reference"`` or
        ``"callsign"``.
    """
    if not isinstance(text, str):
        raise RadioFormatError("text", "expected text")
    line = unicodedata.normalize("NFKC", text).strip()
    if not line:
        raise RadioFormatError("text", "empty")
    keyword = _ACK_KEYWORD.match(line)
    if keyword is None:
        raise RadioFormatError("keyword", f"expected one of {', '.join(ACK_KEYWORDS)} first")
    reference = _ACK_REFERENCE.match(line, keyword.end())
    if reference is None or int(reference[1]) == 0:
        raise RadioFormatError("reference", "expected the alert number after the keyword")
    callsign = _ACK_CALLSIGN.match(line, reference.end())
    if callsign is None:
        raise RadioFormatError("callsign", "expected the unit's callsign after the number")
    note = line[callsign.end():].strip(" \t,")
    return Ack(int(reference[1]), callsign[1].upper(), note)


def format_ack(reference: int, callsign: str) -> str:
    """Return the canonical acknowledgement line, e.g. ``"ACK 41 P-12"``."""
    return f"ACK {reference} {callsign}"


# -- field readers ----------------------------------------------------------------------

def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RadioFormatError(name, f"expected an object, got {type(value).__name__}")
    return value


def _required(data: Mapping[str, Any], key: str, prefix: str) -> object:
    if key not in data or data[key] is None:
        raise RadioFormatError(prefix + key, "missing")
    return data[key]


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RadioFormatError(name, f"expected an integer, got {type(value).__name__}")
    return value


def _number(value: object, name: str) -> float:
    if not _is_number(value):
        raise RadioFormatError(name, f"expected a finite number, got {value!r}")
    return float(value)


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    raise RadioFormatError(name, f"expected 0, 1, true or false, got {value!r}")


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise RadioFormatError(name, f"expected text, got {type(value).__name__}")
    return value


def _optional_text(data: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = data.get(key)
    return None if value is None else _text(value, prefix + key)


def _epoch(value: object, name: str) -> datetime:
    """Read epoch seconds (integer, float or a string of digits) as an aware UTC datetime."""
    seconds = value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}(\.[0-9]+)?", value.strip()):
        seconds = float(value)
    if not _is_number(seconds):
        raise RadioFormatError(name, f"expected epoch seconds, got {value!r}")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RadioFormatError(name, f"epoch seconds out of range: {value!r}") from None
