"""The topic scheme of vehicle and handheld terminals, and their payloads read; pure.

A terminal (a vehicle's mobile data terminal, a handheld, an AVL box, a radio gateway
speaking for one radio) publishes under its own radio ID::

    gridpatrol/units/<radio_id>/position   {"lon", "lat", "at"?, "speed_mps"?, "course_deg"?, "id"?}
    gridpatrol/units/<radio_id>/nmea       NMEA 0183 sentences, one or more lines (text)
    gridpatrol/units/<radio_id>/status     {"status", "at"?, "id"?}   or the bare code as text
    gridpatrol/units/<radio_id>/ack        {"alert_id"?, "message_id"?, "note"?, "at"?, "id"?}
                                           or "ACK 41 P-12"
    gridpatrol/units/<radio_id>/text       {"text", "at"?, "id"?}     or the bare text
    gridpatrol/units/<radio_id>/receipt    {"message_id", "at"?, "id"?}  or the bare id

and reads its orders on ``gridpatrol/units/<radio_id>/orders``. ``message_id`` is the
``message_id`` of the order answered: a ``receipt`` says the terminal has it (shown to the
officer), an ``ack`` that the unit acknowledges it (an ``ack`` naming only the alert
acknowledges the unit's orders for that alert). This module reads the topic and the
payloads; it knows nothing of transports or units.

Decisions
---------
- ``at`` is ISO 8601 with a zone (``2026-05-01T08:00:00+08:00``, ``…Z``) or epoch seconds;
  without it the time the message was received is used. A time more than
  :data:`FUTURE_TOLERANCE` after receipt is refused (a receiver clock gone wrong must not
  push a unit's newest fix into the future).
- ``id`` is the terminal's own message id (text or a non-negative integer, at most 64
  characters): a terminal that sends one makes its repeats recognisable whatever else
  changes. Without one the message's identity is its topic and payload (see
  :mod:`dispatch.inbound`), so a terminal should send ``at`` or ``id``.
- Fields beyond those read are allowed and ignored (terminals add altitude, HDOP, battery).
- ``(0, 0)`` is refused as ``no_fix``: receivers without a fix report it.
- ``radio_id`` is 1 to 32 characters of letters, digits, ``-``, ``_`` and ``.``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from dispatch.errors import TerminalMessageError
from dispatch.radio.fields import epoch, is_number

TOPIC_ROOT: Final = "gridpatrol/units"
"""Every terminal topic starts with this."""

TerminalKind = Literal["position", "nmea", "status", "ack", "text", "receipt"]
TERMINAL_KINDS: Final = ("position", "nmea", "status", "ack", "text", "receipt")
"""The message kinds a terminal publishes, as the last segment of its topic."""

FUTURE_TOLERANCE: Final = timedelta(minutes=2)
"""How far after receipt a message's own time may lie (clock skew) before it is refused."""

MAX_TEXT: Final = 2000
"""Longest text, status code or acknowledgement note read, in characters."""

_RADIO_ID = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_MAX_ID = 64
MAX_SPEED_MPS: Final = 150.0
"""Fastest credible ground speed (540 km/h); a larger speed is refused as a bad field."""


@dataclass(frozen=True)
class TerminalTopic:
    """A terminal topic read: who sent it and what kind of message it is."""

    radio_id: str
    kind: TerminalKind


@dataclass(frozen=True)
class PositionReport:
    """A position from a terminal; WGS-84 (EPSG:4326) degrees, ``at`` aware UTC."""

    lon: float
    lat: float
    at: datetime
    speed_mps: float | None = None
    course_deg: float | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """A status code as the terminal sent it (a status name, a 10-code, a phrase)."""

    code: str
    at: datetime
    message_id: str | None = None


@dataclass(frozen=True)
class AckReport:
    """An acknowledgement of order ``order_id``, or of the orders for ``alert_id``.

    A text (``alert_id`` and ``order_id`` None) is parsed as one by the caller.
    """

    alert_id: int | None
    text: str
    at: datetime
    note: str = ""
    message_id: str | None = None
    order_id: int | None = None


@dataclass(frozen=True)
class ReceiptReport:
    """The terminal has the outbound message ``order_id`` (delivered)."""

    order_id: int
    at: datetime
    message_id: str | None = None


@dataclass(frozen=True)
class TextReport:
    """A free text from the terminal."""

    text: str
    at: datetime
    message_id: str | None = None


