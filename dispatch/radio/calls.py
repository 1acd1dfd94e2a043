"""Inbound radio calls and unit events from trunk-recorder.

:func:`parse_trunk_recorder_call` reads trunk-recorder's per-call JSON into a
:class:`RadioCall`; :func:`parse_mqtt_status` reads a message of its MQTT status plugin into
a :class:`RadioEvent`. Both are pure and raise :class:`RadioFormatError` naming the field.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from dispatch.errors import UnsupportedMessageType as UnsupportedMessageType  # re-exported
from dispatch.radio.fields import (
    RadioFormatError,
    epoch,
    flag,
    integer,
    mapping,
    number,
    optional_text,
    required,
    text,
)

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
    call = mapping(data, prefix.rstrip(".") or "call")
    start = epoch(required(call, "start_time", prefix), prefix + "start_time")
    stop = epoch(required(call, "stop_time", prefix), prefix + "stop_time")
    if stop < start:
        raise RadioFormatError(prefix + "stop_time", "before start_time")
    sources_value = required(call, "srcList", prefix)
    if not isinstance(sources_value, list):
        raise RadioFormatError(prefix + "srcList", "expected a list")
    length = call.get("call_length")
    return RadioCall(
        talkgroup=str(integer(required(call, "talkgroup", prefix), prefix + "talkgroup")),
        start=start,
        stop=stop,
        frequency_hz=round(number(required(call, "freq", prefix), prefix + "freq")),
        emergency=flag(call.get("emergency", False), prefix + "emergency"),
        encrypted=flag(call.get("encrypted", False), prefix + "encrypted"),
        sources=tuple(_read_source(item, start, f"{prefix}srcList[{i}].")
                      for i, item in enumerate(sources_value)),
        length_s=None if length is None else number(length, prefix + "call_length"),
        talkgroup_tag=text(call.get("talkgroup_tag", ""), prefix + "talkgroup_tag"),
        system=text(call.get("short_name", ""), prefix + "short_name"),
    )


def _read_source(data: object, call_start: datetime, prefix: str) -> RadioSource:
    source = mapping(data, prefix.rstrip("."))
    radio_id = str(integer(required(source, "src", prefix), prefix + "src"))
    offset = None if source.get("pos") is None else number(source["pos"], prefix + "pos")
    if source.get("time") is not None:
        at = epoch(source["time"], prefix + "time")
    elif offset is not None:
        try:
            at = call_start + timedelta(seconds=offset)
        except OverflowError:
            raise RadioFormatError(prefix + "pos", f"out of range: {offset!r}") from None
    else:
        raise RadioFormatError(prefix + "time", "missing (and no pos)")
    return RadioSource(
        radio_id=radio_id,
        at=at,
        offset_s=offset if offset is not None else (at - call_start).total_seconds(),
        emergency=flag(source.get("emergency", False), prefix + "emergency"),
        tag=text(source.get("tag", ""), prefix + "tag"),
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
    message = mapping(payload, "payload")
    kind = _kind(topic_or_type, message)
    if kind == "plugin_status":
        at = None if message.get("timestamp") is None else epoch(message["timestamp"],
                                                                  "timestamp")
        text(required(message, "status", ""), "status")
        return RadioEvent(kind, None, None, at, message)
    at = epoch(required(message, "timestamp", ""), "timestamp")
    if kind in UNIT_MESSAGE_KINDS or kind in ("call_start", "call_end"):
        key = "call" if kind in CALL_MESSAGE_KINDS else kind
        body = mapping(required(message, key, ""), key)
        p = key + "."
        talkgroup = body.get("talkgroup")
        if kind in ("call_start", "call_end"):
            talkgroup = required(body, "talkgroup", p)
        return RadioEvent(
            kind,
            str(integer(required(body, "unit", p), p + "unit")),
            None if talkgroup is None else str(integer(talkgroup, p + "talkgroup")),
            at,
            message,
            system=optional_text(body, "sys_name", p),
            radio_tag=optional_text(body, "unit_alpha_tag", p) or "",
        )
    if kind == "audio":
        body = mapping(required(message, "call", ""), "call")
        call = _read_call(required(body, "metadata", "call."), "call.metadata.")
        return RadioEvent(kind, None, call.talkgroup, at, message, system=call.system or None)
    key, expected = _STATUS_BODIES[kind]
    if not isinstance(required(message, key, ""), expected):
        raise RadioFormatError(key, f"expected a {'list' if expected is list else 'object'}")
    return RadioEvent(kind, None, None, at, message)


def _kind(topic_or_type: str, message: Mapping[str, Any]) -> str:
    if "type" in message:
        kind = text(message["type"], "type")
    else:
        segment = str(topic_or_type).rstrip("/").rsplit("/", 1)[-1]
        kind = {"status": "plugin_status", "messages": "message"}.get(segment, segment)
    if kind not in MQTT_KINDS:
        raise UnsupportedMessageType("type", f"unsupported message type {kind!r}")
    return kind