def parse_topic(topic: str) -> TerminalTopic | None:
    """Read a terminal topic.

    Parameters
    ----------
    topic : str
        E.g. ``"gridpatrol/units/4711/position"``.

    Returns
    -------
    TerminalTopic or None
        None when the topic is not under :data:`TOPIC_ROOT` at all.

    Raises
    ------
    TerminalMessageError
        ``unknown_topic`` for a topic under the root with a bad radio ID, a kind not in
        :data:`TERMINAL_KINDS` or extra segments.
    """
    prefix = TOPIC_ROOT + "/"
    if not topic.startswith(prefix):
        return None
    parts = topic[len(prefix):].split("/")
    if len(parts) != 2 or not _RADIO_ID.fullmatch(parts[0]):
        raise TerminalMessageError("topic", "expected gridpatrol/units/<radio_id>/<kind>",
                                   reason="unknown_topic")
    if parts[1] not in TERMINAL_KINDS:
        raise TerminalMessageError("topic", f"unknown kind {parts[1]!r}; one of "
                                   f"{', '.join(TERMINAL_KINDS)}", reason="unknown_topic")
    kind: TerminalKind = parts[1]  # type: ignore[assignment]
    return TerminalTopic(parts[0], kind)


def valid_radio_id(radio_id: str) -> bool:
    """Tell whether ``radio_id`` can be a radio ID.

    It must be one topic level: 1 to 32 letters, digits, ``-``, ``_`` and ``.``.
    """
    return _RADIO_ID.fullmatch(radio_id) is not None


def orders_topic(radio_id: str) -> str:
    """Return the topic a terminal reads its orders on.

    Parameters
    ----------
    radio_id : str
        The radio's ID (1 to 32 letters, digits, ``-``, ``_``, ``.``).

    Returns
    -------
    str
        ``gridpatrol/units/<radio_id>/orders``.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``radio_id`` for an ID that cannot be a topic level.
    """
    if not _RADIO_ID.fullmatch(radio_id):
        raise TerminalMessageError("radio_id", "expected 1 to 32 letters, digits, -, _ or .")
    return f"{TOPIC_ROOT}/{radio_id}/orders"


def decode_text(payload: bytes) -> str:
    """Return the payload as text.

    Parameters
    ----------
    payload : bytes
        The MQTT payload.

    Returns
    -------
    str
        UTF-8 decoded (a byte-order mark dropped).

    Raises
    ------
    TerminalMessageError
        ``not_utf8`` for bytes that are not UTF-8, ``empty`` for an empty payload,
        ``nul_character`` for a NUL (text cannot be stored with one).
    """
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TerminalMessageError("payload", "not UTF-8 text", reason="not_utf8") from None
    if not text.strip():
        raise TerminalMessageError("payload", "empty", reason="empty")
    if "\x00" in text:
        raise TerminalMessageError("payload", "holds a NUL character", reason="nul_character")
    return text


def decode_object(payload: bytes) -> Mapping[str, Any]:
    """Return the payload as a JSON object.

    Raises
    ------
    TerminalMessageError
        ``not_json`` when the payload is not one JSON object (or any error of
        :func:`decode_text`).
    """
    text = decode_text(payload)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise TerminalMessageError("payload", "not JSON", reason="not_json") from None
    if not isinstance(value, dict):
        raise TerminalMessageError("payload", "expected a JSON object", reason="not_json")
    return value


def read_position(payload: bytes, *, received_at: datetime) -> PositionReport:
    """Read a ``position`` payload.

    Parameters
    ----------
    payload : bytes
        JSON ``{"lon", "lat", "at"?, "speed_mps"?, "course_deg"?, "id"?}``.
    received_at : datetime, keyword-only
        When the message was received (aware); the position's time when ``at`` is absent.

    Returns
    -------
    PositionReport

    Raises
    ------
    TerminalMessageError
        Naming the field: ``invalid_field`` (missing, wrong type, out of range),
        ``no_fix`` for (0, 0), ``future_time``, or a decoding reason.
    """
    data = decode_object(payload)
    lon, lat = read_coordinates(data)
    speed = _optional_number(data, "speed_mps", 0.0, MAX_SPEED_MPS)
    course = _optional_number(data, "course_deg", 0.0, 360.0)
    return PositionReport(lon, lat, message_time(data, received_at), speed,
                          None if course is None else course % 360.0, message_id(data))


def read_coordinates(data: Mapping[str, Any], *, lon_key: str = "lon",
                     lat_key: str = "lat") -> tuple[float, float]:
    """Read ``(lon, lat)`` in WGS-84 degrees from an object.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming the key (missing, not a number, out of range); ``no_fix``
        for (0, 0).
    """
    lon = _degrees(data, lon_key, 180.0)
    lat = _degrees(data, lat_key, 90.0)
    if lon == 0.0 and lat == 0.0:
        raise TerminalMessageError(lon_key, "(0, 0) is what a receiver without a fix "
                                   "reports", reason="no_fix")
    return lon, lat


def read_status(payload: bytes, *, received_at: datetime) -> StatusReport:
    """Read a ``status`` payload: JSON ``{"status", "at"?, "id"?}`` or the bare code.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``status``, ``future_time``, or a decoding reason.
    """
    data = _object_or_text(payload, "status")
    return StatusReport(_text_field(data, "status"), message_time(data, received_at),
                        message_id(data))


def read_ack(payload: bytes, *, received_at: datetime) -> AckReport:
    """Read an ``ack`` payload: a JSON object, or a text.

    The object is ``{"alert_id"?, "message_id"?, "note"?, "at"?, "id"?}`` with at least
    one of ``alert_id`` and ``message_id``. A text follows the protocol of
    :func:`dispatch.radio.parse_ack` (``ACK 41 P-12``) and is parsed by the caller.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``alert_id``, ``message_id`` or ``note``, ``future_time``,
        or a decoding reason.
    """
    data = _object_or_text(payload, "text")
    at = message_time(data, received_at)
    if "text" in data and "alert_id" not in data and "message_id" not in data:
        return AckReport(None, _text_field(data, "text"), at, message_id=message_id(data))
    order_id = _order_id(data) if "message_id" in data else None
    alert_id = data.get("alert_id")
    if (alert_id is not None or order_id is None) and (
            isinstance(alert_id, bool) or not isinstance(alert_id, int)
            or not 0 < alert_id < 2**31):
        raise TerminalMessageError("alert_id", "expected the alert number (a positive "
                                       "integer)")
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_TEXT:
        raise TerminalMessageError("note", f"expected text of at most {MAX_TEXT} characters")
    text = f"ACK {alert_id}" if alert_id is not None else f"ACK message {order_id}"
    return AckReport(alert_id, text, at, note.strip(), message_id(data), order_id)


def read_receipt(payload: bytes, *, received_at: datetime) -> ReceiptReport:
    """Read a ``receipt`` payload: JSON ``{"message_id", "at"?, "id"?}`` or the bare id.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``message_id``, ``future_time``, or a decoding reason.
    """
    data = _object_or_text(payload, "message_id")
    return ReceiptReport(_order_id(data), message_time(data, received_at), message_id(data))


def _order_id(data: Mapping[str, Any]) -> int:
    """The ``message_id`` of an outbound message (digits, as text or a number)."""
    raw = data.get("message_id")
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
        raise TerminalMessageError("message_id", "expected the message_id of an order "
                                   "received (a positive integer)")
    return raw


def read_text(payload: bytes, *, received_at: datetime) -> TextReport:
    """Read a ``text`` payload: JSON ``{"text", "at"?, "id"?}`` or the bare text.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``text``, ``future_time``, or a decoding reason.
    """
    data = _object_or_text(payload, "text")
    return TextReport(_text_field(data, "text"), message_time(data, received_at),
                      message_id(data))


def message_time(data: Mapping[str, Any], received_at: datetime) -> datetime:
    """The message's ``at`` (ISO 8601 with a zone, or epoch seconds), else ``received_at``.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``at`` for an unreadable or zone-less time,
        ``future_time`` for one beyond :data:`FUTURE_TOLERANCE` after ``received_at``.
    """
    raw = data.get("at")
    if raw is None:
        return received_at.astimezone(UTC)
    if isinstance(raw, str) and not re.fullmatch(r"[0-9]{1,12}(\.[0-9]+)?", raw.strip()):
        try:
            at = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise TerminalMessageError("at", "expected ISO 8601 with a zone, or epoch "
                                       "seconds") from None
        if at.utcoffset() is None:
            raise TerminalMessageError("at", "has no time zone")
    else:
        try:
            at = epoch(raw, "at")
        except ValueError:
            raise TerminalMessageError("at", "expected ISO 8601 with a zone, or epoch "
                                       "seconds") from None
    at = at.astimezone(UTC)
    if at > received_at + FUTURE_TOLERANCE:
        raise TerminalMessageError("at", f"{at.isoformat()} lies after the time received",
                                   reason="future_time")
    return at


def message_id(data: Mapping[str, Any]) -> str | None:
    """The terminal's own message id (``id``) as text, or None.

    Raises
    ------
    TerminalMessageError
        ``invalid_field`` naming ``id`` for anything but text of 1 to 64 characters or a
        non-negative integer.
    """
    raw = data.get("id")
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and 0 < len(raw.strip()) <= _MAX_ID:
        return raw.strip()
    raise TerminalMessageError("id", f"expected text of 1 to {_MAX_ID} characters or a "
                               "non-negative integer")


def _object_or_text(payload: bytes, key: str) -> Mapping[str, Any]:
    text = decode_text(payload)
    if text.lstrip().startswith("{"):
        return decode_object(payload)
    return {key: text}


def _text_field(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TerminalMessageError(key, "expected non-empty text")
    if len(value) > MAX_TEXT:
        raise TerminalMessageError(key, f"longer than {MAX_TEXT} characters")
    return value.strip()


def _degrees(data: Mapping[str, Any], key: str, limit: float) -> float:
    value = data.get(key)
    if value is None:
        raise TerminalMessageError(key, "missing")
    if not is_number(value) or not -limit <= value <= limit:
        raise TerminalMessageError(key, f"expected degrees within ±{limit:g}")
    return float(value)


def _optional_number(data: Mapping[str, Any], key: str, low: float,
                     high: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not is_number(value) or not low <= value <= high:
        raise TerminalMessageError(key, f"expected a number from {low:g} to {high:g}")
    return float(value)
